"""`python -m scraper` is `hmicfrs`."""

from scraper.cli import main

main()
