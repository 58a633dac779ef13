{#
    The time a snapshot records in valid_from and valid_to: a timestamptz like every other
    timestamp of the project. dbt-duckdb's default casts it to a naive timestamp.
#}
{% macro duckdb__snapshot_get_time() -%}
    current_timestamp
{%- endmacro %}
