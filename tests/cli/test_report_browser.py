"""The HTML report, rendered by a real headless browser (Chromium): no script errors,
every figure loaded, no sideways scrolling of the page, sortable tables that sort.

Skips with a reason where no Chromium or Chrome is installed; `.ci/run` installs the
system package, so it runs in CI.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess

import pytest

BROWSER = next((shutil.which(name) for name in ("chromium", "chromium-browser",
                                                 "google-chrome", "chrome")
                if shutil.which(name)), None)
pytestmark = pytest.mark.skipif(
    BROWSER is None, reason="no Chromium or Chrome on this machine (.ci/run installs the "
    "system package 'chromium'; `apt-get install chromium` does it by hand)")

# installed first in <head>: collects errors, then measures the page once it has loaded
CHECK = """<script>
window.__errors = [];
window.addEventListener("error", function (e) { window.__errors.push(String(e.message)); },
                        true);
var __error = console.error;
console.error = function () { window.__errors.push(Array.from(arguments).join(" "));
                              __error.apply(console, arguments); };
window.addEventListener("load", function () {
  var doc = document.documentElement, images = Array.from(document.images);
  var sorted = null, table = document.querySelector("table.sortable");
  if (table) {
    var th = table.querySelectorAll("th")[1];
    th.click();
    var values = Array.from(table.tBodies[0].rows).map(function (r) {
      return parseFloat(r.cells[1].textContent); });
    sorted = values.every(function (v, i) { return i === 0 || values[i - 1] <= v; });
  }
  document.body.setAttribute("data-check", JSON.stringify({
    errors: window.__errors, images: images.length,
    broken: images.filter(function (i) { return !(i.complete && i.naturalWidth > 0); }).length,
    page_overflow: doc.scrollWidth - doc.clientWidth, sorted: sorted,
    tables: document.querySelectorAll("table").length}));
});
</script>"""


def render(page, tmp_path):
    """What the browser measured on ``page`` (a report.html path)."""
    text = page.read_text()
    probe = tmp_path / "probe.html"
    probe.write_text(text.replace('<meta charset="utf-8">', '<meta charset="utf-8">' + CHECK, 1))
    done = subprocess.run(
        [BROWSER, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--window-size=1280,900", "--virtual-time-budget=5000", "--dump-dom",
         probe.as_uri()], capture_output=True, text=True, timeout=120)
    found = re.search(r'data-check="([^"]*)"', done.stdout)
    assert found, f"the page did not finish loading: {done.stderr[-2000:]}"
    return json.loads(html.unescape(found.group(1)))


def test_compare_report_renders_cleanly(cli, orientation_nwb, tmp_path):
    out = tmp_path / "out"
    run = cli("compare", orientation_nwb, "--stimulus", "stimulus", "--decoders",
              "linear", "--l2", "1e-3,1e-1,10", "--cv", "3", "--out", out)
    assert run.code == 0, run.err
    seen = render(out / "report.html", tmp_path)
    assert seen["errors"] == []
    assert seen["images"] >= 3 and seen["broken"] == 0
    assert seen["page_overflow"] <= 0  # the page never scrolls sideways
    assert seen["sorted"] is True and seen["tables"] >= 3


def test_decode_report_with_a_long_table_does_not_scroll_the_page(cli, category_nwb,
                                                                  tmp_path):
    out = tmp_path / "out"
    run = cli("decode", category_nwb, "--stimulus", "stimulus", "--cv", "3", "--out", out)
    assert run.code == 0, run.err
    seen = render(out / "report.html", tmp_path)
    assert seen["errors"] == [] and seen["broken"] == 0 and seen["page_overflow"] <= 0
