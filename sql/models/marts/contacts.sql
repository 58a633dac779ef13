with

contacts as (

    select * from {{ ref('int_contacts_marked_deleted') }}

),

final as (

    select
        -- ids
        contact_key,
        source_system,
        source_contact_id,
        person_key,

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
        is_deleted,
        deleted_at,
        loaded_at

    from contacts

)

select * from final
