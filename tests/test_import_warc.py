"""`hmicfrs import warc`: WARC files from warcio and from wget give the versions a live crawl
of the same site states gives, at their capture times, with their provenance."""

from __future__ import annotations

import io
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from tests.archives import (
    STATES,
    archive_dump,
    capture_states,
    page_states,
    versions,
    wget_warc,
    write_warc,
)
from tests.fixturesite import FixtureSite
from tests.support import hmicfrs, rows, write_config


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    """A live crawl of each state of STATES in turn, and captures of the same states."""
    tmp = tmp_path_factory.mktemp("live")
    with FixtureSite(state="initial") as site:
        config = write_config(tmp / "config.yaml", site.base_url, tmp / "live.sqlite")
        for state, _ in STATES:
            site.set_state(state)
            assert hmicfrs("crawl", "--config", str(config)).exit_code == 0
        captures = capture_states(site)
    return tmp / "live.sqlite", captures


def import_warc(tmp: Path, base_url: str, db: str, *files: Path) -> tuple[int, str]:
    config = write_config(tmp / "config.yaml", base_url, tmp / db)
    result = hmicfrs("import", "warc", "--config", str(config), *map(str, files))
    return result.exit_code, result.output


def test_warcio_warc_gives_the_versions_of_a_live_crawl(tmp_path: Path, live: tuple) -> None:
    live_db, captures = live
    base_url = captures[0].original.split("/hmicfrs/")[0]
    warc = write_warc(tmp_path / "site.warc.gz", captures)
    code, output = import_warc(tmp_path, base_url, "warc.sqlite", warc)
    assert code == 0, output
    db = tmp_path / "warc.sqlite"
    assert versions(db) == versions(live_db)
    assert page_states(db) == [p for p in page_states(live_db) if p["state"] != "blocked"]


def test_versions_carry_their_capture_time_and_source(tmp_path: Path, live: tuple) -> None:
    _, captures = live
    base_url = captures[0].original.split("/hmicfrs/")[0]
    warc = write_warc(tmp_path / "site.warc.gz", captures)
    import_warc(tmp_path, base_url, "warc.sqlite", warc)
    found = rows(
        tmp_path / "warc.sqlite",
        """SELECT version, captured_at, last_seen_at, source, substr(source_url, 1, 13) AS file
           FROM versions WHERE url LIKE '%/east-fenland/3644/' ORDER BY version""",
    )
    assert found == [
        {"version": 1, "captured_at": "2016-03-01T12:00:00.000Z",
         "last_seen_at": "2017-06-15T08:00:00.000Z", "source": "warc", "file": "site.warc.gz#"},
        {"version": 2, "captured_at": "2019-01-10T09:30:00.000Z",
         "last_seen_at": "2019-01-10T09:30:00.000Z", "source": "warc", "file": "site.warc.gz#"},
    ]  # fmt: skip
    gone = rows(
        tmp_path / "warc.sqlite",
        "SELECT at, event, state_after FROM page_events WHERE url LIKE '%/ashdown/4104/'",
    )
    assert gone == [
        {"at": "2016-03-01T12:00:00.000Z", "event": "appeared", "state_after": "live"},
        {"at": "2019-01-10T09:30:00.000Z", "event": "went_missing", "state_after": "gone"},
    ]


def test_a_second_import_of_the_same_files_adds_nothing(tmp_path: Path, live: tuple) -> None:
    _, captures = live
    base_url = captures[0].original.split("/hmicfrs/")[0]
    warc = write_warc(tmp_path / "site.warc.gz", captures)
    import_warc(tmp_path, base_url, "warc.sqlite", warc)
    before = archive_dump(tmp_path / "warc.sqlite")
    code, output = import_warc(tmp_path, base_url, "warc.sqlite", warc)
    assert code == 0
    assert "0 new, 0 changed, 0 unchanged" in output
    assert archive_dump(tmp_path / "warc.sqlite") == before


def test_an_older_capture_imported_after_a_crawl_is_slotted_in_and_renumbers(
    tmp_path: Path, live: tuple
) -> None:
    """Files given in any order, imported after the crawl: versions end in time order, the
    import says it renumbered, and no snapshot id or hash moved."""
    _, captures = live
    with FixtureSite(state="later") as site:
        config = write_config(tmp_path / "config.yaml", site.base_url, tmp_path / "a.sqlite")
        assert hmicfrs("crawl", "--config", str(config)).exit_code == 0
        old = [replace(c, original=c.original.replace(captures[0].original.split("/hmicfrs/")[0],
                                                     site.base_url))
               for c in captures if c.timestamp.startswith("2016")]  # fmt: skip
        before = rows(tmp_path / "a.sqlite", "SELECT id, content_sha256 FROM snapshots ORDER BY id")
        warc = write_warc(tmp_path / "old.warc.gz", old)
        result = hmicfrs("import", "warc", "--config", str(config), str(warc))
    assert result.exit_code == 0, result.output
    assert "page(s) renumbered" in result.output
    after = rows(tmp_path / "a.sqlite", "SELECT id, content_sha256 FROM snapshots ORDER BY id")
    assert after[: len(before)] == before
    found = rows(
        tmp_path / "a.sqlite",
        """SELECT version, source, substr(captured_at, 1, 4) AS year FROM versions
           WHERE url LIKE '%/east-fenland/3644/' ORDER BY version""",
    )
    assert found == [
        {"version": 1, "source": "warc", "year": "2016"},
        {"version": 2, "source": "live", "year": found[1]["year"]},
    ]
    assert found[1]["year"] >= "2026"
    changes = rows(
        tmp_path / "a.sqlite",
        """SELECT from_version, to_version, status_before, status_after FROM version_changes
           WHERE url LIKE '%/east-fenland/3644/'""",
    )
    assert changes == [
        {"from_version": 1, "to_version": 2, "status_before": "complete",
         "status_after": "being-progressed"},
    ]  # fmt: skip


def test_a_capture_inside_a_versions_span_splits_it_in_two(tmp_path: Path) -> None:
    """A page seen the same in 2016 and 2019, then a 2017 capture that differs: the 2016
    version ends in 2016, the 2017 one follows, and the 2019 sighting becomes a version of its
    own (the same bytes under a new snapshot id), so the log changes twice."""
    with FixtureSite(state="initial") as site:
        same = capture_states(site, (("initial", "20160301120000"), ("initial", "20190110093000")))
        middle = capture_states(site, (("later", "20170615080000"),))
        config = write_config(tmp_path / "config.yaml", site.base_url, tmp_path / "a.sqlite")
    first = write_warc(tmp_path / "first.warc.gz", same)
    second = write_warc(tmp_path / "second.warc.gz", middle)
    assert hmicfrs("import", "warc", "--config", str(config), str(first)).exit_code == 0
    db = tmp_path / "a.sqlite"
    page = "%/east-fenland/3644/"
    spans = """SELECT s.version, s.id, substr(s.captured_at, 1, 4) AS first,
                      substr(s.last_seen_at, 1, 4) AS last, s.content_sha256 AS sha
               FROM snapshots s WHERE s.url LIKE ? ORDER BY s.version"""
    (one,) = rows(db, spans, [page])
    assert (one["first"], one["last"]) == ("2016", "2019")

    result = hmicfrs("import", "warc", "--config", str(config), str(second))
    assert result.exit_code == 0, result.output
    found = rows(db, spans, [page])
    assert [(v["version"], v["first"], v["last"]) for v in found] == [
        (1, "2016", "2016"),
        (2, "2017", "2017"),
        (3, "2019", "2019"),
    ]
    assert found[0]["id"] == one["id"] and found[0]["sha"] == one["sha"] == found[2]["sha"]
    assert found[2]["id"] not in (one["id"], found[1]["id"])
    # The 2019 capture now points at the copy; the copy has the parse and the log of the
    # original, and the page's current version is the copy.
    seen = rows(
        db,
        """SELECT substr(captured_at, 1, 4) AS year, snapshot_id FROM captures
           WHERE url LIKE ? ORDER BY captured_at""",
        [page],
    )
    assert [(c["year"], c["snapshot_id"]) for c in seen] == [
        ("2016", one["id"]),
        ("2017", found[1]["id"]),
        ("2019", found[2]["id"]),
    ]
    logs = """SELECT seq, on_date, status, comment FROM status_events WHERE snapshot_id = ?
              ORDER BY seq"""
    assert rows(db, logs, [found[2]["id"]]) == rows(db, logs, [one["id"]])
    current = rows(db, "SELECT current_snapshot_id AS id FROM pages WHERE url LIKE ?", [page])
    assert current == [{"id": found[2]["id"]}]
    changes = rows(
        db,
        """SELECT from_version, to_version, status_before, status_after FROM version_changes
           WHERE url LIKE ? ORDER BY from_version""",
        [page],
    )
    assert changes == [
        {"from_version": 1, "to_version": 2, "status_before": "complete",
         "status_after": "being-progressed"},
        {"from_version": 2, "to_version": 3, "status_before": "being-progressed",
         "status_after": "complete"},
    ]  # fmt: skip


def test_history_and_diff_show_each_versions_source(tmp_path: Path, live: tuple) -> None:
    _, captures = live
    base_url = captures[0].original.split("/hmicfrs/")[0]
    warc = write_warc(tmp_path / "site.warc.gz", captures)
    import_warc(tmp_path, base_url, "warc.sqlite", warc)
    db = str(tmp_path / "warc.sqlite")
    history = hmicfrs("history", "3644", "--db", db).output
    assert "2016-03-01T12:00:00.000Z" in history and "warc site.warc.gz#" in history
    diff = hmicfrs("diff", "3644", "--db", db).output
    assert "(2016-03-01T12:00:00.000Z, warc)" in diff
    assert "(2019-01-10T09:30:00.000Z, warc)" in diff


def test_arc_files_and_revisits_without_their_original_are_read(tmp_path: Path) -> None:
    """An ARC file (the format before WARC) is read; a revisit whose original is in no file
    given is a capture that failed, never an empty version."""
    with FixtureSite(state="initial") as site:
        page = "/hmicfrs/recommendation/northshire/104/"
        body = (site.base_url + page).encode()
        from tests.fakewayback import capture_site

        (capture,) = capture_site(site.base_url, [page], "20150505050505")
        http = (f"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=UTF-8\r\n"
                f"Content-Length: {len(capture.body)}\r\n\r\n").encode() + capture.body  # fmt: skip
        header = b"filedesc://test.arc 0.0.0.0 20150505050505 text/plain 76\n"
        desc = b"1 0 tests\nURL IP-address Archive-date Content-type Archive-length\n\n"
        header = header.replace(b"76", str(len(desc)).encode())
        line = f"{site.base_url}{page} 127.0.0.1 20150505050505 text/html {len(http)}\n"
        arc = tmp_path / "old.arc"
        arc.write_bytes(header + desc + b"\n" + line.encode() + http + b"\n")
        lonely = write_warc(tmp_path / "lonely.warc.gz", [capture], revisits=False)
        _rewrite_as_orphan_revisit(lonely)
        config = write_config(tmp_path / "config.yaml", site.base_url, tmp_path / "a.sqlite")
        result = hmicfrs("import", "warc", "--config", str(config), str(arc), str(lonely))
        assert body
    assert result.exit_code == 1, result.output
    found = rows(
        tmp_path / "a.sqlite",
        "SELECT version, captured_at, source FROM versions WHERE url LIKE '%/northshire/104/'",
    )
    assert found == [{"version": 1, "captured_at": "2015-05-05T05:05:05.000Z", "source": "warc"}]
    failed = rows(
        tmp_path / "a.sqlite", "SELECT outcome, error FROM captures WHERE outcome = 'error'"
    )
    assert failed == [
        {"outcome": "error", "error": "revisit record whose original is not in these files"}
    ]


def _rewrite_as_orphan_revisit(path: Path) -> None:
    """Turn the response of a one-page WARC into a revisit of a record not in any file."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.warcwriter import WARCWriter

    records = []
    with open(path, "rb") as file:
        for record in ArchiveIterator(file):
            if record.rec_type == "response":
                records.append(record)
                break
    record = records[0]
    with open(path, "rb") as file:
        for r in ArchiveIterator(file):
            if r.rec_type == "response":
                uri = r.rec_headers.get_header("WARC-Target-URI")
                digest = r.rec_headers.get_header("WARC-Payload-Digest")
                http = r.http_headers
                break
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    revisit = writer.create_revisit_record(uri, digest, uri, "2014-01-01T00:00:00Z",
                                           http_headers=http)  # fmt: skip
    revisit.rec_headers.replace_header("WARC-Date", "2015-06-06T06:06:06Z")
    writer.write_record(revisit)
    path.write_bytes(out.getvalue())
    assert record is not None


@pytest.mark.skipif(
    shutil.which("wget") is None, reason="wget is not installed (.ci/run installs it)"
)
def test_a_warc_recorded_by_wget_gives_the_versions_of_a_live_crawl(
    tmp_path: Path, live: tuple
) -> None:
    live_db, _ = live
    with FixtureSite(state="initial") as site:
        files = []
        for n, (state, _) in enumerate(STATES):
            site.set_state(state)
            files.append(wget_warc(site, tmp_path, f"crawl-{n}"))
        base_url = site.base_url
    # wget's WARC-Date has whole seconds: captures of one second keep the order of the files.
    code, output = import_warc(tmp_path, base_url, "wget.sqlite", *files)
    assert code == 0, output
    db = tmp_path / "wget.sqlite"
    assert versions(db) == [
        {**v, "url": v["url"].replace(_base(live_db), base_url)} for v in versions(live_db)
    ]
    assert page_states(db) == [
        {**p, "url": p["url"].replace(_base(live_db), base_url)}
        for p in page_states(live_db)
        if p["state"] != "blocked"
    ]


def _base(db: Path) -> str:
    url = rows(db, "SELECT url FROM pages WHERE kind = 'recommendation' LIMIT 1")[0]["url"]
    return url.split("/hmicfrs/")[0]
