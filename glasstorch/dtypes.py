"""dtype objects named like torch's, and PyTorch's type-promotion rules.

NumPy promotes differently (int64 * 2.5 -> float64, uint8 + int8 -> int16 but
float32 + int64 -> float64), so every op asks `result_type` here and casts its
operands before NumPy sees them.
"""

import builtins

import numpy as np


class dtype:
    """A torch dtype: `glasstorch.float32`. Wraps the numpy dtype that stores it."""

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize", "_kind", "_rank")

    def __init__(self, name, np_dtype, kind, rank):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = kind == "float"
        self.is_signed = name not in ("uint8", "bool")
        self.itemsize = self.np.itemsize
        self._kind = kind  # 'bool' < 'int' < 'float': the promotion categories
        self._rank = rank  # order inside a category

    def __repr__(self):
        return f"torch.{self.name}"

    def __reduce__(self):  # pickle by name, so the objects stay singletons
        return (_by_name, (self.name,))

    @property
    def is_complex(self):
        return False


bool = dtype("bool", np.bool_, "bool", 0)
uint8 = dtype("uint8", np.uint8, "int", 1)
int8 = dtype("int8", np.int8, "int", 1)
int16 = dtype("int16", np.int16, "int", 2)
int32 = dtype("int32", np.int32, "int", 3)
int64 = dtype("int64", np.int64, "int", 4)
float16 = dtype("float16", np.float16, "float", 1)
float32 = dtype("float32", np.float32, "float", 2)
float64 = dtype("float64", np.float64, "float", 3)

# torch's other names for the same dtypes
half = float16
float = float32
double = float64
short = int16
int = int32
long = int64

ALL = (bool, uint8, int8, int16, int32, int64, float16, float32, float64)
_FROM_NUMPY = {d.np: d for d in ALL}
_NAMES = {d.name: d for d in ALL}
# torch's aliases
_NAMES.update(half=half, float=float, double=double, short=short, int=int, long=long)


_SCALAR_TYPE_NAMES = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
                      "uint8": "Byte", "bool": "Bool", "float32": "Float", "float64": "Double",
                      "float16": "Half"}


def scalar_type_name(dtype):
    """torch's capitalised scalar-type name (Long, Float, ...) of a dtype or a numpy dtype."""
    return _SCALAR_TYPE_NAMES[dtype.name]


def _by_name(name):
    return _NAMES[name]


def from_numpy(np_dtype):
    """The torch dtype of a numpy dtype; TypeError for ones torch lacks (like str)."""
    try:
        return _FROM_NUMPY[np_dtype]
    except KeyError:
        pass
    try:
        return _FROM_NUMPY[np.dtype(np_dtype)]
    except (KeyError, TypeError):
        raise TypeError(
            f"can't convert np.ndarray of type {np.dtype(np_dtype)}. The only supported types "
            "are: float64, float32, float16, int64, int32, int16, int8, uint8, and bool."
        ) from None


def to_dtype(value):
    """Accept a glasstorch dtype, a numpy dtype or a type like `float`."""
    if isinstance(value, dtype):
        return value
    if value is builtins.float:
        return get_default_dtype()
    if value is builtins.int:
        return int64
    if value is builtins.bool:
        return bool
    return from_numpy(value)


_default = float32


def get_default_dtype():
    return _default


def set_default_dtype(d):
    global _default
    if d not in (float16, float32, float64):
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default = d


def promote_types(a, b):
    """torch.promote_types: the smallest dtype both a and b convert to without loss."""
    if a is b:
        return a
    if a._kind != b._kind:  # the higher category wins: bool < int < float
        return a if _CATEGORY[a._kind] > _CATEGORY[b._kind] else b
    if a._kind == "int" and a._rank == b._rank == 1:  # uint8 with int8
        return int16
    if a is uint8 or b is uint8:  # uint8 with a wider signed int: the signed one
        return b if a is uint8 else a
    return a if a._rank > b._rank else b


_CATEGORY = {"bool": 0, "int": 1, "float": 2}


def scalar_dtype(value):
    """The dtype a Python number gets when it takes part in an op (a "weak" scalar)."""
    # builtins.*: this module's own `bool`, `int` and `float` are torch dtypes
    if isinstance(value, builtins.bool):
        return bool
    if isinstance(value, builtins.int):
        return int64
    if isinstance(value, builtins.float):
        return _default
    raise TypeError(f"unsupported scalar type {type(value).__name__}")


def result_type(*operands):
    """torch.result_type over tensors and Python scalars.

    Operands fall in three priority groups: tensors with dims, 0-dim tensors, Python
    numbers. A lower group only matters when it is of a higher category (bool < int
    < float) than every group above it, which is why `int_tensor * 2.5` is float32
    but `float16_tensor * 2.5` stays float16.
    """
    groups = [None, None, None]
    for x in operands:
        if hasattr(x, "_data"):  # a Tensor (duck-typed to keep this layer below _tensor.py)
            d = from_numpy(x._data.dtype)
            g = 0 if x._data.ndim else 1
        else:
            d = scalar_dtype(x)
            g = 2
        groups[g] = d if groups[g] is None else promote_types(groups[g], d)
    result = None
    for d in groups:
        if d is not None and (result is None or _CATEGORY[d._kind] > _CATEGORY[result._kind]):
            result = d
    return result
