"""dlt source for LevCapital's external API v2: every connected contact, incrementally."""

from collections.abc import Iterator
from typing import Any

import dlt
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator
from requests import Response

from pipelines.api_errors import SourceApiError, json_body, response_checker
from pipelines.contact_contract import ContactContract
from pipelines.contacts_resource import (
    ContactsApi,
    ExtractStats,
    KnownContacts,
    Page,
    SyncPolicy,
    contacts_resource,
)
from pipelines.http_session import HttpPolicy, retrying_session

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


def check_envelope(response: Response) -> SourceApiError | None:
    """Finds the error in a LevCapital answer: `{request_id, error: {status, type, message}}`."""
    body = json_body(response)
    error = body.get("error") if isinstance(body, dict) else None
    # The envelope can carry an error on a 200 too; its own message says more than "no data".
    if response.status_code >= 400 or isinstance(error, dict):
        error = error if isinstance(error, dict) else {}
        return SourceApiError(
            SOURCE_NAME,
            error.get("message") or response.reason or "request failed",
            response=response,
            status=response.status_code if response.status_code >= 400 else None,
            error_type=error.get("type"),
            request_id=body.get("request_id") if isinstance(body, dict) else None,
        )
    if not isinstance(body, dict):
        return SourceApiError(SOURCE_NAME, "answer is not valid JSON", response=response)
    if not isinstance(body.get("data"), dict | list):
        return SourceApiError(
            SOURCE_NAME,
            "answer has no `data`",
            response=response,
            request_id=body.get("request_id"),
        )
    return None


def check_listing(response: Response) -> SourceApiError | None:
    """As `check_envelope`, and a page of the listing must carry a `data` list."""
    error = check_envelope(response)
    if error is None and not isinstance(response.json()["data"], list):
        error = SourceApiError(SOURCE_NAME, "answer has no `data` list", response=response)
    return error


@dlt.source(name=SOURCE_NAME, section=SOURCE_NAME, max_table_nesting=0)
def levcapital_source(
    base_url: str = dlt.config.value,
    api_key: str = dlt.secrets.value,
    origin_app: str = "contacts-elt",
    page_size: int = MAX_PAGE_SIZE,
    http: HttpPolicy = None,
    sync: SyncPolicy = None,
    known: KnownContacts | None = None,
    stats: ExtractStats | None = None,
) -> Any:
    """LevCapital contacts.

    Args:
        base_url: API host, e.g. `https://api.levcapital.com`.
        api_key: Bearer token.
        origin_app: sent as `X-Origin-App`, which the API uses to tell integrations apart.
        page_size: contacts per page, 1 to 200.
        http: timeouts and retries, from `[sources.http]`.
        sync: lag window and listing retries, from `[sources.sync]`.
        known: the ids already in the destination, to tell which contacts are gone.
        stats: counts pages and contacts as they are read, when given.

    Returns:
        The `contacts` resource.
    """
    client = RESTClient(
        base_url=base_url,
        headers={"X-Origin-App": origin_app},
        auth=BearerTokenAuth(api_key),
        paginator=JSONResponseCursorPaginator(
            cursor_path="pagination.next_cursor",
            cursor_param="cursor",
            has_more_path="pagination.has_more",
        ),
        data_selector="data",
        session=retrying_session(http),
    )
    hooks = response_checker(check_listing)
    hooks_for_fetch = response_checker(check_envelope, expected_statuses=frozenset({404}))

    def list_pages() -> Iterator[Page]:
        for page in client.paginate(
            CONTACTS_PATH, params={"limit": page_size}, hooks=hooks, timeout=http.timeout
        ):
            pagination = page.response.json().get("pagination") or {}
            yield Page(list(page), pagination.get("total"))

    def fetch_contact(contact_id: Any) -> dict[str, Any] | None:
        # The API answers for any contact of the account, but lists only connected ones.
        response = client.get(
            f"{CONTACTS_PATH}/{contact_id}", hooks=hooks_for_fetch, timeout=http.timeout
        )
        if response.status_code == 404:
            return None
        contact = response.json()["data"]
        return contact if contact.get("is_connected") else None

    api = ContactsApi(list_pages=list_pages, fetch_contact=fetch_contact, contract=CONTACT_CONTRACT)
    return contacts_resource(
        api,
        known if known is not None else KnownContacts(),
        sync,
        stats if stats is not None else ExtractStats(),
    )
