"""dlt source for SprintMode's contacts API: every contact, incrementally."""

from typing import Any

import dlt
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import APIKeyAuth
from dlt.sources.helpers.rest_client.paginators import PageNumberPaginator
from requests import Response

from pipelines.api_errors import SourceApiError, json_body, response_checker
from pipelines.contact_pages import ExtractStats, contacts_resource

SOURCE_NAME = "sprintmode"
CONTACTS_PATH = "/api/contacts"
MAX_PAGE_SIZE = 100


def check_envelope(response: Response) -> SourceApiError | None:
    """Finds the error in a SprintMode answer.

    The docs define only the success shape `{ok: true, data: {items, total, page, limit,
    hasMore}}`; we take `{ok: false, error: "..."}` as the error shape, with any status,
    including 200.
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
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        return SourceApiError(SOURCE_NAME, "answer has no `data.items` list", response=response)
    return None


@dlt.source(name=SOURCE_NAME, section=SOURCE_NAME, max_table_nesting=0)
def sprintmode_source(
    base_url: str = dlt.config.value,
    api_key: str = dlt.secrets.value,
    page_size: int = MAX_PAGE_SIZE,
    stats: ExtractStats | None = None,
) -> Any:
    """SprintMode contacts.

    Args:
        base_url: API host, e.g. `https://api.sprintmode.ai`.
        api_key: sent as the `X-SM-Key` header.
        page_size: contacts per page; the API caps it at 100.
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
    )
    return contacts_resource(
        lambda: client.paginate(
            CONTACTS_PATH,
            params={"limit": page_size},
            hooks={"response": [response_checker(check_envelope)]},
        ),
        stats if stats is not None else ExtractStats(),
    )
