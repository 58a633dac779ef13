{#
    The time a snapshot records in valid_from and valid_to: a timestamptz like every other
    timestamp of the project. dbt-duckdb's default casts it to a naive timestamp, and so does
    dbt-postgres's.
    CONTACTS_AS_OF (an ISO 8601 timestamp) replaces the clock, so that a run can be
    recorded as of another time: the demo uses it to simulate several nights in a row.
    It is read when the snapshot runs, not when dbt parses the project, so a new value
    every night does not make dbt parse it all again, as a changed `--vars` would.
#}
{% macro duckdb__snapshot_get_time() -%}
    {{ contacts_snapshot_time() }}
{%- endmacro %}

{% macro postgres__snapshot_get_time() -%}
    {{ contacts_snapshot_time() }}
{%- endmacro %}

{% macro contacts_snapshot_time() -%}
    {%- set as_of = env_var('CONTACTS_AS_OF', '') -%}
    {%- if as_of -%}
        cast('{{ as_of }}' as timestamptz)
    {%- else -%}
        current_timestamp
    {%- endif -%}
{%- endmacro %}

