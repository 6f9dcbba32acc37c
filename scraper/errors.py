"""The exception tree. Every error the tool raises on purpose is an HmicfrsError.

Each carries structured fields so that the CLI can turn it into a message and an exit code
without parsing strings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scraper.fetch import Attempt


class HmicfrsError(Exception):
    """Base of every error the tool raises on purpose."""

    exit_code: int = 1


class ConfigError(HmicfrsError):
    """config.yaml (or a flag) is wrong; names the key and what it should be."""

    exit_code = 2

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        self.message = message
        super().__init__(f"config: {key}: {message}")


class UsageError(HmicfrsError):
    """A command was called with arguments that cannot work."""

    exit_code = 2


class FetchError(HmicfrsError):
    """One request failed for good (after retries)."""

    def __init__(self, url: str, message: str, status: int | None = None) -> None:
        self.url = url
        self.status = status
        super().__init__(f"{url}: {message}")


class SiteRefused(HmicfrsError):
    """The site throttled us past the configured count, or robots.txt forbids the crawl."""

    exit_code = 4

    def __init__(
        self,
        message: str,
        url: str | None = None,
        status: int | None = None,
        attempts: tuple[Attempt, ...] = (),
    ) -> None:
        self.url = url
        self.status = status
        # Every request sent on the way to this error, so the crawl can record each in `fetches`.
        self.attempts = attempts
        super().__init__(message)


class SiteUnreachable(HmicfrsError):
    """The site could not be reached at all (robots.txt 5xx or no connection)."""

    exit_code = 4

    def __init__(
        self,
        message: str,
        url: str | None = None,
        status: int | None = None,
        attempts: tuple[Attempt, ...] = (),
    ) -> None:
        self.url = url
        self.status = status
        # Every request sent on the way to this error, so the crawl can record each in `fetches`.
        self.attempts = attempts
        super().__init__(message)


class LockHeld(HmicfrsError):
    """Another run holds the lock beside the database."""

    exit_code = 3


class DriftDetected(HmicfrsError):
    """Too many pages that parsed before now parse as unexpected: the site's layout moved."""

    exit_code = 1
