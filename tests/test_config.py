"""config.yaml is validated up front: bad keys, types and values exit 2 naming the key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from scraper.config import FIELDS, ConfigError, config_from_dict, load_config

ROOT = Path(__file__).resolve().parent.parent


def shipped() -> dict:
    return yaml.safe_load((ROOT / "config.yaml").read_text())


def test_shipped_config_is_valid_and_aims_at_the_live_site() -> None:
    config = load_config(ROOT / "config.yaml")
    assert config.site.base_url == "https://www.justiceinspectorates.gov.uk"
    assert config.crawl.delay_seconds == 2.0
    assert config.crawl.concurrency == 1
    assert config.store.path == "data/hmicfrs.sqlite"
    assert "https://" in config.crawl.user_agent
    assert [p.split("=")[-1] for p in config.discovery.listings] == [
        "harm", "case-files", "audit", "cautions", "call-handling", "abe", "evaluation",
        "procurement", "plan", "/hmicfrs/recommendations/",
    ]  # fmt: skip
    crawl = config.crawl
    assert (crawl.defer_on_lastmod, crawl.defer_on_listing, crawl.rotation_share) == (
        True,
        True,
        1.0,
    )


def test_shipped_config_names_every_key() -> None:
    data = shipped()
    assert {f"{s}.{k}" for s, keys in data.items() for k in keys} == {f.key for f in FIELDS}


def test_defaults_fill_missing_keys() -> None:
    config = config_from_dict(
        {"site": {"base_url": "https://example.org"}, "crawl": {"user_agent": "me"}}
    )
    assert config.site.allowed_hosts == ("example.org",)
    assert config.crawl.revisit_closed_hours == 168.0
    assert config.url("/a/?p=1") == "https://example.org/a/?p=1"


@pytest.mark.parametrize(
    ("section", "key", "value", "message"),
    [
        ("crawl", "delay_secnds", 2, "crawl.delay_secnds: unknown key"),
        ("crawl", "delay_seconds", "fast", "crawl.delay_seconds: should be a number, got 'fast'"),
        ("crawl", "delay_seconds", -1, "crawl.delay_seconds: should be at least 0, got -1"),
        ("crawl", "concurrency", 1.5, "crawl.concurrency: should be a whole number, got 1.5"),
        ("crawl", "concurrency", 0, "crawl.concurrency: should be at least 1, got 0"),
        ("site", "base_url", "www.example.org", "site.base_url: should be an absolute http(s) URL"),
        ("discovery", "listings", ["hmicfrs/?x=1"], "discovery.listings[0]: should be a path"),
        ("discovery", "id_url_template", "/?p=", "discovery.id_url_template: should be a path containing {id}"),
        ("crawl", "jitter_seconds", True, "crawl.jitter_seconds: should be a number, got True"),
    ],
)  # fmt: skip
def test_bad_values_name_the_key(section: str, key: str, value: object, message: str) -> None:
    data = shipped()
    data[section][key] = value
    with pytest.raises(ConfigError) as e:
        config_from_dict(data)
    assert message in str(e.value)


def test_unknown_section() -> None:
    with pytest.raises(ConfigError, match="sites: unknown section"):
        config_from_dict({**shipped(), "sites": {}})


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scraper", *args], cwd=cwd, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["crawl"].update(delay_seconds=-2), "crawl.delay_seconds: should be at least 0"),
        (lambda d: d["crawl"].update(colour="blue"), "crawl.colour: unknown key"),
        (lambda d: d["site"].update(base_url="ftp:/nowhere"), "site.base_url: should be an absolute"),
        (lambda d: d["crawl"].update(max_page_bytes="5MB"), "crawl.max_page_bytes: should be a whole number"),
    ],
)  # fmt: skip
def test_cli_exits_2_before_any_request(tmp_path: Path, edit, message: str) -> None:
    data = shipped()
    edit(data)
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(data))
    result = run_cli("crawl", "--db", str(tmp_path / "a.sqlite"), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert not (tmp_path / "a.sqlite").exists()


def test_cli_missing_config_file_exits_2(tmp_path: Path) -> None:
    result = run_cli("crawl", "--config", str(tmp_path / "nope.yaml"), cwd=tmp_path)
    assert result.returncode == 2
    assert "nope.yaml: cannot be read" in result.stderr


def test_cli_broken_yaml_exits_2(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("site: [unclosed\n")
    result = run_cli("crawl", cwd=tmp_path)
    assert result.returncode == 2
    assert "is not valid YAML" in result.stderr


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("site", "base_url", "https://user:secret@www.example.org"),
        ("site", "base_url", "https://user@www.example.org"),
        ("site", "allowed_hosts", ["user:secret@www.example.org"]),
    ],
)
def test_credentials_in_config_urls_are_refused(section: str, key: str, value: object) -> None:
    data = shipped()
    data[section][key] = value
    with pytest.raises(ConfigError) as e:
        config_from_dict(data)
    assert str(e.value).startswith(f"config: {section}.{key}")
    assert "user name" in str(e.value)
    assert "secret" not in str(e.value) or key == "allowed_hosts"


def test_cli_refuses_a_base_url_with_credentials_and_never_echoes_the_password(
    tmp_path: Path,
) -> None:
    data = shipped()
    data["site"]["base_url"] = "https://user:hunter2@www.example.org"
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(data))
    result = run_cli("crawl", "--db", str(tmp_path / "a.sqlite"), cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.strip() == (
        "error: config: site.base_url: should not carry a user name or password "
        "(user:pass@): refused"
    )
    assert not (tmp_path / "a.sqlite").exists()


ALIAS_BOMB = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
site:
  base_url: https://www.example.org
  allowed_hosts: *i
"""


def test_cli_refuses_a_yaml_alias_bomb_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text(ALIAS_BOMB)
    result = run_cli("crawl", "--db", str(tmp_path / "a.sqlite"), cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "error: config: config.yaml: line 2: uses a YAML alias (*name); aliases are not "
        "accepted here, write the value out\n"
    )


def test_messages_stay_short_whatever_the_value() -> None:
    data = shipped()
    data["crawl"]["user_agent"] = [["x" * 10_000] * 1000] * 1000
    with pytest.raises(ConfigError) as e:
        config_from_dict(data)
    assert str(e.value) == (
        "config: crawl.user_agent: should be a non-empty string, got "
        "[['xxxxxxxxxxxxxxxxxxxxxxxxxxx...xxxxxxxxxxxxxxxxxxxxxxxxxxxx', "
        "'xxxxxxxxxxxxxxxxxxxxxxxxxxx...xx..."
    )
    data = shipped()
    data["crawl"]["k" * 5000] = 1
    with pytest.raises(ConfigError) as e:
        config_from_dict(data)
    assert len(str(e.value)) < 600
