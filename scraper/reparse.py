"""Re-read every stored body with the current parser, without fetching.

A parser fix is applied to the whole archive this way; it never poses as a change on the
site, because versions are not touched: only their parsed rows are rewritten.
"""

from __future__ import annotations

from typing import Any

from scraper.fetched import decode_text
from scraper.observe import parsed_record
from scraper.parse import PARSER_VERSION, parse_page
from store.archive import Archive, decompress


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
