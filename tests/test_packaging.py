"""What `pip install .` brings to a nightly server: the product, never the demo beside it."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from pipelines.paths import PROJECT_DIR

BUILD_WHEEL = (
    "import sys; from setuptools import build_meta; print(build_meta.build_wheel(sys.argv[1]))"
)
NOT_SOURCE = shutil.ignore_patterns("__pycache__", "*.egg-info")


def built_wheel(project: Path, out: Path) -> zipfile.ZipFile:
    """The wheel that `pip install` would build from `project`, and install."""
    built = subprocess.run(
        [sys.executable, "-c", BUILD_WHEEL, str(out)],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    )
    return zipfile.ZipFile(out / built.stdout.split()[-1])


def copy_of_the_packages(directory: Path) -> Path:
    """The two packages with what builds them, away from the working tree (setuptools writes
    its build folders beside them)."""
    directory.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(PROJECT_DIR / name, directory / name)
    for package in ("pipelines", "demo"):
        shutil.copytree(PROJECT_DIR / package, directory / package, ignore=NOT_SOURCE)
    return directory


def test_the_products_wheel_has_no_demo_and_names_none(tmp_path: Path) -> None:
    project = copy_of_the_packages(tmp_path / "project")

    with built_wheel(project, tmp_path) as wheel:
        files = wheel.namelist()
        metadata = wheel.read("contacts_elt-0.1.0.dist-info/METADATA").decode()

    assert {name.split("/")[0] for name in files} == {"pipelines", "contacts_elt-0.1.0.dist-info"}
    assert "pipelines/cli.py" in files
    assert not [name for name in files if "demo" in name or "simulator" in name]
    # Nor does it send pip looking for the demo: a dependency group is not published.
    requirements = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    assert requirements
    assert not [line for line in requirements if "demo" in line]


def test_the_demos_wheel_brings_the_simulators_and_their_febrl_data(tmp_path: Path) -> None:
    project = copy_of_the_packages(tmp_path / "project")

    with built_wheel(project / "demo", tmp_path) as wheel:
        files = wheel.namelist()

    assert {name.split("/")[0] for name in files} == {"demo", "contacts_elt_demo-0.1.0.dist-info"}
    assert {
        "demo/nights.py",
        "demo/simulators/server.py",
        "demo/simulators/data/identities.py",
        "demo/simulators/data/febrl/README.md",
        "demo/simulators/data/febrl/dataset4a.csv.gz",
        "demo/simulators/data/febrl/dataset4b.csv.gz",
    } <= set(files)
    assert "demo/pyproject.toml" not in files
