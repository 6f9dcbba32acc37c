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
