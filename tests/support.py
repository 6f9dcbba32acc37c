"""Helpers shared by the end-to-end tests and `make demo`: a config.yaml for the fixture
site, running the CLI in-process, and reading the archive back."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner, Result

from scraper.cli import main

ROOT = Path(__file__).resolve().parent.parent
THEMES = ("harm", "audit", "call-handling", "plan")


def site_config(base_url: str, db_path: Path | str, **crawl: Any) -> dict[str, Any]:
    """The shipped config.yaml pointed at the fixture site, with fast politeness."""
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    config["site"]["base_url"] = base_url
    config["site"]["allowed_hosts"] = ["127.0.0.1"]
    config["discovery"]["listings"] = [f"/hmicfrs/?recommendation-theme={t}" for t in THEMES]
    config["discovery"]["sitemaps"] = []
    config["crawl"].update(
        delay_seconds=0.0, jitter_seconds=0.0, revisit_open_hours=0, revisit_closed_hours=0,
        timeout_seconds=5, connect_timeout_seconds=2, backoff_base_seconds=0.01,
        backoff_max_seconds=0.05, max_retries=3,
    )  # fmt: skip
    config["crawl"].update(crawl)
    config["store"]["path"] = str(db_path)
    return config


def write_config(path: Path, base_url: str, db_path: Path | str, **crawl: Any) -> Path:
    path.write_text(yaml.safe_dump(site_config(base_url, db_path, **crawl), sort_keys=False))
    return path


def hmicfrs(*args: str) -> Result:
    """Run the CLI in this process (exit code, output) as a user would from a shell."""
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def crawl_both_states(folder: Path) -> tuple[Path, Path]:
    """Crawl the fixture site in its initial state and then in its later one into a new
    archive in `folder`, each crawl exiting 0; (config path, database path)."""
    from tests.fixturesite import FixtureSite

    db = folder / "archive.sqlite"
    with FixtureSite(state="initial") as site:
        config = write_config(folder / "config.yaml", site.base_url, db)
        assert hmicfrs("crawl", "--config", str(config)).exit_code == 0
        site.set_state("later")
        assert hmicfrs("crawl", "--config", str(config)).exit_code == 0
    return config, db


def rows(db_path: Path | str, sql: str, params: tuple = ()) -> list[dict[str, Any]]:
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    try:
        found = [dict(r) for r in conn.execute(sql, params)]
        conn.commit()
        return found
    finally:
        conn.close()
