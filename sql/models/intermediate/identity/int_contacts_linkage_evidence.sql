with

contacts as (

    select * from {{ ref('int_contacts_marked_deleted') }}

),

phones as (

    select * from {{ ref('int_contact_phones') }}

),

nicknames as (

    select * from {{ ref('first_name_nicknames') }}

),

standardized as (

    select
        -- ids
        contacts.contact_key,
        contacts.source_system,

        -- strings
        {{ name_for_matching('contacts.first_name') }} as first_name_std,
        {{ name_for_matching('contacts.last_name') }} as last_name_std,
        -- A shared mailbox is no evidence that two contacts are one person.
        case when not contacts.is_role_mailbox then contacts.email end as email_std,
        case
            when contacts.email_domain not in (
                {%- for domain in var('personal_email_domains') -%}
                    '{{ domain }}'{{ ', ' if not loop.last }}
                {%- endfor -%}
            ) then contacts.email_domain
        end as work_domain,
        nullif(regexp_extract(contacts.linkedin_url, '/in/([^/]+)$', 1), '') as linkedin_handle,
        phones.phone_e164,
        -- Without its legal form, so that 'Acme Holdings, Inc.' is 'acme holdings'.
        nullif(
            regexp_replace(
                {{ text_for_matching('contacts.company_name') }},
                '(\s+({{ var("legal_forms") | join("|") }}))+$',
                ''
            ),
            ''
        ) as company_std,
        {{ text_for_matching('contacts.title') }} as title_std,
        {{ text_for_matching('contacts.department') }} as department_std,

        -- timestamps
        contacts.created_at

    from contacts
    left join phones
        on contacts.contact_key = phones.contact_key

),

canonical as (

    select
        standardized.*,
        -- Nicknames (Bob, Liz) compare as the name they stand for.
        coalesce(nicknames.canonical_first_name, standardized.first_name_std)
            as first_name_canonical,
        -- The company's name as one word, and the first label of the work domain: firms
        -- name their domain after themselves, often shortened ('acmeholdings' and
        -- 'acme.com'), which lets a company name meet a domain across the two systems.
        replace(standardized.company_std, ' ', '') as company_squashed,
        split_part(standardized.work_domain, '.', 1) as domain_label,
        -- The local part without a '+tag', for one username at two domains.
        nullif(regexp_replace(split_part(standardized.email_std, '@', 1), '\+.*$', ''), '')
            as email_username

    from standardized
    left join nicknames
        on standardized.first_name_std = nicknames.nickname

),

employers as (

    select
        *,
        left(coalesce(company_squashed, domain_label), 4) as employer_prefix

    from canonical

),

blocked as (

    select
        *,
        -- A pair of contacts is scored when it shares any of these keys.
        {{ capped_block_key('email_std') }} as email_block,
        {{ capped_block_key('linkedin_handle') }} as linkedin_block,
        {{ capped_block_key('phone_e164') }} as phone_block,
        -- In either order, so that swapped first and last names share it.
        {{ capped_block_key(
            "least(first_name_canonical, last_name_std) || ' ' "
            ~ "|| greatest(first_name_canonical, last_name_std)"
        ) }} as name_block,
        -- A name at an employer: the employer's first four letters, from the company name
        -- or else the domain, so that 'orbit.com' meets 'Orbit Mortgage'.
        {{ capped_block_key("last_name_std || '@' || employer_prefix") }}
            as last_name_employer_block,
        {{ capped_block_key("first_name_canonical || '@' || employer_prefix") }}
            as first_name_employer_block,
        {{ capped_block_key('email_username') }} as email_local_block

    from employers

),

final as (

    select
        -- ids
        contact_key,
        source_system,

        -- strings
        first_name_std,
        first_name_canonical,
        last_name_std,
        email_std,
        work_domain,
        linkedin_handle,
        phone_e164,
        company_std,
        company_squashed,
        domain_label,
        title_std,
        department_std,

        -- blocking keys
        email_block,
        linkedin_block,
        phone_block,
        name_block,
        last_name_employer_block,
        first_name_employer_block,
        email_local_block,

        -- timestamps
        created_at

    from blocked

)

select * from final
