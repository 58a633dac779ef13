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
    nullif(regexp_extract({{ email }}, '@([^@]*)$', 1), '')
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
        profile URL becomes null.
    -#}
    'https://www.linkedin.com/in/' || nullif(
        lower(regexp_extract(
            {{ clean_string(column) }},
            '^(?:https?://)?(?:[a-z0-9-]+\.)*linkedin\.com/in/([^/?#\s]+)(?:[/?#].*)?$',
            1,
            'i'
        )),
        ''
    )
{%- endmacro %}


{% macro split_tags(column) -%}
    {#-
        A comma-separated string as a list: each tag trimmed, empty tags dropped, in the
        source's order; never null, an empty list when there are none.
    -#}
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


{% macro to_utc_timestamp(column, strict=true) -%}
    {#-
        A timestamptz for the instant the API meant. Accepts a timestamptz, or a string in
        ISO 8601 with `Z` or an offset, or `YYYY-MM-DD HH:MM:SS`, which is read in the session's
        time zone: the profile sets it to UTC. Going through varchar makes both input types
        take the same path; a timestamptz renders with its offset, so nothing is lost.
        A string that is not a timestamp is an error, or null when `strict` is false.
    -#}
    {{ "cast" if strict else "try_cast" }}({{ clean_string(column) }} as timestamptz)
{%- endmacro %}


{% macro epoch_to_timestamp(column) -%}
    {#- dlt's `_dlt_load_id` is epoch seconds as a string, such as '1795334811.5139601'. -#}
    to_timestamp(cast({{ column }} as double))
{%- endmacro %}
