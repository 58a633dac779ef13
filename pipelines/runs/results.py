"""What one source's extract and load did, and the lines that report it."""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from pipelines.runs.failures import PackageRefused
from pipelines.settings import REJECTS_TABLE, raw_table
from pipelines.sources.contacts.resource import ExtractStats


@dataclass
class SourceLoad:
    """What one source's extract and load did."""

    source: str
    run_id: str = ""
    refresh: bool = False
    """A `contacts-elt refresh`: every listed contact written, whatever the cursor said."""
    stats: ExtractStats = field(default_factory=ExtractStats)
    rows_written: int = 0
    rows_inserted: int = 0
    rows_updated: int = 0
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None
    seconds: float = 0.0
    error: str | None = None
    expected: bool = True
    exception: BaseException | None = field(default=None, repr=False)
    packages_set_aside: list[PackageRefused] = field(default_factory=list)
    """Packages an earlier run left pending that the destination refused for their content:
    aborted, their files kept, their contacts read again by this run."""

    @property
    def ok(self) -> bool:
        return self.error is None

    def summary_line(self) -> str:
        """One line for the end of a run; failures name the source and the cause."""
        if not self.ok:
            return f"{self.source}: {self.error}"
        stats = self.stats
        line = (
            f"{self.source}: {stats.pages:,} pages fetched, {stats.contacts_seen:,} contacts "
            f"seen, {self.rows_written:,} rows written, {self.seconds:.1f} s"
        )
        notes = [
            f"{count:,} {what}"
            for count, what in (
                (stats.marked_deleted, "marked deleted"),
                (stats.reappeared, "reappeared"),
                (stats.recovered, "recovered from a shifting listing"),
                (len(stats.rejected), "set aside as rejects"),
            )
            if count
        ]
        if self.refresh:
            changed = self.rows_inserted + self.rows_updated
            notes.insert(0, f"refresh: every contact rewritten, {changed:,} new or changed")
        if stats.listings > 1:
            notes.append(f"listed {stats.listings} times")
        if stats.consistent is False:
            notes.append("listing kept shifting, no deletes marked")
        return f"{line} ({'; '.join(notes)})" if notes else line

    def set_aside_lines(self) -> list[str]:
        """One warning line per load package of an earlier run that was set aside."""
        return [f"{self.source}: {refused.describe()}" for refused in self.packages_set_aside]

    def rejects_line(self, shown: int = 5) -> str | None:
        """One warning line naming the contacts set aside this run, or None when there are none.

        e.g. `levcapital: 2 contacts set aside in raw_levcapital.contact_rejects: 84 (created_at
        is unreadable: Invalid isoformat string: 'yesterday'), 91 (first_name is a number, not a
        string)`.
        """
        rejected = self.stats.rejected
        if not rejected:
            return None
        named = ", ".join(
            f"{'an item without an id' if r.contact_id is None else r.contact_id} ({r.reason})"
            for r in rejected[:shown]
        )
        more = f", and {len(rejected) - shown:,} more" if len(rejected) > shown else ""
        what = "contact" if len(rejected) == 1 else "contacts"
        return (
            f"{self.source}: {len(rejected):,} {what} set aside in "
            f"{raw_table(self.source, REJECTS_TABLE)}: {named}{more}"
        )
