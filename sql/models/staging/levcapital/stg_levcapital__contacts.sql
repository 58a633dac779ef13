with

source as (

    select * from {{ source_or_empty('levcapital', 'contacts') }}

),

cleaned as (

    select
        -- ids
        cast(id as varchar) as contact_id,
        cast(owner_account_id as varchar) as owner_account_id,

        -- strings
        {{ clean_string('first_name') }} as first_name,
        {{ clean_string('last_name') }} as last_name,
        {{ normalize_email('email') }} as email,
        {{ clean_string('title') }} as title,
        {{ clean_string('department') }} as department,
        {{ clean_string('contact_type') }} as contact_type,
        {{ normalize_linkedin_url('linkedin_url') }} as linkedin_url,
        {{ clean_string('address') }} as address,
        {{ clean_string('city') }} as city,
        {{ clean_string('state') }} as state,
        {{ clean_string('zip') }} as zip,

        -- booleans
        is_primary,
        is_connected,

        -- timestamps
        {{ to_utc_timestamp('created_at') }} as created_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,

        -- metadata
        {{ epoch_to_timestamp('_dlt_load_id') }} as loaded_at

    from source

),

final as (

    select
        -- ids
        contact_id,
        owner_account_id,

        -- strings
        first_name,
        last_name,
        {{ full_name('first_name', 'last_name') }} as full_name,
        email,
        {{ email_domain('email') }} as email_domain,
        title,
        department,
        contact_type,
        linkedin_url,
        address,
        city,
        state,
        zip,

        -- booleans
        is_primary,
        is_connected,

        -- timestamps
        created_at,
        updated_at,

        -- metadata
        loaded_at

    from cleaned

)

select * from final
