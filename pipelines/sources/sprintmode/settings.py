"""Constants of SprintMode's contacts API: paths, limits and the documented contact object."""

from pipelines.sources.contacts.contract import ContactContract

SOURCE_NAME = "sprintmode"
CONTACTS_PATH = "/api/contacts"
MAX_PAGE_SIZE = 100
# Every field the docs name: the list example's, and those POST and PATCH accept. The docs give
# no object table, so the types are assumptions: ids, names and tags are strings,
# portal_access is 0 or 1, engagement_score an integer and enrichment_data an object.
CONTACT_CONTRACT = ContactContract(
    {
        "id": "text",
        "email": "text",
        "first_name": "text",
        "last_name": "text",
        "full_name": "text",
        "company_id": "text",
        "company_name": "text",
        "title": "text",
        "role": "text",
        "department": "text",
        "phone": "text",
        "contact_type": "text",
        "source": "text",
        "pipeline_stage": "text",
        "funnel_stage": "text",
        "engagement_score": "bigint",
        "last_engagement_at": "timestamp",
        "enrichment_status": "text",
        "enrichment_data": "json",
        "linkedin_url": "text",
        "photo_url": "text",
        "close_lead_id": "text",
        "close_contact_id": "text",
        "tags": "text",
        "notes": "text",
        "portal_access": "bigint",
        "portal_role": "text",
        "created_at": "timestamp",
        "updated_at": "timestamp",
    },
    # A number is never a name or an email; in `zip` or `phone` it is drift, and loads.
    strict_text=frozenset({"first_name", "last_name", "full_name", "email"}),
)
