#!/usr/bin/env bash
# One entry point for the course. On first use it makes .venv/ inside the repository and installs
# requirements.txt into it; later runs reuse it (it reinstalls only when requirements.txt changes).
#   ./course.sh lab    open the course in JupyterLab (extra arguments go to `jupyter lab`)
#   ./course.sh test   run every test: unit tests, then every notebook under nbval
#   ./course.sh setup  only make the environments
# `setup` and `test` also make .venv-colab/ for tests/test_explorers_colab.py: Colab's ipywidgets
# and IPython (requirements-colab.txt) over .venv/'s packages.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
PYTHON=${PYTHON:-python3.11}
VENV=.venv
COLAB_VENV=.venv-colab
FIRST_NOTEBOOK=notebooks/01_dataloader_basics.ipynb

setup() {
  if ! command -v "$PYTHON" >/dev/null; then
    echo "course.sh: $PYTHON not found. Install Python 3.11 (or set PYTHON=/path/to/python3.11)." >&2
    exit 1
  fi
  local want have=""
  want=$(cat requirements.txt pyproject.toml | sha256sum | cut -d" " -f1)  # what the install depends on
  [ -f "$VENV/.requirements.sha256" ] && have=$(cat "$VENV/.requirements.sha256")
  if [ "$want" = "$have" ]; then
    return
  fi
  echo "course.sh: installing the course environment into $VENV/ (first time: ~6 GB, several minutes)"
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet -r requirements.txt
  # Lets every notebook, test and kernel of this environment `import utils` from the repository root.
  "$VENV/bin/python" -m pip install --quiet --no-deps --no-build-isolation -e .
  echo "$want" > "$VENV/.requirements.sha256"
}

setup_colab() {
  local want have="" purelib site main
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
  test)  setup; setup_colab; shift; COURSE_DEVICE=cpu exec "$VENV/bin/python" -m pytest "$@" ;;
  *) echo "usage: ./course.sh lab [jupyter lab args] | test [pytest args] | setup" >&2; exit 2 ;;
esac
