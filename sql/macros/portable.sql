{#
    The SQL that DuckDB and PostgreSQL spell differently, one macro per construct, each with a
    duckdb__ and a postgres__ version (adapter.dispatch): the models call these and stay the
    same on both. DuckDB's versions are the SQL the models had before PostgreSQL came, so its
    tables do not change. Lists are DuckDB lists (varchar[]) and PostgreSQL arrays (text[] or
    varchar[]); both index from 1.
#}

{% macro regexp_first_group(text, pattern, flags=none) -%}
    {#- The first capture group of `pattern` in `text`: null (PostgreSQL) or '' (DuckDB)
        when it does not match, so callers wrap it in nullif(..., ''). -#}
    {{ return(adapter.dispatch('regexp_first_group')(text, pattern, flags)) }}
{%- endmacro %}

{% macro duckdb__regexp_first_group(text, pattern, flags) -%}
    regexp_extract({{ text }}, {{ pattern }}, 1{{ ", " ~ flags if flags }})
{%- endmacro %}

{% macro postgres__regexp_first_group(text, pattern, flags) -%}
    (regexp_match({{ text }}, {{ pattern }}{{ ", " ~ flags if flags }}))[1]
{%- endmacro %}


{% macro regexp_contains(text, pattern) -%}
    {#- Whether `pattern` matches anywhere in `text`. -#}
    {{ return(adapter.dispatch('regexp_contains')(text, pattern)) }}
{%- endmacro %}

{% macro duckdb__regexp_contains(text, pattern) -%}
    regexp_matches({{ text }}, {{ pattern }})
{%- endmacro %}

{% macro postgres__regexp_contains(text, pattern) -%}
    ({{ text }} ~ {{ pattern }})
{%- endmacro %}


{% macro letters() -%}
    {#- The letters of every script, for use inside a bracket expression: `[^{{ letters() }}]`.
        PostgreSQL has no \p{...}; its [:alpha:] is Unicode-aware in a UTF-8 database whose
        LC_CTYPE is not C or POSIX (C.UTF-8, en_US.UTF-8). -#}
    {{ return(adapter.dispatch('letters')()) }}
{%- endmacro %}

{% macro duckdb__letters() -%}\p{L}{%- endmacro %}

{% macro postgres__letters() -%}[:alpha:]{%- endmacro %}


{% macro digits() -%}
    {#- Digits, for use inside a bracket expression, as letters() is. -#}
    {{ return(adapter.dispatch('digits')()) }}
{%- endmacro %}

{% macro duckdb__digits() -%}\p{N}{%- endmacro %}

{% macro postgres__digits() -%}[:digit:]{%- endmacro %}


{% macro without_accents(text) -%}
    {#- `text` with its accents stripped ('José' is 'Jose'). -#}
    {{ return(adapter.dispatch('without_accents')(text)) }}
{%- endmacro %}

{% macro duckdb__without_accents(text) -%}
    strip_accents({{ text }})
{%- endmacro %}

{% macro postgres__without_accents(text) -%}
    {#- Decomposed, an accented letter is its letter and combining marks (U+0300 to U+036F),
        which are dropped: what the unaccent extension does, without needing it installed. -#}
    regexp_replace(normalize({{ text }}, nfd), '[\u0300-\u036f]', '', 'g')
{%- endmacro %}


{% macro try_cast_as(expression, data_type) -%}
    {#- `expression` as `data_type`, or null when it does not convert. -#}
    {{ return(adapter.dispatch('try_cast_as')(expression, data_type)) }}
{%- endmacro %}

{% macro duckdb__try_cast_as(expression, data_type) -%}
    try_cast({{ expression }} as {{ data_type }})
{%- endmacro %}

{% macro postgres__try_cast_as(expression, data_type) -%}
    {#- PostgreSQL has no try_cast: the function that create_try_cast_function makes. The
        typed null tells it the type to return. -#}
    {{ try_cast_function_name() }}(cast({{ expression }} as text), cast(null as {{ data_type }}))
{%- endmacro %}


{% macro try_cast_function_name() -%}
    {{ generate_schema_name('staging', none) }}.contacts_elt_try_cast
{%- endmacro %}


{% macro create_try_cast_function() -%}
    {#- Run by on-run-start: makes what try_cast_as needs; nothing on DuckDB. -#}
    {{ return(adapter.dispatch('create_try_cast_function')()) }}
{%- endmacro %}

{% macro default__create_try_cast_function() -%}
    {#- Empty: dbt runs no statement for an empty hook. -#}
{%- endmacro %}

{% macro postgres__create_try_cast_function() -%}
    {#- One function for every type: the cast is built for the type of `sample`. A value that
        does not convert raises, and the handler returns null instead. It runs only for a
        raw column whose type changed (see coalesce_variants), so its cost per row (a
        dynamic statement and a subtransaction) is paid rarely. -#}
    create schema if not exists {{ generate_schema_name('staging', none) }};
    create or replace function {{ try_cast_function_name() }}(value text, sample anyelement)
    returns anyelement
    language plpgsql
    stable
    as $function$
    begin
        execute format('select cast(%L as %s)', value, pg_typeof(sample)) into sample;
        return sample;
    exception when others then
        return null;
    end
    $function$
{%- endmacro %}


{% macro empty_list() -%}
    {#- An empty list of varchar. -#}
    {{ return(adapter.dispatch('empty_list')()) }}
{%- endmacro %}

{% macro duckdb__empty_list() -%}
    cast([] as varchar[])
{%- endmacro %}

{% macro postgres__empty_list() -%}
    cast('{}' as varchar[])
{%- endmacro %}


{% macro list_length(list) -%}
    {#- The number of items of a list; null for a null list. -#}
    {{ return(adapter.dispatch('list_length')(list)) }}
{%- endmacro %}

{% macro duckdb__list_length(list) -%}
    len({{ list }})
{%- endmacro %}

{% macro postgres__list_length(list) -%}
    {#- Not array_length(list, 1), which is null for an empty array. -#}
    cardinality({{ list }})
{%- endmacro %}


{% macro split_keeping(text, separator_pattern, keep) -%}
    {#- `text` split where `separator_pattern` matches, keeping the parts, named `word`, for
        which `keep` is true, in order; null for a null text. -#}
    {{ return(adapter.dispatch('split_keeping')(text, separator_pattern, keep)) }}
{%- endmacro %}

{% macro duckdb__split_keeping(text, separator_pattern, keep) -%}
    list_filter(
        string_split_regex({{ text }}, {{ separator_pattern }}),
        lambda word: {{ keep }}
    )
{%- endmacro %}

{% macro postgres__split_keeping(text, separator_pattern, keep) -%}
    case when {{ text }} is not null then array(
        select word
        from unnest(regexp_split_to_array({{ text }}, {{ separator_pattern }}))
            with ordinality as parts (word, position)
        where {{ keep }}
        order by position
    ) end
{%- endmacro %}


{% macro value_of_lowest(value, rank, where) -%}
    {#- Aggregate: `value` of the row with the lowest `rank`, a number unique within the
        group, among the rows where `where`. -#}
    {{ return(adapter.dispatch('value_of_lowest')(value, rank, where)) }}
{%- endmacro %}

{% macro duckdb__value_of_lowest(value, rank, where) -%}
    {#- Not first(value order by …): DuckDB keeps every row of an ordered aggregate's group
        in memory, and could not spill `people` at 80k contacts per API in 244 MB. -#}
    arg_min({{ value }}, {{ rank }}) filter (where {{ where }})
{%- endmacro %}

{% macro postgres__value_of_lowest(value, rank, where) -%}
    (array_agg({{ value }} order by {{ rank }}) filter (where {{ where }}))[1]
{%- endmacro %}


{% macro sorted_list(column, distinct=false) -%}
    {#- Aggregate: the values of `column` as a sorted list (DuckDB) or array (PostgreSQL),
        each value once when `distinct`. -#}
    {{ return(adapter.dispatch('sorted_list')(column, distinct)) }}
{%- endmacro %}

{% macro duckdb__sorted_list(column, distinct) -%}
    {#- Sorted after aggregating, for the reason value_of_lowest gives. -#}
    {%- if distinct %}list_sort(list_distinct(list({{ column }})))
    {%- else %}list_sort(list({{ column }})){% endif -%}
{%- endmacro %}

{% macro postgres__sorted_list(column, distinct) -%}
    array_agg({% if distinct %}distinct {% endif %}{{ column }} order by {{ column }})
{%- endmacro %}



{% macro materialized_cte() -%}
    {#- After `name as` in a with clause: PostgreSQL computes that CTE once. Otherwise it
        inlines a CTE that is read once into the query that reads it, and an expression that
        later CTEs use several times is computed once per use: the linkage evidence took
        27 s at 78k contacts that way, and DuckDB computed it in about 1 s. -#}
    {{ return(adapter.dispatch('materialized_cte')()) }}
{%- endmacro %}

{% macro default__materialized_cte() -%}{%- endmacro %}

{% macro postgres__materialized_cte() -%}materialized{%- endmacro %}
