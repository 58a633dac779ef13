with

contacts as (

    select * from {{ ref('contacts') }}

),

ranked as (

    select
        *,
        {{ survivor_rank() }} as survivor_rank,
        -- A shared mailbox is the person's email only when no contact has another.
        {{ survivor_rank(first_by='is_role_mailbox') }} as email_survivor_rank

    from contacts

),

people as (

    select
        -- ids
        person_key,
        {{ sorted_list('contact_key') }} as contact_keys,

        -- strings
        -- Survivorship: each field from the person's best contact that has it (live before
        -- deleted, then the most recently updated), and which contact that was.
        {{ surviving('email', rank='email_survivor_rank') }} as email,
        {{ surviving_source('email', rank='email_survivor_rank') }} as email_source_contact_key,
        {{ surviving('full_name') }} as full_name,
        {{ surviving_source('full_name') }} as full_name_source_contact_key,
        {{ surviving('title') }} as title,
        {{ surviving_source('title') }} as title_source_contact_key,
        {{ surviving('company_name') }} as company_name,
        {{ surviving_source('company_name') }} as company_name_source_contact_key,
        -- E.164 when the number parses, else as typed.
        {{ surviving('phone', value='coalesce(phone_e164, phone)') }} as phone,
        {{ surviving_source('phone') }} as phone_source_contact_key,
        {{ surviving('linkedin_url') }} as linkedin_url,
        {{ surviving_source('linkedin_url') }} as linkedin_url_source_contact_key,
        {{ sorted_list('source_system', distinct=true) }} as source_systems,

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

    from ranked
    -- Not `group by all`, which PostgreSQL lacks. sqlfluff's AM06 counts the `order by` of
    -- the ranks' windows as this clause's peers and finds them inconsistent.
    group by person_key  -- noqa: AM06

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
        phone,
        linkedin_url,

        -- provenance
        email_source_contact_key,
        full_name_source_contact_key,
        title_source_contact_key,
        company_name_source_contact_key,
        phone_source_contact_key,
        linkedin_url_source_contact_key,

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
