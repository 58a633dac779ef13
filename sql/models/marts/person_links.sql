{%- set comparisons = [
    'email', 'linkedin', 'phone', 'first_name', 'last_name', 'employer', 'title', 'department',
] -%}

with

pairs as (

    select * from {{ ref('int_contact_pairs') }}

),

people as (

    select * from {{ ref('int_person_clusters') }}

),

explained as (

    select
        -- ids
        pairs.contact_key_l,
        pairs.contact_key_r,
        people_l.person_key,

        -- strings
        -- What spoke for the link, strongest first, such as
        -- 'email exact +12.1, last_name exact +8.3': an analyst reads why two contacts
        -- are one person without knowing the model. What spoke against it follows.
        {{ evidence_text(comparisons, 'item.weight >= 0.5', 'DESC') }} as evidence_for,
        {{ evidence_text(comparisons, 'item.weight <= -0.5', 'ASC') }} as evidence_against,
        pairs.email_level,
        pairs.linkedin_level,
        pairs.phone_level,
        pairs.first_name_level,
        pairs.last_name_level,
        pairs.employer_level,
        pairs.title_level,
        pairs.department_level,

        -- numerics
        pairs.match_probability,
        pairs.match_weight,
        pairs.email_weight,
        pairs.linkedin_weight,
        pairs.phone_weight,
        pairs.first_name_weight,
        pairs.last_name_weight,
        pairs.employer_weight,
        pairs.title_weight,
        pairs.department_weight,

        -- booleans
        pairs.match_probability >= {{ var('identity_link_match_probability') }} as is_link,
        -- A link joins the two contacts' people unless the size guard kept them apart; a
        -- pair below the threshold can still be one person through other links.
        people_l.person_key = people_r.person_key as is_same_person

    from pairs
    inner join people as people_l
        on pairs.contact_key_l = people_l.contact_key
    inner join people as people_r
        on pairs.contact_key_r = people_r.contact_key

),

final as (

    select * from explained

)

select * from final
