with

contacts as (

    select * from {{ ref('int_contacts_marked_deleted') }}

),

people as (

    select
        -- ids
        person_key,
        list(contact_key order by contact_key) as contact_keys,

        -- strings
        -- Contacts of one person share their email, or the person has only one contact.
        any_value(email) as email,
        -- Survivorship: a live contact with a value wins over a deleted one, then the most
        -- recently updated; contact_key breaks ties so that every run picks the same one.
        first(
            full_name order by is_deleted asc, updated_at desc nulls last, contact_key asc
        ) filter (where full_name is not null) as full_name,
        first(
            title order by is_deleted asc, updated_at desc nulls last, contact_key asc
        ) filter (where title is not null) as title,
        first(
            company_name order by is_deleted asc, updated_at desc nulls last, contact_key asc
        ) filter (where company_name is not null) as company_name,
        list(distinct source_system order by source_system) as source_systems,

        -- numerics
        count(*) as n_contacts,
        count(*) filter (where not is_deleted) as n_live_contacts,

        -- booleans
        bool_or(source_system = 'levcapital' and not is_deleted) as in_levcapital,
        bool_or(source_system = 'sprintmode' and not is_deleted) as in_sprintmode,
        bool_and(is_deleted) as is_deleted,

        -- timestamps
        min(created_at) as first_created_at,
        max(updated_at) as last_updated_at

    from contacts
    group by all

),

final as (

    select
        -- ids
        person_key,

        -- strings
        email,
        full_name,
        title,
        company_name,

        -- lists
        source_systems,
        contact_keys,

        -- numerics
        n_contacts,
        n_live_contacts,

        -- booleans
        in_levcapital,
        in_sprintmode,
        is_deleted,

        -- timestamps
        first_created_at,
        last_updated_at

    from people

)

select * from final
