with

contacts as (

    select * from {{ ref('int_contacts_marked_deleted') }}

),

people as (

    select * from {{ ref('int_person_clusters') }}

),

phones as (

    select * from {{ ref('int_contact_phones') }}

),

joined as (

    select
        contacts.*,
        people.person_key,
        phones.phone_e164

    from contacts
    inner join people
        on contacts.contact_key = people.contact_key
    left join phones
        on contacts.contact_key = phones.contact_key

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
        phone_e164,
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

    from joined

)

select * from final
