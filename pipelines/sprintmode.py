"""dlt source for SprintMode's contacts API: every contact, incrementally."""

import math
from collections.abc import Iterator
from typing import Any

import dlt
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import APIKeyAuth
from dlt.sources.helpers.rest_client.paginators import PageNumberPaginator
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
from pipelines.page_fetching import AdaptiveConcurrency, fan_out

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


def check_envelope(response: Response) -> SourceApiError | None:
    """Finds the error in a SprintMode answer.

    The docs define only the success shape `{ok: true, data: ...}`; we take
    `{ok: false, error: "..."}` as the error shape, with any status, including 200.
    """
    body = json_body(response)
    if response.status_code >= 400 or (isinstance(body, dict) and body.get("ok") is False):
        message = body.get("error") if isinstance(body, dict) else None
        if isinstance(message, dict):
            message = message.get("message")
        return SourceApiError(
            SOURCE_NAME,
            str(message or response.reason or "request failed"),
            response=response,
            status=response.status_code if response.status_code >= 400 else None,
        )
    if not isinstance(body, dict):
        return SourceApiError(SOURCE_NAME, "answer is not valid JSON", response=response)
    data = body.get("data")
    if not isinstance(data, dict):
        return SourceApiError(SOURCE_NAME, "answer has no `data` object", response=response)
    return None


def check_listing(response: Response) -> SourceApiError | None:
    """As `check_envelope`, and a page of the listing must carry `data.items`."""
    error = check_envelope(response)
    if error is None and not isinstance(response.json()["data"].get("items"), list):
        error = SourceApiError(SOURCE_NAME, "answer has no `data.items` list", response=response)
    return error


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
        The `contacts` resource.
    """
    client = RESTClient(
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
        return _page(response.json()["data"])

    def list_pages() -> Iterator[Page]:
        if page_concurrency <= 1:
            for page in client.paginate(
                CONTACTS_PATH, params={"limit": page_size}, hooks=hooks, timeout=http.timeout
            ):
                yield _page(page.response.json()["data"])
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
    return contacts_resource(
        api,
        known if known is not None else KnownContacts(),
        sync,
        stats if stats is not None else ExtractStats(),
    )


def _page(data: dict[str, Any]) -> Page:
    return Page(data["items"], data.get("total"), data.get("hasMore"), data.get("limit"))
