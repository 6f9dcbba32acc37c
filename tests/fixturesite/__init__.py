"""The project's fixture site: a real HTTP server on 127.0.0.1 that tests, `make demo` and
bench/ crawl instead of the live site.

    from tests.fixturesite import FixtureSite, Fault
    with FixtureSite(state="initial") as site:
        site.base_url                       # "http://127.0.0.1:PORT"
        site.inject("/robots.txt", Fault("503", times=100))
        site.set_state("later")
        site.catalogue()                    # list[RecSpec]: what a correct crawl records

catalogue.py holds the content (both states), pages.py renders it, server.py serves it.
"""

from tests.fixturesite.catalogue import CHANGES, FORCES, THEMES, catalogue
from tests.fixturesite.model import RecSpec, squash
from tests.fixturesite.server import FAULT_KINDS, Fault, FixtureSite, RequestRecord

__all__ = [
    "CHANGES",
    "FAULT_KINDS",
    "FORCES",
    "THEMES",
    "Fault",
    "FixtureSite",
    "RecSpec",
    "RequestRecord",
    "catalogue",
    "squash",
]
