"""List the notebook cells whose saved outputs nbval does not compare.

nbval re-runs every notebook and compares each saved output, except in cells tagged
`nbval-ignore-output` (run, output not compared: timings, hardware, widgets, progress bars) or
`nbval-skip` (not run at all). The older `# NBVAL_IGNORE_OUTPUT` / `# NBVAL_SKIP` comments count
too, so a leftover one shows up here.

    python tools/uncompared.py                      # notebooks/ and notebooks/solutions/
    python tools/uncompared.py notebooks/07_*.ipynb

prints one line per cell: notebook, cell number (0-based, as the tests count), why, first code line.
"""
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TAGS = {"nbval-ignore-output": "output not compared", "nbval-skip": "not run"}
COMMENTS = {"# NBVAL_IGNORE_OUTPUT": "output not compared (comment)",
            "# NBVAL_SKIP": "not run (comment)"}


def _source(cell):
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def uncompared(nb):
    "`(cell index, reason, first code line)` for each code cell of `nb` that nbval won't compare."
    found = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        lines = _source(cell).splitlines()
        tags = cell.get("metadata", {}).get("tags", [])
        reasons = [why for tag, why in TAGS.items() if tag in tags]
        reasons += [why for mark, why in COMMENTS.items()
                    if any(line.strip() == mark for line in lines)]
        if reasons:
            code = [line for line in lines if line.strip() and line.strip() not in COMMENTS]
            found.append((i, "; ".join(reasons), code[0] if code else ""))
    return found


def notebooks(args):
    "The notebooks named by `args` (files or folders); by default the course's and their solutions."
    defaults = [ROOT / "notebooks", ROOT / "notebooks" / "solutions"]
    for target in [Path(a) for a in args] or [d for d in defaults if d.is_dir()]:
        if target.is_dir():
            yield from sorted(target.glob("*.ipynb"))
        elif target.is_file():
            yield target
        else:
            raise SystemExit(f"uncompared.py: no notebook or folder {target}")


def main(args):
    total, files = 0, 0
    for path in notebooks(args):
        cells = uncompared(json.loads(path.read_text()))
        files += bool(cells)
        for i, why, first in cells:
            shown = first if len(first) <= 60 else first[:59] + "…"
            print(f"{path.name}  cell {i}  {why}: {shown}")
        total += len(cells)
    print(f"{total} uncompared cell{'s' * (total != 1)} in {files} notebook{'s' * (files != 1)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
