with

levcapital as (

    select * from {{ ref('stg_levcapital__contacts') }}

),

sprintmode as (

    select * from {{ ref('stg_sprintmode__contacts') }}

),

levcapital_aligned as (

    select
        -- ids
        'levcapital' as source_system,
        contact_id as source_contact_id,

        -- strings
        first_name,
        last_name,
        full_name,
        email,
        email_domain,
        cast(null as varchar) as phone,
        title,
        department,
        cast(null as varchar) as company_id,
        cast(null as varchar) as company_name,
        contact_type,
        cast(null as varchar) as source,
        cast(null as varchar) as portal_role,
        linkedin_url,
        address,
        city,
        state,
        zip,

        -- booleans
        is_primary,
        is_connected,
        cast(null as boolean) as has_portal_access,

        -- lists
        {{ empty_list() }} as tags,

        -- timestamps
        created_at,
        updated_at,

        -- metadata
        loaded_at

    from levcapital

),

sprintmode_aligned as (

    select
        -- ids
        'sprintmode' as source_system,
        contact_id as source_contact_id,

        -- strings
        first_name,
        last_name,
        full_name,
        email,
        email_domain,
        phone,
        title,
        department,
        company_id,
        company_name,
        contact_type,
        source,
        portal_role,
        linkedin_url,
        cast(null as varchar) as address,
        cast(null as varchar) as city,
        cast(null as varchar) as state,
        cast(null as varchar) as zip,

        -- booleans
        cast(null as boolean) as is_primary,
        cast(null as boolean) as is_connected,
        has_portal_access,

        -- lists
        tags,

        -- timestamps
        created_at,
        updated_at,

        -- metadata
        loaded_at

    from sprintmode

),

unioned as (

    select * from levcapital_aligned
    union all
    select * from sprintmode_aligned

),

role_mailboxes_flagged as (

    select
        *,
        coalesce({{ is_role_mailbox('email') }}, false) as is_role_mailbox

    from unioned

),

keyed as (

    select
        -- ids
        {{ contact_key('source_system', 'source_contact_id') }} as contact_key,
        source_system,
        source_contact_id,

        -- strings
        first_name,
        last_name,
        full_name,
        email,
        email_domain,
        phone,
        title,
        department,
        company_id,
        company_name,
        contact_type,
        source,
        portal_role,
        linkedin_url,
        address,
        city,
        state,
        zip,

        -- booleans
        is_primary,
        is_connected,
        has_portal_access,
        is_role_mailbox,

        -- lists
        tags,

        -- timestamps
        created_at,
        updated_at,

        -- metadata
        loaded_at

    from role_mailboxes_flagged

),

final as (

    select * from keyed

)

select * from final
