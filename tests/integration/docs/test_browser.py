"""The built docs in a real browser (headless Chromium) as a phone shows them.

Selenium drives the system's chromium and chromedriver; nothing is downloaded.
"""
from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

webdriver = pytest.importorskip("selenium.webdriver", reason="needs the docs extra (selenium)")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
PHONE = 390

#: elements of the page content whose right edge lies past the viewport, outside the
#: boxes that are allowed to scroll on their own (tables and code)
OVERFLOWING = """
const width = document.documentElement.clientWidth;
const scrollers = 'pre, table, .table-wrapper, .highlight, .sig, dl.py';
const out = [];
for (const el of document.querySelectorAll('article *')) {
  if (el.closest(scrollers)) continue;
  const box = el.getBoundingClientRect();
  if (box.width > 0 && box.right > width + 1) {
    out.push(el.tagName + '.' + el.className + ': ' + (el.textContent || '').slice(0, 60));
  }
}
return {scroll: document.documentElement.scrollWidth, width: width, out: out.slice(0, 5)};
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("needs Debian's chromium and chromium-driver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                     "--disable-dev-shm-usage"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        driver.set_window_size(PHONE, 844)
        inner = driver.execute_script("return window.innerWidth")
        driver.set_window_size(PHONE + (PHONE - inner), 844)   # the window frame, if any
        yield driver
    finally:
        driver.quit()


#: folders of the build that hold Sphinx's own files, not pages
MACHINERY = {"_static", "_sources", "_modules", "_images"}


def pages(root: Path) -> list[Path]:
    """Every page a reader reaches from the table of contents (not generated indexes)."""
    skip = {"genindex.html", "py-modindex.html", "search.html"}
    return sorted(p for p in root.rglob("*.html")
                  if p.name not in skip and p.relative_to(root).parts[0] not in MACHINERY)


def test_no_page_scrolls_sideways_on_a_phone(built_docs: Path, browser: Any) -> None:
    found = pages(built_docs)
    assert len(found) >= 10, found
    assert browser.execute_script("return window.innerWidth") == PHONE
    problems = {}
    for page in found:
        browser.get(page.as_uri())
        result = browser.execute_script(OVERFLOWING)
        if result["scroll"] > result["width"] or result["out"]:
            problems[str(page.relative_to(built_docs))] = result
    assert not problems, problems


def test_search_finds_upsert(built_docs: Path, browser: Any) -> None:
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def links(driver: Any) -> list[str]:
        return [a.get_attribute("href") or "" for a in
                driver.find_elements(By.CSS_SELECTOR, "#search-results ul.search li a")]

    def found(driver: Any) -> bool:
        # results are added one by one: wait for the page that should be among them
        return any("resources.html" in link or "bulk.html" in link for link in links(driver))

    browser.get((built_docs / "search.html").as_uri() + "?q=upsert")
    try:
        WebDriverWait(browser, 30).until(found)
    except TimeoutException:
        pytest.fail(f"the search for 'upsert' did not find the resources or bulk page: "
                    f"{links(browser)}")


def test_every_page_has_a_title(built_docs: Path, browser: Any) -> None:
    untitled = []
    for page in pages(built_docs):
        browser.get(page.as_uri())
        heading = browser.execute_script(
            "const h = document.querySelector('article h1'); return h ? h.textContent : ''")
        if "<no title>" in browser.title or not heading.strip():
            untitled.append(str(page.relative_to(built_docs)))
    assert not untitled
