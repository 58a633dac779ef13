{#
    Cleaning rules shared by the staging models of both sources. Each takes a column (or an
    expression) and returns an expression; none of them needs a join.
#}

{% macro clean_string(column) -%}
    {#- Trimmed of surrounding whitespace; an empty or blank string becomes null. -#}
    nullif(regexp_replace(cast({{ column }} as varchar), '^\s+|\s+$', '', 'g'), '')
{%- endmacro %}


{% macro normalize_email(column) -%}
    {#- Trimmed and lowercased; empty becomes null. -#}
    lower({{ clean_string(column) }})
{%- endmacro %}


{% macro email_domain(email) -%}
    {#- The part after the last `@` of an already normalized email; null without an `@`. -#}
    nullif({{ regexp_first_group(email, "'@([^@]*)$'") }}, '')
{%- endmacro %}


{% macro full_name(first_name, last_name, given_full_name=none) -%}
    {#-
        The source's own full name when it has one, else first and last name joined by one
        space (or just the one that is there). Takes already cleaned columns.
    -#}
    coalesce(
        {%- if given_full_name is not none %}
        {{ given_full_name }},
        {%- endif %}
        nullif(concat_ws(' ', {{ first_name }}, {{ last_name }}), '')
    )
{%- endmacro %}


{% macro normalize_linkedin_url(column) -%}
    {#-
        `https://www.linkedin.com/in/<handle>`, whatever the scheme, host prefix (www., a
        country), trailing slash, sub-page, query string or fragment; the handle is lowercased
        (LinkedIn handles are case-insensitive). Anything that is not a linkedin.com/in/
        profile URL becomes null. The pattern is a Jinja string, so its backslashes are doubled.
    -#}
    'https://www.linkedin.com/in/' || nullif(
        lower({{ regexp_first_group(
            clean_string(column),
            "'^(?:https?://)?(?:[a-z0-9-]+\\.)*linkedin\\.com/in/([^/?#\\s]+)(?:[/?#].*)?$'",
            "'i'"
        ) }}),
        ''
    )
{%- endmacro %}


{% macro split_tags(column) -%}
    {#-
        A comma-separated string as a list: each tag trimmed, empty tags dropped, in the
        source's order; never null, an empty list when there are none.
    -#}
    {{ return(adapter.dispatch('split_tags')(column)) }}
{%- endmacro %}

{% macro duckdb__split_tags(column) -%}
    cast(
        list_filter(
            list_transform(
                string_split(coalesce(cast({{ column }} as varchar), ''), ','),
                lambda tag: trim(tag)
            ),
            lambda tag: tag != ''
        ) as varchar[]
    )
{%- endmacro %}

{% macro postgres__split_tags(column) -%}
    {#- trim() trims spaces only, as DuckDB's does. -#}
    cast(
        array_remove(
            array(
                select trim(tag)
                from unnest(string_to_array(coalesce(cast({{ column }} as varchar), ''), ','))
                    with ordinality as tags (tag, position)
                order by position
            ),
            ''
        ) as varchar[]
    )
{%- endmacro %}


{% macro to_utc_timestamp(column, strict=true) -%}
    {#-
        A timestamptz for the instant the API meant. Accepts a timestamptz, or a string in
        ISO 8601 with `Z` or an offset, or `YYYY-MM-DD HH:MM:SS`, which is read in the session's
        time zone: the profile sets it to UTC. Going through varchar makes both input types
        take the same path; a timestamptz renders with its offset, so nothing is lost.
        A string that is not a timestamp is an error, or null when `strict` is false.
    -#}
    {%- if strict -%}
        cast({{ clean_string(column) }} as timestamptz)
    {%- else -%}
        {{ try_cast_as(clean_string(column), 'timestamptz') }}
    {%- endif -%}
{%- endmacro %}


{% macro epoch_to_timestamp(column) -%}
    {#- dlt's `_dlt_load_id` is epoch seconds as a string, such as '1795334811.5139601'. -#}
    to_timestamp(cast({{ column }} as double precision))
{%- endmacro %}
