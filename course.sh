#!/usr/bin/env bash
# One entry point for the course. On first use it makes .venv/ inside the repository and installs
# requirements.txt into it; later runs reuse it (it reinstalls only when requirements.txt changes).
#   ./course.sh lab    open the course in JupyterLab (extra arguments go to `jupyter lab`)
#   ./course.sh test   run ruff, then every test: unit tests, then every notebook under nbval
#   ./course.sh setup  only make the environments
# .venv/ is made with the newest supported Python found (python3.13, python3.12, python3.11,
# python3), or with PYTHON=/path/to/python if set; an existing .venv/ is kept.
# `setup` and `test` also make .venv-colab/ for tests/test_explorers_colab.py: Colab's ipywidgets
# and IPython (requirements-colab.txt) over .venv/'s packages; COURSE_COLAB_VENV=0 skips it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
PYTHONS="3.13 3.12 3.11"  # the supported Pythons, newest first: pyproject.toml and README agree
RANGE="${PYTHONS##* } to ${PYTHONS%% *}"
VENV=.venv
COLAB_VENV=.venv-colab
FIRST_NOTEBOOK=notebooks/01_dataloader_basics.ipynb

die() { echo "course.sh: $*" >&2; exit 1; }

# Prints a Python's version as 3.N; fails if it does not run (a pyenv shim for a Python that pyenv
# has not activated is on PATH but exits 127, so `command -v` is not enough).
py_version() { "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null; }

supported() { [[ " $PYTHONS " == *" $1 "* ]]; }

pick_python() {
  local py v best="" best_v=""
  if [ -n "${PYTHON:-}" ]; then
    v=$(py_version "$PYTHON") || die "PYTHON=$PYTHON does not run"
    supported "$v" || die "PYTHON=$PYTHON is Python $v; the course supports Python $RANGE"
    echo "$PYTHON"
    return
  fi
  for py in $(printf 'python%s ' $PYTHONS) python3; do
    v=$(py_version "$py") && supported "$v" || continue
    if [ -z "$best" ] || [ "${v#3.}" -gt "${best_v#3.}" ]; then best=$py best_v=$v; fi
  done
  [ -n "$best" ] || die "found no Python $RANGE (tried $(printf 'python%s, ' $PYTHONS)python3)." \
    "Install one, or set PYTHON=/path/to/python3.N"
  echo "$best"
}

setup() {
  local want have="" v python
  if [ -e "$VENV/bin/python" ] || [ -L "$VENV/bin/python" ]; then
    v=$(py_version "$VENV/bin/python") ||
      die "$VENV/bin/python does not run (was its Python removed?): rm -rf $VENV and run again"
    supported "$v" || die "$VENV/ was made with Python $v; the course supports Python $RANGE:" \
      "rm -rf $VENV and run again (PYTHON=/path/to/python3.N picks the Python)"
    if [ -n "${PYTHON:-}" ] && [ "$(py_version "$PYTHON" || true)" != "$v" ]; then
      echo "course.sh: keeping $VENV/ (Python $v); PYTHON=$PYTHON applies when it is made anew" \
        "(rm -rf $VENV)" >&2
    fi
  fi
  want=$(cat requirements.txt pyproject.toml | sha256sum | cut -d" " -f1)  # what the install reads
  [ -f "$VENV/.requirements.sha256" ] && have=$(cat "$VENV/.requirements.sha256")
  if [ "$want" = "$have" ]; then
    return
  fi
  if [ ! -x "$VENV/bin/python" ]; then
    python=$(pick_python)
    echo "course.sh: making $VENV/ with $python (Python $(py_version "$python"))"
    "$python" -m venv "$VENV" || { rm -rf "$VENV"; die "$python -m venv failed (see above)"; }
  fi
  echo "course.sh: installing the course environment into $VENV/" \
    "(first time: ~6 GB, several minutes)"
  "$VENV/bin/python" -m pip install --quiet -r requirements.txt
  # Lets this environment's notebooks, tests and kernels `import utils` from the repository root.
  "$VENV/bin/python" -m pip install --quiet --no-deps --no-build-isolation -e .
  echo "$want" > "$VENV/.requirements.sha256"
}

setup_colab() {
  local want have="" purelib site main
  [ "${COURSE_COLAB_VENV:-1}" = 0 ] && return  # then tests/test_explorers_colab.py is skipped
  want=$(cat requirements-colab.txt "$VENV/.requirements.sha256" | sha256sum | cut -d" " -f1)
  [ -f "$COLAB_VENV/.requirements.sha256" ] && have=$(cat "$COLAB_VENV/.requirements.sha256")
  if [ "$want" = "$have" ]; then
    return
  fi
  echo "course.sh: installing Colab's ipywidgets and IPython into $COLAB_VENV/ (10 MB)"
  rm -rf "$COLAB_VENV"
  "$VENV/bin/python" -m venv --without-pip "$COLAB_VENV"  # .venv/'s Python
  "$VENV/bin/python" -m pip --python "$COLAB_VENV/bin/python" install --quiet --no-deps \
    -r requirements-colab.txt
  purelib='import sysconfig; print(sysconfig.get_path("purelib"))'
  site=$("$COLAB_VENV/bin/python" -c "$purelib")
  main=$("$VENV/bin/python" -c "$purelib")
  # .venv/'s packages (and their .pth files) come after its own, so its own versions win.
  echo "import site; site.addsitedir('$main')" > "$site/course-venv.pth"
  echo "$want" > "$COLAB_VENV/.requirements.sha256"
}

case "${1:-}" in
  setup) setup; setup_colab ;;
  lab)   setup; shift
         # It serves this folder (the working directory). The URLs it prints (and the page it opens
         # in a browser) land on notebook 01. The settings in jupyter/settings/overrides.json (no
         # news prompt) apply to this lab only.
         args=("--LabApp.default_url=/lab/tree/$FIRST_NOTEBOOK"
               "--LabApp.app_settings_dir=$PWD/jupyter/settings")
         [ "$(id -u)" = 0 ] && args+=(--allow-root)  # containers and Colab-like boxes run as root
         echo "course.sh: starting JupyterLab; the URL it prints below opens $FIRST_NOTEBOOK"
         exec "$VENV/bin/jupyter" lab "${args[@]}" "$@" ;;
  # The saved outputs are the CPU's: tests run there even on a machine with a GPU.
  test)  setup; setup_colab; shift
         # ruff first (seconds): every .py file and the notebooks' code, by pyproject.toml's rules
         "$VENV/bin/ruff" check --quiet . || die "ruff found the problems above (ruff check --fix" \
           "repairs some)"
         COURSE_DEVICE=cpu exec "$VENV/bin/python" -m pytest "$@" ;;
  *) echo "usage: ./course.sh lab [jupyter lab args] | test [pytest args] | setup" >&2; exit 2 ;;
esac
