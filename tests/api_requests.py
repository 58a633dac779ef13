"""What a test client of the simulators sends and expects: keys, headers, paths, field order."""

LEV_KEY = "lev-test-key"
SM_KEY = "sm-test-key"
LEV_HEADERS = {"Authorization": f"Bearer {LEV_KEY}", "X-Origin-App": "contacts-elt-tests"}
SM_HEADERS = {"X-SM-Key": SM_KEY}
LEV_CONTACTS = "/api/external/v2/contacts"
SM_CONTACTS = "/api/contacts"

LEV_FIELD_ORDER = [
    "id", "contact_type", "first_name", "last_name", "email", "title", "department", "address",
    "city", "state", "zip", "linkedin_url", "is_primary", "owner_account_id", "is_connected",
    "created_at", "updated_at",
]  # fmt: skip
SM_FIELD_ORDER = [
    "id", "email", "first_name", "last_name", "full_name", "company_id", "company_name", "title",
    "role", "department", "phone", "contact_type", "source", "pipeline_stage", "funnel_stage",
    "engagement_score", "last_engagement_at", "enrichment_status", "enrichment_data",
    "linkedin_url", "photo_url", "close_lead_id", "close_contact_id", "tags", "notes",
    "portal_access", "portal_role", "created_at", "updated_at",
]  # fmt: skip
