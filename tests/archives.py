"""Helpers for the import tests: the fixture site captured in its states, written as WARC
files by warcio (with the request, revisit and warcinfo records real crawlers write) or
recorded by wget, and the archive's versions read back for comparison."""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.fakewayback import FakeCapture, capture_site
from tests.fixturesite import FixtureSite
from tests.support import rows

# The fixture site's states and the times an archive captured them.
STATES = (("initial", "20160301120000"), ("initial", "20170615080000"), ("later", "20190110093000"))


def archived_paths(site: FixtureSite) -> list[str]:
    """The rec pages an archive of the site would hold (robots.txt keeps us off one)."""
    return [s.path for s in site.catalogue(state="later") if s.state != "blocked"] + [
        s.path for s in site.catalogue(state="initial") if s.rec_id == 3949
    ]


def capture_states(
    site: FixtureSite, states: Sequence[tuple[str, str]] = STATES, extra: Sequence[str] = ()
) -> list[FakeCapture]:
    """Captures of every archived page in each state, at each state's time."""
    paths = list(dict.fromkeys([*archived_paths(site), *extra]))
    found: list[FakeCapture] = []
    for state, stamp in states:
        site.set_state(state)
        found += capture_site(site.base_url, paths, stamp)
    return found


def warc_date(stamp: str) -> str:
    return f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}T{stamp[8:10]}:{stamp[10:12]}:{stamp[12:14]}Z"


def write_warc(path: Path, captures: Sequence[FakeCapture], *, revisits: bool = True) -> Path:
    """A gzipped WARC of the captures as a crawler writes one: a warcinfo record, a request
    record before each response, and a revisit record for bytes already written."""
    written: dict[str, tuple[str, str, str]] = {}  # payload digest -> (record id, uri, date)
    with open(path, "wb") as file:
        writer = WARCWriter(file, gzip=True)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "tests"}))
        for c in captures:
            date = warc_date(c.timestamp)
            headers = [("Content-Type", c.content_type or "text/html")]
            if c.location:
                headers.append(("Location", c.location))
            http = StatusAndHeaders(f"{c.status} Answer", headers, protocol="HTTP/1.1")
            request = writer.create_warc_record(
                c.original, "request", payload=io.BytesIO(b""),
                http_headers=StatusAndHeaders(f"GET {c.original} HTTP/1.1", [],
                                              is_http_request=True),
                warc_headers_dict={"WARC-Date": date},
            )  # fmt: skip
            writer.write_record(request)
            response = writer.create_warc_record(
                c.original, "response", payload=io.BytesIO(c.body), http_headers=http,
                warc_headers_dict={"WARC-Date": date},
            )  # fmt: skip
            digest = response.rec_headers.get_header("WARC-Payload-Digest")
            if revisits and digest in written:
                first_id, first_uri, first_date = written[digest]
                revisit = writer.create_revisit_record(
                    c.original, digest, first_uri, first_date, http_headers=http
                )
                revisit.rec_headers.replace_header("WARC-Date", date)
                revisit.rec_headers.add_header("WARC-Refers-To", first_id)
                writer.write_record(revisit)
                continue
            writer.write_record(response)
            written.setdefault(
                digest, (response.rec_headers.get_header("WARC-Record-ID"), c.original, date)
            )
    return path


def wget_warc(site: FixtureSite, folder: Path, name: str) -> Path:
    """A WARC recorded by wget fetching every archived page of the site as it is now."""
    wget = shutil.which("wget")
    assert wget is not None
    urls = folder / f"{name}.txt"
    urls.write_text("".join(f"{site.base_url}{p}\n" for p in archived_paths(site)))
    subprocess.run(
        [wget, "--quiet", "--tries=1", "--timeout=10", "--max-redirect=0", "--no-config",
         f"--warc-file={folder / name}", "--no-warc-keep-log", "--output-document=/dev/null",
         f"--input-file={urls}"],
        cwd=folder, check=False, timeout=120,
    )  # fmt: skip
    return folder / f"{name}.warc.gz"


def versions(db: Path) -> list[dict[str, Any]]:
    """Every version of every recommendation page: what was read, in version order."""
    return rows(
        db,
        """SELECT s.url, s.version, rv.rec_id, rv.force, rv.report_title, rv.text,
                  rv.current_status, rv.status_date, rv.has_404_banner,
                  (SELECT json_group_array(json_array(e.on_date, e.kind, e.status, e.comment))
                   FROM (SELECT * FROM status_events WHERE snapshot_id = s.id ORDER BY seq) e)
                   AS log
           FROM snapshots s JOIN pages p ON p.url = s.url
           LEFT JOIN recommendation_versions rv ON rv.snapshot_id = s.id
           WHERE p.kind = 'recommendation' ORDER BY s.url, s.version""",
    )


def page_states(db: Path) -> list[dict[str, Any]]:
    return rows(
        db,
        """SELECT url, state FROM pages
           WHERE kind = 'recommendation' AND url LIKE '%/recommendation/%' ORDER BY url""",
    )


def archive_dump(db: Path) -> dict[str, list[dict[str, Any]]]:
    """What an archive holds, without the times of the requests that built it."""
    return {
        "snapshots": rows(
            db,
            """SELECT id, url, version, captured_at, last_seen_at, content_sha256, source,
                      source_url FROM snapshots ORDER BY id""",
        ),
        "pages": rows(
            db,
            """SELECT url, kind, state, first_seen_at, last_checked_at, missing_since,
                      current_snapshot_id FROM pages ORDER BY url""",
        ),
        "events": rows(
            db,
            "SELECT url, at, event, state_before, state_after FROM page_events "
            "ORDER BY url, at, event",
        ),  # fmt: skip
        "captures": rows(
            db,
            """SELECT source_url, url, captured_at, outcome, snapshot_id FROM captures
               WHERE imported_at IS NOT NULL ORDER BY source_url""",
        ),
        "versions": versions(db),
    }
