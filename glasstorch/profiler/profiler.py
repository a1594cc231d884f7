"""torch.profiler.profile and its schedule: when the Recorder is on, and what is kept."""

import enum
import os
import socket
import time
import warnings

from ..autograd import watchers
from ..device import cuda_is_available
from .events import EventList
from .recorder import Recorder, record_function


class ProfilerActivity(enum.Enum):
    CPU = 0
    XPU = 1
    CUDA = 2
    HPU = 3
    MTIA = 4
    PrivateUse1 = 5


class ProfilerAction(enum.Enum):
    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


_RECORDING = (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE)


def supported_activities():
    activities = {ProfilerActivity.CPU}
    if cuda_is_available():
        activities.add(ProfilerActivity.CUDA)
    return activities


def schedule(*, wait, warmup, active, repeat=0, skip_first=0, skip_first_wait=0):
    """torch.profiler.schedule: skip `skip_first` steps, then cycles of `wait` steps off,
    `warmup` steps off (torch warms its tracer up; glasstorch has nothing to warm), and
    `active` steps recorded, the last of which hands the trace to on_trace_ready; `repeat`
    cycles (0: until the profile ends)."""
    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise AssertionError(
            f"Invalid profiler schedule arguments. Got wait={wait} (need >= 0), "
            f"warmup={warmup} (need >= 0), active={active} (need > 0), repeat={repeat} "
            f"(need >= 0), skip_first={skip_first} (need >= 0).")
    if warmup == 0:
        warnings.warn("Profiler won't be using warmup, this can skew profiler results",
                      stacklevel=2)

    def schedule_fn(step):
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if skip_first_wait != 0:
            step += wait
        cycle = wait + warmup + active
        if repeat > 0 and step / cycle >= repeat:
            return ProfilerAction.NONE
        in_cycle = step % cycle
        if in_cycle < wait:
            return ProfilerAction.NONE
        if in_cycle < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if in_cycle < cycle - 1 else ProfilerAction.RECORD_AND_SAVE

    return schedule_fn


def _record_always(step):
    return ProfilerAction.RECORD


def tensorboard_trace_handler(dir_name, worker_name=None, use_gzip=False):
    """An on_trace_ready that writes each trace as a Chrome trace file into dir_name."""

    def handler_fn(prof):
        os.makedirs(dir_name, exist_ok=True)
        worker = worker_name or f"{socket.gethostname()}_{os.getpid()}"
        file_name = f"{worker}.{time.time_ns()}.pt.trace.json" + (".gz" if use_gzip else "")
        prof.export_chrome_trace(os.path.join(dir_name, file_name))

    return handler_fn


class profile:
    """torch.profiler.profile: times each op's forward, each backward node and each
    record_function range with time.perf_counter_ns (see recorder.py for the names).

    Taken as in torch but not recorded: profile_memory (no memory columns), with_stack,
    with_flops, with_modules. Without a GPU, ProfilerActivity.CUDA is dropped with torch's
    warning. With one (CuPy), ops are timed where Python calls them: the times include
    launching their kernels, not their run on the device, and there is no device timeline.
    With a schedule, each step is a "ProfilerStep*" range (torch's name in its tables).
    """

    def __init__(self, *, activities=None, schedule=None, on_trace_ready=None,
                 record_shapes=False, profile_memory=False, with_stack=False, with_flops=False,
                 with_modules=False, experimental_config=None, execution_trace_observer=None,
                 acc_events=False, use_cuda=None):
        activities = set(activities) if activities is not None else supported_activities()
        if use_cuda:
            activities.add(ProfilerActivity.CUDA)
        if ProfilerActivity.CUDA in activities and not cuda_is_available():
            warnings.warn("CUDA is not available, disabling CUDA profiling", stacklevel=2)
            activities.discard(ProfilerActivity.CUDA)
        if not activities:
            raise AssertionError("No activities specified for the profiler")
        self.activities = activities
        self.record_shapes = record_shapes
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.with_flops = with_flops
        self.with_modules = with_modules
        self.record_steps = schedule is not None  # a step range per step, as torch
        self.schedule = schedule or _record_always
        self.on_trace_ready = on_trace_ready
        self.step_num = 0
        self.current_action = self.schedule(0)
        self._recorder = None  # the Recorder of the trace now recording
        self._events = EventList()  # the last finished trace
        self._step_range = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.stop()
        return False

    def start(self):
        if self.current_action in _RECORDING and self._recorder is None:
            self._start_trace()
        self._enter_step()

    def stop(self):
        self._exit_step()
        if self._recorder is not None:
            self._stop_trace()
            self._trace_ready()

    def step(self):
        """The next training step begins: follow the schedule."""
        self._exit_step()
        before = self.current_action
        self.step_num += 1
        self.current_action = self.schedule(self.step_num)
        recording = self.current_action in _RECORDING
        if before is ProfilerAction.RECORD_AND_SAVE or (self._recorder is not None
                                                        and not recording):
            self._stop_trace()
            if before is ProfilerAction.RECORD_AND_SAVE:
                self._trace_ready()
        if recording and self._recorder is None:
            self._start_trace()
        self._enter_step()

    def events(self):
        """Every event of the last finished trace (empty while the first one records)."""
        return self._events

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0,
                     group_by_overload_name=False):
        return self._events.key_averages(group_by_input_shape, group_by_stack_n)

    def export_chrome_trace(self, path):
        self._events.export_chrome_trace(path)

    def _start_trace(self):
        self._recorder = Recorder(self.record_shapes)
        watchers.start(self._recorder)

    def _stop_trace(self):
        watchers.stop(self._recorder)
        self._events = self._recorder.finish()
        self._recorder = None

    def _trace_ready(self):
        if self.on_trace_ready is not None:
            self.on_trace_ready(self)

    def _enter_step(self):
        if self.record_steps:
            self._step_range = record_function("ProfilerStep*")
            self._step_range.__enter__()

    def _exit_step(self):
        if self._step_range is not None:
            self._step_range.__exit__(None, None, None)
            self._step_range = None
