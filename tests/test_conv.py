"""conv1d/conv2d, unfold/fold and the Conv modules against PyTorch; gradcheck of the duals."""

import numpy as np
import pytest
from oracle import check

import glasstorch
import glasstorch.nn.functional as GF


def _pair(torch, shape_x, shape_w, bias, dtype="float32"):
    """The same random input, weight and bias in both libraries, all requiring grad."""
    rng = np.random.default_rng(sum(shape_x) + 7 * sum(shape_w))
    arrays = [rng.standard_normal(shape_x), rng.standard_normal(shape_w)]
    if bias:
        arrays.append(rng.standard_normal(shape_w[0]))
    arrays = [a.astype(dtype) for a in arrays]
    ours = [glasstorch.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    return ours, theirs


def _check_conv(torch, name, shape_x, shape_w, bias=True, **kwargs):
    (x, w, *b), (tx, tw, *tb) = _pair(torch, shape_x, shape_w, bias)
    y = getattr(GF, name)(x, w, *b, **kwargs)
    ty = getattr(torch.nn.functional, name)(tx, tw, *tb, **kwargs)
    assert y.shape == ty.shape
    assert y.dtype == glasstorch.float32
    if x.ndim == w.ndim:  # batched: one node, as torch's
        assert y.grad_fn.name() == ty.grad_fn.name() == "ConvolutionBackward0"
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-4)
    # a non-uniform upstream gradient, so that every position's gradient counts differently
    u = np.random.default_rng(1).standard_normal(ty.shape).astype("float32")
    (y * glasstorch.tensor(u)).sum().backward()
    (ty * torch.tensor(u)).sum().backward()
    for ours, theirs in zip([x, w, *b], [tx, tw, *tb]):
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-4, atol=1e-4)


CONV2D_CASES = [
    ((2, 3, 9, 8), (6, 3, 3, 3), {}),
    ((2, 3, 9, 8), (6, 3, 3, 3), {"stride": 2, "padding": 1}),
    ((1, 3, 11, 7), (4, 3, 3, 2), {"stride": (2, 3), "padding": (2, 1)}),
    ((2, 2, 10, 9), (3, 2, 3, 3), {"dilation": 2, "padding": 2}),
    ((2, 2, 10, 9), (3, 2, 2, 3), {"dilation": (2, 1), "stride": (1, 2)}),
    ((2, 4, 7, 7), (6, 2, 3, 3), {"groups": 2, "padding": 1}),
    ((2, 4, 7, 6), (4, 1, 3, 3), {"groups": 4, "padding": 1}),  # depthwise
    ((2, 4, 7, 6), (8, 1, 3, 3), {"groups": 4, "stride": 2}),  # depthwise, multiplier 2
    ((2, 3, 9, 8), (5, 3, 3, 3), {"padding": "same"}),
    ((2, 3, 9, 8), (5, 3, 4, 2), {"padding": "same"}),  # even kernel: the extra zero goes after
    ((2, 3, 9, 8), (5, 3, 2, 3), {"padding": "same", "dilation": (3, 2)}),
    ((2, 3, 9, 8), (5, 3, 3, 3), {"padding": "valid"}),
    ((1, 1, 5, 5), (1, 1, 5, 5), {}),  # the kernel covers the whole input
    ((3, 2, 6, 6), (2, 2, 1, 1), {"stride": 3}),
    # 784 windows or more per image: one product per image, straight into the output
    ((2, 4, 28, 28), (6, 2, 3, 3), {"groups": 2, "padding": 1}),
    ((2, 3, 30, 29), (4, 3, 3, 3), {"padding": "same"}),
    ((2, 4, 58, 58), (8, 1, 3, 3), {"groups": 4, "stride": 2, "padding": 1}),
    ((2, 4, 27, 29), (6, 2, 3, 3), {"groups": 2, "padding": 1}),  # 783: one large product
    # fewer output than input channels, stride 1, little padding: shifted products on the grid
    ((2, 8, 12, 12), (4, 8, 3, 3), {"padding": 1}),
    ((2, 8, 12, 11), (4, 4, 3, 3), {"padding": 1, "groups": 2}),
    ((2, 6, 14, 13), (3, 6, 4, 2), {"padding": "same"}),  # even kernel: padding (1, 2), (0, 1)
    ((2, 6, 14, 14), (2, 6, 3, 3), {"padding": 2, "dilation": 2}),
    ((2, 6, 10, 10), (3, 6, 1, 1), {}),  # 1 x 1: the grid is the output
    ((3, 6, 12, 12), (3, 6, 3, 3), {"padding": 1, "bias": False}),
    ((0, 6, 12, 12), (3, 6, 3, 3), {"padding": 1}),  # empty batch
]


@pytest.mark.parametrize("shape_x, shape_w, kwargs", CONV2D_CASES)
def test_conv2d_matches_torch(torch, shape_x, shape_w, kwargs):
    _check_conv(torch, "conv2d", shape_x, shape_w, **kwargs)


def test_conv2d_without_bias_and_unbatched(torch):
    _check_conv(torch, "conv2d", (2, 3, 6, 7), (4, 3, 3, 3), bias=False, padding=1)
    _check_conv(torch, "conv2d", (3, 6, 7), (4, 3, 3, 3), padding=1)


@pytest.mark.parametrize("shape_x, shape_w, kwargs", [
    ((2, 3, 11), (4, 3, 3), {}),
    ((1, 4, 12), (6, 2, 4), {"stride": 2, "padding": 3, "groups": 2}),
    ((2, 3, 10), (5, 3, 4), {"padding": "same", "dilation": 3}),
    ((2, 4, 9), (4, 1, 5), {"groups": 4, "padding": "valid", "dilation": 2}),
    ((3, 9), (4, 3, 2), {"stride": 3}),  # unbatched
    ((1, 2, 8), (3, 2, 3), {"padding": (2,), "stride": (2,), "dilation": (2,), "bias": False}),
    ((2, 4, 800), (6, 2, 3), {"groups": 2, "padding": 1}),  # 800 windows: one product per item
    ((2, 6, 20), (3, 6, 3), {"padding": 1}),  # shifted products on the grid
    ((2, 6, 20), (4, 3, 5), {"padding": "same", "dilation": 2, "groups": 2}),
])
def test_conv1d_matches_torch(torch, shape_x, shape_w, kwargs):
    _check_conv(torch, "conv1d", shape_x, shape_w, **kwargs)


def test_conv2d_non_contiguous_input_and_empty_batch(torch):
    x_array = np.random.default_rng(0).standard_normal((2, 5, 6, 3)).astype("float32")
    w_array = np.random.default_rng(1).standard_normal((4, 3, 3, 3)).astype("float32")
    x, tx = glasstorch.tensor(x_array, requires_grad=True), torch.tensor(x_array,
                                                                          requires_grad=True)
    y = GF.conv2d(x.permute(0, 3, 1, 2), glasstorch.tensor(w_array), padding=1)  # a strided view
    ty = torch.nn.functional.conv2d(tx.permute(0, 3, 1, 2), torch.tensor(w_array), padding=1)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-5)
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-4)
    empty = glasstorch.zeros(0, 3, 8, 8, requires_grad=True)
    y = GF.conv2d(empty, glasstorch.ones(6, 3, 3, 3), stride=2)
    assert y.shape == torch.nn.functional.conv2d(torch.zeros(0, 3, 8, 8), torch.ones(6, 3, 3, 3),
                                                 stride=2).shape
    y.sum().backward()
    assert empty.grad.shape == (0, 3, 8, 8)


def test_conv2d_input_without_grad_float64(torch):
    (x, w, b), (tx, tw, tb) = _pair(torch, (2, 3, 6, 6), (4, 3, 3, 3), True, "float64")
    x.requires_grad_(False)
    y = GF.conv2d(x, w, b, padding=1)
    ty = torch.nn.functional.conv2d(tx.detach(), tw, tb, padding=1)
    assert y.dtype == glasstorch.float64
    y.sum().backward()
    ty.sum().backward()
    assert x.grad is None
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-10)


@pytest.mark.parametrize("kwargs", [
    {"kernel_size": 2},
    {"kernel_size": (2, 3), "stride": (2, 1), "padding": 1},
    {"kernel_size": 3, "dilation": 2, "padding": (2, 1), "stride": 2},
])
def test_unfold_and_fold_match_torch(torch, kwargs):
    x_array = np.random.default_rng(0).standard_normal((2, 3, 7, 6)).astype("float32")
    x, tx = glasstorch.tensor(x_array, requires_grad=True), torch.tensor(x_array,
                                                                          requires_grad=True)
    cols, tcols = GF.unfold(x, **kwargs), torch.nn.functional.unfold(tx, **kwargs)
    assert cols.shape == tcols.shape
    np.testing.assert_array_equal(cols.detach().numpy(), tcols.detach().numpy())
    assert cols.grad_fn.name() == tcols.grad_fn.name() == "Im2ColBackward0"
    # fold(unfold(x)) counts each pixel as often as windows cover it: a non-trivial gradient
    y = GF.fold(cols, (7, 6), **kwargs)
    ty = torch.nn.functional.fold(tcols, (7, 6), **kwargs)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-5)
    assert y.grad_fn.name() == "Col2ImBackward0"
    u = np.random.default_rng(1).standard_normal(y.shape).astype("float32")
    (y * glasstorch.tensor(u)).sum().backward()
    (ty * torch.tensor(u)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_unfold_fold_unbatched(torch):
    x = np.arange(2 * 4 * 5, dtype="float32").reshape(2, 4, 5)
    cols = GF.unfold(glasstorch.tensor(x), 2, stride=2)
    tcols = torch.nn.functional.unfold(torch.tensor(x), 2, stride=2)
    np.testing.assert_array_equal(cols.numpy(), tcols.numpy())
    folded = GF.fold(cols, (4, 5), 2, stride=2)
    np.testing.assert_array_equal(folded.numpy(),
                                  torch.nn.functional.fold(tcols, (4, 5), 2, stride=2).numpy())


def test_gradcheck_and_gradgradcheck_float64():
    rng = np.random.default_rng(0)

    def t(*shape):
        return glasstorch.tensor(rng.standard_normal(shape), requires_grad=True)

    def conv2d(x, w, b):
        return GF.conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2), groups=2)

    def conv1d(x, w):
        return GF.conv1d(x, w, padding="same")

    def unfold_then_fold(x):
        cols = GF.unfold(x, 2, padding=1, stride=1)
        return GF.fold(cols * cols, (4, 3), 2, padding=1)  # squared: a second derivative

    def shifted(x, w, b):  # fewer outputs than inputs, stride 1: shifted products on the grid
        return GF.conv2d(x, w, b, padding=1)

    for func, inputs in [(conv2d, (t(2, 4, 5, 4), t(4, 2, 3, 2), t(4))),
                         (shifted, (t(2, 4, 5, 4), t(2, 4, 3, 3), t(2))),
                         (conv1d, (t(1, 2, 6), t(3, 2, 4))),
                         (unfold_then_fold, (t(1, 2, 4, 3),))]:
        assert glasstorch.autograd.gradcheck(func, inputs)
        assert glasstorch.autograd.gradgradcheck(func, inputs)


def test_double_backward_matches_torch(torch):
    (x, w), (tx, tw) = _pair(torch, (2, 2, 5, 5), (3, 2, 3, 3), False, "float64")
    (gx,) = glasstorch.autograd.grad(GF.conv2d(x, w, padding=1).pow(2).sum(), x,
                                     create_graph=True)
    (tgx,) = torch.autograd.grad(torch.nn.functional.conv2d(tx, tw, padding=1).pow(2).sum(), tx,
                                 create_graph=True)
    gx.pow(2).sum().backward()
    tgx.pow(2).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-10)


# ---- errors ----


@pytest.mark.parametrize("call", [
    lambda F, lib: F.conv2d(lib.ones(2, 3, 8, 8), lib.ones(6, 1, 5, 5)),  # channel mismatch
    lambda F, lib: F.conv2d(lib.ones(2, 3, 8, 8), lib.ones(6, 3, 5, 5), groups=2),
    lambda F, lib: F.conv2d(lib.ones(8, 8), lib.ones(6, 1, 5, 5)),
    lambda F, lib: F.conv1d(lib.ones(2, 3, 8, 8), lib.ones(6, 3, 5, 5)),
    lambda F, lib: F.conv2d(lib.ones(2, 3, 8, 8), lib.ones(6, 3, 3, 3), stride=2, padding="same"),
    lambda F, lib: F.conv2d(lib.ones(2, 3, 8, 8), lib.ones(6, 3, 3, 3), padding="foo"),
    lambda F, lib: F.conv2d(lib.ones(2, 3, 8, 8), lib.ones(6, 3, 9, 9)),
    lambda F, lib: F.conv2d(lib.ones(2, 3, 8, 8), lib.ones(6, 3, 3, 3), bias=lib.ones(5)),
    lambda F, lib: F.conv2d(lib.ones(2, 3, 8, 8), lib.ones(6, 3, 3, 3), stride=0),
    lambda F, lib: F.conv2d(lib.ones(2, 3, 8, 8), lib.ones(6, 3, 3, 3), padding=-1),
    lambda F, lib: F.conv2d(lib.ones(2, 3, 8, 8), lib.ones(6, 3, 3, 3), stride=(1, 2, 3)),
    lambda F, lib: F.conv2d(lib.ones(2, 3, 8, 8).double(), lib.ones(6, 3, 3, 3)),
    lambda F, lib: F.unfold(lib.ones(2, 3, 4, 4), 5),
    lambda F, lib: F.unfold(lib.ones(2, 3, 4, 4, 4), 2),
    lambda F, lib: F.fold(lib.ones(2, 13, 9), (4, 4), 2),
    lambda F, lib: F.fold(lib.ones(2, 12, 8), (4, 4), 2),
])
def test_functional_errors_match_torch(torch, call):
    with pytest.raises(Exception) as expected:
        call(torch.nn.functional, torch)
    with pytest.raises(type(expected.value)) as ours:
        call(GF, glasstorch)
    assert str(ours.value) == str(expected.value).split(" (Triggered internally")[0]


@pytest.mark.parametrize("kwargs", [
    {"in_channels": 3, "groups": 2}, {"in_channels": 4, "groups": 3},
    {"in_channels": 4, "padding_mode": "foo"}, {"in_channels": 4, "stride": 2, "padding": "same"},
    {"in_channels": 4, "padding": "foo"}, {"in_channels": 4, "groups": 0},
])
def test_module_errors_match_torch(torch, kwargs):
    kwargs = {"out_channels": 6, "kernel_size": 3, **kwargs}
    with pytest.raises(ValueError) as expected:
        torch.nn.Conv2d(**kwargs)
    with pytest.raises(ValueError) as ours:
        glasstorch.nn.Conv2d(**kwargs)
    # where torch prints a set, its order changes from run to run: compare up to it, and the set
    ours_text, _, ours_set = str(ours.value).partition("{")
    torch_text, _, torch_set = str(expected.value).partition("{")
    assert ours_text == torch_text
    assert sorted(ours_set.split("}")[0].split(", ")) == sorted(torch_set.split("}")[0].split(", "))


# ---- padding_mode: F.pad first, then an unpadded convolution ----


def _module_pair(torch, make, dtype="float32"):
    """The module in both libraries, glasstorch's holding torch's parameters."""
    theirs = make(torch.nn).to(getattr(torch, dtype))
    ours = make(glasstorch.nn)
    ours.load_state_dict({k: glasstorch.tensor(v.detach().numpy())
                          for k, v in theirs.state_dict().items()})
    return ours, theirs


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("make, shape", [
    (lambda nn, m: nn.Conv2d(3, 4, 3, padding=1, padding_mode=m), (2, 3, 6, 5)),
    (lambda nn, m: nn.Conv2d(3, 4, (3, 2), padding=(2, 1), stride=(2, 1), padding_mode=m),
     (1, 3, 7, 5)),
    (lambda nn, m: nn.Conv2d(4, 6, 3, padding=2, dilation=2, groups=2, bias=False,
                             padding_mode=m), (2, 4, 5, 7)),
    (lambda nn, m: nn.Conv2d(3, 4, (4, 3), padding="same", dilation=(1, 2), padding_mode=m),
     (2, 3, 7, 6)),  # 'same' with an even kernel: the extra row goes after
    (lambda nn, m: nn.Conv2d(3, 4, 3, padding="valid", padding_mode=m), (2, 3, 5, 5)),
    (lambda nn, m: nn.Conv2d(3, 4, 3, padding=1, padding_mode=m), (3, 5, 4)),  # unbatched
    (lambda nn, m: nn.Conv2d(2, 2, 3, padding=(0, 2), stride=2, groups=2, padding_mode=m),
     (1, 2, 3, 3)),
    (lambda nn, m: nn.Conv1d(3, 4, 3, padding=1, padding_mode=m), (2, 3, 7)),
    (lambda nn, m: nn.Conv1d(4, 2, 4, padding="same", dilation=2, groups=2, padding_mode=m),
     (1, 4, 9)),
    (lambda nn, m: nn.Conv1d(3, 6, 3, padding=2, stride=3, padding_mode=m), (3, 5)),
])
def test_padding_mode_matches_torch(torch, mode, make, shape):
    ours, theirs = _module_pair(torch, lambda nn: make(nn, mode))
    assert repr(ours) == repr(theirs)
    check(lambda lib, x: (ours if lib is glasstorch else theirs)(x), shape)
    # the parameters' gradients too (check compares the input's)
    for (name, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-4, atol=1e-4,
                                   err_msg=name)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_padding_mode_lazy_conv2d_and_gradcheck_float64(torch, mode):
    conv = glasstorch.nn.LazyConv2d(4, 3, padding=(1, 2), padding_mode=mode)
    x = glasstorch.ones(2, 2, 5, 4)
    assert conv(x).shape == (2, 4, 5, 6) and type(conv) is glasstorch.nn.Conv2d
    assert repr(conv) == repr(torch.nn.Conv2d(2, 4, 3, padding=(1, 2), padding_mode=mode))
    conv = conv.double()
    x = glasstorch.tensor(np.random.default_rng(0).standard_normal((1, 2, 4, 5)),
                          requires_grad=True)

    def fn(x, w):
        return conv._conv_forward(x, w, conv.bias)

    assert glasstorch.autograd.gradcheck(fn, (x, conv.weight))
    assert glasstorch.autograd.gradgradcheck(fn, (x, conv.weight))


def test_padding_mode_errors_match_torch(torch):
    # reflect padding must be smaller than the input; circular wraps at most once
    for mode, shape in [("reflect", (1, 1, 2, 5)), ("circular", (1, 1, 5, 1))]:
        with pytest.raises(RuntimeError) as expected:
            torch.nn.Conv2d(1, 1, 5, padding=2, padding_mode=mode)(torch.ones(shape))
        with pytest.raises(RuntimeError) as ours:
            glasstorch.nn.Conv2d(1, 1, 5, padding=2, padding_mode=mode)(glasstorch.ones(shape))
        assert str(ours.value) == str(expected.value).splitlines()[0]


# ---- modules ----


@pytest.mark.parametrize("make", [
    lambda nn: nn.Conv2d(1, 6, kernel_size=5, padding=2),
    lambda nn: nn.Conv2d(4, 6, 3, stride=2, dilation=(2, 1), groups=2, bias=False),
    lambda nn: nn.Conv2d(4, 4, (3, 2), padding="same"),
    lambda nn: nn.Conv1d(4, 6, 3, stride=2, groups=2),
    lambda nn: nn.Conv1d(4, 6, 3, padding="valid"),
    lambda nn: nn.Unfold(2),
    lambda nn: nn.Unfold((2, 3), dilation=2, padding=1, stride=(1, 2)),
    lambda nn: nn.Fold((4, 4), 2, stride=2),
    lambda nn: nn.LazyConv2d(6, 3),
])
def test_module_repr_and_state_dict_keys(torch, make):
    ours, theirs = make(glasstorch.nn), make(torch.nn)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_conv2d_module_matches_torch_with_copied_weights(torch):
    theirs = torch.nn.Conv2d(4, 6, 3, stride=(1, 2), padding=1, groups=2)
    ours = glasstorch.nn.Conv2d(4, 6, 3, stride=(1, 2), padding=1, groups=2)
    ours.load_state_dict({k: glasstorch.tensor(v.numpy()) for k, v in
                          theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((3, 4, 7, 8)).astype("float32")
    np.testing.assert_allclose(ours(glasstorch.tensor(x)).detach().numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-5)


def test_default_init_bounds():
    conv = glasstorch.nn.Conv2d(4, 8, 3, groups=2)  # fan_in = 4 / 2 * 3 * 3 = 18
    bound = 1 / 18 ** 0.5
    assert conv.weight.shape == (8, 2, 3, 3)
    for p in (conv.weight, conv.bias):
        values = p.detach().numpy()
        assert np.abs(values).max() <= bound
        assert np.abs(values).max() > 0.5 * bound  # spread over the range, not all near zero
    assert conv.weight.requires_grad and conv.weight.dtype == glasstorch.float32


def test_lazy_conv2d_infers_in_channels(torch):
    conv = glasstorch.nn.LazyConv2d(6, 3, padding=1, groups=2)
    y = conv(glasstorch.ones(2, 4, 5, 5))
    assert type(conv) is glasstorch.nn.Conv2d
    assert conv.in_channels == 4 and conv.weight.shape == (6, 2, 3, 3)
    assert y.shape == (2, 6, 5, 5)
    assert repr(conv) == repr(torch.nn.Conv2d(4, 6, 3, padding=1, groups=2))
    # loading a checkpoint into a fresh lazy module fixes its shapes
    fresh = glasstorch.nn.LazyConv2d(6, 3, padding=1, groups=2)
    fresh.load_state_dict(conv.state_dict())
    np.testing.assert_array_equal(fresh(glasstorch.ones(2, 4, 5, 5)).detach().numpy(),
                                  y.detach().numpy())


@pytest.mark.parametrize("kwargs, shape", [
    ({"padding": 1, "groups": 2}, (2, 4, 5, 6)),
    ({"stride": 2, "dilation": (1, 2), "bias": False}, (1, 2, 7, 8)),
    ({"padding": "same"}, (3, 5, 5)),  # unbatched: in_channels from dim 0
])
def test_lazy_conv2d_matches_torch(torch, kwargs, shape):
    """Forward and backward of a materialized LazyConv2d, holding torch's parameters."""
    theirs = torch.nn.LazyConv2d(4, 3, **kwargs)
    theirs(torch.zeros(shape))  # materializes
    ours = glasstorch.nn.LazyConv2d(4, 3, **kwargs)
    ours(glasstorch.zeros(shape))
    ours.load_state_dict({k: glasstorch.tensor(v.detach().numpy())
                          for k, v in theirs.state_dict().items()})
    assert repr(ours) == repr(theirs) and type(ours) is glasstorch.nn.Conv2d
    check(lambda lib, x: (ours if lib is glasstorch else theirs)(x), shape)
    for (name, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-4, atol=1e-4,
                                   err_msg=name)


@pytest.mark.parametrize("kwargs, shape", [
    ({"kernel_size": 3, "padding": 1}, (1, 2, 5, 4)),  # batch of 1, odd sizes
    ({"kernel_size": (2, 3), "dilation": (2, 1), "stride": (1, 2)}, (3, 6, 7)),  # unbatched
])
def test_unfold_and_fold_gradients_batch_of_one_and_unbatched(kwargs, shape):
    check(lambda lib, x: lib.nn.functional.unfold(x, **kwargs), shape)
    cols = glasstorch.nn.functional.unfold(glasstorch.zeros(shape), **kwargs).shape
    check(lambda lib, c: lib.nn.functional.fold(c, shape[-2:], **kwargs), cols)


def test_lenet_style_training_step_matches_torch(torch):
    def make(lib):
        lib.manual_seed(0)
        return lib.nn.Sequential(lib.nn.Conv2d(1, 6, 5, padding=2), lib.nn.Sigmoid(),
                                 lib.nn.Conv2d(6, 16, 5), lib.nn.Flatten(),
                                 lib.nn.Linear(16 * 4 * 4, 10))
    ours, theirs = make(glasstorch), make(torch)
    ours.load_state_dict({k: glasstorch.tensor(v.numpy()) for k, v in
                          theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((4, 1, 8, 8)).astype("float32")
    labels = np.array([1, 2, 3, 4])
    loss = GF.cross_entropy(ours(glasstorch.tensor(x)), glasstorch.tensor(labels))
    tloss = torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(labels))
    loss.backward()
    tloss.backward()
    np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-5)
    for (name, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-4, atol=1e-5,
                                   err_msg=name)
