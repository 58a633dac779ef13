"""The shared names of sources, datasets, tables and pipelines, and the environment they run in."""

import os
import subprocess
import sys

import pytest

from pipelines.settings import (
    RAW_CONTACTS_TABLES,
    SOURCE_NAMES,
    pipeline_name,
    raw_dataset,
    raw_table,
)


@pytest.mark.parametrize(
    ("source", "table", "expected"),
    [
        pytest.param("levcapital", None, "raw_levcapital.contacts", id="contacts-by-default"),
        pytest.param(
            "sprintmode", "contact_rejects", "raw_sprintmode.contact_rejects", id="rejects"
        ),
        pytest.param(
            "levcapital", "contact_deletions", "raw_levcapital.contact_deletions", id="deletions"
        ),
    ],
)
def test_a_raw_table_is_qualified_by_its_sources_dataset(
    source: str, table: str | None, expected: str
) -> None:
    assert (raw_table(source) if table is None else raw_table(source, table)) == expected


def test_a_sources_dataset_is_raw_and_its_name() -> None:
    assert raw_dataset("sprintmode") == "raw_sprintmode"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param("levcapital", "contacts_elt_levcapital", id="levcapital"),
        pytest.param("sprintmode", "contacts_elt_sprintmode", id="sprintmode"),
    ],
)
def test_each_source_has_a_pipeline_of_its_own(source: str, expected: str) -> None:
    assert pipeline_name(source) == expected


def test_the_raw_contacts_tables_are_those_of_every_source_in_order() -> None:
    assert SOURCE_NAMES == ("levcapital", "sprintmode")
    assert RAW_CONTACTS_TABLES == ("raw_levcapital.contacts", "raw_sprintmode.contacts")


def test_arrow_allocates_with_the_system_allocator_once_the_environment_is_prepared() -> None:
    # A process of its own: Arrow reads the setting once, when it first allocates.
    script = (
        "from pipelines.settings import prepare_environment; prepare_environment(); "
        "import pyarrow; print(pyarrow.default_memory_pool().backend_name)"
    )
    env = {name: value for name, value in os.environ.items() if name != "ARROW_DEFAULT_MEMORY_POOL"}

    output = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    ).stdout

    assert output.strip() == "system"
