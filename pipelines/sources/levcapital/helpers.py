"""Pure helpers of the levcapital source: reading its answers' envelopes."""

from requests import Response

from pipelines.http.errors import SourceApiError, json_body
from pipelines.sources.levcapital.settings import SOURCE_NAME


def check_envelope(response: Response) -> SourceApiError | None:
    """Finds the error in a LevCapital answer: `{request_id, error: {status, type, message}}`."""
    body = json_body(response)
    error = body.get("error") if isinstance(body, dict) else None
    # The envelope can carry an error on a 200 too; its own message says more than "no data".
    if response.status_code >= 400 or isinstance(error, dict) or (isinstance(error, str) and error):
        message = error if isinstance(error, str) else None
        error = error if isinstance(error, dict) else {}
        fallback = (response.reason or "request failed") if response.status_code >= 400 else None
        return SourceApiError(
            SOURCE_NAME,
            error.get("message") or message or fallback or "error envelope without a message",
            response=response,
            status=response.status_code if response.status_code >= 400 else None,
            error_type=error.get("type"),
            request_id=body.get("request_id") if isinstance(body, dict) else None,
        )
    if not isinstance(body, dict):
        what = "valid JSON" if body is None else "a JSON object"
        return SourceApiError(SOURCE_NAME, f"answer is not {what}", response=response)
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
