"""What a learner reads per notebook: lesson-prose words, figures, exercises, study time.

Lesson prose is the markdown before `## Exercises`, without fenced code, blockquotes (the book's
words), HTML tags and the Colab badge. A notebook whose title says "Deep dive" is an optional deep
dive; the others are the core path. `python tools/budget.py` prints the table; the budgets below
are held by tests/test_notebook_structure.py.
"""
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE_WORDS, CORE_TOTAL_WORDS, DEEP_DIVE_WORDS = 1500, 9000, 3000


def cells(path):
    return json.loads(Path(path).read_text())["cells"]


def text(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def lesson_markdown(path):
    "The markdown cells before `## Exercises`."
    out = []
    for cell in cells(path):
        if cell["cell_type"] == "markdown":
            if text(cell).lstrip().startswith("## Exercises"):
                break
            out.append(text(cell))
    return out


def words(path):
    "Lesson-prose words, counted as the module docstring says."
    n = 0
    for s in lesson_markdown(path):
        s = re.sub(r"```.*?```", " ", s, flags=re.S)
        s = "\n".join(line for line in s.splitlines() if not line.lstrip().startswith(">"))
        s = re.sub(r"\[!\[Open In Colab\].*?\)\]\(.*?\)", " ", s)
        s = re.sub(r"<[^>]+>", " ", s)
        n += len(re.findall(r"\S+", s))
    return n


def figures(path):
    "Images saved in the outputs."
    return sum("image/png" in out.get("data", {}) for cell in cells(path)
               if cell["cell_type"] == "code" for out in cell.get("outputs", []))


def exercises(path):
    return sum("exercise" in cell.get("metadata", {}).get("tags", []) for cell in cells(path))


def is_deep_dive(path):
    return "deep dive" in text(cells(path)[0]).splitlines()[0].lower()


def study_minutes(path):
    "A rough study time: prose at 120 words a minute, 10 minutes an exercise, 15 for the cells."
    return round((words(path) / 120 + 10 * exercises(path) + 15) / 15) * 15


def notebooks():
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def main():
    print(f"{'notebook':48} {'part':9} {'words':>6} {'figures':>7} {'exercises':>9} {'study':>6}")
    for part in (False, True):
        for p in (p for p in notebooks() if is_deep_dive(p) == part):
            print(f"{p.name:48} {'deep dive' if part else 'core':9} {words(p):6} {figures(p):7} "
                  f"{exercises(p):9} {study_minutes(p) / 60:5.2g}h")
    core = [p for p in notebooks() if not is_deep_dive(p)]
    print(f"core path: {sum(map(words, core))} words, "
          f"{sum(map(study_minutes, core)) / 60:.3g} hours of study")


if __name__ == "__main__":
    sys.exit(main())
