{#
    The columns of a contact, written once. int_contacts_unioned aligns both sources on them;
    int_contacts_marked_deleted and the contacts mart pass them on, adding their own columns
    where they belong. A column added here reaches all three, in the same place in each.
#}

{% macro contact_column_types() -%}
    {#- [(name, data_type)] of a contact's columns, in the order of the models' columns. -#}
    {%- set ids = [
        ('contact_key', 'varchar'),
        ('source_system', 'varchar'),
        ('source_contact_id', 'varchar'),
    ] -%}
    {%- set strings = [
        ('first_name', 'varchar'),
        ('last_name', 'varchar'),
        ('full_name', 'varchar'),
        ('email', 'varchar'),
        ('email_domain', 'varchar'),
        ('phone', 'varchar'),
        ('title', 'varchar'),
        ('department', 'varchar'),
        ('company_id', 'varchar'),
        ('company_name', 'varchar'),
        ('contact_type', 'varchar'),
        ('source', 'varchar'),
        ('portal_role', 'varchar'),
        ('linkedin_url', 'varchar'),
        ('address', 'varchar'),
        ('city', 'varchar'),
        ('state', 'varchar'),
        ('zip', 'varchar'),
    ] -%}
    {%- set booleans = [
        ('is_primary', 'boolean'),
        ('is_connected', 'boolean'),
        ('has_portal_access', 'boolean'),
        ('is_role_mailbox', 'boolean'),
    ] -%}
    {%- set lists = [
        ('tags', 'varchar[]'),
    ] -%}
    {%- set timestamps = [
        ('created_at', 'timestamptz'),
        ('updated_at', 'timestamptz'),
    ] -%}
    {%- set metadata = [
        ('loaded_at', 'timestamptz'),
    ] -%}
    {{ return(ids + strings + booleans + lists + timestamps + metadata) }}
{%- endmacro %}


{% macro contact_columns(relation=none, values={}, absent=[], after={}) -%}
    {#-
        A select list of a contact's columns, one a line, in order:
        - relation: the alias that qualifies each column (`contacts.email`);
        - values: {column: expression} for the columns computed here;
        - absent: the columns that a source does not have: a typed null, or an empty list
          for a list (a contact without tags has []);
        - after: {column: [select items]}, a model's own columns, after that column.
        A name that is no contact column is an error, so that a typo fails the build
        rather than leaving a column out.
    -#}
    {%- set types = {} -%}
    {%- for name, data_type in contact_column_types() -%}
        {%- do types.update({name: data_type}) -%}
    {%- endfor -%}
    {%- for name in (values.keys() | list) + absent + (after.keys() | list) if name not in types -%}
        {{ exceptions.raise_compiler_error("contact_columns: no contact column " ~ name) }}
    {%- endfor -%}
    {%- set items = [] -%}
    {%- for name, data_type in types.items() -%}
        {%- if name in values -%}
            {%- do items.append(values[name] ~ ' as ' ~ name) -%}
        {%- elif name in absent and data_type.endswith('[]') -%}
            {%- do items.append(empty_list() ~ ' as ' ~ name) -%}
        {%- elif name in absent -%}
            {%- do items.append('cast(null as ' ~ data_type ~ ') as ' ~ name) -%}
        {%- else -%}
            {%- do items.append(relation ~ '.' ~ name if relation else name) -%}
        {%- endif -%}
        {%- do items.extend(after.get(name, [])) -%}
    {%- endfor -%}
    {{ items | join(',\n        ') }}
{%- endmacro %}
