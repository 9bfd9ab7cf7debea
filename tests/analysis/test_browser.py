"""Open report.html in headless Chromium, offline, at 1400 px: every figure decodes and shows,
no table runs past the window, and the page is short.

Needs Debian's ``chromium`` package (``apt-get install -y chromium``); skipped without it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from synthetic_runs import RunSpec, write_run

from c2kd_analyze.analysis.report import write_report

BROWSER = next(
    (b for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None
)
pytestmark = pytest.mark.skipif(
    BROWSER is None, reason="no headless Chromium installed (Debian: apt-get install -y chromium)"
)

# Reads the state of every <img> once the page (and so every image) has loaded. It is added to a
# copy of the report only: the report itself has no script.
PROBE = """<script>
window.addEventListener('load', () => {
  const imgs = [...document.images].map(i => ({w: i.naturalWidth, h: i.naturalHeight,
    shown: i.getBoundingClientRect().width, ok: i.complete && i.naturalWidth > 0}));
  const view = document.documentElement.clientWidth;
  const tables = [...document.querySelectorAll('table')];
  const wide = tables.filter(t => t.getBoundingClientRect().right > view).map(t => t.id);
  const out = document.createElement('pre'); out.id = 'probe';
  out.textContent = JSON.stringify({imgs, tables: tables.length, wide,
    height: document.documentElement.scrollHeight});
  document.body.appendChild(out);
});
</script>"""
#: nine languages, three teachers and their pool, both directions: the demo's widest report
WIDE = RunSpec(
    langs=("en", "de", "fr", "cs", "zh", "ru", "vi", "es", "ja"),
    teachers=("muse", "me5-small", "minilm-en"),
    seeds=(0, 1, 2),
    n_queries=120,
    pool=True,
    boost={("translate-train", None): 0.6, ("c2kd", "muse"): 1.2, ("c2kd", "me5-small"): 1.0,
           ("c2kd", "minilm-en"): 0.6, ("c2kd-pool", "muse+me5-small+minilm-en"): 1.3},
)  # fmt: skip


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    flags = [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-extensions", "--proxy-server=127.0.0.1:9", "--virtual-time-budget=5000",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]  # fmt: skip
    return subprocess.run([BROWSER, *flags, *args], capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_figures_render_in_headless_chromium(tmp_path):
    run = write_run(tmp_path / "runs", WIDE)
    html = write_report([run], n_resamples=200)
    n_figures = len(list((run / "figures").glob("*.png")))
    probe = tmp_path / "probe.html"
    probe.write_text(html.read_text().replace("</body>", PROBE + "</body>"))
    proc = _chromium(tmp_path, "--window-size=1400,900", "--dump-dom", probe.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    found = proc.stdout.split('<pre id="probe">', 1)[1].split("</pre>", 1)[0]
    state = json.loads(found.replace("&quot;", '"'))
    assert len(state["imgs"]) == n_figures >= 4
    assert all(img["ok"] and img["w"] > 200 and img["shown"] > 100 for img in state["imgs"]), state
    assert state["tables"] == len(list((run / "tables").glob("*.md")))
    assert state["wide"] == []  # every column fits, the intervals' avg column included
    assert state["height"] < 8000  # 10,389 px before the appendix and the wrapping tables

    shot = tmp_path / "shot.png"
    size = f"--window-size=1400,{state['height']}"
    proc = _chromium(tmp_path, f"--screenshot={shot}", size, html.as_uri())
    assert shot.is_file(), proc.stderr[-2000:]
    import numpy as np
    from PIL import Image

    pixels = np.asarray(Image.open(shot).convert("RGB").resize((130, 900)), dtype=int)
    colourful = int((pixels.max(axis=-1) - pixels.min(axis=-1) > 60).sum())
    assert colourful > 500  # the figures' colours are on the page, not just black text on white
