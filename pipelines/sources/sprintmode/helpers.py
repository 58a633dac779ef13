"""Pure helpers of the sprintmode source: reading its answers' envelopes."""

from typing import Any

from requests import Response

from pipelines.http.errors import SourceApiError, json_body
from pipelines.sources.contacts.listing import Page
from pipelines.sources.sprintmode.settings import SOURCE_NAME


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
        fallback = (response.reason or "request failed") if response.status_code >= 400 else None
        return SourceApiError(
            SOURCE_NAME,
            str(message or fallback or "error envelope without a message"),
            response=response,
            status=response.status_code if response.status_code >= 400 else None,
        )
    if not isinstance(body, dict):
        what = "valid JSON" if body is None else "a JSON object"
        return SourceApiError(SOURCE_NAME, f"answer is not {what}", response=response)
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


def page_from_data(data: dict[str, Any]) -> Page:
    """A page of the listing from the `data` of its answer."""
    return Page(data["items"], data.get("total"), data.get("hasMore"), data.get("limit"))
