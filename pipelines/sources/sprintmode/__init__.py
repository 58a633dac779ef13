"""dlt source for SprintMode's contacts API: every contact, incrementally."""

import math
from collections.abc import Iterator
from typing import Any

import dlt
from dlt.common.configuration import known_sections, with_config
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import APIKeyAuth
from dlt.sources.helpers.rest_client.paginators import PageNumberPaginator
from requests import Response

from pipelines.http.errors import response_checker
from pipelines.http.paging import AdaptiveConcurrency, fan_out
from pipelines.http.session import HttpPolicy, retrying_session
from pipelines.sources.contacts.listing import Page, Probe
from pipelines.sources.contacts.resource import (
    ContactsApi,
    ExtractStats,
    KnownContacts,
    SyncPolicy,
    contacts_resources,
)
from pipelines.sources.sprintmode.helpers import check_envelope, check_listing, page_from_data
from pipelines.sources.sprintmode.settings import (
    CONTACT_CONTRACT,
    CONTACTS_PATH,
    MAX_PAGE_SIZE,
    SOURCE_NAME,
)


@dlt.source(name=SOURCE_NAME, section=SOURCE_NAME, max_table_nesting=0)
def sprintmode_source(
    base_url: str = dlt.config.value,
    api_key: str = dlt.secrets.value,
    page_size: int = MAX_PAGE_SIZE,
    page_concurrency: int = 8,
    http: HttpPolicy = None,
    sync: SyncPolicy = None,
    known: KnownContacts | None = None,
    stats: ExtractStats | None = None,
) -> Any:
    """SprintMode contacts.

    Args:
        base_url: API host, e.g. `https://api.sprintmode.ai`.
        api_key: sent as the `X-SM-Key` header.
        page_size: contacts per page; the API caps it at 100.
        page_concurrency: pages requested at once once the first page told the total; 1
            reads them one after the other with dlt's page-number paginator.
        http: timeouts and retries, from `[sources.http]`.
        sync: lag window and listing retries, from `[sources.sync]`.
        known: the ids already in the destination, to tell which contacts are gone.
        stats: counts pages and contacts as they are read, when given.

    Returns:
        The `contacts` resource, then those of its deletions and rejects tables.
    """
    client = contacts_client(base_url, api_key, http)
    concurrency = AdaptiveConcurrency(page_concurrency)

    def observe_throttling(response: Response, *args: Any, **kwargs: Any) -> None:
        # Every answer, each retry's included, tells the fan-out whether the API throttles.
        concurrency.observe(response.status_code)

    hooks = response_checker(check_listing)
    hooks["response"].insert(0, observe_throttling)
    hooks_for_fetch = response_checker(check_envelope, expected_statuses=frozenset({404}))

    def fetch_page(number: int) -> Page:
        response = client.get(
            CONTACTS_PATH,
            params={"page": number, "limit": page_size},
            hooks=hooks,
            timeout=http.timeout,
        )
        return page_from_data(response.json()["data"])

    def list_pages() -> Iterator[Page]:
        if page_concurrency <= 1:
            for page in client.paginate(
                CONTACTS_PATH, params={"limit": page_size}, hooks=hooks, timeout=http.timeout
            ):
                yield page_from_data(page.response.json()["data"])
            return
        # dlt's paginator cannot fan out: it learns of page n+1 from page n. SprintMode's
        # first page gives the total, so the other pages can all be asked for at once.
        first = fetch_page(1)
        # The answer's limit is what the API served, should it cap what we asked for.
        served_size = first.limit or page_size
        total = first.total or 0
        last = first
        for last in fan_out(fetch_page, first, total, served_size, concurrency):
            yield last
        number = math.ceil(total / served_size) + 1
        while last.has_more and last.contacts:
            # The listing grew while we read it: read on, as the sequential paginator would.
            last = fetch_page(number)
            number += 1
            yield last

    def fetch_contact(contact_id: Any) -> dict[str, Any] | None:
        response = client.get(
            f"{CONTACTS_PATH}/{contact_id}", hooks=hooks_for_fetch, timeout=http.timeout
        )
        return None if response.status_code == 404 else response.json()["data"]

    api = ContactsApi(list_pages=list_pages, fetch_contact=fetch_contact, contract=CONTACT_CONTRACT)
    return contacts_resources(
        api,
        known if known is not None else KnownContacts(),
        sync,
        stats if stats is not None else ExtractStats(),
    )


def contacts_client(base_url: str, api_key: str, http: HttpPolicy) -> RESTClient:
    """dlt's REST client for the API: its key header, page-number paginator and retries."""
    return RESTClient(
        base_url=base_url,
        auth=APIKeyAuth(name="X-SM-Key", api_key=api_key, location="header"),
        # `data.total` counts contacts, not pages, so it must not be read as a page count.
        paginator=PageNumberPaginator(
            base_page=1,
            page_param="page",
            total_path=None,
            has_more_path="data.hasMore",
            stop_after_empty_page=True,
        ),
        data_selector="data.items",
        session=retrying_session(http),
    )


@with_config(sections=(known_sections.SOURCES, SOURCE_NAME))
def sprintmode_probe(
    base_url: str = dlt.config.value,
    api_key: str = dlt.secrets.value,
    http: HttpPolicy = None,
) -> Probe:
    """Asks for one contact, to prove the base URL and the key.

    Its arguments resolve from the same configuration as `sprintmode_source`'s. It also asks
    for the page past the last, which shows a page number clamped to the last page.

    Raises:
        SourceApiError: the API refused or broke its contract; `describe()` says why.
        requests.RequestException: the API could not be reached.
    """
    client = contacts_client(base_url, api_key, http)
    hooks = response_checker(check_listing)

    def page_of_one(number: int) -> Page:
        params = {"page": number, "limit": 1}
        response = client.get(CONTACTS_PATH, params=params, hooks=hooks, timeout=http.timeout)
        return page_from_data(response.json()["data"])

    first = page_of_one(1)
    note = None
    if first.total and page_of_one(first.total + 1).contacts:
        note = (
            f"page {first.total + 1:,} of one contact, past the last, repeats contacts: a night "
            "takes its listing as complete once every contact of the total is read"
        )
    return Probe(base_url=base_url, total=first.total, note=note)
