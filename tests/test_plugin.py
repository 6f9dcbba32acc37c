"""The archive's Datasette plugin and researcher views through Datasette's own client: every
README example URL, every canned query with its parameters, the recommendation pages, the
archived bodies, the feed, cell links, and the plugin loaded by plain `datasette`."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from selectolax.lexbor import LexborHTMLParser

from store.plugin import fts_query
from store.sanitize import sanitized_html, sanitized_text
from store.serve import make_datasette
from tests.research import LONG_COMMENT, LONG_COMMENT_EDITED, T4, build_research_archive
from tests.test_store import BASE, T1, T2, T3, B, event, parsed
from tests.test_store import page as visit

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    # Named like the README's default database, so its example URLs work as written.
    path = tmp_path_factory.mktemp("plugin") / "hmicfrs.sqlite"
    build_research_archive(str(path)).close()
    return str(path)


@pytest.fixture(scope="module")
def ds(db_path: str) -> Any:
    return make_datasette(db_path)


def get(ds: Any, path: str) -> Any:
    async def fetch() -> Any:
        return await ds.client.get(path)

    return asyncio.run(fetch())


def rows(ds: Any, path: str) -> list[dict[str, Any]]:
    response = get(ds, path)
    assert response.status_code == 200, (path, response.text)
    return response.json()


def url(force: str, rec_id: int) -> str:
    return f"{BASE}/{force}-rec-{rec_id}/"


# README's example URLs ------------------------------------------------------------------------

EXAMPLES: dict[str, list[dict[str, Any]]] = {
    "/hmicfrs/recommendations?_col=rec_id&_col=force&_col=state&_col=url": [
        {"rec_id": rec_id, "force": force, "state": state, "url": url(force, rec_id)}
        for rec_id, force, state in [
            (101, "kent", "live"),
            (102, "essex", "not_found"),
            (103, "kent", "live"),
            (104, "essex", "live"),
            (201, "avon-and-somerset", "live"),
            (202, "cumbria", "live"),
            (203, "dorset", "live"),
            (204, "kent", "gone"),
        ]
    ],  # fmt: skip
    "/hmicfrs/search.json?q=vetting": [
        {
            "rec_id": 103,
            "matched_in": "recommendation",
            "snippet": "The force should review [vetting].",
        },
    ],  # fmt: skip
    "/hmicfrs/status_changes?is_regression=1": [
        {
            "rec_id": 101,
            "on_date": "2026-10-01",
            "from_status": "complete",
            "to_status": "being-progressed",
            "is_regression": 1,
        },
        {
            "rec_id": 201,
            "on_date": "2026-11-10",
            "from_status": "complete",
            "to_status": "being-progressed",
            "is_regression": 1,
        },
    ],  # fmt: skip
    "/hmicfrs/version_changes?text_changed=1": [
        {"rec_id": 101, "from_version": 1, "to_version": 2, "text_changed": 1, "changed_at": T2},
    ],
    "/hmicfrs/missing_pages?state=gone": [
        {
            "rec_id": 204,
            "state": "gone",
            "missing_since": T4,
            "last_http_status": 410,
            "last_known_status": "being-progressed",
        },
    ],  # fmt: skip
    "/hmicfrs/listed_recommendations?only_in_listing=1": [
        {"rec_id": 102, "url": B, "page_state": "not_found", "only_in_listing": 1},
    ],
    "/hmicfrs/recommendation_group_members?group_key=201&closed=0": [
        {
            "group_key": 201,
            "rec_id": 201,
            "force": "avon-and-somerset",
            "current_status": "being-progressed",
            "closed": 0,
        },
        {
            "group_key": 201,
            "rec_id": 203,
            "force": "dorset",
            "current_status": "awaiting-review",
            "closed": 0,
        },
    ],  # fmt: skip
}


def as_json(path: str) -> str:
    base, _, query = path.partition("?")
    if not base.endswith(".json"):
        base += ".json"
    return f"{base}?{query}&_shape=array" if query else f"{base}?_shape=array"


@pytest.mark.parametrize("path", list(EXAMPLES))
def test_every_readme_example_url(ds: Any, path: str) -> None:
    expected = EXAMPLES[path]
    got = rows(ds, as_json(path))
    keys = list(expected[0])
    assert [{k: r[k] for k in keys} for r in got] == expected
    html = get(ds, path.replace(".json", ""))
    assert html.status_code == 200


def test_the_readme_shows_no_example_url_left_untested() -> None:
    documented = {
        u for u in re.findall(r"`(/hmicfrs/[a-z_]+[^`\s]*)`", README) if not re.search(r"[<{]", u)
    }
    tested = {p.split("&_col")[0].split("?_col")[0] for p in EXAMPLES}
    tested |= {"/hmicfrs/recommendations", "/hmicfrs/recommendations?_facet_array=themes"}
    assert documented <= tested, documented - tested


def test_the_themes_facet(ds: Any) -> None:
    data = rows(ds, "/hmicfrs/recommendations.json?_facet_array=themes&_size=0")
    themes = data["facet_results"]["themes"]["results"]
    # 201 and 202 through the theme listing, and 102 that only the listing still shows.
    assert [(t["value"], t["count"]) for t in themes] == [("stop-search", 3)]


@pytest.mark.parametrize(
    ("view", "column", "value", "count"),
    [
        ("status_changes", "is_regression", 1, 2),
        ("version_changes", "text_changed", 1, 1),
        ("version_changes", "appended", 1, 2),
        ("listed_recommendations", "only_in_listing", 1, 1),
        ("recommendation_groups", "forces", 3, 1),
        ("recommendation_group_members", "closed", 1, 1),
    ],
)
def test_a_facet_value_clicked_filters_to_its_rows(
    ds: Any, view: str, column: str, value: int, count: int
) -> None:
    data = rows(ds, f"/hmicfrs/{view}.json?_facet={column}&_size=0")
    facet = {r["value"]: r for r in data["facet_results"][column]["results"]}
    assert facet[value]["count"] == count
    toggle = facet[value]["toggle_url"].replace("http://localhost", "")
    filtered = rows(ds, toggle)
    assert filtered["filtered_table_rows_count"] == count


@pytest.mark.parametrize(
    "view",
    ["recommendations", "status_changes", "version_changes", "missing_pages",
     "rewritten_history", "recommendation_group_members"],
)  # fmt: skip
def test_researcher_views_facet_by_force_status_state_theme_and_year(ds: Any, view: str) -> None:
    data = rows(ds, f"/hmicfrs/{view}.json?_size=0")
    columns = data["columns"]
    status = next(
        c for c in ("current_status", "status_after", "last_known_status") if c in columns
    )
    facets = f"_facet=force&_facet={status}&_facet=state&_facet=year&_facet_array=themes"
    faceted = rows(ds, f"/hmicfrs/{view}.json?_size=0&{facets}")
    # A facet the metadata already shows comes back a second time as name_2.
    shown = {re.sub(r"_2$", "", name) for name in faceted["facet_results"]}
    assert shown >= {"force", status, "state", "year", "themes"}
    for name, facet in faceted["facet_results"].items():
        assert facet["results"], (view, name)
    assert columns[0] in ("rec_id", "group_key") and columns[-1] == "url"


# canned queries -------------------------------------------------------------------------------


def test_regressions_since(ds: Any) -> None:
    columns = ["rec_id", "force", "on_date", "from_status", "to_status", "first_seen_at"]
    every = rows(ds, "/hmicfrs/regressions.json?_shape=array&since=")
    since = rows(ds, "/hmicfrs/regressions.json?_shape=array&since=2026-11-01")
    assert [{c: r[c] for c in columns} for r in every] == [
        {"rec_id": 201, "force": "avon-and-somerset", "on_date": "2026-11-10",
         "from_status": "complete", "to_status": "being-progressed", "first_seen_at": T4},
        {"rec_id": 101, "force": "kent", "on_date": "2026-10-01", "from_status": "complete",
         "to_status": "being-progressed", "first_seen_at": T2},
    ]  # fmt: skip
    assert since == every[:1]
    assert list(every[0])[0] == "rec_id" and list(every[0])[-1] == "url"


def test_changed_between(ds: Any) -> None:
    def between(a: str, b: str) -> list[tuple[int, int, str]]:
        q = f"/hmicfrs/changed_between.json?_shape=array&from_date={a}&to_date={b}"
        return [(r["rec_id"], r["to_version"], r["changed_at"]) for r in rows(ds, q)]

    assert between("", "") == [(201, 2, T4), (101, 2, T2)]
    assert between("2026-11-08", "2026-11-15") == [(101, 2, T2)]
    assert between("2026-11-09", "2026-11-22") == [(201, 2, T4)]  # the whole of the last day
    assert between("2026-11-23", "") == []


def test_recent_changes_since(ds: Any) -> None:
    got = rows(ds, "/hmicfrs/recent_changes.json?_shape=array&since=2026-11-22")
    assert got == [
        {"rec_id": 201, "force": "avon-and-somerset", "change": "changed",
         "status_before": "complete", "status_after": "being-progressed", "at": T4,
         "from_version": 1, "to_version": 2, "detail": "+1 appended, 1 edited, 0 removed, 0 redated",
         "url": url("avon-and-somerset", 201)},
        {"rec_id": 204, "force": "kent", "change": "went_missing", "status_before": "live",
         "status_after": "gone", "at": T4, "from_version": None, "to_version": None,
         "detail": "HTTP 410", "url": url("kent", 204)},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("stop-and-search", [(102, "log comment"), (102, "recommendation"), (201, "log comment"),
                             (201, "recommendation"), (202, "recommendation"),
                             (203, "recommendation")]),
        ("force's reasons", [(201, "recommendation"), (202, "recommendation"),
                             (203, "recommendation")]),
        ('"custody plan"', [(101, "log comment")]),
        ("vetting OR cells", [(103, "recommendation")]),
        ("audit*", [(101, "recommendation"), (104, "recommendation")]),
        ('"unclosed', []),
        ("col:umn -x (", []),
        ("AND", []),
    ],
)  # fmt: skip
def test_search_takes_what_people_type(ds: Any, q: str, expected: list[Any]) -> None:
    from urllib.parse import quote

    got = rows(ds, f"/hmicfrs/search.json?_shape=array&q={quote(q)}")
    assert sorted((r["rec_id"], r["matched_in"]) for r in got) == expected


def test_fts_query() -> None:
    assert [fts_query(q) for q in (
        "stop-and-search", "force's", '"a phrase" word', "a OR b", "OR a AND", "pre*", '"', "",
        "NOT", 'say "x',
    )] == [
        '"stop-and-search"', '"force\'s"', '"a phrase" "word"', '"a" OR "b"', '"a"', '"pre"*',
        "", "", "", '"say" "x"',
    ]  # fmt: skip


# the recommendation page ----------------------------------------------------------------------


def page(ds: Any, path: str) -> tuple[int, Any]:
    response = get(ds, path)
    return response.status_code, LexborHTMLParser(response.text)


def text_of(node: Any) -> str:
    return re.sub(r"\s+", " ", node.text()).strip()


def cells(tree: Any, table: str) -> list[list[str]]:
    return [[text_of(td) for td in tr.css("td")] for tr in tree.css(f"table.{table} tbody tr")]


def test_recommendation_page(ds: Any) -> None:
    status, tree = page(ds, "/-/recommendations/201")
    assert status == 200
    identity = dict(
        zip(
            [dt.text(strip=True) for dt in tree.css("dl.hmicfrs-identity dt")],
            [re.sub(r"\s+", " ", dd.text()).strip() for dd in tree.css("dl.hmicfrs-identity dd")],
            strict=True,
        )
    )
    assert identity == {
        "Force": "avon-and-somerset",
        "Report": "Stop and search: a national review",
        "Theme": "stop-search",
        "Type": "Recommendation",
        "Status now": "being-progressed since 2026-11-10",
        "Page": "live",
        "Live URL": url("avon-and-somerset", 201),
        "Archived": "capture of version 2 (2026-11-22T06:00:00.000Z; as text)",
    }
    assert tree.css_first("a.hmicfrs-live").attributes["href"] == url("avon-and-somerset", 201)
    assert (
        tree.css_first("a.hmicfrs-capture").attributes["href"] == "/-/recommendations/201/v2.html"
    )
    assert cells(tree, "hmicfrs-sisters") == [
        ["202", "cumbria", "complete", "2026-01-05", "live"],
        ["203", "dorset", "awaiting-review", "2026-01-05", "live"],
    ]
    assert cells(tree, "hmicfrs-versions") == [
        ["1", T3, T3, "200", "complete (2026-06-01)", "3", "live", "html · text"],
        ["2", T4, T4, "200", "being-progressed (2026-11-10)", "4", "live", "html · text"],
    ]
    # The default diff: the last two versions, each changed entry whole.
    assert cells(tree, "hmicfrs-log-changes") == [
        ["edited", "comment", "2026-03-02", LONG_COMMENT, LONG_COMMENT_EDITED],
        ["appended", "status", "2026-11-10", "", "being-progressed"],
    ]
    edited = tree.css("table.hmicfrs-log-changes tbody tr")[0]
    assert [(n.tag, n.text()) for n in edited.css("del, ins")] == [
        ("del", "summer"),
        ("ins", "autumn"),
    ]


def test_a_missing_recommendation_shows_its_page_states(ds: Any) -> None:
    status, tree = page(ds, "/-/recommendations/204")
    assert status == 200
    assert tree.css_first("dd.hmicfrs-state").text(strip=True) == f"gone, missing since {T4}"
    assert [text_of(li) for li in tree.css("ul.hmicfrs-events li")] == [
        f"{T3} appeared (new → live, HTTP 200)",
        f"{T4} went missing (live → gone, HTTP 410)",
    ]


@pytest.mark.parametrize(
    ("query", "head"),
    [
        ("", f"Version 1 ({T1}, live) → version 2 ({T2}, live)"),
        ("?from=1&to=2", f"Version 1 ({T1}, live) → version 2 ({T2}, live)"),
        ("?from=2&to=1", f"Version 2 ({T2}, live) → version 1 ({T1}, live)"),
        (
            "?from_date=2026-11-01&to_date=2026-11-30",
            f"Version 1 ({T1}, live) → version 2 ({T2}, live)",
        ),
        (
            "?from_date=2026-11-07&to_date=2026-11-08",
            f"Version 1 ({T1}, live) → version 2 ({T2}, live)",
        ),
        ("?to_date=2026-11-07", f"Version 1 ({T1}, live) → version 1 ({T1}, live)"),
    ],
)
def test_versions_picked_by_number_or_date(ds: Any, query: str, head: str) -> None:
    status, tree = page(ds, "/-/recommendations/101" + query)
    assert status == 200
    assert tree.css_first(".hmicfrs-diff-head").text(strip=True) == head


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?from=9", "from should be a version number from 1 to 2, got '9'"),
        ("?to_date=2026-13-01", "to_date should be an ISO 8601 date or time"),
        ("?from_date=2026-10-01", "had no version yet at 2026-10-01T23:59:59.999Z"),
    ],
)
def test_bad_version_choices_say_what_was_wrong(ds: Any, query: str, message: str) -> None:
    status, tree = page(ds, "/-/recommendations/101" + query)
    assert status == 400
    assert message in tree.css_first("p.hmicfrs-error").text()


def test_an_unknown_recommendation_is_not_found(ds: Any) -> None:
    status, tree = page(ds, "/-/recommendations/999")
    assert status == 404
    assert "no recommendation '999' in the archive" in tree.css_first("p.hmicfrs-error").text()


def test_every_url_and_rec_id_cell_links_to_its_recommendation_page(ds: Any) -> None:
    # (A table's primary key cell links to its row, as Datasette does: pages.url.)
    for path, selector in (
        ("/hmicfrs/status_changes", "td.col-url, td.col-rec_id"),
        ("/hmicfrs/missing_pages", "td.col-url, td.col-rec_id"),
        ("/hmicfrs/regressions", "td.col-url, td.col-rec_id"),
        ("/hmicfrs/search?q=custody", "td.col-url, td.col-rec_id"),
        ("/hmicfrs/pages?kind=recommendation", "td.col-rec_id"),
    ):
        _, tree = page(ds, path)
        links = [
            (td.attributes["class"].split()[0], a.attributes["href"])
            for td in tree.css(selector)
            for a in td.css("a")
        ]
        tds = tree.css(selector)
        assert len(links) == len(tds) > 0, path
        assert all(re.fullmatch(r"/-/recommendations/\d+", href) for _, href in links), path


# archived bodies ------------------------------------------------------------------------------


def test_archived_bodies_are_sanitized_and_never_run(ds: Any) -> None:
    html = get(ds, "/-/recommendations/201/v2.html")
    text = get(ds, "/-/recommendations/201/v2.txt")
    for response in (html, text):
        assert response.status_code == 200
        assert response.headers["content-security-policy"] == (
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; "
            "form-action 'none'; frame-ancestors 'none'; sandbox"
        )
        assert response.headers["x-content-type-options"] == "nosniff"
    assert html.headers["content-type"] == "text/html; charset=utf-8"
    body = html.text.split('<p class="archived-note">', 1)[1].split("</p>", 1)[1]
    assert body == "<h1>201 v2</h1><p>The force's <b>reasons</b>.</p></body></html>"
    assert text.headers["content-type"] == "text/plain; charset=utf-8"
    assert text.text == "201 v2\n\nThe force's reasons.\n"
    assert get(ds, "/-/recommendations/201/v9.html").status_code == 404


def test_sanitizer_drops_what_runs_or_loads() -> None:
    body = (
        b"<html><head><title>t</title><script>alert(1)</script><style>p{}</style>"
        b'<link rel="stylesheet" href="http://x/s.css"><base href="http://x/"></head>'
        b'<body onload="x()"><div class="c" style="background:url(http://x/)">'
        b'<p>Hi <b onclick="y()">there</b> &amp; &lt;script&gt;<img src="http://x/i.png">'
        b'<a href="javascript:alert(1)">js</a> <a href="https://example.org/?a=1&amp;b=2" '
        b'target="_blank">ok</a></p><form action="/x"><p>in a form</p><input name="q">'
        b"<button>Go</button></form><iframe src='http://x/'></iframe><svg><script>z</script>"
        b"</svg><object data='x'><p>fallback</p></object><!-- <script>c</script> --></div>"
        b"</body></html>"
    )
    assert sanitized_html(body) == (
        "<div><p>Hi <b>there</b> &amp; &lt;script&gt;<a>js</a> "
        '<a href="https://example.org/?a=1&amp;b=2" rel="noopener noreferrer nofollow">ok</a>'
        "</p><p>in a form</p></div>"
    )
    assert sanitized_text(body) == "Hi there & <script>js ok\n\nin a form\n"
    deep = b"<div>" * 100_000 + b"x" + b"</div>" * 100_000
    assert sanitized_html(deep) == "<div>" * 64 + "x" + "</div>" * 64
    assert sanitized_html("caf\u00e9".encode("latin-1"), "text/html; charset=ISO-8859-1") == (
        "caf\u00e9"
    )


# the feed -------------------------------------------------------------------------------------


def feed(ds: Any, path: str) -> list[tuple[str, str, str, str]]:
    response = get(ds, path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    return [
        (
            e.find(f"{ATOM}updated").text,
            e.find(f"{ATOM}category").attrib["term"],
            e.find(f"{ATOM}title").text,
            e.find(f"{ATOM}link").attrib["href"],
        )
        for e in root.findall(f"{ATOM}entry")
    ]


def test_changes_feed(ds: Any) -> None:
    link = "http://localhost/-/recommendations/"
    assert feed(ds, "/-/changes.atom?since=2026-11-15") == [
        (T4, "went_missing", "Went missing: 204 (gone)", link + "204"),
        (T4, "rewritten", "Rewritten history: 201 edited comment of 2026-03-02", link + "201"),
        (T4, "regressed", "Regressed: 201 complete to being-progressed", link + "201"),
        (T4, "changed", "Changed: 201 v1 to v2: complete to being-progressed", link + "201"),
        (T3, "went_missing", "Went missing: 102 (not_found)", link + "102"),
        (T3, "new", "New: 204 (being-progressed)", link + "204"),
        (T3, "new", "New: 203 (awaiting-review)", link + "203"),
        (T3, "new", "New: 202 (complete)", link + "202"),
        (T3, "new", "New: 201 (complete)", link + "201"),
        (T3, "came_back", "Came back: 104", link + "104"),
    ]
    everything = feed(ds, "/-/changes.atom")
    # 8 new, 2 changed, 2 regressed, 4 rewritten entries, 3 gone missing, 1 come back.
    assert len(everything) == 20
    assert everything[:10] == feed(ds, "/-/changes.atom?since=2026-11-15")
    assert get(ds, "/-/changes.atom?since=9999-99-99").status_code == 400


# plain datasette ------------------------------------------------------------------------------


def test_plain_datasette_loads_the_plugin(db_path: str) -> None:
    code = (
        "import asyncio, sys\n"
        "from datasette.app import Datasette\n"
        "ds = Datasette(files=[sys.argv[1]])\n"
        "r = asyncio.run(ds.client.get('/-/recommendations/201'))\n"
        "print(r.status_code, 'Recommendation 201' in r.text)\n"
        "r = asyncio.run(ds.client.get('/-/plugins.json'))\n"
        "print(sorted(p['name'] for p in r.json()))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, db_path], capture_output=True, text=True, check=True,
        cwd=ROOT,
    )  # fmt: skip
    assert out.stdout.splitlines() == ["200 True", "['hmicfrs-archive']"]


# shared recommendations -----------------------------------------------------------------------


def test_recommendation_groups(ds: Any) -> None:
    assert rows(ds, "/hmicfrs/recommendation_groups.json?_shape=array") == [
        {"group_key": 201, "report_title": "Stop and search: a national review", "forces": 3,
         "copies": 3, "complete": 1, "closed": 1, "still_open": 2,
         "force_list": '["avon-and-somerset","cumbria","dorset"]',
         "text": "\u2022 Avon and Somerset and all forces should  publish their stop-and-search "
                 "data each quarter,\nwith the force's reasons for every search.",
         "year": "2026"},
    ]  # fmt: skip


def test_copies_match_whatever_their_spacing_bullets_and_force_names() -> None:
    from store.archive import Archive

    archive = Archive(":memory:", now=lambda: T1)
    run_id = archive.start_run("crawl")
    copies = [
        (301, "kent", "Kent Police should review its vetting of new staff."),
        (302, "essex", "\u2022 Essex Police should  review its\nvetting of new staff."),
        (303, "cumbria", "Cumbria Constabulary should review its vetting of new staff"),
        (304, "devon-and-cornwall", "Devon & Cornwall Police, with partners, should train."),
        (305, "dorset", "Dorset Police, with partners, should train."),
        (306, "kent", "Kent Police should review its training of new staff."),
        (307, "essex", "Essex Police should review its vetting of old staff."),
    ]
    for rec_id, force, text in copies:
        record = parsed(rec_id, force, [event(0, "2026-01-02", "status", "complete")], text,
                        f"n{rec_id}")  # fmt: skip
        archive.record(run_id, visit(url(force, rec_id), T1, text.encode(), record))
    members = list(archive.db.query(
        "SELECT group_key, rec_id FROM recommendation_group_members ORDER BY rec_id"
    ))  # fmt: skip
    assert members == [
        {"group_key": 301, "rec_id": 301},
        {"group_key": 301, "rec_id": 302},
        {"group_key": 301, "rec_id": 303},
        {"group_key": 304, "rec_id": 304},
        {"group_key": 304, "rec_id": 305},
    ]


def test_the_page_shows_what_the_metadata_block_stated(tmp_path: Path) -> None:
    # The parser's metadata columns (force_name, reference, report_url, published_on, themes,
    # migration m003): views and pages show them.
    path = tmp_path / "meta.sqlite"
    archive = build_research_archive(str(path))
    archive.db.execute(
        """UPDATE recommendation_versions SET force_name = 'Cumbria Constabulary',
               reference = 'SS-2026-04', report_url = 'https://example.org/report/',
               published_on = '2025-12-01', themes = '["vetting", "stop-search"]'
           WHERE rec_id = 202"""
    )
    from store import derived
    from store.schema import create_views

    create_views(archive.db)
    derived.rebuild(archive.db)  # written behind the store's back: rebuild what it derives
    archive.close()
    ds = make_datasette(str(path))
    status, tree = page(ds, "/-/recommendations/202")
    assert status == 200
    identity = dict(
        zip(
            [dt.text(strip=True) for dt in tree.css("dl.hmicfrs-identity dt")],
            [text_of(dd) for dd in tree.css("dl.hmicfrs-identity dd")],
            strict=True,
        )
    )
    assert {k: identity[k] for k in ("Force", "Report", "Theme", "Reference")} == {
        "Force": "Cumbria Constabulary (cumbria)",
        "Report": "Stop and search: a national review (published 2025-12-01)",
        "Theme": "stop-search, vetting",
        "Reference": "SS-2026-04",
    }
    assert tree.css_first("h1").text(strip=True) == "Recommendation 202Cumbria Constabulary"
    report = tree.css("dl.hmicfrs-identity dd")[1].css_first("a")
    assert report.attributes["href"] == "https://example.org/report/"
    got = rows(ds, "/meta/recommendations.json?_shape=array&rec_id=202")
    assert {k: got[0][k] for k in ("force_name", "reference", "published_on", "themes",
                                   "year")} == {
        "force_name": "Cumbria Constabulary", "reference": "SS-2026-04",
        "published_on": "2025-12-01", "themes": '["stop-search","vetting"]', "year": "2025",
    }  # fmt: skip
    themes = rows(ds, "/meta/recommendation_themes.json?_shape=array&rec_id=202")
    assert sorted((t["theme"], t["source"]) for t in themes) == [
        ("stop-search", "listing"),
        ("stop-search", "page"),
        ("vetting", "page"),
    ]
