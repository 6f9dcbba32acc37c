"""Against a hostile server (tests/hostile.py, on 127.0.0.1): decompression bombs, trickled
headers and bodies, credentials in redirects and URLs. Each test asserts what the operator
sees: the exit status, the page's state and versions, and where that is the point, the time
and memory the run took, measured here."""

from __future__ import annotations

import gzip
import json
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from scraper.fetch import Fetcher, FetchPolicy, make_client
from tests import hostile
from tests.support import ROOT, rows, site_config

# Peak resident memory a crawl may reach while a bomb expands to a gigabyte: the crawl
# itself needs well under 150 MB; the bomb, decoded whole, would need over 1000.
PEAK_RSS_LIMIT_KB = 300 * 1024
# How far past its deadline a trickled request may be cut: scheduling, not the server.
DEADLINE_MARGIN = 1.0


def policy(**overrides: object) -> FetchPolicy:
    settings: dict = dict(
        user_agent="hmicfrs-archive tests",
        allowed_hosts=("127.0.0.1",),
        delay_seconds=0.0,
        timeout_seconds=1.5,
        connect_timeout_seconds=1.0,
        max_retries=0,
        max_page_bytes=1_000_000,
    )
    settings.update(overrides)
    return FetchPolicy(**settings)


def fetcher(p: FetchPolicy) -> Fetcher:
    return Fetcher(make_client(p), p)


@pytest.fixture
def server() -> Iterator[hostile.HostileServer]:
    with hostile.HostileServer() as s:
        s.routes["/robots.txt"] = hostile.respond(200, b"User-agent: *\nAllow: /\n")
        yield s


@pytest.mark.parametrize("where", ["headers", "body", "body of a 500"])
def test_a_trickle_is_cut_at_the_deadline(server: hostile.HostileServer, where: str) -> None:
    routes = {
        "headers": hostile.trickled_headers(interval=0.1),
        "body": hostile.trickled_body(interval=0.1),
        "body of a 500": hostile.trickled_body(interval=0.1, status=500),
    }
    server.routes["/slow"] = routes[where]  # 60 s of trickle if nothing cuts it
    p = policy()
    started = time.monotonic()
    result = fetcher(p).fetch(server.base_url + "/slow", check_robots=False)
    took = time.monotonic() - started
    assert (result.outcome, result.error, result.body) == (
        "error",
        "gave up after 1 attempt: timeout: over the 1.5s deadline",
        None,
    )
    assert p.timeout_seconds <= took < p.timeout_seconds + DEADLINE_MARGIN
    assert result.attempts[0].elapsed_ms < (p.timeout_seconds + DEADLINE_MARGIN) * 1000


def test_a_redirect_to_a_url_with_credentials_is_refused_and_never_sent(
    server: hostile.HostileServer,
) -> None:
    target = f"http://user:secret@127.0.0.1:{server.port}/private"
    server.routes["/go"] = hostile.redirect(target)
    server.routes["/private"] = hostile.respond(200, b"<p>private</p>", Content_Type="text/html")
    result = fetcher(policy()).fetch(server.base_url + "/go", check_robots=False)
    assert (result.outcome, result.final_url, result.error, result.body) == (
        "error",
        server.base_url + "/go",
        f"refused a redirect to a URL with credentials (http://127.0.0.1:{server.port}/private)",
        None,
    )
    assert server.paths() == ["/go"]
    assert all("authorization" not in headers for _, headers in server.requests)


def test_a_url_with_credentials_is_never_requested(server: hostile.HostileServer) -> None:
    result = fetcher(policy()).fetch(
        f"http://user:secret@127.0.0.1:{server.port}/page", check_robots=False
    )
    assert (result.outcome, result.final_url, result.error, result.attempts) == (
        "error",
        f"http://127.0.0.1:{server.port}/page",
        "refused: the URL carries credentials",
        (),
    )
    assert server.requests == []


def _bomb_site(server: hostile.HostileServer) -> dict[str, str]:
    pages = {
        "br": "/hmicfrs/recommendation/alpha/101/",
        "gzip-gzip": "/hmicfrs/recommendation/alpha/102/",
        "plain": "/hmicfrs/recommendation/alpha/103/",
    }
    server.routes["/robots.txt"] = hostile.robots("/sitemap.xml")
    server.routes["/sitemap.xml"] = hostile.respond(
        200,
        hostile.sitemap([server.base_url + p for p in pages.values()]),
        Content_Type="application/xml",
    )
    server.routes[pages["br"]] = hostile.respond(
        200, hostile.brotli_bomb(), Content_Type="text/html", Content_Encoding="br"
    )
    server.routes[pages["gzip-gzip"]] = hostile.respond(
        200, hostile.gzip_gzip_bomb(), Content_Type="text/html", Content_Encoding="gzip, gzip"
    )
    server.routes[pages["plain"]] = hostile.respond(
        200,
        hostile.recommendation_page("alpha", 103, "The force should count what it keeps."),
        Content_Type="text/html; charset=utf-8",
    )
    return {k: server.base_url + v for k, v in pages.items()}


def test_decompression_bombs_are_too_large_pages_in_bounded_memory(
    server: hostile.HostileServer, tmp_path: Path
) -> None:
    urls = _bomb_site(server)
    db = tmp_path / "a.sqlite"
    config = site_config(server.base_url, db, max_retries=0, max_page_bytes=5_000_000)
    config["discovery"]["listings"] = []
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    rss_file = tmp_path / "rss"
    started = time.monotonic()
    done = subprocess.run(
        # bench/peak.py: the crawl's own peak (VmHWM), not ru_maxrss, which Linux starts at
        # this pytest process's high-water mark.
        [
            sys.executable,
            "-m",
            "bench.peak",
            str(rss_file),
            "-m",
            "scraper",
            "crawl",
            "--config",
            str(tmp_path / "config.yaml"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    took = time.monotonic() - started
    assert done.returncode == 1, done.stderr  # done, but some pages failed
    assert int(rss_file.read_text()) < PEAK_RSS_LIMIT_KB
    assert took < 60  # decoding a gigabyte twice would take far longer than the whole run
    too_large = "body over max_page_bytes (5000000)"
    assert rows(
        db,
        """SELECT p.url, p.state, f.outcome, f.error,
                  (SELECT COUNT(*) FROM snapshots s WHERE s.url = p.url) AS versions
           FROM pages p JOIN fetches f ON f.url = p.url
           WHERE p.kind = 'recommendation' ORDER BY p.url""",
    ) == [
        {
            "url": urls["br"],
            "state": "error",
            "outcome": "too_large",
            "error": too_large,
            "versions": 0,
        },
        {
            "url": urls["gzip-gzip"],
            "state": "error",
            "outcome": "too_large",
            "error": too_large,
            "versions": 0,
        },
        {"url": urls["plain"], "state": "live", "outcome": "new", "error": None, "versions": 1},
    ]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["run"]["exit_code"] == 1


def _crawl(server: hostile.HostileServer, tmp_path: Path, **crawl: object) -> tuple[Path, int]:
    from tests.support import hmicfrs

    db = tmp_path / "a.sqlite"
    config = site_config(server.base_url, db, max_retries=0, **crawl)
    config["discovery"]["listings"] = []
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    return db, hmicfrs("crawl", "--config", str(tmp_path / "config.yaml")).exit_code


def test_a_gzipped_sitemap_served_as_a_file_yields_its_urls(
    server: hostile.HostileServer, tmp_path: Path
) -> None:
    pages = [f"/hmicfrs/recommendation/beta/{i}/" for i in (201, 202)]
    server.routes["/robots.txt"] = hostile.robots("/sitemap.xml.gz")
    server.routes["/sitemap.xml.gz"] = hostile.respond(
        200,
        gzip.compress(hostile.sitemap([server.base_url + p for p in pages])),
        Content_Type="application/x-gzip",  # and no Content-Encoding, the usual way
    )
    for i, path in zip((201, 202), pages, strict=True):
        server.routes[path] = hostile.respond(
            200,
            hostile.recommendation_page("beta", i, f"The force should file report {i}."),
            Content_Type="text/html; charset=utf-8",
        )
    db, code = _crawl(server, tmp_path)
    assert code == 0
    assert rows(
        db,
        "SELECT url, state, rec_id, force FROM pages WHERE kind = 'recommendation' ORDER BY url",
    ) == [
        {"url": server.base_url + pages[0], "state": "live", "rec_id": 201, "force": "beta"},
        {"url": server.base_url + pages[1], "state": "live", "rec_id": 202, "force": "beta"},
    ]


def test_a_sitemap_of_unclosed_locs_is_read_quickly_and_the_run_goes_on(
    server: hostile.HostileServer, tmp_path: Path
) -> None:
    page = "/hmicfrs/recommendation/gamma/301/"
    server.routes["/robots.txt"] = hostile.respond(
        200, b"User-agent: *\nAllow: /\nSitemap: /bomb.xml\nSitemap: /sitemap.xml\n"
    )
    server.routes["/bomb.xml"] = hostile.respond(
        200, hostile.loc_bomb(), Content_Type="application/xml"
    )
    server.routes["/sitemap.xml"] = hostile.respond(
        200, hostile.sitemap([server.base_url + page]), Content_Type="application/xml"
    )
    server.routes[page] = hostile.respond(
        200,
        hostile.recommendation_page("gamma", 301, "The force should read its sitemaps."),
        Content_Type="text/html; charset=utf-8",
    )
    started = time.monotonic()
    db, code = _crawl(server, tmp_path, max_runtime_seconds=60)
    assert time.monotonic() - started < 30  # the regex scan took over 400 s
    assert code == 0
    assert rows(db, "SELECT url, state FROM pages ORDER BY url") == [
        {"url": server.base_url + "/bomb.xml", "state": "live"},
        {"url": server.base_url + "/hmicfrs/recommendation/gamma/301/", "state": "live"},
        {"url": server.base_url + "/robots.txt", "state": "live"},
        {"url": server.base_url + "/sitemap.xml", "state": "live"},
    ]


def test_six_spellings_of_one_recommendation_are_one_page(
    server: hostile.HostileServer, tmp_path: Path
) -> None:
    from tests.support import hmicfrs

    port = server.port
    spellings = [
        f"http://127.0.0.1:{port}/hmicfrs/recommendation/delta/401/",
        f"http://127.0.0.1:{port}/HMICFRS/Recommendation/Delta/0401",
        f"http://127.0.0.1:{port}/hmicfrs/recommendation/delta/401/?utm_source=mail&fbclid=x",
        f"http://localhost:{port}/recommendation/delta/401/",  # the current host's path
        f"http://user:secret@127.0.0.1:{port}/hmicfrs/recommendation/delta/401/",
        f"https://www.localhost:{port}/hmicfrs/recommendation/delta/401",
    ]
    server.routes["/robots.txt"] = hostile.robots("/sitemap.xml")
    server.routes["/sitemap.xml"] = hostile.respond(
        200, hostile.sitemap(spellings), Content_Type="application/xml"
    )
    server.routes["/hmicfrs/recommendation/delta/401/"] = hostile.respond(
        200,
        hostile.recommendation_page("delta", 401, "The force should spell its URLs once."),
        Content_Type="text/html; charset=utf-8",
    )
    db = tmp_path / "a.sqlite"
    config = site_config(server.base_url, db, max_retries=0)
    config["site"]["allowed_hosts"] = ["127.0.0.1", "localhost", "www.localhost"]
    config["discovery"]["listings"] = []
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    assert hmicfrs("crawl", "--config", str(tmp_path / "config.yaml")).exit_code == 0
    assert rows(db, "SELECT url, rec_id, force, state, version FROM recommendations") == [
        {"url": spellings[0], "rec_id": 401, "force": "delta", "state": "live", "version": 1}
    ]
    assert rows(db, "SELECT alias_url, url FROM page_aliases ORDER BY alias_url") == [
        {"alias_url": f"http://localhost:{port}/recommendation/delta/401/", "url": spellings[0]},
        {
            "alias_url": f"https://www.localhost:{port}/hmicfrs/recommendation/delta/401/",
            "url": spellings[0],
        },
    ]
    # Asked for once, and nothing with credentials was sent, stored or logged.
    assert [p for p in server.paths() if "recommendation" in p.lower()] == [
        "/hmicfrs/recommendation/delta/401/"
    ]
    assert all("authorization" not in headers for _, headers in server.requests)
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT COUNT(*) FROM pages WHERE url LIKE '%secret%'").fetchone() == (
            0,
        )
    finally:
        conn.close()
    # A researcher finds it by the spelling they have.
    history = hmicfrs("history", f"http://localhost:{port}/recommendation/delta/401/",
                      "--json", "--config", str(tmp_path / "config.yaml"))  # fmt: skip
    assert history.exit_code == 0
    assert json.loads(history.output)["url"] == spellings[0]


def test_a_page_trickling_its_headers_is_an_error_page_cut_at_the_deadline(
    server: hostile.HostileServer, tmp_path: Path
) -> None:
    slow, plain = "/hmicfrs/recommendation/epsilon/501/", "/hmicfrs/recommendation/epsilon/502/"
    server.routes["/robots.txt"] = hostile.robots("/sitemap.xml")
    server.routes["/sitemap.xml"] = hostile.respond(
        200, hostile.sitemap([server.base_url + slow, server.base_url + plain]),
        Content_Type="application/xml",
    )  # fmt: skip
    server.routes[slow] = hostile.trickled_headers(interval=0.1)
    server.routes[plain] = hostile.respond(
        200,
        hostile.recommendation_page("epsilon", 502, "The force should answer promptly."),
        Content_Type="text/html; charset=utf-8",
    )
    started = time.monotonic()
    db, code = _crawl(server, tmp_path, timeout_seconds=1.5)
    assert time.monotonic() - started < 20  # the trickle alone would take 60 s
    assert code == 1  # done, but a page failed
    fetched = rows(
        db,
        """SELECT p.url, p.state, f.outcome, f.error, f.elapsed_ms < ? AS within
           FROM pages p JOIN fetches f ON f.url = p.url
           WHERE p.kind = 'recommendation' ORDER BY p.url""",
        ((1.5 + DEADLINE_MARGIN) * 1000,),
    )
    assert fetched == [
        {"url": server.base_url + slow, "state": "error", "outcome": "error",
         "error": "timeout: over the 1.5s deadline", "within": 1},
        {"url": server.base_url + plain, "state": "live", "outcome": "new", "error": None,
         "within": 1},
    ]  # fmt: skip


def test_six_spellings_in_a_urls_file_are_one_page(
    server: hostile.HostileServer, tmp_path: Path
) -> None:
    from tests.support import hmicfrs

    port = server.port
    path = "/hmicfrs/recommendation/zeta/601/"
    server.routes[path] = hostile.respond(
        200,
        hostile.recommendation_page("zeta", 601, "The force should keep one record."),
        Content_Type="text/html; charset=utf-8",
    )
    urls = tmp_path / "urls.txt"
    urls.write_text(
        "\n".join(
            [
                f"http://127.0.0.1:{port}{path}",
                "/HMICFRS/Recommendation/Zeta/0601",
                f"{path}?utm_campaign=x",
                f"http://localhost:{port}/recommendation/zeta/601/",
                f"http://user:secret@127.0.0.1:{port}{path}",
                f"https://localhost:{port}{path}",
            ]
        )
        + "\n"
    )
    db = tmp_path / "a.sqlite"
    config = site_config(server.base_url, db, max_retries=0)
    config["site"]["allowed_hosts"] = ["127.0.0.1", "localhost"]
    config["discovery"]["listings"] = []
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    result = hmicfrs("backfill", "--urls", str(urls), "--config", str(tmp_path / "config.yaml"))
    assert result.exit_code == 0, result.output
    assert rows(db, "SELECT url, rec_id, force, state FROM recommendations") == [
        {"url": f"http://127.0.0.1:{port}{path}", "rec_id": 601, "force": "zeta", "state": "live"}
    ]
    assert rows(db, "SELECT alias_url FROM page_aliases ORDER BY alias_url") == [
        {"alias_url": f"http://localhost:{port}/recommendation/zeta/601/"},
        {"alias_url": f"https://localhost:{port}{path}"},
    ]
    assert [p for p in server.paths() if "ecommendation" in p] == [path]


def test_the_sites_own_spelling_is_fetched_before_another_hosts(
    server: hostile.HostileServer, tmp_path: Path
) -> None:
    from tests.support import hmicfrs

    port = server.port
    home = f"http://127.0.0.1:{port}/hmicfrs/recommendation/eta/701/"
    elsewhere = f"http://localhost:{port}/recommendation/eta/701/"  # answers 404 here
    server.routes["/robots.txt"] = hostile.robots("/sitemap.xml")
    server.routes["/sitemap.xml"] = hostile.respond(
        200, hostile.sitemap([elsewhere, home]), Content_Type="application/xml"
    )
    server.routes["/hmicfrs/recommendation/eta/701/"] = hostile.respond(
        200,
        hostile.recommendation_page("eta", 701, "The force should ask the right host."),
        Content_Type="text/html; charset=utf-8",
    )
    db = tmp_path / "a.sqlite"
    config = site_config(server.base_url, db, max_retries=0)
    config["site"]["allowed_hosts"] = ["127.0.0.1", "localhost"]
    config["discovery"]["listings"] = []
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    assert hmicfrs("crawl", "--config", str(tmp_path / "config.yaml")).exit_code == 0
    assert rows(db, "SELECT url, state FROM pages WHERE kind = 'recommendation'") == [
        {"url": home, "state": "live"}
    ]
    assert rows(db, "SELECT alias_url, url FROM page_aliases") == [
        {"alias_url": elsewhere, "url": home}
    ]
    assert "/recommendation/eta/701/" not in server.paths()


def test_a_sitemap_larger_than_a_page_may_be_is_read_up_to_the_protocols_50_mb(
    server: hostile.HostileServer, tmp_path: Path
) -> None:
    page = "/hmicfrs/recommendation/theta/801/"
    padding = "<!-- " + "x" * 1_500_000 + " -->"
    body = hostile.sitemap([server.base_url + page]).replace(
        b"<urlset", padding.encode() + b"<urlset"
    )
    server.routes["/robots.txt"] = hostile.robots("/sitemap.xml")
    server.routes["/sitemap.xml"] = hostile.respond(200, body, Content_Type="application/xml")
    server.routes[page] = hostile.respond(
        200,
        hostile.recommendation_page("theta", 801, "The force should read long sitemaps."),
        Content_Type="text/html; charset=utf-8",
    )
    db, code = _crawl(server, tmp_path, max_page_bytes=1_000_000)
    assert code == 0
    assert rows(db, "SELECT url, state FROM pages ORDER BY url") == [
        {"url": server.base_url + page, "state": "live"},
        {"url": server.base_url + "/robots.txt", "state": "live"},
        {"url": server.base_url + "/sitemap.xml", "state": "live"},
    ]


def _interstitial_site(server: hostile.HostileServer, rejected: set[int]) -> list[str]:
    """Eight recommendations in a sitemap; those in `rejected` answered by a 200 interstitial."""
    ids = list(range(401, 409))
    paths = [f"/hmicfrs/recommendation/delta/{i}/" for i in ids]
    server.routes["/robots.txt"] = hostile.robots("/sitemap.xml")
    server.routes["/sitemap.xml"] = hostile.respond(
        200, hostile.sitemap([server.base_url + p for p in paths]), Content_Type="application/xml"
    )
    counter = [0]
    for i, path in zip(ids, paths, strict=True):
        server.routes[path] = (
            hostile.interstitial(counter)
            if i in rejected
            else hostile.respond(
                200,
                hostile.recommendation_page("delta", i, f"The force should publish plan {i}."),
                Content_Type="text/html; charset=utf-8",
            )
        )
    return [server.base_url + p for p in paths]


PAGES_SQL = """SELECT p.url, p.state, (SELECT COUNT(*) FROM snapshots s WHERE s.url = p.url)
                      AS versions,
                      (SELECT group_concat(f.outcome) FROM fetches f WHERE f.url = p.url)
                      AS outcomes
               FROM pages p WHERE p.kind = 'recommendation' ORDER BY p.url"""


def test_a_200_interstitial_answered_for_several_pages_is_a_refusal_not_a_version(
    server: hostile.HostileServer, tmp_path: Path
) -> None:
    """A "request rejected" page with a 200, a support id of its own each time, for three of
    eight new recommendations, and one bare page of its own (held like them, as bare as they
    are): the three are refusals (no version, no state), the bare one is archived."""
    urls = _interstitial_site(server, rejected={402, 405, 407})
    server.routes["/hmicfrs/recommendation/delta/408/"] = hostile.respond(
        200,
        b"<html><body><div><span>Under construction.</span></div></body></html>",
        Content_Type="text/html; charset=utf-8",
    )
    db, code = _crawl(server, tmp_path)
    assert code == 0  # a refused page is not a failed one: the next run asks again
    live = {"state": "live", "versions": 1, "outcomes": "new"}
    refused = {"state": "error", "versions": 0, "outcomes": "refused"}  # as a fresh 403 is
    assert rows(db, PAGES_SQL) == [
        {"url": urls[0], **live},
        {"url": urls[1], **refused},
        {"url": urls[2], **live},
        {"url": urls[3], **live},
        {"url": urls[4], **refused},
        {"url": urls[5], **live},
        {"url": urls[6], **refused},
        {"url": urls[7], **live},  # a bare page of its own: archived, as any other
    ]
    errors = rows(db, "SELECT DISTINCT error FROM fetches WHERE outcome = 'refused'")
    assert len(errors) == 2  # two URLs, then three, had been answered with the same page
    assert all("not a recommendation, answered" in e["error"] for e in errors)


def test_a_site_wide_200_interstitial_stops_the_run_and_changes_nothing(
    server: hostile.HostileServer, tmp_path: Path
) -> None:
    urls = _interstitial_site(server, rejected=set())
    db, code = _crawl(server, tmp_path)
    assert code == 0
    before = rows(db, "SELECT url, version, content_sha256 FROM snapshots ORDER BY id")
    _interstitial_site(server, rejected=set(range(401, 409)))
    db, code = _crawl(server, tmp_path)
    assert code == 4  # the site refused us
    assert rows(db, "SELECT url, version, content_sha256 FROM snapshots ORDER BY id") == before
    assert [p["state"] for p in rows(db, PAGES_SQL)] == ["live"] * len(urls)
    assert rows(db, "SELECT COUNT(*) AS n FROM page_events WHERE event != 'appeared'") == [{"n": 0}]
