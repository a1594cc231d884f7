"""The profiler's summary table, laid out as torch's (torch.autograd.profiler_util._build_table,
for the CPU columns): a column per statistic, right-aligned, 2 spaces apart, dashed rules
above and below the header, and the "Self CPU time total" footer.
"""

_COLUMN_WIDTH = 12
_SPACING = 2


def format_time(time_us):
    """Microseconds as torch prints them: "56.000us", "1.234ms", "2.500s"."""
    if time_us >= 1_000_000:
        return f"{time_us / 1_000_000:.3f}s"
    if time_us >= 1000:
        return f"{time_us / 1000:.3f}ms"
    return f"{time_us:.3f}us"


def format_time_share(time_us, total_us):
    if total_us == 0:
        return "NaN"
    return f"{time_us * 100.0 / total_us:.2f}%"


def _in_unit(time_us, time_unit):
    """time_unit "s", "ms" or "us" fixes the unit of every time; None picks one per value."""
    if time_unit == "s":
        return f"{time_us / 1_000_000:.3f}s"
    if time_unit == "ms":
        return f"{time_us / 1000:.3f}ms"
    if time_unit == "us":
        return f"{time_us:.3f}us"
    return format_time(time_us)


def build_table(events, sort_by=None, row_limit=100, max_name_column_width=55,
                max_shapes_column_width=80, header=None, top_level_events_only=False,
                time_unit=None):
    if len(events) == 0:
        return ""
    if sort_by is not None:
        # torch's keys: "self_cpu_time_total", "cpu_time_total", "cpu_time", "count", ...;
        # "cuda_*" names the device columns, which glasstorch leaves at 0
        attribute = sort_by.replace("cuda", "device")
        events = sorted(events, key=lambda event: getattr(event, attribute), reverse=True)
    has_input_shapes = any(event.input_shapes for event in events)

    name_width = min(max(len(event.key) for event in events) + 4, max_name_column_width)
    headers = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg",
               "# of Calls"]
    widths = [name_width] + [_COLUMN_WIDTH] * (len(headers) - 1)
    if has_input_shapes:
        shapes_width = max(len(str(event.input_shapes)) for event in events) + 4
        shapes_width = min(shapes_width, max_shapes_column_width)
        headers.append("Input Shapes")
        widths.append(shapes_width)
    row_format = "".join("{:>" + str(w) + "}" + " " * _SPACING for w in widths)
    rule = "".join("-" * w + " " * _SPACING for w in widths)
    line_length = sum(w + _SPACING for w in widths) - _SPACING

    # the total of self times: each moment of the run counted once
    total = sum(event.self_cpu_time_total for event in events)
    lines = []
    if header is not None:
        lines += ["=" * line_length, header]
    if top_level_events_only:
        lines += ["=" * line_length, "This report only display top-level ops statistics"]
    lines += [rule, row_format.format(*headers), rule]
    shown = 0
    for event in events:
        if shown == row_limit:
            break
        if top_level_events_only and event.cpu_parent is not None:
            continue
        shown += 1
        name = event.key
        if len(name) >= max_name_column_width - 3:
            name = name[:max_name_column_width - 3] + "..."
        row = [
            name,
            format_time_share(event.self_cpu_time_total, total),
            _in_unit(event.self_cpu_time_total, time_unit),
            format_time_share(event.cpu_time_total, total),
            _in_unit(event.cpu_time_total, time_unit),
            _in_unit(event.cpu_time, time_unit),
            event.count,
        ]
        if has_input_shapes:
            row.append(str(event.input_shapes)[:shapes_width])
        lines.append(row_format.format(*row))
    lines += [rule, f"Self CPU time total: {_in_unit(total, time_unit)}"]
    return "\n".join(lines) + "\n"
