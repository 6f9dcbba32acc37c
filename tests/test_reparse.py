"""`hmicfrs reparse` rebuilds the parsed tables from stored bodies, never touching versions."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from scraper import parse
from scraper.reparse import parse_stored
from store.archive import Archive
from tests import reparsekill
from tests.fixturesite import FixtureSite
from tests.support import ROOT, crawl_both_states, hmicfrs, rows, write_config

PARSED_TABLES = {
    "recommendation_versions": "SELECT * FROM recommendation_versions ORDER BY snapshot_id",
    "status_events": "SELECT * FROM status_events ORDER BY snapshot_id, seq",
    "log_changes": "SELECT * FROM log_changes ORDER BY id",
    "listing_entries": "SELECT * FROM listing_entries ORDER BY snapshot_id, seq",
    "snapshots": "SELECT id, url, version, captured_at, last_seen_at, content_sha256, "
    "normalised_sha256 FROM snapshots ORDER BY id",
    "pages": "SELECT * FROM pages ORDER BY url",
}


def dump(db: Path) -> dict[str, list[dict]]:
    return {name: rows(db, sql) for name, sql in PARSED_TABLES.items()}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return crawl_both_states(tmp_path_factory.mktemp("reparse"))


def test_reparse_with_an_unchanged_parser_leaves_every_row_identical(crawled) -> None:
    config, db = crawled
    before = dump(db)
    assert before["log_changes"], "the later state should have produced log changes"
    assert before["listing_entries"], "the listings should have shown their entries"
    result = hmicfrs("reparse", "--config", str(config))
    assert result.exit_code == 0, result.output
    assert "0 parsed differently" in result.output
    assert dump(db) == before


def test_reparse_after_a_parser_change_rewrites_rows_but_adds_no_version(
    crawled, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, db = crawled
    before = dump(db)
    real = parse.parse_page

    def shouting(html: str, url: str) -> parse.ParsedPage:
        page = real(html, url)
        if page.text is None:
            return page
        return parse.ParsedPage(**{**page.__dict__, "text": page.text.upper()})

    monkeypatch.setattr("scraper.reparse.parse_page", shouting)
    monkeypatch.setattr("scraper.reparse.PARSER_VERSION", "test-upper")
    result = hmicfrs("reparse", "--config", str(config))
    assert result.exit_code == 0, result.output
    after = dump(db)
    assert [(s["url"], s["version"]) for s in after["snapshots"]] == [
        (s["url"], s["version"]) for s in before["snapshots"]
    ]
    texts = {r["snapshot_id"]: r["text"] for r in after["recommendation_versions"]}
    assert texts == {
        r["snapshot_id"]: r["text"].upper() if r["text"] else r["text"]
        for r in before["recommendation_versions"]
    }
    assert rows(db, "SELECT COUNT(*) AS n FROM runs WHERE command = 'crawl'") == [{"n": 2}]


@contextmanager
def crawled_once(tmp_path: Path) -> Iterator[tuple[FixtureSite, Path, Path]]:
    """The fixture site (still serving), a config and the archive after one crawl of it."""
    db = tmp_path / "archive.sqlite"
    with FixtureSite(state="initial") as site:
        config = write_config(tmp_path / "config.yaml", site.base_url, db)
        assert hmicfrs("crawl", "--config", str(config)).exit_code == 0
        yield site, config, db


def test_a_crawl_rereads_rows_an_older_parser_wrote_before_judging_changes(
    tmp_path: Path,
) -> None:
    with crawled_once(tmp_path) as (_, config, db):
        before = dump(db)
        # As if an older parser had read everything differently.
        rows(db, "UPDATE recommendation_versions SET parser_version = '0', text = 'old'")
        rows(
            db,
            """UPDATE listing_entry_rows
               SET parser_version = '0', content_sha256 = 'old-' || content_sha256""",
        )
        rows(
            db,
            """UPDATE listing_entry_contents
               SET text = 'old', content_sha256 = 'old-' || content_sha256""",
        )
        rows(db, "UPDATE snapshots SET normalised_sha256 = 'stale'")
        result = hmicfrs("crawl", "--config", str(config))
        assert result.exit_code == 0, result.output
    after = dump(db)
    assert after["recommendation_versions"] == before["recommendation_versions"]
    assert after["listing_entries"] == before["listing_entries"]
    # What the older parser read is gone with it, not left behind unreferenced.
    assert rows(db, "SELECT COUNT(*) AS n FROM listing_entry_contents WHERE text = 'old'") == [
        {"n": 0}
    ]
    assert [(s["url"], s["version"]) for s in after["snapshots"]] == [
        (s["url"], s["version"]) for s in before["snapshots"]
    ]
    assert rows(db, "SELECT DISTINCT parser_version FROM recommendation_versions") == [
        {"parser_version": parse.PARSER_VERSION}
    ]


def test_a_parser_change_outside_the_rows_does_not_pose_as_a_change_on_the_site(
    tmp_path: Path,
) -> None:
    with crawled_once(tmp_path) as (site, config, db):
        # An older parser that read every row the same way but hashed the record differently
        # (a field outside the rows, such as the heading's label, changed).
        rows(db, "UPDATE recommendation_versions SET parser_version = '0'")
        rows(
            db,
            """UPDATE snapshots SET normalised_sha256 = 'stale' WHERE url IN
               (SELECT url FROM pages WHERE kind IN ('recommendation', 'listing'))""",
        )
        site.set_state("later")
        assert hmicfrs("crawl", "--config", str(config)).exit_code == 0
        cosmetic = [s for s in site.catalogue() if s.change == "cosmetic"]
    assert cosmetic, "the later state should change some pages' bytes but not their content"
    for spec in cosmetic:
        versions = rows(db, "SELECT version FROM snapshots WHERE url = ?", (spec.url,))
        assert versions == [{"version": 1}], spec.url
    assert rows(db, "SELECT COUNT(*) AS n FROM snapshots WHERE normalised_sha256 = 'stale'") == [
        {"n": 0}
    ]


def spoil(db: Path) -> None:
    """As if an older parser had read every page differently and diffed the logs wrongly."""
    rows(db, "UPDATE recommendation_versions SET parser_version = '0', text = 'old'")
    rows(db, "DELETE FROM status_events WHERE seq % 3 = 1")
    rows(db, "UPDATE log_changes SET change = 'stale'")
    rows(db, "UPDATE listing_entry_rows SET parser_version = '0', report_title = 'old'")
    rows(
        db,
        """UPDATE snapshots SET normalised_sha256 = 'stale' WHERE url IN
           (SELECT url FROM pages WHERE kind IN ('recommendation', 'listing'))""",
    )


def test_a_reparse_on_worker_processes_writes_what_an_inline_one_does(
    crawled, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, db = crawled
    # Small blocks and chunks: many blocks in flight at once, each split between workers.
    monkeypatch.setattr("scraper.reparse.BLOCK", 7)
    monkeypatch.setattr("scraper.reparse.CHUNK", 2)
    dumps, outputs = {}, {}
    for workers in ("1", "3"):
        copy = tmp_path / f"workers-{workers}.sqlite"
        copy.write_bytes(db.read_bytes())
        spoil(copy)
        result = hmicfrs(
            "reparse", "--workers", workers, "--config", str(config), "--db", str(copy)
        )
        assert result.exit_code == 0, result.output
        outputs[workers] = result.output
        dumps[workers] = dump(copy)
    assert f"{workers} worker(s)" in outputs["3"] and "1 worker(s)" in outputs["1"]
    assert outputs["1"].split("(")[0] == outputs["3"].split("(")[0]
    assert "0 parsed differently" not in outputs["1"]
    assert dumps["1"] == dumps["3"]
    # ... and what replace_parsed, snapshot by snapshot in archive order, writes.
    copy = tmp_path / "one-by-one.sqlite"
    copy.write_bytes(db.read_bytes())
    spoil(copy)
    with Archive(copy) as archive:
        for snapshot in [s for block in archive.reparse_blocks() for s in block]:
            archive.replace_parsed(snapshot[0], snapshot[1], parse_stored(snapshot))
        archive.prune_listing_contents()
    assert dump(copy) == dumps["1"]
    versions = dumps["1"]["recommendation_versions"]
    assert {r["parser_version"] for r in versions} == {parse.PARSER_VERSION}
    assert "old" not in {r["text"] for r in versions}
    assert "stale" not in {r["change"] for r in dumps["1"]["log_changes"]}
    assert "stale" not in {s["normalised_sha256"] for s in dumps["1"]["snapshots"]}


def reparse_process(db: Path, kill_at: int | None = None) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, "-m", "tests.reparsekill", str(db)]
    args += [str(kill_at)] if kill_at is not None else []
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120)


def without_ids(found: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "id"} for r in found]


@pytest.mark.parametrize("kill_at", [3, 20])
def test_a_reparse_killed_mid_snapshot_keeps_whole_snapshots_and_a_rerun_finishes(
    crawled, tmp_path: Path, kill_at: int
) -> None:
    config, crawled_db = crawled
    # The archive as the real parser reads it (an earlier test may have left it shouting).
    db = tmp_path / "archive.sqlite"
    db.write_bytes(crawled_db.read_bytes())
    result = hmicfrs("reparse", "--workers", "1", "--config", str(config), "--db", str(db))
    assert result.exit_code == 0, result.output
    whole = tmp_path / "whole.sqlite"
    whole.write_bytes(db.read_bytes())
    done = reparse_process(whole)
    assert done.returncode == 0, done.stderr
    before = dump(db)
    killed = tmp_path / "killed.sqlite"
    killed.write_bytes(db.read_bytes())
    assert reparse_process(killed, kill_at).returncode == -signal.SIGKILL
    assert rows(killed, "PRAGMA integrity_check") == [{"integrity_check": "ok"}]
    after = dump(killed)
    # Every snapshot kept its rows, the old parse's or the new one's, never half of either:
    # the batches committed before the kill are the new parse, the rest the old.
    assert [r["snapshot_id"] for r in after["recommendation_versions"]] == [
        r["snapshot_id"] for r in before["recommendation_versions"]
    ]
    assert without_ids(after["status_events"]) == without_ids(before["status_events"])
    new = {r["snapshot_id"]: r["text"] for r in dump(whole)["recommendation_versions"]}
    old = {r["snapshot_id"]: r["text"] for r in before["recommendation_versions"]}
    texts = {r["snapshot_id"]: r["text"] for r in after["recommendation_versions"]}
    assert all(texts[i] in (old[i], new[i]) for i in texts)
    rewritten = [i for i in texts if texts[i] != old[i]]
    committed = [i for i in rewritten if texts[i] == new[i]]
    assert committed == rewritten
    assert (len(committed) > 0) == (kill_at > reparsekill.BLOCK)
    assert len(committed) < len([i for i in new if new[i] != old[i]])

    again = reparse_process(killed)
    assert again.returncode == 0, again.stderr
    assert dump(killed) == dump(whole)
