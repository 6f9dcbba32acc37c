"""hmicfrs-archive: versioned archive of HMICFRS recommendations.

The Python API (README, "Python API"): `load_config`, `crawl`, `backfill`, `reparse`,
`parse_page`, and `Archive` (from store) to read what was archived. Names load on first use,
so importing one part (say `scraper.reparse`) does not load the network code.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "load_config": "scraper.config",
    "Config": "scraper.config",
    "crawl": "scraper.run",
    "backfill": "scraper.run",
    "reparse": "scraper.run",
    "RunSummary": "scraper.engine",
    "StopFlag": "scraper.workers",
    "parse_page": "scraper.parse",
    "ParsedPage": "scraper.parse",
    "Archive": "store",
    "HmicfrsError": "scraper.errors",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'scraper' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
