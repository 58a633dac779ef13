"""What the command line reports: plain lines for people, or JSON lines for log collectors."""

import functools
import json
import logging
import re
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

TEXT = "text"
JSON = "json"
LOG_FORMATS = (TEXT, JSON)

# dlt logs through `logging.getLogger(<name of its run context>)`, which is "dlt" unless a dlt
# workspace names it otherwise; it sets `propagate = False`, so root's handler never sees it.
_DLT_LOGGER = "dlt"
# dlt names the threads of its pools (the load step's jobs, parallel extract) after the thread
# that started them: `dlt-pool-<ident>-...`, from `Container.thread_pool_prefix()`.
_DLT_POOL_THREAD = re.compile(r"dlt-pool-(\d+)-")

P = ParamSpec("P")
R = TypeVar("R")

_format = TEXT
# The source each thread works for, by thread ident: records carry the ident of the thread
# that logged them, and dlt's pool threads name the ident of the thread that started them.
# Set and read by different threads; single dict operations are atomic.
_sources_by_thread: dict[int, str] = {}
# One line at a time on stderr, whichever thread writes it. Reentrant: a signal handler that
# reports something while its own thread holds the lock would otherwise wait forever.
_write_lock = threading.RLock()


def configure(log_format: str, verbose: bool) -> None:
    """Sets how events are written, for the whole process.

    Text is the plain output people and the tests read: a line on stdout when things went
    well, on stderr when they did not; dlt prints its own log lines in its own format. JSON
    writes one object per line on stderr, and turns Python's and dlt's own log records into
    JSON lines of the same shape, so that a collector never meets a line it cannot parse.
    """
    global _format
    _format = log_format
    level = logging.INFO if verbose else logging.WARNING
    _release_dlt_logger()
    dlt_logger = logging.getLogger(_DLT_LOGGER)
    dlt_logger.removeFilter(_LOAD_JOB_RETRIES)
    if log_format == TEXT and not verbose:
        dlt_logger.addFilter(_LOAD_JOB_RETRIES)
    if log_format == JSON:
        handler = _JsonLinesHandler()
        logging.basicConfig(level=level, handlers=[handler], force=True)
        _route_dlt_logger(handler)
    elif verbose:
        logging.basicConfig(level=level)


def is_json() -> bool:
    return _format == JSON


@contextmanager
def source_context(name: str) -> Iterator[None]:
    """Names `name` as the source of what this thread logs and emits until the block ends.

    The sources load side by side, one thread each; this is how a log record, which knows only
    its thread, says which source it is about. It covers the threads of dlt's pools that this
    thread starts, and the threads wrapped with `carry_source`. Contexts nest.
    """
    thread = threading.get_ident()
    outer = _sources_by_thread.get(thread)
    _sources_by_thread[thread] = name
    try:
        yield
    finally:
        if outer is None:
            del _sources_by_thread[thread]
        else:
            _sources_by_thread[thread] = outer


def current_source() -> str | None:
    """The source this thread works for, or None outside any `source_context`."""
    return _source_of_thread(threading.get_ident(), threading.current_thread().name)


def carry_source(function: Callable[P, R]) -> Callable[P, R]:
    """`function`, to run in another thread within the current thread's `source_context`.

    A thread does not inherit the context of the thread that started it: wrap what a thread of
    our own runs for a source (the page prefetcher, the page fan-out), as dlt logs there too.
    Outside any source context, `function` itself.
    """
    name = current_source()
    if name is None:
        return function

    @functools.wraps(function)
    def within_source(*args: P.args, **kwargs: P.kwargs) -> R:
        with source_context(name):
            return function(*args, **kwargs)

    return within_source


def emit(
    event: str,
    message: str,
    *,
    level: str = "info",
    source: str | None = None,
    exception: BaseException | None = None,
    show_traceback: bool = False,
    json_only: bool = False,
    **fields: Any,
) -> None:
    """Reports one event.

    Args:
        event: what happened, as a stable name such as `source_loaded`; JSON only.
        message: the line that text output prints, exactly.
        level: `info` goes to stdout in text; `warning` and `error` go to stderr.
        source: the source system the event is about, `dbt`, or None for the source of the
            current `source_context` (None outside one: the whole run).
        exception: an exception whose traceback is shown when `show_traceback` is set.
        show_traceback: print the traceback of `exception` (text) or add it as a field (JSON).
        json_only: an event that text output does not print, such as the start of a run.
        **fields: structured values for JSON output, such as counts and seconds.
    """
    trace = None
    if exception is not None and show_traceback:
        trace = "".join(traceback.format_exception(exception))
    if _format == JSON:
        source = current_source() if source is None else source
        record = {"time": _now(), "level": level, "event": event, "source": source}
        record |= {"message": message, **fields}
        if trace is not None:
            record["traceback"] = trace
        _write_line(json.dumps(record, default=str, ensure_ascii=False))
        return
    if json_only:
        return
    stream = sys.stdout if level == "info" else sys.stderr
    print(message, file=stream)
    if trace is not None:
        print(trace, end="", file=sys.stderr)


class _LoadJobRetriesFilter(logging.Filter):
    """Drops dlt's records of each attempt of a failing load job, traceback and all.

    A job the database refuses is tried five times, each logged with its traceback, before
    the load gives up: the run then says in one line what happened (or nothing, when a retry
    worked). `--verbose` keeps them, and so does JSON, whose collectors filter by level.
    """

    _PREFIXES = (
        "Transient exception in job",
        "Terminal exception in job",
        "Job for ",
        "Package ",
    )

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.funcName in self._FUNCTIONS and record.getMessage().startswith(self._PREFIXES)
        )

    # Where dlt's load step logs a job's attempts and the package it leaves pending.
    _FUNCTIONS = frozenset({"w_run_job", "complete_jobs", "load_single_package"})


_LOAD_JOB_RETRIES = _LoadJobRetriesFilter()


class JsonFormatter(logging.Formatter):
    """Python's and dlt's log records in the same shape as `emit`'s events."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "event": "log",
            "source": _source_of_thread(record.thread, record.threadName),
            "message": record.getMessage(),
            "logger": record.name,
        }
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class _JsonLinesHandler(logging.Handler):
    """Writes records as JSON lines on whatever `sys.stderr` is when they come, as `emit` does.

    Its formatter cannot be replaced: dlt sets the formatter of the handler it finds on its
    logger each time it initialises logging (its text format, or with RUNTIME__LOG_FORMAT=JSON
    a JSON formatter of its own, which it also puts on every named logger's handlers).
    """

    _json_formatter = JsonFormatter()

    @property
    def formatter(self) -> logging.Formatter:  # type: ignore[override]
        return self._json_formatter

    @formatter.setter
    def formatter(self, _: logging.Formatter | None) -> None:
        pass

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:
            self.handleError(record)
            return
        _write_line(line)


def _route_dlt_logger(handler: logging.Handler) -> None:
    """Makes `handler` the only one of dlt's logger, for good.

    dlt (re)initialises its logger when the first pipeline or config lookup plugs its run
    context, and again whenever that context is reloaded: it keeps the first handler the
    logger already has (creating a stream handler only when there is none), sets that handler's
    formatter, the level from RUNTIME__LOG_LEVEL, and `propagate = False`. So a handler put
    there before, or after, stays the one in use, and its fixed formatter keeps our schema.
    """
    dlt_logger = logging.getLogger(_DLT_LOGGER)
    # A handler dlt made already would print each record a second time, in dlt's format.
    for existing in dlt_logger.handlers[:]:
        dlt_logger.removeHandler(existing)
    dlt_logger.addHandler(handler)
    # dlt sets this too, but only once it initialises: root's handler is this same one, so a
    # record that went on to root would print twice.
    dlt_logger.propagate = False


def _release_dlt_logger() -> None:
    """Undoes `_route_dlt_logger`, for a process that goes back to text (the tests): dlt makes
    a handler of its own again the next time it initialises its logger."""
    dlt_logger = logging.getLogger(_DLT_LOGGER)
    for handler in dlt_logger.handlers[:]:
        if isinstance(handler, _JsonLinesHandler):
            dlt_logger.removeHandler(handler)


def _source_of_thread(ident: int | None, name: str | None) -> str | None:
    """The source a thread works for: its own context, or that of the thread that started it
    when it is one of dlt's pool threads."""
    source = _sources_by_thread.get(ident) if ident is not None else None
    if source is None and name and (pool := _DLT_POOL_THREAD.match(name)):
        source = _sources_by_thread.get(int(pool[1]))
    return source


def _write_line(line: str) -> None:
    with _write_lock:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")
