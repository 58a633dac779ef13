"""Controllable clock and the timestamp formats the simulated APIs serve."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

# Generated data lies strictly before this instant; an unfrozen clock never reads earlier, so every
# write through the simulators looks newer than anything generated.
GENERATED_DATA_END = datetime(2026, 7, 1, tzinfo=UTC)

TimestampFormatter = Callable[[int | None], str | None]


class Clock:
    """Wall clock that tests can freeze and move.

    Unfrozen it runs at real speed, shifted forward if the machine's clock is earlier than
    `floor`. Unfreezing resumes from the frozen instant, so time never jumps backwards.

    Args:
        floor: The earliest time it reads when it starts; by default just after the generated
            data, so writes always look newer than anything generated.
    """

    def __init__(self, floor: datetime = GENERATED_DATA_END) -> None:
        self._lock = threading.Lock()
        self._frozen_at: datetime | None = None
        self._offset = max(timedelta(0), floor - datetime.now(UTC))

    @property
    def frozen(self) -> bool:
        """Whether the clock is currently frozen."""
        return self._frozen_at is not None

    def now(self) -> datetime:
        """Returns the current simulated time as an aware UTC datetime."""
        with self._lock:
            if self._frozen_at is not None:
                return self._frozen_at
            return datetime.now(UTC) + self._offset

    def freeze(self, at: datetime | None = None) -> None:
        """Stops the clock at `at` (naive values are taken as UTC), or at the current time."""
        at = self.now() if at is None else as_utc(at)
        with self._lock:
            self._frozen_at = at

    def tick(self, seconds: float) -> None:
        """Moves the clock forward (or backward, if negative) whether frozen or not."""
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += timedelta(seconds=seconds)
            else:
                self._offset += timedelta(seconds=seconds)

    def unfreeze(self) -> None:
        """Lets the clock run again at real speed from the instant it was frozen at."""
        with self._lock:
            if self._frozen_at is not None:
                self._offset = self._frozen_at - datetime.now(UTC)
                self._frozen_at = None


def as_utc(moment: datetime) -> datetime:
    """Returns `moment` as an aware UTC datetime, taking naive values as UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def to_epoch(moment: datetime) -> int:
    """Returns whole seconds since the epoch: both APIs serve second precision."""
    return int(as_utc(moment).timestamp())


def parse_timestamp(text: str) -> int:
    """Parses an ISO-8601 or SQL-style timestamp (naive means UTC) to epoch seconds.

    Raises:
        ValueError: If `text` is not a timestamp.
    """
    return to_epoch(datetime.fromisoformat(text))


def parse_timestamps(record: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """Parses a contact's timestamps, given as text (or null), to epoch seconds, in place.

    Raises:
        ValueError: If one is not a timestamp.
    """
    for name in names:
        if record[name] is not None:
            try:
                record[name] = parse_timestamp(record[name])
            except (TypeError, ValueError):
                raise ValueError(f"contact {record['id']}: {name} is not a timestamp") from None
    return record


# Three stamps per contact are rendered for every page served, so this is a hot path: caching
# the date and looking the time up in tables is about three times faster than time.strftime.
_HOURS_MINUTES = tuple(f"{hour:02d}:{minute:02d}:" for hour in range(24) for minute in range(60))
_SECONDS = tuple(f"{second:02d}" for second in range(60))


def timestamp_formatter(
    separator: str = "T", suffix: str = "Z", utc_offset: timedelta = timedelta(0)
) -> TimestampFormatter:
    """Returns a function that renders epoch seconds (or None) as text, None staying None.

    The text is "YYYY-MM-DD", `separator`, "HH:MM:SS" and `suffix`.

    Args:
        separator: Between date and time, "T" or " ".
        suffix: Appended zone designator, e.g. "Z", "+02:00" or "" for none.
        utc_offset: Shift of the wall time, matching `suffix`.
    """
    shift = int(utc_offset.total_seconds())
    dates: dict[int, str] = {}

    def render(epoch: int | None) -> str | None:
        if epoch is None:
            return None
        day, second = divmod(epoch + shift, 86_400)
        date = dates.get(day)
        if date is None:
            date = dates[day] = time.strftime("%Y-%m-%d", time.gmtime(day * 86_400)) + separator
        minute, second = divmod(second, 60)
        return date + _HOURS_MINUTES[minute] + _SECONDS[second] + suffix

    return render


def offset_suffix(utc_offset: timedelta) -> str:
    """Returns an ISO-8601 zone suffix like "+02:00" or "-05:30"."""
    minutes = int(utc_offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


format_iso_z = timestamp_formatter("T", "Z")
