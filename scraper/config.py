"""config.yaml: read once into a frozen Config, validated before any request is made.

Every key is declared once in FIELDS below with its type, default, check and a description;
the validator, the defaults and the README's configuration table all come from that one list.
An unknown key, a wrong type or a bad value raises ConfigError naming the key and what it
should be. This module does no I/O beyond reading the one file.
"""

from __future__ import annotations

import dataclasses
import reprlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import yaml

from scraper.errors import ConfigError

_NO_DEFAULT = object()


@dataclass(frozen=True)
class Field:
    """One config key: where it lives, what it must be, and what it does."""

    section: str
    name: str
    kind: str  # "str", "url", "path", "paths", "hosts", "template", "number", "int", "list", "bool"
    default: Any
    minimum: float | None
    help: str

    @property
    def key(self) -> str:
        return f"{self.section}.{self.name}"


def _f(section: str, name: str, kind: str, default: Any, minimum: float | None, text: str) -> Field:
    return Field(section, name, kind, default, minimum, text)


# fmt: off
FIELDS: tuple[Field, ...] = (
    _f("site", "base_url", "url", _NO_DEFAULT, None,
       "The site's origin; every URL below is a path relative to it."),
    _f("site", "allowed_hosts", "hosts", None, None,
       "Host names we may request and follow redirects to (ports ignored); "
       "default: the host of base_url."),
    _f("discovery", "listings", "paths", (), None,
       "Listing pages, followed through their pagination."),
    _f("discovery", "sitemaps", "paths", (), None,
       "Sitemaps besides the Sitemap: lines of robots.txt (which are always used)."),
    _f("discovery", "id_url_template", "template", "/hmicfrs/?p={id}", None,
       "URL of a recommendation id, for `backfill --ids`; must contain {id}."),
    _f("crawl", "delay_seconds", "number", 2.0, 0,
       "Least gap between the starts of two requests to one host."),
    _f("crawl", "jitter_seconds", "number", 1.0, 0,
       "A random extra of up to this much added to each gap."),
    _f("crawl", "concurrency", "int", 1, 1,
       "Requests in flight to one host at most."),
    _f("crawl", "timeout_seconds", "number", 30.0, 0.001,
       "Total deadline for one request; a slow server cannot stretch it."),
    _f("crawl", "connect_timeout_seconds", "number", 10.0, 0.001,
       "Deadline for opening a connection."),
    _f("crawl", "max_page_bytes", "int", 5_000_000, 1,
       "Largest body we read; a larger page is recorded as too_large."),
    _f("crawl", "user_agent", "str", _NO_DEFAULT, None,
       "The User-Agent header: who we are and how to reach us."),
    _f("crawl", "revisit_open_hours", "number", 24.0, 0,
       "A page in an open status is due again after this long (0: every run)."),
    _f("crawl", "revisit_closed_hours", "number", 168.0, 0,
       "A page in a closed status, or never found, is due again after this long (0: every run)."),
    _f("crawl", "closed_statuses", "list", ("complete", "no-further-action-needed"), None,
       "Status slugs that count as closed."),
    _f("crawl", "defer_on_lastmod", "bool", True, None,
       "A page whose sitemap <lastmod> has not moved since it was checked waits "
       "revisit_closed_hours, not revisit_open_hours (while that sitemap is trusted)."),
    _f("crawl", "defer_on_listing", "bool", True, None,
       "A page a listing shows as archived waits revisit_closed_hours, not "
       "revisit_open_hours (while that listing is trusted)."),
    _f("crawl", "rotation_share", "number", 1.0, 0,
       "Share (0 to 1) of the pages waiting revisit_closed_hours that the rotation verifies "
       "per revisit_closed_hours, longest unchecked first, each crawl its part by the hours "
       "since the last one (1: every page within its interval at an even nightly load; "
       "0: none ahead of its interval, so pages checked together fall due together)."),
    _f("crawl", "max_requests", "int", 0, 0,
       "Request budget of one run (0: no limit); the next run continues."),
    _f("crawl", "max_runtime_seconds", "number", 0.0, 0,
       "Time budget of one run (0: no limit); the next run continues."),
    _f("crawl", "max_retries", "int", 4, 0,
       "Retries of one request after errors, 429s and 5xx."),
    _f("crawl", "backoff_base_seconds", "number", 2.0, 0,
       "First backoff wait; it doubles with each retry (with jitter)."),
    _f("crawl", "backoff_max_seconds", "number", 300.0, 0,
       "Longest backoff wait."),
    _f("crawl", "retry_after_max_seconds", "number", 600.0, 0,
       "Longest Retry-After we wait; a longer one gives the page up for this run."),
    _f("crawl", "throttle_stop_after", "int", 10, 1,
       "Throttling answers (429/503) in a row after which the run stops with exit 4."),
    _f("crawl", "crawl_delay_max_seconds", "number", 60.0, 0,
       "A robots.txt Crawl-delay above delay_seconds is honoured up to this cap."),
    _f("crawl", "drift_threshold", "number", 0.5, 0,
       "Share of previously parsed pages that may stop parsing in one run "
       "before the run stops (layout drift)."),
    _f("crawl", "drift_min_pages", "int", 5, 1,
       "The drift guard judges only once this many previously parsed pages were fetched."),
    _f("store", "path", "str", "data/hmicfrs.sqlite", None,
       "The SQLite database file (relative to the working directory)."),
    _f("store", "parse_workers", "int", 0, 0,
       "Processes that parse stored bodies for `reparse` (0: one per core; 1: parse "
       "inline, in the one process that writes the archive)."),
    _f("wayback", "base_url", "url", "https://web.archive.org", None,
       "The Wayback Machine's origin, for `import wayback` (its CDX API and mementos)."),
    _f("wayback", "delay_seconds", "number", 5.0, 0,
       "Least gap between the starts of two requests to the Wayback Machine."),
    _f("wayback", "jitter_seconds", "number", 1.0, 0,
       "A random extra of up to this much added to each gap to the Wayback Machine."),
    _f("wayback", "max_requests", "int", 0, 0,
       "Request budget of one `import wayback` (0: no limit); the next import continues."),
    _f("wayback", "throttle_stop_after", "int", 5, 1,
       "Throttling answers (429/503) in a row from the Wayback Machine after which the "
       "import stops with exit 4."),
    _f("wayback", "page_size", "int", 1000, 1,
       "Captures asked for per page of the CDX API (its resume key pages through the rest)."),
)
# fmt: on
# Every default, by key ("crawl.jitter_seconds"): the one place they are declared.
DEFAULTS: dict[str, Any] = {f.key: f.default for f in FIELDS}

SECTIONS = ("site", "discovery", "crawl", "store", "wayback")


@dataclass(frozen=True)
class SiteConfig:
    base_url: str
    allowed_hosts: tuple[str, ...]


@dataclass(frozen=True)
class DiscoveryConfig:
    listings: tuple[str, ...]
    sitemaps: tuple[str, ...]
    id_url_template: str


@dataclass(frozen=True)
class CrawlConfig:
    delay_seconds: float
    jitter_seconds: float
    concurrency: int
    timeout_seconds: float
    connect_timeout_seconds: float
    max_page_bytes: int
    user_agent: str
    revisit_open_hours: float
    revisit_closed_hours: float
    closed_statuses: tuple[str, ...]
    defer_on_lastmod: bool
    defer_on_listing: bool
    rotation_share: float
    max_requests: int
    max_runtime_seconds: float
    max_retries: int
    backoff_base_seconds: float
    backoff_max_seconds: float
    retry_after_max_seconds: float
    throttle_stop_after: int
    crawl_delay_max_seconds: float
    drift_threshold: float
    drift_min_pages: int


@dataclass(frozen=True)
class StoreConfig:
    path: str
    parse_workers: int = DEFAULTS["store.parse_workers"]


@dataclass(frozen=True)
class WaybackConfig:
    base_url: str = DEFAULTS["wayback.base_url"]
    delay_seconds: float = DEFAULTS["wayback.delay_seconds"]
    jitter_seconds: float = DEFAULTS["wayback.jitter_seconds"]
    max_requests: int = DEFAULTS["wayback.max_requests"]
    throttle_stop_after: int = DEFAULTS["wayback.throttle_stop_after"]
    page_size: int = DEFAULTS["wayback.page_size"]


@dataclass(frozen=True)
class Config:
    site: SiteConfig
    discovery: DiscoveryConfig
    crawl: CrawlConfig
    store: StoreConfig
    wayback: WaybackConfig = WaybackConfig()

    def url(self, path: str) -> str:
        """Absolute URL of a path from config.yaml."""
        return urljoin(self.site.base_url + "/", path.lstrip("/")) if path.startswith("/") else path

    def with_overrides(self, **sections: dict[str, Any]) -> Config:
        """A copy with some values replaced, e.g. with_overrides(store={"path": "x.db"})."""
        changed = {
            name: dataclasses.replace(getattr(self, name), **values)
            for name, values in sections.items()
        }
        return dataclasses.replace(self, **changed)


# A value is shown in a message only this far: the message must fit a line of a cron mail
# whatever the file holds (an alias bomb's value has no printable end).
_SHOWN = reprlib.Repr()
_SHOWN.maxlevel, _SHOWN.maxlist, _SHOWN.maxdict, _SHOWN.maxtuple = 2, 4, 4, 4
_SHOWN.maxstring, _SHOWN.maxother, _SHOWN.maxlong = 60, 60, 40
_MAX_SHOWN = 100
_MAX_MESSAGE = 300
# config.yaml is a page of settings; a bigger file is a mistake or an attack.
_MAX_CONFIG_BYTES = 1_000_000


def _shown(value: Any) -> str:
    text = _SHOWN.repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def _clip(text: str, limit: int = _MAX_MESSAGE) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _expect(key: str, what: str, value: Any) -> ConfigError:
    return ConfigError(_clip(key, _MAX_SHOWN), f"should be {what}, got {_shown(value)}")


class _NoAliasLoader(yaml.SafeLoader):
    """PyYAML's safe loader refusing aliases (*name): an alias bomb expands without bound
    into whatever walks it, and a settings file has no need of them."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            line = event.start_mark.line + 1 if event.start_mark else "?"
            raise _AliasRefused(line)
        return super().compose_node(parent, index)


class _AliasRefused(Exception):
    def __init__(self, line: int | str) -> None:
        self.line = line


def _check_number(f: Field, value: Any, integer: bool) -> float | int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (integer and not isinstance(value, int))
    ):
        raise _expect(f.key, "a whole number" if integer else "a number", value)
    if f.minimum is not None and value < f.minimum:
        raise _expect(f.key, f"at least {f.minimum:g}", value)
    return value if integer else float(value)


def _check_bool(f: Field, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _expect(f.key, "true or false", value)
    return value


def _check_str(f: Field, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _expect(f.key, "a non-empty string", value)
    return value.strip()


def _check_url(f: Field, value: Any) -> str:
    text = _check_str(f, value)
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _expect(f.key, "an absolute http(s) URL such as https://www.example.gov.uk", value)
    if parts.username is not None or parts.password is not None:
        # It would be sent as Authorization: Basic to every page, logged and stored in every
        # URL column; the site needs no login.
        raise ConfigError(f.key, "should not carry a user name or password (user:pass@): refused")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise _expect(f.key, "the site's origin only (scheme and host, no path)", value)
    return text.rstrip("/")


def _check_path(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//"):
        raise _expect(key, "a path relative to site.base_url, starting with /", value)
    if any(c.isspace() for c in value):
        raise _expect(key, "a path without spaces", value)
    return value


def _check_list(f: Field, value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise _expect(f.key, "a list", value)
    return list(value)


def _convert(f: Field, value: Any) -> Any:
    checks: dict[str, Callable[[], Any]] = {
        "number": lambda: _check_number(f, value, integer=False),
        "bool": lambda: _check_bool(f, value),
        "int": lambda: _check_number(f, value, integer=True),
        "str": lambda: _check_str(f, value),
        "url": lambda: _check_url(f, value),
        "template": lambda: _check_template(f, value),
        "paths": lambda: tuple(
            _check_path(f"{f.key}[{i}]", v) for i, v in enumerate(_check_list(f, value))
        ),
        "hosts": lambda: tuple(
            _check_host(f"{f.key}[{i}]", v) for i, v in enumerate(_check_list(f, value))
        ),
        "list": lambda: tuple(
            _check_str(dataclasses.replace(f, name=f"{f.name}[{i}]"), v)
            for i, v in enumerate(_check_list(f, value))
        ),
    }
    return checks[f.kind]()


def _check_template(f: Field, value: Any) -> str:
    text = _check_path(f.key, value)
    if "{id}" not in text:
        raise _expect(f.key, "a path containing {id}, such as /hmicfrs/?p={id}", value)
    return text


def _check_host(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or any(c in value for c in "/ @"):
        raise _expect(key, "a host name such as www.example.gov.uk (no user name)", value)
    return value.strip().lower().split(":")[0]


def config_from_dict(data: Any) -> Config:
    """Validate a parsed config.yaml mapping into a Config."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError("(top level)", f"should be a mapping of sections {', '.join(SECTIONS)}")
    for section in data:
        if section not in SECTIONS:
            known = ", ".join(SECTIONS)
            raise ConfigError(_clip(str(section), _MAX_SHOWN), f"unknown section; known: {known}")
        if data[section] is not None and not isinstance(data[section], dict):
            raise _expect(str(section), "a mapping of keys", data[section])
    known = {f.key for f in FIELDS}
    for section, values in data.items():
        for name in values or {}:
            if f"{section}.{name}" not in known:
                names = ", ".join(f.name for f in FIELDS if f.section == section)
                key = _clip(f"{section}.{name}", _MAX_SHOWN)
                raise ConfigError(key, f"unknown key; {section} takes: {names}")
    values: dict[str, dict[str, Any]] = {s: {} for s in SECTIONS}
    for f in FIELDS:
        raw = (data.get(f.section) or {}).get(f.name, f.default)
        if raw is _NO_DEFAULT:
            raise ConfigError(f.key, "is required")
        values[f.section][f.name] = (
            f.default
            if raw is None and f.kind == "hosts"
            else (_convert(f, raw) if raw is not None else raw)
        )
    site = values["site"]
    if not site["allowed_hosts"]:
        site["allowed_hosts"] = (urlsplit(site["base_url"]).hostname.lower(),)
    base_host = urlsplit(site["base_url"]).hostname.lower()
    if base_host not in site["allowed_hosts"]:
        raise ConfigError(
            "site.allowed_hosts", f"should include the host of site.base_url ({base_host})"
        )
    if not 0 <= values["crawl"]["drift_threshold"] <= 1:
        raise _expect(
            "crawl.drift_threshold", "a share between 0 and 1", values["crawl"]["drift_threshold"]
        )
    if not 0 <= values["crawl"]["rotation_share"] <= 1:
        raise _expect(
            "crawl.rotation_share", "a share between 0 and 1", values["crawl"]["rotation_share"]
        )
    return Config(
        site=SiteConfig(**site),
        discovery=DiscoveryConfig(**values["discovery"]),
        crawl=CrawlConfig(**values["crawl"]),
        store=StoreConfig(**values["store"]),
        wayback=WaybackConfig(**values["wayback"]),
    )


def load_config(path: str | Path) -> Config:
    """Read and validate config.yaml; ConfigError says which key is wrong and why."""
    try:
        with open(path, "rb") as file:
            raw = file.read(_MAX_CONFIG_BYTES + 1)
    except OSError as e:
        raise ConfigError(str(path), f"cannot be read: {e.strerror or e}") from e
    if len(raw) > _MAX_CONFIG_BYTES:
        raise ConfigError(str(path), f"is over {_MAX_CONFIG_BYTES:,} bytes: not a config file")
    try:
        data = yaml.load(raw.decode("utf-8"), Loader=_NoAliasLoader)  # noqa: S506 (safe loader)
    except UnicodeDecodeError as e:
        raise ConfigError(str(path), f"is not UTF-8 text (byte {e.start})") from e
    except _AliasRefused as e:
        raise ConfigError(
            str(path),
            f"line {e.line}: uses a YAML alias (*name); aliases are not accepted here, "
            "write the value out",
        ) from None
    except yaml.YAMLError as e:
        raise ConfigError(str(path), _clip(f"is not valid YAML: {e}")) from e
    except RecursionError:
        raise ConfigError(str(path), "is nested too deeply to be a config file") from None
    return config_from_dict(data)
