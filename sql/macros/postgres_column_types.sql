{#
    dbt-postgres's own version, except for the type of an array or a user-defined column.
    information_schema names those only `ARRAY` and `USER-DEFINED`, which dbt then writes into
    SQL: a unit test whose input has a list column (tags) fails with
    `cast(null as ARRAY)`, a syntax error (dbt-labs/dbt-postgres#29, open in 1.11).
    The element type is in udt_name: `_varchar` is varchar[].
#}
{% macro postgres__get_columns_in_relation(relation) -%}
    {% call statement('get_columns_in_relation', fetch_result=True) %}
        select
            column_name,
            case
                when data_type = 'ARRAY' then substr(udt_name, 2) || '[]'
                when data_type = 'USER-DEFINED' then udt_name
                else data_type
            end as data_type,
            character_maximum_length,
            numeric_precision,
            numeric_scale

        from {{ relation.information_schema('columns') }}
        where
            table_name = '{{ relation.identifier }}'
            {% if relation.schema %}
                and table_schema = '{{ relation.schema }}'
            {% endif %}
        order by ordinal_position
    {% endcall %}
    {% set table = load_result('get_columns_in_relation').table %}
    {{ return(sql_convert_columns_in_relation(table)) }}
{%- endmacro %}
