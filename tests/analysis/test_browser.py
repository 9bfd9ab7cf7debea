"""Open report.html in headless Chromium, offline, at 1400 px: every figure decodes and shows,
no table runs past the window, the page is short, and no figure's text is under 10 px as shown.

Needs Debian's ``chromium`` package (``apt-get install -y chromium``); skipped without it.
"""

from __future__ import annotations

import html as _html
import json
import re
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
    val_epochs=5,  # the training curves with their validation panel
)  # fmt: skip


# Measures the text of every figure as the page shows it. A PNG's text cannot be read, so each
# figure's SVG (the same drawing: same size in inches, same layout) is put beside its <img>,
# scaled to the width the page gives the image; each <text>'s size on screen is its font size
# times the scale of its transform to the screen.
FONT_PROBE = """<script>
window.addEventListener('load', () => {
  const figures = [...document.querySelectorAll('figure')].map(fig => {
    const img = fig.querySelector('img'), svg = fig.querySelector('svg');
    const box = svg.viewBox.baseVal, shown = img.clientWidth;
    svg.setAttribute('width', shown);
    svg.setAttribute('height', shown * box.height / box.width);
    const texts = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim()).map(t => {
      const m = t.getScreenCTM();
      return {text: t.textContent,
              px: parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b)};
    });
    return {id: fig.id, shown, natural: [img.naturalWidth, img.naturalHeight],
            box: [box.width, box.height], texts};
  });
  const out = document.createElement('pre'); out.id = 'probe';
  out.textContent = JSON.stringify(figures);
  document.body.appendChild(out);
});
</script>"""
MIN_TEXT_PX = 10


@pytest.fixture(scope="module")
def wide_report(tmp_path_factory) -> Path:
    """The widest report (nine languages, five students' worth of systems), written once."""
    run = write_run(tmp_path_factory.mktemp("runs"), WIDE)
    write_report([run], n_resamples=200)
    return run


def _probe(tmp_path: Path, page: str, script: str) -> object:
    """Load ``page`` with ``script`` added at 1400 px; what the script wrote into #probe."""
    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("</body>", script + "</body>"))
    proc = _chromium(tmp_path, "--window-size=1400,900", "--dump-dom", probe.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    found = proc.stdout.split('<pre id="probe">', 1)[1].split("</pre>", 1)[0]
    return json.loads(_html.unescape(found))


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
def test_figures_render_in_headless_chromium(tmp_path, wide_report):
    run, html = wide_report, wide_report / "report.html"
    n_figures = len(list((run / "figures").glob("*.png")))
    state = _probe(tmp_path, html.read_text(), PROBE)
    assert isinstance(state, dict)
    assert len(state["imgs"]) == n_figures >= 4
    assert all(img["ok"] and img["w"] > 200 and img["shown"] > 100 for img in state["imgs"]), state
    assert state["tables"] == len(list((run / "tables").glob("*.md")))
    assert state["wide"] == []  # every column fits, the intervals' avg column included
    # 10,389 px before the appendix and the wrapping tables; 7,567 px then, with the figures
    # scaled down to 6-9 px text; 8,895 px with text of 10 px or more, the answer's figure and
    # the training curves (each about 450 px)
    assert state["height"] < 9400

    shot = tmp_path / "shot.png"
    size = f"--window-size=1400,{state['height']}"
    proc = _chromium(tmp_path, f"--screenshot={shot}", size, html.as_uri())
    assert shot.is_file(), proc.stderr[-2000:]
    import numpy as np
    from PIL import Image

    pixels = np.asarray(Image.open(shot).convert("RGB").resize((130, 900)), dtype=int)
    colourful = int((pixels.max(axis=-1) - pixels.min(axis=-1) > 60).sum())
    assert colourful > 500  # the figures' colours are on the page, not just black text on white


@pytest.mark.slow
def test_every_figures_text_is_at_least_10px_at_1400px(tmp_path, wide_report):
    run = wide_report
    page = (run / "report.html").read_text()

    def with_svg(match: re.Match) -> str:  # the figure's own SVG beside its PNG
        svg = (run / "figures" / f"{match.group(1)}.svg").read_text()
        return match.group(0) + svg[svg.index("<svg") :]

    page, n = re.subn(r'<figure id="fig-([^"]+)"><img[^>]*>', with_svg, page)
    assert n == len(list((run / "figures").glob("*.svg"))) >= 7
    figures = _probe(tmp_path, page, FONT_PROBE)
    assert isinstance(figures, list) and len(figures) == n
    for fig in figures:
        (w, h), (bw, bh) = fig["natural"], fig["box"]
        assert w / h == pytest.approx(bw / bh, rel=0.01), fig["id"]  # the SVG is the PNG's drawing
        assert len(fig["texts"]) >= 5, fig["id"]  # ticks, labels, title at least
        small = [(t["text"], round(t["px"], 1)) for t in fig["texts"] if t["px"] < MIN_TEXT_PX]
        assert not small, (fig["id"], fig["shown"], small[:5])
    ids = {fig["id"] for fig in figures}
    assert {"fig-demo_r1_student_gains", "fig-demo_training_curves", "fig-demo_r1_bars"} <= ids
    curves = (run / "figures" / "demo_training_curves.svg").read_text()
    assert ":val" in curves and ":loss" in curves  # both panels were measured
