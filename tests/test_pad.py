"""F.pad's reflect, replicate and circular modes, the padding layers, against PyTorch.

Constant padding's values are in test_nn_functional.py; Conv's padding_mode in test_conv.py.
"""

import numpy as np
import pytest
from oracle import check

import glasstorch
import glasstorch.nn.functional as F
from glasstorch.autograd import gradcheck, gradgradcheck

MODES = ["reflect", "replicate", "circular"]

# (input shape, pad): 1, 2 and 3 padded dims, batched and not, odd sizes, negative amounts
PAD_CASES = [
    ((2, 5), (1, 2)),                  # unbatched 1-d
    ((1, 3, 5), (2, 0)),               # batch of 1
    ((2, 3, 5), (4, 4)),               # as much as reflect allows: size - 1
    ((2, 3, 5), (-1, 2)),              # a crop on one side
    ((2, 3, 5), (3, -2)),
    ((2, 3, 5), (0, 0)),               # nothing: still a copy
    ((3, 4, 5), (1, 2, 3, 0)),         # unbatched 2-d
    ((2, 2, 4, 5), (1, 2, 3, 1)),
    ((1, 1, 3, 3), (2, 2, 2, 2)),      # odd, small
    ((2, 2, 5, 6), (-1, 2, 1, -2)),
    ((2, 3, 4, 5), (0, 0, 2, 1)),      # only the height
    ((2, 3, 4, 5), (2, 1, 1, 2, 1, 1)),  # 3 padded dims of a 4-d input (unbatched 3-d)
    ((1, 2, 3, 4, 5), (1, 2, 2, 0, 1, 1)),
]


@pytest.mark.parametrize("shape, pad", PAD_CASES)
@pytest.mark.parametrize("mode", MODES)
def test_pad_modes_match_torch(mode, shape, pad):
    ours, _ = check(lambda lib, x: f(lib).pad(x, pad, mode=mode), shape)
    assert ours is not None


@pytest.mark.parametrize("mode", MODES)
def test_pad_float64_and_integers(mode):
    check(lambda lib, x: f(lib).pad(x, (2, 1, 1, 2), mode=mode), (2, 2, 3, 4), dtype="float64")
    check(lambda lib, x: f(lib).pad(x, (2, 1), mode=mode), (2, 3, 4), dtype="int64", grad=False)


@pytest.mark.parametrize("mode", ["constant"] + MODES)
def test_pad_gradcheck_and_gradgradcheck_float64(mode):
    x = glasstorch.tensor(np.random.default_rng(0).standard_normal((2, 2, 3, 4)),
                          requires_grad=True)

    def fn(x):
        return F.pad(x, (3, 1, -1, 2), mode=mode) ** 2  # squared: a second derivative

    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


@pytest.mark.parametrize("mode", ["constant"] + MODES)
def test_pad_returns_new_memory(mode):
    x = glasstorch.arange(10.0).reshape(1, 2, 5)
    for pad in [(0, 0), (-1, -1)]:
        y = F.pad(x, pad, mode=mode)
        y.fill_(-1.0)
        assert x.min().item() == 0.0


def test_pad_output_is_differentiable_and_torch_sized(torch):
    x = glasstorch.ones(1, 1, 3, 3, requires_grad=True)
    y = F.pad(x, (1, 1, 1, 1), mode="reflect")
    assert y.requires_grad and y.shape == (1, 1, 5, 5)
    y.sum().backward()
    tx = torch.ones(1, 1, 3, 3, requires_grad=True)
    torch.nn.functional.pad(tx, (1, 1, 1, 1), mode="reflect").sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())  # the corners count 4 times


@pytest.mark.parametrize("shape, pad, mode, kwargs", [
    ((1, 2, 5), (1, 1), "foo", {}),
    ((1, 2, 5), (1, 1), "Reflect", {}),
    ((1, 2, 5), (1, 2, 3), "foo", {}),                # the mode is checked first
    ((1, 2, 5), (1, 2, 3), "reflect", {}),
    ((1, 2, 5), (1, 2, 3), "constant", {}),
    ((1, 2, 5), (1,) * 8, "replicate", {}),
    ((1, 2, 5), (1,) * 8, "constant", {}),
    ((1, 2, 5), (1, 1), "reflect", {"value": 1.0}),
    ((1, 2, 5), (1, 1), "circular", {"value": 2}),
    ((5,), (1, 1), "reflect", {}),                    # which dims each mode pads
    ((2, 5), (1, 1, 1, 1), "replicate", {}),
    ((1, 2, 3, 5), (1, 1), "circular", {}),
    ((1, 2, 5), (1,) * 6, "reflect", {}),
    ((1, 1, 2, 3, 5), (1, 1, 1, 1), "reflect", {}),
    ((1, 1, 1, 2, 3, 5), (1,) * 6, "replicate", {}),
    ((1, 2, 5), (5, 1), "reflect", {}),               # reflect: less than the size
    ((1, 2, 5), (-2, 5), "reflect", {}),
    ((3, 4), (4, 1), "reflect", {}),
    ((1, 3, 4), (1, 1, 3, 1), "reflect", {}),
    ((1, 1, 2, 3, 4), (0, 0, 0, 0, 2, 0), "reflect", {}),
    ((1, 1, 1), (1, 1), "reflect", {}),
    ((1, 2, 5), (-6, 1), "reflect", {}),              # nothing left
    ((1, 2, 5), (-5, 0), "replicate", {}),
    ((1, 2, 5), (-3, -3), "replicate", {}),
    ((1, 2, 0), (1, 1), "reflect", {}),               # empty non-batch dims
    ((2, 0, 4), (1, 1), "replicate", {}),
    ((2, 0, 3, 4), (1, 1, 1, 1), "reflect", {}),
    ((1, 2, 5), (6, 0), "circular", {}),              # circular: wraps at most once
    ((1, 2, 3, 4), (0, 0, 4, 0), "circular", {}),
    ((2, 3, 0), (1, 1), "circular", {}),
    ((1, 2, 5), (-3, -3), "circular", {}),
    ((1, 2, 5), (1, -6), "constant", {}),             # constant: crops at most everything
    ((1, 2, 5), (-6, -1), "constant", {}),
    ((1, 2, 5), (1.5, 1), "reflect", {}),
])
def test_pad_errors_match_torch(torch, shape, pad, mode, kwargs):
    with pytest.raises(Exception) as expected:
        torch.nn.functional.pad(torch.zeros(shape), pad, mode=mode, **kwargs)
    with pytest.raises(type(expected.value)) as ours:
        F.pad(glasstorch.zeros(shape), pad, mode=mode, **kwargs)
    assert str(ours.value) == str(expected.value).splitlines()[0]


@pytest.mark.parametrize("shape, pad, mode", [
    ((2, 3, 0), (1, 1), "constant"),  # padding an empty dim
    ((0, 2, 4), (1, 1), "reflect"),   # an empty batch
    ((0, 2, 4), (1, 1), "replicate"),
    ((2, 0, 4), (1, 1), "circular"),
    ((1, 2, 5), (5, 5), "circular"),  # wraps exactly once
    ((1, 2, 5), (-5, 0), "circular"),  # crops everything
    ((1, 2, 5), (-3, -2), "constant"),
    ((1, 2, 5), (-6, 7), "replicate"),  # crops past one end, replicates the other
    ((1, 3, 4), (-2, -2, 1, 1), "reflect"),
])
def test_pad_edge_cases_match_torch(shape, pad, mode):
    check(lambda lib, x: f(lib).pad(x, pad, mode=mode), shape)


# ---- the padding layers ----


LAYERS = [
    lambda nn: nn.ZeroPad1d(2),
    lambda nn: nn.ZeroPad2d(1),
    lambda nn: nn.ZeroPad2d((1, 0, 2, 3)),
    lambda nn: nn.ZeroPad3d((1, 0, 2, 1, 0, 1)),
    lambda nn: nn.ConstantPad1d(2, 3.5),
    lambda nn: nn.ConstantPad1d((0, 3), -1),
    lambda nn: nn.ConstantPad2d((1, 2, 0, 1), 0.5),
    lambda nn: nn.ConstantPad3d(1, 2.0),
    lambda nn: nn.ReflectionPad1d(2),
    lambda nn: nn.ReflectionPad1d([1, 3]),
    lambda nn: nn.ReflectionPad2d((1, 2, 2, 0)),
    lambda nn: nn.ReflectionPad3d(1),
    lambda nn: nn.ReplicationPad1d((3, 1)),
    lambda nn: nn.ReplicationPad2d(2),
    lambda nn: nn.ReplicationPad3d((1, 0, 0, 2, 1, 1)),
    lambda nn: nn.CircularPad1d(3),
    lambda nn: nn.CircularPad2d((1, 2, 3, 0)),
    lambda nn: nn.CircularPad3d(1),
]


@pytest.mark.parametrize("make", LAYERS)
@pytest.mark.parametrize("batched", [True, False])
def test_padding_layers_match_torch(torch, make, batched):
    theirs = make(torch.nn)
    ours = make(glasstorch.nn)
    assert repr(ours) == repr(theirs)
    assert ours.padding == theirs.padding
    dims = len(theirs.padding) // 2
    shape = (2, 3, 4, 5, 4)[-(dims + 1 + batched):]
    check(lambda lib, x: (ours if lib is glasstorch else theirs)(x), shape)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == []


@pytest.mark.parametrize("make, shape", [
    (lambda nn: nn.CircularPad1d(1), (4,)),
    (lambda nn: nn.CircularPad1d(1), (1, 2, 3, 4)),
    (lambda nn: nn.CircularPad2d(1), (3, 4)),
    (lambda nn: nn.CircularPad3d(1), (1, 2, 3, 4, 5, 6)),
    (lambda nn: nn.ReflectionPad2d(1), (3, 4)),
    (lambda nn: nn.ReflectionPad1d(4), (1, 2, 4)),
])
def test_padding_layer_errors_match_torch(torch, make, shape):
    with pytest.raises(Exception) as expected:
        make(torch.nn)(torch.zeros(shape))
    with pytest.raises(type(expected.value)) as ours:
        make(glasstorch.nn)(glasstorch.zeros(shape))
    assert str(ours.value) == str(expected.value).splitlines()[0]


def f(lib):
    return lib.nn.functional
