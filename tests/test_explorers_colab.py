"""Notebook 06's explorers under Colab's ipywidgets 7.7 and IPython 7.34 (requirements-colab.txt).

A kernel of .venv-colab/ (`./course.sh setup` makes it: those versions over .venv/'s packages) runs
notebook 06's set-up cells and its explorers' section, then drives both panels from code. No cell
may show an error or write to stderr; each panel displays as its widget, with the one line of text
the notebook saves; pressing Train and moving a slider redraw. Without .venv-colab/ it is skipped.
"""
import json
import os
import re
from pathlib import Path

import nbformat
import pytest
from jupyter_client import AsyncKernelManager
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "06_batch_size_steps_and_learning_rate.ipynb"
PYTHON = ROOT / ".venv-colab" / "bin" / "python"
WIDGET = "application/vnd.jupyter.widget-view+json"

DRIVE = """\
import ipywidgets, IPython
from IPython.display import display
print(ipywidgets.__version__, IPython.__version__)
plot = explorer.plot.outputs
explorer.bs.value, explorer.steps.value = 256, 25
explorer.train_button.click()
assert [run.bs for run in explorer.runs] == [64, 256], explorer.summary.outputs
assert explorer.plot.outputs != plot and explorer.status.value == "done"
assert explorer.summary.outputs[-1]["text"].startswith("B=256 lr=1: 25 steps")
plot, summary = panel.plot.outputs, panel.summary.outputs
panel.lr.value = 0.2
assert panel.plot.outputs != plot and panel.summary.outputs != summary
assert panel.summary.outputs[0]["text"].startswith("B=8 lr=0.2: loss after 50 steps")
display(explorer.widget, panel.widget)  # what the widgets display by themselves"""


def pinned(name):
    text = (ROOT / "requirements-colab.txt").read_text()
    return re.search(rf"^{name}==(\S+)", text, re.M).group(1)


def heading(cell):
    return cell.cell_type == "markdown" and cell.source.startswith("## ")


def explorer_cells(nb):
    "Code cells before the first section (set-up, data), then those of the explorers' section."
    cells = nb.cells
    first = next(i for i, c in enumerate(cells) if heading(c))
    at = next(i for i, c in enumerate(cells) if "batch_size_explorer(" in c.source)
    start = max(i for i in range(at) if heading(cells[i]))
    end = next((i for i in range(at, len(cells)) if heading(cells[i])), len(cells))
    return [c for c in cells[:first] + cells[start:end] if c.cell_type == "code"]


def result(cell):
    "The data of a cell's execute_result (what its last line shows), or {}."
    return next((o.data for o in cell.outputs if o.output_type == "execute_result"), {})


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    if not PYTHON.exists():
        pytest.skip(f"no {PYTHON.parent.parent.name}/: `./course.sh setup` makes it")
    saved = nbformat.read(NOTEBOOK, as_version=4)
    cells = explorer_cells(saved)
    nb = nbformat.v4.new_notebook(metadata=saved.metadata)
    nb.cells = [nbformat.v4.new_code_cell(c.source) for c in cells]
    nb.cells.append(nbformat.v4.new_code_cell(DRIVE))
    kernels = tmp_path_factory.mktemp("kernels")
    (kernels / "course-colab").mkdir()
    spec = {"argv": [str(PYTHON), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Colab's widgets", "language": "python",
            "env": {"PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT),
                                                                  os.environ.get("PYTHONPATH")]))}}
    (kernels / "course-colab" / "kernel.json").write_text(json.dumps(spec))
    km = AsyncKernelManager(kernel_name="course-colab",
                            kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernels)]))
    NotebookClient(nb, km=km, timeout=300, allow_errors=True,
                   extra_arguments=["--HistoryManager.hist_file=:memory:"],
                   resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    return cells, nb.cells


def test_no_cell_shows_an_error_or_writes_to_stderr(executed):
    for cell in executed[1]:
        for out in cell.outputs:
            assert out.output_type != "error", f"{cell.source}\n{out.ename}: {out.evalue}"
            text = out.get("text", "")
            assert out.get("name") != "stderr" and "Traceback" not in text, \
                f"{cell.source}\n{text}"


def test_the_kernel_has_colabs_widget_and_ipython_versions(executed):
    drive = executed[1][-1]
    printed = next(o.text for o in drive.outputs if o.get("name") == "stdout")
    assert printed.split() == [pinned("ipywidgets"), pinned("ipython")]


def test_each_panel_displays_as_its_widget_with_the_saved_text(executed):
    cells, ran = executed
    panels = [i for i, c in enumerate(cells) if WIDGET in result(c)]  # as the notebook saves them
    assert len(panels) == 2, "notebook 06 shows two panels"
    widgets = [o for o in ran[-1].outputs if o.output_type == "display_data"]
    for i, widget, name in zip(panels, widgets, ("Batch-size", "SGD-path")):
        shown = result(ran[i])
        assert shown.get(WIDGET) == widget.data[WIDGET]  # the same view record, of the same model
        assert shown.get("text/plain") == result(cells[i])["text/plain"]
        assert shown["text/plain"].startswith(f"{name} explorer: its sliders need a running")


def test_train_and_a_slider_redraw_the_panels(executed):
    drive = executed[1][-1]
    errors = [f"{o.ename}: {o.evalue}" for o in drive.outputs if o.output_type == "error"]
    assert drive.execution_count and not errors, errors
