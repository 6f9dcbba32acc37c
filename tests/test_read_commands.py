"""The read commands (history, diff, changes, export, serve) as a researcher sent only the
.sqlite file uses them: --db alone, no config.yaml; a database that is not there is refused
and never created; ISO 8601 dates; page text that cannot drive the terminal; NO_COLOR;
exports with history and to stdout, never an empty export over a good one."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from warcio.archiveiterator import ArchiveIterator

from scraper.cli import main
from store.archive import Archive
from tests.research import LONG_COMMENT, T4, build_research_archive
from tests.test_store import BASE, T1, T2, T3, A, event, page, parsed

ROOT = Path(__file__).resolve().parent.parent
READ_COMMANDS = [
    ["history", "101"],
    ["diff", "101"],
    ["changes", "--since", "2026-11-01"],
    ["export", "--format", "json", "--output", "out.json"],
    ["serve", "--port", "0"],
]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("read") / "archive.sqlite"
    build_research_archive(str(path)).close()
    return str(path)


@pytest.fixture(autouse=True)
def no_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A folder with no config.yaml, as a researcher's would be.
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)


def hmicfrs(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_history_with_db_alone(db: str) -> None:
    result = hmicfrs("history", "101", "--db", db)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        f"{A}  (id 101, live)",
        "version  captured                 last seen                status                     log  source",
        f"      1  {T1} {T1} complete (2026-06-01)      6    live",
        f"      2  {T2} {T3} being-progressed (2026-10-01) 6    live",
        f"{T1}  appeared (new -> live)",
    ]


def test_diff_marks_words_and_shows_whole_comments(db: str) -> None:
    result = hmicfrs("diff", "201", "--db", db, "--no-color")
    assert (result.exit_code, result.stderr) == (0, "")
    url = f"{BASE}/avon-and-somerset-rec-201/"
    edited = LONG_COMMENT.replace("due in the summer", "due in the [-summer-]{+autumn+}")
    assert result.stdout.splitlines() == [
        f"{url}: version 1 ({T3}, live) -> version 2 ({T4}, live)",
        "current_status: 'complete' -> 'being-progressed'",
        "status_date: '2026-06-01' -> '2026-11-10'",
        "text: unchanged",
        "",
        "status log:",
        "~ edited   comment 2026-03-02",
        f"      {edited}",
        "+ appended status  2026-11-10",
        "      after: being-progressed",
    ]


def test_diff_text_words_and_every_kind_of_log_change(db: str) -> None:
    result = hmicfrs("diff", "101", "--db", db, "--no-color")
    assert result.stdout.splitlines() == [
        f"{A}: version 1 ({T1}, live) -> version 2 ({T2}, live)",
        "current_status: 'complete' -> 'being-progressed'",
        "status_date: '2026-06-01' -> '2026-10-01'",
        "",
        "text:",
        "  The force should improve custody training {+and audit+}.",
        "",
        "status log:",
        "~ edited   comment 2026-02-01",
        "      Work started on custody training {+in May+}.",
        "@ redated  comment 2026-04-01 -> 2026-04-15",
        "      Board review of the custody plan.",
        "- removed  comment 2026-05-01",
        "      before: Funding secured for new cells.",
        "+ appended status  2026-10-01",
        "      after: being-progressed",
    ]


@pytest.mark.parametrize(
    ("args", "versions"),
    [
        (["--at", "2026-11-08"], (1, 2)),
        (["--at", "2026-11-07"], (1, 1)),
        (["--at", "2026-11-08T05:59:59Z"], (1, 1)),
        (["--at", "2026-11-08T07:00:00+01:00"], (1, 2)),
        (["--from-date", "2026-11-02", "--at", "2026-11-30"], (1, 2)),
        (["--from-date", "2026-11-30"], (2, 2)),
    ],
)
def test_diff_picks_versions_by_date(db: str, args: list[str], versions: tuple[int, int]) -> None:
    result = hmicfrs("diff", "101", "--db", db, "--json", *args)
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)
    assert (got["from_version"], got["to_version"]) == versions


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--at", "2026-10-01"], "error: --at: "),
        (["--at", "2026-13-01"], "error: --at should be an ISO 8601 date or time"),
        (["--to", "2", "--at", "2026-11-08"], "error: diff takes --to or --at, not both"),
        (["--from", "1", "--from-date", "2026-11-08"], "error: diff takes --from or --from-date"),
    ],
)
def test_diff_refuses_bad_dates(db: str, args: list[str], message: str) -> None:
    result = hmicfrs("diff", "101", "--db", db, *args)
    assert result.exit_code == 2
    assert result.stderr.startswith(message), result.stderr


@pytest.mark.parametrize(
    ("since", "stored"),
    [
        ("2026-11-15", "2026-11-15T00:00:00.000Z"),
        ("2026-11-15Z", "2026-11-15T00:00:00.000Z"),
        ("2026-11-15T06:00:00Z", "2026-11-15T06:00:00.000Z"),
        ("2026-11-15T07:00:00+01:00", "2026-11-15T06:00:00.000Z"),
        ("2026-11-15 06:00", "2026-11-15T06:00:00.000Z"),
    ],
)
def test_changes_since_takes_iso_8601(db: str, since: str, stored: str) -> None:
    result = hmicfrs("changes", "--since", since, "--db", db, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["since"] == stored


@pytest.mark.parametrize("since", ["2026-13-01", "9999-99-99", "2026-02-30", "yesterday", ""])
def test_changes_refuses_impossible_dates(db: str, since: str) -> None:
    result = hmicfrs("changes", "--since", since, "--db", db)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        "error: --since should be an ISO 8601 date or time such as 2026-11-01 or "
        f"2026-11-01T06:00:00Z, got {since!r}\n"
    )


@pytest.mark.parametrize("args", READ_COMMANDS)
def test_read_commands_refuse_a_missing_database_and_create_none(
    tmp_path: Path, args: list[str]
) -> None:
    missing = tmp_path / "typo" / "archive.sqlite"
    result = hmicfrs(*args, "--db", str(missing))
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        f"error: no database at {missing}: give --db the archive's .sqlite file "
        "(or run `hmicfrs crawl` first)\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == []


# what reaches the terminal --------------------------------------------------------------------

HOSTILE = "Done.\x1b]0;pwned\x07 \x1b[2J\x9b31m\x00\rreally\x7f"


@pytest.fixture
def hostile_db(tmp_path: Path) -> str:
    path = str(tmp_path / "hostile.sqlite")
    archive = Archive(path, now=lambda: T1)
    for at, comment in ((T1, "Plan agreed."), (T2, f"Plan agreed. {HOSTILE}")):
        archive.now = lambda at=at: at
        run_id = archive.start_run("crawl")
        record = parsed(7, "kent", [event(0, "2026-01-02", "comment", comment)],
                        f"Text {HOSTILE}", comment, title=f"Title {HOSTILE}")  # fmt: skip
        archive.record(run_id, page(f"{BASE}/kent-rec-7/", at, comment.encode(), record))
        archive.finish_run(run_id, "ok")
    archive.close()
    return path


@pytest.mark.parametrize(
    "args",
    [["diff", "7", "--no-color"], ["diff", "7", "--color"], ["history", "7"],
     ["changes", "--since", "2026-01-01"]],
)  # fmt: skip
def test_control_characters_never_reach_the_terminal(hostile_db: str, args: list[str]) -> None:
    result = hmicfrs(*args, "--db", hostile_db)
    assert result.exit_code == 0, result.output
    out = result.stdout
    if "--color" in args:
        # Our own colour codes only: ESC followed by [ digits ; m.
        import re

        out = re.sub(r"\x1b\[[0-9;]*m", "", out)
    assert [c for c in out if ord(c) < 32 and c not in "\t\n" or 0x7F <= ord(c) <= 0x9F] == []
    if args[0] == "diff":
        assert "Done.]0;pwned [2J31mreally" in out


def tty_run(args: list[str], env: dict[str, str]) -> str:
    """Run the CLI with stdout on a pseudo-terminal; what it wrote (bounded in time)."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "scraper", *args], stdout=follower, stderr=subprocess.DEVNULL,
        cwd=ROOT, env=env,
    )  # fmt: skip
    os.close(follower)
    out = b""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        elif proc.poll() is not None:
            break
    proc.wait(timeout=10)
    os.close(leader)
    return out.decode()


def test_diff_colours_a_terminal_unless_no_color(db: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    coloured = tty_run(["diff", "101", "--db", db], env)
    plain = tty_run(["diff", "101", "--db", db], {**env, "NO_COLOR": "1"})
    forced = tty_run(["diff", "101", "--db", db, "--color"], {**env, "NO_COLOR": "1"})
    assert "\x1b[1;32mand audit\x1b[0m" in coloured
    assert "\x1b" not in plain and "{+and audit+}" in plain
    assert "\x1b[1;32mand audit\x1b[0m" in forced


# exports --------------------------------------------------------------------------------------


def test_json_export_with_history_to_stdout(db: str) -> None:
    result = hmicfrs("export", "--format", "json", "--output", "-", "--db", db)
    assert result.exit_code == 0
    assert result.stderr == (
        'export json: {"recommendations": 8, "versions": 10, "version_logs": 26} -> stdout\n'
    )
    recs = json.loads(result.stdout)
    a = next(r for r in recs if r["rec_id"] == 101)
    assert [(v["version"], v["captured_at"], v["current_status"], v["text"],
             [(e["on_date"], e["kind"], e["status"] or e["comment"]) for e in v["log"]])
            for v in a["versions"]] == [
        (1, T1, "complete", "The force should improve custody training.", [
            ("2026-01-10", "status", "awaiting-review"),
            ("2026-02-01", "comment", "Work started on custody training."),
            ("2026-03-01", "status", "being-progressed"),
            ("2026-04-01", "comment", "Board review of the custody plan."),
            ("2026-05-01", "comment", "Funding secured for new cells."),
            ("2026-06-01", "status", "complete"),
        ]),
        (2, T2, "being-progressed", "The force should improve custody training and audit.", [
            ("2026-01-10", "status", "awaiting-review"),
            ("2026-02-01", "comment", "Work started on custody training in May."),
            ("2026-03-01", "status", "being-progressed"),
            ("2026-04-15", "comment", "Board review of the custody plan."),
            ("2026-06-01", "status", "complete"),
            ("2026-10-01", "status", "being-progressed"),
        ]),
    ]  # fmt: skip
    current = hmicfrs("export", "--format", "json", "--output", "-", "--current", "--db", db)
    assert [r["versions"] for r in json.loads(current.stdout) if r["rec_id"] == 101] == [2]


def test_csv_export_with_history(db: str, tmp_path: Path) -> None:
    result = hmicfrs("export", "--format", "csv", "--output", "out", "--db", db)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "recommendations.csv", "status_events.csv", "version_logs.csv", "versions.csv",
    ]  # fmt: skip

    def read(name: str) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO((tmp_path / "out" / name).read_text())))

    versions = [(r["rec_id"], r["version"], r["current_status"]) for r in read("versions.csv")]
    assert versions[:2] == [("101", "1", "complete"), ("101", "2", "being-progressed")]
    assert len(versions) == 10
    logs = [(r["version"], r["seq"], r["comment"]) for r in read("version_logs.csv")
            if r["rec_id"] == "101" and r["kind"] == "comment"]  # fmt: skip
    assert logs == [
        ("1", "1", "Work started on custody training."),
        ("1", "3", "Board review of the custody plan."),
        ("1", "4", "Funding secured for new cells."),
        ("2", "1", "Work started on custody training in May."),
        ("2", "3", "Board review of the custody plan."),
    ]
    stdout = hmicfrs("export", "--format", "csv", "--output", "-", "--db", db)
    assert (stdout.exit_code, stdout.stderr) == (
        2, "error: csv export writes a folder; --output - works for json, jsonl and warc\n",
    )  # fmt: skip


def test_warc_export_to_stdout(db: str) -> None:
    result = hmicfrs("export", "--format", "warc", "--output", "-", "--db", db)
    assert result.exit_code == 0
    records = [
        (r.rec_type, r.http_headers.get_statuscode() if r.http_headers else None)
        for r in ArchiveIterator(io.BytesIO(result.stdout_bytes))
    ]
    assert records.count(("response", "410")) == 1
    assert records.count(("response", "404")) == 2
    assert records[0] == ("warcinfo", None)


@pytest.mark.parametrize(("fmt", "output"), [("json", "out.json"), ("warc", "out.warc.gz"),
                                              ("csv", "out")])  # fmt: skip
def test_an_empty_export_never_replaces_a_good_one_unless_forced(
    db: str, tmp_path: Path, fmt: str, output: str
) -> None:
    assert hmicfrs("export", "--format", fmt, "--output", output, "--db", db).exit_code == 0
    target = tmp_path / output

    def snapshot() -> dict[str, bytes]:
        files = sorted(target.iterdir()) if target.is_dir() else [target]
        return {p.name: p.read_bytes() for p in files}

    good = snapshot()
    empty = tmp_path / "empty.sqlite"
    Archive(str(empty)).close()
    refused = hmicfrs("export", "--format", fmt, "--output", output, "--db", str(empty))
    assert (refused.exit_code, refused.stdout) == (2, "")
    assert refused.stderr == (
        f"error: the export is empty and {output} holds an earlier one: not replaced "
        "(is --db the right archive? --force replaces it anyway)\n"
    )
    assert snapshot() == good
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    forced = hmicfrs("export", "--format", fmt, "--output", output, "--db", str(empty), "--force")
    assert forced.exit_code == 0, forced.output
    assert snapshot() != good
