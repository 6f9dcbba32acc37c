"""What the operator sees at a terminal and in cron mail: a host name that does not resolve,
`serve` on a busy port, the progress bar beside log lines under a pty, and the changes
report's cursor."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from store.archive import Archive
from tests.fixturesite import Fault, FixtureSite
from tests.support import ROOT, hmicfrs, rows, write_config


def test_a_site_whose_name_does_not_resolve_fails_at_once_pointing_to_make_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    def no_dns(host: str, *args: object, **kwargs: object) -> list:
        asked.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    db = tmp_path / "a.sqlite"
    config = write_config(tmp_path / "config.yaml", "http://hmicfrs.invalid", db, max_retries=4)
    text = config.read_text().replace("- 127.0.0.1", "- hmicfrs.invalid")
    config.write_text(text)
    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    started = time.monotonic()
    result = hmicfrs("crawl", "-q", "--config", str(config))
    assert time.monotonic() - started < 10
    assert result.exit_code == 4
    lines = result.output.splitlines()
    assert lines[0] == (
        "error: the site's host name does not resolve: no network here, or a mistyped "
        "site.base_url? `make demo` runs the whole job offline against a local fixture site"
    )
    assert lines[1].startswith("crawl: failed; ")
    assert lines[1].endswith(
        "(cannot read http://hmicfrs.invalid/robots.txt after 1 attempt: cannot resolve the "
        "host name: [Errno -2] Name or service not known)"
    )
    assert asked == ["hmicfrs.invalid"]  # asked once, never retried
    assert rows(db, "SELECT url, http_status, error FROM fetches") == [
        {
            "url": "http://hmicfrs.invalid/robots.txt",
            "http_status": None,
            "error": "cannot resolve the host name: [Errno -2] Name or service not known",
        }
    ]


def test_serve_on_a_busy_port_says_so_and_exits_6(tmp_path: Path) -> None:
    db = tmp_path / "a.sqlite"
    Archive(db).close()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "scraper", "serve", "--port", str(port), "--db", str(db),
             "--config", str(ROOT / "config.yaml")],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert (result.returncode, result.stdout, result.stderr) == (
        6,
        "",
        f"error: port {port} on 127.0.0.1 is already in use: is another `hmicfrs serve` or "
        "Datasette running? choose another port with --port N\n",
    )


def test_changes_since_last_run_reports_each_change_once(tmp_path: Path) -> None:
    db = tmp_path / "a.sqlite"
    with FixtureSite(state="initial") as site:
        config = str(write_config(tmp_path / "config.yaml", site.base_url, db))
        assert hmicfrs("crawl", "--config", config).exit_code == 0
        first = hmicfrs("changes", "--since-last-run", "--json", "--config", config)
        assert first.exit_code == 0
        report = json.loads(first.output)
        assert report["since_last_report"] is None
        assert sorted(r["url"] for r in report["new"]) == sorted(
            s.url for s in site.catalogue(state="initial") if s.state == "live"
        )
        cursor = rows(db, "SELECT reported_at FROM report_cursor")[0]["reported_at"]
        again = json.loads(
            hmicfrs("changes", "--since-last-run", "--json", "--config", config).output
        )
        assert again == {
            "since_last_report": cursor,
            "new": [],
            "changed": [],
            "regressed": [],
            "rewritten": [],
            "went_missing": [],
            "came_back": [],
        }
        quiet = hmicfrs("changes", "-q", "--since-last-run", "--config", config)
        assert (quiet.exit_code, quiet.output) == (0, "")
        cursor = rows(db, "SELECT reported_at FROM report_cursor")[0]["reported_at"]
        plain = hmicfrs("changes", "--since-last-run", "--config", config)
        assert plain.output == f"no changes since the last report ({cursor})\n"
    both = hmicfrs("changes", "--since", "2026-01-01", "--since-last-run", "--config", config)
    assert (both.exit_code, both.output) == (
        2,
        "error: changes takes exactly one of --since DATE or --since-last-run\n",
    )


def _read_pty(fd: int, proc: subprocess.Popen, limit: float) -> bytes:
    out = b""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        elif proc.poll() is not None:
            break
    return out


def test_on_a_terminal_log_lines_never_share_a_line_with_the_progress_bar(
    tmp_path: Path,
) -> None:
    db = tmp_path / "a.sqlite"
    with FixtureSite(state="initial") as site:
        config = write_config(tmp_path / "config.yaml", site.base_url, db, max_retries=0)
        # With a bar on screen, the run meets errors: warnings in mid-bar.
        failing = [s.path for s in site.catalogue(state="initial") if s.state == "live"][:4]
        for path in failing:
            site.inject(path, Fault("500", times=100))
        master, slave = pty.openpty()
        proc = subprocess.Popen(
            [sys.executable, "-m", "scraper", "crawl", "--config", str(config)],
            cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave,
            env={**os.environ, "COLUMNS": "100", "TERM": "xterm"},
        )  # fmt: skip
        os.close(slave)
        try:
            screen = _read_pty(master, proc, 120).decode("utf-8", errors="replace")
        finally:
            proc.wait(timeout=60)
            os.close(master)
    assert proc.returncode == 1  # some pages failed
    assert "pages" in screen  # the bar was drawn
    warnings = [m.start() for m in re.finditer(r" WARNING ", screen)]
    assert len(warnings) >= len(failing)
    for at in warnings:
        line = screen[screen.rfind("\n", 0, at) + 1 : at]
        # What is left on screen of this line before the log text: only its timestamp, the
        # bar (if it was drawn there) erased first.
        visible = line.split("\r")[-1]
        assert re.fullmatch(r"(\x1b\[2K)?\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}", visible), line
        assert "pages" not in visible
