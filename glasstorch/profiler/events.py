"""What the profiler records: one FunctionEvent per timed call, their averages per name, and
the list that holds them (torch.autograd.profiler_util's FunctionEvent, FunctionEventAvg and
EventList, with the same attribute names). Times are in microseconds, as in torch.
"""

import gzip
import json
import os

from .table import build_table, format_time


class Interval:
    """When an event ran: start and end in microseconds (perf_counter's clock)."""

    def __init__(self, start, end):
        self.start = start
        self.end = end

    def elapsed_us(self):
        return self.end - self.start


class FormattedTimes:
    """The `*_str` forms of the times, as torch's FormattedTimesMixin gives them."""

    # Only CPU time is measured: there is no separate device timeline, and memory is not
    # tracked. These read 0, as in torch when it records neither, so that torch code sorting
    # by "cuda_time_total" or "cpu_memory_usage" still runs.
    device_time_total = 0.0
    self_device_time_total = 0.0
    cpu_memory_usage = 0
    self_cpu_memory_usage = 0

    @property
    def cpu_time(self):
        return 0.0 if self.count == 0 else self.cpu_time_total / self.count

    @property
    def device_time(self):
        return 0.0

    @property
    def cpu_time_str(self):
        return format_time(self.cpu_time)

    @property
    def cpu_time_total_str(self):
        return format_time(self.cpu_time_total)

    @property
    def self_cpu_time_total_str(self):
        return format_time(self.self_cpu_time_total)


class FunctionEvent(FormattedTimes):
    """One call: an op's forward (named after its primitive class, "Mul"), a backward node
    (named as its grad_fn, "MulBackward0") or a record_function range (its name)."""

    count = 1

    def __init__(self, id, name, thread, start_ns, input_shapes, is_user_annotation, scope):
        self.id = id
        self.name = name
        self.thread = thread
        self.start_ns = start_ns
        self.end_ns = start_ns  # set when the call returns
        self.input_shapes = input_shapes
        self.is_user_annotation = is_user_annotation
        self.scope = scope  # 0 forward (and ranges), 1 backward: torch's RecordScope numbers
        self.cpu_parent = None
        self.cpu_children = []
        # positions in the recorder's sequence of starts and ends: they decide nesting even
        # where two timestamps are equal
        self.started_at = 0
        self.ended_at = None  # None while the call runs

    @property
    def key(self):
        return self.name

    @property
    def time_range(self):
        return Interval(self.start_ns / 1000, self.end_ns / 1000)

    @property
    def cpu_time_total(self):
        return (self.end_ns - self.start_ns) / 1000

    @property
    def self_cpu_time_total(self):
        return self.cpu_time_total - sum(child.cpu_time_total for child in self.cpu_children)

    def __repr__(self):
        return (f"<FunctionEvent id={self.id} name={self.name} "
                f"cpu_time_total={self.cpu_time_total_str} input_shapes={self.input_shapes}>")


class FunctionEventAvg(FormattedTimes):
    """The calls of one name (and input shapes, when grouped by them), added up."""

    def __init__(self):
        self.key = None
        self.count = 0
        self.cpu_time_total = 0.0
        self.self_cpu_time_total = 0.0
        self.input_shapes = None
        self.is_user_annotation = False
        self.cpu_parent = None
        self.cpu_children = None

    def add(self, other):
        if self.key is None:  # the first event: it names the group
            self.key = other.key
            self.input_shapes = other.input_shapes
            self.is_user_annotation = other.is_user_annotation
            self.cpu_parent = other.cpu_parent
            self.cpu_children = other.cpu_children
        self.count += other.count
        self.cpu_time_total += other.cpu_time_total
        self.self_cpu_time_total += other.self_cpu_time_total
        return self

    def __repr__(self):
        return (f"<FunctionEventAvg key={self.key} self_cpu_time={self.self_cpu_time_total_str}"
                f" cpu_time={self.cpu_time_str} input_shapes={self.input_shapes}>")


class EventList(list):
    """A list of events (or of their averages) that prints as torch's table."""

    @property
    def self_cpu_time_total(self):
        return sum(event.self_cpu_time_total for event in self)

    def key_averages(self, group_by_input_shapes=False, group_by_stack_n=0):
        """One FunctionEventAvg per name (per name and input shapes when grouped by them), in
        the order the names first ran. Stacks are not recorded: group_by_stack_n changes
        nothing."""
        groups = {}
        for event in self:
            key = (event.key, str(event.input_shapes)) if group_by_input_shapes else event.key
            if key not in groups:
                groups[key] = FunctionEventAvg()
            groups[key].add(event)
        averages = EventList(groups.values())
        if not group_by_input_shapes:
            for average in averages:
                average.input_shapes = ""  # as torch: no "Input Shapes" column then
        return averages

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75,
              max_name_column_width=55, max_shapes_column_width=80, header=None,
              top_level_events_only=False, time_unit=None):
        """torch's table: Name, Self CPU %, Self CPU, CPU total %, CPU total, CPU time avg,
        # of Calls (and Input Shapes where recorded), then "Self CPU time total"."""
        return build_table(self, sort_by=sort_by, row_limit=row_limit,
                           max_name_column_width=max_name_column_width,
                           max_shapes_column_width=max_shapes_column_width, header=header,
                           top_level_events_only=top_level_events_only, time_unit=time_unit)

    def export_chrome_trace(self, path):
        """Write the events as a Chrome trace (chrome://tracing, Perfetto): one complete event
        ("ph": "X") per call, ts and dur in microseconds, the input shapes in its args;
        gzipped when the path ends in ".gz"."""
        pid = os.getpid()
        trace = []
        for event in self:
            entry = {
                "ph": "X",
                "cat": "user_annotation" if event.is_user_annotation else "cpu_op",
                "name": event.name,
                "pid": pid,
                "tid": event.thread,
                "ts": event.start_ns / 1000,
                "dur": event.cpu_time_total,
                "args": {"Ev Idx": event.id},
            }
            if event.input_shapes:
                entry["args"]["Input Dims"] = event.input_shapes
            trace.append(entry)
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "wt") as f:
            json.dump({"traceEvents": trace, "displayTimeUnit": "ms"}, f)
