"""dlt's working folder after loads: no copy of the contacts left behind, pending work kept.

Real loads over HTTP into a real DuckDB file, then the files of `<db>.dlt/` looked at.
"""

from pathlib import Path

import pytest

from demo.simulators import Fault
from pipelines.paths import pipelines_dir_for
from pipelines.runs.housekeeping import prune_working_folder, tidy_working_folder
from pipelines.runs.load import load_sources, pipeline_for, read_known_contacts
from pipelines.runs.results import SourceLoad
from pipelines.sources.registry import source_factory
from pipelines.warehouse import as_warehouse

SOURCES = ("levcapital", "sprintmode")
# What dlt writes rows into: the extract's, normalize's and the load's job files.
JOB_FILE_PATTERNS = ("*.parquet", "*.jsonl", "*.typed-jsonl", "*.insert_values", "*.csv")


def job_files(folder: Path) -> list[Path]:
    return sorted(path for pattern in JOB_FILE_PATTERNS for path in folder.rglob(pattern))


def files_in(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file())


def loaded_packages(duckdb_path: Path, source: str) -> list[str]:
    return sorted(pipeline_for(source, duckdb_path).list_completed_load_packages())


def change_both_apis(sims, night: int) -> None:
    """A day's work in each API: two contacts renamed, one deleted, one created."""
    levcapital, sprintmode = sims["levcapital"].store, sims["sprintmode"].store
    lev_ids = [contact["id"] for contact in levcapital.list_all()]
    sm_ids = [contact["id"] for contact in sprintmode.list_all()]
    for contact_id in lev_ids[night : night + 2]:
        levcapital.update(contact_id, {"title": f"Title {night}"})
    levcapital.delete(lev_ids[-night])
    created = levcapital.create(
        {"contact_type": "sponsor", "company_id": 1, "last_name": f"Night{night}"}
    )
    levcapital.set_connected(created["id"], True)
    for contact_id in sm_ids[night : night + 2]:
        sprintmode.update(contact_id, {"title": f"Title {night}"})
    sprintmode.delete(sm_ids[-night])
    sprintmode.create({"email": f"night{night}@example.com", "last_name": f"Night{night}"})


def test_completed_loads_leave_no_contacts_in_the_working_folder(
    sims, source_args, duckdb_path, raw_contacts, query
):
    for night in range(1, 4):
        if night > 1:
            change_both_apis(sims, night)
        loads = load_sources(duckdb_path, source_args=source_args)
        assert [load.error for load in loads] == [None, None]

    folder = pipelines_dir_for(duckdb_path)
    assert job_files(folder) == []
    for source in SOURCES:
        raw_contacts(source).assert_matches(sims[source], source)
        # The packages stay, without their jobs: schema, state and metrics, for `dlt pipeline`.
        assert len(loaded_packages(duckdb_path, source)) == 3
        assert not pipeline_for(source, duckdb_path).has_pending_data
        assert files_in(folder / f"contacts_elt_{source}/normalize") == [".version"]
        # truncate_staging_dataset: the merge's staging table keeps no second copy either.
        assert query(f"select count(*) from raw_{source}_staging.contacts") == [(0,)]


def test_job_files_left_by_earlier_loads_are_deleted_and_old_packages_pruned(
    sims, source_args, duckdb_path, monkeypatch
):
    # A load as they were before this housekeeping: every package keeps its job files.
    with monkeypatch.context() as before:
        before.setenv("LOAD__DELETE_COMPLETED_JOBS", "false")
        before.setattr("pipelines.runs.load.tidy_working_folder", lambda pipeline: None)
        load_sources(duckdb_path, source_args=source_args)
    folder = pipelines_dir_for(duckdb_path)
    assert job_files(folder / "contacts_elt_levcapital/load/loaded")
    change_both_apis(sims, 2)

    load_sources(duckdb_path, source_args=source_args)

    assert job_files(folder) == []
    packages = loaded_packages(duckdb_path, "levcapital")
    assert len(packages) == 2
    removed = prune_working_folder(folder / "contacts_elt_levcapital", keep=1)
    assert removed == [folder / "contacts_elt_levcapital/load/loaded" / packages[0]]
    assert loaded_packages(duckdb_path, "levcapital") == packages[1:]


def test_an_abandoned_extract_is_deleted_and_the_next_load_is_complete(
    sims, source_args, duckdb_path, fast_http, raw_contacts
):
    sims["sprintmode"].faults.add(Fault(kind="status", status=500, page=2, times=None))
    levcapital, sprintmode = load_sources(duckdb_path, source_args=source_args)
    assert levcapital.error is None
    assert sprintmode.error is not None

    # The failed extract's folder, normalize/<random id>/, which dlt never reads again.
    normalize = pipelines_dir_for(duckdb_path) / "contacts_elt_sprintmode/normalize"
    assert files_in(normalize) == [".version"]
    sims["sprintmode"].faults.clear()
    assert [load.error for load in load_sources(duckdb_path, source_args=source_args)] == [
        None,
        None,
    ]
    raw_contacts("sprintmode").assert_matches(sims["sprintmode"], "sprintmode")


def test_a_pending_package_is_kept_and_the_next_load_resumes_it(
    sims, source_args, duckdb_path, raw_contacts, query
):
    load_sources(duckdb_path, source_args=source_args)
    change_both_apis(sims, 2)
    # What a run killed between normalize and load leaves: a normalized package, not loaded.
    pipeline = pipeline_for("levcapital", duckdb_path)
    stats = SourceLoad("levcapital", run_id="pending").stats
    source = source_factory("levcapital")(
        known=read_known_contacts(pipeline, as_warehouse(duckdb_path)),
        stats=stats,
        **source_args["levcapital"],
    )
    pipeline.extract(source, loader_file_format="parquet")
    pipeline.normalize()
    (pending,) = pipeline.list_normalized_load_packages()
    pending_files = job_files(Path(pipeline.working_dir) / "load/normalized")
    assert pending_files

    tidy_working_folder(pipeline)
    prune_working_folder(Path(pipeline.working_dir), keep=0)

    assert pipeline_for("levcapital", duckdb_path).list_normalized_load_packages() == [pending]
    assert job_files(Path(pipeline.working_dir) / "load/normalized") == pending_files
    loads = load_sources(duckdb_path, source_args=source_args)
    assert [load.error for load in loads] == [None, None]
    assert pending in loaded_packages(duckdb_path, "levcapital")
    assert query(
        "select count(*) from raw_levcapital.contacts where title = 'Title 2' and _dlt_load_id = ?",
        pending,
    ) == [(2,)]
    raw_contacts("levcapital").assert_matches(sims["levcapital"], "levcapital")
    assert job_files(pipelines_dir_for(duckdb_path)) == []


def test_a_failure_to_prune_never_fails_the_load(
    source_args, duckdb_path, monkeypatch, caplog: pytest.LogCaptureFixture
):
    def broken(working_dir: Path, keep: int = 0) -> list[Path]:
        raise PermissionError(f"[Errno 13] Permission denied: '{working_dir}'")

    monkeypatch.setattr("pipelines.runs.housekeeping.prune_working_folder", broken)

    loads = load_sources(duckdb_path, source_args=source_args)

    assert [load.error for load in loads] == [None, None]
    warnings = [r.getMessage() for r in caplog.records if r.name == "pipelines.runs.housekeeping"]
    assert len(warnings) == 2
    assert all("could not tidy dlt's working folder" in warning for warning in warnings)
