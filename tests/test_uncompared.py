"""tools/uncompared.py lists the cells whose outputs nbval does not compare."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import uncompared  # noqa: E402  (tools/ is on sys.path only from above)


def code(source, tags=None):
    return {"cell_type": "code", "source": source, "outputs": [], "execution_count": None,
            "metadata": {"tags": tags} if tags else {}}


NB = {"cells": [
    {"cell_type": "markdown", "source": "# nbval-ignore-output in prose is not a tag",
     "metadata": {}},
    code("print(1)"),
    code(["t = time_it(step)\n", "print(t)"], tags=["nbval-ignore-output"]),
    code("# NBVAL_IGNORE_OUTPUT\nprint(time.time())"),
    code("download()", tags=["nbval-skip", "exercise"]),
    code("x = 1", tags=["exercise"]),
], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def test_it_finds_tagged_cells_and_leftover_comments():
    assert uncompared.uncompared(NB) == [
        (2, "output not compared", "t = time_it(step)"),
        (3, "output not compared (comment)", "print(time.time())"),
        (4, "not run", "download()"),
    ]


def test_it_prints_notebook_cell_and_first_line(tmp_path):
    path = tmp_path / "01_x.ipynb"
    path.write_text(json.dumps(NB))
    out = subprocess.run([sys.executable, str(ROOT / "tools" / "uncompared.py"), str(path)],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == ["01_x.ipynb  cell 2  output not compared: t = time_it(step)",
                   "01_x.ipynb  cell 3  output not compared (comment): print(time.time())",
                   "01_x.ipynb  cell 4  not run: download()",
                   "3 uncompared cells in 1 notebook"]


def test_it_reads_the_course_by_default():
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "uncompared.py")],
                          capture_output=True, text=True)
    assert done.returncode == 0 and " uncompared cell" in done.stdout.splitlines()[-1]
