"""Every notebook runs top to bottom against the demo's database and draws its charts."""

import re
import sys

import nbformat
import pytest
from nbclient import NotebookClient

from pipelines.paths import PROJECT_DIR

NOTEBOOKS_DIR = PROJECT_DIR / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
# A cell tagged "chart" must show at least one image.
CHART_TAG = "chart"
IMPORT = re.compile(r"\s*(import \w|from [\w.]+ import )")


def notebook_params() -> list:
    return [pytest.param(path, id=path.stem) for path in NOTEBOOKS]


def test_there_is_a_notebook():
    assert NOTEBOOKS


def test_the_python3_kernel_is_this_environments_python():
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("import sys; print(sys.executable)")]
    )

    NotebookClient(notebook, kernel_name="python3", timeout=60).execute()

    assert notebook.cells[0].outputs[0]["text"].strip() == sys.executable


@pytest.mark.parametrize("path", notebook_params())
def test_the_notebook_is_committed_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)

    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.outputs == [] for cell in code_cells)
    assert all(cell.execution_count is None for cell in code_cells)


@pytest.mark.parametrize("path", notebook_params())
def test_the_notebook_opens_with_its_question_and_its_imports(path):
    notebook = nbformat.read(path, as_version=4)

    title = notebook.cells[0]
    assert title.cell_type == "markdown"
    assert title.source.startswith("# ")
    first_code = next(cell for cell in notebook.cells if cell.cell_type == "code")
    assert "import duckdb" in first_code.source
    later_code = [c.source for c in notebook.cells if c.cell_type == "code"][1:]
    assert not any(IMPORT.match(line) for source in later_code for line in source.splitlines())
    assert "read_only=True" in "".join(later_code)


@pytest.mark.parametrize("path", notebook_params())
def test_the_notebook_runs_against_the_demo_and_draws_its_charts(
    path, demo_run, monkeypatch, tmp_path
):
    monkeypatch.setenv("CONTACTS_DUCKDB", str(demo_run.duckdb_path))
    # Headless: nothing may try to open a window. The notebooks render inline, as images.
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = nbformat.read(path, as_version=4)

    # Raises CellExecutionError, naming the cell, on the first error.
    NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=120,
        resources={"metadata": {"path": str(NOTEBOOKS_DIR)}},
    ).execute()

    charts = [cell for cell in notebook.cells if CHART_TAG in cell.metadata.get("tags", [])]
    assert charts, "a notebook answers with charts"
    for cell in charts:
        images = [o for o in cell.outputs if "image/png" in o.get("data", {})]
        assert images, f"no chart drawn by:\n{cell.source}"
