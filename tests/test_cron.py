"""Cron that tells the truth: the README's crontab line, run as cron runs it (`env -i /bin/sh`)
against the fixture site, night after night. What each night's mail (stdout and stderr)
says and what the line exits with, with the site healthy, down, and healthy again; and
every change in exactly one night's mail."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

from tests.fixturesite import FixtureSite
from tests.support import ROOT, site_config

SRV = "/srv/hmicfrs-archive"


def crontab_command() -> str:
    """The command of the README's crontab line (after its five time fields)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```cron\n(.*?)```", readme, re.S)
    assert block is not None, "README.md has no ```cron block"
    lines = [ln for ln in block.group(1).splitlines() if ln.strip() and not ln.startswith("#")]
    assert len(lines) == 1, lines
    return lines[0].split(None, 5)[5]


def night(command: str, workdir: Path) -> tuple[int, str]:
    """One night: the line under `env -i /bin/sh` as cron runs it; (exit status, mail)."""
    done = subprocess.run(
        ["env", "-i", "/bin/sh", "-c", command.replace(SRV, str(workdir))],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=240,
    )
    return done.returncode, done.stdout


def section(mail: str, name: str) -> list[str]:
    """The entries of one section of a changes report in a mail ('changed', 'new', ...)."""
    found = re.search(rf"^{name} \(\d+\):\n((?:  .*\n?)*)", mail, re.M)
    return [] if found is None else [ln.strip() for ln in found.group(1).splitlines()]


def test_the_readme_crontab_line_mails_failures_and_each_change_once(tmp_path: Path) -> None:
    workdir = tmp_path / "srv"
    workdir.mkdir()
    # The install the README describes: .venv in the working directory.
    (workdir / ".venv").symlink_to(Path(sys.executable).parent.parent)
    command = crontab_command()
    with FixtureSite(state="initial") as site:
        config = site_config(site.base_url, "data/hmicfrs.sqlite")
        (workdir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
        live = sorted(s.url for s in site.catalogue(state="initial") if s.state == "live")

        code, mail = night(command, workdir)
        assert code == 0, mail
        new = section(mail, "new")
        assert sorted(entry.split()[1] for entry in new) == live
        assert "error" not in mail.lower() and "crawl:" not in mail

        site.set_state("later")
        site.stop()  # the site is down tonight
        code, mail = night(command, workdir)
        assert code == 4, mail
        assert f"cannot read {site.base_url}/robots.txt" in mail
        assert re.search(r"^crawl: failed; .* \(cannot read ", mail, re.M), mail
        assert section(mail, "changed") == [] and section(mail, "new") == []

        site.start()
        code, mail = night(command, workdir)
        assert code == 0, mail
        changed = section(mail, "changed")
        assert changed, mail

        code, mail = night(command, workdir)
        assert (code, mail) == (0, "")  # nothing new: no mail, and nothing said twice
    changed_urls = [entry.split()[1] for entry in changed]
    assert len(changed_urls) == len(set(changed_urls))
