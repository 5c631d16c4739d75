"""The code follows the course: what lives in which module, imports that point back, no stray noqa.

utils.py holds what the core path (01-07) derives and reuses; each deep dive's apparatus has a
module named for its subject. Every section banner names the notebook that first uses its helpers.
"""
import ast
import json
import re
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODULES = ["utils", "sweeps", "explorers", "noise", "hardware", "ddp"]  # in the order they serve
BANNER = re.compile(r"^# -+ (?:notebook|deep dive) (\d\d)\b", re.M)
UTILS_LINES = 350
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def cell_trees(path):
    "The parsed code cells of a notebook (a cell that is not plain Python is left out)."
    trees = []
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] == "code":
            try:
                trees.append(ast.parse("".join(cell["source"])))
            except SyntaxError:
                pass
    return trees


def names_used(trees):
    "{(module, name)} that the code takes from the course's modules: imported, or as module.name."
    found = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module in MODULES:
                found |= {(node.module, a.name) for a in node.names}
            elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                  and node.value.id in MODULES):
                found.add((node.value.id, node.attr))
    return found


@lru_cache(maxsize=None)
def lesson_uses():
    return {int(p.name[:2]): names_used(cell_trees(p)) for p in LESSONS}


def public_defs(module):
    "(name, line) of the module's public top-level functions and classes."
    tree = ast.parse((ROOT / f"{module}.py").read_text())
    return [(n.name, n.lineno) for n in tree.body
            if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and not n.name.startswith("_")]


def callers(module, name):
    "The module's public helpers whose code calls `name`."
    tree = ast.parse((ROOT / f"{module}.py").read_text())
    return [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))
            and not n.name.startswith("_") and n.name != name
            and any(isinstance(x, ast.Name) and x.id == name for x in ast.walk(n))]


def first_lesson(module, name, seen=()):
    "The first lesson that uses `module.name`, itself or through a helper of its module."
    direct = [n for n, used in lesson_uses().items() if (module, name) in used]
    indirect = [first_lesson(module, c, seen + (name,)) for c in callers(module, name)
                if c not in seen]
    return min(direct + [n for n in indirect if n is not None], default=None)


def used_by_the_explorers(module, name):
    return (module, name) in names_used([ast.parse((ROOT / "explorers.py").read_text())])


def banners(module):
    "(line, notebook) of each section banner of `module`."
    text = (ROOT / f"{module}.py").read_text()
    return [(text[:m.start()].count("\n") + 1, int(m.group(1))) for m in BANNER.finditer(text)]


def test_utils_reads_in_ten_minutes():
    n = len((ROOT / "utils.py").read_text().splitlines())
    assert n <= UTILS_LINES, f"utils.py has {n} lines (at most {UTILS_LINES})"


@pytest.mark.parametrize("module", [m for m in MODULES if m != "explorers"])
def test_each_helper_sits_under_the_notebook_that_first_uses_it(module):
    sections = banners(module)
    assert sections, f"{module}.py has no section banner naming a notebook"
    for name, line in public_defs(module):
        first = first_lesson(module, name)
        if first is None and used_by_the_explorers(module, name):
            first = 6  # the explorers are notebook 06's
        assert first is not None, (f"{module}.{name} is used by no notebook: make it private "
                                   f"or drop it")
        under = [nb for at, nb in sections if at < line]
        assert under and under[-1] == first, (
            f"{module}.{name} is first used in notebook {first:02d}, but sits under the banner of "
            f"notebook {under[-1] if under else None}")


def test_the_layout_check_finds_a_helper_under_the_wrong_banner():
    assert first_lesson("utils", "set_seed") == 1
    assert first_lesson("utils", "synchronize") == 7  # through time_it, which notebook 07 uses
    assert first_lesson("utils", "no_such_helper") is None


def module_notebook(module):
    "The first notebook a module serves: its first banner's, or 06 for the explorers."
    return 6 if module == "explorers" else banners(module)[0][1]


def imported_modules(source):
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found & set(MODULES)


@pytest.mark.parametrize("module", MODULES)
def test_a_module_imports_only_modules_of_earlier_notebooks(module):
    mine = module_notebook(module)
    for other in imported_modules((ROOT / f"{module}.py").read_text()):
        assert module_notebook(other) <= mine, (
            f"{module}.py (notebook {mine:02d}) imports {other}.py, which serves notebook "
            f"{module_notebook(other):02d}, later: imports point back")


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_a_notebook_imports_only_modules_of_its_own_or_earlier_notebooks(path):
    number = int(path.name[:2])
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] != "code":
            continue
        try:
            found = imported_modules("".join(cell["source"]))
        except SyntaxError:
            continue
        for module in found:
            assert module_notebook(module) <= number, (
                f"{path.name} imports {module}.py, which first serves notebook "
                f"{module_notebook(module):02d}")


def test_a_moved_name_says_where_it_went():
    import utils
    with pytest.raises(ImportError, match=r"LinearStack moved from utils to sweeps\.py"):
        from utils import LinearStack  # noqa: F401  (the import is what is tested)
    for name, module in utils.MOVED.items():
        assert name in dict(public_defs(module)), f"utils.MOVED sends {name} to {module}.py"
    assert not hasattr(utils, "no_such_name")


NOQA = re.compile(r"#\s*noqa\b(?::\s*[A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*)?(.*)$")


def noqa_without_reason(path):
    lines = path.read_text().splitlines()
    return [i + 1 for i, line in enumerate(lines)
            if (m := NOQA.search(line)) and not m.group(1).strip()
            and not (i and lines[i - 1].lstrip().startswith("#"))]


@pytest.mark.parametrize("path", sorted(p for p in ROOT.rglob("*.py")
                                        if not any(part.startswith(".") for part in p.parts)
                                        and "data" not in p.relative_to(ROOT).parts),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_every_noqa_says_why(path):
    assert noqa_without_reason(path) == [], (
        f"{path.name}: a `# noqa` needs a reason beside it (or in a comment on the line above)")
