#!/usr/bin/env bash
# Re-runs notebooks under strict nbval once per CPU setting that another machine would pick:
# PyTorch's kernel level (ATEN_CPU_CAPABILITY), MKL's reproducible mode (MKL_CBWR) and the thread
# count (OMP_NUM_THREADS). A saved output that changes under one of them is a knife edge.
#   tools/cpu_matrix.sh                       every setting, every notebook and solution
#   tools/cpu_matrix.sh notebooks/08_*.ipynb  every setting, those notebooks only
#   SETTINGS="ATEN_CPU_CAPABILITY=default,OMP_NUM_THREADS=1" tools/cpu_matrix.sh
# SETTINGS is a space-separated list; commas join variables into one setting. It prints one line
# per setting (pytest's counts and the cells that differ) and exits non-zero if any setting failed.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=${PY:-.venv/bin/python}
[ -x "$PY" ] || { echo "cpu_matrix: $PY not found: run ./course.sh setup first" >&2; exit 2; }
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(notebooks)
if [ -z "${SETTINGS:-}" ]; then
  SETTINGS="ATEN_CPU_CAPABILITY=default ATEN_CPU_CAPABILITY=avx2"
  grep -qw avx512f /proc/cpuinfo 2>/dev/null && SETTINGS+=" ATEN_CPU_CAPABILITY=avx512"
  SETTINGS+=" MKL_CBWR=COMPATIBLE OMP_NUM_THREADS=1 OMP_NUM_THREADS=2"
fi
logs=$(mktemp -d)
echo "cpu_matrix: logs in $logs"
status=0
for setting in $SETTINGS; do
  log="$logs/${setting//[^A-Za-z0-9_=]/_}.log"
  # shellcheck disable=SC2086  # the commas become separate VAR=value words for env
  env ${setting//,/ } COURSE_DEVICE=cpu "$PY" -m pytest -q -p no:cacheprovider "${targets[@]}" \
    >"$log" 2>&1
  rc=$?
  [ $rc = 0 ] || status=1
  counts=$(grep -E "[0-9]+ (passed|failed)" "$log" | tail -n 1 | sed "s/\x1b\[[0-9;]*m//g; s/=//g")
  failed=$(sed -n 's/^FAILED \([^ ]*\)::Cell \([0-9]*\).*/\1 cell \2;/p' "$log" | tr '\n' ' ')
  printf '%-44s %s %s\n' "$setting" "${counts:-no summary (see $log)}" "${failed}"
  # What differed, as pytest printed it, so a CI log shows the knife edge itself.
  [ $rc = 0 ] || sed -n '/^=* FAILURES =*$/,/^=* short test summary/p' "$log" | head -n 200
done
exit $status
