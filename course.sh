#!/usr/bin/env bash
# One entry point for the course. On first use it makes .venv/ inside the repository and installs
# requirements.txt into it; later runs reuse it (it reinstalls only when requirements.txt changes).
#   ./course.sh lab    open the course in JupyterLab
#   ./course.sh test   run every test: unit tests, then every notebook under nbval
#   ./course.sh setup  only make the environment
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
PYTHON=${PYTHON:-python3.11}
VENV=.venv

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

case "${1:-}" in
  setup) setup ;;
  lab)   setup
         args=()
         [ "$(id -u)" = 0 ] && args+=(--allow-root)  # containers and Colab-like boxes run as root
         exec "$VENV/bin/jupyter" lab "${args[@]}" --ServerApp.root_dir=. notebooks/01_dataloader_basics.ipynb ;;
  # The saved outputs are the CPU's: tests run there even on a machine with a GPU.
  test)  setup; shift; COURSE_DEVICE=cpu exec "$VENV/bin/python" -m pytest "$@" ;;
  *) echo "usage: ./course.sh lab | test [pytest args] | setup" >&2; exit 2 ;;
esac
