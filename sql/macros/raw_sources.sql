{#
    Reading dlt's raw tables so that staging survives what dlt does to them:
    - a table that does not exist yet: its source never loaded (the first run, with that API
      down); the loader creates `contact_deletions`, empty, on its first load;
    - a field whose type changed: dlt keeps the column with its first type and writes the
      values of the new type to a variant column, `<column>__v_<type>` (`zip__v_bigint`);
    - a field the API added: dlt adds a column, which staging must not pass on.
    Staging reads `select * from {{ source_or_empty(...) }}` and gets the columns that the
    source YAML declares, each of its declared type, whatever dlt did.
#}

{% macro source_or_empty(source_name, table_name, columns=none) -%}
    {#-
        The source table with `columns` ({name: data_type}; by default the columns that the
        source YAML declares with a data_type), each of that type and with the values of its
        variant columns folded in; a column the table lacks is null. When the table does not
        exist, an empty relation with those columns. source() is called in every case, so
        the model keeps the source in its lineage.

        In a unit test, source() is the fixture's CTE: it is returned as it is, so a fixture
        can hand the cleaning rules any type.
    -#}
    {%- set relation = source(source_name, table_name) -%}
    {%- if not execute or relation.is_cte -%}
        {{ relation }}
    {%- else -%}
        {%- set columns = columns or declared_source_columns(source_name, table_name) -%}
        {%- set raw_columns = relation_column_types(relation) -%}
        (
            select
            {%- for name, data_type in columns.items() %}
                {%- if raw_columns %}
                {%- set expression = coalesce_variants(raw_columns, name, data_type) | trim %}
                {{ expression }}{{ " as " ~ name if expression != name }}
                {%- else %}
                cast(null as {{ data_type }}) as {{ name }}
                {%- endif %}
                {{- "," if not loop.last }}
            {%- endfor %}
            {%- if raw_columns %}
            from {{ relation }}
            {%- else %}
            -- {{ relation }} does not exist yet: no rows.
            where false
            {%- endif %}
        {#- PostgreSQL wants an alias for a subquery in FROM. #}
        ) as raw_{{ table_name }}
    {%- endif -%}
{%- endmacro %}


{% macro declared_source_columns(source_name, table_name) -%}
    {#- {name: data_type} of the source table's YAML columns that have a data_type, in order. -#}
    {%- set columns = {} -%}
    {%- for node in graph.sources.values()
        if node.source_name == source_name and node.name == table_name -%}
        {%- for column in node.columns.values() if column.data_type -%}
            {%- do columns.update({column.name: column.data_type}) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- if not columns -%}
        {{ exceptions.raise_compiler_error(
            "source " ~ source_name ~ "." ~ table_name ~ " declares no column with a data_type"
        ) }}
    {%- endif -%}
    {{ return(columns) }}
{%- endmacro %}


{% macro relation_column_types(relation) -%}
    {#- {lowercased column name: data_type} of a relation; {} when it does not exist. -#}
    {%- set types = {} -%}
    {#- DESCRIBE fails on a missing relation, so look it up first. -#}
    {%- if load_relation(relation) is not none -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- do types.update({column.name | lower: column.dtype}) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(types) }}
{%- endmacro %}


{% macro coalesce_variants(raw_columns, column, data_type) -%}
    {#-
        `column` as `data_type`, taking the value from its dlt variant columns
        (`<column>__v_<type>`) where the column itself is null, as dlt leaves it for a row
        whose value had another type. A variant value that does not convert is null rather
        than an error: one odd value must not stop the build. The column alone when it has
        the type and no variant, as it has until a type changes; a typed null when the raw
        table has neither (dlt creates no column for a field that was always null).

        raw_columns: {lowercased name: data_type} of the raw table (relation_column_types).
    -#}
    {%- set parts = [] -%}
    {%- if column in raw_columns -%}
        {%- if same_type(raw_columns[column], data_type) -%}
            {%- do parts.append(column) -%}
        {%- else -%}
            {#- The table was created by a load that saw the field with another type. -#}
            {%- do parts.append(try_cast_to(column, data_type)) -%}
        {%- endif -%}
    {%- endif -%}
    {%- for name in raw_columns if name.startswith(column ~ "__v_") -%}
        {%- do parts.append(try_cast_to(name, data_type)) -%}
    {%- endfor -%}
    {%- if parts | length == 0 -%}
        cast(null as {{ data_type }})
    {%- elif parts | length == 1 -%}
        {{ parts[0] }}
    {%- else -%}
        coalesce({{ parts | join(", ") }})
    {%- endif -%}
{%- endmacro %}


{% macro try_cast_to(column, data_type) -%}
    {#- `column` as `data_type`, or null when it does not convert; timestamps read as staging does. -#}
    {%- if same_type(data_type, "timestamptz") -%}
        {{ to_utc_timestamp(column, strict=false) }}
    {%- else -%}
        {{ try_cast_as(column, data_type) }}
    {%- endif -%}
{%- endmacro %}


{% macro same_type(one, other) -%}
    {#-
        Whether two type names name one type, as far as staging cares. The YAML declares
        DuckDB's names; PostgreSQL's information_schema reports `character varying` or `text`
        for varchar, `timestamp with time zone` for timestamptz, and dlt makes its json
        columns `jsonb` there.
    -#}
    {{ return(canonical_type(one) == canonical_type(other)) }}
{%- endmacro %}


{% macro canonical_type(data_type) -%}
    {%- set aliases = {
        "character varying": "varchar",
        "text": "varchar",
        "string": "varchar",
        "timestamp with time zone": "timestamptz",
        "jsonb": "json",
        "int8": "bigint",
        "bool": "boolean",
        "float8": "double precision",
        "double": "double precision",
    } -%}
    {%- set name = data_type | lower | trim -%}
    {{ return(aliases.get(name, name)) }}
{%- endmacro %}
