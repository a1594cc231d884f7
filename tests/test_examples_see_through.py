"""examples/see_through.py (issue 15 point 5): the graph, explain(), anomaly mode and the
profiler, each as the example prints and saves it."""

import json
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "see_through.py"
PNG = b"\x89PNG\r\n\x1a\n"


def test_see_through_draws_explains_catches_and_profiles(tmp_path):
    run = subprocess.run([sys.executable, str(EXAMPLE), "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    # 1. seed 003's graph: drawn, and printed as a tree with the note's values
    for name in ("seed003_graph.png", "mlp_graph.png"):
        image = (tmp_path / name).read_bytes()
        assert image.startswith(PNG) and len(image) > 5000
    assert f"graph drawn to {tmp_path / 'seed003_graph.png'}" in out
    assert "output  () = 33." in out and "├─ a  () = 5." in out
    # 2. the chain rule, with the numbers: dJ/db = 3c = 6, dJ/dc = 3b = 9
    table = out[out.index("== 2."):out.index("== 2b.")]
    for expected in ("dJ/dJ = 1", "dJ/dv = 3", "dJ/du = 3", "dJ/da = 3", "grad * c",
                     "dJ/db = 6", "grad * b", "dJ/dc = 9"):
        assert expected in table
    assert "a.grad = 3.0, b.grad = 6.0, c.grad = 9.0" in out
    assert "AccumulateGrad (0.weight)" in out[out.index("== 2b."):]
    # 3. anomaly mode: torch's error, and the forward line that made the node
    assert "RuntimeError: Function 'LogBackward0' returned nan values in its 0th output." in out
    assert "the forward call that made the node: y = x * torch.log(x)" in out
    # 4. the profiler's table and a trace a viewer can read
    profile = out[out.index("== 4."):]
    assert "Self CPU %" in profile and "# of Calls" in profile
    assert "ConvolutionBackward0" in profile and "Self CPU time total:" in profile
    trace = json.loads((tmp_path / "lenet_bn_step_trace.json").read_text())
    names = {event["name"] for event in trace["traceEvents"]}
    assert {"forward", "backward", "optimizer.step", "Convolution"} <= names
