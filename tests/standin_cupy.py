"""A test-only stand-in for CuPy: numpy arrays behind a wall, so that CI catches device bugs.

CI has no GPU (issue 12). This module plays CuPy for glasstorch's device "cuda": its arrays
hold numpy arrays but refuse, as CuPy's do, every implicit conversion to numpy (`np.asarray`,
numpy functions and ufuncs called directly on them) and every mix with host (numpy) arrays.
Only calls through this module (glasstorch's `xp`) and the arrays' own methods and operators
work. So an op that calls numpy directly on a device array fails here as it would on a GPU.

It is a test double for the device discipline only: it does not check what CuPy supports.

    with standin_cupy.installed():   # glasstorch.cuda.is_available() is True inside
        x = glasstorch.randn(3, device="cuda")
"""

import contextlib
import importlib
import threading
import types

import numpy

_device = importlib.import_module("glasstorch.device")  # the module (glasstorch.device is the class)
_function = importlib.import_module("glasstorch.autograd.function")

_IMPLICIT = ("Implicit conversion to a NumPy array is not allowed. Please use `.get()` to "
             "construct a NumPy array explicitly.")
_state = threading.local()  # .depth > 0: inside a call made through this module


@contextlib.contextmanager
def _through_xp():
    _state.depth = getattr(_state, "depth", 0) + 1
    try:
        with numpy.errstate(all="ignore"):  # CuPy never warns about inf or nan
            yield
    finally:
        _state.depth -= 1


def _unwrap(value):
    """Device arrays to their numpy arrays, inside tuples and lists; host arrays refused."""
    if type(value) is ndarray:
        return value._array
    if isinstance(value, numpy.ndarray) and value.ndim > 0:
        raise TypeError(f"Unsupported type {type(value)}: a host (numpy) array mixed with "
                        "device arrays")
    if isinstance(value, (tuple, list)):
        return type(value)(_unwrap(v) for v in value)
    return value


def _wrap(value):
    if isinstance(value, numpy.ndarray):
        return ndarray(value)
    if isinstance(value, numpy.generic):  # CuPy returns 0-d arrays, never numpy scalars
        return ndarray(numpy.asarray(value))
    if isinstance(value, tuple):
        return tuple(_wrap(v) for v in value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


def _call(fn, args, kwargs):
    with _through_xp():
        return _wrap(fn(*_unwrap(args), **{k: _unwrap(v) for k, v in kwargs.items()}))


def _check_through_xp(what):
    if not getattr(_state, "depth", 0):
        raise TypeError(f"{_IMPLICIT} ({what} called on a device array)")


class _Device:
    def __init__(self, id=0):
        self.id = id

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def synchronize(self):
        pass

    def use(self):
        pass


class ndarray:
    """A device array: a numpy array that numpy itself may not touch."""

    __slots__ = ("_array",)

    def __init__(self, array):
        self._array = array

    # the wall
    def __array__(self, *args, **kwargs):
        raise TypeError(_IMPLICIT)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        _check_through_xp(f"numpy.{ufunc.__name__}")
        if "out" in kwargs:
            kwargs["out"] = tuple(_unwrap(o) for o in kwargs["out"])
        return _call(getattr(ufunc, method), inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        _check_through_xp(f"numpy.{func.__name__}")
        return _call(func, args, kwargs)

    def get(self):
        return self._array.copy()

    @property
    def device(self):
        return _Device(0)

    @property
    def data(self):  # CuPy's MemoryPointer, as far as its address
        return types.SimpleNamespace(ptr=self._array.__array_interface__["data"][0])

    # attributes and methods of the array, on the device
    def __getattr__(self, name):
        if name.startswith("__"):  # __array_interface__, __array_struct__, ...: no way around
            raise AttributeError(name)
        value = getattr(self._array, name)
        if callable(value):
            return lambda *args, **kwargs: _call(value, args, kwargs)
        return _wrap(value)

    @property
    def shape(self):
        return self._array.shape

    @shape.setter
    def shape(self, shape):
        self._array.shape = shape

    @property
    def T(self):
        return ndarray(self._array.T)

    @property
    def mT(self):
        return ndarray(self._array.mT)

    def __len__(self):
        return len(self._array)

    def __bool__(self):
        return bool(self._array)

    def __float__(self):
        return float(self._array)

    def __int__(self):
        return int(self._array)

    def __index__(self):
        return self._array.__index__()

    def __iter__(self):
        return (ndarray(a) if isinstance(a, numpy.ndarray) else _wrap(a) for a in self._array)

    def __repr__(self):
        return f"standin_cupy.ndarray({self._array!r})"

    def __getitem__(self, key):
        return _wrap(self._array[_unwrap(key)])

    def __setitem__(self, key, value):
        self._array[_unwrap(key)] = _unwrap(value)

    def __hash__(self):
        raise TypeError("unhashable type: 'ndarray'")


def _operator(name):
    def method(self, *args):
        with _through_xp():
            return _wrap(getattr(self._array, name)(*_unwrap(args)))
    method.__name__ = name
    return method


for _name in ("add radd sub rsub mul rmul truediv rtruediv floordiv rfloordiv mod rmod pow rpow "
              "matmul rmatmul and rand or ror xor rxor lshift rlshift rshift rrshift lt le gt "
              "ge eq ne neg pos abs invert").split():
    setattr(ndarray, f"__{_name}__", _operator(f"__{_name}__"))


def _returns_self_in_place(name):
    def method(self, other):
        with _through_xp():
            getattr(self._array, name)(_unwrap(other))
        return self
    return method


for _name in "iadd isub imul itruediv ifloordiv imod ipow iand ior ixor".split():
    setattr(ndarray, f"__{_name}__", _returns_self_in_place(f"__{_name}__"))


class _Namespace(types.SimpleNamespace):
    """numpy's functions (or a submodule's) called through the wall, their results wrapped."""

    def __init__(self, source, **extra):
        super().__init__(**extra)
        self._source = source

    def __getattr__(self, name):
        value = getattr(self._source, name)
        if isinstance(value, types.ModuleType):
            return _Namespace(value)
        if isinstance(value, numpy.ufunc):
            return _UFunc(value)
        if callable(value) and not isinstance(value, type):
            return lambda *args, **kwargs: _call(value, args, kwargs)
        if hasattr(value, "__getitem__") and not isinstance(value, (type, tuple, str)):
            return _Indexable(value)  # ogrid, mgrid, r_, ...
        return value  # dtypes, constants (pi, inf, newaxis), classes


class _UFunc:
    """A numpy ufunc through the wall, with its methods (CuPy's ufuncs have .at too)."""

    def __init__(self, ufunc):
        self._ufunc = ufunc
        self.__name__ = ufunc.__name__

    def __call__(self, *args, **kwargs):
        return _call(self._ufunc, args, kwargs)

    def __getattr__(self, name):  # at, reduce, accumulate, outer
        method = getattr(self._ufunc, name)
        return lambda *args, **kwargs: _call(method, args, kwargs)


class _Indexable:
    def __init__(self, source):
        self._source = source

    def __getitem__(self, key):
        with _through_xp():
            return _wrap(self._source[_unwrap(key)])


class _MemoryPool:
    """CuPy's memory pool, as far as glasstorch.cuda reads it: nothing is really allocated."""

    def used_bytes(self):
        return 0

    def total_bytes(self):
        return 0

    def free_all_blocks(self):
        pass


_POOL = _MemoryPool()


def _asarray(value, dtype=None, **kwargs):
    if type(value) is ndarray:
        array = value._array
        return value if dtype is None or array.dtype == dtype else ndarray(array.astype(dtype))
    return ndarray(numpy.array(value, dtype=dtype))  # from the host: an explicit copy


def _asnumpy(value, *args, **kwargs):
    return value._array.copy() if type(value) is ndarray else numpy.asarray(value)


def _array(value, dtype=None, copy=True, **kwargs):
    if type(value) is ndarray:
        return ndarray(numpy.array(value._array, dtype=dtype, copy=copy))
    return ndarray(numpy.array(value, dtype=dtype))


fused_kernels = []  # the names of the fused functions called, in order (see device.fused)


def _fuse(function=None, *, kernel_name=None):
    """cupy.fuse: here the plain call on device arrays, its name recorded in fused_kernels.
    Whether real CuPy can fuse the body is only checked on a GPU."""
    def decorate(function):
        name = kernel_name or function.__name__

        def kernel(*args):
            if getattr(_state, "fusing", False):  # called from a fused body: part of its kernel
                return function(*args)
            fused_kernels.append(name)
            _state.fusing = True
            try:
                return function(*args)
            finally:
                _state.fusing = False
        return kernel
    return decorate if function is None else decorate(function)


cupy = _Namespace(
    numpy,
    ndarray=ndarray,
    asarray=_asarray,
    asnumpy=_asnumpy,
    array=_array,
    get_array_module=lambda *arrays: cupy,
    fuse=_fuse,
    cuda=types.SimpleNamespace(
        runtime=types.SimpleNamespace(
            getDeviceCount=lambda: 1, getDevice=lambda: 0,
            getDeviceProperties=lambda index: {"name": b"Stand-in GPU"}),
        Device=_Device,
        get_device_id=lambda: 0,
    ),
    get_default_memory_pool=lambda: _POOL,
)


@contextlib.contextmanager
def installed():
    """glasstorch with this stand-in as its CuPy: device 'cuda' available, one GPU."""
    saved = _device._cupy, _device.HAS_CUPY, _function.HAS_CUPY
    _device._cupy, _device.HAS_CUPY, _function.HAS_CUPY = cupy, True, True
    try:
        yield cupy
    finally:
        _device._cupy, _device.HAS_CUPY, _function.HAS_CUPY = saved
