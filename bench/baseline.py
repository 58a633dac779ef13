"""The plain dlt baseline: what a user would write from dlt's docs for these two APIs.

RESTClient with default settings, incremental on `updated_at`, merge on `id`, dlt's default
file format, into DuckDB; the two sources one after the other.
"""

import argparse
from typing import Any

import dlt
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import APIKeyAuth, BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import (
    JSONResponseCursorPaginator,
    PageNumberPaginator,
)


@dlt.source(name="levcapital")
def levcapital(base_url: str, api_key: str) -> Any:
    client = RESTClient(
        base_url=base_url,
        headers={"X-Origin-App": "contacts-elt-bench"},
        auth=BearerTokenAuth(api_key),
        paginator=JSONResponseCursorPaginator(
            cursor_path="pagination.next_cursor", cursor_param="cursor"
        ),
        data_selector="data",
    )

    @dlt.resource(primary_key="id", write_disposition="merge")
    def contacts(
        updated_at=dlt.sources.incremental("updated_at", on_cursor_value_missing="include"),
    ) -> Any:
        yield from client.paginate("/api/external/v2/contacts", params={"limit": 200})

    return contacts


@dlt.source(name="sprintmode")
def sprintmode(base_url: str, api_key: str) -> Any:
    client = RESTClient(
        base_url=base_url,
        auth=APIKeyAuth(name="X-SM-Key", api_key=api_key),
        paginator=PageNumberPaginator(base_page=1, total_path=None, has_more_path="data.hasMore"),
        data_selector="data.items",
    )

    @dlt.resource(primary_key="id", write_disposition="merge")
    def contacts(
        updated_at=dlt.sources.incremental("updated_at", on_cursor_value_missing="include"),
    ) -> Any:
        yield from client.paginate("/api/contacts", params={"limit": 100})

    return contacts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    for name in ("levcapital-url", "levcapital-key", "sprintmode-url", "sprintmode-key"):
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("--duckdb", required=True)
    parser.add_argument("--pipelines-dir", required=True)
    args = parser.parse_args()
    for name, source in (
        ("levcapital", levcapital(args.levcapital_url, args.levcapital_key)),
        ("sprintmode", sprintmode(args.sprintmode_url, args.sprintmode_key)),
    ):
        pipeline = dlt.pipeline(
            pipeline_name=f"bench_baseline_{name}",
            destination=dlt.destinations.duckdb(args.duckdb),
            dataset_name=f"raw_{name}",
            pipelines_dir=args.pipelines_dir,
        )
        pipeline.run(source)
    print("baseline loaded")


if __name__ == "__main__":
    main()
