"""Live Code end to end: a chapter page, its "Live Code" button, and a real kernel.

The page is the built site served on 127.0.0.1; every request that would leave
the machine is blocked, except those to unpkg.com, which are answered from the
thebe npm package; the kernel comes from a Jupyter server started here, in the
environment the book is built with, instead of mybinder.org. See
``thebe_support.py`` for how the thebe release the pages load (0.8.2) is
emulated with the one the npm registry has (0.9.3).

The test presses "Live Code" like a reader, waits for the kernel, checks that the
hidden ``thebe-init`` setup cell ran by itself, then edits two cells in their
CodeMirror editors: one prints values computed with the ``book`` package (run with
Shift+Enter), one draws a matplotlib figure (run with its "run" button). A
screenshot of both goes to ``_build/screenshots/thebe-live.png``.
"""

from __future__ import annotations

import re
import time
from urllib.parse import urlparse

import pytest

from book_pages import chapter_pages
from conftest import ROOT
from thebe_support import jupyter_server, page_for_local_kernel, thebe_package, thebe_shim, unpkg_handler

pytestmark = [pytest.mark.browser, pytest.mark.slow]

KERNEL_TIMEOUT_MS = 180_000


def _binderhub_url() -> str:
    import yaml

    return yaml.safe_load((ROOT / "_config.yml").read_text())["launch_buttons"]["binderhub_url"]


#: The BinderHub the pages' policy allows (the tests' local server takes its place).
BINDERHUB = _binderhub_url()
CELL_TIMEOUT_MS = 180_000


@pytest.fixture(scope="module")
def thebe_lib(built_site):
    return thebe_package(built_site.build / "test-cache")


@pytest.fixture(scope="module")
def local_kernel_server(built_site):
    # The server's root is the repository root, as on Binder (repo2docker puts the
    # repository in the home folder the server serves).
    with jupyter_server(ROOT, built_site.build / "test-cache" / "jupyter") as server:
        yield server


@pytest.fixture
def live_page(offline_page, thebe_lib, local_kernel_server):
    page = offline_page
    page.unpkg_served = []
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.route("https://unpkg.com/**", unpkg_handler(thebe_lib, page.unpkg_served))
    page.add_init_script(thebe_shim(local_kernel_server))
    page.set_default_timeout(30_000)
    return page


def live_chapter(built_site) -> str:
    """The first chapter (in toc order) with a ``thebe-init`` cell and, if any has one, a quiz."""
    pages = []
    for docname in chapter_pages():
        html = built_site.html / f"{docname}.html"
        if html.exists() and "tag_thebe-init" in html.read_text():
            pages.append((docname, QUIZ_CLASS in html.read_text()))
    if not pages:
        pytest.fail("no chapter page has a thebe-init cell")
    return next((name for name, quiz in pages if quiz), pages[0][0])


#: The container of a quiz, written by the {quiz} directive (book/site/quiz.py).
QUIZ_CLASS = "course-quiz"
QUIZ_STATE = """(els) => els.map((q) => ({
  quiz: q.getAttribute('data-quiz'), rendered: q.getAttribute('data-rendered'),
  text: q.innerText.length, inCell: !!q.closest('.cell, .thebe-cell, .thebelab-cell'),
}))"""

#: For each output: is it rendered (not in a collapsed <details>, not display:none), and
#: how many elements it holds (none may be moved away).
OUTPUT_STATE = """(els) => els.map((e) => [
  e.checkVisibility() && e.getBoundingClientRect().height > 0, e.querySelectorAll('*').length,
])"""


def press_live_code(page) -> None:
    """Open the launch menu (rocket) and press "Live Code"; wait for the kernel."""
    page.get_by_role("button", name="Launch interactive content").click()
    page.locator("button.btn-launch-thebe").click()
    page.wait_for_function(
        "() => window.__thebeTest && (window.__thebeTest.kernelReady || window.__thebeTest.error)",
        timeout=KERNEL_TIMEOUT_MS,
    )
    error = page.evaluate("() => window.__thebeTest.error")
    assert error is None, f"Thebe could not start a kernel: {error}"


CELL_STATE = """(box) => {
  const cell = window.thebe.notebook.getCellById(box.getAttribute('data-thebe-id'));
  return { count: cell.executionCount, busy: cell.isBusy,
           errors: cell.outputs.filter(o => o.output_type === 'error').map(o => o.ename + ': ' + o.evalue) };
}"""


def wait_until_run(page, box, previous_count, timeout=CELL_TIMEOUT_MS) -> dict:
    """Wait until the cell has an execution count other than ``previous_count``."""
    deadline = time.monotonic() + timeout / 1000
    while time.monotonic() < deadline:
        state = box.evaluate(CELL_STATE)
        if state["count"] is not None and state["count"] != previous_count and not state["busy"]:
            return state
        page.wait_for_timeout(250)
    raise AssertionError(f"the cell did not finish running in {timeout / 1000:.0f} s: {state}")


def output_of(box):
    """The output element Thebe paired with a cell (the element right after it)."""
    return box.locator("xpath=following-sibling::*[1][@data-output]")


def reveal(box) -> None:
    """Show a hidden (hide-cell) cell with its toggle, as a reader would, and scroll to it."""
    opened = box.evaluate("(b) => { const d = b.closest('details'); return d ? d.open : null; }")
    if opened is False:
        box.locator("xpath=ancestor::details[1]/summary").click()
    box.scroll_into_view_if_needed()


def edit_and_run(page, box, code: str, *, with_button: bool) -> dict:
    """Type ``code`` into the cell's editor as a reader would, and run it."""
    reveal(box)
    before = box.evaluate(CELL_STATE)["count"]
    box.locator(".CodeMirror").click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    for i, line in enumerate(code.strip().splitlines()):
        if i:
            page.keyboard.press("Enter")
            page.keyboard.press("Home")  # cancel CodeMirror's auto-indent
        page.keyboard.type(line)
    typed = box.evaluate("(b) => window.thebe.notebook.getCellById(b.getAttribute('data-thebe-id')).source")
    assert typed.strip() == code.strip(), f"the editor holds:\n{typed}"
    if with_button:
        box.locator("button.thebe-run-button").click()
    else:
        page.keyboard.press("Shift+Enter")
    state = wait_until_run(page, box, before)
    assert not state["errors"], state["errors"]
    return state


TEXT_CODE = """
from pathlib import Path
import matplotlib as mpl
import numpy as np
from book import plots
print("computed:", int(np.arange(1, 11).sum()) * len(plots.PALETTE))
print("cwd:", Path.cwd().name, Path("../_config.yml").is_file())
print("setup ran:", mpl.rcParams["axes.spines.top"] is False)
"""

FIGURE_CODE = """
import matplotlib.pyplot as plt
import numpy as np
from book.plots import PALETTE
t = np.linspace(0, 4 * np.pi, 200)
fig, ax = plt.subplots()
ax.plot(t, np.sin(t), color=PALETTE[1], label="sin t")
ax.set_title("Drawn by the Live Code kernel")
plt.show()
print("lines drawn:", len(ax.lines))
"""


@pytest.mark.timeout(900)
def test_live_code_runs_edited_cells_on_a_real_kernel(built_site, live_page, site_url, local_kernel_server):
    page = live_page
    docname = live_chapter(built_site)
    with page_for_local_kernel(built_site.html, docname, local_kernel_server, BINDERHUB) as path:
        page.goto(f"{site_url}/{path}")
        _run_edited_cells(built_site, page, docname)


def _run_edited_cells(built_site, page, docname):
    from book.plots import PALETTE

    static_inputs = page.locator("article .cell_input pre").count()
    quizzes = page.locator(f"article .{QUIZ_CLASS}")
    page.wait_for_function(
        f"() => [...document.querySelectorAll('.{QUIZ_CLASS}')].every((q) => q.getAttribute('data-rendered'))"
    )
    quiz_state = quizzes.evaluate_all(QUIZ_STATE)
    assert not any(q["inCell"] for q in quiz_state), quiz_state
    hidden_input_outputs = page.locator("article .cell.tag_hide-input .cell_output")
    hidden_input_state = hidden_input_outputs.evaluate_all(OUTPUT_STATE)
    assert all(visible for visible, _ in hidden_input_state), hidden_input_state

    started = time.monotonic()
    press_live_code(page)
    kernel_seconds = time.monotonic() - started

    # What the page asked for, after the shim swapped Binder for the local server.
    options = page.evaluate("() => window.__thebeTest.options")
    assert options["useBinder"] is False
    assert options["kernelOptions"]["kernelName"] == "python3"
    assert options["kernelOptions"]["path"].strip("./") == "chapters"
    served = [u.rsplit("/", 1)[-1] for u in page.unpkg_served]
    assert "index.js" in served and "thebe.css" in served, served
    assert not [u for u in page.blocked_requests if "mybinder" in u]

    # Every code input became an editor; nothing else did (quizzes stay quizzes).
    boxes = page.locator("article .thebe-cell")
    assert boxes.count() == static_inputs
    assert page.locator("article .thebe-cell .thebe-cell").count() == 0
    assert quizzes.evaluate_all(QUIZ_STATE) == quiz_state  # not duplicated, not changed
    # The figures of hide-input cells stay in view, whole (their code stays behind its toggle).
    assert hidden_input_outputs.evaluate_all(OUTPUT_STATE) == hidden_input_state

    # The hidden setup cell (tag thebe-init) was run by sphinx-thebe on "ready".
    init_box = page.locator("article .tag_thebe-init .thebe-cell").first
    init_state = wait_until_run(page, init_box, None)
    assert not init_state["errors"], init_state["errors"]
    setup_seconds = time.monotonic() - started

    # Pick the cells to edit: the last two ordinary code cells (or the only one,
    # or, on a page with no other cell, the setup cell itself).
    ordinary = page.locator("article .cell:not(.tag_thebe-init) .thebe-cell")
    n = ordinary.count()
    if n >= 2:
        text_box, figure_box = ordinary.nth(n - 2), ordinary.nth(n - 1)
    elif n == 1:
        text_box = figure_box = ordinary.first
    else:
        text_box = figure_box = init_box

    t0 = time.monotonic()
    edit_and_run(page, text_box, TEXT_CODE, with_button=False)
    text = output_of(text_box).inner_text()
    assert f"computed: {55 * len(PALETTE)}" in text, text
    assert "cwd: chapters True" in text, text  # relative paths work as at build time
    assert "setup ran: True" in text, text  # set by the thebe-init cell's setup()

    edit_and_run(page, figure_box, FIGURE_CODE, with_button=True)
    figure_output = output_of(figure_box)
    assert "lines drawn: 1" in figure_output.inner_text()
    image = figure_output.locator("img[src^='data:image/png']")
    assert image.count() == 1
    size = image.evaluate("(img) => [img.naturalWidth, img.naturalHeight]")
    assert size[0] > 300 and size[1] > 150, size
    # Re-running the setup cell (a reader pressing its "run") is harmless.
    reveal(init_box)
    init_box.locator("button.thebe-run-button").click()
    rerun = wait_until_run(page, init_box, init_state["count"])
    assert not rerun["errors"], rerun["errors"]
    run_seconds = time.monotonic() - t0

    # A screenshot of the executed cells, to look at.
    shots = built_site.build / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    # The sticky article header and the skip link would cover part of a full-page shot.
    page.add_style_tag(content=".bd-header-article, .skip-link { visibility: hidden !important; }")
    text_box.scroll_into_view_if_needed()
    top = text_box.bounding_box()
    bottom = figure_output.bounding_box()
    page.screenshot(
        path=str(shots / "thebe-live.png"),
        full_page=True,
        clip=_union_clip(page, top, bottom),
    )

    assert quizzes.evaluate_all(QUIZ_STATE) == quiz_state
    assert not page.errors, page.errors
    blocked_hosts = sorted({urlparse(u).netloc for u in page.blocked_requests})
    print(
        f"\n{docname}: from pressing Live Code (local Jupyter server, not Binder): kernel ready in "
        f"{kernel_seconds:.1f} s, setup cell done in {setup_seconds:.1f} s; edited cells ran in "
        f"{run_seconds:.1f} s; quizzes: {len(quiz_state)}; hide-input outputs: "
        f"{hidden_input_outputs.count()}; blocked hosts: {blocked_hosts}"
    )


def _union_clip(page, top: dict, bottom: dict) -> dict:
    scroll_y = page.evaluate("() => window.scrollY")
    y0 = max(0, top["y"] + scroll_y - 20)
    y1 = bottom["y"] + scroll_y + bottom["height"] + 20
    x0 = max(0, min(top["x"], bottom["x"]) - 20)
    x1 = max(top["x"] + top["width"], bottom["x"] + bottom["width"]) + 20
    return {"x": x0, "y": y0, "width": x1 - x0, "height": y1 - y0}


def test_published_kernel_request_starts_in_the_chapter_folder(built_site, local_kernel_server):
    """What thebe 0.8.2 sends on the published pages, replayed against a Jupyter server.

    0.8.2 starts its kernel with ``KernelManager.startNew(kernelOptions)``, i.e.
    ``POST /api/kernels`` with the page's ``{name, path}``; the server starts the
    kernel in ``path`` below its root (the repository, on Binder).
    """
    import json
    import os
    import urllib.request

    from thebe_support import thebe_configs

    docname = live_chapter(built_site)
    kernel_options = thebe_configs((built_site.html / f"{docname}.html").read_text())[0]["kernelOptions"]
    server = local_kernel_server

    def call(method, path, body=None):
        req = urllib.request.Request(
            server.base_url + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"token {server.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.loads(resp.read() or b"null")

    before = set(os.listdir("/proc")) if os.path.isdir("/proc") else set()
    kernel = call("POST", "api/kernels", {"name": kernel_options["name"], "path": kernel_options["path"]})
    try:
        assert kernel["name"] == "python3"
        if not before:
            pytest.skip("no /proc to read the kernel's working directory from")
        # The new kernel process is the one whose command line names its connection file.
        deadline = time.monotonic() + 30
        cwd = None
        while cwd is None and time.monotonic() < deadline:
            for pid in set(os.listdir("/proc")) - before:
                try:
                    cmdline = open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace")
                    if kernel["id"] in cmdline and "ipykernel" in cmdline:
                        cwd = os.readlink(f"/proc/{pid}/cwd")
                except OSError:
                    continue
            time.sleep(0.2)
        assert cwd == str(ROOT / "chapters"), cwd
    finally:
        call("DELETE", f"api/kernels/{kernel['id']}")


# ------------------------------------------------------------------ memory of a reader's kernel

#: A cell that trains a model: ``name = train(...)`` (book.models.train), an LSTM preferred.
TRAINING_CELL = re.compile(r"^\s*\w+\s*=\s*train\(", re.M)


def training_chapter(built_site) -> tuple[str, int]:
    """The first chapter (toc order) whose page has a training cell: ``(docname, index of that
    cell among the page's code inputs)``, an LSTM's training cell if the page has one."""
    from bs4 import BeautifulSoup

    for docname in chapter_pages():
        html = built_site.html / f"{docname}.html"
        if not html.exists():
            continue
        inputs = [
            pre.get_text()
            for pre in BeautifulSoup(html.read_text(), "html.parser").select("article .cell_input pre")
        ]
        training = [i for i, code in enumerate(inputs) if TRAINING_CELL.search(code)]
        if training:
            lstm = [i for i in training if "lstm" in inputs[i].lower()]
            return docname, (lstm or training)[0]
    pytest.fail("no chapter page has a training cell (`name = train(...)`)")


def kernel_memory_mb(server) -> dict[str, dict[str, float]]:
    """Resident and peak resident memory (MiB) of the server's most recently active kernel, from /proc."""
    import json
    import os
    import urllib.request

    req = urllib.request.Request(
        server.base_url + "api/kernels", headers={"Authorization": f"token {server.token}"}
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        kernels = sorted(json.loads(resp.read()), key=lambda k: k["last_activity"])
    kernel_ids = [kernels[-1]["id"]] if kernels else []
    found = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmdline = open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace")
            if "ipykernel" not in cmdline or not any(k in cmdline for k in kernel_ids):
                continue
            status = dict(
                line.split(":", 1) for line in open(f"/proc/{pid}/status").read().splitlines() if ":" in line
            )
        except OSError:
            continue
        found[pid] = {key: int(status[key].split()[0]) / 1024 for key in ("VmRSS", "VmHWM")}
    return found


RUN_CELLS = """async ([upTo, repeats]) => {
  const boxes = [...document.querySelectorAll('article .thebe-cell')];
  const cell = (b) => window.thebe.notebook.getCellById(b.getAttribute('data-thebe-id'));
  const errors = [];
  const seconds = [];
  const run = async (b, i) => {
    const t0 = performance.now();
    await cell(b).execute();
    seconds.push([i, (performance.now() - t0) / 1000]);
    for (const o of cell(b).outputs || []) {
      if (o.output_type === 'error') errors.push(`cell ${i}: ${o.ename}: ${o.evalue}`);
    }
  };
  for (let i = 1; i <= upTo && !errors.length; i++) await run(boxes[i], i);
  for (let r = 0; r < repeats && !errors.length; r++) await run(boxes[upTo], upTo);
  return { errors, seconds };
}"""


@pytest.mark.claims
@pytest.mark.timeout(1500)
def test_rerunning_a_training_cell_keeps_the_kernel_under_budget(
    built_site, live_page, site_url, local_kernel_server
):
    """A reader runs a chapter down to its (LSTM) training cell, then runs that cell twice more:
    the kernel must stay under the memory budget that Binder's 1 GB guarantee sets."""
    page = live_page
    docname, index = training_chapter(built_site)
    with page_for_local_kernel(built_site.html, docname, local_kernel_server, BINDERHUB) as path:
        page.goto(f"{site_url}/{path}")
        _rerun_training_cell(page, docname, index, local_kernel_server)


def _rerun_training_cell(page, docname, index, local_kernel_server):
    from book.runtime import MEMORY_BUDGET_MB

    started = time.monotonic()
    press_live_code(page)
    init_box = page.locator("article .tag_thebe-init .thebe-cell").first
    assert not wait_until_run(page, init_box, None)["errors"]
    setup_seconds = time.monotonic() - started
    result = page.evaluate(RUN_CELLS, [index, 2])
    assert not result["errors"], result["errors"]
    memory = kernel_memory_mb(local_kernel_server)
    assert memory, "no kernel process found"
    peak = max(m["VmHWM"] for m in memory.values())
    runs = [f"{s:.1f}" for i, s in result["seconds"] if i == index]
    print(
        f"\n{docname}: setup done {setup_seconds:.1f} s after Live Code; training cell {index} ran in "
        f"{', '.join(runs)} s (first run, then twice again); kernel memory after that: "
        + "; ".join(f"{m['VmRSS']:.0f} MiB resident, {m['VmHWM']:.0f} MiB peak" for m in memory.values())
    )
    assert len(runs) == 3
    assert peak <= MEMORY_BUDGET_MB, f"the kernel reached {peak:.0f} MiB, above {MEMORY_BUDGET_MB} MiB"
