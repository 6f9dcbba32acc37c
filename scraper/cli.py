"""The `hmicfrs` command line: parse flags, load config, call one function, print.

The only module that imports click, sets up logging, handles signals and turns exceptions
into exit codes: 0 done (a run stopped by its budget is done: status partial, the next run
continues); 1 done but some pages failed, or the layout-drift guard stopped the run; 2 bad
usage or config; 3 another run holds the lock; 4 the site refused us or could not be reached
at all. SIGINT and SIGTERM stop a crawl or backfill after the page in hand is written: the run
is recorded interrupted and the exit status is 128 + the signal (130, 143). A second signal
stops at once (the page in hand is rolled back).
"""

from __future__ import annotations

import functools
import gc
import json
import logging
import os
import re
import signal
import sqlite3
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from scraper.config import Config, load_config
from scraper.errors import (
    ConfigError,
    DriftDetected,
    FetchAborted,
    HmicfrsError,
    UsageError,
)
from scraper.fetch import CANNOT_RESOLVE
from store.errors import LockBusy, NewerSchema, StorageError, StoreError

log = logging.getLogger("hmicfrs")

# THE table from how a command ended to its exit status (README's exit-status table). A
# run's status comes from the run loop (RunSummary.ending); an error from its class below.
EXIT_CODES: dict[str, int] = {
    "ok": 0,  # done; a run stopped by its budget is done too (status partial)
    "pages_failed": 1,  # done, but some pages failed
    "drift": 1,  # the layout-drift guard stopped the run
    "usage": 2,  # bad usage or config
    "locked": 3,  # another run holds the lock
    "refused": 4,  # the site refused us
    "unreachable": 4,  # the site could not be reached at all
    "storage": 5,  # SQLite or the file system failed on the database (store/errors.py)
    "port_busy": 6,  # `serve` cannot listen on its port
}
# The ending an error stands for, most specific class first.
ERROR_ENDINGS: tuple[tuple[type[Exception], str], ...] = (
    (LockBusy, "locked"),
    (StorageError, "storage"),
    (NewerSchema, "usage"),
    (StoreError, "usage"),
    (ConfigError, "usage"),
    (UsageError, "usage"),
    (DriftDetected, "drift"),
    (FetchAborted, "unreachable"),
    (HmicfrsError, "pages_failed"),
)
EXIT_SIGINT = 128 + signal.SIGINT


def exit_code(ending: str, signum: int | None = None) -> int:
    """The exit status of a command that ended so; 128 + the signal for an interrupted run."""
    if ending == "interrupted":
        return 128 + (signum or signal.SIGINT)
    return EXIT_CODES[ending]


def error_ending(error: Exception) -> str:
    """The ending an error raised on purpose stands for."""
    return next(ending for kind, ending in ERROR_ENDINGS if isinstance(error, kind))


# The loggers of the project's packages; httpx's own INFO line per request stays out.
LOGGERS = ("hmicfrs", "scraper", "store")


class JsonFormatter(logging.Formatter):
    """One JSON object per log line, for machines (--json-log)."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "message": record.getMessage(),
        }
        data.update(getattr(record, "fields", {}))
        return json.dumps(data, default=str)


class _BarAwareHandler(logging.StreamHandler):
    """Log lines to stderr that never share a line with the progress bar: while a bar is
    drawn, a line first clears the bar's line, and the bar is drawn again below it."""

    bar: Any = None  # the click progress bar on screen, if any
    lock = threading.RLock()

    def emit(self, record: logging.LogRecord) -> None:
        with self.lock:
            bar = _BarAwareHandler.bar
            if bar is None:
                super().emit(record)
                return
            self.stream.write("\r\x1b[2K")
            super().emit(record)
            bar.render_progress()
            self.flush()


def _show_bar(bar: Any) -> None:
    with _BarAwareHandler.lock:
        _BarAwareHandler.bar = bar


def setup_logging(json_log: bool, quiet: bool, verbose: bool) -> None:
    handler = _BarAwareHandler(sys.stderr)
    if json_log:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    level = logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False


def _error(json_log: bool, message: str) -> None:
    """An error for the user: a JSON log line under --json-log, else `error: ...` on stderr."""
    if json_log:
        log.error(message)
    else:
        click.echo(f"error: {message}", err=True)


# Commands that only read the archive: given --db they need no config.yaml.
READ_COMMANDS = ("history", "diff", "changes", "export", "serve")


class Context:
    """What every command gets: the loaded config (None for a read command given only --db),
    the database path and the output switches."""

    def __init__(
        self, config: Config | None, json_log: bool, quiet: bool, db_path: str | None = None
    ) -> None:
        self.config = config
        self.json_log = json_log
        self.quiet = quiet
        self.db_path = db_path or (config.store.path if config else "")

    def archive(self) -> Any:
        from store.archive import Archive

        return Archive(self.db_path)

    def existing_archive(self) -> Any:
        """The archive for a read command; UsageError when there is none (never creates one)."""
        if not Path(self.db_path).is_file():
            raise UsageError(
                f"no database at {self.db_path}: give --db the archive's .sqlite file "
                "(or run `hmicfrs crawl` first)"
            )
        return self.archive()


def common_options(func: Callable[..., int | None]) -> Callable[..., None]:
    """--config, --db, --json-log, -q, -v on every command; errors become exit codes."""

    @click.option(
        "--config",
        "config_path",
        default="config.yaml",
        show_default=True,
        type=click.Path(dir_okay=False),
        help="The configuration file.",
    )
    @click.option("--db", "db_path", default=None, help="The database file (overrides store.path).")
    @click.option("--json-log", is_flag=True, help="Log one JSON object per line, for machines.")
    @click.option(
        "-q", "--quiet", is_flag=True, help="Say nothing unless something needs attention."
    )
    @click.option("-v", "--verbose", is_flag=True, help="Log every request.")
    @functools.wraps(func)
    def wrapper(
        config_path: str, db_path: str | None, json_log: bool, quiet: bool, verbose: bool, **kw: Any
    ) -> None:
        from store.errors import is_storage_os_error, storage_error

        setup_logging(json_log, quiet, verbose)
        store_path = db_path or "the database"
        try:
            if db_path and func.__name__ in READ_COMMANDS and not Path(config_path).exists():
                config = None
            else:
                config = load_config(config_path)
                store_path = db_path or config.store.path
                if db_path:
                    config = config.with_overrides(store={"path": db_path})
            code = func(Context(config, json_log, quiet, db_path), **kw) or 0
        except (HmicfrsError, StoreError) as e:
            _error(json_log, str(e))
            sys.exit(exit_code(error_ending(e)))
        except sqlite3.Error as e:
            # Met mid-run (a full disk, a file corrupted under us): one line, its own code.
            _error(json_log, str(storage_error(store_path, e)))
            sys.exit(exit_code("storage"))
        except OSError as e:
            where = str(getattr(e, "filename", None) or "")
            about_store = bool(where) and (
                where.startswith(store_path) or store_path.startswith(where)
            )
            if not (is_storage_os_error(e) or about_store):
                raise
            _error(json_log, str(storage_error(store_path, e)))
            sys.exit(exit_code("storage"))
        except KeyboardInterrupt:
            _error(json_log, "interrupted")
            sys.exit(EXIT_SIGINT)
        sys.exit(code)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hmicfrs-archive")
def main() -> None:
    """A versioned, citable archive of HMICFRS recommendations and their status logs."""


def _run(ctx: Context, runner: Callable[..., Any], **kwargs: Any) -> int:
    """Run one crawl or backfill (scraper.run) with signal handling; print its summary."""
    from scraper.workers import StopFlag

    stop = StopFlag()
    progress = Progress(ctx)
    try:
        with _SignalStop(stop):
            summary = runner(ctx.config, report=progress, stop=stop, **kwargs)
    finally:
        progress.close()
    code = exit_code(summary.ending, summary.signum)
    _print_summary(ctx, summary, code)
    return code


class _SignalStop:
    """While a run goes: the first SIGINT/SIGTERM asks it to stop after the page in hand,
    a second one stops it at once (KeyboardInterrupt)."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, stop: Any) -> None:
        self.stop = stop
        self.previous: dict[int, Any] = {}

    def _handle(self, signum: int, frame: Any) -> None:
        if self.stop.signum is not None:
            raise KeyboardInterrupt
        log.warning(
            "%s: stopping after the page in hand (send it again to stop at once)",
            signal.Signals(signum).name,
        )
        self.stop.request(signum)

    def __enter__(self) -> _SignalStop:
        # Python lets only the main thread set handlers (tests may run us in another).
        if threading.current_thread() is threading.main_thread():
            for signum in self.SIGNALS:
                self.previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)


class Progress:
    """Turns crawl events into a progress bar on a terminal, plain log lines elsewhere."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.bar: Any = None
        self.tty = sys.stderr.isatty() and not ctx.json_log and not ctx.quiet

    def close(self) -> None:
        """Take the bar off the screen (ending its line), so what follows starts a line."""
        if self.bar is not None:
            _show_bar(None)
            self.bar.__exit__(None, None, None)
            self.bar = None

    def __call__(self, event: str, data: dict[str, Any]) -> None:
        if event == "pages":
            if self.tty and data["total"]:
                self.bar = click.progressbar(
                    length=data["total"], label="pages", file=sys.stderr, show_pos=True
                )
                self.bar.__enter__()
                _show_bar(self.bar)
            log.info("fetching %d due page(s)", data["total"], extra={"fields": data})
        elif event == "page":
            if self.bar is not None:
                with _BarAwareHandler.lock:
                    self.bar.update(1)
            level = logging.WARNING if data["outcome"] in ("error", "too_large") else logging.DEBUG
            if data["outcome"] in ("new", "changed", "not_found", "gone", "soft_404"):
                level = max(level, logging.INFO)
            if self.bar is None or level >= logging.WARNING:
                why = f": {data['error']}" if data.get("error") else ""
                log.log(level, "%s %s%s", data["outcome"], data["url"], why, extra={"fields": data})
        elif event == "run_finished":
            self.close()
        elif event == "robots":
            log.info("robots.txt read: %s", data["url"], extra={"fields": data})
        elif event == "reparsed":
            log.warning(
                "the parser changed (now version %s): re-read %d stored snapshot(s) first, "
                "%d parsed differently",
                data["parser_version"],
                data["snapshots"],
                data["changed"],
                extra={"fields": data},
            )
        elif event == "discovery":
            log.info(
                "discovery complete: %d listed id(s)", data["listed_ids"], extra={"fields": data}
            )
        elif event == "backfill":
            log.info(
                "backfill: %d of %d already done",
                data["done"],
                data["total"],
                extra={"fields": data},
            )


AUDIT = (
    ("listed_but_missing", "listed but missing"),
    ("live_but_no_longer_listed", "live but no longer listed"),
)


def _ids(ids: list[int], limit: int = 10) -> str:
    shown = ", ".join(str(i) for i in ids[:limit])
    return shown + (f" (+{len(ids) - limit} more)" if len(ids) > limit else "")


def summary_line(summary: Any) -> str:
    """The one-line summary of a run: status, recommendation counts (discovery pages apart),
    the coverage audit, why it stopped."""
    s = summary.stats
    line = (
        f"{summary.command}: {summary.status}; {s.get('pages_fetched', 0)} fetched, "
        f"{s.get('pages_new', 0)} new, {s.get('pages_changed', 0)} changed, "
        f"{s.get('pages_unchanged', 0)} unchanged, {s.get('pages_missing', 0)} missing, "
    )
    if s.get("not_found"):
        line += f"{s['not_found']} not found, "
    if s.get("refused"):
        line += f"{s['refused']} refused, "
    line += f"{s.get('errors', 0)} errors, {s.get('requests', 0)} requests"
    if s.get("discovery_fetched"):
        line += f"; discovery: {s['discovery_fetched']} page(s), {s['discovery_changed']} changed"
    for key, label in AUDIT:
        if s.get(key):
            line += f"; {label}: {_ids(s[key])}"
    if summary.message:
        line += f" ({summary.message})"
    return line


def _print_summary(ctx: Context, summary: Any, code: int) -> None:
    """The summary line and the JSON stats on stdout (under -q only when exit status != 0);
    under --json-log one JSON object carrying both."""
    if summary.ending == "unreachable" and CANNOT_RESOLVE in (summary.message or ""):
        _error(
            ctx.json_log,
            "the site's host name does not resolve: no network here, or a mistyped "
            "site.base_url? `make demo` runs the whole job offline against a local fixture site",
        )
    if ctx.quiet and code == 0:
        return
    run = {k: v for k, v in summary.stats.items() if k != "stats"}
    run["exit_code"] = code
    line = summary_line(summary)
    if ctx.json_log:
        click.echo(json.dumps({"summary": line, "run": run}, default=str))
    else:
        click.echo(line)
        click.echo(json.dumps({"run": run}, default=str))


@main.command()
@common_options
def crawl(ctx: Context) -> int:
    """The cron job: discover, re-check what is due, archive changes, record missing pages."""
    from scraper.run import crawl as crawl_site

    return _run(ctx, crawl_site)


def parse_id_range(text: str) -> range:
    """'A-B' (inclusive) as a range; UsageError naming the problem otherwise."""
    m = re.fullmatch(r"\s*(\d+)\s*-\s*(\d+)\s*", text)
    if not m:
        raise UsageError(f"--ids should look like 100-200, got {text!r}")
    a, b = int(m[1]), int(m[2])
    if a > b:
        raise UsageError(f"--ids range runs backwards: {text!r}")
    return range(a, b + 1)


@main.command()
@click.option("--ids", "ids", default=None, help="An inclusive id range such as 1-9000.")
@click.option(
    "--urls",
    "urls_file",
    default=None,
    type=click.Path(exists=True, dir_okay=False),
    help="A file of URLs, one per line (# comments allowed).",
)
@common_options
def backfill(ctx: Context, ids: str | None, urls_file: str | None) -> int:
    """One-off sweep over ids or URLs; a rerun continues where a killed one stopped."""
    from scraper.run import backfill as backfill_site

    if bool(ids) == bool(urls_file):
        raise UsageError("backfill takes exactly one of --ids A-B or --urls FILE")
    if ids:
        return _run(ctx, backfill_site, ids=parse_id_range(ids))
    urls = read_urls(ctx.config, Path(urls_file))
    return _run(ctx, backfill_site, urls=urls, job=f"urls:{Path(urls_file).resolve()}")


def read_urls(config: Config, path: Path) -> list[str]:
    """The URLs of a --urls file (paths made absolute); UsageError naming a line that is no
    URL, or whose host is not one of site.allowed_hosts (it would never be fetched)."""
    urls = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        url = config.url(line) if line.startswith("/") else line
        if not re.match(r"https?://", url):
            raise UsageError(f"{path}:{n}: not a URL or a path: {line!r}")
        host = (urlsplit(url).hostname or "").lower()
        if host not in config.site.allowed_hosts:
            allowed = ", ".join(config.site.allowed_hosts)
            raise UsageError(f"{path}:{n}: {host} is not one of site.allowed_hosts ({allowed})")
        urls.append(url)
    return urls


@main.command()
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=None,
    help="Parsing processes (default store.parse_workers; 0: one per core; 1: inline).",
)
@common_options
def reparse(ctx: Context, workers: int | None) -> int:
    """Rebuild the parsed tables from the stored raw bodies, without fetching."""
    from scraper.run import reparse as reparse_archive

    counts = reparse_archive(ctx.config, workers=workers)
    if not ctx.quiet:
        click.echo(
            f"reparse: {counts['snapshots']} snapshot(s) read, {counts['changed']} parsed "
            f"differently (parser {counts['parser_version']}, {counts['workers']} worker(s))"
        )
    return 0


@main.command()
@click.argument("rec")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@common_options
def history(ctx: Context, rec: str, as_json: bool) -> int:
    """Versions of one recommendation (REC = id or URL) with dates and statuses."""
    from store import reports

    with ctx.existing_archive() as archive:
        rows = archive.history(rec)
    if as_json:
        click.echo(json.dumps(rows, indent=2, default=str))
    else:
        click.echo(reports.render_history(rows))
    return 0


@main.command()
@click.argument("rec")
@click.option(
    "--from",
    "from_version",
    type=int,
    default=None,
    help="Older version (default: the one before --to).",
)
@click.option(
    "--to", "to_version", type=int, default=None, help="Newer version (default: the latest)."
)
@click.option(
    "--at",
    "at",
    default=None,
    help="Newer version: the one the archive held at this ISO 8601 date or time.",
)
@click.option(
    "--from-date",
    "from_date",
    default=None,
    help="Older version: the one the archive held at this ISO 8601 date or time.",
)
@click.option(
    "--color/--no-color",
    default=None,
    help="Colour the diff (default: on a terminal, unless NO_COLOR is set).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@common_options
def diff(
    ctx: Context,
    rec: str,
    from_version: int | None,
    to_version: int | None,
    at: str | None,
    from_date: str | None,
    color: bool | None,
    as_json: bool,
) -> int:
    """Text diff (changed words marked) plus the status log entry by entry, between versions."""
    from store import reports

    if at is not None and to_version is not None:
        raise UsageError("diff takes --to or --at, not both")
    if from_date is not None and from_version is not None:
        raise UsageError("diff takes --from or --from-date, not both")
    with ctx.existing_archive() as archive:
        result = archive.diff(rec, from_version, to_version, from_date=from_date, at=at)
    if as_json:
        click.echo(json.dumps(result, indent=2, default=str))
    else:
        # https://no-color.org: a set, non-empty NO_COLOR turns colour off unless asked for.
        no_color = bool(os.environ.get("NO_COLOR"))
        use_color = (sys.stdout.isatty() and not no_color) if color is None else color
        click.echo(reports.render_diff(result, color=use_color), color=use_color)
    return 0


@main.command()
@click.option("--since", default=None, help="A date or time (ISO 8601), e.g. 2026-11-01.")
@click.option(
    "--since-last-run",
    "since_last_run",
    is_flag=True,
    help="What changed since the last such report; each change is reported once (for cron).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@common_options
def changes(ctx: Context, since: str | None, since_last_run: bool, as_json: bool) -> int:
    """What changed, appeared, regressed, was rewritten or went missing since DATE."""
    from store import reports

    if (since is None) == (not since_last_run):
        raise UsageError("changes takes exactly one of --since DATE or --since-last-run")
    if since_last_run:
        return _changes_since_last_run(ctx, as_json)
    reports.since_time(since)  # a bad date is refused before the archive is opened
    with ctx.existing_archive() as archive:
        result = archive.changes(since)
    if as_json:
        click.echo(json.dumps(result, indent=2, default=str))
    else:
        text = reports.render_changes(result)
        if text or not ctx.quiet:
            click.echo(text or f"no changes since {reports.strip_controls(since)}")
    return 0


def _changes_since_last_run(ctx: Context, as_json: bool) -> int:
    """Report the changes recorded since the last report, then move the cursor past them
    (only once the report is out: a report that fails to print is made again next time)."""
    from store import reports

    archive = ctx.existing_archive()
    try:
        after, reported_at = archive.report_cursor()
        upto = archive.latest_change_ids()
        result = reports.changes_between(archive.db, after, upto)
        result = {"since_last_report": reported_at, **result}
        if as_json:
            click.echo(json.dumps(result, indent=2, default=str))
        else:
            text = reports.render_changes(result)
            since = f"the last report ({reported_at})" if reported_at else "the archive began"
            if text or not ctx.quiet:
                click.echo(text or f"no changes since {since}")
        sys.stdout.flush()
        archive.advance_report_cursor(upto)
    finally:
        archive.close()
    return 0


@main.command()
@click.option("--port", default=8001, show_default=True, type=int, help="Port to listen on.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@common_options
def serve(ctx: Context, port: int, host: str) -> int:
    """Datasette on the database, read-only, with the project's metadata and canned queries."""
    path = ctx.db_path
    if not Path(path).is_file():
        raise UsageError(
            f"no database at {path}: give --db the archive's .sqlite file "
            "(or run `hmicfrs crawl` first)"
        )
    busy = _port_in_use(host, port)
    if busy is None:
        from store.serve import serve as serve_db  # Datasette is slow to import: only now

        try:
            serve_db(path, host=host, port=port)
        except SystemExit as e:
            # uvicorn exits 3 when it cannot bind, which would read as "the lock is held".
            if e.code != _UVICORN_STARTUP_FAILURE:
                raise
            busy = f"could not listen on {host}:{port}"
        else:
            return 0
    _error(ctx.json_log, f"{busy}: is another `hmicfrs serve` or Datasette running? "
           "choose another port with --port N")  # fmt: skip
    return exit_code("port_busy")


_UVICORN_STARTUP_FAILURE = 3


def _port_in_use(host: str, port: int) -> str | None:
    """Why `host:port` cannot be listened on (in use, or not an address here), else None."""
    import errno
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as e:
        return f"cannot listen on {host}:{port} ({e.strerror or e})"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        # As uvicorn binds: a port in TIME_WAIT is free, one with a listener is not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                return f"port {port} on {host} is already in use"
            return f"cannot listen on {host}:{port} ({e.strerror or e})"
    return None


@main.command()
@click.option(
    "--format",
    "fmt",
    required=True,
    type=click.Choice(["csv", "json", "jsonl", "warc"]),
    help=(
        "csv/json/jsonl (one recommendation a line): every version with its log (see "
        "--current); warc: every stored capture."
    ),
)
@click.option(
    "--output",
    required=True,
    type=click.Path(allow_dash=True),
    help="File (json, jsonl, warc; - for stdout) or folder (csv).",
)
@click.option(
    "--current", is_flag=True, help="csv/json/jsonl: only the current records and logs, no history."
)
@click.option("--force", is_flag=True, help="Replace an earlier export even with an empty one.")
@common_options
def export(ctx: Context, fmt: str, output: str, current: bool, force: bool) -> int:
    """The archive for others' tools: csv, json, json lines or WARC 1.1."""
    from store.export import export_archive

    with ctx.existing_archive() as archive:
        stream = sys.stdout.buffer if output == "-" else None
        counts = export_archive(
            archive.db, fmt, output, current=current, force=force, stream=stream
        )
        if stream is not None:
            stream.flush()
    if not ctx.quiet:
        # With --output - stdout is the export itself: the report goes to stderr.
        where = "stdout" if output == "-" else output
        click.echo(f"export {fmt}: {json.dumps(counts)} -> {where}", err=output == "-")
    return 0


@main.group(name="import")
def import_group() -> None:
    """History from web archives: captures from the Wayback Machine or WARC/ARC files."""


@import_group.command(name="wayback")
@click.option("--from", "from_date", default=None, help="Captures from this date (YYYY[-MM-DD]).")
@click.option("--to", "to_date", default=None, help="Captures up to this date (YYYY[-MM-DD]).")
@click.option(
    "--url-prefix",
    default=None,
    help="Only URLs under this prefix (a URL or a path on site.base_url), instead of the "
    "recommendation pages, id URLs and listings.",
)
@common_options
def import_wayback(
    ctx: Context, from_date: str | None, to_date: str | None, url_prefix: str | None
) -> int:
    """Captures of the site from the Wayback Machine, as versions at their capture times."""
    from scraper.imports import import_wayback as run_import

    return _run(ctx, run_import, from_date=from_date, to_date=to_date, url_prefix=url_prefix)


@import_group.command(name="warc")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@common_options
def import_warc(ctx: Context, files: tuple[str, ...]) -> int:
    """Captures from WARC/ARC files (Heritrix, browsertrix, wget, other archives)."""
    from scraper.imports import import_warc as run_import

    def runner(config: Config, **kwargs: Any) -> Any:
        return run_import(config, list(files), **kwargs)

    return _run(ctx, runner)


# Allocations between collections of the youngest generation (Python's default is 700): a crawl
# makes and drops a parse's objects by the thousand per page, and collecting every 700 of them
# cost it a few per cent of its CPU; what survives is scanned ten times less often too.
_GC_THRESHOLD = (20_000, 20, 20)


def entry() -> None:
    """`hmicfrs` and `python -m scraper`: `main` in a process of its own, whose start-up
    objects (modules, classes, compiled patterns) are kept out of every later collection
    (gc.freeze) and whose young objects are collected less often. Not done by `main` itself,
    which a test or a caller may run inside a longer-lived process."""
    gc.freeze()
    gc.set_threshold(*_GC_THRESHOLD)
    main()
