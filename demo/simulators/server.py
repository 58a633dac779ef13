"""Loopback HTTP machinery shared by both simulators: serving, request log, faults, throttling."""

from __future__ import annotations

import contextlib
import json
import math
import re
import socket
import struct
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Self
from urllib.parse import parse_qsl, urlsplit

from demo.simulators.clock import Clock
from demo.simulators.faults import Fault, FaultQueue
from demo.simulators.shapes import LIST_SHAPES, OMIT, ListShape

CONTROL_PREFIX = "/_sim/"
_CONTACT_CONTROL = re.compile(r"/_sim/contacts/([^/]+)/(delete|corrupt|repair)")
_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class RecordedRequest:
    """One API request as the simulator saw it.

    Attributes:
        method: HTTP method.
        path: URL path without the query string.
        query: Query parameters (the last value wins when one is repeated).
        headers: Request headers, keys in lower case.
        status: Status answered; 0 when a "reset" fault dropped the connection instead.
        received_at: `time.monotonic()` when the request arrived (ignored by ==).
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    status: int
    received_at: float = field(default=0.0, compare=False)


@dataclass
class ApiRequest:
    """A parsed HTTP request handed to a simulator's routes."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""


@dataclass
class ApiResponse:
    """What a route answers: a JSON payload, or raw bytes when `raw` is set."""

    status: int
    payload: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None

    def encode(self) -> bytes:
        """Returns the response body as bytes."""
        if self.raw is not None:
            return self.raw
        try:
            return json.dumps(self.payload, ensure_ascii=False).encode()
        except UnicodeEncodeError:
            # A lone surrogate (a value a client broke) has no UTF-8 form; JSON's \ud800
            # escape is how a server sends it.
            return json.dumps(self.payload).encode()


class ConnectionReset:
    """Marker answer: drop the connection without sending anything."""


CONNECTION_RESET = ConnectionReset()


def json_body(request: ApiRequest) -> dict[str, Any]:
    """Returns the request's JSON object body.

    Raises:
        ValueError: If the body is not declared as JSON or is not a JSON object.
    """
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise ValueError("Content-Type must be application/json")
    try:
        body = json.loads(request.body or b"null")
    except ValueError:
        raise ValueError("Request body must be valid JSON") from None
    if not isinstance(body, dict):
        raise ValueError("Request body must be a JSON object")
    return body


def status_phrase(status: int) -> str:
    """Returns HTTP's reason phrase of a status, or "Error" for a status HTTP does not name."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def given_records(
    contacts: Iterable[Mapping[str, Any]],
    stored_record: Callable[[Mapping[str, Any]], dict[str, Any]],
    person_ids: Mapping[Any, str] | None,
) -> list[dict[str, Any]]:
    """Returns the contacts a simulator's `from_contacts` is given, in storage shape.

    Raises:
        ValueError: If a contact cannot be stored (see `stored_record`), ids repeat, or
            `person_ids` names a contact not given.
    """
    records = [stored_record(contact) for contact in contacts]
    ids = {record["id"] for record in records}
    if len(ids) < len(records):
        raise ValueError("contact ids must be unique")
    if person_ids is not None:
        unknown = sorted(set(person_ids).difference(ids), key=repr)
        if unknown:
            raise ValueError(f"person_ids name contacts not given: {unknown[:5]}")
    return records


def parse_count(text: str) -> int:
    """Parses a query parameter that must be written as plain decimal digits.

    Raises:
        ValueError: For anything else, including signs, spaces and non-ASCII digits.
    """
    if not _DIGITS.fullmatch(text):
        raise ValueError(f"not a count: {text!r}")
    return int(text)


class _RateLimiter:
    """Sliding one-second window over real (monotonic) time, not the simulated clock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._admitted: deque[float] = deque()

    def admit(self, per_second: float | None) -> float | None:
        """Returns None if the request may go ahead, else the seconds until a slot frees up."""
        if per_second is None:
            return None
        now = time.monotonic()
        with self._lock:
            while self._admitted and now - self._admitted[0] >= 1.0:
                self._admitted.popleft()
            if len(self._admitted) < per_second:
                self._admitted.append(now)
                return None
            return 1.0 - (now - self._admitted[0])


class _LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # The default backlog of 5 drops SYNs from bursts of parallel clients, which then stall for
    # a full second in TCP retransmission.
    request_queue_size = 128

    def __init__(self, port: int, simulator: Simulator) -> None:
        self.simulator = simulator
        self._connections_lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._to_reset: set[socket.socket] = set()
        super().__init__(("127.0.0.1", port), _Handler)

    def process_request(self, request, client_address) -> None:
        with self._connections_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def reset_connection(self, connection: socket.socket) -> None:
        # Linger 0 turns the close into a TCP RST, which clients report as "connection reset".
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with self._connections_lock:
            self._to_reset.add(connection)

    def shutdown_request(self, request) -> None:
        with self._connections_lock:
            self._open.discard(request)
            reset = request in self._to_reset
            self._to_reset.discard(request)
        if reset:
            # The base class would send a FIN first; skip it so the client gets only the RST.
            self.close_request(request)
        else:
            super().shutdown_request(request)

    def close_open_connections(self) -> None:
        # Idle keep-alive connections would otherwise keep answering after stop().
        with self._connections_lock:
            connections = list(self._open)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    # Reaps keep-alive connections that clients leave idle.
    timeout = 60
    server: _LoopbackServer

    def log_message(self, format: str, *args: Any) -> None:
        # Access logs on stderr would drown test and CLI output; the request log replaces them.
        pass

    def _dispatch(self) -> None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            self._send(ApiResponse(411, {"error": "Content-Length required"}))
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.close_connection = True
            self._send(ApiResponse(400, {"error": "invalid Content-Length"}))
            return
        url = urlsplit(self.path)
        request = ApiRequest(
            method=self.command,
            path=url.path,
            query=dict(parse_qsl(url.query, keep_blank_values=True)),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=self.rfile.read(length) if length > 0 else b"",
        )
        response = self.server.simulator.respond(request)
        if isinstance(response, ConnectionReset):
            self.close_connection = True
            self.server.reset_connection(self.connection)
            return
        self._send(response)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _dispatch

    def _send(self, response: ApiResponse) -> None:
        body = response.encode()
        # The charset matters: bodies carry names like "Zoë" unescaped, and clients that decode
        # `response.text` would otherwise guess the encoding.
        headers = {"Content-Type": "application/json; charset=utf-8", **response.headers}
        try:
            self.send_response(response.status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up, typically timing out on a "delay" fault.
            self.close_connection = True


ListHook = Callable[[Any], None]


class Simulator:
    """Base of the simulated APIs: serves one API over loopback HTTP in a daemon thread.

    Subclasses set `store`, `name` and `list_shapes`, and implement `_route`, `_error`,
    `_list_page` and `_contact_id`. Every API request goes through latency, faults and the rate
    limit, in that order, and lands in the request log; `/_sim/...` control requests skip all of
    that.

    Attributes:
        list_shape: What the list endpoint sends per item, one of LIST_SHAPES; settable, it
            applies from the next request on. GET by id always sends every field.
        paging_trap: How the listing's pagination misbehaves, one of the API's `paging_traps`
            (a server bug that would make a naive client read forever), or None; settable.
        paging_trap_from: The 1-based listing page from which the trap applies.
        clock: The simulated clock that stamps writes and envelopes.
        faults: The fault rules queue.
        latency: Seconds slept before every API response.
        rate_limit: Requests per second allowed before answering 429, or None for no limit.
    """

    name = "simulator"
    store: Any
    # Each shape of LIST_SHAPES for this API.
    list_shapes: dict[str, ListShape]
    # The ways this API's pagination can be made to misbehave, by name, with what each does.
    paging_traps: ClassVar[dict[str, str]] = {}

    def __init__(
        self,
        *,
        api_key: str,
        port: int = 0,
        clock: Clock | None = None,
        list_shape: str = "full",
    ) -> None:
        self.list_shape = list_shape
        self.paging_trap: str | None = None
        self.paging_trap_from = 2
        self.api_key = api_key
        self.clock = clock or Clock()
        self.faults = FaultQueue()
        self.latency: float = 0.0
        self.rate_limit: float | None = None
        self._requested_port = port
        self._server: _LoopbackServer | None = None
        self._thread: threading.Thread | None = None
        self._log_lock = threading.Lock()
        self._log: list[RecordedRequest] = []
        self._hooks_lock = threading.Lock()
        self._hooks: dict[int, list[ListHook]] = {}
        self._limiter = _RateLimiter()
        self._people_lock = threading.Lock()
        # Contact id -> hidden person id; None while the simulator has no labelled truth.
        self._person_ids: dict[Any, str] | None = None

    # Lifecycle

    def start(self) -> Self:
        """Starts serving in a background daemon thread and returns self.

        Raises:
            RuntimeError: If it is already running.
        """
        if self._server is not None:
            raise RuntimeError(f"{self.name} simulator is already running")
        self._server = _LoopbackServer(self._requested_port, self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            # A short poll keeps stop() quick; idle wake-ups are cheap.
            kwargs={"poll_interval": 0.01},
            name=f"{self.name}-simulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stops serving and closes every open connection; safe to call twice."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = self._thread = None
        server.shutdown()
        server.close_open_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def list_shape(self) -> str:
        """What the list endpoint sends per item: one of LIST_SHAPES."""
        return self._list_shape[0]

    @list_shape.setter
    def list_shape(self, shape: str) -> None:
        if shape not in LIST_SHAPES:
            raise ValueError(f"list shape must be one of {', '.join(LIST_SHAPES)}")
        # One tuple, so a request being served sees the old shape or the new one, never a mix.
        self._list_shape = (shape, self.list_shapes[shape])

    def set_paging_trap(self, trap: str | None, from_page: int = 2) -> None:
        """Makes the listing's pagination misbehave as `trap` says, from page `from_page` on;
        None serves it as documented again.

        Raises:
            ValueError: If the trap is not one of this API's, or the page is not positive.
        """
        if trap is not None and trap not in self.paging_traps:
            known = ", ".join(self.paging_traps) or "none"
            raise ValueError(f"paging trap must be one of {known}, or null")
        if isinstance(from_page, bool) or not isinstance(from_page, int) or from_page < 1:
            raise ValueError("from_page must be a positive integer")
        self.paging_trap, self.paging_trap_from = trap, from_page

    def _trapped(self, trap: str, page: int | None) -> bool:
        """Whether the paging trap `trap` applies to list page `page`."""
        return self.paging_trap == trap and page is not None and page >= self.paging_trap_from

    def _shape(self) -> ListShape:
        """Returns the list shape to serve the current request with."""
        return self._list_shape[1]

    @property
    def port(self) -> int:
        """The TCP port it listens on (only while running)."""
        if self._server is None:
            raise RuntimeError(f"{self.name} simulator is not running")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """Like "http://127.0.0.1:54321" (only while running)."""
        return f"http://127.0.0.1:{self.port}"

    # Request log and list-page hooks

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of the API requests answered so far, in the order they were answered."""
        with self._log_lock:
            return list(self._log)

    def clear_requests(self) -> None:
        """Empties the request log."""
        with self._log_lock:
            self._log.clear()

    def on_list_page(self, page: int, callback: ListHook) -> None:
        """Runs `callback(store)` once, just before list page `page` (1-based) is next served."""
        with self._hooks_lock:
            self._hooks.setdefault(page, []).append(callback)

    def clear_hooks(self) -> None:
        """Drops every list-page hook not yet run."""
        with self._hooks_lock:
            self._hooks.clear()

    def _run_list_hooks(self, page: int | None) -> None:
        if page is None:
            return
        with self._hooks_lock:
            callbacks = self._hooks.pop(page, [])
        for callback in callbacks:
            callback(self.store)

    # Labelled truth: the hidden person each contact is, for scoring record linkage

    def label_contacts(self, person_ids: Mapping[Any, str]) -> None:
        """Sets the hidden person of contacts, which GET /_sim/people serves.

        A simulator that was never given person ids has no labelled truth. Contacts created
        later through the API have no person until they are labelled here. Deleting (or
        disconnecting) a contact keeps its person id, so that rows a pipeline loaded before
        the delete can still be scored.

        Args:
            person_ids: Contact id, as the store holds it -> person id.

        Raises:
            KeyError: If there is no such contact.
            ValueError: If a person id is not a non-empty string.
        """
        for contact_id in person_ids:
            if self.store.get(contact_id) is None:
                raise KeyError(contact_id)
        self._label(person_ids)

    def person_ids(self) -> dict[Any, str] | None:
        """Returns a copy of contact id -> person id, or None without labelled truth."""
        with self._people_lock:
            return None if self._person_ids is None else dict(self._person_ids)

    def _label(self, person_ids: Mapping[Any, str]) -> None:
        """Like `label_contacts`, for contact ids already known to exist."""
        for person_id in person_ids.values():
            if not isinstance(person_id, str) or not person_id:
                raise ValueError(f"person id must be a non-empty string, not {person_id!r}")
        with self._people_lock:
            if self._person_ids is None:
                self._person_ids = {}
            self._person_ids.update(person_ids)

    # Serving

    def respond(self, request: ApiRequest) -> ApiResponse | ConnectionReset:
        """Answers one request; called from the server's handler threads."""
        if request.path.startswith(CONTROL_PREFIX):
            return self._control(request)
        received_at = time.monotonic()
        try:
            response = self._respond_api(request)
        except Exception:
            # A failing list-page hook or simulator bug: answer like a crashed server would, and
            # keep the traceback visible rather than silently dropping the connection.
            traceback.print_exc()
            response = self._error(500)
        status = 0 if isinstance(response, ConnectionReset) else response.status
        recorded = RecordedRequest(
            request.method, request.path, request.query, request.headers, status, received_at
        )
        # Logged before the response is written, so a client that has its answer sees it logged.
        with self._log_lock:
            self._log.append(recorded)
        return response

    def _respond_api(self, request: ApiRequest) -> ApiResponse | ConnectionReset:
        if self.latency:
            time.sleep(self.latency)
        fault = self.faults.take(request.method, request.path, self._list_page(request))
        if fault is not None:
            if fault.kind == "reset":
                return CONNECTION_RESET
            if fault.kind == "delay":
                time.sleep(fault.seconds)
            elif fault.kind in ("status", "body"):
                return self._faulty_response(fault)
        wait = self._limiter.admit(self.rate_limit)
        if wait is not None:
            response = self._error(429, "Rate limit exceeded")
            response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
            return response
        response = self._route(request)
        if fault is not None and fault.kind == "malformed_json":
            body = response.encode()
            response = ApiResponse(200, raw=body[: max(1, len(body) // 2)])
        if fault is not None and fault.retry_after is not None:
            response.headers["Retry-After"] = fault.retry_after
        return response

    def _faulty_response(self, fault: Fault) -> ApiResponse:
        assert fault.status is not None
        if fault.kind == "status":
            response = self._error(fault.status)
        elif isinstance(fault.body, bytes | str):
            raw = fault.body.encode() if isinstance(fault.body, str) else fault.body
            response = ApiResponse(fault.status, raw=raw)
        else:
            response = ApiResponse(fault.status, fault.body)
        if fault.retry_after is not None:
            response.headers["Retry-After"] = fault.retry_after
        return response

    # Control endpoints, for people driving `contacts-elt simulate` with curl

    def state(self) -> dict[str, Any]:
        """Returns counts, clock, knobs and queued faults, as GET /_sim/state serves them."""
        with self._log_lock:
            answered = len(self._log)
        return {
            "api": self.name,
            "contacts": len(self.store),
            "listed": self.store.listed_count(),
            "requests": answered,
            "clock": {"now": self.clock.now().isoformat(), "frozen": self.clock.frozen},
            "latency": self.latency,
            "rate_limit": self.rate_limit,
            "list_shape": self.list_shape,
            "paging_trap": self.paging_trap,
            "paging_trap_from": self.paging_trap_from,
            "corrupted": self.store.corrupted_ids(),
            "faults": self.faults.pending(),
        }

    def _control(self, request: ApiRequest) -> ApiResponse:
        method, path = request.method, request.path
        try:
            if (method, path) == ("GET", "/_sim/state"):
                return ApiResponse(200, {"ok": True, **self.state()})
            if (method, path) == ("POST", "/_sim/faults"):
                fault = self.faults.add(Fault(**json_body(request)))
                return ApiResponse(201, {"ok": True, "fault": asdict(fault)})
            if (method, path) == ("DELETE", "/_sim/faults"):
                self.faults.clear()
                return ApiResponse(200, {"ok": True})
            if (method, path) == ("POST", "/_sim/clock"):
                self._control_clock(json_body(request))
                return ApiResponse(200, {"ok": True, "now": self.clock.now().isoformat()})
            if (method, path) == ("POST", "/_sim/shape"):
                self.list_shape = json_body(request).get("shape")
                return ApiResponse(200, {"ok": True, "list_shape": self.list_shape})
            if (method, path) == ("POST", "/_sim/paging"):
                body = json_body(request)
                self.set_paging_trap(body.get("trap"), body.get("from_page", 2))
                return ApiResponse(200, {"ok": True, "paging_trap": self.paging_trap})
            if (method, path) == ("GET", "/_sim/people"):
                return self._control_people()
            if (method, path) == ("POST", "/_sim/people"):
                return self._control_label(json_body(request))
            action = _CONTACT_CONTROL.fullmatch(path)
            if method == "POST" and action:
                contact_id = self._contact_id(action.group(1))
                if contact_id is None or self.store.get(contact_id) is None:
                    return ApiResponse(404, {"ok": False, "error": "Contact not found"})
                self._control_contact(action.group(2), contact_id, request)
                return ApiResponse(200, {"ok": True})
        except (TypeError, ValueError) as error:
            return ApiResponse(400, {"ok": False, "error": str(error)})
        return ApiResponse(404, {"ok": False, "error": f"no control endpoint {method} {path}"})

    def _control_contact(self, action: str, contact_id: Any, request: ApiRequest) -> None:
        if action == "delete":
            self.store.delete(contact_id)
        elif action == "repair":
            self.store.repair(contact_id)
        else:
            # JSON has no way to say "leave the field out", so ?omit=id,email says it.
            values = json_body(request) if request.body else {}
            omitted = request.query.get("omit", "").split(",")
            values.update((name.strip(), OMIT) for name in omitted if name.strip())
            self.store.corrupt(contact_id, **values)

    def _control_people(self) -> ApiResponse:
        person_ids = self.person_ids()
        if person_ids is None:
            message = (
                f"the {self.name} simulator has no labelled truth: give it person ids with "
                "from_contacts(..., person_ids=...), labelled_simulators() or POST /_sim/people"
            )
            return ApiResponse(404, {"ok": False, "error": message})
        # JSON keys are strings, so LevCapital's integer ids are written as text.
        data = {str(contact_id): person_id for contact_id, person_id in person_ids.items()}
        return ApiResponse(200, {"ok": True, "data": data})

    def _control_label(self, body: dict[str, Any]) -> ApiResponse:
        person_ids = {}
        for text, person_id in body.items():
            contact_id = self._contact_id(text)
            if contact_id is None or self.store.get(contact_id) is None:
                return ApiResponse(404, {"ok": False, "error": f"Contact not found: {text}"})
            person_ids[contact_id] = person_id
        self._label(person_ids)
        return ApiResponse(200, {"ok": True, "labelled": len(person_ids)})

    def _control_clock(self, body: dict[str, Any]) -> None:
        if "freeze" in body:
            self.clock.freeze(datetime.fromisoformat(body["freeze"]))
        elif "tick" in body:
            self.clock.tick(float(body["tick"]))
        elif body.get("unfreeze"):
            self.clock.unfreeze()
        else:
            raise ValueError('expected {"freeze": iso}, {"tick": seconds} or {"unfreeze": true}')

    # What each API defines

    def _route(self, request: ApiRequest) -> ApiResponse:
        raise NotImplementedError

    def _error(self, status: int, message: str | None = None) -> ApiResponse:
        """Returns the API's own error envelope for `status`."""
        raise NotImplementedError

    def _list_page(self, request: ApiRequest) -> int | None:
        """Returns the 1-based listing page a request asks for, or None if it is not a list."""
        raise NotImplementedError

    def _contact_id(self, text: str) -> Any:
        """Returns the contact id written in a control URL, or None if it cannot be one."""
        raise NotImplementedError
