"""What the command line reports: plain lines for people, or JSON lines for log collectors."""

import json
import logging
import os
import sys
import traceback
from datetime import UTC, datetime
from typing import Any, TextIO

TEXT = "text"
JSON = "json"
LOG_FORMATS = (TEXT, JSON)

_format = TEXT


def configure(log_format: str, verbose: bool) -> None:
    """Sets how events are written, for the whole process.

    Text is the plain output people and the tests read: a line on stdout when things went
    well, on stderr when they did not. JSON writes one object per line on stderr, and turns
    Python's and dlt's own log records into JSON lines as well, so that a collector never
    meets a line it cannot parse.
    """
    global _format
    _format = log_format
    level = logging.INFO if verbose else logging.WARNING
    if log_format == JSON:
        handler = _StderrHandler()
        handler.setFormatter(JsonFormatter())
        logging.basicConfig(level=level, handlers=[handler], force=True)
        # dlt keeps a logger of its own that does not propagate; it can write JSON itself.
        os.environ["RUNTIME__LOG_FORMAT"] = "JSON"
    elif verbose:
        logging.basicConfig(level=level)


def is_json() -> bool:
    return _format == JSON


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
        source: the source system the event is about, `dbt`, or None for the whole run.
        exception: an exception whose traceback is shown when `show_traceback` is set.
        show_traceback: print the traceback of `exception` (text) or add it as a field (JSON).
        json_only: an event that text output does not print, such as the start of a run.
        **fields: structured values for JSON output, such as counts and seconds.
    """
    trace = None
    if exception is not None and show_traceback:
        trace = "".join(traceback.format_exception(exception))
    if _format == JSON:
        record = {"time": _now(), "level": level, "event": event, "source": source}
        record |= {"message": message, **fields}
        if trace is not None:
            record["traceback"] = trace
        _write_json(record, sys.stderr)
        return
    if json_only:
        return
    stream = sys.stdout if level == "info" else sys.stderr
    print(message, file=stream)
    if trace is not None:
        print(trace, end="", file=sys.stderr)


class JsonFormatter(logging.Formatter):
    """Python log records in the same shape as `emit`'s events."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "event": "log",
            "source": None,
            "message": record.getMessage(),
            "logger": record.name,
        }
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is when a record comes, as `emit` does."""

    @property
    def stream(self) -> TextIO:  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, _: TextIO) -> None:
        pass


def _write_json(record: dict[str, Any], stream: TextIO) -> None:
    stream.write(json.dumps(record, default=str, ensure_ascii=False) + "\n")
    stream.flush()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")
