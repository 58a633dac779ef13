{#
    Staging models that every source has alike. Each source keeps its own model file, the
    entry point that dbt's structure guide expects (stg_<source>__<table>.sql), and that file
    calls the macro here with the source's name: a third CRM adds a one-line file.
#}

{% macro stage_contact_deletions(source_name) -%}
{#-
    The loader's tombstones of one source (raw_<source>.contact_deletions): one row per
    contact that its API no longer lists, keyed like int_contacts_unioned.
-#}
with

source as (

    select * from {{ source_or_empty(source_name, 'contact_deletions') }}

),

renamed as (

    select
        -- ids
        {{ contact_key("'" ~ source_name ~ "'", 'cast(id as varchar)') }} as contact_key,

        -- timestamps
        {{ to_utc_timestamp('deleted_at') }} as deleted_at

    from source

),

final as (

    select * from renamed

)

select * from final
{%- endmacro %}
