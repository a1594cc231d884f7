"""glasstorch.profiler: torch.profiler's API, its table and trace, and its cost when off.

`lib` in the helpers is glasstorch or torch: where a test checks structure (columns, counts,
attribute names) it runs the same code on both. Times are never asserted against a number;
only their relations (self <= total, children inside parents, the total inside the wall time).
"""

import json
import re
import time
import warnings

import pytest

import glasstorch
from glasstorch.autograd import watchers
from glasstorch.profiler import recorder
from glasstorch.profiler.table import format_time

gt = glasstorch
TORCH_ONLY = {"aten::", "autograd::engine", "torch::autograd", "detach"}  # torch's extra rows


def chain_of_muls(lib, n=5):
    """z = x * y * ... * y (n Mul), then one backward: n MulBackward0 nodes."""
    x = lib.ones(3, 4, requires_grad=True)
    y = lib.full((3, 4), 2.0, requires_grad=True)
    z = x
    for _ in range(n):
        z = z * y
    z.sum().backward()


def split_columns(line):
    return re.split(r"\s{2,}", line.strip())


def averages_by_key(prof):
    return {average.key: average for average in prof.key_averages()}


# ---- the table ----


def test_the_table_has_torchs_columns_rules_rows_and_footer(torch):
    tables = {}
    for lib in (gt, torch):
        with lib.profiler.profile() as prof:
            chain_of_muls(lib)
        tables[lib] = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=10)
    ours, theirs = tables[gt].splitlines(), tables[torch].splitlines()
    assert split_columns(ours[1]) == split_columns(theirs[1]) == [
        "Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg",
        "# of Calls"]
    for lines in (ours, theirs):
        assert set(lines[0]) == set(lines[2]) == set(lines[-2]) == {"-", " "}
        assert re.fullmatch(r"Self CPU time total: \d+\.\d{3}(us|ms|s)", lines[-1])
    # the same column widths after the name column (12, 2 spaces apart)
    assert len(ours[0]) - len(ours[0].split()[0]) == len(theirs[0]) - len(theirs[0].split()[0])
    rows = [split_columns(line) for line in ours[3:-2]]
    # "Add": the engine summing y's five gradients, outside any node
    assert sorted(row[0] for row in rows) == sorted(
        ["Mul", "MulBackward0", "Sum", "SumBackward0", "AccumulateGrad", "View", "Expand", "Add"])
    self_times = []
    for name, self_pct, self_cpu, total_pct, total, avg, calls in rows:
        assert re.fullmatch(r"\d+\.\d\d%", self_pct) and re.fullmatch(r"\d+\.\d\d%", total_pct)
        for value in (self_cpu, total, avg):
            assert re.fullmatch(r"\d+\.\d{3}(us|ms|s)", value)
        self_times.append(float(self_pct[:-1]))
        assert int(calls) >= 1
    assert self_times == sorted(self_times, reverse=True)  # sorted by self CPU time
    assert sum(self_times) == pytest.approx(100, abs=0.1)  # every row shown: they add up


def test_row_limit_and_sort_keys_of_torch():
    with gt.profiler.profile() as prof:
        chain_of_muls(gt)
    averages = prof.key_averages()
    by_count = averages.table(sort_by="count", row_limit=2).splitlines()
    assert len(by_count) == 3 + 2 + 2
    assert split_columns(by_count[3])[0] == "Mul"  # 5 forward + 10 in the backward formulas
    assert split_columns(by_count[3])[-1] == "15"
    for key in ("cpu_time_total", "self_cpu_time_total", "cpu_time", "count",
                "cuda_time_total", "self_cpu_memory_usage"):
        rows = averages.table(sort_by=key).splitlines()[3:-2]
        assert len(rows) == len(averages)
    column = {"cpu_time_total": 4, "self_cpu_time_total": 2, "cpu_time": 5}
    for key, index in column.items():
        rows = averages.table(sort_by=key, time_unit="us").splitlines()[3:-2]
        values = [float(split_columns(row)[index][:-2]) for row in rows]
        assert values == sorted(values, reverse=True)


def test_times_are_formatted_as_torch_formats_them():
    from torch.autograd.profiler_util import _format_time

    for us in (0.0, 0.5, 56.0, 999.9994, 1234.5678, 2_500_000.0):
        assert format_time(us) == _format_time(us)
    assert (format_time(56), format_time(1234), format_time(2.5e6)) == (
        "56.000us", "1.234ms", "2.500s")


# ---- what is counted and how it nests ----


def test_each_forward_and_each_backward_node_is_counted_as_torch_counts_them(torch):
    for lib, mul in ((gt, "Mul"), (torch, "aten::mul")):
        with lib.profiler.profile() as prof:
            x = lib.ones(3, 4)
            y = lib.ones(3, 4)
            for _ in range(5):
                x * y
        assert averages_by_key(prof)[mul].count == 5
        with lib.profiler.profile() as prof:
            chain_of_muls(lib)
        counts = averages_by_key(prof)
        assert counts["MulBackward0"].count == 5
        assert counts["SumBackward0"].count == 1


def test_ops_inside_a_record_function_are_its_children_and_it_holds_their_time():
    x = gt.ones(3, 4, requires_grad=True)
    with gt.profiler.profile() as prof:
        with gt.profiler.record_function("forward_pass"):
            y = (x * 2).exp()
        with gt.profiler.record_function("backward_pass"):
            y.sum().backward()
    events = {e.name: e for e in prof.events() if e.is_user_annotation}
    forward, backward = events["forward_pass"], events["backward_pass"]
    assert [c.name for c in forward.cpu_children] == ["Mul", "Exp"]
    assert [c.name for c in backward.cpu_children] == [
        "Sum", "SumBackward0", "ExpBackward0", "MulBackward0", "AccumulateGrad"]
    for user_range in (forward, backward):
        children_total = sum(c.cpu_time_total for c in user_range.cpu_children)
        assert user_range.cpu_time_total >= children_total
        assert user_range.self_cpu_time_total == pytest.approx(
            user_range.cpu_time_total - children_total)
        assert all(c.cpu_parent is user_range for c in user_range.cpu_children)
    exp_backward = backward.cpu_children[2]
    assert [c.name for c in exp_backward.cpu_children] == ["Mul"]  # its formula: grad * y
    assert averages_by_key(prof)["forward_pass"].count == 1


def test_self_time_is_at_most_total_time_and_the_total_is_within_the_wall_time():
    x = gt.randn(8, 8, requires_grad=True)
    start = time.perf_counter_ns()
    with gt.profiler.profile() as prof:
        with gt.profiler.record_function("step"):
            loss = (x @ x).tanh().sum()
        loss.backward()
    wall_us = (time.perf_counter_ns() - start) / 1000
    for event in list(prof.events()) + list(prof.key_averages()):
        assert 0 <= event.self_cpu_time_total <= event.cpu_time_total
    top_level = [e for e in prof.events() if e.cpu_parent is None]
    assert top_level[0].name == "step"
    assert sum(e.cpu_time_total for e in top_level) <= wall_us
    assert prof.key_averages().self_cpu_time_total == pytest.approx(
        sum(e.cpu_time_total for e in top_level))


def test_record_shapes_gives_the_input_shapes_and_groups_by_them():
    a, b = gt.ones(3, 4), gt.ones(2, 5)
    with gt.profiler.profile(record_shapes=True) as prof:
        a * a
        b * b
        b * b
    muls = [e for e in prof.events() if e.name == "Mul"]
    assert [e.input_shapes for e in muls] == [[[3, 4], [3, 4]], [[2, 5], [2, 5]]] + [
        [[2, 5], [2, 5]]]
    grouped = prof.key_averages(group_by_input_shape=True)
    assert [(g.key, g.input_shapes, g.count) for g in grouped] == [
        ("Mul", [[3, 4], [3, 4]], 1), ("Mul", [[2, 5], [2, 5]], 2)]
    lines = grouped.table().splitlines()
    assert split_columns(lines[1])[-1] == "Input Shapes"
    assert split_columns(lines[3])[-1] == "[[3, 4], [3, 4]]"
    assert "Input Shapes" not in prof.key_averages().table()  # as torch: only when grouped
    with gt.profiler.profile() as prof:
        a * a
    assert prof.events()[0].input_shapes == []


# ---- the Chrome trace ----


def test_the_chrome_trace_is_json_with_complete_events_nested_in_time(tmp_path):
    x = gt.ones(2, 3, requires_grad=True)
    with gt.profiler.profile(record_shapes=True) as prof, gt.profiler.record_function("outer"):
        (x * x).sum().backward()
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    trace = json.loads(path.read_text())["traceEvents"]
    assert [e["name"] for e in trace] == [e.name for e in prof.events()]
    assert {e["ph"] for e in trace} == {"X"}
    for entry in trace:
        assert {"ts", "dur", "pid", "tid", "name", "cat", "args"} <= set(entry)
    outer = trace[0]
    assert outer["cat"] == "user_annotation"
    mul = trace[1]
    assert (mul["name"], mul["cat"], mul["args"]["Input Dims"]) == ("Mul", "cpu_op",
                                                                      [[2, 3], [2, 3]])
    for event, entry in zip(prof.events(), trace):
        parent = event.cpu_parent
        if parent is not None:  # a child's interval lies inside its parent's
            p = trace[parent.id]
            assert p["ts"] <= entry["ts"] and entry["ts"] + entry["dur"] <= p["ts"] + p["dur"]
    assert sum(e.cpu_parent is None for e in prof.events()) == 1  # all inside "outer"


def test_tensorboard_trace_handler_writes_a_trace_when_the_profile_ends(tmp_path):
    with gt.profiler.profile(on_trace_ready=gt.profiler.tensorboard_trace_handler(
            str(tmp_path), worker_name="w")):
        gt.ones(2) * 2
    (written,) = tmp_path.iterdir()
    assert written.name.startswith("w.") and written.name.endswith(".pt.trace.json")
    assert [e["name"] for e in json.loads(written.read_text())["traceEvents"]] == ["Mul"]


# ---- record_function, start/stop, step and schedule ----


def test_record_function_as_a_decorator_makes_one_range_per_call():
    @gt.profiler.record_function("my_block")
    def block(x):
        """block's docstring"""
        return x + 1

    with gt.profiler.profile() as prof:
        for _ in range(3):
            assert block(gt.ones(1)).item() == 2.0
    assert block.__name__ == "block" and block.__doc__ == "block's docstring"
    ranges = [e for e in prof.events() if e.name == "my_block"]
    assert len(ranges) == 3
    assert all([c.name for c in r.cpu_children] == ["Add"] for r in ranges)
    assert block(gt.ones(1)).item() == 2.0  # outside a profile: just the function


def six_scheduled_steps(lib):
    """(step_num, the step ranges and multiplications) each time a trace is ready."""
    ready = []

    def trace_ready(prof):
        names = [e.name.replace("aten::mul", "Mul") for e in prof.events()]
        ready.append((prof.step_num, [n for n in names if n in ("Mul", "ProfilerStep*")]))

    prof = lib.profiler.profile(
        schedule=lib.profiler.schedule(wait=1, warmup=1, active=2, repeat=1),
        on_trace_ready=trace_ready)
    prof.start()
    for _ in range(6):
        lib.ones(2) * 2
        prof.step()
    prof.stop()
    return ready


def test_start_stop_and_a_schedule_follow_torch(torch):
    assert six_scheduled_steps(gt) == six_scheduled_steps(torch) == [
        (4, ["ProfilerStep*", "Mul", "ProfilerStep*", "Mul"])]

    prof = gt.profiler.profile()
    prof.start()
    gt.ones(2) * 2
    assert prof.events() == []  # nothing finished yet
    prof.stop()
    gt.ones(2) * 2
    assert [e.name for e in prof.events()] == ["Mul"]
    prof.start()
    prof.start()  # a second start changes nothing: one recorder, stopped by one stop
    prof.stop()
    assert not watchers.active


# ---- leaving nothing behind; nothing runs when off ----


def test_no_profiler_code_runs_outside_a_profile_block(monkeypatch):
    calls = []
    monkeypatch.setattr(recorder.Recorder, "op_started",
                        lambda self, cls, args: calls.append(cls.__name__))
    monkeypatch.setattr(recorder.Recorder, "node_started",
                        lambda self, node, grads: calls.append(node.name()))
    monkeypatch.setattr(recorder.Recorder, "begin", lambda self, name, *rest: calls.append(name))
    with gt.profiler.profile():
        chain_of_muls(gt, 1)
    assert "Mul" in calls and "MulBackward0" in calls
    assert not watchers.active
    calls.clear()
    chain_of_muls(gt, 3)
    with gt.profiler.record_function("off"):
        gt.ones(2).exp()
    assert calls == []


def test_nested_profiles_and_exceptions_leave_no_watcher_behind():
    with gt.profiler.profile() as outer:
        gt.ones(2).exp()
        with gt.profiler.profile() as inner, gt.profiler.record_function("inside"):
            gt.ones(2).log()
        assert watchers.active == [outer._recorder]
    assert not watchers.active
    assert [e.name for e in inner.events()] == ["inside", "Log"]
    assert [e.name for e in outer.events()] == ["Exp", "inside", "Log"]

    failing = gt.profiler.record_function("failing")
    with pytest.raises(ValueError, match="in the block"), gt.profiler.profile() as prof, failing:
        gt.ones(2).exp()
        raise ValueError("in the block")
    assert not watchers.active
    assert [e.name for e in prof.events()] == ["failing", "Exp"]


def test_a_backward_that_raises_closes_its_node_event():
    class Fails(gt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            grad * 3
            raise ValueError("broken backward")

    x = gt.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match="broken backward"), gt.profiler.profile() as prof:
        Fails.apply(x).sum().backward()
    assert not watchers.active
    node = next(e for e in prof.events() if e.name == "FailsBackward")
    assert [c.name for c in node.cpu_children] == ["Mul"]
    assert node.cpu_time_total >= node.cpu_children[0].cpu_time_total


# ---- torch's API surface ----


def test_the_same_names_work_on_both_libraries(torch):
    for lib in (gt, torch):
        with lib.profiler.profile(activities=[lib.profiler.ProfilerActivity.CPU],
                                  record_shapes=True, profile_memory=False,
                                  with_stack=False) as prof, lib.profiler.record_function("r"):
            lib.ones(2, requires_grad=True).exp().sum().backward()
        for method in ("key_averages", "events", "export_chrome_trace", "start", "stop",
                       "step"):
            assert callable(getattr(prof, method))
        assert prof.step_num == 0 and prof.record_shapes is True
        averages = prof.key_averages()
        assert averages.self_cpu_time_total > 0
        for average in averages:
            for name in ("key", "input_shapes", "cpu_time_str", "self_cpu_time_total_str",
                         "cpu_time_total_str", "cpu_children", "cpu_parent"):
                assert hasattr(average, name)
            assert average.cpu_time == pytest.approx(average.cpu_time_total / average.count)
            assert 0 <= average.self_cpu_time_total <= average.cpu_time_total
        event = next(e for e in prof.events() if e.name == "r")
        assert event.key == "r" and event.count == 1 and event.cpu_parent is None
        assert event.time_range.elapsed_us() == pytest.approx(event.cpu_time_total)
        assert event.time_range.start <= event.cpu_children[0].time_range.start
        for name in ("thread", "id", "input_shapes", "self_cpu_time_total", "cpu_time"):
            assert hasattr(event, name)
        assert lib.profiler.ProfilerActivity.CPU in lib.profiler.supported_activities()
        assert lib.autograd.profiler.record_function is lib.profiler.record_function


def test_autograd_profiler_profile_the_older_path(torch):
    for lib in (gt, torch):
        with lib.autograd.profiler.profile(record_shapes=True) as prof:
            lib.ones(2) * 2
        assert next(e.key for e in prof.function_events if "mul" in e.key.lower()) in (
            "Mul", "aten::mul")
        assert prof.self_cpu_time_total > 0
        assert "Self CPU time total" in prof.table(sort_by="cpu_time_total")
        assert "# of Calls" in prof.key_averages().table()
        off = lib.autograd.profiler.profile(enabled=False)
        with off as prof:
            lib.ones(2) * 2
        assert prof is None
        if lib is gt:
            assert len(off.function_events) == 0 and not watchers.active


def test_cuda_activity_as_torch_treats_it():
    activities = [gt.profiler.ProfilerActivity.CPU, gt.profiler.ProfilerActivity.CUDA]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        prof = gt.profiler.profile(activities=activities)
    if gt.cuda.is_available():  # kept: ops are timed on the CPU side
        assert gt.profiler.ProfilerActivity.CUDA in prof.activities and not caught
    else:  # torch's warning, and only the CPU left
        message = "CUDA is not available, disabling CUDA profiling"
        assert [str(w.message) for w in caught] == [message]
        assert prof.activities == {gt.profiler.ProfilerActivity.CPU}
        with pytest.raises(AssertionError, match="No activities"), pytest.warns(UserWarning):
            gt.profiler.profile(activities=[gt.profiler.ProfilerActivity.CUDA])
