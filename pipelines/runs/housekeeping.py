"""dlt's working folder pruned after each load: no copy of the contacts outlives its load."""

# What is kept, what is deleted and why: docs/architecture.md, "dlt's working folder".

import logging
import shutil
from pathlib import Path

import dlt
from dlt.common.storages import LoadStorage, NormalizeStorage, PackageStorage

logger = logging.getLogger(__name__)

KEEP_LOADED_PACKAGES = 10
"""Completed packages kept per pipeline, newest first: about a week of nights (a night loads
one package per source, two when contacts came in behind the cursor). `dlt pipeline
<pipeline> info` and `load-package` read them to show what the last loads did, the schema
changes they applied and their jobs' timings; without job files each is about 20 KB."""


def tidy_working_folder(pipeline: dlt.Pipeline) -> None:
    """Prunes one pipeline's working folder after its load (see the module); a failure to
    do so is logged as a warning and never fails the load."""
    try:
        prune_working_folder(Path(pipeline.working_dir))
    except Exception as error:
        logger.warning("could not tidy dlt's working folder %s: %s", pipeline.working_dir, error)


def prune_working_folder(working_dir: Path, keep: int = KEEP_LOADED_PACKAGES) -> list[Path]:
    """Deletes what completed and abandoned work left in one pipeline's working folder.

    Call it when no step of this pipeline is running (the run lock ensures no other process
    uses the folder).

    Args:
        working_dir: the pipeline's folder, `<pipelines_dir>/<pipeline_name>`.
        keep: how many completed packages to keep, the newest.

    Returns:
        The files and folders deleted.
    """
    removed = _abandoned_extracts(working_dir)
    loaded = working_dir / "load" / LoadStorage.LOADED_FOLDER
    packages = sorted(
        (
            package
            for package in (loaded.iterdir() if loaded.is_dir() else ())
            # An aborted package (one the destination refused) holds the only copy of what it
            # was to load, set aside for the operator: it stays until they remove it.
            if package.is_dir() and not is_aborted(package)
        ),
        key=lambda package: float(package.name),
    )
    stale = packages[: max(0, len(packages) - keep)]
    removed += stale
    for package in packages[len(stale) :]:
        completed = package / PackageStorage.COMPLETED_JOBS_FOLDER
        # As dlt's own deletion does: a package with failed jobs keeps all of its jobs, the
        # evidence of what failed, until it is old enough to go whole.
        if completed.is_dir() and not _has_files(package / PackageStorage.FAILED_JOBS_FOLDER):
            removed.append(completed)
    for path in removed:
        shutil.rmtree(path, ignore_errors=False)
    return removed


def is_aborted(package: Path) -> bool:
    """Whether a completed package was aborted rather than loaded (dlt's completion marker)."""
    marker = package / PackageStorage.PACKAGE_COMPLETED_FILE_NAME
    return marker.is_file() and marker.read_text().strip() == "aborted"


def _abandoned_extracts(working_dir: Path) -> list[Path]:
    """The folders of extracts that never completed.

    dlt extracts into `normalize/<random id>/` and moves a package to `normalize/extracted/`
    once its extract completes; a failed or killed extract leaves its folder behind, and the
    next extract picks a new id.
    """
    normalize = working_dir / "normalize"
    if not normalize.is_dir():
        return []
    return [
        folder
        for folder in normalize.iterdir()
        if folder.is_dir()
        and folder.name != NormalizeStorage.EXTRACTED_FOLDER
        and not folder.name.startswith(".")
    ]


def _has_files(folder: Path) -> bool:
    return folder.is_dir() and any(path.is_file() for path in folder.rglob("*"))
