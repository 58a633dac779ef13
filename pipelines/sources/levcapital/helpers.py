"""Pure helpers of the levcapital source: reading its answers' envelopes."""

from requests import Response

from pipelines.http.errors import SourceApiError, json_body
from pipelines.sources.levcapital.settings import SOURCE_NAME


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
