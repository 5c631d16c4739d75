"""The course's GitHub home, written once, and the Colab badge and setup cell made from it.

`python tools/colab.py` stamps every notebook: the badge goes under the title, the setup cell is the
first code cell; both are replaced if already there. Run it after changing REPO (e.g. in a fork);
tests/test_colab.py fails while any notebook disagrees with this file.
"""
import re
import sys
from pathlib import Path

import nbformat

REPO = "sgd-minibatches/course"  # owner/name on GitHub: the one place the course's URL is written
BRANCH = "main"
REPO_URL = f"https://github.com/{REPO}"
NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"

BADGE_RE = re.compile(r"\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)")
SETUP_MARK = "# Colab setup"

SETUP_CELL = (f"{SETUP_MARK}: fetches the course's modules, installs what Colab lacks. "
              "Elsewhere: nothing.\n"
              f'''import os, sys
if "google.colab" in sys.modules and not os.path.exists("utils.py"):
    import glob, importlib.util, shutil, subprocess, tempfile
    repo_url = os.environ.get("COURSE_REPO_URL", "{REPO_URL}")
    with tempfile.TemporaryDirectory() as clone:
        subprocess.run(["git", "clone", "--quiet", "--depth=1", repo_url, clone], check=True)
        for module in glob.glob(os.path.join(clone, "*.py")):  # utils.py and the others
            shutil.copy(module, os.path.basename(module))
        shutil.copytree(os.path.join(clone, "checks"), "checks", dirs_exist_ok=True)
    if importlib.util.find_spec("fastai") is None:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "fastai"], check=True)'''
)


def badge(notebook_name):
    "Markdown for the 'Open in Colab' badge of one notebook (a path under notebooks/)."
    url = f"https://colab.research.google.com/github/{REPO}/blob/{BRANCH}/notebooks/{notebook_name}"
    return f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({url})"


def stamp(nb, notebook_name):
    "Put the current badge and setup cell into `nb` (a notebook node); return it."
    title = next(c for c in nb.cells if c.cell_type == "markdown")
    if BADGE_RE.search(title.source):
        title.source = BADGE_RE.sub(lambda m: badge(notebook_name), title.source)
    else:
        head, _, rest = title.source.partition("\n")
        title.source = f"{head}\n\n{badge(notebook_name)}\n\n{rest.lstrip()}".rstrip("\n")
    code = [c for c in nb.cells if c.cell_type == "code"]
    if code and code[0].source.startswith(SETUP_MARK):
        code[0].source = SETUP_CELL
    else:
        cell = nbformat.v4.new_code_cell(SETUP_CELL)
        nb.cells.insert(nb.cells.index(code[0]) if code else len(nb.cells), cell)
    return nb


def all_notebooks():
    "Every notebook of the course, the solutions included, as paths."
    return (sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
            + sorted(NOTEBOOKS.glob("solutions/[0-9][0-9]_*.ipynb")))


def main():
    for path in all_notebooks():
        name = path.relative_to(NOTEBOOKS).as_posix()
        nb = nbformat.read(path, as_version=4)
        nbformat.write(stamp(nb, name), path)
        print(f"stamped {name}")


if __name__ == "__main__":
    sys.exit(main())
