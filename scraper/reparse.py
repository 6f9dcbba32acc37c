"""Re-read every stored body with the current parser, without fetching.

A parser fix is applied to the whole archive this way; it never poses as a change on the
site, because versions are not touched: only their parsed rows are rewritten.

Parsing is pure (scraper.parse.parse_page), so it runs on every core: worker processes are
fed the stored bodies a block at a time, still compressed (the workers decompress and
decode them too), and hand back the store's plain records. This process alone reads and
writes the archive, in batches (Archive.batch: each snapshot's rows are swapped whole, and a
kill loses nothing committed), in the order one process would have written them, so the
result is the same row for row whatever the number of workers. `workers=1` parses inline.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import types
from collections import deque
from collections.abc import Iterator, Sequence
from multiprocessing.pool import AsyncResult, Pool
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scraper.fetched import decode_text
from scraper.observe import parsed_record
from scraper.parse import PARSER_VERSION, parse_page
from store.archive import Archive, ParsedRecord, decompress
from store.lock import locked_archive

if TYPE_CHECKING:
    from scraper.config import Config

# Snapshots read and sent to the workers at a time; blocks in flight at once.
BLOCK = 512
IN_FLIGHT = 3
# Snapshots a worker takes per task: small enough to keep every worker busy to the end.
CHUNK = 64
# The writer commits once this many snapshots are written, or this long after the first of
# them (checked as each block or changed snapshot is written): about one commit per block.
BATCH_PAGES = BLOCK
BATCH_SECONDS = 2.0


def default_workers() -> int:
    """One worker per core."""
    return os.cpu_count() or 1


def parse_stored(snapshot: Sequence[Any]) -> ParsedRecord:
    """The parse of one stored snapshot (id, url, version, body, body_compression,
    content_type): what a worker does, and what workers=1 does inline."""
    _, url, _, body, compression, content_type = snapshot
    text, _ = decode_text(decompress(body, compression), content_type)
    return parsed_record(parse_page(text, url))


def _parse_block(block: Sequence[Sequence[Any]]) -> list[ParsedRecord]:
    return [parse_stored(s) for s in block]


def _pool(workers: int) -> Pool:
    # fork: a worker starts with the parser (and any patch of it) already imported, in
    # milliseconds. Workers only parse: no database handle, no lock, no network.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    return context.Pool(workers, initializer=_ignore_interrupts)


def _ignore_interrupts() -> None:
    """Ctrl-C is for the writer, which ends the workers itself."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _parsed_blocks(
    archive: Archive, workers: int
) -> Iterator[tuple[list[tuple], list[ParsedRecord]]]:
    """(block, its parses) in archive order; with workers > 1 the next blocks are parsed
    while the caller writes this one."""
    blocks = archive.reparse_blocks(BLOCK)
    if workers <= 1:
        for block in blocks:
            yield block, _parse_block(block)
        return
    pool = _pool(workers)
    try:
        pending: deque[tuple[list[tuple], AsyncResult[list[ParsedRecord]]]] = deque()
        for block in blocks:
            pending.append((block, pool.map_async(parse_stored, block, chunksize=CHUNK)))
            if len(pending) >= IN_FLIGHT:
                done, result = pending.popleft()
                yield done, result.get()
        while pending:
            done, result = pending.popleft()
            yield done, result.get()
        pool.close()
    finally:
        pool.terminate()
        pool.join()


def reparse_archive(archive: Archive, workers: int = 1) -> dict[str, Any]:
    """Rebuild recommendation_versions, status_events and log_changes from stored bodies, and
    every recommendation and listing snapshot's normalised hash, parsing on `workers`
    processes (1: in this one)."""
    seen = changed = 0
    with archive.batch(pages=BATCH_PAGES, seconds=BATCH_SECONDS):
        for block, parses in _parsed_blocks(archive, workers):
            seen += len(block)
            changed += archive.replace_parsed_many(
                [(s[0], s[1], parsed) for s, parsed in zip(block, parses, strict=True)]
            )
    archive.prune_listing_contents()
    return {
        "snapshots": seen,
        "changed": changed,
        "parser_version": PARSER_VERSION,
        "workers": max(1, workers),
    }


def reparse(
    config: Config, db_path: str | Path | None = None, workers: int | None = None
) -> dict[str, Any]:
    """Re-read every stored body with the current parser, without fetching (takes the lock).

    `workers`: parsing processes (default store.parse_workers; 0 there means one per core).
    """
    if workers is None:
        workers = config.store.parse_workers
    workers = workers or default_workers()
    with locked_archive(str(db_path or config.store.path), "reparse") as archive:
        return reparse_archive(archive, workers)


class _CallableModule(types.ModuleType):
    """`scraper.reparse` is both this module and the public function (README, "Python API"):
    importing the module rebinds the package's name to it, so the module answers the call."""

    def __call__(
        self, config: Config, db_path: str | Path | None = None, workers: int | None = None
    ) -> dict[str, Any]:
        return reparse(config, db_path, workers)


sys.modules[__name__].__class__ = _CallableModule
