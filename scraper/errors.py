"""The exception tree. Every error the tool raises on purpose is an HmicfrsError.

```
HmicfrsError
 ├── ConfigError            config.yaml or a flag is wrong (key)
 ├── UsageError             a command was called with arguments that cannot work
 ├── DriftDetected          pages that parsed before no longer do: the site's layout moved
 └── FetchAborted           a URL's requests ended without an answer (url, attempts)
      ├── SiteRefused       the site refused us: throttling, refusals in a row (status)
      ├── SiteUnreachable   the site cannot be reached at all (status)
      └── RunInterrupted    a wait was cut short because the run was asked to stop
```

The structured fields are declared on the classes, so the crawl can record every request a
FetchAborted carries and the CLI can print a message without parsing strings; the CLI alone
turns them into exit codes. Pure: imports nothing that talks to the network.
"""

from __future__ import annotations

from typing import Self

from scraper.fetched import Attempt


class HmicfrsError(Exception):
    """Base of every error the tool raises on purpose."""


class ConfigError(HmicfrsError):
    """config.yaml (or a flag) is wrong; names the key and what it should be."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        self.message = message
        super().__init__(f"config: {key}: {message}")


class UsageError(HmicfrsError):
    """A command was called with arguments that cannot work."""


class DriftDetected(HmicfrsError):
    """Too many pages that parsed before now parse as unexpected: the site's layout moved."""


class FetchAborted(HmicfrsError):
    """The requests for one URL ended before it had an answer.

    `attempts` holds every request sent on the way, so the crawl can keep each in `fetches`.
    """

    url: str | None
    status: int | None
    attempts: tuple[Attempt, ...]

    def __init__(
        self,
        message: str,
        url: str | None = None,
        status: int | None = None,
        attempts: tuple[Attempt, ...] = (),
    ) -> None:
        self.url = url
        self.status = status
        self.attempts = attempts
        super().__init__(message)

    def with_attempts(self, attempts: tuple[Attempt, ...]) -> Self:
        """The same error carrying `attempts` before its own (raise it `from` this one)."""
        return type(self)(str(self), self.url, self.status, attempts + self.attempts)


class SiteRefused(FetchAborted):
    """The site throttled or refused us past the configured count, or robots.txt forbids us."""


class SiteUnreachable(FetchAborted):
    """The site could not be reached at all (robots.txt 5xx or no connection)."""


class RunInterrupted(FetchAborted):
    """A wait was cut short because the run was asked to stop."""
