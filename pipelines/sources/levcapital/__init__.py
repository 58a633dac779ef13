"""dlt source for LevCapital's external API v2: every connected contact, incrementally."""

from collections.abc import Iterator
from typing import Any

import dlt
from dlt.common.configuration import known_sections, with_config
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator

from pipelines.http.errors import response_checker
from pipelines.http.session import HttpPolicy, retrying_session
from pipelines.sources.contacts.listing import ListingStalled, Page, Probe
from pipelines.sources.contacts.resource import (
    ContactsApi,
    ExtractStats,
    KnownContacts,
    SyncPolicy,
    contacts_resources,
)
from pipelines.sources.levcapital.helpers import check_envelope, check_listing
from pipelines.sources.levcapital.settings import (
    CONTACT_CONTRACT,
    CONTACTS_PATH,
    MAX_PAGE_SIZE,
    SOURCE_NAME,
)


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
        The `contacts` resource, then those of its deletions and rejects tables.
    """
    client = contacts_client(base_url, api_key, origin_app, http)
    hooks = response_checker(check_listing)
    hooks_for_fetch = response_checker(check_envelope, expected_statuses=frozenset({404}))

    def list_pages() -> Iterator[Page]:
        for page in client.paginate(
            CONTACTS_PATH, params={"limit": page_size}, hooks=hooks, timeout=http.timeout
        ):
            pagination = page.response.json().get("pagination") or {}
            yield Page(
                list(page),
                pagination.get("total"),
                has_more=pagination.get("has_more"),
                limit=pagination.get("limit"),
                next_cursor=pagination.get("next_cursor"),
            )

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
    return contacts_resources(
        api,
        known if known is not None else KnownContacts(),
        sync,
        stats if stats is not None else ExtractStats(),
    )


def contacts_client(base_url: str, api_key: str, origin_app: str, http: HttpPolicy) -> RESTClient:
    """dlt's REST client for the API: its auth headers, cursor paginator and retries."""
    return RESTClient(
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


@with_config(sections=(known_sections.SOURCES, SOURCE_NAME))
def levcapital_probe(
    base_url: str = dlt.config.value,
    api_key: str = dlt.secrets.value,
    origin_app: str = "contacts-elt",
    http: HttpPolicy = None,
) -> Probe:
    """Asks for one contact, to prove the base URL, the key and the origin app.

    Its arguments resolve from the same configuration as `levcapital_source`'s. When more
    contacts follow, it asks for the second one with the cursor it was given, which shows a
    cursor that repeats or leads back, a bug that would stop the night's listing.

    Raises:
        SourceApiError: the API refused or broke its contract; `describe()` says why.
        ListingStalled: the second page repeats the cursor or the contact of the first.
        requests.RequestException: the API could not be reached.
    """
    client = contacts_client(base_url, api_key, origin_app, http)
    hooks = response_checker(check_listing)

    def page_of_one(cursor: Any = None) -> Page:
        params = {"limit": 1} if cursor is None else {"limit": 1, "cursor": cursor}
        body = client.get(CONTACTS_PATH, params=params, hooks=hooks, timeout=http.timeout).json()
        pagination = body.get("pagination") or {}
        return Page(
            body["data"],
            pagination.get("total"),
            has_more=pagination.get("has_more"),
            next_cursor=pagination.get("next_cursor"),
        )

    first = page_of_one()
    if first.has_more and first.next_cursor is not None:
        second = page_of_one(first.next_cursor)
        if second.next_cursor == first.next_cursor:
            raise ListingStalled("the API returned the same cursor twice", 2)
        if second.contacts and second.contacts == first.contacts:
            raise ListingStalled("the API's cursor led back to the first contact", 2)
    return Probe(base_url=base_url, total=first.total)
