"""The book is read as Jupyter notebooks: its helpers, run in a real IPython kernel, draw inline
figures that update in place (display the figure, then clear_output(wait=True)), and write no
terminal-mode text (no "figure saved to ...", no per-epoch progress lines, no PNG files).

The kernel is started from a kernel spec written into tmp_path that runs `sys.executable`, so the
test needs nothing but `pip install -e '.[test]'` (nbclient, nbformat, ipykernel)."""

import ast
import json
import os
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
KERNEL = "glasstorch-test"

CELLS = [
    # 0: the book's imports, with glasstorch in place of torch; the kernel's pid, to check shutdown
    """
    import os
    import glasstorch as torch
    from glasstorch import d2l
    torch.manual_seed(0)
    os.getpid()
    """,
    # 1: d2l-en 3.4 (linear regression from scratch), trained with d2l.Trainer
    """
    model = d2l.LinearRegressionScratch(2, lr=0.03)
    data = d2l.SyntheticRegressionData(w=torch.tensor([2, -3.4]), b=4.2)
    trainer = d2l.Trainer(max_epochs=3)
    trainer.fit(model, data)
    """,
    # 2: what training did: the board's train_loss line and the parameter errors
    """
    losses = [float(p.y) for p in model.board.data['train_loss']]
    (len(losses), losses[0], losses[-1],
     float((model.w.reshape(-1) - data.w).abs().max()), float((model.b - data.b).abs()))
    """,
    # 3: d2l-zh's Animator, as train_ch3 uses it
    """
    animator = d2l.Animator(xlabel='epoch', xlim=[1, 5], legend=['train loss', 'test acc'])
    for epoch in range(1, 6):
        animator.add(epoch, (1 / epoch, 0.5 + epoch / 20))
    """,
]
TRAINER, LOSSES, ANIMATOR = 1, 2, 3
# Redraws each figure cell makes: 3 epochs x (2 train + 1 validation points), one per add().
DRAWS = {TRAINER: 3 * (2 + 1), ANIMATOR: 5}


class RecordingClient(NotebookClient):
    """A NotebookClient that also keeps every output message the kernel sent, in order, before
    clear_output drops them from the saved cell: (cell index, msg_type, content)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sent = []

    def output(self, outs, msg, display_id, cell_index):
        self.sent.append((cell_index, msg["msg_type"], msg["content"]))
        return super().output(outs, msg, display_id, cell_index)

    def clear_output(self, outs, msg, cell_index):
        self.sent.append((cell_index, msg["msg_type"], msg["content"]))
        return super().clear_output(outs, msg, cell_index)


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """Run the notebook once in a fresh kernel; give back (notebook, client, its folder)."""
    home = tmp_path_factory.mktemp("jupyter")
    spec = home / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python (glasstorch tests)", "language": "python"}))
    folder = tmp_path_factory.mktemp("notebook")  # the kernel's working directory
    with pytest.MonkeyPatch.context() as env:
        for name in ("JUPYTER_PATH", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR",
                     "JUPYTER_CONFIG_DIR", "IPYTHONDIR"):
            env.setenv(name, str(home))  # our kernel spec, and no user configuration
        env.setenv("JUPYTER_PLATFORM_DIRS", "1")  # jupyter_core's path-migration warning
        env.delenv("MPLBACKEND", raising=False)  # the kernel's default: matplotlib-inline
        env.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT),
                                                               os.environ.get("PYTHONPATH")])))
        notebook = nbformat.v4.new_notebook(
            cells=[nbformat.v4.new_code_cell(textwrap.dedent(source).strip()) for source in CELLS])
        client = RecordingClient(notebook, kernel_name=KERNEL, timeout=120, startup_timeout=60,
                                 resources={"metadata": {"path": str(folder)}})
        client.execute()  # starts the kernel and shuts it down, also when a cell fails
    nbformat.validate(notebook)
    return notebook, client, folder


def sent_in(client, cell, msg_type):
    return [content for index, kind, content in client.sent
            if index == cell and kind == msg_type]


@pytest.mark.parametrize("cell", [TRAINER, ANIMATOR])
def test_a_figure_cell_keeps_one_inline_figure_the_latest(executed, cell):
    notebook, client, _ = executed
    outputs = notebook.cells[cell].outputs
    # Saved: exactly one output, an inline SVG figure (d2l.use_svg_display), nothing else.
    assert [output.output_type for output in outputs] == ["display_data"]
    data = outputs[0].data
    assert set(data) == {"text/plain", "image/svg+xml"}
    assert data["text/plain"] == "<Figure size 350x250 with 1 Axes>"
    assert data["image/svg+xml"].lstrip().startswith("<?xml")
    # Sent: the figure once per redraw, each followed by clear_output(wait=True), so the notebook
    # replaces the figure in place; the kept figure is the last one drawn, not the first.
    shown = sent_in(client, cell, "display_data")
    clears = sent_in(client, cell, "clear_output")
    assert clears == [{"wait": True}] * DRAWS[cell]
    assert len(shown) >= DRAWS[cell]  # (+1 when the inline backend shows open figures at the end)
    assert shown[-1]["data"] == data
    assert shown[0]["data"]["image/svg+xml"] != data["image/svg+xml"]


def test_no_terminal_mode_output(executed):
    notebook, client, folder = executed
    for cell in (TRAINER, ANIMATOR):
        streams = sent_in(client, cell, "stream")
        assert streams == [], streams  # no "figure saved to ...", no "epoch 1/3, ..." lines
    text = json.dumps(nbformat.writes(notebook))
    assert "figure saved to" not in text
    assert "examples/sec" not in text
    assert list(folder.glob("*.png")) == []


def test_the_trainer_trained(executed):
    notebook, _, _ = executed
    (result,) = notebook.cells[LOSSES].outputs
    points, first, last, w_error, b_error = ast.literal_eval(result.data["text/plain"])
    assert points == 3 * 2  # the board's train_loss line: 2 averaged points per epoch
    assert last < first / 10
    assert w_error < 0.5 and b_error < 0.5


def test_the_kernel_is_shut_down(executed):
    notebook, client, _ = executed
    assert client.km is None and client.kc is None
    pid = int(notebook.cells[0].outputs[0].data["text/plain"])
    deadline = time.monotonic() + 10
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break  # gone (and reaped: a zombie would still answer signal 0)
        assert time.monotonic() < deadline, f"kernel process {pid} still running"
        time.sleep(0.1)
