"""A load's progress: a live line per source on a terminal, or events every N seconds."""

# Why not dlt's own collectors: docs/architecture.md, "Progress, not dlt's collectors".

import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TextIO

from dlt.common.configuration import configspec, resolve_configuration
from dlt.common.configuration.specs import BaseConfiguration

from pipelines import logs
from pipelines.runs.failures import first_line
from pipelines.runs.results import SourceLoad

logger = logging.getLogger(__name__)

CONFIG_SECTION = "load_progress"
"""`[load_progress]` in `.dlt/config.toml`. Not `[progress]`: a top-level `progress` key is
dlt's own pipeline setting (the collector's name), and a table there makes every
`dlt.pipeline()` fail with `ValueError: {"interval_seconds":60}`."""

TERMINAL_REFRESH_SECONDS = 0.5
"""How often the terminal lines are redrawn: often enough to look live, rarely enough to cost
nothing next to a page's round trip."""


@configspec
class ProgressSettings(BaseConfiguration):
    """How often a load reports its progress, from `[load_progress]`."""

    interval_seconds: float = 60.0
    """Seconds between `load_progress` events (JSON) or log records (text with `--verbose`)
    off a terminal; the terminal's lines are redrawn twice a second whatever it says."""


def progress_settings() -> ProgressSettings:
    """`[load_progress]`, e.g. `LOAD_PROGRESS__INTERVAL_SECONDS`; the defaults when unreadable.

    A bad value must not fail the night: the load goes on with the default, and says so.
    """
    default = ProgressSettings()
    try:
        settings = resolve_configuration(ProgressSettings(), sections=(CONFIG_SECTION,))
    except Exception as error:
        problem = first_line(error)
    else:
        if settings.interval_seconds > 0:
            return settings
        problem = f"interval_seconds must be above 0, not {settings.interval_seconds}"
    logger.warning(
        "%s: %s; reporting every %s s", CONFIG_SECTION, problem, default.interval_seconds
    )
    return default


class _Watched:
    """One source's load as the reporter sees it: its result once it exists, and its clock.

    The counts are those the load's thread updates as it goes: single integer reads, so a
    line may show one page more than another, never a torn value.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.result: SourceLoad | None = None
        self.started = time.monotonic()

    def watch(self, result: SourceLoad) -> None:
        self.result = result
        self.started = time.monotonic()

    @property
    def running(self) -> bool:
        return self.result is not None and self.result.finished_at is None

    def seconds(self) -> float:
        if self.result is not None and self.result.finished_at is not None:
            return self.result.seconds
        return time.monotonic() - self.started

    def counts(self, separator: str = ", ") -> str:
        """`1,200/1,000,000 contacts, 6/5,000 pages`: against the totals when the API gave them."""
        stats = self.result.stats
        contacts = _of(stats.contacts_seen, stats.contacts_total)
        return f"{contacts} contacts{separator}{_of(stats.pages, stats.pages_total)} pages"

    def state(self, final: bool) -> str:
        """`done` or `failed` once over, `writing` once the listing is read, else nothing."""
        result = self.result
        if result is None or result.finished_at is None:
            # Every load is over when the last lines are drawn: one that never finished crashed.
            if final:
                return "failed"
            if result is None:
                return "starting"
            # The listing is read; what is left is deletes, then dlt's normalize and load.
            return "writing" if result.stats.consistent is not None else ""
        return "done" if result.ok else "failed"


def _of(count: int, total: int | None) -> str:
    return f"{count:,}" if total is None else f"{count:,}/{total:,}"


def _log_progress(watched: Sequence[_Watched]) -> None:
    """A `load_progress` event (JSON) or an INFO record (text) per running source."""
    for load in watched:
        if not load.running:
            continue
        stats = load.result.stats
        seconds = load.seconds()
        if logs.is_json():
            logs.emit(
                "load_progress",
                f"{load.name}: {load.counts()}, {seconds:,.0f} s",
                source=load.name,
                json_only=True,
                pages=stats.pages,
                pages_total=stats.pages_total,
                contacts_seen=stats.contacts_seen,
                contacts_total=stats.contacts_total,
                seconds=round(seconds, 3),
            )
        else:
            logger.info("%s: %s, %s s so far", load.name, load.counts(), f"{seconds:,.0f}")


def _terminal_lines(watched: Sequence[_Watched], final: bool = False) -> list[str]:
    """`levcapital  1,200/1,000,000 contacts  6/5,000 pages  12 s`, one per source."""
    width = max(len(load.name) for load in watched)
    lines = []
    for load in watched:
        parts = [f"{load.name:<{width}}"]
        if load.result is not None:
            parts += [load.counts(separator="  "), f"{load.seconds():,.0f} s"]
        if state := load.state(final):
            parts.append(state)
        lines.append("  ".join(parts))
    return lines


class _Ticker:
    """Calls `action` every `period` seconds in a daemon thread, until stopped."""

    def __init__(self, period: float, action: Callable[[], None]) -> None:
        self._period = period
        self._action = action
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="load-progress", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stopped.wait(self._period):
            try:
                self._action()
            except Exception:
                # Progress is a courtesy: whatever breaks it must not reach the loads.
                logger.debug("progress reporting stopped", exc_info=True)
                return


class _Terminal:
    """A block of lines kept at the bottom of a terminal, below whatever else is written.

    `take_over` puts `_Through` in front of `sys.stderr`, `sys.stdout` when it is a terminal
    too, and the logging handlers that write to them; `hand_back` undoes it.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lock = threading.RLock()
        self._shown = 0
        self._at_line_start = True
        self._proxies: dict[str, _Through] = {}

    def take_over(self) -> None:
        for name in ("stderr", "stdout"):
            real = getattr(sys, name)
            if real is self._stream or (name == "stdout" and _is_terminal(real)):
                proxy = self._proxies[name] = _Through(self, real)
                setattr(sys, name, proxy)
                for handler in _stream_handlers(real):
                    handler.setStream(proxy)

    def hand_back(self) -> None:
        for name, proxy in self._proxies.items():
            if getattr(sys, name) is proxy:
                setattr(sys, name, proxy.real)
            # dlt makes its handler when it first logs, on whatever sys.stderr was then.
            for handler in _stream_handlers(proxy):
                handler.setStream(proxy.real)
        self._proxies.clear()

    def draw(self, lines: list[str]) -> None:
        columns = _columns(self._stream)
        with self._lock:
            self._take_away()
            if not self._at_line_start:
                self._stream.write("\n")
            for line in lines:
                # A line that wraps would take two rows, and the next redraw would climb one
                # row short.
                self._stream.write(f"\x1b[2K{line[: columns - 1]}\n")
            self._shown = len(lines)
            self._at_line_start = True
            self._stream.flush()

    def write_through(self, real: TextIO, text: str) -> int:
        with self._lock:
            self._take_away()
            written = real.write(text)
            real.flush()
            if text:
                self._at_line_start = text.endswith("\n")
            return written

    def _take_away(self) -> None:
        if self._shown:
            # To the start of the block's first line, then clear to the end of the screen.
            self._stream.write(f"\x1b[{self._shown}F\x1b[J")
            self._stream.flush()
            self._shown = 0


class _Through:
    """A text stream that lets `_Terminal` take its lines away before each write."""

    def __init__(self, terminal: _Terminal, real: TextIO) -> None:
        self.real = real
        self._terminal = terminal

    def write(self, text: str) -> int:
        return self._terminal.write_through(self.real, text)

    def writelines(self, lines: Sequence[str]) -> None:
        self.write("".join(lines))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def _stream_handlers(stream: Any) -> list[logging.StreamHandler]:
    """The logging handlers, of any logger, that write to `stream`."""
    loggers = [logging.getLogger()] + [
        known
        for known in logging.Logger.manager.loggerDict.values()
        if isinstance(known, logging.Logger)
    ]
    return [
        handler
        for known in loggers
        for handler in known.handlers
        if isinstance(handler, logging.StreamHandler) and handler.stream is stream
    ]


def _is_terminal(stream: Any) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def _columns(stream: TextIO) -> int:
    """The terminal's width; 80 when it does not say (a pseudo-terminal may report 0)."""
    try:
        return os.get_terminal_size(stream.fileno()).columns or 80
    except (AttributeError, ValueError, OSError):
        return 80


@contextmanager
def reporting_progress(names: Sequence[str]) -> Iterator[Callable[[SourceLoad], None]]:
    """Reports the progress of the loads of `names` until the block ends, however it ends.

    Yields the function that each load calls with its result as soon as it exists; the counts
    are read from that result's `stats`. Reporting never fails a load: when it cannot start or
    stop, the loads go on without it.
    """
    watched = {name: _Watched(name) for name in names}
    loads = list(watched.values())
    ticker = terminal = None
    try:
        if not logs.is_json() and _is_terminal(sys.stderr):
            terminal = _Terminal(sys.stderr)
            terminal.take_over()
            ticker = _Ticker(
                TERMINAL_REFRESH_SECONDS, lambda: terminal.draw(_terminal_lines(loads))
            )
        elif logs.is_json() or logger.isEnabledFor(logging.INFO):
            ticker = _Ticker(progress_settings().interval_seconds, lambda: _log_progress(loads))
        if ticker is not None:
            ticker.start()
    except Exception:
        logger.debug("progress reporting could not start", exc_info=True)

    def watch(result: SourceLoad) -> None:
        if (load := watched.get(result.source)) is not None:
            load.watch(result)

    try:
        yield watch
    finally:
        try:
            if ticker is not None:
                ticker.stop()
            if terminal is not None:
                try:
                    terminal.draw(_terminal_lines(loads, final=True))
                finally:
                    terminal.hand_back()
        except Exception:
            logger.debug("progress reporting did not stop cleanly", exc_info=True)
