"""Laying out and painting a backward Graph (see graph.py) with plain matplotlib.

The layout is a simple layered one: each box sits on the row of its longest path from an
output (outputs at the bottom, leaves above them), and a few sweeps sort each row by the mean
position of its neighbours, which removes most edge crossings. Boxes are text boxes, edges
are arrows from an input to its consumer, as torchviz draws them. matplotlib is imported
only here, when a drawing is made, and only its Agg renderer is used (no display, no
system binary).
"""

import io
import textwrap

FORMATS = ("png", "svg", "pdf")
COLORS = {"leaf": "lightblue", "node": "lightgrey", "output": "#caff70"}  # torchviz's colours
FONT_SIZE = 9
CHAR_WIDTH = 0.075  # inches per character at FONT_SIZE, roughly
LINE_HEIGHT = 0.19  # inches per text line at FONT_SIZE
WRAP = 36  # longer lines (values of a matrix) are wrapped, to keep the columns narrow


def layers(graph):
    """key -> row: the longest path from an output (0) to the box, along the edges."""
    inputs = graph.inputs()
    consumers_left = {key: 0 for key in graph.boxes}
    for source, _ in graph.edges:
        consumers_left[source] += 1
    row = {key: 0 for key in graph.boxes}
    ready = [key for key, n in consumers_left.items() if n == 0]
    while ready:  # a box's row is final once all its consumers have theirs
        key = ready.pop()
        for source in inputs[key]:
            row[source] = max(row[source], row[key] + 1)
            consumers_left[source] -= 1
            if consumers_left[source] == 0:
                ready.append(source)
    return row


def ordered_rows(graph, row, sweeps=4):
    """The boxes of each row, left to right, sorted by where their neighbours are."""
    rows = [[] for _ in range(max(row.values()) + 1)]
    for key in graph.boxes:  # the walk's order to start with: inputs in argument order
        rows[row[key]].append(key)
    inputs = graph.inputs()
    consumers = {key: [] for key in graph.boxes}
    for source, target in graph.edges:
        consumers[source].append(target)
    x = _positions(rows)
    for sweep in range(sweeps):  # down from the outputs by consumers, then up by inputs
        neighbours = consumers if sweep % 2 == 0 else inputs
        sequence = rows[1:] if sweep % 2 == 0 else reversed(rows[:-1])
        for boxes in sequence:
            boxes.sort(key=lambda key: _mean([x[n] for n in neighbours[key]], x[key]))
            x.update(_positions([boxes]))
    return rows


def _positions(rows):
    """key -> x, each row centred on 0 with one unit between boxes."""
    return {key: i - (len(boxes) - 1) / 2 for boxes in rows for i, key in enumerate(boxes)}


def _mean(values, default):
    return sum(values) / len(values) if values else default


def figure(graph):
    """A matplotlib Figure of the graph, one data unit per inch."""
    try:
        from matplotlib.figure import Figure
    except ImportError as error:  # glasstorch itself needs numpy only
        raise ImportError("drawing a graph needs matplotlib: pip install 'glasstorch[d2l]' "
                          "(print(drawing) gives the graph as text without it)") from error

    row = layers(graph)
    rows = ordered_rows(graph, row)
    labels = {key: "\n".join(textwrap.fill(line, WRAP) for line in box.lines)
              for key, box in graph.boxes.items()}
    widest_text = max(len(line) for label in labels.values() for line in label.split("\n"))
    most_lines = max(label.count("\n") + 1 for label in labels.values())
    column = CHAR_WIDTH * widest_text + 0.5
    row_height = LINE_HEIGHT * most_lines + 0.6
    width = column * max(len(boxes) for boxes in rows)
    height = row_height * len(rows)
    fig = Figure(figsize=(width, height), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(-width / 2, width / 2)
    ax.set_ylim(-row_height / 2, height - row_height / 2)
    ax.axis("off")
    texts = {}
    for boxes in rows:
        for key, x in _positions([boxes]).items():
            box = graph.boxes[key]
            texts[key] = ax.text(
                x * column, row[key] * row_height, labels[key], ha="center",
                va="center", fontsize=FONT_SIZE, linespacing=1.3,
                bbox={"boxstyle": "round,pad=0.4", "facecolor": COLORS[box.kind],
                      "edgecolor": "black", "linewidth": 0.8})
    for source, target in graph.edges:
        span = row[source] - row[target]  # an edge over several rows bends past the boxes
        ax.annotate(
            "", xy=texts[target].get_position(), xytext=texts[source].get_position(),
            arrowprops={"arrowstyle": "-|>", "color": "black", "linewidth": 0.8,
                        "shrinkA": 1, "shrinkB": 1,
                        "patchA": texts[source].get_bbox_patch(),
                        "patchB": texts[target].get_bbox_patch(),
                        "connectionstyle": f"arc3,rad={0.15 if span > 1 else 0}"})
    return fig


def image(graph, format="png"):
    """The drawing as the bytes of an image file (png, svg or pdf)."""
    if format not in FORMATS:
        raise ValueError(f"unsupported format {format!r}; use one of {', '.join(FORMATS)}")
    buffer = io.BytesIO()
    figure(graph).savefig(buffer, format=format)
    return buffer.getvalue()
