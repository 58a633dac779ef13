"""dlt source for LevCapital's external API v2: every connected contact, incrementally."""

from typing import Any

import dlt
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator
from requests import Response

from pipelines.api_errors import SourceApiError, json_body, response_checker
from pipelines.contact_pages import ExtractStats, contacts_resource

SOURCE_NAME = "levcapital"
CONTACTS_PATH = "/api/external/v2/contacts"
MAX_PAGE_SIZE = 200


def check_envelope(response: Response) -> SourceApiError | None:
    """Finds the error in a LevCapital answer: `{request_id, error: {status, type, message}}`."""
    body = json_body(response)
    if response.status_code >= 400:
        error = body.get("error") if isinstance(body, dict) else None
        error = error if isinstance(error, dict) else {}
        return SourceApiError(
            SOURCE_NAME,
            error.get("message") or response.reason or "request failed",
            response=response,
            status=response.status_code,
            error_type=error.get("type"),
            request_id=body.get("request_id") if isinstance(body, dict) else None,
        )
    if not isinstance(body, dict):
        return SourceApiError(SOURCE_NAME, "answer is not valid JSON", response=response)
    if not isinstance(body.get("data"), list | dict):
        return SourceApiError(
            SOURCE_NAME,
            "answer has no `data`",
            response=response,
            request_id=body.get("request_id"),
        )
    return None


@dlt.source(name=SOURCE_NAME, section=SOURCE_NAME, max_table_nesting=0)
def levcapital_source(
    base_url: str = dlt.config.value,
    api_key: str = dlt.secrets.value,
    origin_app: str = "contacts-elt",
    page_size: int = MAX_PAGE_SIZE,
    stats: ExtractStats | None = None,
) -> Any:
    """LevCapital contacts.

    Args:
        base_url: API host, e.g. `https://api.levcapital.com`.
        api_key: Bearer token.
        origin_app: sent as `X-Origin-App`, which the API uses to tell integrations apart.
        page_size: contacts per page, 1 to 200.
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
    )
    return contacts_resource(
        lambda: client.paginate(
            CONTACTS_PATH,
            params={"limit": page_size},
            hooks={"response": [response_checker(check_envelope)]},
        ),
        stats if stats is not None else ExtractStats(),
    )
