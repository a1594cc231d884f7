"""torch.autograd.profiler: the older path to the profiler, still common in tutorials
(`torch.autograd.profiler.profile()`, `torch.autograd.profiler.record_function`).

It is here only for torch's path, and so imports upward: glasstorch/profiler/ itself needs
nothing above autograd/watchers.py. glasstorch/__init__.py imports this module after both.
"""

from ..profiler import profiler as _profiler
from ..profiler.events import EventList, FunctionEvent, FunctionEventAvg
from ..profiler.recorder import record_function

__all__ = ["EventList", "FunctionEvent", "FunctionEventAvg", "profile", "record_function"]


class profile(_profiler.profile):
    """torch.autograd.profiler.profile: the same profiler with the older arguments; its
    table() lists every call, key_averages() one row per name, as in torch."""

    def __init__(self, enabled=True, *, use_cuda=False, use_device=None, record_shapes=False,
                 with_flops=False, profile_memory=False, with_stack=False, with_modules=False,
                 use_kineto=False, use_cpu=True, experimental_config=None, acc_events=False):
        activities = [_profiler.ProfilerActivity.CPU] if use_cpu else []
        if use_cuda or use_device == "cuda":
            activities.append(_profiler.ProfilerActivity.CUDA)
        super().__init__(activities=activities, record_shapes=record_shapes,
                         profile_memory=profile_memory, with_stack=with_stack,
                         with_flops=with_flops, with_modules=with_modules)
        self.enabled = enabled

    def __enter__(self):
        if not self.enabled:
            return None  # as torch: `with profile(enabled=False) as prof` leaves prof None
        return super().__enter__()

    def start(self):
        if self.enabled:
            super().start()

    def stop(self):
        if self.enabled:
            super().stop()

    @property
    def function_events(self):
        return self.events()

    @property
    def self_cpu_time_total(self):
        return self.events().self_cpu_time_total

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75,
              max_name_column_width=55, max_shapes_column_width=80, header=None,
              top_level_events_only=False, time_unit=None):
        return self.events().table(sort_by, row_limit, max_src_column_width,
                                   max_name_column_width, max_shapes_column_width, header,
                                   top_level_events_only, time_unit)
