with

contacts as (

    select * from {{ ref('int_contacts_unioned') }}

),

levcapital_deletions as (

    select * from {{ ref('stg_levcapital__contact_deletions') }}

),

sprintmode_deletions as (

    select * from {{ ref('stg_sprintmode__contact_deletions') }}

),

deletions as (

    select * from levcapital_deletions
    union all
    select * from sprintmode_deletions

),

marked as (

    select
        -- ids
        contacts.contact_key,
        contacts.source_system,
        contacts.source_contact_id,

        -- strings
        contacts.first_name,
        contacts.last_name,
        contacts.full_name,
        contacts.email,
        contacts.email_domain,
        contacts.phone,
        contacts.title,
        contacts.department,
        contacts.company_id,
        contacts.company_name,
        contacts.contact_type,
        contacts.source,
        contacts.portal_role,
        contacts.linkedin_url,
        contacts.address,
        contacts.city,
        contacts.state,
        contacts.zip,

        -- booleans
        contacts.is_primary,
        contacts.is_connected,
        contacts.has_portal_access,
        contacts.is_role_mailbox,
        -- A contact is deleted while the loader keeps a tombstone for it: the API stopped
        -- listing it. The raw contact keeps its last known values, and so does this row.
        deletions.contact_key is not null as is_deleted,

        -- lists
        contacts.tags,

        -- timestamps
        contacts.created_at,
        contacts.updated_at,
        deletions.deleted_at,

        -- metadata
        contacts.loaded_at

    from contacts
    left join deletions
        on contacts.contact_key = deletions.contact_key

),

final as (

    select * from marked

)

select * from final
