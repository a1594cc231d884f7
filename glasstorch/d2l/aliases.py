"""The array aliases of the book: `d2l.tensor`, `d2l.zeros`, `d2l.reshape(x, shape)`, ...

Both editions' `d2l/torch.py` end with these names (d2l-zh v2 with the first list, d2l-en
with a few more: ones_like, zeros_like, randn, int64, sigmoid, batch_matmul, reduce_mean,
expand_dims, swapaxes, repeat); here is their union (the block's `nn_Module` is in
oo_design.py). The book writes the method aliases as lambdas; here each is a small named
function that calls the same method.
"""

import glasstorch as torch

__all__ = [
    "abs", "arange", "argmax", "astype", "batch_matmul", "concat", "cos", "cosh", "exp",
    "expand_dims", "eye", "float32", "int32", "int64", "linspace", "log", "matmul", "meshgrid",
    "normal", "numpy", "ones", "ones_like", "rand", "randn", "reduce_mean", "reduce_sum", "repeat",
    "reshape", "sigmoid", "sin", "sinh", "size", "stack", "swapaxes", "tanh", "tensor", "to",
    "transpose", "zeros", "zeros_like",
]

ones = torch.ones
ones_like = torch.ones_like
zeros = torch.zeros
zeros_like = torch.zeros_like
tensor = torch.tensor
arange = torch.arange
meshgrid = torch.meshgrid
sin = torch.sin
sinh = torch.sinh
cos = torch.cos
cosh = torch.cosh
tanh = torch.tanh
linspace = torch.linspace
exp = torch.exp
log = torch.log
normal = torch.normal
rand = torch.rand
randn = torch.randn
matmul = torch.matmul
int32 = torch.int32
int64 = torch.int64
float32 = torch.float32
concat = torch.cat
stack = torch.stack
abs = torch.abs  # shadows the builtin in d2l's namespace, as in the book
eye = torch.eye
sigmoid = torch.sigmoid
batch_matmul = torch.bmm


def numpy(x, *args, **kwargs):
    """x.detach().numpy(): the values as a NumPy array."""
    return x.detach().numpy(*args, **kwargs)


def size(x, *args, **kwargs):
    """x.numel(): the number of elements."""
    return x.numel(*args, **kwargs)


def reshape(x, *args, **kwargs):
    """x.reshape(...)."""
    return x.reshape(*args, **kwargs)


def to(x, *args, **kwargs):
    """x.to(...): another device or dtype."""
    return x.to(*args, **kwargs)


def reduce_sum(x, *args, **kwargs):
    """x.sum(...)."""
    return x.sum(*args, **kwargs)


def argmax(x, *args, **kwargs):
    """x.argmax(...)."""
    return x.argmax(*args, **kwargs)


def astype(x, *args, **kwargs):
    """x.type(dtype): a copy in another dtype."""
    return x.type(*args, **kwargs)


def transpose(x, *args, **kwargs):
    """x.t(): the transpose of a matrix."""
    return x.t(*args, **kwargs)


def reduce_mean(x, *args, **kwargs):
    """x.mean(...)."""
    return x.mean(*args, **kwargs)


def expand_dims(x, *args, **kwargs):
    """x.unsqueeze(dim)."""
    return x.unsqueeze(*args, **kwargs)


def swapaxes(x, *args, **kwargs):
    """x.swapaxes(axis0, axis1)."""
    return x.swapaxes(*args, **kwargs)


def repeat(x, *args, **kwargs):
    """x.repeat(*sizes)."""
    return x.repeat(*args, **kwargs)
