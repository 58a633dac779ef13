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

{% macro is_role_mailbox(email) -%}
    {#-
        Whether an email is a shared mailbox such as 'info@firm.com' or 'info+eu@firm.com':
        its local part, less any '+tag', is one of the var `role_mailboxes`. Takes a
        normalized (trimmed, lowercased) email; false for a null one.
    -#}
    coalesce(regexp_replace(split_part({{ email }}, '@', 1), '\+.*$', '') in (
        {%- for local_part in var('role_mailboxes') -%}
            '{{ local_part }}'{{ ', ' if not loop.last }}
        {%- endfor -%}
    ), false)
{%- endmacro %}
