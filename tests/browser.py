"""Open a built page in Debian's headless Chromium at a phone's or a laptop's width, run axe-core
in it and measure what a reader would meet: sideways scrolling and small link targets.

No browser driver and no DevTools client: the page is copied with axe-core and a small script
appended, Chromium lays it out at the given window size, runs the script (``--virtual-time-budget``
lets axe's timers finish) and ``--dump-dom`` prints the document, where the script left its result
as JSON. Nothing is installed at run time: Chromium comes from Debian (``apt-get install chromium``)
and axe-core from npm, installed by ``make install`` into ``.venv/axe`` (or ``$FINSAM_AXE_JS``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
RESULT_ID = "finsam-browser-result"

_SCRIPT = """
<script>
(async () => {
  const out = {};
  try {
    const r = await axe.run(document, {runOnly: {type: "tag", values: %(tags)s}, resultTypes: ["violations"]});
    out.axe_version = axe.version;
    out.violations = r.violations.map(v => ({id: v.id, impact: v.impact,
        nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " :: " + (n.failureSummary || "").slice(0, 200))}));
  } catch (e) { out.error = String(e); }
  const root = document.documentElement;
  out.viewport = window.innerWidth;
  out.scroll_width = Math.max(root.scrollWidth, document.body.scrollWidth);
  // Wider than the screen, unless inside a frame that scrolls on its own (a wide data table's region).
  const inScroller = el => { for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (["auto", "scroll"].includes(getComputedStyle(p).overflowX)) return true; } return false; };
  out.too_wide = [...document.querySelectorAll("body *")]
      .filter(el => el.getBoundingClientRect().right > window.innerWidth + 0.5 && !inScroller(el))
      .slice(0, 8).map(el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
                       (el.className && typeof el.className === "string" ? "." + el.className : ""));
  // Links that stand alone (in lists, tables, navigation), not inside a sentence: their box.
  out.small_targets = [...document.querySelectorAll("a[href]")].filter(a => {
      const box = a.getBoundingClientRect();
      if (box.width === 0 && box.height === 0) return false;
      const block = a.closest("li, td, th, nav, dd");
      const inSentence = !block || block.textContent.trim() !== a.textContent.trim();
      return !inSentence && (box.width < 24 || box.height < 24);
  }).slice(0, 8).map(a => a.textContent.trim() + " " + Math.round(a.getBoundingClientRect().width) + "x" +
                          Math.round(a.getBoundingClientRect().height));
  parent.postMessage(JSON.stringify(out), "*");
})();
</script>
"""

# Headless Chromium will not make a window narrower than 500 px, so the page is laid out in a frame
# of the wanted size; the page's script hands its result to this frame holder, which writes it out.
_HOLDER = """<!DOCTYPE html><html lang="sv"><head><meta charset="utf-8"><title>probe</title>
<style>body{margin:0} iframe{border:0;width:%(width)dpx;height:%(height)dpx}</style></head><body>
<iframe src="%(page)s" title="probe"></iframe>
<script>window.addEventListener("message", e => {
  const pre = document.createElement("pre"); pre.id = "%(result)s"; pre.textContent = e.data;
  document.body.appendChild(pre); });</script></body></html>
"""


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def axe_source() -> Path | None:
    for candidate in (os.environ.get("FINSAM_AXE_JS"), REPO / ".venv" / "axe" / "node_modules" / "axe-core" / "axe.min.js"):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def missing() -> str | None:
    """Why the browser checks cannot run here (None when they can)."""
    if chromium() is None:
        return "Chromium is not installed (Debian: apt-get install chromium)"
    if axe_source() is None:
        return ("axe-core is not installed (make install puts it in .venv/axe with npm; "
                "or set FINSAM_AXE_JS to axe.min.js)")
    return None


def inspect(page: Path, width: int = 390, height: int = 844, timeout: float = 180) -> dict:
    """axe's WCAG 2.2 A/AA violations, the page's scroll width and small stand-alone link targets of
    ``page`` laid out in a ``width`` × ``height`` window."""
    html = page.read_text(encoding="utf-8")
    script = ("<script>" + axe_source().read_text(encoding="utf-8") + "</script>"
              + _SCRIPT % {"tags": json.dumps(AXE_TAGS), "result": RESULT_ID})
    with tempfile.TemporaryDirectory(prefix="finsam-browser-") as tmp:
        # Beside the original, so relative links resolve as they do for a reader; removed afterwards.
        probe = page.with_name(f".{page.stem}-probe.html")
        probe.write_text(html.replace("</body>", script + "</body>"), encoding="utf-8")
        holder = Path(tmp) / "holder.html"
        holder.write_text(_HOLDER % {"width": width, "height": height, "page": probe.resolve().as_uri(),
                                     "result": RESULT_ID}, encoding="utf-8")
        try:
            proc = subprocess.run(
                [chromium(), "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
                 f"--user-data-dir={tmp}", f"--window-size={max(width, 800)},{height + 100}",
                 "--virtual-time-budget=60000", "--allow-file-access-from-files", "--dump-dom", holder.as_uri()],
                capture_output=True, text=True, timeout=timeout)
        finally:
            probe.unlink(missing_ok=True)
    found = re.search(r'<pre id="' + RESULT_ID + r'">(.*?)</pre>', proc.stdout, re.S)
    if found is None:
        raise RuntimeError(f"Chromium gave no result for {page.name} (exit {proc.returncode}): {proc.stderr[-500:]}")
    import html as html_lib

    return json.loads(html_lib.unescape(found.group(1)))
