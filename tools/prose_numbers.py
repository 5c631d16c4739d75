"""Every number the prose quotes must be printed by the same notebook, so prose cannot go stale.

A number here is one with a decimal point (0.9673, 1.5) or of three or more digits (784, 12,396).
Each one in a markdown cell must appear among the numbers that the notebook's saved outputs print
(thousands separators and signs ignored; 0.97 matches a printed 0.9700). Exempt, because they are
not claims about this run:
- quotations from outside (the book, a paper), marked by one convention: a blockquote line
  (starting with `>`) or an inline `<q>...</q>`;
- code (inside `backticks` or a fenced block), links' URLs, HTML attributes, and a year in a
  citation such as "Goyal et al. (2017)".

`python tools/prose_numbers.py notebooks/*.ipynb` lists the numbers no output backs.
"""
import json
import re
import sys
from pathlib import Path

NUMBER = re.compile(r"(?<![\w.])(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+|\d{3,})(?![\w])")
EXEMPT = [
    re.compile(r"^[ \t]*>.*$", re.M),                       # blockquote: a quotation
    re.compile(r"<q>.*?</q>", re.S),                         # inline quotation
    re.compile(r"```.*?```", re.S),                          # fenced code
    re.compile(r"`[^`\n]*`"),                                # inline code
    re.compile(r"\]\([^)]*\)"),                              # a link's URL
    re.compile(r"https?://\S+"),                             # a bare URL
    re.compile(r"<[a-zA-Z][^>]*>"),                          # an HTML tag and its attributes
    re.compile(r"et al\.?,?\s*\(?(?:19|20)\d\d[a-z]?\)?"),  # a citation's year
    re.compile(r"\((?:19|20)\d\d[a-z]?\)"),                  # "(2018)" after a name
]


def _text(output):
    if "text" in output:
        t = output["text"]
    else:
        t = output.get("data", {}).get("text/plain", "")
    return "".join(t) if isinstance(t, list) else str(t)


def _value(token):
    return float(token.replace(",", ""))


def printed_numbers(nb):
    "Every number printed in the notebook's saved outputs, as floats."
    found = set()
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            for token in re.findall(r"\d[\d,]*(?:\.\d+)?", _text(out)):
                try:
                    found.add(_value(token.strip(",")))
                except ValueError:
                    pass
    return found


def prose_numbers(markdown):
    "The numbers a markdown text quotes as claims (quotations, code and citations removed)."
    for pattern in EXEMPT:
        markdown = pattern.sub(" ", markdown)
    return NUMBER.findall(markdown)


def unbacked(nb):
    "[(cell index, number)] for every prose number that no output of the notebook prints."
    printed = printed_numbers(nb)
    missing = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for token in prose_numbers(source):
            if _value(token) not in printed:
                missing.append((i, token))
    return missing


def main(paths):
    bad = 0
    for path in paths:
        for i, token in unbacked(json.loads(Path(path).read_text())):
            print(f"{Path(path).name}: markdown cell {i} quotes {token}, which no output prints")
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
