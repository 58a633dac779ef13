with

levcapital as (

    select * from {{ ref('stg_levcapital__contacts') }}

),

sprintmode as (

    select * from {{ ref('stg_sprintmode__contacts') }}

),

-- Each source on the columns of a contact (macros/contact_columns.sql), in their order, with
-- the keys the marts share; a field the source does not have is null, or [] for tags.

levcapital_aligned as (

    select
        {{ contact_columns(
            values={
                'contact_key': contact_key("'levcapital'", 'contact_id'),
                'source_system': "'levcapital'",
                'source_contact_id': 'contact_id',
                'is_role_mailbox': is_role_mailbox('email'),
            },
            absent=[
                'phone', 'company_id', 'company_name', 'source', 'portal_role',
                'has_portal_access', 'tags',
            ],
        ) }}

    from levcapital

),

sprintmode_aligned as (

    select
        {{ contact_columns(
            values={
                'contact_key': contact_key("'sprintmode'", 'contact_id'),
                'source_system': "'sprintmode'",
                'source_contact_id': 'contact_id',
                'is_role_mailbox': is_role_mailbox('email'),
            },
            absent=['address', 'city', 'state', 'zip', 'is_primary', 'is_connected'],
        ) }}

    from sprintmode

),

unioned as (

    select * from levcapital_aligned
    union all
    select * from sprintmode_aligned

),

final as (

    select * from unioned

)

select * from final
