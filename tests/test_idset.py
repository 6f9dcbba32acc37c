"""crawl.IdSet: the listed-ids set a run keeps, small however many ids it holds."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from scraper.walk import IdSet

IDS = st.lists(
    st.one_of(st.integers(0, 300_000), st.integers(-5, 10**9), st.just(1 << 24)), max_size=200
)


@given(added=IDS, probes=IDS)
def test_it_answers_as_a_set_does(added: list[int], probes: list[int]) -> None:
    ids, plain = IdSet(), set()
    for rec_id in added:
        ids.add(rec_id)
        plain.add(rec_id)
    assert len(ids) == len(plain)
    assert [p in ids for p in probes + added] == [p in plain for p in probes + added]


def test_a_hundred_thousand_ids_take_kilobytes() -> None:
    ids = IdSet()
    for rec_id in range(100_000):
        ids.add(rec_id)
    assert len(ids) == 100_000
    assert len(ids._bits) <= 2 * 100_000 // 8 + 1
    assert "x" not in ids
