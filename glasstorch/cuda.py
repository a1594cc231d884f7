"""torch.cuda: GPU queries. A GPU is used through cupy when it is installed.

Memory figures come from CuPy's default memory pool: `memory_allocated` is what live arrays
use, `max_memory_allocated` what the pool holds (freed blocks stay cached in it, so it is the
high-water mark of use since the last `reset_peak_memory_stats` or `empty_cache`, which hand
the cached blocks back).
"""

from . import random as _random
from .device import cuda_device_count, cuda_is_available

_NO_CUDA = "Torch not compiled with CUDA enabled"


def _cupy():
    from .device import _cupy as cupy  # read when called: the module's current CuPy

    return cupy


def is_available():
    return cuda_is_available()


def device_count():
    return cuda_device_count()


def synchronize(device=None):
    if cuda_is_available():
        from .device import _cupy

        _cupy.cuda.Device().synchronize()


def manual_seed(seed):
    """Seed the GPU's generator (random tensors made with device='cuda'); the CPU's is left
    alone, as in torch."""
    _random.cuda_generator.manual_seed(seed)


manual_seed_all = manual_seed  # glasstorch has one generator for all its GPUs


def initial_seed():
    return _random.cuda_generator.initial_seed()


def seed():
    _random.cuda_generator.seed()


seed_all = seed


def get_rng_state(device="cuda"):
    return _random.cuda_generator.get_state()


def set_rng_state(new_state, device="cuda"):
    _random.cuda_generator.set_state(new_state)


def current_device():
    if not cuda_is_available():
        raise AssertionError(_NO_CUDA)
    return _cupy().cuda.runtime.getDevice()


def set_device(device):
    if not cuda_is_available():
        raise AttributeError(f"set_device: {_NO_CUDA}")
    index = device if isinstance(device, int) else (_as_device(device).index or 0)
    _cupy().cuda.Device(index).use()


def get_device_name(device=None):
    if not cuda_is_available():
        raise AssertionError(_NO_CUDA)
    index = current_device() if device is None else (
        device if isinstance(device, int) else (_as_device(device).index or 0))
    name = _cupy().cuda.runtime.getDeviceProperties(index)["name"]
    return name.decode() if isinstance(name, bytes) else name


def memory_allocated(device=None):
    """Bytes used by live tensors on the GPU (0 without one, as torch)."""
    return _cupy().get_default_memory_pool().used_bytes() if cuda_is_available() else 0


def max_memory_allocated(device=None):
    """The pool's high-water mark in bytes (see the module docstring; 0 without a GPU)."""
    return _cupy().get_default_memory_pool().total_bytes() if cuda_is_available() else 0


def reset_peak_memory_stats(device=None):
    if not cuda_is_available():
        raise AttributeError(f"reset_peak_memory_stats: {_NO_CUDA}")
    _cupy().get_default_memory_pool().free_all_blocks()


def empty_cache():
    """Hand the GPU memory cached by the pool back to the driver (nothing without a GPU)."""
    if cuda_is_available():
        _cupy().get_default_memory_pool().free_all_blocks()


def _as_device(value):
    from .device import to_device

    return to_device(value)
