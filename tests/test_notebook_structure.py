"""What each notebook promises: numbering, titles, sections, answers, honest prose, clean code."""
import ast
import importlib
import json
import re
import sys
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import budget  # noqa: E402  (tools/ is on sys.path only from above)
import prose_numbers  # noqa: E402  (tools/ is on sys.path only from above)

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SOLUTIONS = sorted((ROOT / "notebooks" / "solutions").glob("[0-9][0-9]_*.ipynb"))
ALL = NOTEBOOKS + SOLUTIONS
ids = lambda p: str(p.relative_to(ROOT / "notebooks"))


def load(path):
    return json.loads(path.read_text())


def src(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def markdown(nb):
    return [src(c) for c in nb["cells"] if c["cell_type"] == "markdown"]


def title(path):
    first = src(load(path)["cells"][0])
    return first.splitlines()[0][2:].strip()


def test_numbering_is_dense():
    assert [p.name[:2] for p in NOTEBOOKS] == [f"{i:02d}" for i in range(1, len(NOTEBOOKS) + 1)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_title_sections_in_order(path):
    assert title(path).startswith(f"{path.name[:2]} · ")
    heads = [line for text in markdown(load(path)) for line in text.splitlines()
             if line.startswith("## ")]
    ends = ("## Key takeaways", "## Exercises", "## Questionnaire", "## Further research")
    order = [h for h in heads if h in ends]
    assert order == list(ends), order
    assert "## Further research" in markdown(load(path))[-1]


def test_the_core_path_comes_first_and_fits_in_a_day():
    parts = [budget.is_deep_dive(p) for p in NOTEBOOKS]
    assert parts == sorted(parts), "the core notebooks are numbered before the deep dives"
    core = [p for p in NOTEBOOKS if not budget.is_deep_dive(p)]
    total = sum(map(budget.words, core))
    assert total <= budget.CORE_TOTAL_WORDS, f"the core path has {total} words of lesson prose"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_lesson_prose_fits_its_budget(path):
    most = budget.DEEP_DIVE_WORDS if budget.is_deep_dive(path) else budget.CORE_WORDS
    assert budget.words(path) <= most, f"{path.name}: {budget.words(path)} words (at most {most})"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_opens_with_what_you_learn_and_need_and_shows_a_figure(path):
    opening = src(load(path)["cells"][0])
    assert "**What you will learn**" in opening and "**What you need first**" in opening, (
        f"{path.name}: cell 0 says what you will learn and what you need first")
    prose = [line for line in opening.splitlines()[1:]
             if line.strip() and "colab-badge" not in line]
    assert prose[0].startswith("*Optional deep dive.*") == budget.is_deep_dive(path), (
        f"{path.name}: a deep dive's first line says *Optional deep dive.*, a core one does not")
    assert budget.figures(path) >= 1, f"{path.name} has no figure"


def visible_asserts(nb):
    "Indices of code cells that assert at top level and whose source Jupyter shows."
    found = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code" or cell["metadata"].get("jupyter", {}).get("source_hidden"):
            continue
        try:
            tree = ast.parse(src(cell))
        except SyntaxError:
            continue
        if any(isinstance(node, ast.Assert) for node in tree.body):
            found.append(i)
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_no_assert_is_visible_in_a_lesson(path):
    assert visible_asserts(load(path)) == [], (
        f"{path.name}: a cell that asserts for the tests goes in its own cell, collapsed "
        '(cell metadata "jupyter": {"source_hidden": true})')


def test_the_assert_check_sees_a_visible_assert_and_not_a_hidden_one():
    cell = {"cell_type": "code", "source": "x = 1\nassert x == 1", "metadata": {}}
    assert visible_asserts({"cells": [cell]}) == [0]
    cell["metadata"]["jupyter"] = {"source_hidden": True}
    assert visible_asserts({"cells": [cell]}) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_every_question_has_a_hidden_answer(path):
    text = "\n".join(markdown(load(path)))
    questionnaire = text.split("## Questionnaire", 1)[1].split("## Further research", 1)[0]
    chunks = re.split(r"^\d+\. ", questionnaire, flags=re.M)[1:]
    assert len(chunks) >= 5, f"{path.name}: {len(chunks)} questions"
    for n, chunk in enumerate(chunks, 1):
        assert chunk.count("<details>") == 1 and "</details>" in chunk and "<summary>" in chunk, (
            f"{path.name}: question {n} needs one <details><summary>…</summary> answer under it")


@pytest.mark.parametrize("path", SOLUTIONS, ids=ids)
def test_solutions_notebook_is_titled_and_links_back(path):
    assert title(path).startswith(f"{path.name[:2]} · ") and title(path).endswith("solutions")
    assert f"(../{path.name})" in "\n".join(markdown(load(path)))


def test_readme_titles_match_the_notebooks():
    readme = (ROOT / "README.md").read_text()
    for path in NOTEBOOKS:
        assert f"[{title(path)}](notebooks/{path.name})" in readme, f"README: [{title(path)}]"


def study_time(minutes):
    hours, rest = divmod(minutes, 60)
    return " ".join(part for part in (f"{hours} h" if hours else "", f"{rest} min" if rest else "")
                    if part)


def test_readme_gives_each_notebook_its_study_time():
    readme = (ROOT / "README.md").read_text()
    for path in NOTEBOOKS:
        row = f"[{title(path)}](notebooks/{path.name}) | {study_time(budget.study_minutes(path))} |"
        assert row in readme, f"README: the study time of {path.name} (tools/budget.py)"


@pytest.mark.parametrize("path", ALL, ids=ids)
def test_prose_quotes_only_numbers_the_notebook_prints(path):
    missing = prose_numbers.unbacked(load(path))
    assert not missing, "\n".join(
        f"{path.name}, markdown cell {i}: {tok} is printed by no output (print it, or mark a "
        f"quotation with > or <q>…</q>)" for i, tok in missing)


def test_the_prose_check_catches_a_stale_number():
    nb = {"cells": [
        {"cell_type": "markdown", "source": "Accuracy is 0.9673 after 784 steps; the book says "
                                            "<q>0.9696</q> (Goyal et al. (2017)), `bs=256`.\n"
                                            "> 0.1234"},
        {"cell_type": "code", "source": "",
         "outputs": [{"output_type": "stream", "text": "0.9672\n784"}]},
    ]}
    assert prose_numbers.unbacked(nb) == [(0, "0.9673")]
    nb["cells"][1]["outputs"][0]["text"] = "acc 0.9673, steps 784"
    assert prose_numbers.unbacked(nb) == []
    assert prose_numbers.prose_numbers("12,396 images, 1.5 s, 0.97 vs 0.9700") == [
        "12,396", "1.5", "0.97", "0.9700"]


@lru_cache(maxsize=None)
def star_names(module):
    mod = importlib.import_module(module)
    return frozenset(getattr(mod, "__all__", [n for n in dir(mod) if not n.startswith("_")]))


def rebound_names(sources):
    "Names imported from utils or checks that a later `from X import *` silently replaces."
    ours, problems = {}, []
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [a.asname or a.name for a in node.names]
                if node.module in ("utils", "checks") and "*" not in names:
                    ours.update({n: node.module for n in names})
                elif names == ["*"] and node.module not in ("utils", "checks"):
                    problems += [(n, ours[n], node.module)
                                 for n in sorted(star_names(node.module) & ours.keys())]
    return problems


@pytest.mark.parametrize("path", ALL, ids=ids)
def test_no_star_import_rebinds_a_name_from_utils(path):
    sources = [src(c) for c in load(path)["cells"] if c["cell_type"] == "code"]
    assert rebound_names(sources) == [], "import fastai's * first, then from utils import ..."


def test_the_rebinding_check_catches_fastais_set_seed():
    assert rebound_names(["from utils import set_seed\nfrom fastai.vision.all import *"]) == [
        ("set_seed", "utils", "fastai.vision.all")]
    assert rebound_names(["from fastai.vision.all import *\nfrom utils import set_seed"]) == []


@pytest.mark.parametrize("path", ALL, ids=ids)
def test_code_and_printed_lines_fit_in_100_characters_and_markers_are_tags(path):
    for i, cell in enumerate(load(path)["cells"]):
        if cell["cell_type"] != "code":
            continue
        assert "NBVAL_" not in src(cell), (f"cell {i}: use the nbval-ignore-output tag, "
                                           "not a comment")
        long = [line for line in src(cell).splitlines() if len(line) > 100]
        assert not long, f"cell {i}: code line over 100 characters: {long[0][:60]}…"
        for out in cell.get("outputs", []):
            wide = [line for line in prose_numbers._text(out).splitlines() if len(line) > 100]
            assert not wide, f"cell {i}: printed line over 100 characters: {wide[0][:60]}…"
