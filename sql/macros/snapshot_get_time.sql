{#
    The time a snapshot records in valid_from and valid_to: a timestamptz like every other
    timestamp of the project. dbt-duckdb's default casts it to a naive timestamp.
    The var `as_of` (an ISO 8601 timestamp) replaces the clock, so that a run can be
    recorded as of another time: the demo uses it to simulate several nights in a row.
#}
{% macro duckdb__snapshot_get_time() -%}
    {%- set as_of = var('as_of', none) -%}
    {%- if as_of -%}
        cast('{{ as_of }}' as timestamptz)
    {%- else -%}
        current_timestamp
    {%- endif -%}
{%- endmacro %}
