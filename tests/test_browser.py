"""What a researcher sees in a real browser: headless Chromium (Debian's chromium and
chromedriver, driven by selenium) against `hmicfrs serve --db` on the research archive.

One browser and one server for the module. The screenshots in README's "For researchers"
section are taken here, into docs/screenshots/. Skipped, saying why, when no browser is
installed (`.ci/run` installs it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.research import build_research_archive

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
# Without these, Chromium on a closed network waits on updates, sync and QUIC probes.
FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--window-size=1280,1000",
)  # fmt: skip

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
    pytest.skip(
        "no browser: install Debian's chromium and chromium-driver (apt-get install -y "
        "chromium chromium-driver) to run the browser tests",
        allow_module_level=True,
    )

from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`hmicfrs serve --db` in a folder with no config.yaml; yields its base URL."""
    folder = tmp_path_factory.mktemp("serve")
    db = folder / "hmicfrs.sqlite"
    build_research_archive(str(db)).close()
    proc = subprocess.Popen(
        [sys.executable, "-m", "scraper", "serve", "--db", str(db), "--port", "0"],
        cwd=folder,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)},
    )
    try:
        assert proc.stderr is not None
        url = None
        for _, line in zip(range(200), proc.stderr, strict=False):
            if "Uvicorn running on" in line:
                url = line.split("Uvicorn running on ")[1].split()[0]
                break
        assert url is not None and url.startswith("http://127.0.0.1:"), "serve did not start"
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    options = Options()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="hmicfrs-chromium-")
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def texts(driver: Any, css: str) -> list[str]:
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, css)]


def column(driver: Any, name: str) -> list[str]:
    return texts(driver, f"table.rows-and-columns td.col-{name}")


def shot(driver: Any, name: str, height: int) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.set_window_size(1280, height)
    driver.save_screenshot(str(SCREENSHOTS / name))
    driver.set_window_size(1280, 1000)


def test_index_lists_the_archive_and_its_views(browser: Any, server: str) -> None:
    browser.get(server + "/")
    assert browser.find_element(By.TAG_NAME, "h1").text == "HMICFRS recommendations archive"
    browser.find_element(By.LINK_TEXT, "hmicfrs").click()
    start = browser.find_element(By.CSS_SELECTOR, ".metadata-description").text
    assert start.startswith("Views answer what researchers ask first: start with recommendations")
    assert "`" not in start
    views = texts(browser, "h2 a")
    assert "job_items" not in views  # internal tables are hidden


def test_filter_status_changes_to_regressions_by_clicking_the_facet(
    browser: Any, server: str
) -> None:
    browser.get(server + "/hmicfrs/status_changes")
    facet = browser.find_element(By.CSS_SELECTOR, '.facet-info[data-column="is_regression"]')
    counts = [li.text for li in facet.find_elements(By.CSS_SELECTOR, "li")]
    assert counts == ["0 11", "1 2"]
    facet.find_element(By.LINK_TEXT, "1").click()
    WebDriverWait(browser, 10).until(lambda d: "is_regression=1" in d.current_url)
    assert "2 rows where is_regression = 1" in browser.find_element(By.TAG_NAME, "h3").text
    assert list(zip(column(browser, "rec_id"), column(browser, "from_status"),
                    column(browser, "to_status"), strict=True)) == [
        ("101", "complete", "being-progressed"),
        ("201", "complete", "being-progressed"),
    ]  # fmt: skip
    shot(browser, "regressions.png", 900)


def test_open_a_recommendation_from_a_view_and_diff_two_versions(browser: Any, server: str) -> None:
    browser.get(server + "/hmicfrs/status_changes?is_regression=1")
    link = browser.find_element(By.XPATH, "//td[contains(@class,'col-rec_id')]/a[text()='201']")
    link.click()
    WebDriverWait(browser, 10).until(lambda d: d.current_url.endswith("/-/recommendations/201"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Recommendation 201 avon-and-somerset"
    identity = dict(
        zip(texts(browser, "dl.hmicfrs-identity dt"), texts(browser, "dl.hmicfrs-identity dd"),
            strict=True)
    )  # fmt: skip
    assert {k: identity[k] for k in ("Force", "Report", "Theme", "Status now", "Page")} == {
        "Force": "avon-and-somerset",
        "Report": "Stop and search: a national review",
        "Theme": "stop-search",
        "Status now": "being-progressed since 2026-11-10",
        "Page": "live",
    }
    sisters = [
        [c.text for c in row.find_elements(By.TAG_NAME, "td")]
        for row in browser.find_elements(By.CSS_SELECTOR, "table.hmicfrs-sisters tbody tr")
    ]
    assert sisters == [
        ["202", "cumbria", "complete", "2026-01-05", "live"],
        ["203", "dorset", "awaiting-review", "2026-01-05", "live"],
    ]
    shot(browser, "recommendation.png", 1250)


def test_pick_two_versions_and_see_the_changed_entries_and_words(browser: Any, server: str) -> None:
    browser.get(server + "/hmicfrs/version_changes?text_changed=1")
    assert column(browser, "rec_id") == ["101"]
    browser.find_element(By.XPATH, "//td[contains(@class,'col-rec_id')]/a[text()='101']").click()
    WebDriverWait(browser, 10).until(lambda d: d.current_url.endswith("/-/recommendations/101"))
    Select(browser.find_element(By.ID, "from-version")).select_by_value("1")
    Select(browser.find_element(By.ID, "to-version")).select_by_value("1")
    browser.find_element(By.ID, "compare").click()
    WebDriverWait(browser, 10).until(lambda d: "to=1" in d.current_url)
    assert "The same version: nothing to compare." in browser.page_source
    Select(browser.find_element(By.ID, "to-version")).select_by_value("2")
    browser.find_element(By.ID, "compare").click()
    WebDriverWait(browser, 10).until(lambda d: "to=2" in d.current_url)
    assert browser.find_element(By.CSS_SELECTOR, ".hmicfrs-diff-head").text == (
        "Version 1 (2026-11-01T06:00:00.000Z, live) → version 2 (2026-11-08T06:00:00.000Z, live)"
    )
    words = browser.find_element(By.CSS_SELECTOR, ".hmicfrs-words")
    assert words.text == "The force should improve custody training and audit."
    assert texts(browser, ".hmicfrs-words ins") == ["and audit"]
    rows = browser.find_elements(By.CSS_SELECTOR, "table.hmicfrs-log-changes tbody tr")
    cells = [[c.text for c in r.find_elements(By.TAG_NAME, "td")] for r in rows]
    assert cells == [
        ["edited", "comment", "2026-02-01", "Work started on custody training.",
         "Work started on custody training in May."],
        ["redated", "comment", "2026-04-01 → 2026-04-15", "Board review of the custody plan.",
         "Board review of the custody plan."],
        ["removed", "comment", "2026-05-01", "Funding secured for new cells.", ""],
        ["appended", "status", "2026-10-01", "", "being-progressed"],
    ]  # fmt: skip
    assert [e.text for e in rows[0].find_elements(By.TAG_NAME, "ins")] == ["in May"]
    assert [e.text for e in rows[2].find_elements(By.TAG_NAME, "del")] == [
        "Funding secured for new cells."
    ]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.set_window_size(1280, 760)
    browser.execute_script("document.getElementById('diff').scrollIntoView()")
    browser.save_screenshot(str(SCREENSHOTS / "diff.png"))
    browser.set_window_size(1280, 1000)


def test_the_archived_capture_shows_inert(browser: Any, server: str) -> None:
    browser.get(server + "/-/recommendations/201")
    browser.find_element(By.CSS_SELECTOR, "a.hmicfrs-capture").click()
    WebDriverWait(browser, 10).until(lambda d: d.current_url.endswith("/201/v2.html"))
    # The page's script would have raised an alert (and selenium with it) had it run.
    assert browser.find_element(By.TAG_NAME, "h1").text == "201 v2"
    assert texts(browser, "body > p")[1:] == ["The force's reasons."]
    assert browser.find_elements(By.CSS_SELECTOR, "script, img, form, input, link") == []


def test_search_a_hyphenated_phrase(browser: Any, server: str) -> None:
    browser.get(server + "/hmicfrs/search")
    box = browser.find_element(By.CSS_SELECTOR, 'input[name="q"]')
    box.send_keys("stop-and-search")
    box.submit()
    WebDriverWait(browser, 10).until(lambda d: "q=stop-and-search" in d.current_url)
    assert texts(browser, ".message-error, p.error") == []
    found = sorted(zip(column(browser, "rec_id"), column(browser, "matched_in"), strict=True))
    assert found == [
        ("102", "log comment"),
        ("102", "recommendation"),
        ("201", "log comment"),
        ("201", "recommendation"),
        ("202", "recommendation"),
        ("203", "recommendation"),
    ]


def test_open_the_feed(browser: Any, server: str) -> None:
    browser.get(server + "/-/changes.atom")
    text = browser.find_element(By.TAG_NAME, "body").text
    for title in (
        "Regressed: 201 complete to being-progressed",
        "Rewritten history: 201 edited comment of 2026-03-02",
        "Went missing: 102 (not_found)",
        "Came back: 104",
    ):
        assert title in text
    assert "/-/recommendations/201" in browser.page_source
