"""The book's array aliases (d2l/aliases.py): each alias expression on glasstorch.d2l against
the same expression on the book's aliases over real PyTorch (copied below from d2l-en's
d2l/torch.py, whose list contains d2l-zh's)."""

import types

import numpy as np
import pytest
import torch
from torch import nn

import glasstorch
import glasstorch.d2l.torch as gd2l

# ---- the oracle: the book's alias block, unchanged, on PyTorch ----
book = types.SimpleNamespace(
    nn_Module=nn.Module,
    ones_like=torch.ones_like,
    ones=torch.ones,
    zeros_like=torch.zeros_like,
    zeros=torch.zeros,
    tensor=torch.tensor,
    arange=torch.arange,
    meshgrid=torch.meshgrid,
    sin=torch.sin,
    sinh=torch.sinh,
    cos=torch.cos,
    cosh=torch.cosh,
    tanh=torch.tanh,
    linspace=torch.linspace,
    exp=torch.exp,
    log=torch.log,
    normal=torch.normal,
    rand=torch.rand,
    randn=torch.randn,
    matmul=torch.matmul,
    int32=torch.int32,
    int64=torch.int64,
    float32=torch.float32,
    concat=torch.cat,
    stack=torch.stack,
    abs=torch.abs,
    eye=torch.eye,
    sigmoid=torch.sigmoid,
    batch_matmul=torch.bmm,
    numpy=lambda x, *args, **kwargs: x.detach().numpy(*args, **kwargs),
    size=lambda x, *args, **kwargs: x.numel(*args, **kwargs),
    reshape=lambda x, *args, **kwargs: x.reshape(*args, **kwargs),
    to=lambda x, *args, **kwargs: x.to(*args, **kwargs),
    reduce_sum=lambda x, *args, **kwargs: x.sum(*args, **kwargs),
    argmax=lambda x, *args, **kwargs: x.argmax(*args, **kwargs),
    astype=lambda x, *args, **kwargs: x.type(*args, **kwargs),
    transpose=lambda x, *args, **kwargs: x.t(*args, **kwargs),
    reduce_mean=lambda x, *args, **kwargs: x.mean(*args, **kwargs),
    expand_dims=lambda x, *args, **kwargs: x.unsqueeze(*args, **kwargs),
    swapaxes=lambda x, *args, **kwargs: x.swapaxes(*args, **kwargs),
    repeat=lambda x, *args, **kwargs: x.repeat(*args, **kwargs),
)

# d2l-zh v2's list (a subset of d2l-en's): both must be reachable as d2l.NAME
ZH = ["nn_Module", "ones", "zeros", "tensor", "arange", "meshgrid", "sin", "sinh", "cos", "cosh",
      "tanh", "linspace", "exp", "log", "normal", "rand", "matmul", "int32", "float32", "concat",
      "stack", "abs", "eye", "numpy", "size", "reshape", "to", "reduce_sum", "argmax", "astype",
      "transpose"]
X = np.arange(-3, 3, dtype=np.float32).reshape(2, 3) / 2

# "alias[:variant]": the expression, as a function of the d2l namespace and the library
CASES = {
    "ones": lambda d, lib: d.ones(2, 3),
    "ones_like": lambda d, lib: d.ones_like(lib.tensor(X)),
    "zeros": lambda d, lib: d.zeros((2, 3), dtype=d.int64),
    "zeros_like": lambda d, lib: d.zeros_like(lib.tensor(X)),
    "tensor": lambda d, lib: d.tensor([[1, 2], [3, 4]]),
    "tensor:float": lambda d, lib: d.tensor([1.0, 2.5], dtype=d.float32),
    "arange": lambda d, lib: d.arange(12),
    "arange:float": lambda d, lib: d.arange(0.0, 1.0, 0.25),
    "meshgrid": lambda d, lib: d.meshgrid(d.arange(2), d.arange(3), indexing="ij"),
    "sin": lambda d, lib: d.sin(lib.tensor(X)),
    "sinh": lambda d, lib: d.sinh(lib.tensor(X)),
    "cos": lambda d, lib: d.cos(lib.tensor(X)),
    "cosh": lambda d, lib: d.cosh(lib.tensor(X)),
    "tanh": lambda d, lib: d.tanh(lib.tensor(X)),
    "linspace": lambda d, lib: d.linspace(-1, 1, 7),
    "exp": lambda d, lib: d.exp(lib.tensor(X)),
    "log": lambda d, lib: d.log(d.abs(lib.tensor(X)) + 1),
    "normal": lambda d, lib: d.normal(0, 1, (3, 4)).shape,
    "rand": lambda d, lib: d.rand(2, 5).shape,
    "randn": lambda d, lib: d.randn(2, 5).dtype,
    "matmul": lambda d, lib: d.matmul(lib.tensor(X), d.transpose(lib.tensor(X))),
    "int32": lambda d, lib: d.astype(lib.tensor(X), d.int32),
    "int64": lambda d, lib: d.tensor([1, 2], dtype=d.int64) * 3,
    "float32": lambda d, lib: d.astype(d.arange(3), d.float32),
    "concat": lambda d, lib: d.concat((lib.tensor(X), lib.tensor(X)), dim=1),
    "stack": lambda d, lib: d.stack([lib.tensor(X), lib.tensor(X)], 0),
    "abs": lambda d, lib: d.abs(lib.tensor(X)),
    "eye": lambda d, lib: d.eye(3),
    "sigmoid": lambda d, lib: d.sigmoid(lib.tensor(X)),
    "batch_matmul": lambda d, lib: d.batch_matmul(d.ones(2, 1, 3), d.ones(2, 3, 4)),
    "numpy": lambda d, lib: d.numpy(lib.tensor(X, requires_grad=True) * 2),
    "size": lambda d, lib: d.size(lib.tensor(X)),
    "reshape": lambda d, lib: d.reshape(lib.tensor(X), (3, 2)),
    "reshape:flat": lambda d, lib: d.reshape(lib.tensor(X), -1),
    "to": lambda d, lib: d.to(lib.tensor(X), dtype=lib.float64),
    "reduce_sum": lambda d, lib: d.reduce_sum(lib.tensor(X)),
    "reduce_sum:axis": lambda d, lib: d.reduce_sum(lib.tensor(X), axis=0),
    "argmax": lambda d, lib: d.argmax(lib.tensor(X), axis=1),
    "astype": lambda d, lib: d.astype(lib.tensor(X) > 0, lib.float32),
    "transpose": lambda d, lib: d.transpose(lib.tensor(X)),
    "reduce_mean": lambda d, lib: d.reduce_mean(lib.tensor(X), axis=1),
    "expand_dims": lambda d, lib: d.expand_dims(lib.tensor(X), 1),
    "swapaxes": lambda d, lib: d.swapaxes(d.ones(2, 3, 4), 0, 2).shape,
    "repeat": lambda d, lib: d.repeat(lib.tensor(X), 2, 1),
}


def same(ours, theirs):
    if isinstance(theirs, (tuple, list)) and not isinstance(theirs, torch.Size):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs, strict=True):
            same(a, b)
    elif isinstance(theirs, torch.Tensor):
        assert isinstance(ours, glasstorch.Tensor)
        assert tuple(ours.shape) == tuple(theirs.shape)
        assert str(ours.dtype) == str(theirs.dtype)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-6)
    elif isinstance(theirs, np.ndarray):
        assert isinstance(ours, np.ndarray) and ours.dtype == theirs.dtype
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    elif isinstance(theirs, torch.Size):
        assert tuple(ours) == tuple(theirs)
    elif isinstance(theirs, torch.dtype):
        assert str(ours) == str(theirs)
    else:
        assert type(ours) is type(theirs) and ours == theirs


@pytest.mark.parametrize("case", sorted(CASES))
def test_alias_matches_the_book_on_torch(case):
    same(CASES[case](gd2l, glasstorch), CASES[case](book, torch))


def test_every_alias_of_both_editions_is_reachable_as_d2l_torch_name():
    from glasstorch import d2l

    for name in sorted(vars(book)):
        assert hasattr(gd2l, name), name
        assert getattr(d2l, name) is getattr(gd2l, name)
    assert set(ZH) <= set(vars(book))
    tested = {case.split(":")[0] for case in CASES}
    assert tested == set(vars(book)) - {"nn_Module"}  # every alias has a case


def test_function_aliases_are_glasstorchs_own_functions():
    assert gd2l.concat is glasstorch.cat
    assert gd2l.batch_matmul is glasstorch.bmm
    assert gd2l.float32 is glasstorch.float32


def test_method_aliases_pass_keyword_arguments_through():
    x = glasstorch.tensor(X)
    assert gd2l.reduce_sum(x, dim=1, keepdim=True).shape == (2, 1)
    assert gd2l.argmax(x, dim=0).tolist() == [1, 1, 1]
    assert gd2l.reduce_mean(x, 0, keepdim=True).shape == (1, 3)


def test_numpy_alias_detaches_from_the_graph():
    x = glasstorch.tensor(X, requires_grad=True)
    with pytest.raises(RuntimeError):
        (x * 2).numpy()  # PyTorch's rule, which is why the book's alias detaches
    assert isinstance(gd2l.numpy(x * 2), np.ndarray)
