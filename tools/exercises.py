"""The exercises are written once, with their solutions, in notebooks/solutions/NN_name.ipynb.

Each exercise cell there (tagged `exercise`) marks its solution nbgrader's way:

    def n_batches(n, bs, drop_last=False):
        ### BEGIN SOLUTION
        return n // bs if drop_last else math.ceil(n / bs)
        ### END SOLUTION

`python tools/exercises.py` copies every cell after the solutions notebook's `## Exercises` heading
into the learner's notebook (between its `## Exercises` and `## Questionnaire` headings), with each
solution replaced by a stub that raises NotImplementedError; then re-execute the learner's notebook.
tests/test_exercises.py fails while a learner's notebook disagrees with its solutions notebook.
"""
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SOLUTIONS = NOTEBOOKS / "solutions"
SOLUTION_RE = re.compile(r"^([ \t]*)### BEGIN SOLUTION\n.*?^[ \t]*### END SOLUTION[ \t]*$",
                         re.S | re.M)
STUB = "{0}# YOUR CODE HERE\n{0}raise NotImplementedError()"


def stub(source):
    "The learner's version of an exercise cell: each marked solution becomes a stub."
    return SOLUTION_RE.sub(lambda m: STUB.format(m.group(1)), source)


def heading_index(nb, heading, path):
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and cell.source.lstrip().startswith(heading):
            return i
    raise ValueError(f"{path.name} has no markdown cell starting with {heading!r}")


def learner_cells(solutions_nb, path):
    "The cells the learner's notebook gets, made from a solutions notebook."
    start = heading_index(solutions_nb, "## Exercises", path) + 1
    cells = []
    for cell in solutions_nb.cells[start:]:
        if cell.cell_type == "code":
            new = nbformat.v4.new_code_cell(stub(cell.source))
        else:
            new = nbformat.v4.new_markdown_cell(cell.source)
        tags = cell.get("metadata", {}).get("tags")
        if tags:
            new.metadata["tags"] = list(tags)
        cells.append(new)
    return cells


def section(learner_nb, path):
    "The learner notebook's exercise cells: after `## Exercises`, before `## Questionnaire`."
    start = heading_index(learner_nb, "## Exercises", path) + 1
    end = heading_index(learner_nb, "## Questionnaire", path)
    if end < start:
        raise ValueError(f"{path.name}: `## Questionnaire` comes before `## Exercises`")
    return start, end


def signature(cells):
    "What must agree between the generated and the committed cells: type, source and tags."
    return [(c.cell_type, c.source, list(c.get("metadata", {}).get("tags", []))) for c in cells]


def pairs():
    "(solutions notebook, learner notebook) for every solutions notebook."
    for sol in sorted(SOLUTIONS.glob("[0-9][0-9]_*.ipynb")):
        learner = NOTEBOOKS / sol.name
        if not learner.exists():
            raise FileNotFoundError(f"{sol.relative_to(ROOT)} has no learner notebook "
                                    f"{learner.name}")
        yield sol, learner


def main():
    for sol, learner in pairs():
        nb = nbformat.read(learner, as_version=4)
        start, end = section(nb, learner)
        new = learner_cells(nbformat.read(sol, as_version=4), sol)
        if signature(nb.cells[start:end]) == signature(new):
            print(f"{learner.name}: up to date")
            continue
        nb.cells[start:end] = new
        nbformat.write(nb, learner)
        print(f"{learner.name}: exercises rewritten; re-execute it")


if __name__ == "__main__":
    sys.exit(main())
