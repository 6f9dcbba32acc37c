"""Tests of scraper.discover: URL rules, sitemaps, page links and listing pagination."""

from __future__ import annotations

import gzip

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scraper.discover import (
    SitemapLinks,
    canonical_url,
    id_from_query,
    id_url,
    is_recommendation_url,
    listing_next_page,
    page_links,
    page_number,
    parse_sitemap,
    recommendation_key,
    sitemaps_from_robots,
)

OLD = "https://www.justiceinspectorates.gov.uk"
NEW = "https://hmicfrs.justiceinspectorates.gov.uk"


@pytest.mark.parametrize(
    ("url", "key"),
    [
        (f"{OLD}/hmicfrs/recommendation/devon-and-cornwall/6989/", ("devon-and-cornwall", 6989)),
        (f"{OLD}/hmicfrs/recommendation/metropolitan/4104", ("metropolitan", 4104)),
        (f"{NEW}/recommendation/humberside/88/", ("humberside", 88)),
        (f"{NEW}/recommendation/humberside/88/?utm=x#log", ("humberside", 88)),
        ("http://127.0.0.1:8123/hmicfrs/recommendation/kent/1/", ("kent", 1)),
        ("/hmicfrs/recommendation/kent/1/", ("kent", 1)),
        (f"{OLD}/hmicfrs/recommendation/kent/", None),
        (f"{OLD}/hmicfrs/recommendation/kent/abc/", None),
        (f"{OLD}/hmicfrs/recommendation/kent/1/feed/", None),
        (f"{OLD}/hmiprisons/recommendation/kent/1/", None),
        (f"{OLD}/hmicfrs/?p=6989", None),
        ("http://[::1", None),
        ("", None),
    ],
)
def test_recommendation_key(url: str, key: tuple[str, int] | None) -> None:
    assert (recommendation_key(url), is_recommendation_url(url)) == (key, key is not None)


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        (
            "HTTPS://WWW.JusticeInspectorates.gov.uk:443/hmicfrs/recommendation/kent/1#x",
            f"{OLD}/hmicfrs/recommendation/kent/1/",
        ),
        ("http://Example.org:80/a/b?x=1&y=2#frag", "http://example.org/a/b?x=1&y=2"),
        ("http://example.org:8080/A/?Q=Z", "http://example.org:8080/A/?Q=Z"),
        ("https://example.org", "https://example.org/"),
        ("  https://example.org/x  ", "https://example.org/x"),
        (f"{OLD}/hmicfrs/?p=12", f"{OLD}/hmicfrs/?p=12"),
        ("http://[::1]:8000/x", "http://[::1]:8000/x"),
        ("http://example.org:99999/x", "http://example.org:99999/x"),
        ("mailto:someone@example.org", "mailto:someone@example.org"),
    ],
)
def test_canonical_url(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical


@pytest.mark.parametrize(
    ("base", "template", "rec_id", "url"),
    [
        (OLD, "/hmicfrs/?p={id}", 6989, f"{OLD}/hmicfrs/?p=6989"),
        (f"{OLD}/", "hmicfrs/?p={id}", 1, f"{OLD}/hmicfrs/?p=1"),
        (
            "http://127.0.0.1:8000/site",
            "/hmicfrs/?p={id}",
            2,
            "http://127.0.0.1:8000/site/hmicfrs/?p=2",
        ),
        (OLD, "/recommendation/all/{id}/", 3, f"{OLD}/recommendation/all/3/"),
        (OLD, "https://Other.example/?p={id}", 4, "https://other.example/?p=4"),
    ],
)
def test_id_url(base: str, template: str, rec_id: int, url: str) -> None:
    assert id_url(base, template, rec_id) == url


@pytest.mark.parametrize(
    ("url", "post_id"),
    [
        (f"{OLD}/hmicfrs/?p=6989", 6989),
        (f"{OLD}/hmicfrs/?page_id=12&x=1", 12),
        (f"{OLD}/hmicfrs/?paged=2", None),
        (f"{OLD}/hmicfrs/?p=abc", None),
        (f"{OLD}/hmicfrs/recommendation/kent/1/", None),
    ],
)
def test_id_from_query(url: str, post_id: int | None) -> None:
    assert id_from_query(url) == post_id


URLSET = f"""<?xml version="1.0" encoding="UTF-8"?>
<?xml-stylesheet type="text/xsl" href="{OLD}/hmicfrs/wp-sitemap.xsl" ?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>{OLD}/hmicfrs/recommendation/kent/1/</loc><lastmod>2024-01-01T00:00:00+00:00</lastmod></url>
<url><loc> {OLD}/hmicfrs/recommendation/kent/2 </loc></url>
<url><loc>/hmicfrs/?recommendation-theme=harm&amp;paged=2</loc></url>
<url><loc><![CDATA[{OLD}/hmicfrs/recommendation/kent/3/]]></loc></url>
<url><loc>{OLD}/hmicfrs/recommendation/kent/1/</loc></url>
<!-- <url><loc>{OLD}/commented-out/</loc></url> -->
<url><loc>ftp://example.org/file</loc></url>
</urlset>"""


def test_parse_sitemap_urlset() -> None:
    assert parse_sitemap(URLSET, OLD) == SitemapLinks(
        pages=(
            f"{OLD}/hmicfrs/recommendation/kent/1/",
            f"{OLD}/hmicfrs/recommendation/kent/2/",
            f"{OLD}/hmicfrs/?recommendation-theme=harm&paged=2",
            f"{OLD}/hmicfrs/recommendation/kent/3/",
        ),
        sitemaps=(),
    )


def test_parse_sitemap_index_with_prefixes_bytes_and_gzip() -> None:
    index = (
        '<?xml version="1.0"?><sm:sitemapindex xmlns:sm="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<sm:sitemap><sm:loc>/hmicfrs/wp-sitemap-posts-recommendation-1.xml</sm:loc></sm:sitemap>"
        "<sm:sitemap><sm:loc>/hmicfrs/wp-sitemap-posts-recommendation-2.xml</sm:loc></sm:sitemap>"
        "</sm:sitemapindex>"
    )
    expected = SitemapLinks(
        pages=(),
        sitemaps=(
            f"{OLD}/hmicfrs/wp-sitemap-posts-recommendation-1.xml",
            f"{OLD}/hmicfrs/wp-sitemap-posts-recommendation-2.xml",
        ),
    )
    assert parse_sitemap(index, OLD) == expected
    assert parse_sitemap(index.encode(), OLD) == expected
    assert parse_sitemap(gzip.compress(index.encode()), OLD) == expected


def test_parse_sitemap_broken_and_truncated() -> None:
    broken = (
        f"<urlset><url><loc>{OLD}/a/?x=1&y=2</loc></url><url><loc>{OLD}/b/</loc>"
        f"<url><loc>{OLD}/c/</loc></url><url><loc>{OLD}/d"
    )
    assert parse_sitemap(broken, OLD) == SitemapLinks(
        pages=(f"{OLD}/a/?x=1&y=2", f"{OLD}/b/", f"{OLD}/c/", f"{OLD}/d"), sitemaps=()
    )


@pytest.mark.parametrize(
    ("data", "links"),
    [
        ("", SitemapLinks((), ())),
        (b"\x1f\x8bnot really gzip", SitemapLinks((), ())),
        (b"\xff\xfe<urlset>", SitemapLinks((), ())),
        (f"<loc>{OLD}/x/</loc>", SitemapLinks((f"{OLD}/x/",), ())),
        (f"{OLD}/one/\n{OLD}/two/\n", SitemapLinks((f"{OLD}/one/", f"{OLD}/two/"), ())),
        ("<html><body>Not a sitemap</body></html>", SitemapLinks((), ())),
    ],
)
def test_parse_sitemap_odd_input(data: str | bytes, links: SitemapLinks) -> None:
    assert parse_sitemap(data, OLD) == links


@settings(max_examples=200, deadline=None)
@given(st.text() | st.binary())
def test_parse_sitemap_never_raises(data: str | bytes) -> None:
    assert isinstance(parse_sitemap(data, OLD), SitemapLinks)


def test_sitemaps_from_robots() -> None:
    robots = (
        "User-agent: *\nDisallow: /wp-admin/\n"
        f"Sitemap: {OLD}/hmicfrs/wp-sitemap.xml\nsitemap:/hmicfrs/other.xml\n"
        f"Sitemap: {OLD}/hmicfrs/wp-sitemap.xml\n"
    )
    assert sitemaps_from_robots(robots, OLD) == (
        f"{OLD}/hmicfrs/wp-sitemap.xml",
        f"{OLD}/hmicfrs/other.xml",
    )


def test_page_links() -> None:
    html = """<html><head><base href="https://www.justiceinspectorates.gov.uk/hmicfrs/"></head><body>
    <a href="recommendation/kent/1">one</a><a href="/hmicfrs/recommendation/kent/1/#log">again</a>
    <a href="mailto:x@example.org">mail</a><a href="javascript:void(0)">js</a><a href="#top">top</a>
    <a href="HTTPS://Example.org:443/x?q=1">ext</a><a>no href</a><a href=" /spaced/ ">sp</a>
    <map><area href="/area/"></map></body></html>"""
    assert page_links(html, f"{OLD}/hmicfrs/some/page/") == (
        f"{OLD}/hmicfrs/recommendation/kent/1/",
        "https://example.org/x?q=1",
        f"{OLD}/spaced/",
        f"{OLD}/area/",
    )


@pytest.mark.parametrize(
    ("html", "url", "next_url"),
    [
        (
            '<link rel="next" href="/hmicfrs/?recommendation-theme=harm&#038;paged=2">',
            f"{OLD}/hmicfrs/?recommendation-theme=harm",
            f"{OLD}/hmicfrs/?recommendation-theme=harm&paged=2",
        ),
        (
            '<a class="next page-numbers" href="/hmicfrs/recommendation-theme/harm/page/3/">Go</a>',
            f"{OLD}/hmicfrs/recommendation-theme/harm/page/2/",
            f"{OLD}/hmicfrs/recommendation-theme/harm/page/3/",
        ),
        (
            '<p class="nav-previous"><a href="?recommendation-theme=abe&amp;paged=2">Older</a></p>',
            f"{OLD}/hmicfrs/?recommendation-theme=abe",
            f"{OLD}/hmicfrs/?recommendation-theme=abe&paged=2",
        ),
        (
            '<a href="/x/?paged=5">Next page &raquo;</a>',
            f"{OLD}/x/?paged=4",
            f"{OLD}/x/?paged=5",
        ),
        (
            '<a href="/x/page/2/">2</a><a href="/x/page/3/">3</a><span class="current">1</span>',
            f"{OLD}/x/",
            f"{OLD}/x/page/2/",
        ),
        (
            '<a href="/x/page/1/">1</a><span class="current">2</span><a href="/y/page/3/">3</a>',
            f"{OLD}/x/page/2/",
            None,
        ),
        ('<a rel="prev" href="/x/?paged=1">Previous</a>', f"{OLD}/x/?paged=2", None),
        ('<a href="/x/?paged=2">Next</a>', f"{OLD}/x/?paged=2", None),
        ("", f"{OLD}/x/", None),
    ],
)
def test_listing_next_page(html: str, url: str, next_url: str | None) -> None:
    assert listing_next_page(html, url) == next_url


@pytest.mark.parametrize(
    ("url", "number"),
    [
        (f"{OLD}/hmicfrs/?recommendation-theme=harm", 1),
        (f"{OLD}/hmicfrs/?recommendation-theme=harm&paged=3", 3),
        (f"{OLD}/hmicfrs/recommendation-theme/harm/page/4/", 4),
    ],
)
def test_page_number(url: str, number: int) -> None:
    assert page_number(url) == number


def test_parse_sitemap_gzip_is_known_by_its_magic_bytes_in_any_spelling() -> None:
    body = gzip.compress(URLSET.encode())
    assert parse_sitemap(body, OLD) == parse_sitemap(URLSET, OLD)
    # Two gzip members, as `cat a.gz b.gz` makes.
    half = URLSET.index("<url><loc>/hmicfrs/?")
    two = gzip.compress(URLSET[:half].encode()) + gzip.compress(URLSET[half:].encode())
    assert parse_sitemap(two, OLD) == parse_sitemap(URLSET, OLD)


def test_parse_sitemap_refuses_entity_declarations() -> None:
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        f"<urlset><url><loc>{OLD}/x/&c;</loc></url></urlset>"
    )
    links = parse_sitemap(laughs, OLD)
    assert (links.pages, links.sitemaps, links.note) == (
        (),
        (),
        "refused: EntitiesForbidden (entity or DTD declarations)",
    )


def test_parse_sitemap_keeps_the_protocols_first_50000_urls() -> None:
    many = "".join(f"<url><loc>{OLD}/p/{i}/</loc></url>" for i in range(50_010))
    links = parse_sitemap(f"<urlset>{many}</urlset>", OLD)
    assert links.pages == tuple(f"{OLD}/p/{i}/" for i in range(50_000))
    assert links.note == "over the protocol's 50000 URLs: kept the first"


def test_parse_sitemap_reads_at_most_50_mb_of_gzip() -> None:
    filler = "<url><loc>" + OLD + "/p/1/</loc></url>" + " " * (1024 * 1024)
    huge = gzip.compress(("<urlset>" + filler * 60 + "</urlset>").encode(), compresslevel=1)
    links = parse_sitemap(huge, OLD)
    assert links.pages == (f"{OLD}/p/1/",)
    assert links.note == "over the protocol's 50 MB: read the first part"


def test_parse_sitemap_of_unclosed_locs_is_one_quick_pass() -> None:
    # 4 MB of "<url><loc " with no ">": a rescanning regex took 400 s over it.
    assert parse_sitemap("<loc " * 800_000, OLD) == SitemapLinks((), ())
    bomb = "<urlset>" + "<url><loc " * 100_000
    assert parse_sitemap(bomb, OLD) == SitemapLinks((), ())
    ok = bomb + f"<url><loc>{OLD}/z/</loc></url>"
    assert parse_sitemap(ok, OLD).pages[-1] == f"{OLD}/z/"


SPELLINGS = [
    f"{OLD}/hmicfrs/recommendation/devon-and-cornwall/6989/",
    f"{OLD}/HMICFRS/Recommendation/Devon-And-Cornwall/6989",
    f"{OLD}/hmicfrs/recommendation/devon-and-cornwall/06989/",
    f"{OLD}/hmicfrs/recommendation/devon-and-cornwall/6989/?utm_source=news&utm_medium=email",
    f"{NEW}/recommendation/devon-and-cornwall/6989/",
    "http://user:secret@justiceinspectorates.gov.uk/hmicfrs/recommendation/devon-and-cornwall/6989/?fbclid=abc",
]


def test_every_spelling_of_a_recommendation_has_one_key() -> None:
    assert {recommendation_key(u) for u in SPELLINGS} == {("devon-and-cornwall", 6989)}


def test_canonical_url_folds_what_still_answers_the_same() -> None:
    assert [canonical_url(u) for u in SPELLINGS] == [
        f"{OLD}/hmicfrs/recommendation/devon-and-cornwall/6989/",
        f"{OLD}/hmicfrs/recommendation/devon-and-cornwall/6989/",
        f"{OLD}/hmicfrs/recommendation/devon-and-cornwall/6989/",
        f"{OLD}/hmicfrs/recommendation/devon-and-cornwall/6989/",
        f"{NEW}/recommendation/devon-and-cornwall/6989/",
        "http://justiceinspectorates.gov.uk/hmicfrs/recommendation/devon-and-cornwall/6989/",
    ]


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("https://user:pw@example.org/a?x=1", "https://example.org/a?x=1"),
        ("https://example.org/a?utm_source=x&b=2&fbclid=y", "https://example.org/a?b=2"),
        ("https://example.org/a?UTM_Campaign=x", "https://example.org/a"),
        ("https://example.org/a?b=%20&c", "https://example.org/a?b=%20&c"),
        (
            f"{OLD}/hmicfrs/?recommendation-theme=harm&paged=2&gclid=z",
            f"{OLD}/hmicfrs/?recommendation-theme=harm&paged=2",
        ),
        (
            f"{OLD}/hmicfrs/recommendation/kent/1/?replytocom=5",
            f"{OLD}/hmicfrs/recommendation/kent/1/",
        ),
        ("/hmicfrs/recommendation/Kent/007", "/hmicfrs/recommendation/kent/7/"),
    ],
)
def test_canonical_url_drops_credentials_and_trackers(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical


@pytest.mark.parametrize(
    "url",
    [
        f"{OLD}/hmicfrs/recommendation/kent/0/",
        f"{OLD}/hmicfrs/recommendation/kent/\u0661\u0662/",  # Arabic-Indic digits
        f"{OLD}/hmicfrs/recommendation/\u212aent/1/",  # Kelvin sign, not K
        f"{OLD}/hmicfrs/recommendation/kent/1234567890/",
    ],
)
def test_recommendation_key_refuses_lookalikes(url: str) -> None:
    assert recommendation_key(url) is None
