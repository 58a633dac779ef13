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

    -- A contact's columns (macros/contact_columns.sql), with its person and its phone in
    -- E.164 beside the others, and whether it is deleted with the metadata.
    select
        {{ contact_columns(after={
            'source_contact_id': ['person_key'],
            'phone': ['phone_e164'],
            'updated_at': ['is_deleted', 'deleted_at'],
        }) }}

    from joined

)

select * from final
