"""End to end: a nightly `hmicfrs crawl` minutes after the first, with the default revisit
intervals and no rotation, so every page it fetches was fetched on evidence of change.

The fixture site changes between its two states (hand-written pages and synthetic ones that
are appended to, edited, cut, removed, gone, moved or new); each test reads back from
`change_signals` which signal led to each change, and what the fetch found.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from tests.fixturesite import FixtureSite
from tests.fixturesite.catalogue import SYNTHETIC_THEME
from tests.support import THEMES, hmicfrs, rows, write_config

ALL_LISTINGS = [
    *(f"/hmicfrs/?recommendation-theme={t}" for t in (*THEMES, SYNTHETIC_THEME)),
    "/hmicfrs/recommendations/",
]
NIGHTLY = {"revisit_open_hours": 24, "revisit_closed_hours": 168, "rotation_share": 0.0}


def two_crawls(
    tmp: Path, site: FixtureSite, listings: list[str], lying: float = 0.0
) -> tuple[Path, int]:
    """Crawl the initial site, switch it to its later state, crawl again; the database and
    the second run's id."""
    db = tmp / "archive.sqlite"
    config = write_config(tmp / "config.yaml", site.base_url, db, **NIGHTLY)
    data = yaml.safe_load(config.read_text())
    data["discovery"]["listings"] = listings
    config.write_text(yaml.safe_dump(data))
    assert hmicfrs("crawl", "--config", str(config)).exit_code == 0
    site.set_state("later")
    site.set_lying(lying)
    result = hmicfrs("crawl", "--config", str(config))
    assert result.exit_code == 0, result.output
    return db, rows(db, "SELECT MAX(id) AS id FROM runs")[0]["id"]


def planned(db: Path, run_id: int, base: str) -> dict[str, tuple[str, str | None, int | None]]:
    """{path: (signal kind, outcome, changed)} of the second run's plan, by its best signal."""
    ranks = ("lastmod", "listing", "dropped", "new", "due", "rotation")
    best: dict[str, tuple[str, str | None, int | None]] = {}
    for r in rows(db, "SELECT url, kind, outcome, changed FROM change_signals WHERE run_id = ?",
                  (run_id,)):  # fmt: skip
        path = r["url"].removeprefix(base)
        if path not in best or ranks.index(r["kind"]) < ranks.index(best[path][0]):
            best[path] = (r["kind"], r["outcome"], r["changed"])
    return best


# What a fetch finds for each kind of change.
FOUND = {
    "appended": "changed", "edited": "changed", "deleted": "changed", "removed": "not_found",
    "gone": "gone", "moved": "redirect", "new": "new",
}  # fmt: skip


def expected_plan(site: FixtureSite, signal_of: dict[str, str]) -> dict[str, tuple]:
    out = {}
    for url, kind in site.changes().items():
        path = url.removeprefix(site.base_url)
        spec = site.spec(int(path.rstrip("/").rsplit("/", 1)[1]), "later")
        outcome = "soft_404" if spec is not None and spec.state == "soft_404" else FOUND[kind]
        out[path] = (signal_of.get(path, signal_of.get(kind, "lastmod")), outcome, 1)
    return out


def test_honest_sitemaps_and_listings_lead_the_nightly_crawl_to_every_change(
    tmp_path: Path,
) -> None:
    with FixtureSite(synthetic=70, changes=0.5, seed=3) as site:
        db, run_id = two_crawls(tmp_path, site, ALL_LISTINGS)
        made = site.changes()
        assert set(made.values()) == set(FOUND)  # every kind of change is on the site
        plan = planned(db, run_id, site.base_url)
        expected = expected_plan(
            site,
            {
                # Dropped out of the sitemap and the listings that named them.
                "removed": "dropped",
                "gone": "dropped",
                "new": "new",
                # 404 at first (a stale sitemap entry), live later: its lastmod moved.
                "/hmicfrs/recommendation/west-moorland/4378/": "lastmod",
                # A soft 404 stays listed and in the sitemap: its lastmod moved.
                "/hmicfrs/recommendation/northshire/4233/": "lastmod",
            },
        )
        caught = {path: plan[path] for path in expected if path in plan}
        assert caught == expected
        others = {p: v for p, v in plan.items() if p not in expected}
        # The one other page fetched: a cosmetic change moved its lastmod, not its content.
        assert others == {
            "/hmicfrs/recommendation/tamar-and-exe/3815/": ("lastmod", "unchanged", 0)
        }
        scores = rows(db, "SELECT kind, SUM(false_alarms) AS f, SUM(lies) AS l FROM source_trust"
                          " GROUP BY kind ORDER BY kind")  # fmt: skip
        assert [(r["kind"], r["f"], r["l"]) for r in scores] == [
            ("dropped", 0, 0),
            ("lastmod", 1, 0),
            ("listing", 0, 0),
        ]
        run = rows(db, "SELECT lost_trust, message, stats FROM runs WHERE id = ?", (run_id,))[0]
        assert (run["lost_trust"], run["message"]) == (None, None)
        assert json.loads(run["stats"])["lost_trust"] == []


def test_a_lying_sitemap_is_caught_through_the_listings_and_loses_its_trust(
    tmp_path: Path,
) -> None:
    with FixtureSite(synthetic=70, changes=0.5, seed=3) as site:
        db, run_id = two_crawls(tmp_path, site, ALL_LISTINGS, lying=1.0)
        plan = planned(db, run_id, site.base_url)
        content = {
            url.removeprefix(site.base_url)
            for url, kind in site.changes().items()
            if kind in ("appended", "edited", "deleted")
        }
        # No lastmod moved for a changed page: the listings showed every one of them.
        assert {p: plan.get(p) for p in content} == {p: ("listing", "changed", 1) for p in content}
        run = rows(db, "SELECT lost_trust, message FROM runs WHERE id = ?", (run_id,))[0]
        sitemap = f"{site.base_url}/wp-sitemap-recommendation-1.xml"
        assert json.loads(run["lost_trust"]) == [sitemap]
        assert run["message"].startswith(f"caught lying, no longer defers pages: {sitemap} (")
        trust = rows(
            db,
            "SELECT source, kind, trusted, lost_trust_run_id FROM source_trust WHERE lies > 0",
        )
        assert trust == [
            {"source": sitemap, "kind": "lastmod", "trusted": 0, "lost_trust_run_id": run_id}
        ]
        # The listing evidence is kept with the listing snapshot it was seen in.
        evidence = rows(
            db,
            """SELECT DISTINCT cs.source, s.url LIKE cs.source || '%' AS same_listing
               FROM change_signals cs JOIN snapshots s ON s.id = cs.listing_snapshot_id
               WHERE cs.run_id = ? AND cs.kind = 'listing'""",
            (run_id,),
        )
        assert {(e["source"].removeprefix(site.base_url), e["same_listing"]) for e in evidence} <= {
            (listing, 1) for listing in ALL_LISTINGS
        }


def test_a_removal_is_found_only_because_the_page_dropped_out_of_the_sitemap(
    tmp_path: Path,
) -> None:
    # No listing names the synthetic pages: the sitemap is all that speaks of them.
    with FixtureSite(synthetic=70, changes=0.5, seed=3) as site:
        db, run_id = two_crawls(tmp_path, site, [])
        removed = sorted(
            url.removeprefix(site.base_url)
            for url, kind in site.changes().items()
            if kind in ("removed", "gone") and "/1000" in url
        )
        assert removed
        plan = planned(db, run_id, site.base_url)
        expected: dict[str, Any] = {}
        for path in removed:
            found = "gone" if site.changes()[site.base_url + path] == "gone" else "not_found"
            expected[path] = ("dropped", found, 1)
        assert {p: plan.get(p) for p in removed} == expected
        sources = rows(
            db,
            "SELECT DISTINCT source FROM change_signals WHERE run_id = ? AND kind = 'dropped'",
            (run_id,),
        )
        assert sources == [{"source": f"{site.base_url}/wp-sitemap-recommendation-1.xml"}]
        states = rows(
            db,
            f"""SELECT url, state FROM pages WHERE url IN ({", ".join("?" for _ in removed)})
                ORDER BY url""",
            tuple(site.base_url + p for p in removed),
        )
        assert [r["state"] for r in states] == [
            expected[r["url"].removeprefix(site.base_url)][1] for r in states
        ]
