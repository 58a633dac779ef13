"""The fetch-only floor: a sequential client that GETs every page of both APIs and decodes it.

No retries, no processing, no storage: the least any loader of these APIs must spend.
"""

import argparse

import requests


def fetch_levcapital(base_url: str, api_key: str) -> int:
    session = requests.Session()
    headers = {"Authorization": f"Bearer {api_key}", "X-Origin-App": "contacts-elt-bench"}
    params: dict[str, object] = {"limit": 200}
    contacts = 0
    while True:
        body = session.get(
            f"{base_url}/api/external/v2/contacts", params=params, headers=headers, timeout=60
        ).json()
        contacts += len(body["data"])
        cursor = body["pagination"]["next_cursor"]
        if not body["pagination"]["has_more"] or not cursor:
            return contacts
        params["cursor"] = cursor


def fetch_sprintmode(base_url: str, api_key: str) -> int:
    session = requests.Session()
    contacts, page = 0, 1
    while True:
        body = session.get(
            f"{base_url}/api/contacts",
            params={"page": page, "limit": 100},
            headers={"X-SM-Key": api_key},
            timeout=60,
        ).json()
        contacts += len(body["data"]["items"])
        if not body["data"]["hasMore"] or not body["data"]["items"]:
            return contacts
        page += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    for name in ("levcapital-url", "levcapital-key", "sprintmode-url", "sprintmode-key"):
        parser.add_argument(f"--{name}", required=True)
    args = parser.parse_args()
    lev = fetch_levcapital(args.levcapital_url, args.levcapital_key)
    sm = fetch_sprintmode(args.sprintmode_url, args.sprintmode_key)
    print(f"fetched {lev} + {sm} contacts")


if __name__ == "__main__":
    main()
