#!/usr/bin/env bash
# Runs a command while N processes (default: one per CPU core) spin on the CPU, and stops them after,
# even when the command fails or is interrupted: how the browser test is checked on a loaded machine.
#   tools/under_load.sh [N] -- ./course.sh test tests/test_browser.py -n 0 -s
set -euo pipefail
n=$(nproc)
if [ "${1:-}" != "--" ] && [ $# -gt 0 ]; then n=$1; shift; fi
[ "${1:-}" = "--" ] && shift
[ $# -gt 0 ] || { echo "usage: tools/under_load.sh [N] -- command [args]" >&2; exit 2; }
pids=()
trap '[ ${#pids[@]} -eq 0 ] || kill "${pids[@]}" 2>/dev/null || true' EXIT
for _ in $(seq "$n"); do
  python3 -c 'while True: pass' &
  pids+=($!)
done
echo "under_load: $n spinning processes (${pids[*]}) while: $*" >&2
"$@"
