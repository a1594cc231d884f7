"""torch.cuda: GPU queries. A GPU is used through cupy when it is installed."""

from .device import cuda_device_count, cuda_is_available


def is_available():
    return cuda_is_available()


def device_count():
    return cuda_device_count()


def synchronize(device=None):
    if cuda_is_available():
        from .device import _cupy

        _cupy.cuda.Device().synchronize()


def manual_seed(seed):
    """Accepted for compatibility; glasstorch has one generator for every device."""


manual_seed_all = manual_seed
