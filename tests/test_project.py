"""The project's own promises: one source of versions, the README's commands, CI runs the tests."""
import re
import tomllib
from importlib.metadata import version
from pathlib import Path

from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parent.parent


def pins():
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    return dict(line.split("==") for line in lines if line.strip() and not line.startswith("#"))


def test_every_requirement_is_pinned_and_installed_at_that_version():
    assert ({"torch", "torchvision", "fastai", "jupyterlab", "nbval", "matplotlib", "pytest"}
            <= set(pins()))
    for name, pinned in pins().items():
        assert version(name) == pinned, (f"{name}: installed {version(name)}, "
                                        f"requirements.txt pins {pinned}")


def test_environment_yml_installs_requirements_txt_and_writes_no_version():
    env = (ROOT / "environment.yml").read_text()
    assert "- -r requirements.txt" in env
    without_python = re.sub(r"(?m)^  - python[<>=].*$", "", env)  # its range: tested below
    assert not re.search(r"==|>=|<=", without_python)
    assert not any(name in env for name in pins())


CHROMIUM_INSTALL = [  # the one other thing CI does: install Debian's Chromium for the browser test
    'if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ]; then',
    "  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium"
    " >/dev/null",
    "fi",
]


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "./course.sh lab" in readme and "./course.sh test" in readme
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
          if line and not line.startswith(("#", "set ", "cd ", "export "))]
    cpu_pass = 'SETTINGS="ATEN_CPU_CAPABILITY=default,OMP_NUM_THREADS=1" tools/cpu_matrix.sh'
    assert ci == CHROMIUM_INSTALL + ["./course.sh test", cpu_pass]


def test_ci_runs_the_browser_test_rather_than_skip_it():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "export COURSE_BROWSER_TEST=required" in ci
    assert "COURSE_BROWSER_TEST" in (ROOT / "tests" / "test_browser.py").read_text()


def test_readme_maps_every_notebook():
    readme = (ROOT / "README.md").read_text()
    for nb in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        assert f"(notebooks/{nb.name})" in readme, f"README's course map misses {nb.name}"


def supported(spec):
    "The Python 3 minor versions (as '3.N') that a version specifier such as '>=3.11,<3.14' allows."
    return [f"3.{n}" for n in range(30) if f"3.{n}" in SpecifierSet(spec)]


def test_one_python_range_everywhere():
    "pyproject.toml, environment.yml, course.sh and the README support the same Pythons."
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    pythons = supported(pyproject["project"]["requires-python"])
    assert pythons, "requires-python allows no Python 3"
    env = re.findall(r"(?m)^  - python([<>=].*)$", (ROOT / "environment.yml").read_text())
    assert len(env) == 1 and supported(env[0]) == pythons
    course_sh = re.findall(r'(?m)^PYTHONS="([\d. ]+)"', (ROOT / "course.sh").read_text())
    assert len(course_sh) == 1 and course_sh[0].split() == pythons[::-1]  # newest first
    readme = (ROOT / "README.md").read_text()
    ranges = re.findall(r"Python (3\.\d+)–(3\.\d+)", readme)
    assert ranges and set(ranges) == {(pythons[0], pythons[-1])}
    named = re.findall(r"Python (3\.\d+)", readme) + re.findall(r"python(3\.\d+)", readme)
    assert set(named) <= set(pythons), "the README names a Python the course does not support"
