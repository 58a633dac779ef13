"""`contacts-elt` as a subprocess, the way a scheduler starts it, for the end-to-end tests."""

import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

CONTACTS_ELT = str(Path(sys.executable).with_name("contacts-elt"))


@contextmanager
def contacts_elt_starter(
    env: dict[str, str], cwd: Path, trailing_args: Sequence[str] = ()
) -> Iterator[Callable[..., subprocess.Popen]]:
    """Yields `start(*args, extra_env=None)`, which starts `contacts-elt <args> <trailing_args>`
    with pipes for its output; whatever is still running at the end is killed."""
    started: list[subprocess.Popen] = []

    def start(*args: str, extra_env: dict[str, str] | None = None) -> subprocess.Popen:
        process = subprocess.Popen(
            [CONTACTS_ELT, *args, *trailing_args],
            env=env | (extra_env or {}),
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(process)
        return process

    try:
        yield start
    finally:
        for process in started:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=30)
