"""`python -m scraper` is `hmicfrs`."""

from scraper.cli import entry

entry()
