"""The Colab badge and setup cell: one URL, stamped everywhere; runs on 'Colab', inert elsewhere."""
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import colab  # noqa: E402  (tools/ is on sys.path only from above)

NOTEBOOKS = colab.all_notebooks()


def setup_cell(path):
    return next(c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code").source


def run_cell(source, cwd, fake_colab, repo_url=None):
    "Run a cell's code in a fresh Python in `cwd`, optionally pretending to be Colab."
    prelude = ("import sys, types\nsys.modules['google.colab'] = types.ModuleType('google.colab')\n"
               if fake_colab else "")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if repo_url:
        env["COURSE_REPO_URL"] = repo_url
    check = "\nimport utils, os\nprint(os.path.dirname(os.path.abspath(utils.__file__)))"
    return subprocess.run([sys.executable, "-c", prelude + source + (check if fake_colab else "")],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.relative_to(colab.NOTEBOOKS).as_posix())
def test_badge_and_setup_cell_match_the_one_repo_url(path):
    nb = nbformat.read(path, as_version=4)
    title = nb.cells[0]
    assert title.cell_type == "markdown"
    assert colab.badge(path.relative_to(colab.NOTEBOOKS).as_posix()) in title.source
    assert setup_cell(path) == colab.SETUP_CELL


def test_setup_cell_does_nothing_outside_colab(tmp_path):
    result = run_cell(colab.SETUP_CELL, tmp_path, fake_colab=False, repo_url="/nonexistent")
    assert result.returncode == 0, result.stderr
    assert list(tmp_path.iterdir()) == []


def test_setup_cell_fetches_utils_on_colab(tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    workdir = tmp_path / "content"
    workdir.mkdir()
    result = run_cell(colab.SETUP_CELL, workdir, fake_colab=True, repo_url=str(clone))
    assert result.returncode == 0, result.stderr
    modules = sorted(p.name for p in clone.glob("*.py"))
    assert {"utils.py", "explorers.py", "sweeps.py", "noise.py", "hardware.py", "ddp.py"} <= set(
        modules)
    for module in modules + [f"checks/{p.name}" for p in sorted((clone / "checks").glob("*.py"))]:
        assert (workdir / module).read_text() == (clone / module).read_text()
    assert result.stdout.strip() == str(workdir)  # `import utils` found the fetched copy
    # __pycache__ holds the import's bytecode
    left = sorted(p.name for p in workdir.iterdir() if p.name != "__pycache__")
    assert left == sorted(["checks", *modules])  # the clone was cleaned up
