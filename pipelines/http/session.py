"""The HTTP session both sources use: bounded retries that respect the APIs' rate limits."""

import random
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import requests
from dlt.common.configuration import configspec
from dlt.common.configuration.specs import BaseConfiguration
from requests import Response
from tenacity import RetryCallState, Retrying, retry_any, retry_if_exception_type
from tenacity.retry import retry_base
from tenacity.stop import stop_base
from tenacity.wait import wait_base

# Throttling and server-side failures are worth another try; 4xx answers are not: a bad key
# or a missing contact does not get better by asking again.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRY_EXCEPTIONS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


@configspec
class HttpPolicy(BaseConfiguration):
    """Timeouts and retry bounds, from `[sources.http]`, or `[sources.<name>.http]` per API."""

    timeout: float = 30.0
    """Seconds to wait for a connection or a response."""
    max_attempts: int = 6
    """Attempts per request, the first included."""
    max_total_wait: float = 300.0
    """Seconds one request may spend waiting between attempts, in all."""
    backoff_factor: float = 1.0
    """The first backoff, in seconds; it doubles with each attempt."""
    max_backoff: float = 60.0
    """The longest single backoff, unless the API's Retry-After asks for longer."""


def retry_after_seconds(response: Response | None, now: datetime | None = None) -> float | None:
    """The wait a response's Retry-After asks for, in seconds, or None without one.

    The header is either delta-seconds or an HTTP date (RFC 9110, section 10.2.3).
    """
    if response is None:
        return None
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


def _response_of(retry_state: RetryCallState) -> Response | None:
    """The response of the last attempt, whether it came back or was raised in an HTTPError."""
    outcome = retry_state.outcome
    if outcome is None:
        return None
    if outcome.failed:
        error = outcome.exception()
        return getattr(error, "response", None)
    result = outcome.result()
    return result if isinstance(result, Response) else None


class retry_if_retryable_status(retry_base):
    def __call__(self, retry_state: RetryCallState) -> bool:
        response = _response_of(retry_state)
        return response is not None and response.status_code in RETRY_STATUSES


class wait_retry_after_or_backoff(wait_base):
    """Waits what Retry-After asks, at least; without one (or with 0), a jittered backoff.

    dlt's own `wait_exponential_retry_after` takes `Retry-After: 0` as "retry at once", which
    hammers a throttled API, and adds no jitter, so parallel clients retry in lockstep.
    """

    def __init__(self, policy: HttpPolicy) -> None:
        self.policy = policy

    def __call__(self, retry_state: RetryCallState) -> float:
        asked = retry_after_seconds(_response_of(retry_state))
        if asked:
            return asked
        ceiling = min(
            self.policy.max_backoff,
            self.policy.backoff_factor * 2 ** (retry_state.attempt_number - 1),
        )
        # "Equal jitter": never less than half the backoff, spread over the other half.
        return ceiling / 2 + random.uniform(0, ceiling / 2)


class stop_after_attempts_or_total_wait(stop_base):
    """Gives up after `max_attempts`, or before a wait that would exceed `max_total_wait`.

    Stopping instead of shortening the wait keeps the promise to honour Retry-After.
    """

    def __init__(self, policy: HttpPolicy) -> None:
        self.policy = policy

    def __call__(self, retry_state: RetryCallState) -> bool:
        if retry_state.attempt_number >= self.policy.max_attempts:
            return True
        planned = retry_state.idle_for + (retry_state.upcoming_sleep or 0.0)
        return planned > self.policy.max_total_wait


def retrying_session(policy: HttpPolicy) -> requests.Session:
    """A requests session whose `send` retries as `policy` says.

    The final failure is what the caller sees: the last response (for hooks to turn into an
    error) or the last exception.
    """
    session = requests.Session()
    retrying = Retrying(
        retry=retry_any(retry_if_retryable_status(), retry_if_exception_type(RETRY_EXCEPTIONS)),
        wait=wait_retry_after_or_backoff(policy),
        stop=stop_after_attempts_or_total_wait(policy),
        # When the attempts run out, the last outcome is the answer: its response, or its
        # exception raised again. (`reraise` would do nothing beside this callback.)
        retry_error_callback=lambda state: state.outcome.result(),
    )
    session.send = retrying.wraps(session.send)  # type: ignore[method-assign]
    return session
