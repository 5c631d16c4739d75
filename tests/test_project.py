"""The project's own promises: one source of versions, the README's commands, CI runs the tests."""
import re
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def pins():
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    return dict(l.split("==") for l in lines if l.strip() and not l.startswith("#"))


def test_every_requirement_is_pinned_and_installed_at_that_version():
    assert ({"torch", "torchvision", "fastai", "jupyterlab", "nbval", "matplotlib", "pytest"}
            <= set(pins()))
    for name, pinned in pins().items():
        assert version(name) == pinned, (f"{name}: installed {version(name)}, "
                                        f"requirements.txt pins {pinned}")


def test_environment_yml_installs_requirements_txt_and_writes_no_version():
    env = (ROOT / "environment.yml").read_text()
    assert "- -r requirements.txt" in env
    assert "python=3.11" in env
    assert not re.search(r"==|>=|<=", env)
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
    ci = [l for l in (ROOT / ".ci" / "run").read_text().splitlines()
          if l and not l.startswith(("#", "set ", "cd ", "export "))]
    assert ci == CHROMIUM_INSTALL + ["./course.sh test"]


def test_ci_runs_the_browser_test_rather_than_skip_it():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "export COURSE_BROWSER_TEST=required" in ci
    assert "COURSE_BROWSER_TEST" in (ROOT / "tests" / "test_browser.py").read_text()


def test_readme_maps_every_notebook():
    readme = (ROOT / "README.md").read_text()
    for nb in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        assert f"(notebooks/{nb.name})" in readme, f"README's course map misses {nb.name}"


def test_one_python_version_everywhere():
    "README, pyproject.toml, environment.yml and course.sh name the same Python: 3.11."
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'requires-python = "~=3\.11\.0"', pyproject)
    assert "python=3.11" in (ROOT / "environment.yml").read_text()
    assert "PYTHON=${PYTHON:-python3.11}" in (ROOT / "course.sh").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "Python 3.11" in readme and not re.search(r"Python 3\.(?!11)\d+", readme)
