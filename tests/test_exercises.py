"""The exercise machinery: learner notebooks match their solutions, stubs never pass, progress()."""
import math
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch

import checks

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import exercises  # noqa: E402  (tools/ is on sys.path only from above)

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
PAIRS = list(exercises.pairs())


def test_every_notebook_has_a_solutions_notebook():
    assert [s.name for s, _ in PAIRS] == [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("sol,learner", PAIRS, ids=lambda p: p.name if isinstance(p, Path) else "")
def test_learner_exercises_are_generated_from_the_solutions(sol, learner):
    nb = nbformat.read(learner, as_version=4)
    start, end = exercises.section(nb, learner)
    expected = exercises.learner_cells(nbformat.read(sol, as_version=4), sol)
    assert exercises.signature(nb.cells[start:end]) == exercises.signature(expected), (
        f"{learner.name} is out of date with solutions/{sol.name}: "
        "run tools/exercises.py, re-execute it")


@pytest.mark.parametrize("sol,learner", PAIRS, ids=lambda p: p.name if isinstance(p, Path) else "")
def test_every_check_of_a_notebook_is_used_in_it_and_every_exercise_has_a_check(sol, learner):
    number = learner.name[:2]
    registered = {name for name, ex in checks.EXERCISES.items() if ex.notebook == number}
    assert 3 <= len(registered) <= 6, f"notebook {number} has {len(registered)} exercises"
    source = "\n".join(c.source for c in nbformat.read(learner, as_version=4).cells
                       if c.cell_type == "code")
    for name in registered:
        assert f"{name}(" in source, f"{learner.name} never calls {name}"
    cells = checks.exercise_cells(learner)
    assert cells and all("raise NotImplementedError()" in c for c in cells)
    assert not any("### BEGIN SOLUTION" in c for c in cells)
    sol_cells = checks.exercise_cells(sol)
    assert all("### BEGIN SOLUTION" in c for c in sol_cells)


def test_stub_marker_becomes_not_implemented_with_its_indentation():
    src = "def f(x):\n    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION\n"
    assert exercises.stub(src) == ("def f(x):\n    # YOUR CODE HERE\n"
                                  "    raise NotImplementedError()\n")


STUBS = {
    "None": lambda *a, **k: None,
    "identity": lambda *a, **k: a[0] if a else None,
    "constant 0": lambda *a, **k: 0,
    "constant 1.0": lambda *a, **k: 1.0,
}


@pytest.mark.parametrize("name", sorted(checks.EXERCISES))
@pytest.mark.parametrize("stub", sorted(STUBS))
def test_no_check_passes_a_stub(name, stub):
    result = checks.evaluate(checks.EXERCISES[name].check, STUBS[stub])
    assert result.status == "wrong", f"{name} gave {result.status} to a stub returning {stub}"
    assert result.message


@pytest.mark.parametrize("name", sorted(checks.EXERCISES))
def test_an_unwritten_stub_is_not_attempted(name):
    def stub(*args, **kwargs):
        raise NotImplementedError()
    assert checks.evaluate(checks.EXERCISES[name].check, stub).status == "not attempted"
    assert checks.evaluate(checks.EXERCISES[name].check, None).status == "not attempted"


def test_progress_reports_committed_stubs_as_not_attempted_and_solutions_as_passed(capsys):
    summary = checks.progress()
    assert set(summary) == {p.name[:2] for p in NOTEBOOKS}
    assert all(s == "not attempted" for per_nb in summary.values() for s in per_nb.values())
    solved = checks.progress(ROOT / "notebooks" / "solutions")
    assert all(s == "passed" for per_nb in solved.values() for s in per_nb.values())
    out = capsys.readouterr().out
    assert "01_dataloader_basics: 0/" in out


def test_progress_names_what_is_wrong_in_a_learners_attempt(tmp_path):
    sol, learner = PAIRS[0]
    nb = nbformat.read(sol, as_version=4)
    first = next(c for c in nb.cells if "exercise" in c.metadata.get("tags", []))
    first.source = exercises.SOLUTION_RE.sub(lambda m: f"{m.group(1)}return 0", first.source)
    nbformat.write(nb, tmp_path / learner.name)
    results = checks.notebook_results(tmp_path / learner.name)
    statuses = [r.status for r in results.values()]
    assert statuses[0] == "wrong" and set(statuses[1:]) == {"passed"}


def test_each_notebook_has_one_module_of_checks_and_registers_only_its_own():
    "checks/nbNN.py holds notebook NN's checks, and every notebook with exercises has its module."
    modules = sorted(p.stem for p in (ROOT / "checks").glob("nb*.py"))
    assert modules == sorted({f"nb{ex.notebook}" for ex in checks.EXERCISES.values()})
    for ex in checks.EXERCISES.values():
        assert ex.check.__module__ == f"checks.nb{ex.notebook}", ex.check.__name__
    with_exercises = {p.name[:2] for p in NOTEBOOKS if checks.exercise_cells(p)}
    assert with_exercises == {ex.notebook for ex in checks.EXERCISES.values()}


# ---------------------------------------------------------------- one number: one rule for all

ONE_NUMBER = [(0.25, 0.25), (3, 3.0), (np.float32(0.25), 0.25), (np.float64(0.25), 0.25),
              (np.int64(3), 3.0), (np.array(0.25), 0.25), (np.array([0.25]), 0.25),
              (torch.tensor(3), 3.0), (torch.tensor([[0.25]]), 0.25),
              (torch.tensor(0.25, requires_grad=True), 0.25)] + [
              (torch.tensor(0.25, dtype=dtype), 0.25)
              for dtype in (torch.float16, torch.bfloat16, torch.float32, torch.float64)]


@pytest.mark.parametrize("value,number", ONE_NUMBER,
                         ids=[checks.describe(v) for v, _ in ONE_NUMBER])
def test_one_number_is_a_python_or_numpy_scalar_or_an_array_or_tensor_of_one_value(value, number):
    got = checks.as_number(value, "your x")
    assert type(got) is float and got == number


def test_nan_is_a_number_too():
    assert math.isnan(checks.as_number(math.nan, "x"))
    assert math.isnan(checks.as_number(torch.tensor(math.nan, dtype=torch.float64), "x"))


@pytest.mark.parametrize("value,words", [
    (True, "your x is True, a bool: True and False are truth values, not numbers"),
    (np.bool_(False), "NumPy's bool False: True and False are truth values"),
    (torch.tensor(True), "a bool tensor of shape (): True and False are truth values"),
    (torch.tensor([0.5, 0.5]), "should be one number, but it is a float32 tensor of shape (2,)"),
    (np.zeros(3), "should be one number, but it is a NumPy array of shape (3,) (float64)"),
    ([0.5], "should be one number, but it is [0.5], a list"),
    ("0.5", "should be a number, but it is '0.5', a str"),
    (None, "should be a number, but it is None"),
    (1j, "should be a number, but it is 1j, a complex"),
    (torch.tensor(1j), "should be a number, but it is a complex64 tensor of shape ()"),
], ids=repr)
def test_what_is_not_one_number_is_named(value, words):
    with pytest.raises(checks.Wrong) as raised:
        checks.as_number(value, "your x")
    assert words in str(raised.value)


@pytest.mark.parametrize("value", [3, np.int64(3), torch.tensor(3),
                                   torch.tensor([3], dtype=torch.int32)], ids=checks.describe)
def test_a_count_is_a_whole_number_of_an_integer_type(value):
    got = checks.as_number(value, "n", whole=True)
    assert type(got) is int and got == 3


@pytest.mark.parametrize("value", [3.0, np.float64(3.0), torch.tensor(3.0)], ids=checks.describe)
def test_a_count_of_a_float_type_is_refused_with_what_to_use(value):
    with pytest.raises(checks.Wrong, match=r"should be a whole number \(an int\); // and math"):
        checks.as_number(value, "n", whole=True)
    with pytest.raises(checks.Wrong, match="truth values"):
        checks.as_number(True, "n", whole=True)


def test_every_check_takes_its_numbers_through_the_one_rule():
    "No module of checks keeps a number helper of its own (there were four, and they differed)."
    import ast
    helpers = [n.name for path in sorted((ROOT / "checks").glob("*.py"))
               for n in ast.parse(path.read_text()).body
               if isinstance(n, ast.FunctionDef) and "number" in n.name]
    assert helpers == ["as_number"]


# ---------------------------------------------------------------- code that raises: which call

def test_code_that_raises_is_named_with_the_call_that_raised():
    def b_simple(G):
        if G.dtype != torch.float64:  # an assert, as pytest leaves it in a learner's notebook
            raise AssertionError("b_simple expects float64")
        return 1.0
    message = checks.evaluate(checks.check_b_simple.exercise.check, b_simple).message
    assert message.startswith("calling b_simple(G: a float32 tensor of shape (4, 2)) raised "
                              "AssertionError: b_simple expects float64 (line "), message
    assert "raise AssertionError(" in message


def test_a_shape_error_names_every_argument_and_the_learners_line():
    def b_noise(G, H):
        return torch.einsum("ij,ij->", G, H)  # torch's own Python code raises, inside einsum
    message = checks.evaluate(checks.check_b_noise.exercise.check, b_noise).message
    assert message.startswith("calling b_noise(G: a float64 tensor of shape (8, 3), H: a float64 "
                              "tensor of shape (3, 3)) raised RuntimeError: "), message
    assert "torch.einsum(" in message


def test_an_exception_without_words_a_method_and_a_loop_are_named_too():
    def pairs(xs, ys):
        raise NotADirectoryError()
    message = checks.evaluate(checks.check_pairs.exercise.check, pairs).message
    assert "calling pairs(xs: [1, 2, 3, 4], ys: 'abcd') raised NotADirectoryError (line" in message

    class SimpleOptim:
        def __init__(self, params, lr):
            self.params = list(params)

        def step(self):
            raise IndexError("no such parameter")

        def zero_grad(self):
            pass
    message = checks.evaluate(checks.check_SimpleOptim.exercise.check, SimpleOptim).message
    assert "calling SimpleOptim.step() raised IndexError: no such parameter" in message

    class ShuffleLoader:
        def __init__(self, x, y, bs, drop_last, generator):
            self.x = x

        def __len__(self):
            return 3 if len(self.x) == 10 else 2

        def __iter__(self):
            yield self.x[[100]]
    message = checks.evaluate(checks.check_ShuffleLoader.exercise.check, ShuffleLoader).message
    assert message.startswith("looping over your loader ShuffleLoader(x: a float32 tensor of "
                              "shape (10, 3), y: an int64 tensor of shape (10, 1), bs: 4, "
                              "drop_last: False, generator) raised IndexError"), message


def test_a_check_still_sees_the_exception_it_asks_for():
    "Naming the call changes no exception: fp_factor's check wants the ValueError itself."
    def fp_factor(n, b):
        if n < 2 or not 1 <= b <= n:
            raise ValueError("b outside 1..n")
        return (n - b) / (n - 1)
    assert checks.evaluate(checks.check_fp_factor.exercise.check, fp_factor).passed
