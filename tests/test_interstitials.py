"""scraper.interstitials: which 200 answers may be a page served in place of the one asked for,
when two of them are the same page, and how many wait at once."""

from __future__ import annotations

from scraper.interstitials import Held, Interstitials, answer_shape
from store.archive import FetchRow, KnownPage, PageResult, ParsedRecord

BASE = "http://site.test/hmicfrs/recommendation/"


def answer(url: str, body: str, kind: str = "recommendation", **row: object) -> PageResult:
    parsed = ParsedRecord(kind, "n" * 64, {"text": "some text", **row})
    return PageResult(
        url=url, kind="recommendation", observed_at="2026-12-02T00:00:00Z", state="live",
        http_status=200, fetches=(FetchRow(url, "2026-12-02T00:00:00Z", 200, None, 5, 10, None),),
        body=body.encode(), parsed=parsed,
    )  # fmt: skip


def shape(result: PageResult, known: KnownPage | None = None, listing: bool = False) -> str | None:
    return answer_shape(result, result.url, not listing, known or KnownPage())


def rejected(path: str, support_id: int) -> str:
    return (f"<p>The requested URL {path} was rejected.</p>"
            f"<p>Your support ID is: {support_id}. Time: 2026-12-02T14:0{support_id % 10}:00Z</p>")  # fmt: skip


def test_the_same_page_echoing_each_url_with_ids_of_its_own_has_one_shape() -> None:
    a, b = BASE + "north/101/", BASE + "south/202/"
    shape_a = shape(answer(a, rejected("/hmicfrs/recommendation/north/101/", 91001)))
    shape_b = shape(answer(b, rejected("/hmicfrs/recommendation/south/202/", 97373)))
    assert shape_a is not None and shape_a == shape_b


def test_pages_that_differ_in_words_or_short_numbers_differ_in_shape() -> None:
    a, b = BASE + "north/101/", BASE + "south/202/"
    one = shape(answer(a, "<p>Recommendation 3: by March 2017 the force should act.</p>"))
    two = shape(answer(b, "<p>Recommendation 4: by March 2017 the force should act.</p>"))
    assert one != two


def test_only_bare_200_answers_to_recommendation_urls_have_a_shape() -> None:
    url = BASE + "north/101/"
    body = "<p>Anything</p>"
    assert shape(answer(url, body, current_status="complete")) is None
    assert shape(answer(url, body, force_name="North Police")) is None
    assert shape(answer(url, body, kind="not_found")) is None  # a soft 404
    assert shape(answer(url, body), listing=True) is None  # a listing or sitemap URL
    with_log = answer(url, body)
    with_log = PageResult(**{**with_log.__dict__, "parsed": ParsedRecord(
        "recommendation", "n" * 64, {"text": "t"}, events=({"seq": 1},))})  # fmt: skip
    assert shape(with_log) is None
    assert shape(answer(url, body, kind="unexpected")) is not None
    assert shape(answer(url, body)) is not None
    # A page that read as a recommendation and now reads as nothing is drift, not this.
    was = KnownPage(page_kind="recommendation")
    assert shape(answer(url, body, kind="unexpected"), was) is None
    assert shape(answer(url, body), was) is not None


def test_the_second_url_with_the_same_page_makes_both_refusals_and_later_ones_too() -> None:
    seen = Interstitials()
    known = KnownPage()
    urls = [BASE + f"north/{i}/" for i in (1, 2, 3)]
    held = [Held(answer(u, "x"), known, ("job", u)) for u in urls]
    assert seen.see("s", held[0]) == (None, [])
    released, refusals = seen.see("s", held[1])
    assert released is held[0]
    assert [(r.url, r.outcome, r.state, r.body, r.parsed, r.fetches[-1].outcome, item)
            for r, item in refusals] == [
        (urls[0], "refused", None, None, None, "refused", ("job", urls[0])),
        (urls[1], "refused", None, None, None, "refused", ("job", urls[1])),
    ]  # fmt: skip
    released, refusals = seen.see("s", held[2])
    assert released is None and [r.url for r, _ in refusals] == [urls[2]]
    assert "answered 3 recommendation URLs" in refusals[0][0].error


def test_at_most_a_limit_of_answers_wait_and_the_oldest_goes_first() -> None:
    seen = Interstitials()
    held = [Held(answer(BASE + f"n/{i}/", "x"), KnownPage(), ("job", i)) for i in range(4)]
    for i, h in enumerate(held):
        seen.see(f"shape {i}", h)
    assert seen.overflow(4) is None
    assert seen.overflow(2) is held[0]
    assert seen.overflow(2) is held[1]
    assert seen.overflow(2) is None
