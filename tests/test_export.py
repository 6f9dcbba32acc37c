"""Exports: csv and json asserted whole, WARC checked with warcio's own tools."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

import store.export
from store.archive import Archive
from store.errors import BadRequest
from store.export import ExportError, export_archive
from tests.test_store import (
    BODY_A1,
    BODY_A2,
    BODY_B1,
    BODY_C1,
    BODY_D1,
    T1,
    T2,
    T3,
    A,
    B,
    C,
    D,
    build_archive,
    event,
    page,
    parsed,
)

WARCIO = str(Path(sys.executable).parent / "warcio")


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    a = build_archive(str(tmp_path / "archive.db"))
    yield a
    a.close()


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def rec(
    url: str,
    rec_id: int,
    force: str,
    text: str,
    status: str,
    status_date: str,
    version: int,
    snapshot_id: int,
    state: str,
    captured_at: str,
    last_seen_at: str,
    missing_since: str | None = None,
) -> dict[str, Any]:
    """A row of the recommendations view for the scenario of tests.test_store."""
    return {
        "rec_id": rec_id,
        "force": force,
        "current_status": status,
        "status_date": status_date,
        "text": text,
        "report_title": "PEEL inspection 2025",
        "state": state,
        "missing_since": missing_since,
        "rec_type": "Recommendation",
        "cause_of_concern": None,
        "themes": "[]",
        "year": "2026",
        "force_name": None,
        "reference": None,
        "report_url": None,
        "published_on": None,
        "version": version,
        "captured_at": captured_at,
        "last_seen_at": last_seen_at,
        "snapshot_id": snapshot_id,
        "has_404_banner": 0,
        "parse_warnings": [],
        "page_kind": "recommendation",
        "last_checked_at": T3,
        "url": url,
    }


def entry(seq: int, on_date: str, kind: str, value: str, first: str, last: str) -> dict[str, Any]:
    return {
        "seq": seq,
        "on_date": on_date,
        "kind": kind,
        "status": value if kind == "status" else None,
        "comment": value if kind == "comment" else None,
        "first_seen_at": first,
        "last_seen_at": last,
    }


EXPECTED = [
    {
        **rec(A, 101, "kent", "The force should improve custody training and audit.",
              "being-progressed", "2026-10-01", 2, 5, "live", T2, T3),
        "versions": 2,
        "log": [
            entry(0, "2026-01-10", "status", "awaiting-review", T1, T3),
            entry(1, "2026-02-01", "comment", "Work started on custody training in May.", T2, T3),
            entry(2, "2026-03-01", "status", "being-progressed", T1, T3),
            entry(3, "2026-04-15", "comment", "Board review of the custody plan.", T2, T3),
            entry(4, "2026-06-01", "status", "complete", T1, T3),
            entry(5, "2026-10-01", "status", "being-progressed", T2, T3),
        ],
    },
    {
        **rec(B, 102, "essex", "The force should record stop and search.", "being-progressed",
              "2026-02-01", 1, 2, "not_found", T1, T2, missing_since=T3),
        "versions": 1,
        "log": [
            entry(0, "2026-02-01", "status", "being-progressed", T1, T2),
            entry(1, "2026-04-01", "comment", "Stop and search plan agreed with the board.",
                  T1, T2),
        ],
    },
    {
        **rec(C, 103, "kent", "The force should review vetting.", "complete", "2026-03-03", 1,
              3, "live", T1, T3),
        "versions": 1,
        "log": [entry(0, "2026-03-03", "status", "complete", T1, T3)],
    },
    {
        **rec(D, 104, "essex", "The force should publish its audit.", "awaiting-review",
              "2026-05-05", 1, 4, "live", T1, T3),
        "versions": 1,
        "log": [entry(0, "2026-05-05", "status", "awaiting-review", T1, T3)],
    },
]  # fmt: skip


def test_json_export(archive: Archive, tmp_path: Path) -> None:
    out = tmp_path / "archive.json"
    assert export_archive(archive.db, "json", str(out), current=True) == {
        "recommendations": 4,
        "status_events": 10,
    }
    text = out.read_text(encoding="utf-8")
    assert json.loads(text) == EXPECTED
    # Stable key order: the view's columns, then versions and log.
    assert list(json.loads(text)[0]) == [*rec(A, 0, "", "", "", "", 0, 0, "", "", ""), "versions",
                                         "log"]  # fmt: skip
    assert listing(tmp_path) == ["archive.db", "archive.db-shm", "archive.db-wal", "archive.json"]


def csv_value(v: Any) -> str:
    return "" if v is None else str(v)


def test_csv_export(archive: Archive, tmp_path: Path) -> None:
    out = tmp_path / "export"
    assert export_archive(archive.db, "csv", str(out), current=True) == {
        "recommendations": 4,
        "status_events": 10,
    }
    assert listing(out) == ["recommendations.csv", "status_events.csv"]
    columns = [c for c in EXPECTED[0] if c not in ("versions", "log")]
    recs = [
        ",".join(csv_value("[]" if c == "parse_warnings" else r[c]) for c in columns)
        for r in EXPECTED
    ]
    assert out.joinpath("recommendations.csv").read_bytes().decode("utf-8") == "".join(
        line + "\r\n" for line in [",".join(columns), *recs]
    )
    log_columns = ["url", "rec_id", "seq", "on_date", "kind", "status", "comment",
                   "first_seen_at", "last_seen_at"]  # fmt: skip
    log = [
        ",".join(csv_value({**e, "url": r["url"], "rec_id": r["rec_id"]}[c]) for c in log_columns)
        for r in EXPECTED
        for e in r["log"]
    ]
    assert out.joinpath("status_events.csv").read_bytes().decode("utf-8") == "".join(
        line + "\r\n" for line in [",".join(log_columns), *log]
    )


def test_csv_quotes_and_utf8(tmp_path: Path) -> None:
    archive = Archive(":memory:", now=lambda: T1)
    run_id = archive.start_run("crawl")
    comment = 'Chief said "not yet", then\nagreed \u2013 caf\u00e9'
    record = parsed(
        7,
        "avon-and-somerset",
        [event(0, "2026-01-02", "comment", comment)],
        "Text, with a comma",
        "n",
    )
    archive.record(run_id, page(A, T1, b"x", record))
    export_archive(archive.db, "csv", str(tmp_path / "out"), current=True)
    assert (tmp_path / "out" / "status_events.csv").read_bytes() == (
        "url,rec_id,seq,on_date,kind,status,comment,first_seen_at,last_seen_at\r\n"
        f'{A},7,0,2026-01-02,comment,,"Chief said ""not yet"", then\nagreed \u2013 caf\u00e9",'
        f"{T1},{T1}\r\n"
    ).encode()
    line = (tmp_path / "out" / "recommendations.csv").read_text(encoding="utf-8").splitlines()[1]
    assert line.startswith('7,avon-and-somerset,,,"Text, with a comma",PEEL inspection 2025,live,,')


def test_csv_export_replaces_an_earlier_export(archive: Archive, tmp_path: Path) -> None:
    out = tmp_path / "export"
    out.mkdir()
    (out / "recommendations.csv").write_text("old")
    export_archive(archive.db, "csv", str(out), current=True)
    assert listing(out) == ["recommendations.csv", "status_events.csv"]
    assert (out / "recommendations.csv").read_text().startswith("rec_id,force,")
    assert listing(tmp_path) == ["archive.db", "archive.db-shm", "archive.db-wal", "export"]


def warcio(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([WARCIO, *args], capture_output=True, text=True, check=False)


def test_warc_export(archive: Archive, tmp_path: Path) -> None:
    out = tmp_path / "archive.warc.gz"
    assert export_archive(archive.db, "warc", str(out)) == {
        "warcinfo": 1,
        "responses": 5,
        "revisits": 5,
        "missing": 2,
    }
    check = warcio("check", "-v", str(out))
    assert check.returncode == 0, check.stdout + check.stderr
    # The warcinfo, every response and the two missing answers (an empty payload).
    assert check.stdout.count("digest pass") == 8
    fields = "warc-type,warc-target-uri,warc-date,warc-refers-to-target-uri,http:status"
    index = warcio("index", "-f", fields, str(out))
    assert index.returncode == 0, index.stderr
    lines = [json.loads(line) for line in index.stdout.splitlines()]
    assert lines[0].pop("warc-date")  # when the export ran

    def response(url: str, at: str, status: str = "200") -> dict[str, str]:
        return {"warc-type": "response", "warc-target-uri": url, "warc-date": at,
                "http:status": status}  # fmt: skip

    def revisit(url: str, at: str) -> dict[str, str]:
        return {"warc-type": "revisit", "warc-target-uri": url, "warc-date": at,
                "warc-refers-to-target-uri": url, "http:status": "200"}  # fmt: skip

    # In time order: D's 404 at T2 and B's at T3 are there, as the responses they were.
    assert lines == [
        {"warc-type": "warcinfo"},
        response(A, T1), response(B, T1), response(C, T1), response(D, T1),
        response(A, T2), revisit(B, T2), revisit(C, T2), response(D, T2, "404"),
        revisit(A, T3), revisit(C, T3), revisit(D, T3), response(B, T3, "404"),
    ]  # fmt: skip

    bodies = {(A, T1): BODY_A1, (B, T1): BODY_B1, (C, T1): BODY_C1, (D, T1): BODY_D1}
    bodies[(A, T2)] = BODY_A2
    records = []
    with out.open("rb") as f:
        for r in ArchiveIterator(f):
            h = r.rec_headers
            records.append(
                {
                    "type": h.get_header("WARC-Type"),
                    "id": h.get_header("WARC-Record-ID"),
                    "uri": h.get_header("WARC-Target-URI"),
                    "date": h.get_header("WARC-Date"),
                    "digest": h.get_header("WARC-Payload-Digest"),
                    "refers_to": h.get_header("WARC-Refers-To"),
                    "refers_to_date": h.get_header("WARC-Refers-To-Date"),
                    "profile": h.get_header("WARC-Profile"),
                    "version": h.protocol,
                    "content_type": r.http_headers.get_header("Content-Type")
                    if r.http_headers
                    else None,
                    "payload": r.content_stream().read(),
                    "outcome": h.get_header("HMICFRS-Outcome"),
                    "truncated": h.get_header("WARC-Truncated"),
                }
            )
    assert {r["version"] for r in records} == {"WARC/1.1"}
    missing = [r for r in records if r["outcome"] is not None]
    assert [(r["type"], r["uri"], r["date"], r["outcome"], r["truncated"], r["payload"])
            for r in missing] == [
        ("response", D, T2, "not_found", "unspecified", b""),
        ("response", B, T3, "not_found", "unspecified", b""),
    ]  # fmt: skip
    records = [r for r in records if r["outcome"] is None]
    responses = {(r["uri"], r["date"]): r for r in records if r["type"] == "response"}
    assert {k: r["payload"] for k, r in responses.items()} == bodies
    for key, r in responses.items():
        digest = hashlib.sha256(bodies[key]).digest()
        assert r["digest"] == "sha256:" + base64.b32encode(digest).decode()
        assert r["content_type"] == "text/html; charset=UTF-8"
    captured = {A: T2, B: T1, C: T1, D: T1}  # the version each revisit observed
    revisits = [r for r in records if r["type"] == "revisit"]
    assert [
        (r["uri"], r["refers_to_date"], r["profile"], r["payload"]) for r in revisits
    ] == [
        (url, captured[url], "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest",
         b"")
        for url in (B, C, A, C, D)
    ]  # fmt: skip
    for r in revisits:
        original = responses[(r["uri"], captured[r["uri"]])]
        assert (r["refers_to"], r["digest"]) == (original["id"], original["digest"])


def test_warc_record_ids_are_stable(archive: Archive, tmp_path: Path) -> None:
    def ids(path: Path) -> list[str]:
        with path.open("rb") as f:
            return [
                r.rec_headers.get_header("WARC-Record-ID")
                for r in ArchiveIterator(f)
                if r.rec_type != "warcinfo"
            ]

    export_archive(archive.db, "warc", str(tmp_path / "one.warc.gz"))
    export_archive(archive.db, "warc", str(tmp_path / "two.warc.gz"))
    first = ids(tmp_path / "one.warc.gz")
    assert first == ids(tmp_path / "two.warc.gz")
    assert len(set(first)) == 12


@pytest.mark.parametrize(
    ("fmt", "output", "message"),
    [
        ("xml", "out.xml", "export format should be one of csv, json, jsonl, warc, got 'xml'"),
        ("json", "missing/out.json", "folder {tmp}/missing does not exist"),
        ("warc", "missing/deeper/out.warc.gz", "folder {tmp}/missing/deeper does not exist"),
        ("json", "afolder", "cannot export json to {tmp}/afolder: it is a folder"),
        ("csv", "afile.txt", "cannot export csv to {tmp}/afile.txt: it is a file, not a folder"),
        ("csv", "afolder", "the folder holds other files (notes.txt)"),
    ],
)
def test_export_errors(
    archive: Archive, tmp_path: Path, fmt: str, output: str, message: str
) -> None:
    (tmp_path / "afolder").mkdir()
    (tmp_path / "afolder" / "notes.txt").write_text("mine")
    (tmp_path / "afile.txt").write_text("mine")
    before = listing(tmp_path)
    with pytest.raises(ExportError) as e:
        export_archive(archive.db, fmt, str(tmp_path / output))
    assert message.format(tmp=tmp_path) in str(e.value)
    assert isinstance(e.value, BadRequest)  # what the CLI turns into exit status 2
    assert listing(tmp_path) == before
    assert (tmp_path / "afile.txt").read_text() == "mine"
    assert listing(tmp_path / "afolder") == ["notes.txt"]


@pytest.mark.parametrize("fmt", ["warc", "json", "csv"])
def test_a_failed_export_leaves_the_earlier_one(
    archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    out = tmp_path / "out"
    export_archive(archive.db, fmt, str(out))
    snapshot = {p.name: p.read_bytes() for p in out.iterdir()} if out.is_dir() else out.read_bytes()
    before = listing(tmp_path)
    calls = {"n": 0}
    real_decompress = store.export.decompress
    real_write_csv = store.export._write_csv

    def failing_decompress(*args: Any) -> bytes:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        return real_decompress(*args)

    def failing_write_csv(path: Path, *args: Any) -> None:
        if path.name == "status_events.csv":
            raise OSError("disk full")
        real_write_csv(path, *args)

    def failing_dumps(*args: Any, **kwargs: Any) -> str:
        raise OSError("disk full")

    if fmt == "warc":
        monkeypatch.setattr(store.export, "decompress", failing_decompress)
    elif fmt == "csv":
        monkeypatch.setattr(store.export, "_write_csv", failing_write_csv)
    else:
        monkeypatch.setattr(store.export.json, "dumps", failing_dumps)
    with pytest.raises(OSError, match="disk full"):
        export_archive(archive.db, fmt, str(out))
    assert listing(tmp_path) == before
    after = {p.name: p.read_bytes() for p in out.iterdir()} if out.is_dir() else out.read_bytes()
    assert after == snapshot


class RecordingStream:
    """A binary stream that keeps each write apart, to see how an export was written."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.writes.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def value(self) -> bytes:
        return b"".join(self.writes)


@pytest.mark.parametrize("current", [True, False])
def test_jsonl_export_holds_the_json_exports_records(
    archive: Archive, tmp_path: Path, current: bool
) -> None:
    export_archive(archive.db, "json", str(tmp_path / "a.json"), current=current)
    counts = export_archive(archive.db, "jsonl", str(tmp_path / "a.jsonl"), current=current)
    whole = json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))
    lines = (tmp_path / "a.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == whole
    if current:
        assert whole == EXPECTED
        assert counts == {"recommendations": 4, "status_events": 10}
    else:
        assert counts == {"recommendations": 4, "versions": 5, "version_logs": 16}


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
@pytest.mark.parametrize("current", [True, False])
def test_json_exports_are_written_one_recommendation_at_a_time(
    archive: Archive, fmt: str, current: bool
) -> None:
    stream = RecordingStream()
    export_archive(archive.db, fmt, "-", current=current, stream=stream)
    records = (
        json.loads(stream.value())
        if fmt == "json"
        else [json.loads(line) for line in stream.value().splitlines()]
    )
    # One write per recommendation (json: and the closing bracket), each holding only it.
    assert len(stream.writes) == len(records) + (fmt == "json")
    for data, record in zip(stream.writes, records, strict=False):
        text = data.decode("utf-8").lstrip("[,\n")
        assert json.loads(text) == record
    # The array reads as json.dumps would write it whole.
    if fmt == "json":
        assert stream.value() == json.dumps(records, indent=2, ensure_ascii=False).encode() + b"\n"


def test_warc_export_reads_one_body_at_a_time(
    archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bodies are fetched one by one as their records are written, never queried in bulk."""
    out = RecordingStream()
    real = store.export.decompress
    seen: list[int] = []

    def decompress(body: bytes, compression: str | None) -> bytes:
        seen.append(len(out.writes))
        return real(body, compression)

    monkeypatch.setattr(store.export, "decompress", decompress)
    counts = export_archive(archive.db, "warc", "-", stream=out)
    # Each body is decompressed after the records before it were written.
    assert len(seen) >= counts["responses"]
    assert seen == sorted(seen) and len(set(seen)) == len(seen)
    records = list(ArchiveIterator(io.BytesIO(out.value())))
    assert len(records) == sum(counts.values())


def test_a_synthetic_archive_exports_every_recommendation_with_its_versions(
    tmp_path: Path,
) -> None:
    """store.synthetic (the benches' archive) reads through the views and exports whole."""
    from store import synthetic

    path = tmp_path / "synthetic.sqlite"
    assert synthetic.build(path, 60, versions=2) == {
        "recommendations": 60,
        "snapshots": 128,
        "status_events": 360,
        "log_changes": 123,
    }
    with Archive(path) as a:
        stream = RecordingStream()
        counts = export_archive(a.db, "jsonl", "-", stream=stream)
        records = [json.loads(line) for line in stream.value().splitlines()]
        assert counts == {"recommendations": 60, "versions": 120, "version_logs": 360}
        assert [r["rec_id"] for r in records] == list(range(60))
        assert [[v["version"] for v in r["versions"]] for r in records] == [[1, 2]] * 60
        indexes = {r[0] for r in a.db.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        assert {"pages_current_snapshot", "snapshots_captured_at"} <= indexes
