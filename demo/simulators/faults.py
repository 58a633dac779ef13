"""Fault rules that make a simulator misbehave on purpose, and the queue that hands them out."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Any

FAULT_KINDS = ("status", "reset", "delay", "malformed_json", "body")


@dataclass
class Fault:
    """One way to misbehave, applied to the API requests it matches.

    Attributes:
        kind: "status" (that status with the API's own error envelope), "reset" (close the TCP
            connection without any response), "delay" (sleep `seconds`, then answer normally),
            "malformed_json" (200 with the real body truncated) or "body" (`status` with `body`).
        status: HTTP status for "status" (required) and "body" (default 200).
        retry_after: Value of a Retry-After header; None sends none.
        seconds: How long "delay" sleeps.
        body: For "body": str or bytes are sent as they are, anything else as JSON.
        method: Only requests with this method match; None matches any.
        path: Only requests to this exact path (no query string) match; None matches any.
        page: Only list requests for this 1-based page of a listing match; None matches any.
        times: How many matching requests it hits before it is used up; None means forever.
        after: How many matching requests it lets through before it starts hitting.
    """

    kind: str
    status: int | None = None
    retry_after: str | None = None
    seconds: float = 0.0
    body: Any = None
    method: str | None = None
    path: str | None = None
    page: int | None = None
    times: int | None = 1
    after: int = 0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {', '.join(FAULT_KINDS)}")
        if self.kind == "status" and self.status is None:
            raise ValueError("a status fault needs a status")
        if self.kind == "body" and self.status is None:
            self.status = 200
        if self.status is not None:
            self.status = int(self.status)
        if self.status is not None and not 100 <= self.status <= 599:
            raise ValueError("status must be between 100 and 599")
        if self.retry_after is not None:
            self.retry_after = str(self.retry_after)
        if self.method is not None:
            self.method = self.method.upper()
        if self.times is not None and self.times < 1:
            raise ValueError("times must be at least 1, or None for forever")
        if self.after < 0 or self.seconds < 0:
            raise ValueError("after and seconds cannot be negative")

    def matches(self, method: str, path: str, page: int | None) -> bool:
        """Whether a request with this method, path and list page (None if not a list) matches."""
        return (
            (self.method is None or self.method == method)
            and (self.path is None or self.path == path)
            and (self.page is None or self.page == page)
        )


@dataclass(eq=False)
class _ArmedFault:
    fault: Fault
    seen: int = 0
    hits: int = 0


class FaultQueue:
    """Thread-safe, ordered fault rules; each one counts its own matching requests.

    Every rule that matches a request counts it (that is what `after` skips), and the first rule
    past its `after` hits it. A rule is dropped once it has hit `times` requests.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: list[_ArmedFault] = []

    def add(self, fault: Fault) -> Fault:
        """Appends a rule and returns it."""
        with self._lock:
            self._armed.append(_ArmedFault(fault))
        return fault

    def clear(self) -> None:
        """Drops every rule."""
        with self._lock:
            self._armed.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._armed)

    def pending(self) -> list[dict[str, Any]]:
        """Returns the rules still queued, with how many requests each has seen and hit."""
        with self._lock:
            return [
                {**asdict(armed.fault), "seen": armed.seen, "hits": armed.hits}
                for armed in self._armed
            ]

    def take(self, method: str, path: str, page: int | None) -> Fault | None:
        """Counts a request against the rules and returns the one that hits it, if any."""
        with self._lock:
            chosen: _ArmedFault | None = None
            for armed in self._armed:
                if not armed.fault.matches(method, path, page):
                    continue
                armed.seen += 1
                if chosen is None and armed.seen > armed.fault.after:
                    chosen = armed
            if chosen is None:
                return None
            chosen.hits += 1
            if chosen.fault.times is not None and chosen.hits >= chosen.fault.times:
                self._armed.remove(chosen)
            return chosen.fault
