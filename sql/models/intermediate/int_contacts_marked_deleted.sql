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

    -- A contact is deleted while the loader keeps a tombstone for it: the API stopped
    -- listing it. The raw contact keeps its last known values, and so does this row.
    select
        {{ contact_columns(relation='contacts', after={
            'is_role_mailbox': ['deletions.contact_key is not null as is_deleted'],
            'updated_at': ['deletions.deleted_at'],
        }) }}

    from contacts
    left join deletions
        on contacts.contact_key = deletions.contact_key

),

final as (

    select * from marked

)

select * from final
