"""README.md is the user manual: every command, option, config key, table and view is in it."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
import sqlite_utils

from scraper.cli import main
from scraper.config import FIELDS
from store.schema import migrate

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def commands() -> list[tuple[str, click.Command]]:
    return sorted(main.commands.items())


@pytest.mark.parametrize(("name", "command"), commands())
def test_every_command_and_option_is_documented(name: str, command: click.Command) -> None:
    assert f"hmicfrs {name}" in README
    for param in command.params:
        if isinstance(param, click.Option):
            for opt in param.opts + param.secondary_opts:
                assert re.search(rf"(?<![\w-]){re.escape(opt)}(?![\w-])", README), f"{name} {opt}"


def test_every_config_key_is_documented() -> None:
    missing = [f.key for f in FIELDS if f"`{f.key}`" not in README]
    assert missing == []


def test_every_table_and_view_is_documented() -> None:
    db = sqlite_utils.Database(memory=True)
    migrate(db)
    names = [
        n for n in db.table_names() + db.view_names() if not n.startswith("_") and "_fts" not in n
    ]
    assert [n for n in names if f"`{n}`" not in README] == []


def test_setup_commands_come_first() -> None:
    assert README.index("make test") < README.index("## What it does")
    assert README.index("make crawl") < README.index("## What it does")


def test_every_exit_code_is_documented() -> None:
    for code in range(5):
        assert f"| {code} |" in README
    assert "| 130, 143 |" in README


def test_the_python_api_example_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.fixturesite import FixtureSite
    from tests.support import write_config

    example = re.search(r"## Python API.*?```python\n(.*?)```", README, re.S)
    assert example is not None
    with FixtureSite(state="initial") as site:
        live = next(s for s in site.catalogue() if s.state == "live" and not s.disallowed)
        config = write_config(tmp_path / "config.yaml", site.base_url, tmp_path / "unused.db")
        code = (
            example.group(1)
            .replace('"config.yaml"', repr(str(config)))
            .replace('"data/hmicfrs.sqlite"', repr(str(tmp_path / "archive.sqlite")))
            .replace('"7712"', repr(str(live.rec_id)))
            .replace(
                'open("page.html")',
                repr(str(Path(__file__).parent / "pages" / "log_basic.html")).join(("open(", ")")),
            )
        )
        namespace: dict[str, object] = {}
        exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102
    out = capsys.readouterr().out.splitlines()
    live_count = len([s for s in site.catalogue() if s.state == "live" and not s.disallowed])
    assert out[0] == f"ok ok {live_count}"
    assert out[1].startswith("1 ") and out[2] == "[]"
    assert out[3] == "{'listed_but_missing': [2378, 2401], 'live_but_no_longer_listed': []}"
    assert namespace["page"].page_kind == "recommendation"  # type: ignore[attr-defined]
