-- A table, not a view: two Python models and its tests read it, and its regular expressions
-- cost 3 s a read at 312k contacts.
{{ config(materialized='table') }}

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

standardized as {{ materialized_cte() }} (

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
        nullif({{ regexp_first_group('contacts.linkedin_url', "'/in/([^/]+)$'") }}, '')
            as linkedin_handle,
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

addresses as {{ materialized_cte() }} (

    select
        *,
        -- An address usually spells its owner's name ('holly.feast@', 'in/holly-feast'),
        -- even where a name field was mistyped or holds someone else's name. Its words of
        -- three letters or more, and its letters run together ('hollyfeast'), meet the
        -- other contact's names in the identity model. A handle's part with a digit is
        -- LinkedIn's suffix ('-e44e2ae'), not a name.
        {{ split_keeping(
            'email_username', "'[^" ~ letters() ~ "]+'", 'length(word) >= 3'
        ) }} as email_words,
        {{ split_keeping(
            'lower(linkedin_handle)',
            "'[-_.]+'",
            "length(word) >= 3 and not " ~ regexp_contains('word', "'[^" ~ letters() ~ "]'")
        ) }} as linkedin_words

    from employers

),

address_words as (

    select
        *,
        -- array_cat is DuckDB's list_concat too; either list may be null.
        array_cat(email_words, linkedin_words) as address_words,
        '|' || concat_ws(
            '|',
            regexp_replace(email_username, '[^{{ letters() }}]+', '', 'g'),
            nullif(array_to_string(linkedin_words, ''), '')
        ) || '|' as address_letters,
        -- An address of two words spells a first and a last name ('farndell.annabel'):
        -- the email's, else the LinkedIn handle's.
        case
            when {{ list_length('email_words') }} = 2 then email_words
            when {{ list_length('linkedin_words') }} = 2 then linkedin_words
        end as address_name_words

    from addresses

),

address_names as {{ materialized_cte() }} (

    select
        address_words.*,
        -- In either order, with a nickname as its name, as name_block has it.
        least(
            coalesce(first_word.canonical_first_name, address_words.address_name_words[1]),
            coalesce(second_word.canonical_first_name, address_words.address_name_words[2])
        ) || ' ' || greatest(
            coalesce(first_word.canonical_first_name, address_words.address_name_words[1]),
            coalesce(second_word.canonical_first_name, address_words.address_name_words[2])
        ) as address_name

    from address_words
    left join nicknames as first_word
        on address_words.address_name_words[1] = first_word.nickname
    left join nicknames as second_word
        on address_words.address_name_words[2] = second_word.nickname

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
        -- A name at an employer: the name's first three letters, so that a typo further
        -- on ('burford', 'burrord') still meets, and the employer's first four, from the
        -- company name or else the domain, so that 'orbit.com' meets 'Orbit Mortgage'.
        {{ capped_block_key("left(last_name_std, 3) || '@' || employer_prefix") }}
            as last_name_employer_block,
        {{ capped_block_key("left(first_name_canonical, 3) || '@' || employer_prefix") }}
            as first_name_employer_block,
        {{ capped_block_key('email_username') }} as email_local_block,
        -- Meets the name_block of the contact whose name the address spells.
        {{ capped_block_key('address_name') }} as address_name_block

    from address_names

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

        -- lists
        address_words,
        address_letters,

        -- blocking keys
        email_block,
        linkedin_block,
        phone_block,
        name_block,
        last_name_employer_block,
        first_name_employer_block,
        email_local_block,
        address_name_block,

        -- timestamps
        created_at

    from blocked

)

select * from final
