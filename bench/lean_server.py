"""A lean HTTP server for the benchmark: both APIs' list endpoints from pages rendered up front.

The demo simulators build and encode every page when it is asked for, which made them the
bottleneck of the fetch-only floor: 1.6 s for 78k contacts where a lean server needs 0.9 s.
This one serves both APIs from pages encoded once at start, HTTP head included, so that
answering a request costs a dict lookup and a socket write. The contacts are those of
`bench/census_people.py` (`--people census`, the default: people with real name frequencies),
or the demo simulators' generated data, whole, as their list endpoints send it by default
(`--people simulators`):

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
measure the same client against both with the same machinery. At a million contacts per API
the census people take about 40 s to draw and render; the server then holds 2.0 GB (3.3 GB at
the peak of rendering), and a quiet night takes it about 6 s.

When ready it prints one JSON line to stdout with its ports (LevCapital on `--port`,
SprintMode on the next one; 0 picks free ones), the `control` port and what it serves. The
control port (LevCapital's, or a third one with the simulators) answers:

- `GET /_lean/cpu`: `{"cpu_seconds", "user_seconds", "system_seconds", "requests"}`, this
  process's CPU time (user + system) and the API requests answered so far; a benchmark reads
  it before and after a step;
- `GET /_lean/latency?seconds=0.04`: sets the latency slept before every API answer (in the
  handler's thread, or its task for asyncio, so concurrent requests overlap);
- `GET /_lean/night?updated=0.01&created=0.001&deleted=0.001` (census people only): a quiet
  night (`LeanApis.quiet_night`), those shares of each API's listed contacts edited, new and
  gone, stamped on the day after the data ends (a day later for each further night). It
  answers what changed per API and the seconds it took.

On SIGTERM or SIGINT it prints the `/_lean/cpu` line to stdout and exits.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import ctypes
import ctypes.util
import gc
import json
import resource
import signal
import socket
import threading
import time
import uuid
from array import array
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import numpy as np
from census_people import CensusPeople

LEVCAPITAL_KEY = "bench-levcapital-key"
SPRINTMODE_KEY = "bench-sprintmode-key"
LEVCAPITAL_PATH = "/api/external/v2/contacts"
SPRINTMODE_PATH = "/api/contacts"
LEVCAPITAL_MAX_LIMIT = 200
# SprintMode caps a larger limit at 100 rather than refusing it, and says so in `data.limit`.
SPRINTMODE_MAX_LIMIT = 100
CONTROL_PREFIX = "/_lean/"
# A quiet night, as shares of each API's listed contacts.
QUIET_UPDATED = 0.01
QUIET_CREATED = 0.001
QUIET_DELETED = 0.001
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
    """One API's pages, answers and errors; `respond` runs on every request, the rest once.

    The listing is kept as its rendered pages only: a contact's JSON is cut out of the page that
    holds it (at the first page size) when GET by id or a night asks for it, rather than kept
    twice, which would double the 1.3 GB of pages at a million contacts per API.
    """

    list_path: str

    def __init__(self, api_key: str, page_sizes: Sequence[int]) -> None:
        self.api_key = api_key
        self.page_sizes = list(page_sizes)
        # (limit, cursor or page number) -> the whole HTTP answer.
        self.pages: dict[tuple[int, Any], bytes] = {}
        # The ids in listing order; the k-th contact's JSON is in the answer of page k // size
        # (at the first size), between the offsets 2j and 2j + 1 of its spans, j = k % size.
        self.ids: list[Any] = []
        self._located: list[tuple[bytes, array]] = []
        self._positions: dict[Any, int] | None = None

    @property
    def contacts(self) -> int:
        return len(self.ids)

    def render(self, ids: list[Any], items_between: Callable[[int, int], list[bytes]]) -> None:
        """Renders every page of the listing `ids`, whose contacts' JSON from position `first`
        up to `last` is `items_between(first, last)`, and serves them instead of the old ones."""
        pages: dict[tuple[int, Any], bytes] = {}
        located: list[tuple[bytes, array]] = []
        for size in self.page_sizes:
            for first in range(0, max(len(ids), 1), size):
                items = items_between(first, first + size)
                key, response, starts = self.render_page(first // size, items, ids, size)
                pages[key] = response
                if size == self.page_sizes[0]:
                    spans = array("Q")
                    for start, item in zip(starts, items, strict=True):
                        spans.append(start)
                        spans.append(start + len(item))
                    located.append((response, spans))
        # Swapped whole: until here, requests (and `item`) see the old listing.
        self.pages, self._located, self.ids, self._positions = pages, located, ids, None

    def item(self, position: int) -> bytes:
        """The JSON of the contact at `position` in the listing."""
        size = self.page_sizes[0]
        response, spans = self._located[position // size]
        offset = 2 * (position % size)
        return response[spans[offset] : spans[offset + 1]]

    def relist(self, ids: list[Any], sources: list[int | bytes]) -> None:
        """Renders the listing `ids` again, whose k-th contact's JSON is `sources[k]`, or is
        at position `sources[k]` of the listing served until now."""
        item = self.item

        def items_between(first: int, last: int) -> list[bytes]:
            return [s if isinstance(s, bytes) else item(s) for s in sources[first:last]]

        self.render(ids, items_between)

    def respond(self, target: str, headers: Headers) -> bytes:
        path, _, query = target.partition("?")
        refusal = self.refuse(headers)
        if refusal is not None:
            return refusal
        if path == self.list_path:
            return self.list_page(dict(parse_qsl(query, keep_blank_values=True)))
        if path.startswith(self.list_path + "/"):
            if self._positions is None:
                # Built on the first GET by id only: a night's load never asks for one.
                self._positions = {contact_id: k for k, contact_id in enumerate(self.ids)}
            position = self._positions.get(self.contact_key(path[len(self.list_path) + 1 :]))
            if position is None:
                return self.error(404, "Contact not found")
            return http_response(200, self.single_envelope(self.item(position)))
        return self.error(404, "Not found")

    def render_page(
        self, index: int, items: list[bytes], ids: list[Any], limit: int
    ) -> tuple[tuple[int, Any], bytes, list[int]]:
        """(the key the page is asked for by, its whole HTTP answer, where its items start)."""
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
    ) -> tuple[tuple[int, Any], bytes, list[int]]:
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
        return (limit, cursor), response, starts

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
    ) -> tuple[tuple[int, Any], bytes, list[int]]:
        page = index + 1
        response, starts = rendered_page(self.page_envelope(page, limit, len(ids)), items)
        return (limit, page), response, starts

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


def give_back_freed_memory() -> None:
    """Returns the heap's free pages to the system, where glibc is the allocator.

    Rendering frees the items and strings it built, and a night the pages it replaced, but
    glibc keeps freed memory for reuse: at a million contacts per API the server stayed at
    2.9 GB after rendering and 4.2 GB after a night. This is what keeps it closer to the pages.
    """
    libc = ctypes.util.find_library("c")
    if libc:
        malloc_trim = getattr(ctypes.CDLL(libc), "malloc_trim", None)
        if malloc_trim is not None:
            malloc_trim(0)


def render_all(api: RenderedApi, ids: list[Any], items: list[bytes | None]) -> None:
    """Renders the listing `ids` of `items`, emptying `items` when one page size is served."""
    if len(api.page_sizes) > 1:
        api.render(ids, lambda first, last: items[first:last])
        return

    def items_between(first: int, last: int) -> list[bytes]:
        page = items[first:last]
        # Each page's items go once the page holds them: a million contacts' 0.9 GB less at
        # the peak of SprintMode's rendering.
        items[first:last] = [None] * len(page)
        return page

    api.render(ids, items_between)


class LeanApis:
    """Both APIs, the control endpoints, the latency and the request count.

    With `simulators` (the `simulators` backend) there are no rendered APIs: the simulators
    serve, and this answers the control endpoints only, passing the latency on to them.
    """

    def __init__(
        self,
        apis: dict[str, RenderedApi],
        simulators: Sequence[Any] = (),
        people: CensusPeople | None = None,
    ) -> None:
        self.apis = apis
        self.simulators = list(simulators)
        # What draws a night's new and changed contacts; None when the simulators' were served.
        self.people = people
        self.nights = 0
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
        people: str = "census",
    ) -> LeanApis:
        """Both APIs rendered: `census` people (bench/census_people.py), or the `simulators`'
        generated data, whole, as their list endpoints send it by default."""
        apis: dict[str, RenderedApi] = {
            "levcapital": LevCapitalPages(levcapital_key, levcapital_page_sizes),
            "sprintmode": SprintModePages(sprintmode_key, sprintmode_page_sizes),
        }
        if people == "census":
            census = CensusPeople(seed, n_contacts)
            # One API at a time: its items go once its pages hold them.
            for listing in census.listings():
                render_all(apis[listing.api], listing.ids, listing.items)
            return cls(apis, people=census)
        # Imported here: the demo's package is only needed to render, not to serve.
        from demo.simulators import LevCapitalSimulator, SprintModeSimulator

        # Never started: the stores alone give the contacts, listed as the simulators list them.
        for simulator in (
            LevCapitalSimulator(n_contacts, seed),
            SprintModeSimulator(n_contacts, seed),
        ):
            contacts = simulator.store.list_all()
            ids = [contact["id"] for contact in contacts]
            items = [encode(contact) for contact in contacts]
            del contacts
            render_all(apis[simulator.name], ids, items)
        return cls(apis)

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
        if path == "/_lean/night":
            if self.people is None:
                return http_response(400, encode({"error": "nights need --people census"}))
            shares = dict(parse_qsl(query))
            try:
                night = self.quiet_night(
                    float(shares.get("updated", QUIET_UPDATED)),
                    float(shares.get("created", QUIET_CREATED)),
                    float(shares.get("deleted", QUIET_DELETED)),
                )
            except ValueError:
                return http_response(400, encode({"error": "expected shares from 0 to 1"}))
            return http_response(200, encode(night))
        return http_response(404, encode({"error": f"no control endpoint {path}"}))

    def quiet_night(self, updated: float, created: float, deleted: float) -> dict[str, Any]:
        """Changes each API's listing as a day would, and renders it again.

        Of each API's listed contacts, the share `updated` is edited (`CensusPeople.changed`)
        and `deleted` is gone (deleted, or disconnected on LevCapital); `created` as many again
        are new, at the end of LevCapital's listing (new ids) and the head of SprintMode's
        (newest first). Only the edited and new contacts are encoded; the pages are assembled
        again from the JSON already rendered, since every page after the first change shifts.

        Returns:
            The night's number, its seconds, and per API what changed and how many are listed.
        """
        if not all(0 <= share <= 1 for share in (updated, created, deleted)):
            raise ValueError("shares run from 0 to 1")
        assert self.people is not None
        started = time.perf_counter()
        self.nights += 1
        night = self.nights
        changed_at = self.people.changed_at(night)
        summary: dict[str, Any] = {"night": night}
        gc.disable()
        try:
            for index, (name, api) in enumerate(self.apis.items()):
                rng = np.random.default_rng([self.people.seed, night, 10 + index])
                n = api.contacts
                n_updated, n_deleted = round(n * updated), round(n * deleted)
                chosen = rng.choice(n, min(n, n_updated + n_deleted), replace=False).tolist()
                gone = set(chosen[n_updated:])
                sources: list[int | bytes] = list(range(n))
                for second, position in enumerate(sorted(chosen[:n_updated])):
                    contact = json.loads(api.item(position))
                    edited = self.people.changed(name, contact, changed_at + second, rng)
                    sources[position] = encode(edited)
                new = self.people.created(name, round(n * created), night)
                kept = [position for position in range(n) if position not in gone]
                ids = [api.ids[position] for position in kept]
                kept_sources = [sources[position] for position in kept]
                if name == "levcapital":
                    api.relist(ids + new.ids, kept_sources + list(new.items))
                else:
                    api.relist(new.ids + ids, list(new.items) + kept_sources)
                summary[name] = {
                    "updated": n_updated,
                    "created": len(new.ids),
                    "deleted": len(gone),
                    "listed": api.contacts,
                }
        finally:
            gc.enable()
        give_back_freed_memory()
        summary["seconds"] = round(time.perf_counter() - started, 3)
        return summary

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
    parser.add_argument(
        "--people",
        choices=("census", "simulators"),
        default="census",
        help="census: bench/census_people.py; simulators: the demo simulators' generated data, "
        "which the simulators backend always serves (default census)",
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
            args.people,
        )
        listeners = [
            (args.port and args.port + offset, api) for offset, api in enumerate(lean.apis)
        ]
    lean.latency = args.latency
    render_seconds = time.perf_counter() - started
    # What is left lives until exit: spare the collector from walking it again and again.
    gc.collect()
    gc.freeze()
    give_back_freed_memory()
    gc.enable()

    def on_ready(ports: list[int]) -> None:
        ready = lean.ports() | dict(zip((api for _, api in listeners), ports, strict=True))
        ready |= {
            "control": ports[0],
            "contacts": lean.contacts(),
            "pages": {name: len(api.pages) for name, api in lean.apis.items()},
            "backend": args.backend,
            "people": "simulators" if args.backend == "simulators" else args.people,
            "render_seconds": round(render_seconds, 3),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
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
