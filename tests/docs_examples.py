"""The contacts that the API docs print, as they print them: data we did not generate.

LevCapital's list example (Sarah Chen) and create example (James Rodriguez), and SprintMode's
list example (Jane Smith), which shows only some fields and no timestamps.
"""

DOCS_SARAH_CHEN = {
    "id": 78,
    "contact_type": "lender_contact",
    "first_name": "Sarah",
    "last_name": "Chen",
    "email": "schen@meridiancapital.com",
    "title": "Senior Vice President",
    "department": "Originations",
    "address": "1 Battery Park Plaza",
    "city": "New York",
    "state": "NY",
    "zip": "10004",
    "linkedin_url": "https://linkedin.com/in/sarah-chen-cre",
    "is_primary": True,
    "is_connected": True,
    "owner_account_id": 56,
    "created_at": "2025-09-01T11:00:00Z",
    "updated_at": "2026-02-20T16:45:00Z",
}

DOCS_JAMES_RODRIGUEZ = {
    "id": 142,
    "contact_type": "lender_contact",
    "first_name": "James",
    "last_name": "Rodriguez",
    "email": "jrodriguez@eastdilsecured.com",
    "title": "Managing Director",
    "department": "Debt Capital Markets",
    "address": "40 West 57th Street",
    "city": "New York",
    "state": "NY",
    "zip": "10019",
    "linkedin_url": "https://linkedin.com/in/james-rodriguez-cre",
    "is_primary": False,
    "is_connected": False,
    "owner_account_id": 56,
    "created_at": "2026-03-20T15:30:45Z",
    "updated_at": "2026-03-20T15:30:45Z",
}

DOCS_JANE_SMITH = {
    "id": "ct_a1b2c3d4",
    "email": "jane@acme.com",
    "full_name": "Jane Smith",
    "company_id": "co_e5f6g7",
    "company_name": "Acme Corp",
    "contact_type": "client",
    "portal_access": 1,
    "portal_role": "client_admin",
}
