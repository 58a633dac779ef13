"""Constants of LevCapital's external API v2: paths, limits and the documented contact object."""

from pipelines.sources.contacts.contract import ContactContract

SOURCE_NAME = "levcapital"
CONTACTS_PATH = "/api/external/v2/contacts"
MAX_PAGE_SIZE = 200
# The docs' Contact Object table, field by field; every field but the id may be null or absent.
CONTACT_CONTRACT = ContactContract(
    {
        "id": "bigint",
        "contact_type": "text",
        "first_name": "text",
        "last_name": "text",
        "email": "text",
        "title": "text",
        "department": "text",
        "address": "text",
        "city": "text",
        "state": "text",
        "zip": "text",
        "linkedin_url": "text",
        "is_primary": "bool",
        "owner_account_id": "bigint",
        "is_connected": "bool",
        "created_at": "timestamp",
        "updated_at": "timestamp",
    },
    # A number is never a name or an email; in `zip` or `phone` it is drift, and loads.
    strict_text=frozenset({"first_name", "last_name", "email"}),
)
