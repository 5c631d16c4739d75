"""Which Python course.sh makes .venv/ with: run on a copy of it, with stub Pythons on PATH.

Each stub logs how it was called, prints the version it is given when asked, and `-m venv DIR`
copies it to DIR/bin/python, so `./course.sh setup` runs through without installing anything."""
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

STUB = """#!/bin/sh
echo "$0 $*" >> "$STUB_LOG"
case "$1" in
  -c) echo {version} ;;
  -m) if [ "$2" = venv ]; then mkdir -p "$3/bin" && cp "$0" "$3/bin/python"; fi ;;
esac
"""
# What a pyenv shim prints and returns for a Python that pyenv has not activated.
MISSING = """#!/bin/sh
echo "pyenv: $(basename "$0"): command not found" >&2
exit 127
"""
NAMES = ["python3.13", "python3.12", "python3.11", "python3"]


def write_stub(path, version):
    "`version`: what it prints; None: it fails like a shim; a script (#!...): that script."
    path.parent.mkdir(parents=True, exist_ok=True)
    if version is None:
        path.write_text(MISSING)
    else:
        path.write_text(version if version.startswith("#!") else STUB.format(version=version))
    path.chmod(0o755)


@pytest.fixture
def course(tmp_path):
    "A copy of what course.sh reads, and `run(pythons, **env)` to run its setup there."
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ["course.sh", "requirements.txt", "pyproject.toml"]:
        shutil.copy(ROOT / name, repo / name)
    log = tmp_path / "log"

    def run(pythons, **env):
        "`pythons`: name -> version on PATH; every other name in NAMES fails like a pyenv shim."
        stubs = tmp_path / "bin"
        for name in NAMES:
            write_stub(stubs / name, None)
        for name, v in pythons.items():
            write_stub(stubs / name, v)
        log.write_text("")
        env = {"PATH": f"{stubs}:/usr/bin:/bin", "STUB_LOG": str(log), "HOME": str(tmp_path),
               "COURSE_COLAB_VENV": "0", **env}  # .venv-colab/ needs a real .venv/
        done = subprocess.run([str(repo / "course.sh"), "setup"], env=env, capture_output=True,
                              text=True, timeout=60)
        calls = [line.replace(f"{stubs}/", "") for line in log.read_text().splitlines()]
        return done, [c for c in calls if " -c " not in c]  # leave out the version queries

    run.repo = repo
    return run


def made_with(calls):
    return [c.split()[0] for c in calls if " -m venv " in c]


@pytest.mark.parametrize("pythons, expected", [
    ({"python3.12": "3.12", "python3.11": "3.11", "python3": "3.11"}, "python3.12"),
    ({"python3.13": "3.13", "python3.12": "3.12", "python3": "3.13"}, "python3.13"),
    ({"python3": "3.12"}, "python3"),
    ({"python3.11": "3.11", "python3": "3.13"}, "python3"),  # the newest, whatever its name
    ({"python3.12": "3.12", "python3": "3.14"}, "python3.12"),  # python3 too new
    ({"python3.11": "3.11", "python3": "3.10"}, "python3.11"),  # python3 too old
], ids=["no-3.13", "3.13", "only-python3", "python3-newest", "python3-too-new", "python3-too-old"])
def test_setup_makes_the_venv_with_the_newest_supported_python(course, pythons, expected):
    done, calls = course(pythons)
    assert done.returncode == 0, done.stderr
    assert made_with(calls) == [expected]
    assert f"making .venv/ with {expected} (Python {pythons[expected]})" in done.stdout
    assert ".venv/bin/python -m pip install --quiet -r requirements.txt" in calls
    assert (course.repo / ".venv" / ".requirements.sha256").is_file()


@pytest.mark.parametrize("pythons", [{}, {"python3": "3.10"}, {"python3": "3.14"}],
                         ids=["none-runs", "too-old", "too-new"])
def test_setup_without_a_supported_python_says_so(course, pythons):
    done, calls = course(pythons)
    assert done.returncode == 1
    assert "course.sh: found no Python 3.11 to 3.13" in done.stderr
    assert "PYTHON=/path/to/python3.N" in done.stderr
    assert calls == [] and not (course.repo / ".venv").exists()


def test_python_overrides_the_choice(course, tmp_path):
    write_stub(tmp_path / "other" / "py", "3.11")
    done, calls = course({"python3.13": "3.13"}, PYTHON=str(tmp_path / "other" / "py"))
    assert done.returncode == 0, done.stderr
    assert made_with(calls) == [str(tmp_path / "other" / "py")]


@pytest.mark.parametrize("version, message", [
    ("3.10", "is Python 3.10; the course supports Python 3.11 to 3.13"),
    (None, "does not run"),
])
def test_an_unsupported_python_override_is_refused(course, tmp_path, version, message):
    write_stub(tmp_path / "other" / "py", version)
    done, calls = course({"python3.13": "3.13"}, PYTHON=str(tmp_path / "other" / "py"))
    assert done.returncode == 1
    assert f"course.sh: PYTHON={tmp_path / 'other' / 'py'} {message}" in done.stderr
    assert calls == [] and not (course.repo / ".venv").exists()


def test_an_existing_venv_of_a_supported_python_is_kept(course):
    "A newer Python appearing later does not rebuild .venv/; a changed requirements.txt reinstalls."
    write_stub(course.repo / ".venv" / "bin" / "python", "3.11")
    done, calls = course({"python3.13": "3.13"})
    assert done.returncode == 0, done.stderr
    assert made_with(calls) == []
    assert calls[0] == ".venv/bin/python -m pip install --quiet -r requirements.txt"
    done, calls = course({"python3.13": "3.13"})  # up to date now: nothing to do
    assert done.returncode == 0 and calls == []


def test_an_existing_venv_is_kept_over_python_with_a_note(course, tmp_path):
    write_stub(course.repo / ".venv" / "bin" / "python", "3.11")
    write_stub(tmp_path / "other" / "py", "3.13")
    done, calls = course({}, PYTHON=str(tmp_path / "other" / "py"))
    assert done.returncode == 0, done.stderr
    assert made_with(calls) == []
    assert "course.sh: keeping .venv/ (Python 3.11)" in done.stderr


@pytest.mark.parametrize("version, message", [
    ("3.10",
     "course.sh: .venv/ was made with Python 3.10; the course supports Python 3.11 to 3.13"),
    (None, "course.sh: .venv/bin/python does not run"),
])
def test_an_existing_venv_of_an_unsupported_python_is_refused(course, version, message):
    write_stub(course.repo / ".venv" / "bin" / "python", version)
    done, calls = course({"python3.13": "3.13"})
    assert done.returncode == 1
    assert message in done.stderr and "rm -rf .venv" in done.stderr
    assert calls == []


def test_a_failed_venv_leaves_no_half_made_venv(course):
    "As Debian's python3 without python3-venv: `-m venv` makes the folder, then fails."
    failing = STUB.format(version="3.13").replace("/bin/python\"; fi", "/bin/python\"; exit 1; fi")
    assert failing != STUB.format(version="3.13")
    done, calls = course({"python3": failing})
    assert done.returncode == 1
    assert "course.sh: python3 -m venv failed" in done.stderr
    assert made_with(calls) == ["python3"] and not (course.repo / ".venv").exists()
