{#
    The keys that more than one model builds: the same text wherever they are built, so
    that joins on them match.
#}

{% macro contact_key(source_system, contact_id) -%}
    {#-
        '<source_system>:<the contact's id in its source>', such as 'levcapital:78'. Takes
        SQL expressions: a column, or a quoted literal such as "'levcapital'".
    -#}
    {{ source_system }} || ':' || {{ contact_id }}
{%- endmacro %}
