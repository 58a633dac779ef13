"""`make lint`'s import-cycle contract (lint/import_cycles.py), run by `lint-imports` as `make lint`
runs it, on small packages written for the purpose."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.paths import PROJECT_DIR

CONFIG = """\
[importlinter]
root_package = shop
contract_types =
    acyclic_modules: lint.import_cycles.AcyclicModulesContract

[importlinter:contract:acyclic]
name = No import cycle between any two modules
type = acyclic_modules
"""


def lint_imports(folder: Path, modules: dict[str, str]) -> subprocess.CompletedProcess:
    """Writes the package `shop` of `modules` (path -> source) and runs the contract on it."""
    for path, source in modules.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(source)
    (folder / ".importlinter").write_text(CONFIG)
    return subprocess.run(
        [Path(sys.executable).with_name("lint-imports"), "--config", ".importlinter"],
        cwd=folder,
        # The contract comes from the project, the package from the folder.
        env=os.environ | {"PYTHONPATH": f"{folder}{os.pathsep}{PROJECT_DIR}"},
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize(
    ("modules", "cycle"),
    [
        pytest.param(
            {
                "shop/__init__.py": "from shop.orders import Order\n",
                "shop/orders.py": "import shop\n\nclass Order: ...\n",
            },
            ["- shop -> shop.orders (l.1)", "- shop.orders -> shop (l.1)"],
            id="a-package-and-its-own-submodule",
        ),
        pytest.param(
            {
                "shop/__init__.py": "",
                "shop/orders.py": "\nfrom shop.billing.invoices import total\n",
                "shop/billing/__init__.py": "",
                "shop/billing/invoices.py": "def total(): ...\n\nfrom shop import returns\n",
                "shop/returns.py": "from shop.orders import x\n",
            },
            [
                "- shop.billing.invoices -> shop.returns (l.3)",
                "- shop.returns -> shop.orders (l.1)",
                "- shop.orders -> shop.billing.invoices (l.2)",
            ],
            id="three-modules-across-packages",
        ),
    ],
)
def test_an_import_cycle_fails_the_lint_and_is_named(
    tmp_path: Path, modules: dict[str, str], cycle: list[str]
) -> None:
    linted = lint_imports(tmp_path, modules)

    assert linted.returncode == 1, linted.stdout + linted.stderr
    assert "BROKEN" in linted.stdout
    lines = [line.strip() for line in linted.stdout.splitlines() if line.startswith("- ")]
    assert lines == cycle


def test_a_package_that_imports_its_submodules_one_way_passes(tmp_path: Path) -> None:
    linted = lint_imports(
        tmp_path,
        {
            "shop/__init__.py": "from shop.orders import Order\n",
            "shop/orders.py": "from shop.money import Money\n\nclass Order: ...\n",
            "shop/money.py": "class Money: ...\n",
        },
    )

    assert linted.returncode == 0, linted.stdout + linted.stderr
    assert "1 kept, 0 broken" in linted.stdout
