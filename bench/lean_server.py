"""A lean HTTP server for the benchmark: both APIs' list endpoints from pages rendered up front.

The demo simulators build and encode every page when it is asked for, which made them the
bottleneck of the fetch-only floor: 1.6 s for 78k contacts where a lean server needs 0.9 s.
This one serves the same contacts (the simulators' generated data, whole, as their list
endpoints send it by default) from pages encoded once at start, HTTP head included, so that
answering a request costs a dict lookup and a socket write:

- LevCapital `GET /api/external/v2/contacts?limit=200[&cursor=C]` (Bearer token and
  `X-Origin-App`) and `GET /api/external/v2/contacts/{id}`;
- SprintMode `GET /api/contacts?page=P&limit=100` (`X-SM-Key`) and `GET /api/contacts/{id}`.

Only the pre-rendered page sizes are served (`--levcapital-page-sizes`,
`--sprintmode-page-sizes`); another `limit`, filters or an unknown cursor get a 400 that says
so, rather than a page rendered slowly on the spot. GET by id knows the listed contacts only.

    python bench/lean_server.py --contacts 40000 [--seed 42] [--latency 0.04] [--port 0]

Measured with the floor at 5,000 contacts per API, a page costs this server about 0.15 ms of
CPU with the threads backend (the default), 0.12 ms with asyncio, which was not clearly faster
end to end (within 10%, inside the noise), and the simulators 1.4 ms. `--backend simulators`
serves through the demo simulators instead, in this process too, so that a benchmark can
measure the same client against both with the same machinery.

When ready it prints one JSON line to stdout with its ports (LevCapital on `--port`,
SprintMode on the next one; 0 picks free ones), the `control` port and what it serves. The
control port (LevCapital's, or a third one with the simulators) answers:

- `GET /_lean/cpu`: `{"cpu_seconds", "user_seconds", "system_seconds", "requests"}`, this
  process's CPU time (user + system) and the API requests answered so far; a benchmark reads
  it before and after a step;
- `GET /_lean/latency?seconds=0.04`: sets the latency slept before every API answer (in the
  handler's thread, or its task for asyncio, so concurrent requests overlap).

On SIGTERM or SIGINT it prints the `/_lean/cpu` line to stdout and exits.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import json
import resource
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

LEVCAPITAL_KEY = "bench-levcapital-key"
SPRINTMODE_KEY = "bench-sprintmode-key"
LEVCAPITAL_PATH = "/api/external/v2/contacts"
SPRINTMODE_PATH = "/api/contacts"
LEVCAPITAL_MAX_LIMIT = 200
# SprintMode caps a larger limit at 100 rather than refusing it, and says so in `data.limit`.
SPRINTMODE_MAX_LIMIT = 100
CONTROL_PREFIX = "/_lean/"
_ITEMS = "__items__"
_ITEMS_PLACEHOLDER = json.dumps(_ITEMS).encode()

Headers = Mapping[str, str]


def encode(value: Any) -> bytes:
    # As the simulators encode: default separators and UTF-8, so the bytes on the wire match.
    return json.dumps(value, ensure_ascii=False).encode()


def http_response(status: int, body: bytes) -> bytes:
    """A whole HTTP/1.1 answer: status line, the two headers clients need, and the body."""
    head = (
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
        "Content-Type: application/json; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def rendered_page(envelope: dict[str, Any], items: list[bytes]) -> tuple[bytes, list[int]]:
    """Encodes an envelope whose `_ITEMS` placeholder stands for a list of encoded items.

    Returns the whole HTTP answer and where each item starts in it, so that GET by id can cut a
    contact out of its page instead of keeping a second copy of every contact.
    """
    before, after = encode(envelope).split(_ITEMS_PLACEHOLDER)
    parts, starts = [before, b"["], []
    position = len(before) + 1
    for index, item in enumerate(items):
        if index:
            parts.append(b", ")
            position += 2
        starts.append(position)
        parts.append(item)
        position += len(item)
    parts += [b"]", after]
    response = http_response(200, b"".join(parts))
    head_length = len(response) - position - 1 - len(after)
    return response, [start + head_length for start in starts]


def now_iso_z() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class RenderedApi:
    """One API's pages, answers and errors; `respond` runs on every request, the rest once."""

    list_path: str

    def __init__(self, api_key: str) -> None:
        self.api_key = api_key
        # (limit, cursor or page number) -> the whole HTTP answer.
        self.pages: dict[tuple[int, Any], bytes] = {}
        # contact id -> (the answer holding it, where its JSON starts and ends in it).
        self.where: dict[Any, tuple[bytes, int, int]] = {}
        self.contacts = 0

    def add_pages(self, items: list[bytes], ids: list[Any], limit: int) -> None:
        # One size is enough to find every contact in; it is the first one rendered.
        locate = not self.where
        for first in range(0, max(len(items), 1), limit):
            page_items = items[first : first + limit]
            response, starts = self.render_page(first // limit, page_items, ids, limit)
            if locate:
                for contact_id, start, item in zip(ids[first:], starts, page_items, strict=False):
                    self.where[contact_id] = (response, start, start + len(item))
        self.contacts = len(items)

    def respond(self, target: str, headers: Headers) -> bytes:
        path, _, query = target.partition("?")
        refusal = self.refuse(headers)
        if refusal is not None:
            return refusal
        if path == self.list_path:
            return self.list_page(dict(parse_qsl(query, keep_blank_values=True)))
        if path.startswith(self.list_path + "/"):
            place = self.where.get(self.contact_key(path[len(self.list_path) + 1 :]))
            if place is None:
                return self.error(404, "Contact not found")
            response, start, end = place
            return http_response(200, self.single_envelope(response[start:end]))
        return self.error(404, "Not found")

    def render_page(
        self, index: int, items: list[bytes], ids: list[Any], limit: int
    ) -> tuple[bytes, list[int]]:
        raise NotImplementedError

    def refuse(self, headers: Headers) -> bytes | None:
        """The error answer for a request without the API's credentials, else None."""
        raise NotImplementedError

    def list_page(self, query: dict[str, str]) -> bytes:
        raise NotImplementedError

    def contact_key(self, text: str) -> Any:
        raise NotImplementedError

    def single_envelope(self, contact: bytes) -> bytes:
        raise NotImplementedError

    def error(self, status: int, message: str) -> bytes:
        raise NotImplementedError


class LevCapitalPages(RenderedApi):
    """LevCapital's cursor-paginated listing: the cursor is base64 of `{"id": last id}`."""

    list_path = LEVCAPITAL_PATH

    def render_page(
        self, index: int, items: list[bytes], ids: list[Any], limit: int
    ) -> tuple[bytes, list[int]]:
        first = index * limit
        cursor = None if index == 0 else self.cursor_after(ids[first - 1])
        more = first + limit < len(ids)
        envelope = {
            "request_id": str(uuid.uuid4()),
            "timestamp": now_iso_z(),
            "data": _ITEMS,
            "pagination": {
                "total": len(ids),
                "limit": limit,
                "has_more": more,
                "next_cursor": self.cursor_after(ids[first + limit - 1]) if more else None,
            },
        }
        response, starts = rendered_page(envelope, items)
        self.pages[limit, cursor] = response
        return response, starts

    @staticmethod
    def cursor_after(last_id: int) -> str:
        # The simulator's encoding, so that cursors look alike to a client.
        return base64.b64encode(json.dumps({"id": last_id}).encode()).decode()

    def refuse(self, headers: Headers) -> bytes | None:
        scheme, _, token = (headers.get("authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or token != self.api_key:
            return self.error(401, "Authentication required")
        if not (headers.get("x-origin-app") or "").strip():
            return self.error(400, "X-Origin-App header is required")
        return None

    def list_page(self, query: dict[str, str]) -> bytes:
        try:
            limit = int(query.get("limit", "50"))
        except ValueError:
            return self.error(400, f"limit must be between 1 and {LEVCAPITAL_MAX_LIMIT}")
        response = self.pages.get((limit, query.get("cursor")))
        if response is None:
            return self.error(400, "lean server: no such pre-rendered page (limit, cursor)")
        return response

    def contact_key(self, text: str) -> Any:
        return int(text) if text.isascii() and text.isdigit() else None

    def single_envelope(self, contact: bytes) -> bytes:
        envelope = {"request_id": str(uuid.uuid4()), "timestamp": now_iso_z(), "data": _ITEMS}
        return encode(envelope).replace(_ITEMS_PLACEHOLDER, contact)

    def error(self, status: int, message: str) -> bytes:
        error = {
            "status": status,
            "type": HTTPStatus(status).phrase.lower().replace(" ", "_"),
            "message": message,
            "details": {},
        }
        return http_response(status, encode({"request_id": str(uuid.uuid4()), "error": error}))


class SprintModePages(RenderedApi):
    """SprintMode's page-numbered listing, newest first, as the simulator orders it."""

    list_path = SPRINTMODE_PATH

    def render_page(
        self, index: int, items: list[bytes], ids: list[Any], limit: int
    ) -> tuple[bytes, list[int]]:
        page = index + 1
        response, starts = rendered_page(self.page_envelope(page, limit, len(ids)), items)
        self.pages[limit, page] = response
        return response, starts

    @staticmethod
    def page_envelope(page: int, limit: int, total: int) -> dict[str, Any]:
        data = {"items": _ITEMS, "total": total, "page": page, "limit": limit}
        return {"ok": True, "data": data | {"hasMore": page * limit < total}}

    def refuse(self, headers: Headers) -> bytes | None:
        if headers.get("x-sm-key") != self.api_key:
            return self.error(401, "Invalid or missing API key")
        return None

    def list_page(self, query: dict[str, str]) -> bytes:
        try:
            page = int(query.get("page") or "1")
            limit = min(int(query.get("limit") or "25"), SPRINTMODE_MAX_LIMIT)
        except ValueError:
            return self.error(400, "page and limit must be positive integers")
        response = self.pages.get((limit, page))
        if response is not None:
            return response
        if page > 1 and (limit, 1) in self.pages and page * limit >= self.contacts + limit:
            # Past the last page: an empty one, as the API answers; tiny, so rendered here.
            return rendered_page(self.page_envelope(page, limit, self.contacts), [])[0]
        return self.error(400, "lean server: no such pre-rendered page (limit, filters)")

    def contact_key(self, text: str) -> Any:
        return text

    def single_envelope(self, contact: bytes) -> bytes:
        return b'{"ok": true, "data": ' + contact + b"}"

    def error(self, status: int, message: str) -> bytes:
        return http_response(status, encode({"ok": False, "error": message}))


class LeanApis:
    """Both APIs, the control endpoints, the latency and the request count.

    With `simulators` (the `simulators` backend) there are no rendered APIs: the simulators
    serve, and this answers the control endpoints only, passing the latency on to them.
    """

    def __init__(self, apis: dict[str, RenderedApi], simulators: Sequence[Any] = ()) -> None:
        self.apis = apis
        self.simulators = list(simulators)
        self._latency = 0.0
        self._requests = 0
        self._count_lock = threading.Lock()

    @property
    def latency(self) -> float:
        return self._latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self._latency = seconds
        for simulator in self.simulators:
            simulator.latency = seconds

    @classmethod
    def build(
        cls,
        n_contacts: int,
        seed: int,
        levcapital_page_sizes: list[int],
        sprintmode_page_sizes: list[int],
        levcapital_key: str = LEVCAPITAL_KEY,
        sprintmode_key: str = SPRINTMODE_KEY,
    ) -> LeanApis:
        # Imported here: the project's package is only needed to render, not to serve.
        from demo.simulators import LevCapitalSimulator, SprintModeSimulator

        levcapital = LevCapitalPages(levcapital_key)
        sprintmode = SprintModePages(sprintmode_key)
        # Never started: the stores alone give the contacts, listed as the simulators list them.
        for simulator, pages, sizes in (
            (LevCapitalSimulator(n_contacts, seed), levcapital, levcapital_page_sizes),
            (SprintModeSimulator(n_contacts, seed), sprintmode, sprintmode_page_sizes),
        ):
            contacts = simulator.store.list_all()
            ids = [contact["id"] for contact in contacts]
            items = [encode(contact) for contact in contacts]
            del simulator, contacts
            for size in sizes:
                pages.add_pages(items, ids, size)
        return cls({"levcapital": levcapital, "sprintmode": sprintmode})

    @classmethod
    def through_simulators(
        cls, n_contacts: int, seed: int, levcapital_key: str, sprintmode_key: str, port: int
    ) -> LeanApis:
        """The demo simulators themselves, started, for the floor to be compared against."""
        from demo.simulators import LevCapitalSimulator, SprintModeSimulator

        simulators = [
            LevCapitalSimulator(n_contacts, seed, api_key=levcapital_key, port=port),
            SprintModeSimulator(n_contacts, seed, api_key=sprintmode_key, port=port and port + 1),
        ]
        for simulator in simulators:
            simulator.start()
        return cls({}, simulators)

    def ports(self) -> dict[str, int]:
        return {simulator.name: simulator.port for simulator in self.simulators}

    def contacts(self) -> dict[str, int]:
        if self.simulators:
            return {simulator.name: simulator.store.listed_count() for simulator in self.simulators}
        return {name: api.contacts for name, api in self.apis.items()}

    def respond(self, api: str, method: str, target: str, headers: Headers) -> tuple[bytes, bool]:
        """The answer to one request, and whether it was an API request (which latency delays)."""
        if target.startswith(CONTROL_PREFIX):
            return self.control(target), False
        rendered = self.apis.get(api)
        if rendered is None:
            return http_response(404, encode({"error": "this port answers /_lean/ only"})), False
        with self._count_lock:
            self._requests += 1
        if method != "GET":
            return rendered.error(405, "lean server: GET only"), True
        return rendered.respond(target, headers), True

    def control(self, target: str) -> bytes:
        path, _, query = target.partition("?")
        if path == "/_lean/cpu":
            return http_response(200, encode(self.cpu()))
        if path == "/_lean/latency":
            try:
                self.latency = float(dict(parse_qsl(query))["seconds"])
            except (KeyError, ValueError):
                return http_response(400, encode({"error": "expected ?seconds=<float>"}))
            return http_response(200, encode({"latency": self.latency}))
        return http_response(404, encode({"error": f"no control endpoint {path}"}))

    def cpu(self) -> dict[str, Any]:
        # System time counts: on loopback the sender's kernel also does the receiver's TCP work.
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {
            "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "user_seconds": usage.ru_utime,
            "system_seconds": usage.ru_stime,
            "requests": self._requests + sum(len(sim.requests) for sim in self.simulators),
        }


# The threads backend: the standard library's server, minus everything it does per answer.


class _ThreadingServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # The default backlog of 5 drops SYNs when eight pages are asked for at once, and a dropped
    # SYN costs the client a second of TCP retransmission.
    request_queue_size = 1024

    def __init__(self, port: int, api: str, lean: LeanApis) -> None:
        self.api = api
        self.lean = lean
        super().__init__(("127.0.0.1", port), _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _ThreadingServer

    def log_message(self, format: str, *args: Any) -> None:
        # An access log line per page would cost more than serving it.
        pass

    def _answer(self) -> None:
        lean = self.server.lean
        response, is_api = lean.respond(self.server.api, self.command, self.path, self.headers)
        if self.command != "GET":
            # A body it did not read would be taken for the next request.
            self.close_connection = True
        if is_api and lean.latency:
            time.sleep(lean.latency)
        # The answer is whole, head included: no send_response, no Date header to format.
        self.wfile.write(response)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _answer


def serve_threads(
    lean: LeanApis, listeners: list[tuple[int, str]], on_ready: Callable[[list[int]], None]
) -> None:
    """Serves each (port, api) of `listeners` until SIGTERM or SIGINT."""
    servers = [_ThreadingServer(port, api, lean) for port, api in listeners]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    on_ready([server.server_address[1] for server in servers])
    stop.wait()
    for server in servers:
        server.shutdown()


# The asyncio backend: one thread, a minimal HTTP/1.1 reader; GET requests only carry headers.


async def _serve_connection(
    lean: LeanApis, api: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                return
            request_line, *lines = head.decode("latin-1").split("\r\n")
            method, target, version = request_line.split(" ", 2)
            headers = {}
            for line in lines:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length") or 0)
            if length:
                await reader.readexactly(length)
            response, is_api = lean.respond(api, method, target, headers)
            if is_api and lean.latency:
                await asyncio.sleep(lean.latency)
            writer.write(response)
            await writer.drain()
            if version == "HTTP/1.0" or headers.get("connection", "").lower() == "close":
                return
    except ConnectionError:
        return
    finally:
        writer.close()


async def serve_asyncio(
    lean: LeanApis, listeners: list[tuple[int, str]], on_ready: Callable[[list[int]], None]
) -> None:
    """Serves each (port, api) of `listeners` until SIGTERM or SIGINT."""
    servers = []
    for port, api in listeners:

        async def handle(reader, writer, api=api):
            await _serve_connection(lean, api, reader, writer)

        servers.append(
            await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024, reuse_address=True)
        )
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, lambda: stop.done() or stop.set_result(None))
    sockets: list[socket.socket] = [server.sockets[0] for server in servers]
    on_ready([sock.getsockname()[1] for sock in sockets])
    await stop
    for server in servers:
        server.close()


def sizes(text: str) -> list[int]:
    return [int(size) for size in text.split(",") if size]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--contacts", type=int, required=True, help="contacts per API")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--port", type=int, default=0, help="LevCapital's; SprintMode's is +1")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per API request")
    parser.add_argument(
        "--backend",
        choices=("threads", "asyncio", "simulators"),
        default="threads",
        help="simulators: serve through the demo simulators instead, to compare (default threads)",
    )
    parser.add_argument("--levcapital-key", default=LEVCAPITAL_KEY)
    parser.add_argument("--sprintmode-key", default=SPRINTMODE_KEY)
    parser.add_argument("--levcapital-page-sizes", type=sizes, default=[LEVCAPITAL_MAX_LIMIT])
    parser.add_argument("--sprintmode-page-sizes", type=sizes, default=[SPRINTMODE_MAX_LIMIT])
    args = parser.parse_args()

    started = time.perf_counter()
    # Rendering makes millions of objects and frees none until it is done: a collector running
    # meanwhile would walk them again and again for nothing.
    gc.disable()
    if args.backend == "simulators":
        lean = LeanApis.through_simulators(
            args.contacts, args.seed, args.levcapital_key, args.sprintmode_key, args.port
        )
        # The simulators listen on their own ports; one more answers /_lean/.
        listeners = [(0, "control")]
    else:
        lean = LeanApis.build(
            args.contacts,
            args.seed,
            args.levcapital_page_sizes,
            args.sprintmode_page_sizes,
            args.levcapital_key,
            args.sprintmode_key,
        )
        listeners = [
            (args.port and args.port + offset, api) for offset, api in enumerate(lean.apis)
        ]
    lean.latency = args.latency
    render_seconds = time.perf_counter() - started
    # What is left lives until exit: spare the collector from walking it again and again.
    gc.collect()
    gc.freeze()
    gc.enable()

    def on_ready(ports: list[int]) -> None:
        ready = lean.ports() | dict(zip((api for _, api in listeners), ports, strict=True))
        ready |= {
            "control": ports[0],
            "contacts": lean.contacts(),
            "pages": {name: len(api.pages) for name, api in lean.apis.items()},
            "backend": args.backend,
            "render_seconds": round(render_seconds, 3),
        }
        print(json.dumps(ready), flush=True)

    if args.backend == "asyncio":
        asyncio.run(serve_asyncio(lean, listeners, on_ready))
    else:
        serve_threads(lean, listeners, on_ready)
    for simulator in lean.simulators:
        simulator.stop()
    print(json.dumps(lean.cpu()), flush=True)


if __name__ == "__main__":
    main()
