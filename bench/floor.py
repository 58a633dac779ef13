"""The fetch-only floor: a sequential client that GETs every page of both APIs and decodes it.

No retries, no processing, no storage: the least any loader of these APIs must spend. The
standard library only, `http.client` and `json`, one keep-alive connection per API, the pages
one after the other and LevCapital before SprintMode. (`urllib.request` sends
`Connection: close`, so every page would cost a new TCP connection and a new server thread:
3.7 times as long at 5,000 contacts per API, a floor that flatters whatever is divided by it.)

    python bench/floor.py --levcapital-url URL --levcapital-key KEY \\
        --sprintmode-url URL --sprintmode-key KEY

It prints `{"contacts": ..., "pages": ...}` as JSON, for the benchmark to check.
"""

import argparse
import http.client
import json
from typing import Any
from urllib.parse import urlencode, urlsplit

LEVCAPITAL_PATH = "/api/external/v2/contacts"
SPRINTMODE_PATH = "/api/contacts"
# The largest pages each API allows, as the pipeline asks for them.
LEVCAPITAL_LIMIT = 200
SPRINTMODE_LIMIT = 100


class Client:
    """One keep-alive connection to one API."""

    def __init__(self, base_url: str, headers: dict[str, str]) -> None:
        url = urlsplit(base_url)
        self.prefix = url.path.rstrip("/")
        self.headers = headers
        self.connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        self.pages = 0

    def get(self, path: str, query: dict[str, Any]) -> Any:
        self.connection.request(
            "GET", f"{self.prefix}{path}?{urlencode(query)}", None, self.headers
        )
        response = self.connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise SystemExit(f"GET {path} {query}: {response.status} {body[:200]!r}")
        self.pages += 1
        return json.loads(body)


def fetch_levcapital(base_url: str, api_key: str) -> tuple[int, int]:
    """Follows the cursor chain to its end; returns (contacts, pages)."""
    client = Client(base_url, {"Authorization": f"Bearer {api_key}", "X-Origin-App": "bench"})
    query: dict[str, Any] = {"limit": LEVCAPITAL_LIMIT}
    contacts = 0
    while True:
        body = client.get(LEVCAPITAL_PATH, query)
        contacts += len(body["data"])
        cursor = body["pagination"]["next_cursor"]
        if not body["pagination"]["has_more"] or not cursor:
            return contacts, client.pages
        query["cursor"] = cursor


def fetch_sprintmode(base_url: str, api_key: str) -> tuple[int, int]:
    """Reads page after page until `hasMore` says no; returns (contacts, pages)."""
    client = Client(base_url, {"X-SM-Key": api_key})
    contacts, page = 0, 1
    while True:
        data = client.get(SPRINTMODE_PATH, {"page": page, "limit": SPRINTMODE_LIMIT})["data"]
        contacts += len(data["items"])
        if not data["hasMore"] or not data["items"]:
            return contacts, client.pages
        page += 1


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    for name in ("levcapital-url", "levcapital-key", "sprintmode-url", "sprintmode-key"):
        parser.add_argument(f"--{name}", required=True)
    args = parser.parse_args()
    lev_contacts, lev_pages = fetch_levcapital(args.levcapital_url, args.levcapital_key)
    sm_contacts, sm_pages = fetch_sprintmode(args.sprintmode_url, args.sprintmode_key)
    print(json.dumps({"contacts": lev_contacts + sm_contacts, "pages": lev_pages + sm_pages}))


if __name__ == "__main__":
    main()
