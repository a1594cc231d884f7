"""Write the PyTorch code of a section of *Dive into Deep Learning* as one Python script.

The scripts under tests/books/en and tests/books/zh were made with this from the books' own
sources (d2l-ai/d2l-en and d2l-ai/d2l-zh on GitHub, code under MIT-0), so that the tests run
exactly the code a reader runs:

    python tests/books/extract.py path/to/d2l-en/chapter_x/section.md > tests/books/en/section.py

A code cell belongs to PyTorch when its first line names the tab: `%%tab pytorch` or
`%%tab all` (d2l-en), `#@tab pytorch` or `#@tab all` (d2l-zh); a cell that names no tab is the
default tab's (MXNet) and is left out. Notebook magics (`%matplotlib inline`) are dropped.
"""

import re
import sys

CELL = re.compile(r"```\{\.python \.input[^}]*\}\n(.*?)```", re.S)


def tabs_of(cell):
    first = cell.split("\n", 1)[0].strip()
    for marker in ("%%tab", "#@tab"):
        if first.startswith(marker):
            return {name.strip() for name in first[len(marker):].split(",")}
    return None


TAB_IF = re.compile(r"^(\s*)if (tab\.selected\(.*\)):\s*$")
ELSE = re.compile(r"^(\s*)else:\s*$")


def indent_of(line):
    return len(line) - len(line.lstrip())


def resolve_tab_blocks(lines):
    """Keep the body of `if tab.selected('pytorch', ...):` (dedented), drop other tabs' bodies
    (an `else:` after one gets the opposite choice), as the book's pages show the PyTorch tab."""
    out, i = [], 0
    while i < len(lines):
        match = TAB_IF.match(lines[i])
        if not match:
            out.append(lines[i])
            i += 1
            continue
        indent = len(match.group(1))
        keep = "pytorch" in re.findall(r"'([^']*)'", match.group(2))
        while True:
            body, i = [], i + 1
            while i < len(lines) and (not lines[i].strip() or indent_of(lines[i]) > indent):
                body.append(lines[i])
                i += 1
            if keep:
                out.extend(line[4:] if line.strip() else line for line in resolve_tab_blocks(body))
            else_match = ELSE.match(lines[i]) if i < len(lines) else None
            if not (else_match and len(else_match.group(1)) == indent):
                break
            keep = not keep
    return out


def pytorch_code(markdown):
    cells = []
    for cell in CELL.findall(markdown):
        tabs = tabs_of(cell)
        if tabs is None or not ({"pytorch", "all"} & tabs):
            continue
        lines = [line for line in resolve_tab_blocks(cell.split("\n")[1:])
                 if not line.lstrip().startswith(("%", "!"))]
        cells.append("\n".join(lines).strip("\n"))
    return "\n\n".join(cell for cell in cells if cell.strip()) + "\n"


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as file:
        sys.stdout.write(pytorch_code(file.read()))
