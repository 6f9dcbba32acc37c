"""Re-read every stored body with the current parser, without fetching.

A parser fix is applied to the whole archive this way; it never poses as a change on the
site, because versions are not touched: only their parsed rows are rewritten.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scraper.fetched import decode_text
from scraper.observe import parsed_record
from scraper.parse import PARSER_VERSION, parse_page
from store.archive import Archive, decompress
from store.lock import locked_archive

if TYPE_CHECKING:
    from scraper.config import Config


def reparse_archive(archive: Archive) -> dict[str, Any]:
    """Rebuild recommendation_versions, status_events and log_changes from stored bodies, and
    every recommendation and listing snapshot's normalised hash."""
    seen = changed = 0
    for snap in list(archive.snapshots_for_reparse()):
        body = decompress(snap["body"], snap["body_compression"])
        text, _ = decode_text(body, snap["content_type"])
        parsed = parsed_record(parse_page(text, snap["url"]))
        seen += 1
        changed += archive.replace_parsed(snap["id"], snap["url"], parsed)
    archive.prune_listing_contents()
    return {"snapshots": seen, "changed": changed, "parser_version": PARSER_VERSION}


def reparse(config: Config, db_path: str | Path | None = None) -> dict[str, Any]:
    """Re-read every stored body with the current parser, without fetching (takes the lock)."""
    with locked_archive(str(db_path or config.store.path), "reparse") as archive:
        return reparse_archive(archive)


class _CallableModule(types.ModuleType):
    """`scraper.reparse` is both this module and the public function (README, "Python API"):
    importing the module rebinds the package's name to it, so the module answers the call."""

    def __call__(self, config: Config, db_path: str | Path | None = None) -> dict[str, Any]:
        return reparse(config, db_path)


sys.modules[__name__].__class__ = _CallableModule
