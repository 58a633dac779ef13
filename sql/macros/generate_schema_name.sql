{#
    Uses a model's custom schema verbatim (`analytics`, not `main_analytics`): the schemas are
    the analysts' interface, so they must not depend on the target's default schema.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
