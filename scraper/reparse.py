"""Re-read every stored body with the current parser, without fetching.

A parser fix is applied to the whole archive this way; it never poses as a change on the
site, because versions are not touched: only their parsed rows are rewritten.

Parsing is pure (scraper.parse.parse_page), so it runs on every core: worker processes are
fed the stored bodies a block at a time, still compressed (the workers decompress and
decode them too), with the parse stored for each in plain values; a worker hands back the
store's record of a new parse, or only its hash and parser version when it reads as the
stored one (store.archive.parse_unchanged), which is almost always. This process alone
reads and writes the archive, in batches (Archive.batch: each snapshot's rows are swapped
whole, and a kill loses nothing committed), in the order one process would have written
them, so the result is the same row for row whatever the number of workers. `workers=1`
parses inline. The live crawl does not use the pool (its own thread needs the CPU).
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
from store.archive import (
    Archive,
    ParsedRecord,
    Settled,
    StoredParse,
    decompress,
    parse_unchanged,
    settle,
)
from store.lock import locked_archive

if TYPE_CHECKING:
    from scraper.config import Config

# Snapshots read and sent to the workers at a time; blocks in flight at once.
BLOCK = 512
IN_FLIGHT = 3
# Snapshots a worker takes per task: at most CHUNK, and no more stored body bytes than
# CHUNK_BYTES unless it is one snapshot. Parse time varies widely (a listing page of 800
# entries costs 25 recommendation pages), and such pages sort together by URL: chunks cut by
# count alone handed one worker every listing at once, ordered writing then waited on that
# one chunk while the other worker ran out of blocks in flight.
CHUNK = 64
CHUNK_BYTES = 16_384
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


Parses = list[ParsedRecord | Settled]


def reparse_one(item: tuple[Sequence[Any], StoredParse]) -> ParsedRecord | Settled:
    """The parse of one stored snapshot, or, when it reads as the parse stored for it, only
    what the writer needs of it (a few bytes to send back instead of the whole record)."""
    snapshot, stored = item
    parsed = parse_stored(snapshot)
    return settle(parsed) if parse_unchanged(stored, parsed) else parsed


def reparse_chunk(items: Sequence[tuple[Sequence[Any], StoredParse]]) -> Parses:
    """reparse_one for each of a worker's task's snapshots, in order."""
    return [reparse_one(item) for item in items]


def _chunks(items: Sequence[tuple[Sequence[Any], StoredParse]]) -> Iterator[list]:
    """Consecutive runs of `items` of at most CHUNK snapshots and about CHUNK_BYTES of
    stored body (the best cheap guess at their parse time) each."""
    chunk: list = []
    size = 0
    for item in items:
        body = len(item[0][3])
        if chunk and (len(chunk) >= CHUNK or size + body > CHUNK_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append(item)
        size += body
    if chunk:
        yield chunk


def _pool(workers: int) -> Pool:
    # fork: a worker starts with the parser (and any patch of it) already imported, in
    # milliseconds. Workers only parse: no database handle, no network, and no run lock
    # (store.lock closes a forked child's copy of it).
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    return context.Pool(workers, initializer=_ignore_interrupts)


def _ignore_interrupts() -> None:
    """Ctrl-C is for the writer, which ends the workers itself."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _parsed_blocks(
    archive: Archive, workers: int
) -> Iterator[tuple[list[tuple], dict[int, StoredParse], Parses]]:
    """(block, its stored parses, its new parses) in archive order; with workers > 1 the
    next blocks are parsed while the caller writes this one."""

    def read() -> Iterator[tuple[list[tuple], dict[int, StoredParse]]]:
        for block in archive.reparse_blocks(BLOCK):
            yield block, archive.stored_parses([s[0] for s in block])

    if workers <= 1:
        for block, stored in read():
            yield block, stored, [reparse_one((s, stored[s[0]])) for s in block]
        return
    pool = _pool(workers)
    try:
        pending: deque[tuple[list[tuple], dict[int, StoredParse], AsyncResult[list[Parses]]]]
        pending = deque()
        for block, stored in read():
            chunks = list(_chunks([(s, stored[s[0]]) for s in block]))
            pending.append((block, stored, pool.map_async(reparse_chunk, chunks, chunksize=1)))
            if len(pending) >= IN_FLIGHT:
                done, done_stored, result = pending.popleft()
                yield done, done_stored, [p for chunk in result.get() for p in chunk]
        while pending:
            done, done_stored, result = pending.popleft()
            yield done, done_stored, [p for chunk in result.get() for p in chunk]
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
        for block, stored, parses in _parsed_blocks(archive, workers):
            seen += len(block)
            changed += archive.replace_parsed_many(
                [(s[0], s[1], parsed) for s, parsed in zip(block, parses, strict=True)], stored
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
