"""Every report kind, rendered in a real browser (headless Chromium driven by Playwright).

Checks what a reader sees: no page wider than the window (wide tables scroll
inside their own box), every table has named columns and rows, figures load,
and "not computed" reads as neutral information, not in a failure's colour.
Skips with the reason where Playwright or a Chromium is not installed
(Debian: ``apt-get install chromium``; ``pip install playwright``).
"""

from __future__ import annotations

import shutil

import pytest

sync_api = pytest.importorskip("playwright.sync_api", reason="the browser test needs playwright (pip install playwright)")

CHROMIUM = next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser"),
                             shutil.which("google-chrome")) if p), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine (apt-get install chromium)")

WIDTH = 1000  # a narrow laptop window, CSS pixels

# In the page: everything a reader would complain about, as data.
PAGE_FACTS = """() => {
  const doc = document.documentElement;
  const tables = [...document.querySelectorAll('table')].map(t => {
    const rows = [...t.rows];
    const heads = rows.length ? [...rows[0].cells].map(h => h.textContent.trim()) : [];
    const firstCells = rows.slice(1).map(r => (r.cells[0] || {}).textContent || '');
    let box = t.parentElement;
    const scrolls = box && getComputedStyle(box).overflowX === 'auto';
    return {heads, firstCells: firstCells.map(s => s.trim()), scrolls,
            overflows: t.getBoundingClientRect().right > window.innerWidth + 1 && !scrolls};
  });
  const notComputed = [...document.querySelectorAll('body *')]
    .filter(e => e.children.length === 0 && /not computed/i.test(e.textContent))
    .map(e => getComputedStyle(e).color);
  const images = [...document.images].map(i => ({src: i.src.slice(0, 30), ok: i.complete && i.naturalWidth > 0}));
  return {pageWidth: doc.scrollWidth, window: window.innerWidth, tables, notComputed, images};
}"""

FAILURE_REDS = {"rgb(207, 34, 46)", "rgb(255, 0, 0)", "rgb(213, 94, 0)", "rgb(200, 0, 0)"}


@pytest.fixture(scope="module")
def reports(small_demo):
    out, index = small_demo
    return {"demo": index, "compare": out / "compare" / "report.html", "evaluate": out / "evaluate" / "report.html"}


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.mark.parametrize("kind", ["demo", "compare", "evaluate"])
def test_report_reads_well_in_a_browser(reports, browser, kind):
    page = browser.new_page(viewport={"width": WIDTH, "height": 800})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(reports[kind].as_uri())
    facts = page.evaluate(PAGE_FACTS)
    page.close()
    assert errors == [], errors
    assert facts["pageWidth"] <= facts["window"] + 1, f"{kind}: the page is {facts['pageWidth']} px wide"
    assert facts["tables"], f"{kind}: no table"
    for t in facts["tables"]:
        assert not t["overflows"], f"{kind}: a table overflows the page: {t['heads']}"
        assert t["heads"] and all(h for h in t["heads"][1:]), f"{kind}: a table with unnamed columns: {t['heads']}"
        assert all(t["firstCells"]), f"{kind}: a table row without a name: {t['heads']}"
    assert all(i["ok"] for i in facts["images"]), f"{kind}: a figure did not load"
    assert not set(facts["notComputed"]) & FAILURE_REDS, f"{kind}: 'not computed' shown as a failure"
