with

source as (

    select * from {{ source_or_empty('sprintmode', 'contacts') }}

),

cleaned as (

    select
        -- ids
        cast(id as varchar) as contact_id,
        {{ clean_string('company_id') }} as company_id,
        {{ clean_string('close_lead_id') }} as close_lead_id,
        {{ clean_string('close_contact_id') }} as close_contact_id,

        -- strings
        {{ clean_string('first_name') }} as first_name,
        {{ clean_string('last_name') }} as last_name,
        {{ clean_string('full_name') }} as given_full_name,
        {{ normalize_email('email') }} as email,
        {{ clean_string('phone') }} as phone,
        {{ clean_string('title') }} as title,
        {{ clean_string('role') }} as role,
        {{ clean_string('department') }} as department,
        {{ clean_string('company_name') }} as company_name,
        {{ clean_string('contact_type') }} as contact_type,
        {{ clean_string('source') }} as source,
        {{ clean_string('pipeline_stage') }} as pipeline_stage,
        {{ clean_string('funnel_stage') }} as funnel_stage,
        {{ clean_string('enrichment_status') }} as enrichment_status,
        {{ normalize_linkedin_url('linkedin_url') }} as linkedin_url,
        {{ clean_string('photo_url') }} as photo_url,
        {{ clean_string('portal_role') }} as portal_role,
        {{ clean_string('notes') }} as notes,
        {{ split_tags('tags') }} as tags,

        -- numerics
        cast(engagement_score as bigint) as engagement_score,

        -- json
        cast(enrichment_data as json) as enrichment_data,

        -- booleans
        -- Not cast(... as boolean), which PostgreSQL has for integer but not for bigint.
        portal_access != 0 as has_portal_access,

        -- timestamps
        {{ to_utc_timestamp('created_at') }} as created_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        {{ to_utc_timestamp('last_engagement_at') }} as last_engagement_at,

        -- metadata
        {{ epoch_to_timestamp('_dlt_load_id') }} as loaded_at

    from source

),

final as (

    select
        -- ids
        contact_id,
        company_id,
        close_lead_id,
        close_contact_id,

        -- strings
        first_name,
        last_name,
        {{ full_name('first_name', 'last_name', 'given_full_name') }} as full_name,
        email,
        {{ email_domain('email') }} as email_domain,
        phone,
        title,
        role,
        department,
        company_name,
        contact_type,
        source,
        pipeline_stage,
        funnel_stage,
        enrichment_status,
        linkedin_url,
        photo_url,
        portal_role,
        notes,
        tags,

        -- numerics
        engagement_score,

        -- json
        enrichment_data,

        -- booleans
        has_portal_access,

        -- timestamps
        created_at,
        updated_at,
        last_engagement_at,

        -- metadata
        loaded_at

    from cleaned

)

select * from final
