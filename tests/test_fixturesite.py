"""The fixture site itself: it serves what its catalogue says, validators, faults and states."""

from __future__ import annotations

import datetime as dt
import gzip
import re
import socket
import threading
from collections.abc import Iterator
from html import unescape
from html.parser import HTMLParser
from urllib.parse import urlsplit

import httpx
import pytest

from tests.fixturesite import CHANGES, Fault, FixtureSite, RecSpec, squash
from tests.fixturesite.model import format_date

THEMES = ("harm", "audit", "call-handling", "plan")


@pytest.fixture(scope="module")
def site() -> Iterator[FixtureSite]:
    with FixtureSite() as s:
        yield s


@pytest.fixture()
def fresh() -> Iterator[FixtureSite]:
    with FixtureSite() as s:
        yield s


@pytest.fixture()
def client(site: FixtureSite) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.base_url, timeout=5) as c:
        yield c


def by_id(specs: list[RecSpec]) -> dict[int, RecSpec]:
    return {s.rec_id: s for s in specs}


class _ContentText(HTMLParser):
    """Text of the first div.entry-content, block elements on their own lines."""

    BLOCKS = frozenset({"p", "li", "h1", "h2", "h3", "ul", "blockquote", "br", "div"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.done = False
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.done:
            return
        if self.depth:
            if tag == "div":
                self.depth += 1
            if tag in self.BLOCKS:
                self.parts.append("\n")
        elif tag == "div" and ("class", "entry-content") in attrs:
            self.depth = 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag == "div":
            self.depth -= 1
            self.done = self.depth == 0
        elif self.depth and tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.depth and not self.done:
            self.parts.append(data)


def content_text(html: str) -> str:
    parser = _ContentText()
    parser.feed(html)
    return "".join(parser.parts)


class _Links(HTMLParser):
    """hrefs of <a rel="bookmark"> (listing entries) and <a rel="next"> (pagination)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("rel") in ("bookmark", "next"):
            self.found.append(a.get("href") or "")


def links(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.found


def crawl_listings(client: httpx.Client, base: str) -> dict[str, set[str]]:
    """{theme: rec urls}, following rel=next."""
    out: dict[str, set[str]] = {}
    for theme in THEMES:
        url: str | None = f"{base}/hmicfrs/?recommendation-theme={theme}"
        seen: set[str] = set()
        while url:
            r = client.get(url)
            assert r.status_code == 200, url
            found = links(r.text)
            nxt = [u for u in found if "paged=" in u]
            seen.update(u for u in found if "/recommendation/" in u)
            url = nxt[0] if nxt else None
        out[theme] = seen
    return out


def sitemap_urls(client: httpx.Client) -> set[str]:
    index = client.get("/wp-sitemap.xml").text
    urls: set[str] = set()
    for loc in re.findall(r"<loc>(.*?)</loc>", index):
        if "recommendation" in loc:
            urls.update(re.findall(r"<loc>(.*?)</loc>", client.get(loc).text))
    return urls


# --- serving -----------------------------------------------------------------------------------


def test_starts_on_free_port_and_stop_frees_it() -> None:
    site = FixtureSite().start()
    port = site.port
    assert site.base_url == f"http://127.0.0.1:{port}" and port > 0
    assert httpx.get(site.base_url + "/robots.txt").status_code == 200
    site.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/robots.txt", timeout=1)
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))


def test_robots_txt(site: FixtureSite, client: httpx.Client) -> None:
    r = client.get("/robots.txt")
    assert r.headers["content-type"].startswith("text/plain")
    assert r.text.splitlines() == [
        "User-agent: *",
        "Disallow: /hmicfrs/wp-admin/",
        "Allow: /hmicfrs/wp-admin/admin-ajax.php",
        "Disallow: /hmicfrs/private/",
        "Disallow: /hmicfrs/recommendation/west-moorland/3017/",
        "",
        f"Sitemap: {site.base_url}/wp-sitemap.xml",
    ]


def test_every_rec_url_answers_its_catalogue_status(fresh: FixtureSite) -> None:
    with httpx.Client(base_url=fresh.base_url) as c:
        for state in ("initial", "later"):
            fresh.set_state(state)
            for spec in fresh.catalogue():
                assert c.get(spec.path).status_code == spec.http_status, (state, spec.path)


def test_pages_carry_the_catalogue_content(site: FixtureSite, client: httpx.Client) -> None:
    """Catalogue and pages come from one source; check the rendered text really says it."""
    for spec in site.catalogue():
        if spec.state not in ("live", "blocked"):
            continue
        html = client.get(spec.path).text
        text = squash(content_text(html))
        for line in spec.text.split("\n"):
            # "• " is the catalogue's bullet convention: <li> items have none on the page
            assert squash(line.removeprefix("• ")) in text, (spec.rec_id, line)
        for _iso, kind, status, comment in spec.log:
            if kind == "comment":
                for para in comment.split("\n\n"):
                    assert squash(para) in text, (spec.rec_id, para)
            else:
                assert f"{status}[/status]" in text, (spec.rec_id, status)
        if spec.cause_of_concern:
            assert spec.cause_of_concern in text
        assert ("404 Page not found" in html) == spec.has_404_banner
        assert f">{spec.report_title}</h1>" in unescape(html)


def test_layouts(site: FixtureSite, client: httpx.Client) -> None:
    specs = by_id(site.catalogue())
    assert {s.layout for s in specs.values()} == {1, 2, 3, 4}
    log_page = client.get(specs[1985].path).text
    # wpautop splits the markup across paragraphs, as on the real site
    assert (
        "<p>[on]21st April 2017 [status]awaiting-review[/status][/on][on]4th June 2018 "
        "[status]being-progressed[/status][/on][on]4th June 2018 [comment]</p>" in log_page
    )
    assert "<p>[/comment][/on][on]17th September 2018 [comment]</p>" in log_page
    assert "<h3>Recommendation&nbsp;3</h3>" in log_page
    assert "<h3>Causes of concern</h3>" in log_page
    concern = client.get(specs[1777].path).text
    assert "<h3>Cause of concern</h3>" in concern and "[on]" not in concern
    assert "<strong>This recommendation is complete.</strong>" in concern
    text_only = client.get(specs[88].path).text
    assert "[on]" not in text_only and specs[88].log == () and specs[88].current_status is None
    broken = client.get(specs[1120].path).text
    assert "[on]9th February 2017 awaiting-review[/status][/on][on]2nd February 2018 </p>" in broken


def test_dates_in_every_form(site: FixtureSite) -> None:
    assert format_date("2017-02-09", "ord") == "9th February 2017"
    assert format_date("2018-02-02", "ord") == "2nd February 2018"
    assert format_date("2017-03-03", "ord") == "3rd March 2017"
    assert format_date("2018-05-21", "ord") == "21st May 2018"
    assert format_date("2019-02-13", "ord") == "13th February 2019"
    assert format_date("2019-02-09", "plain") == "9 February 2019"
    assert format_date("2020-01-20", "slash") == "20/01/2020"


def test_catalogue_cases(site: FixtureSite) -> None:
    specs = by_id(site.catalogue("initial"))
    assert len(specs) >= 40
    states = {s.rec_id: s.state for s in specs.values() if s.state != "live"}
    assert states == {
        2378: "soft_404",
        2401: "not_found",
        2555: "gone",
        3017: "blocked",
        4378: "not_found",
    }
    assert (specs[1985].http_status, specs[1985].has_404_banner) == (200, True)
    assert (specs[2210].http_status, specs[2210].state, specs[2210].has_404_banner) == (
        404,
        "live",
        True,
    )
    assert site.spec(2210) == specs[2210] and site.spec(89) is None
    statuses = {s.current_status for s in specs.values()}
    assert {"awaiting-review", "being-progressed", "complete"} <= statuses
    assert {"no-further-action-needed", "superseded"} <= statuses
    assert [e[2] for e in specs[745].log if e[1] == "status"] == [
        "awaiting-review",
        "being-progressed",
        "awaiting-review",
        "complete",
    ]
    assert (specs[2840].current_status, specs[2840].status_date) == ("complete", "2018-07-10")
    assert specs[517].text.split("\n")[2:] == [
        "• publish its 101 answer times each month;",
        "• introduce a call-back option when the queue exceeds ten minutes; and",
        "• make sure vulnerable callers are identified at first contact.",
    ]
    assert specs[1120].parse_warnings and specs[1120].log[0] == (
        "2017-02-09",
        "status",
        "awaiting-review",
        None,
    )
    assert specs[2690].text.startswith("All forces should")
    assert specs[2712].rec_type == "area_for_improvement"
    assert 8787 not in specs
    assert all(s.change in CHANGES for s in specs.values())


def test_discovery_sources_match_catalogue(fresh: FixtureSite) -> None:
    base = fresh.base_url
    with httpx.Client(base_url=base) as client:
        for state in ("initial", "later"):
            fresh.set_state(state)
            specs = fresh.catalogue()
            listed = crawl_listings(client, base)
            for theme in THEMES:
                assert listed[theme] == {s.url for s in specs if theme in s.listed_in}, theme
            mapped = sitemap_urls(client)
            assert mapped == {s.url for s in specs if s.in_sitemap}
            discoverable = {s.url for s in specs if s.listed_in or s.in_sitemap}
            assert set().union(*listed.values()) | mapped == discoverable
            only_listed = {s.rec_id for s in specs if s.listed_in and not s.in_sitemap}
            only_mapped = {s.rec_id for s in specs if s.in_sitemap and not s.listed_in}
            assert only_listed and only_mapped
        # in the later state the vanished pages are known only from an earlier crawl
        assert {s.rec_id for s in specs if s.url not in discoverable} == {3949, 4104}
        assert client.get("/hmicfrs/?recommendation-theme=harm&paged=99").status_code == 404


def test_p_redirects_and_sparse_ids(site: FixtureSite, client: httpx.Client) -> None:
    for spec in site.catalogue():
        r = client.get(f"/hmicfrs/?p={spec.rec_id}")
        assert (r.status_code, r.headers["location"]) == (301, spec.url)
    r = client.get("/hmicfrs/?p=89")
    assert r.status_code == 404 and "Nothing found" in r.text
    assert client.get("/hmicfrs/?p=8787").status_code == 404


# --- validators -------------------------------------------------------------------------------


def test_banner_404_page_is_never_304(client: httpx.Client) -> None:
    path = "/hmicfrs/recommendation/kestrel-valley/2210/"
    first = client.get(path)
    assert first.status_code == 404 and "etag" in first.headers
    again = client.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 404 and "Recommendation&nbsp;1" in again.text


@pytest.mark.parametrize(
    "path",
    [
        "/hmicfrs/recommendation/northshire/104/",
        "/hmicfrs/?recommendation-theme=harm",
        "/wp-sitemap.xml",
        "/wp-sitemap-recommendation-1.xml",
    ],
)
def test_conditional_requests_get_304(client: httpx.Client, path: str) -> None:
    first, second = client.get(path), client.get(path)
    assert first.headers["etag"] == second.headers["etag"]
    assert first.headers["etag"].startswith('"')  # strong
    if path.startswith("/hmicfrs/"):
        assert first.content != second.content  # the footer timestamp
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(path, headers={"If-Modified-Since": modified}).status_code == 304
    not_match = client.get(
        path, headers={"If-None-Match": '"other"', "If-Modified-Since": modified}
    )
    assert not_match.status_code == 200


# --- states -----------------------------------------------------------------------------------


def test_later_state_changes_exactly_the_documented_pages(fresh: FixtureSite) -> None:
    with httpx.Client(base_url=fresh.base_url) as c:
        initial = by_id(fresh.catalogue("initial"))
        before = {s.rec_id: c.get(s.path) for s in initial.values()}
        fresh.set_state("later")
        later = by_id(fresh.catalogue())
        after = {s.rec_id: c.get(s.path) for s in later.values()}
        for rec_id, spec in later.items():
            if spec.change:
                continue
            old = before[rec_id]
            assert after[rec_id].headers.get("etag") == old.headers.get("etag"), rec_id
            if old.status_code == 200:
                again = c.get(spec.path, headers={"If-None-Match": old.headers["etag"]})
                assert again.status_code == 304
    changed = {i: s.change for i, s in later.items() if s.change}
    assert changed == {
        517: "appended",
        4420: "appended",
        4561: "appended",
        3460: "edited",
        3521: "removed",
        4689: "redated",
        3644: "regressed",
        3702: "text_changed",
        3815: "cosmetic",
        3949: "vanished",
        4104: "gone",
        4233: "soft_404",
        8787: "new",
        4378: "returned",
    }
    for rec_id in changed:
        if rec_id in before:
            assert after[rec_id].headers.get("etag") != before[rec_id].headers.get("etag")
    assert len(later[517].log) == len(initial[517].log) + 2
    assert later[3521].log == initial[3521].log[:1] + initial[3521].log[2:]
    assert later[3460].log[2] != initial[3460].log[2]
    assert later[4689].log[2][0] == "2018-11-29"
    assert (initial[3644].current_status, later[3644].current_status) == (
        "complete",
        "being-progressed",
    )
    assert later[3702].text != initial[3702].text and later[3702].log == initial[3702].log
    assert initial[3815] == later[3815]  # nothing a parser reads changes
    cosmetic_before, cosmetic_after = before[3815].text, after[3815].text
    assert squash(content_text(cosmetic_before)) == squash(content_text(cosmetic_after))
    assert len(cosmetic_before) != len(cosmetic_after)
    assert (later[3949].state, later[4104].state, later[4233].state) == (
        "not_found",
        "gone",
        "soft_404",
    )
    assert (initial[4378].state, later[4378].state) == ("not_found", "live")
    assert (later[8787].listed_in, later[8787].in_sitemap) == (("harm",), True)


def test_control_endpoint_switches_state_unlogged(fresh: FixtureSite) -> None:
    with httpx.Client(base_url=fresh.base_url) as c:
        assert c.get("/__fixture/state").json() == {"state": "initial"}
        assert c.post("/__fixture/state?set=later").json() == {"state": "later"}
        assert c.post("/__fixture/state?set=bogus").status_code == 400
    assert fresh.state == "later" and fresh.requests == []


# --- faults -----------------------------------------------------------------------------------

REC = "/hmicfrs/recommendation/west-moorland/3333/"


def test_status_faults_fire_then_heal(fresh: FixtureSite) -> None:
    when = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    fresh.inject(REC, Fault("429", retry_after=7))
    fresh.inject(REC, Fault("503", retry_after=when))
    fresh.inject(REC, Fault("html500", times=2))
    with httpx.Client(base_url=fresh.base_url) as c:
        got = [c.get(REC) for _ in range(5)]
    assert [r.status_code for r in got] == [429, 503, 500, 500, 200]
    assert got[0].headers["retry-after"] == "7"
    assert got[1].headers["retry-after"] == "Tue, 01 Jan 2030 00:00:00 GMT"
    assert "critical error" in got[2].text
    assert [r.status for r in fresh.requests] == [429, 503, 500, 500, 200]


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault("reset"), httpx.ReadError),
        (Fault("truncate"), httpx.RemoteProtocolError),
        (Fault("hang", delay=2), httpx.ReadTimeout),
    ],
)
def test_transport_faults_fire_then_heal(
    fresh: FixtureSite, fault: Fault, error: type[Exception]
) -> None:
    fresh.inject(REC, fault)
    with httpx.Client(base_url=fresh.base_url, timeout=0.3) as c:
        with pytest.raises(error):
            c.get(REC).read()
        assert c.get(REC).status_code == 200


def test_drip_sends_a_byte_at_a_time(fresh: FixtureSite) -> None:
    fresh.inject(REC, Fault("drip", interval=0.02))
    with httpx.Client(base_url=fresh.base_url, timeout=1) as c:
        with c.stream("GET", REC) as r:
            assert int(r.headers["content-length"]) > 1000
            chunks = []
            for chunk in r.iter_raw():
                chunks.append(chunk)
                if len(chunks) == 5:
                    break
        assert all(len(chunk) == 1 for chunk in chunks)
        assert c.get(REC).status_code == 200


def test_body_faults(fresh: FixtureSite) -> None:
    spec = by_id(fresh.catalogue())[3333]
    with httpx.Client(base_url=fresh.base_url) as c:
        fresh.inject(REC, Fault("empty"))
        empty = c.get(REC)
        assert (empty.status_code, empty.content) == (200, b"")
        assert c.get(REC).content.startswith(b"<!DOCTYPE html>")
        fresh.inject(REC, Fault("huge", size=300_000))
        assert len(c.get(REC).content) == 300_000
        fresh.inject(REC, Fault("huge", size=100_000, content_length=False))
        r = c.get(REC)
        assert len(r.content) == 100_000 and "content-length" not in r.headers
        for kind in ("gzip", "deflate", "br"):
            fresh.inject(REC, Fault(kind))
            r = c.get(REC)
            assert r.headers["content-encoding"] == kind
            assert spec.report_title in unescape(r.text)
        fresh.inject(REC, Fault("gzip"))
        with c.stream("GET", REC) as r:
            raw = b"".join(r.iter_raw())
        assert gzip.decompress(raw).startswith(b"<!DOCTYPE html>")


@pytest.mark.parametrize(
    ("kind", "declare", "header", "meta"),
    [
        ("latin1", "header", "text/html; charset=ISO-8859-1", False),
        ("cp1252", "meta", "text/html", True),
        ("cp1252", "both", "text/html; charset=windows-1252", True),
    ],
)
def test_charset_faults(
    fresh: FixtureSite, kind: str, declare: str, header: str, meta: bool
) -> None:
    spec = by_id(fresh.catalogue())[3333]
    fresh.inject(REC, Fault(kind, declare=declare))
    r = httpx.get(fresh.base_url + REC)
    assert r.headers["content-type"] == header
    assert ("<meta charset=" in r.content[:400].decode("ascii", "replace")) == meta
    text = r.content.decode(kind)
    assert "Café culture" in text and "£250,000" in text
    assert "café and bar" in squash(content_text(text))
    if kind == "cp1252":
        assert "’".encode("cp1252") in r.content
    for para in spec.log[1][3].split("\n\n"):
        assert squash(para) in squash(content_text(text))


def test_redirect_faults(fresh: FixtureSite) -> None:
    fresh.inject(REC, Fault("redirect_offsite"))
    r = httpx.get(fresh.base_url + REC)
    assert (r.status_code, r.headers["location"]) == (
        301,
        f"http://127.0.0.2:{fresh.port}{REC}",
    )
    fresh.inject(REC, Fault("redirect_loop", times=50))
    with pytest.raises(httpx.TooManyRedirects):
        httpx.get(fresh.base_url + REC, follow_redirects=True)
    hops = [urlsplit(r.path).query for r in fresh.requests[1:5]]
    assert hops == ["", "fixture-loop=1", "", "fixture-loop=1"]


def test_random_faults_are_deterministic_and_fire_once(fresh: FixtureSite) -> None:
    paths = [s.path for s in fresh.catalogue() if s.http_status == 200 and not s.disallowed]
    fresh.set_random_faults(rate=0.3, seed=3, kinds=("429", "503", "500"))
    plan = {p: fresh.random_fault_for(p) for p in paths}
    faulted = {p for p, f in plan.items() if f}
    assert 0 < len(faulted) < len(paths)
    assert fresh.random_fault_for("/robots.txt") is None
    with httpx.Client(base_url=fresh.base_url) as c:
        first = {p: c.get(p).status_code for p in paths}
        second = {p: c.get(p).status_code for p in paths}
        assert c.get("/robots.txt").status_code == 200
    assert {p for p, s in first.items() if s != 200} == faulted
    assert all(first[p] == int(plan[p].kind) for p in faulted)  # type: ignore[union-attr]
    assert set(second.values()) == {200}
    fresh.set_random_faults(rate=0.3, seed=3, kinds=("429", "503", "500"))
    assert {p: fresh.random_fault_for(p) for p in paths} == plan


def test_fault_rejects_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        Fault("teapot")


# --- requests, concurrency --------------------------------------------------------------------


def test_request_log_and_on_request(fresh: FixtureSite) -> None:
    counts: list[int] = []
    fresh.on_request = counts.append
    with httpx.Client(base_url=fresh.base_url, headers={"User-Agent": "probe/1.0"}) as c:
        c.get("/robots.txt")
        c.get(REC, headers={"If-None-Match": '"x"'})
    rec = fresh.requests
    assert [(r.method, r.path, r.status) for r in rec] == [
        ("GET", "/robots.txt", 200),
        ("GET", REC, 200),
    ]
    assert rec[1].headers["user-agent"] == "probe/1.0"
    assert rec[1].headers["if-none-match"] == '"x"'
    assert all(r.start <= r.end for r in rec) and rec[0].end <= rec[1].start
    assert counts == [1, 2]
    fresh.clear_requests()
    assert fresh.requests == [] and fresh.request_count == 2


def test_concurrent_requests_and_max_in_flight(fresh: FixtureSite) -> None:
    paths = [s.path for s in fresh.catalogue() if s.http_status == 200][:8]
    for p in paths:
        fresh.inject(p, Fault("hang", delay=0.3))
    results: list[int] = []
    lock = threading.Lock()

    with httpx.Client(base_url=fresh.base_url, timeout=5) as c:

        def fetch(path: str) -> None:
            status = c.get(path).status_code
            with lock:
                results.append(status)

        threads = [threading.Thread(target=fetch, args=(p,)) for p in paths]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert results == [200] * 8
    assert fresh.max_in_flight == 8
    assert fresh.in_flight == 0


def test_sequential_client_is_never_seen_twice_in_flight(fresh: FixtureSite) -> None:
    paths = [s.path for s in fresh.catalogue()][:30]
    with httpx.Client(base_url=fresh.base_url) as keep_alive:
        for p in paths:
            keep_alive.get(p)
    no_keep_alive = httpx.Limits(max_keepalive_connections=0)
    with httpx.Client(base_url=fresh.base_url, limits=no_keep_alive) as one_shot:
        for p in paths:
            one_shot.get(p)  # a new connection each time
    assert fresh.max_in_flight == 1 and fresh.request_count == 60


def test_synthetic_pages() -> None:
    with FixtureSite(synthetic=2500) as site, httpx.Client(base_url=site.base_url) as c:
        specs = site.catalogue()
        assert len([s for s in specs if s.rec_id >= 100000]) == 2500
        index = re.findall(r"<loc>(.*?)</loc>", c.get("/wp-sitemap.xml").text)
        rec_maps = [u for u in index if "recommendation" in u]
        assert len(rec_maps) == 2
        sizes = [c.get(u).text.count("<url>") for u in rec_maps]
        assert sizes[0] == 2000 and sum(sizes) == len([s for s in specs if s.in_sitemap])
        last = c.get("/hmicfrs/?recommendation-theme=synthetic&paged=50")
        assert last.status_code == 200 and last.text.count('rel="bookmark"') == 50
        assert 'rel="next"' not in last.text
        assert c.get("/hmicfrs/?recommendation-theme=synthetic&paged=51").status_code == 404
        spec = next(s for s in specs if s.rec_id == 101234)
        page = c.get(spec.path)
        assert page.status_code == 200
        assert squash(spec.text) in squash(content_text(page.text))
        assert c.get(f"/hmicfrs/?p={spec.rec_id}").headers["location"] == spec.url
