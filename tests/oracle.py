"""The PyTorch oracle: run the same function on glasstorch and torch and compare everything.

    check(lambda x, y: x * y, (3, 4), (4,))          # two random float32 inputs, broadcast
    check(lambda lib, x: lib.exp(x), (2, 3))          # a first parameter `lib` gets the module
    check(lambda x, i: x[i], (5,), np.array([0, 0]))  # numpy arrays are used as given (indices)

Inputs are shapes (random values in [low, high], of `dtype`) or numpy arrays. Both
libraries get the same values. check compares, for every output: type, shape, dtype,
requires_grad and values; where torch raises, glasstorch must raise the same error
type. Then, with grad=True, it backpropagates a random-weighted sum of the outputs
(it catches more than .sum(): a gradient routed to the wrong element shows up) and
compares the .grad of every input (after tinygrad's helper_test_op).
"""

import inspect

import numpy as np
import pytest
import torch

import glasstorch

def _intel_avx512():
    """Whether this is an Intel CPU with AVX-512, where torch's MKL picks AVX-512 kernels."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            text = cpuinfo.read(1 << 16)
    except OSError:  # not Linux
        return False
    return "GenuineIntel" in text and " avx512f" in text


# Whether torch's small products here round as glasstorch/ops/linalg.py matches them bit for
# bit: that rule is MKL's on AVX2 (measured on AMD EPYC). On Intel CPUs with AVX-512, MKL's
# kernels round otherwise, depending on the shapes (torch there even misses the book's own
# 1e-6 check of the 1x1 convolution for about one draw in ten); tests compare within float
# rounding there.
MKL_ROUNDING_KNOWN = not _intel_avx512()

TOLERANCES = {"float32": (1e-5, 1e-4), "float64": (1e-10, 1e-8), "float16": (1e-2, 1e-2)}


def make_arrays(inputs, *, low=-2, high=2, dtype="float32", seed=0, noncontiguous=False):
    """numpy arrays for each input: shapes become random values, arrays are kept.

    dtype, low and high are one value for all inputs or a sequence with one per input.
    With noncontiguous=True, every input of 2 or more dims is a transposed view.
    """
    rng = np.random.default_rng(seed)
    n = len(inputs)
    dtypes = dtype if isinstance(dtype, (tuple, list)) else (dtype,) * n
    lows = low if isinstance(low, (tuple, list)) else (low,) * n
    highs = high if isinstance(high, (tuple, list)) else (high,) * n
    arrays = []
    for spec, name, low, high in zip(inputs, dtypes, lows, highs):
        if isinstance(spec, np.ndarray):
            arrays.append(spec)
            continue
        shape = tuple(spec)
        if noncontiguous and len(shape) >= 2:
            shape = shape[::-1]  # made reversed, then transposed back: same shape, other strides
        if name == "bool":
            array = np.asarray(rng.random(shape) < 0.5)
        elif np.dtype(name).kind in "iu":
            array = rng.integers(int(np.ceil(low)), int(np.floor(high)) + 1, shape).astype(name)
        else:
            array = np.asarray(rng.uniform(low, high, shape)).astype(name)
        arrays.append(array.T if noncontiguous and len(shape) >= 2 else array)
    return arrays


def to_library(arrays, lib, requires_grad):
    """Leaf tensors of `lib` holding the arrays (floats require grad when asked)."""
    tensors = []
    for array in arrays:
        # a private copy for each library, in the same memory order: a transposed array
        # stays a non-contiguous leaf
        t = lib.from_numpy(array.copy(order="K"))
        if requires_grad and array.dtype.kind == "f":
            t.requires_grad_(True)
        tensors.append(t)
    return tensors


def run(fn, lib, tensors):
    """fn(*tensors), or fn(lib, *tensors) when its first parameter is named `lib`."""
    params = list(inspect.signature(fn).parameters)
    return fn(lib, *tensors) if params and params[0] == "lib" else fn(*tensors)


def check(fn, *inputs, low=-2, high=2, dtype="float32", atol=None, rtol=None, grad=True,
          seed=0, noncontiguous=False, weighted=True):
    """Run fn on glasstorch and on torch with the same inputs; assert they agree."""
    arrays = make_arrays(inputs, low=low, high=high, dtype=dtype, seed=seed,
                         noncontiguous=noncontiguous)
    names = {a.dtype.name for a in arrays if a.dtype.kind == "f"} or {"float32"}
    default_atol, default_rtol = max(TOLERANCES[n] for n in names)
    atol = default_atol if atol is None else atol
    rtol = default_rtol if rtol is None else rtol

    ours_in = to_library(arrays, glasstorch, grad)
    theirs_in = to_library(arrays, torch, grad)
    try:
        theirs = run(fn, torch, theirs_in)
    except Exception as error:  # torch refuses: glasstorch must refuse with the same error type
        expected = next(c for c in type(error).__mro__ if c.__module__ == "builtins")
        with pytest.raises(expected):
            run(fn, glasstorch, ours_in)
        return None, error
    ours = run(fn, glasstorch, ours_in)
    compare(ours, theirs, atol, rtol, "output")
    if not grad:
        return ours, theirs

    rng = np.random.default_rng(seed + 1)
    ours_loss, theirs_loss = [], []
    for o, t in zip(flatten(ours), flatten(theirs)):
        if isinstance(t, torch.Tensor) and t.requires_grad:
            w = rng.standard_normal(tuple(t.shape)) if weighted else np.ones(tuple(t.shape))
            w = w.astype(str(t.dtype).replace("torch.", ""))
            ours_loss.append((o * glasstorch.from_numpy(w)).sum())
            theirs_loss.append((t * torch.from_numpy(w)).sum())
    if not theirs_loss:  # e.g. integer outputs: requires_grad was compared above
        return ours, theirs
    sum(ours_loss).backward()
    sum(theirs_loss).backward()
    for i, (o, t) in enumerate(zip(ours_in, theirs_in)):
        if t.grad is None:
            assert o.grad is None, f"input {i}: torch gives no gradient, glasstorch gives one"
        else:
            assert o.grad is not None, f"input {i}: glasstorch gives no gradient"
            compare(o.grad, t.grad, atol, rtol, f"grad of input {i}")
    return ours, theirs


def flatten(value):
    if isinstance(value, (tuple, list)):
        return [leaf for v in value for leaf in flatten(v)]
    return [value]


def compare(ours, theirs, atol, rtol, where):
    """Assert one glasstorch result matches torch's (recursing into tuples)."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, glasstorch.Tensor), f"{where}: expected a Tensor, got {ours!r}"
        assert tuple(ours.shape) == tuple(theirs.shape), (
            f"{where}: shape {tuple(ours.shape)} != torch's {tuple(theirs.shape)}")
        assert repr(ours.dtype) == repr(theirs.dtype), (
            f"{where}: dtype {ours.dtype} != torch's {theirs.dtype}")
        assert ours.requires_grad == theirs.requires_grad, (
            f"{where}: requires_grad {ours.requires_grad} != torch's {theirs.requires_grad}")
        mine = ours.detach().numpy()
        expected = theirs.detach().numpy()
        if expected.dtype.kind == "f":
            np.testing.assert_allclose(mine, expected, atol=atol, rtol=rtol, equal_nan=True,
                                       err_msg=f"{where}: values differ from torch")
        else:
            np.testing.assert_array_equal(mine, expected, err_msg=f"{where}: values differ")
    elif isinstance(theirs, (tuple, list)):
        assert isinstance(ours, (tuple, list)), f"{where}: expected a sequence, got {ours!r}"
        assert len(ours) == len(theirs), f"{where}: {len(ours)} results, torch gives {len(theirs)}"
        fields = getattr(type(theirs), "__match_args__", ())  # torch.return_types: named fields
        for name in fields:
            assert hasattr(ours, name), f"{where}: no field {name!r} (torch has {fields})"
        for k, (o, t) in enumerate(zip(ours, theirs)):
            compare(o, t, atol, rtol, f"{where}[{k}]")
    else:  # a Python number or bool (equal, allclose, item)
        assert type(ours) is type(theirs), f"{where}: {type(ours)} != torch's {type(theirs)}"
        if isinstance(theirs, float):
            np.testing.assert_allclose(ours, theirs, atol=atol, rtol=rtol)
        else:
            assert ours == theirs, f"{where}: {ours!r} != torch's {theirs!r}"
