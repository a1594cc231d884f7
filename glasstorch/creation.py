"""Creating tensors: tensor(), zeros(), arange(), rand(), ... with torch's dtype inference."""

import math
import numbers
import warnings

import numpy

from . import dtypes
from . import random as _random
from ._tensor import Tensor, _size_args
from .device import move, to_device


def _finish_on(t, device, requires_grad):
    """A tensor computed from others (no graph kept), on `device` when one is given."""
    t = t.detach()
    if device is not None:
        t = t.to(device)
    return t.requires_grad_() if requires_grad else t


def _finish(array, device, requires_grad):
    """Wrap a freshly made host array as a tensor on `device`."""
    device = to_device(device)
    if device.type != "cpu":
        array = move(array, device)
    t = Tensor._wrap(array)
    if requires_grad:
        if array.dtype.kind != "f":
            raise RuntimeError(
                "Only Tensors of floating point and complex dtype can require gradients")
        t._requires_grad = True
    return t


def _dtype(dtype, default=None):
    if dtype is None:
        return default or dtypes.get_default_dtype()
    return dtypes.to_dtype(dtype)


def _as_array(data, dtype=None):
    """Nested Python data (or arrays, tensors) as a numpy array, with torch's dtype inference:
    Python floats -> default float, ints -> int64, bools -> bool; arrays keep their dtype.
    With a dtype, Python numbers go straight to it (0.1 as float64 is not rounded through
    float32 first)."""
    if isinstance(data, Tensor):
        return data.detach().cpu()._data.copy()
    if isinstance(data, (numpy.ndarray, numpy.generic)):
        dtypes.from_numpy(data.dtype)  # TypeError for dtypes torch lacks
        return numpy.array(data)
    if isinstance(data, str):
        raise TypeError("new(): invalid data type 'str'")
    if isinstance(data, (list, tuple)) and data and all(isinstance(d, numpy.generic) for d in data):
        array = numpy.array(data)  # a list of numpy scalars keeps their dtype, as in torch
        dtypes.from_numpy(array.dtype)
        return array
    if isinstance(data, (list, tuple)) and _holds_tensors(data):
        data = _tensors_to_items(data)
    try:
        array = numpy.array(data)
    except ValueError as error:
        raise ValueError(f"expected a rectangular sequence of numbers: {error}") from None
    kind = array.dtype.kind
    if kind in "US":  # torch reads a str as one more (impossible) dimension
        raise ValueError("too many dimensions 'str'")
    if dtype is not None and kind in "fiub":
        return array.astype(dtypes.to_dtype(dtype).np)
    if kind == "f":
        return array.astype(dtypes.get_default_dtype().np)
    if kind in "iu":
        return array.astype(numpy.int64)
    if kind == "b":
        return array
    raise TypeError(f"Could not infer dtype of {type(data).__name__}")


def _holds_tensors(data):
    return any(isinstance(d, Tensor) or (isinstance(d, (list, tuple)) and _holds_tensors(d))
               for d in data)


def _tensors_to_items(data):
    return [d.tolist() if isinstance(d, Tensor) else
            _tensors_to_items(d) if isinstance(d, (list, tuple)) else d for d in data]


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of `data`. See torch.tensor."""
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use "
                      "sourceTensor.detach().clone() or "
                      "sourceTensor.detach().clone().requires_grad_(True), rather than "
                      "torch.tensor(sourceTensor).", UserWarning, stacklevel=2)
        if device is None:
            device = data.device  # a copy stays on the source's device, as in torch
    array = _as_array(data, dtype)
    if dtype is not None:
        array = array.astype(dtypes.to_dtype(dtype).np, copy=False)
    return _finish(array, device, requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Like tensor(), but shares memory with a numpy array or tensor when it can."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype)
    if isinstance(data, numpy.ndarray):
        return from_numpy(data).to(device=device, dtype=dtype)
    return tensor(data, dtype=dtype, device=device)


asarray = as_tensor


def from_numpy(array):
    """A tensor sharing memory with a numpy array. See torch.from_numpy."""
    if not isinstance(array, numpy.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    dtypes.from_numpy(array.dtype)
    return Tensor._wrap(array)


def _shape(args, size):
    """A shape given as f(2, 3), f((2, 3)) or f(size=(2, 3))."""
    shape = _size_args(args) if size is None else tuple(size)
    for n in shape:
        if n < 0:
            raise RuntimeError(
                f"Trying to create tensor with negative dimension {n}: {list(shape)}")
    return shape


def _filled(shape, value, dtype, device, requires_grad):
    return _finish(numpy.full(shape, value, dtype=dtype.np), device, requires_grad)


def zeros(*shape, size=None, dtype=None, device=None, requires_grad=False, out=None):
    return _filled(_shape(shape, size), 0, _dtype(dtype), device, requires_grad)


def ones(*shape, size=None, dtype=None, device=None, requires_grad=False, out=None):
    return _filled(_shape(shape, size), 1, _dtype(dtype), device, requires_grad)


def empty(*shape, size=None, dtype=None, device=None, requires_grad=False,
          memory_format=None):
    return _filled(_shape(shape, size), 0, _dtype(dtype), device, requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False):
    if dtype is None:
        dtype = dtypes.scalar_dtype(fill_value.item() if isinstance(fill_value, Tensor)
                                    else fill_value)
    return _filled(tuple(size), fill_value, _dtype(dtype), device, requires_grad)


def _like(t, dtype, device):
    return (dtype or t.dtype), (device if device is not None else t.device)


def zeros_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    dtype, device = _like(input, dtype, device)
    return _filled(input.shape, 0, dtype, device, requires_grad)


def ones_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    dtype, device = _like(input, dtype, device)
    return _filled(input.shape, 1, dtype, device, requires_grad)


def empty_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return zeros_like(input, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False):
    dtype, device = _like(input, dtype, device)
    return _filled(input.shape, fill_value, dtype, device, requires_grad)


def arange(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """torch.arange: integers give int64, any float gives the default float dtype."""
    if end is None:
        start, end = 0, start
    values = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if dtype is None:
        dtype = (dtypes.int64 if all(isinstance(v, numbers.Integral) for v in values)
                 else dtypes.get_default_dtype())
    start, end, step = values
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    count = math.ceil((end - start) / step)
    array = (start + numpy.arange(count, dtype=numpy.float64) * step
             if dtype.is_floating_point else numpy.arange(start, end, step))
    return _finish(array.astype(_dtype(dtype).np), device, requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    """torch.linspace, computed from both ends towards the middle as torch does."""
    dtype = _dtype(dtype)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    i = numpy.arange(steps, dtype=numpy.float64)
    step = (end - start) / (steps - 1) if steps > 1 else 0.0
    halfway = steps // 2 if steps > 1 else 1  # a single step is just `start`, as in torch
    array = numpy.where(i < halfway, start + i * step, end - (steps - 1 - i) * step)
    if not dtype.is_floating_point:
        array = numpy.trunc(array)  # torch truncates when the dtype is integral
    return _finish(array.astype(dtype.np), device, requires_grad)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    exponents = linspace(start, end, steps, dtype=dtypes.float64)._data
    return _finish((base ** exponents).astype(_dtype(dtype).np), device, requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    return _finish(numpy.eye(n, n if m is None else m, dtype=_dtype(dtype).np), device,
                   requires_grad)


# ---- random ----


def _random_float(draw, shape, dtype, device, requires_grad, kernel="normal_kernel_cpu"):
    """Draw floats in float64 (or float32 directly) and cast to dtype."""
    dtype = _dtype(dtype)
    if not dtype.is_floating_point:  # torch's error names its C++ kernel and the dtype
        name = dtypes.scalar_type_name(dtype)
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{name}'")
    native = dtype.np if dtype.np in (numpy.float32, numpy.float64) else numpy.float32
    return _finish(draw(shape, native).astype(dtype.np, copy=False), device,
                   requires_grad)


def rand(*shape, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    rng = _random.rng(generator, device)
    return _random_float(lambda s, d: rng.random(s, dtype=d), _shape(shape, size), dtype, device,
                         requires_grad, kernel="check_uniform_bounds")


def randn(*shape, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    rng = _random.rng(generator, device)
    return _random_float(lambda s, d: rng.standard_normal(s, dtype=d), _shape(shape, size), dtype, device,
                         requires_grad)


def rand_like(input, *, dtype=None, device=None, requires_grad=False):
    return rand(input.shape, dtype=dtype or input.dtype, device=device or input.device,
                requires_grad=requires_grad)


def randn_like(input, *, dtype=None, device=None, requires_grad=False):
    return randn(input.shape, dtype=dtype or input.dtype, device=device or input.device,
                 requires_grad=requires_grad)


def randint(low, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad=False):
    """randint(high, size) or randint(low, high, size): integers in [low, high)."""
    if size is None:
        low, high, size = 0, low, high
    elif high is None:  # randint(high, size=...)
        low, high = 0, low
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got "
                           f"from={low} >= to={high}")
    array = _random.rng(generator, device).integers(low, high, tuple(size))
    return _finish(array.astype(_dtype(dtype, dtypes.int64).np), device, requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, device=None):
    if high is None:
        low, high = 0, low
    return randint(low, high, input.shape, dtype=dtype or input.dtype,
                   device=device or input.device)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    array = _random.rng(generator, device).permutation(n)
    return _finish(array.astype(_dtype(dtype, dtypes.int64).np), device, requires_grad)


def normal(mean, std=1.0, size=None, *, generator=None, dtype=None, device=None,
           requires_grad=False, out=None):
    """torch.normal: (float, float, size), or tensor mean and/or std broadcast together."""
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        if size is not None:
            raise TypeError("normal() got an unexpected size with tensor mean or std")
        like = mean if isinstance(mean, Tensor) else std
        rng = _random.rng(generator, like.device)
        if isinstance(std, Tensor) and bool((std._data < 0).any()):
            raise RuntimeError("normal expects all elements of std >= 0.0")
        shape = numpy.broadcast_shapes(*(t.shape if isinstance(t, Tensor) else ()
                                          for t in (mean, std)))
        # the host generator's draws, scaled and shifted where the tensors are
        draws = Tensor._wrap(move(rng.standard_normal(shape).astype(like._data.dtype),
                                  like.device))
        return _finish_on(draws * std + mean, device, requires_grad)
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    if size is None:
        raise TypeError("normal() missing 1 required positional argument: 'size'")
    rng = _random.rng(generator, device)
    return _random_float(lambda s, d: rng.normal(mean, std, s).astype(d), tuple(size), dtype,
                         device, requires_grad)


def dropout_mask(shape, p, dtype, device):
    """Dropout's scaled mask: 1 / (1 - p) with probability 1 - p, else 0 (0 < p < 1)."""
    keep = _random.keep_mask(tuple(shape), p, _random.rng(None, device))
    mask = numpy.multiply(keep, 1.0 / (1.0 - p), dtype=dtype.np)
    return Tensor._wrap(move(mask, device))


def bernoulli(input, p=None, *, generator=None):
    # the host generator's uniform draws, moved to the input's device, against the probabilities
    draws = move(_random.rng(generator, input.device).random(input.shape), input.device)
    array = draws < (input._data if p is None else p)
    return Tensor._wrap(array.astype(input._data.dtype))


# The legacy typed constructors (torch.FloatTensor([1, 2]), torch.LongTensor(2, 3)): Tensor's
# legacy constructor with a fixed dtype. d2l's custom-layer section calls FloatTensor. In torch
# they are also types for isinstance; here they are only constructors.
def FloatTensor(*args, device=None):
    return Tensor(*args, dtype=dtypes.float32, device=device)


def DoubleTensor(*args, device=None):
    return Tensor(*args, dtype=dtypes.float64, device=device)


def LongTensor(*args, device=None):
    return Tensor(*args, dtype=dtypes.int64, device=device)


def IntTensor(*args, device=None):
    return Tensor(*args, dtype=dtypes.int32, device=device)


def BoolTensor(*args, device=None):
    return Tensor(*args, dtype=dtypes.bool, device=device)
