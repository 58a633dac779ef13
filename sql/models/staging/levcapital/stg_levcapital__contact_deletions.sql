with

source as (

    select * from {{ source_or_empty('levcapital', 'contact_deletions') }}

),

renamed as (

    select
        -- ids
        {{ contact_key("'levcapital'", 'cast(id as varchar)') }} as contact_key,

        -- timestamps
        {{ to_utc_timestamp('deleted_at') }} as deleted_at

    from source

),

final as (

    select * from renamed

)

select * from final
