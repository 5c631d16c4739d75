"""The course as a learner sees it: Debian's Chromium, driven by Playwright, against
`./course.sh lab`.

The test serves a copy of notebooks/ (the files on disk stay as they are) with `./course.sh lab`,
opens the URL it prints, and through JupyterLab's menus runs notebook 01 and the notebook with the
batch-size explorer; it moves the explorer's batch-size slider, presses Train and checks the plot
and the summary change. Screenshots go to a temporary folder whose paths are printed.

Needs Chromium at /usr/bin/chromium (Debian's package `chromium`: `apt-get install -y chromium`);
nothing downloads a browser. Without it the test is skipped, unless COURSE_BROWSER_TEST=required
(set by .ci/run), where it fails.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium"))
FIRST = "notebooks/01_dataloader_basics.ipynb"
URL_RE = re.compile(r"http://127\.0\.0\.1:\d+/lab/tree/" + re.escape(FIRST) + r"\?token=[0-9a-f]+")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run",
                 "--disable-sync", "--disable-extensions", "--disable-default-apps",
                 "--metrics-recording-only", "--mute-audio"]
RUN_TIMEOUT_MS = 600_000  # a whole notebook, run through the browser on a busy 2-core machine
STDERR = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
NEWS = "Would you like to get notified about official Jupyter news?"


def uses_the_explorer(path):
    "True if a code cell of the notebook at `path` builds the batch-size explorer panel."
    cells = json.loads(Path(path).read_text())["cells"]
    return any(c["cell_type"] == "code" and "batch_size_explorer(" in "".join(c["source"])
               for c in cells)


def explorer_notebook(folder):
    "The first notebook in `folder` that shows the batch-size explorer, or None."
    return next((p for p in sorted(Path(folder).glob("[0-9][0-9]_*.ipynb"))
                if uses_the_explorer(p)),
                None)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def snapshot(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*.ipynb"))}


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    "`./course.sh lab` serving a copy of the notebooks; yields (printed URL, base URL, token)."
    if not CHROMIUM.exists():
        message = (f"Chromium is not at {CHROMIUM}: install Debian's package `chromium` "
                   "(apt-get install -y chromium) to run the browser test")
        if os.environ.get("COURSE_BROWSER_TEST") == "required":
            pytest.fail(message)
        pytest.skip(message)
    work = tmp_path_factory.mktemp("browser")
    served = work / "course"
    shutil.copytree(ROOT / "notebooks", served / "notebooks",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    before = snapshot(ROOT / "notebooks")
    home = {name: work / name
            for name in ("settings", "workspaces", "runtime", "config", "ipython")}
    env = {**os.environ,
           # the kernels import the repository's utils, checks and explorers; data goes to ROOT/data
           "PYTHONPATH": os.pathsep.join([str(ROOT),
                                          *filter(None, [os.environ.get("PYTHONPATH")])]),
           # nothing of the learner's (settings, workspaces, config) is read or written
           "JUPYTERLAB_SETTINGS_DIR": str(home["settings"]),
           "JUPYTERLAB_WORKSPACES_DIR": str(home["workspaces"]),
           "JUPYTER_RUNTIME_DIR": str(home["runtime"]), "JUPYTER_CONFIG_DIR": str(home["config"]),
           "IPYTHONDIR": str(home["ipython"])}
    log_path = work / "lab.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [str(ROOT / "course.sh"), "lab", "--no-browser", f"--ServerApp.root_dir={served}",
             "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={free_port()}",
             "--ServerApp.port_retries=0"],
            stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    base = token = None
    try:
        deadline, url = time.time() + 120, None
        while url is None:
            found = URL_RE.search(log_path.read_text())
            url = found and found.group(0)
            if url is None and (proc.poll() is not None or time.time() > deadline):
                pytest.fail("`./course.sh lab` printed no URL of notebook 01:\n"
                            + log_path.read_text())
            time.sleep(0.3)
        base, token = url.split("/lab/")[0], url.split("token=")[1]
        assert f"Serving notebooks from local directory: {served}" in log_path.read_text()
        yield url, base, token
    finally:
        try:
            api(base, token, "POST", "/api/shutdown")
            proc.wait(timeout=30)
        except Exception:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    assert snapshot(ROOT / "notebooks") == before, "the browser test changed a notebook on disk"


def api(base, token, method, path):
    req = urllib.request.Request(base + path, method=method,
                                 headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=30) as r:
        body = r.read()
        return json.loads(body) if body else None


@pytest.fixture(scope="module")
def browser(lab):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def shots():
    folder = Path(tempfile.mkdtemp(prefix="course-screenshots-"))
    yield folder


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


def screenshot(page, folder, name, capsys):
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    with capsys.disabled():
        print(f"\n  screenshot: {path}")
    return path


def current_notebook(page):
    return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")


def open_in_lab(page, url, name):
    "Go to `url` and wait for notebook `name` to be the current tab, its kernel idle."
    page.goto(url)
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel")
    tab.filter(has_text=name).wait_for()
    current_notebook(page).locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for()


def menu(page, top, item):
    "Click `item` in JupyterLab's menu `top` (e.g. Run → Run All Cells)."
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{top}$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(item)}$")).click()


def run_all(page):
    "Clear every output, run every cell through the menus, wait until the kernel is done."
    notebook = current_notebook(page)
    menu(page, "Edit", "Clear Outputs of All Cells")
    page.wait_for_function("nb => ![...nb.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]"
                           ".some(p => /\\d/.test(p.textContent))", arg=notebook.element_handle())
    menu(page, "Run", "Run All Cells")
    page.wait_for_function(
        "nb => {\n"
        "        const prompts = [...nb.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]"
        ".map(p => p.textContent);\n"
        "        const failed = nb.querySelector("
        "'.jp-OutputArea-output[data-mime-type=\"application/vnd.jupyter.stderr\"]');\n"
        "        const busy = prompts.some(p => p.includes('*'));\n"
        "        return !busy && (failed || prompts.every(p => /\\[\\d+\\]/.test(p)));\n"
        "    }", arg=notebook.element_handle(), timeout=RUN_TIMEOUT_MS)
    notebook.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for()


def assert_clean(page, name):
    "Every code cell ran, and no cell shows an error or a red stderr block."
    notebook = current_notebook(page)
    red = notebook.locator(STDERR)
    assert red.count() == 0, (f"{name}: a cell shows an error or stderr:\n"
                             + red.first.text_content()[:2000])
    prompts = notebook.locator(".jp-CodeCell .jp-InputPrompt").all_text_contents()  # off-screen too
    assert prompts and all(re.search(r"\[\d+\]", p) for p in prompts), f"{name}: {prompts}"


def src(page, selector):
    "The `src` of the first image `selector` finds in the current notebook (a PNG's data URL)."
    return current_notebook(page).locator(selector).first.get_attribute("src")


def wait_for_new_src(page, selector, old):
    "Wait until the image `selector` finds shows something other than `old` (maybe a new element)."
    page.wait_for_function(
        """([selector, old]) => {
            const img = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) ' + selector);
            return img && img.src !== old;
        }""", arg=[selector, old])


def test_course_sh_lab_opens_notebook_01_without_news_and_runs_it_cleanly(lab, page, shots, capsys):
    url, base, token = lab
    start = time.perf_counter()
    open_in_lab(page, url, "01_dataloader_basics.ipynb")
    # the repository's setting (jupyter/settings/overrides.json) turns the news prompt off
    schema = api(base, token, "GET",
                 "/lab/api/settings/@jupyterlab/apputils-extension:notification")
    assert schema["schema"]["properties"]["fetchNews"]["default"] == "false"
    run_all(page)
    assert_clean(page, "01")
    screenshot(page, shots, "01_after_run_all", capsys)
    toasts = page.locator(".Toastify__toast").all_inner_texts()
    assert not any("news" in t.lower() for t in toasts), toasts
    assert page.get_by_text(NEWS).count() == 0
    with capsys.disabled():
        print(f"  notebook 01 in the browser: {time.perf_counter() - start:.1f} s")


def test_the_explorer_runs_and_trains_when_the_slider_moves(lab, page, shots, capsys):
    url, base, token = lab
    found = explorer_notebook(ROOT / "notebooks")
    if found is None:
        pytest.skip("no notebook calls explorers.batch_size_explorer( yet: nothing to click")
    start = time.perf_counter()
    for kernel in api(base, token, "GET", "/api/kernels"):  # notebook 01's kernel is done
        api(base, token, "DELETE", f"/api/kernels/{kernel['id']}")
    open_in_lab(page, f"{base}/lab/tree/notebooks/{found.name}?reset&token={token}", found.name)
    run_all(page)
    assert_clean(page, found.name)
    panel = current_notebook(page).locator(".bs-explorer").first
    plot = ".bs-explorer .explorer-plot img"
    summary = panel.locator(".explorer-summary")
    panel.locator(".explorer-plot img").wait_for()
    panel.scroll_into_view_if_needed()
    screenshot(page, shots, "explorer_after_run_all", capsys)
    first_png, first_bs = src(page, plot), summary.inner_text().split()[0]  # "B=64"

    slider = panel.locator(".explorer-bs")
    slider.locator(".noUi-handle").focus()
    page.keyboard.press("ArrowRight")  # one notch right on the log scale: twice the batch size
    new_bs = int(first_bs.removeprefix("B=")) * 2
    slider.locator(".widget-readout").filter(has_text=str(new_bs)).wait_for()
    panel.get_by_role("button", name="Train").click()
    summary.filter(has_text=f"B={new_bs} ").wait_for()
    wait_for_new_src(page, plot, first_png)  # the plot was redrawn, with a second run
    lines = summary.inner_text().splitlines()
    assert lines[0].startswith(f"{first_bs} ") and lines[-1].startswith(f"B={new_bs} ")
    assert panel.locator(STDERR).count() == 0
    panel.scroll_into_view_if_needed()
    screenshot(page, shots, "explorer_after_train", capsys)

    toy = current_notebook(page).locator(".toy-explorer")
    if toy.count():  # the SGD-path explorer redraws as soon as a slider moves
        toy = toy.first
        toy.scroll_into_view_if_needed()
        before, line = src(page, ".toy-explorer .explorer-plot img"), toy.inner_text()
        toy.locator(".explorer-bs .noUi-handle").focus()
        page.keyboard.press("ArrowRight")
        wait_for_new_src(page, ".toy-explorer .explorer-plot img", before)
        assert toy.locator(STDERR).count() == 0 and toy.inner_text() != line
        toy.scroll_into_view_if_needed()
        screenshot(page, shots, "toy_explorer_after_slider", capsys)
    with capsys.disabled():
        print(f"  {found.name} in the browser: {time.perf_counter() - start:.1f} s")
