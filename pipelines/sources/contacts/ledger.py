"""One source's run in scratch DuckDB tables: what the destination held, what the listing read."""

import contextlib
import os
import shutil
import tempfile
import threading
import uuid
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any, ClassVar

import duckdb
import pyarrow as pa

# Rows gathered in Python before they go to DuckDB.
_STAGED_ROWS = 20_000
# The database file every ledger of a folder shares, each in a schema of its own.
_DATABASE_FILE = "ledgers.duckdb"


def _fits_bigint(value: Any) -> bool:
    return type(value) is int and -(2**63) <= value < 2**63


def _fits_text(value: Any) -> bool:
    # A lone surrogate has no UTF-8 form; the contract sets such a contact aside.
    return type(value) is str and (value.isascii() or value.isprintable() or _encodes(value))


def _encodes(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


@dataclass(frozen=True)
class LedgerRow:
    """A listed contact whose content the destination does not hold."""

    content: bytes
    """The contact as the API sent it, as canonical JSON (`changes.canonical_content`)."""
    fingerprint: str | None
    held: bool
    """Whether the destination holds a contact of this id, live or marked deleted."""
    held_fingerprint: str | None


class ContactLedger:
    """What one source's run compares, kept in DuckDB instead of in Python.

    Holding every id and fingerprint in dicts made a load's memory grow with the account (863 MB
    at a million contacts per API). Here the held rows are copied in once, at the start; the
    listing's contacts (id, fingerprint and canonical JSON) are appended page by page; and once
    the listing is done, one join says which contacts changed, and which held ones it lacks.

    The ledgers of one folder share one DuckDB file (`_SharedDatabase`), each in a schema of
    its own, so that one `memory_limit` bounds them all. Nothing of it outlives the run.

    Only the last listing of a run counts: `start_listing` forgets the contacts of the one
    before, so that a shifting listing read again never brings back an older copy.
    """

    def __init__(self, folder: Path, id_type: str, memory_limit: str, threads: int = 1) -> None:
        """
        Args:
            folder: where the ledgers' database file lives, and DuckDB spills beside it.
            id_type: the contract's id type, `bigint` or `text`.
            memory_limit: DuckDB's memory limit for every ledger in `folder`, `64MB`.
            threads: DuckDB's threads; the load's own threads already keep the cores busy.
        """
        self._id_type = pa.int64() if id_type == "bigint" else pa.string()
        sql_type = "bigint" if id_type == "bigint" else "varchar"
        self._database = _SharedDatabase.attach(folder, memory_limit, threads)
        self._connection = self._database.connection()
        self._schema = f"ledger_{uuid.uuid4().hex}"
        self._connection.execute(f"create schema {self._schema}")
        self._held, self._listed = f"{self._schema}.held", f"{self._schema}.listed"
        self._connection.execute(
            f"create table {self._held} (id {sql_type}, fingerprint varchar, is_deleted boolean)"
        )
        self._connection.execute(
            f"create table {self._listed} "
            f"(ordinal bigint, id {sql_type}, fingerprint varchar, content_start bigint, "
            "content_length integer)"
        )
        # The contacts' JSON goes to a file of its own, appended to, and is read back only for
        # the contacts that changed: into DuckDB, as a column, it was a fifth of a night with
        # nothing changed at a million contacts per API.
        self._contents_file = folder / f"{self._schema}.contents"
        self._contents_fd = os.open(self._contents_file, os.O_RDWR | os.O_CREAT | os.O_TRUNC)
        self._contents_written = 0
        self._ordinal = 0
        self._ids: list[Any] = []
        self._fingerprints: list[str | None] = []
        # The contents back to back, as Arrow keeps a binary column: orjson gives each of its
        # results a 4 KB block, ten times a contact's JSON, which a list of them would keep.
        self._contents = bytearray()
        self._content_ends = array("q", [0])
        self._folder: Path | None = None

    @classmethod
    def temporary(cls, id_type: str) -> "ContactLedger":
        """An empty ledger for a source run outside `load` (nothing held), spilling to a
        folder of its own, which `close` deletes."""
        folder = Path(tempfile.mkdtemp(prefix="contacts-ledger-"))
        ledger = cls(folder, id_type, memory_limit="64MB")
        ledger._folder = folder
        return ledger

    # The destination's side

    def hold(self, rows: Iterable[pa.RecordBatch | pa.Table]) -> None:
        """Copies in what the destination holds: `id`, `fingerprint`, `is_deleted` columns."""
        for batch in rows:
            if batch.num_rows:
                table = (
                    pa.Table.from_batches([batch]) if isinstance(batch, pa.RecordBatch) else batch
                )
                self._connection.register("held_batch", table)
                self._connection.execute(
                    f"insert into {self._held} select id, fingerprint, is_deleted from held_batch"
                )
                self._connection.unregister("held_batch")

    # The listing's side

    def start_listing(self) -> None:
        """Forgets the contacts of an earlier listing of this run."""
        self._clear_staged()
        self._connection.execute(f"delete from {self._listed}")
        os.ftruncate(self._contents_fd, 0)
        self._contents_written = 0

    def add(self, contact_id: Any, fingerprint: str | None, content: bytes) -> None:
        """Records one listed contact; an id of another type than the contract's is recorded
        without it (the contract sets that contact aside)."""
        self._ids.append(contact_id)
        self._fingerprints.append(fingerprint)
        self._contents += content
        self._content_ends.append(len(self._contents))
        if len(self._ids) >= _STAGED_ROWS:
            self._flush()

    def listed_counts(self) -> tuple[int, int, int]:
        """How many items the listing read with an id of the contract's type, how many
        distinct ids among them, and how many items without one."""
        self._flush()
        with_id, distinct, without_id = self._connection.execute(
            f"select count(id), count(distinct id), count(*) - count(id) from {self._listed}"
        ).fetchall()[0]
        return with_id, distinct, without_id

    def changed(
        self, rewrite_all: bool = False, rows_per_batch: int = 2_500
    ) -> Iterator[list[LedgerRow]]:
        """The listed contacts whose fingerprint differs from the held one, in batches; each id
        once, as the listing last read it. In no particular order: sorting them would hold
        every changed contact in memory or on disk once more.

        Args:
            rewrite_all: every listed contact, whatever its fingerprint (`contacts-elt refresh`).
            rows_per_batch: contacts per batch.
        """
        rows, distinct, _ = self.listed_counts()
        # A contact listed twice (a listing that shifted) counts as last read.
        latest = (
            f"select * from {self._listed} qualify row_number() over "
            "(partition by coalesce(cast(id as varchar), 'ordinal ' || ordinal) "
            "order by ordinal desc) = 1"
            if rows > distinct
            else f"select * from {self._listed}"
        )
        differs = (
            "true"
            if rewrite_all
            else "h.fingerprint is distinct from l.fingerprint or h.fingerprint is null"
        )
        # A cursor of its own: DuckDB allows a connection one unfinished result at a time.
        # In the order of the contents file, so that it is read from start to end.
        reader = (
            self._connection.cursor()
            .sql(
                "select l.content_start, l.content_length, l.fingerprint, "
                "h.id is not null as held, h.fingerprint as held_fingerprint "
                f"from ({latest}) as l left join {self._held} as h on h.id = l.id "
                f"where {differs} order by l.content_start"
            )
            .to_arrow_reader(rows_per_batch)
        )
        for batch in reader:
            columns = batch.to_pydict()
            yield [
                LedgerRow(
                    os.pread(self._contents_fd, length, start), fingerprint, held, held_fingerprint
                )
                for start, length, fingerprint, held, held_fingerprint in zip(
                    columns["content_start"],
                    columns["content_length"],
                    columns["fingerprint"],
                    columns["held"],
                    columns["held_fingerprint"],
                    strict=True,
                )
            ]

    def held_fingerprints(self, ids: list[Any]) -> dict[Any, str | None]:
        """The held fingerprint of each of a few ids that the destination holds."""
        if not ids:
            return {}
        table = pa.table({"id": pa.array(ids, self._id_type)})
        self._connection.register("wanted", table)
        try:
            rows = self._connection.execute(
                f"select h.id, h.fingerprint from {self._held} as h join wanted as w on w.id = h.id"
            ).fetchall()
        finally:
            self._connection.unregister("wanted")
        return dict(rows)

    def unchanged_count(self) -> int:
        """How many listed contacts the destination holds exactly as listed."""
        self._flush()
        (count,) = self._connection.execute(
            f"select count(distinct l.id) from {self._listed} l join {self._held} h "
            "on h.id = l.id and h.fingerprint = l.fingerprint"
        ).fetchall()[0]
        return count

    # The comparison that marks deletes

    def gone_ids(self, rows_per_batch: int = 10_000) -> Iterator[Any]:
        """The held live contacts the listing lacks."""
        self._flush()
        # A cursor of its own: DuckDB allows a connection one unfinished result at a time.
        reader = (
            self._connection.cursor()
            .sql(
                f"select id from {self._held} where not is_deleted and id not in "
                f"(select id from {self._listed} where id is not null)"
            )
            .to_arrow_reader(rows_per_batch)
        )
        for batch in reader:
            yield from batch.column(0).to_pylist()

    def reappeared_ids(self) -> list[Any]:
        """The contacts marked deleted that the listing shows again, in id order."""
        self._flush()
        return [
            row[0]
            for row in self._connection.execute(
                f"select id from {self._held} where is_deleted "
                f"and id in (select id from {self._listed}) order by id"
            ).fetchall()
        ]

    def close(self) -> None:
        """Drops this ledger's tables and closes its connection: nothing outlives the run."""
        with contextlib.suppress(duckdb.Error):
            self._connection.execute(f"drop schema if exists {self._schema} cascade")
        with contextlib.suppress(duckdb.Error):
            self._connection.close()
        os.close(self._contents_fd)
        self._contents_file.unlink(missing_ok=True)
        self._database.detach()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)

    def _flush(self) -> None:
        ids = self._ids
        if not ids:
            return
        fits = _fits_bigint if self._id_type == pa.int64() else _fits_text
        base = self._contents_written
        os.pwrite(self._contents_fd, self._contents, base)
        self._contents_written += len(self._contents)
        table = pa.table(
            {
                "ordinal": pa.array(range(self._ordinal, self._ordinal + len(ids)), pa.int64()),
                "id": pa.array([value if fits(value) else None for value in ids], self._id_type),
                "fingerprint": pa.array(self._fingerprints, pa.string()),
                "content_start": pa.array(
                    [base + start for start in self._content_ends[:-1]], pa.int64()
                ),
                "content_length": pa.array(
                    [end - start for start, end in pairwise(self._content_ends)], pa.int32()
                ),
            }
        )
        self._ordinal += len(ids)
        self._connection.register("listed_batch", table)
        self._connection.execute(f"insert into {self._listed} select * from listed_batch")
        self._connection.unregister("listed_batch")
        self._clear_staged()

    def _clear_staged(self) -> None:
        self._ids = []
        self._fingerprints = []
        self._contents = bytearray()
        self._content_ends = array("q", [0])


class _SharedDatabase:
    """The DuckDB file that the ledgers of one folder share, open while any of them is.

    One database, so that one memory limit bounds them all; a file rather than memory, so
    that the tables, a million contacts' JSON per source, are written out past that limit
    (in memory, DuckDB ran out of its 64 MB at a million per API). Whatever a killed run
    left is discarded on opening, and the file is deleted once its last ledger closes.
    """

    _open: ClassVar[dict[Path, "_SharedDatabase"]] = {}
    _lock = threading.Lock()

    def __init__(self, path: Path, memory_limit: str, threads: int) -> None:
        self.path = path
        self._users = 0
        _discard(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._root = duckdb.connect(str(path))
        for setting in (
            f"set memory_limit = '{memory_limit}'",
            f"set threads = {int(threads)}",
            # Nothing read here depends on the order rows went in, and keeping it costs memory.
            "set preserve_insertion_order = false",
            # The file is deleted on closing: writing it out once more then would be waste.
            "pragma disable_checkpoint_on_shutdown",
        ):
            self._root.execute(setting)

    @classmethod
    def attach(cls, folder: Path, memory_limit: str, threads: int) -> "_SharedDatabase":
        path = folder / _DATABASE_FILE
        with cls._lock:
            database = cls._open.get(path)
            if database is None:
                database = cls._open[path] = cls(path, memory_limit, threads)
            database._users += 1
        return database

    def connection(self) -> duckdb.DuckDBPyConnection:
        """A connection of its own to the database, for one ledger's thread."""
        return self._root.cursor()

    def detach(self) -> None:
        with self._lock:
            self._users -= 1
            if self._users:
                return
            del self._open[self.path]
        with contextlib.suppress(duckdb.Error):
            self._root.close()
        _discard(self.path)


def _discard(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)
    shutil.rmtree(path.with_name(path.name + ".tmp"), ignore_errors=True)
