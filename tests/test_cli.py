"""The `contacts-elt` command as a scheduler runs it: a real subprocess, real HTTP, real DuckDB."""

import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import duckdb
import pytest

from pipelines.cli import main

CONTACTS_ELT = str(Path(sys.executable).with_name("contacts-elt"))
SUMMARY = re.compile(
    r"^(levcapital|sprintmode): (\d+) pages fetched, ([\d,]+) contacts seen, "
    r"([\d,]+) rows written, [\d.]+ s$"
)


def contacts_elt(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CONTACTS_ELT, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


def count(path: Path, table: str) -> int:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(f"select count(*) from {table}").fetchone()[0]


def test_load_prints_one_summary_line_per_source(simulator_env, tmp_path, levcapital_sim):
    result = contacts_elt("load", env=simulator_env, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    lines = [SUMMARY.match(line) for line in result.stdout.splitlines()]
    assert [m.group(1) for m in lines if m] == ["levcapital", "sprintmode"]
    connected = len(levcapital_sim.store.list_all())
    assert [(m.group(3), m.group(4)) for m in lines if m] == [
        (f"{connected:,}", f"{connected:,}"),
        ("300", "300"),
    ]
    assert count(Path(simulator_env["CONTACTS_DUCKDB"]), "raw_levcapital.contacts") == connected


def test_duckdb_flag_beats_the_env_var_and_is_resolved_from_the_working_dir(
    simulator_env, tmp_path
):
    result = contacts_elt(
        "load",
        "--source",
        "sprintmode",
        "--duckdb",
        "rel/flag.duckdb",
        env=simulator_env,
        cwd=tmp_path,
    )

    assert result.returncode == 0, result.stderr
    assert count(tmp_path / "rel" / "flag.duckdb", "raw_sprintmode.contacts") == 300
    assert not Path(simulator_env["CONTACTS_DUCKDB"]).exists()


def test_a_bad_key_fails_its_source_in_one_line_and_the_other_still_loads(simulator_env, tmp_path):
    env = simulator_env | {"SOURCES__LEVCAPITAL__API_KEY": "expired-secret-token"}

    result = contacts_elt("load", env=env, cwd=tmp_path)

    assert result.returncode == 1
    assert re.fullmatch(
        r"levcapital: authentication failed \(401 unauthorized: Authentication required\) "
        r"\[request_id [0-9a-f-]{36}\]\n",
        result.stderr,
    )
    assert "Traceback" not in result.stdout + result.stderr
    assert "expired-secret-token" not in result.stdout + result.stderr
    assert count(Path(env["CONTACTS_DUCKDB"]), "raw_sprintmode.contacts") == 300


def test_verbose_shows_the_traceback_of_an_expected_failure(simulator_env, tmp_path):
    env = simulator_env | {"SOURCES__LEVCAPITAL__API_KEY": "expired-secret-token"}

    result = contacts_elt("load", "--source", "levcapital", "--verbose", env=env, cwd=tmp_path)

    assert result.returncode == 1
    assert "Traceback" in result.stderr
    assert "SourceApiError" in result.stderr


def test_a_missing_key_names_the_env_var_and_the_secrets_key(simulator_env, tmp_path):
    env = {k: v for k, v in simulator_env.items() if k != "SOURCES__SPRINTMODE__API_KEY"}

    result = contacts_elt("load", "--source", "sprintmode", env=env, cwd=tmp_path)

    assert result.returncode == 1
    assert result.stderr == (
        "sprintmode: missing configuration api_key: set SOURCES__SPRINTMODE__API_KEY "
        "or api_key under [sources.sprintmode] in .dlt/secrets.toml\n"
    )


@pytest.mark.parametrize(
    "command", [pytest.param("load", id="load"), pytest.param("run", id="run")]
)
def test_unknown_host_fails_cleanly(command, tmp_path):
    env = {
        "SOURCES__LEVCAPITAL__BASE_URL": "http://127.0.0.1:9",
        "SOURCES__LEVCAPITAL__API_KEY": "k",
        "SOURCES__SPRINTMODE__BASE_URL": "http://127.0.0.1:9",
        "SOURCES__SPRINTMODE__API_KEY": "k",
        "SOURCES__HTTP__MAX_ATTEMPTS": "1",
        "PATH": "/usr/bin:/bin",
    }

    result = contacts_elt(command, "--duckdb", str(tmp_path / "x.duckdb"), env=env, cwd=tmp_path)

    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "levcapital: cannot reach http://127.0.0.1:9 (connection refused)",
        "sprintmode: cannot reach http://127.0.0.1:9 (connection refused)",
    ]
    if command == "run":
        # dbt still builds: empty analytics tables are the truth when nothing ever loaded.
        assert result.stdout.startswith("dbt build: ok")
    assert "Traceback" not in result.stderr


COMMANDS = ("load", "transform", "run", "refresh", "demo", "simulate", "status", "check")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_worth_reading(command, capsys):
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"])

    assert exited.value.code == 0
    usage, description, *rest = capsys.readouterr().out.split("\n\n")
    assert usage.startswith(f"usage: contacts-elt {command} ")
    # A paragraph of its own, not just the one-line summary of `contacts-elt --help`.
    assert len(description) > 150, description
    help_text = "\n\n".join(rest)
    if command != "simulate":
        assert re.search(r"^exit codes:\n  0   .*\n  1   ", help_text, re.MULTILINE)
        assert "\n  75  " in help_text
        assert "\nenvironment:\n" in help_text


def test_the_demo_help_does_not_promise_the_real_database(capsys):
    with pytest.raises(SystemExit):
        main(["demo", "--help"])

    duckdb_help = capsys.readouterr().out.split("  --duckdb PATH")[1].split("--contacts")[0]
    assert "default: data/demo.duckdb" in " ".join(duckdb_help.split())
    assert "CONTACTS_DUCKDB" not in duckdb_help


def test_version_prints_the_installed_version(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--version"])

    assert exited.value.code == 0
    assert capsys.readouterr().out == f"contacts-elt {version('contacts-elt')}\n"


# The product run as a nightly server installs it: `pip install .`, with no demo beside it.
WITHOUT_THE_DEMO = (
    "import sys; sys.modules['demo'] = None; from pipelines.cli import main; "
    "sys.exit(main(sys.argv[1:]))"
)


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["demo", "--duckdb", "demo.duckdb"], id="demo"),
        pytest.param(["simulate", "--port", "0"], id="simulate"),
    ],
)
def test_without_the_demo_its_commands_say_what_to_install_and_touch_nothing(args, tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_THE_DEMO, *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f"{args[0]}: the demo is not installed: it comes with a clone of the project "
        "(make install), not with the contacts-elt package\n"
    )
    assert list(tmp_path.iterdir()) == []
