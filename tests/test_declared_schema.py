"""Every documented field is a typed raw column, even when the API has never sent it."""

from pathlib import Path

import duckdb
from conftest import LEVCAPITAL_KEY, SPRINTMODE_KEY

from demo.simulators import LevCapitalSimulator, SprintModeSimulator
from pipelines.runs.load import load_sources
from pipelines.sources.levcapital.settings import CONTACT_CONTRACT as LEVCAPITAL_CONTRACT
from pipelines.sources.sprintmode.settings import CONTACT_CONTRACT as SPRINTMODE_CONTRACT

DUCKDB_TYPES = {
    "text": "VARCHAR",
    "bigint": "BIGINT",
    "bool": "BOOLEAN",
    "timestamp": "TIMESTAMP WITH TIME ZONE",
    "json": "JSON",
}


def test_an_empty_account_still_gets_every_documented_column_with_its_type(tmp_path: Path):
    duckdb_path = tmp_path / "empty.duckdb"
    with (
        LevCapitalSimulator.from_contacts([], api_key=LEVCAPITAL_KEY) as lev,
        SprintModeSimulator.from_contacts([], api_key=SPRINTMODE_KEY) as sm,
    ):
        loads = load_sources(
            duckdb_path,
            source_args={
                "levcapital": {"base_url": lev.base_url, "api_key": LEVCAPITAL_KEY},
                "sprintmode": {"base_url": sm.base_url, "api_key": SPRINTMODE_KEY},
            },
        )
    assert [(load.error, load.rows_written) for load in loads] == [(None, 0), (None, 0)]

    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        for source, contract in (
            ("levcapital", LEVCAPITAL_CONTRACT),
            ("sprintmode", SPRINTMODE_CONTRACT),
        ):
            columns = dict(
                connection.execute(
                    "select column_name, data_type from information_schema.columns "
                    "where table_schema = ? and table_name = 'contacts'",
                    [f"raw_{source}"],
                ).fetchall()
            )
            expected = {name: DUCKDB_TYPES[kind] for name, kind in contract.fields.items()}
            assert {name: columns.get(name) for name in expected} == expected, source
            assert columns["_content_hash"] == "VARCHAR"
            for table in ("contact_deletions", "contact_rejects"):
                assert connection.execute(
                    f"select count(*) from raw_{source}.{table}"
                ).fetchall() == [(0,)]
