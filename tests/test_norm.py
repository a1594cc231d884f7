"""BatchNorm, LayerNorm, GroupNorm and channel dropout against PyTorch."""

import time
import warnings

import numpy as np
import pytest

import glasstorch
from glasstorch import nn
from glasstorch.autograd import gradcheck, gradgradcheck
from glasstorch.nn import functional as F


def copy_from_torch(net, tnet):
    state = {k: glasstorch.tensor(v.detach().numpy()) for k, v in tnet.state_dict().items()}
    return net.load_state_dict(state)


def pair(torch, name, *args, **kwargs):
    """The same module in both libraries, glasstorch's loaded from torch's random affine."""
    tnet = getattr(torch.nn, name)(*args, **kwargs)
    with torch.no_grad():
        for p in tnet.parameters():
            p.copy_(torch.randn(p.shape))
    net = getattr(nn, name)(*args, **kwargs)
    copy_from_torch(net, tnet)
    return net, tnet


def run_both(torch, net, tnet, shape, scale=3.0, shift=1.0):
    """Forward + backward of (y * w).sum() on the same input; returns both sides."""
    data = (np.random.randn(*shape) * scale + shift).astype(np.float32)
    w = np.random.randn(*shape).astype(np.float32)
    x = glasstorch.tensor(data, requires_grad=True)
    tx = torch.tensor(data, requires_grad=True)
    y, ty = net(x), tnet(tx)
    (y * glasstorch.tensor(w)).sum().backward()
    (ty * torch.tensor(w)).sum().backward()
    return x, y, tx, ty


def assert_close(a, ta, atol=1e-5, rtol=1e-4):
    ta = ta.detach().numpy() if hasattr(ta, "detach") else np.asarray(ta)
    np.testing.assert_allclose(a.detach().numpy(), ta, atol=atol, rtol=rtol)


def assert_same_module(net, tnet, atol=1e-5):
    for (k, v), (tk, tv) in zip(net.state_dict().items(), tnet.state_dict().items()):
        assert k == tk
        assert_close(v, tv, atol=atol)
    for p, tp in zip(net.parameters(), tnet.parameters()):
        assert_close(p.grad, tp.grad, atol=1e-4)


SHAPES = [("BatchNorm1d", (8, 5)), ("BatchNorm1d", (4, 5, 7)), ("BatchNorm2d", (4, 3, 5, 6)),
          ("BatchNorm2d", (2, 6, 1, 1)), ("BatchNorm2d", (1, 3, 3, 5)), ("BatchNorm1d", (1, 4, 3))]


@pytest.mark.parametrize("name,shape", SHAPES)
def test_batchnorm_train_forward_backward_match_torch(torch, name, shape):
    net, tnet = pair(torch, name, shape[1])
    x, y, tx, ty = run_both(torch, net, tnet, shape)
    assert y.grad_fn.name() == ty.grad_fn.name() == "NativeBatchNormBackward0"
    assert_close(y, ty)
    assert_close(x.grad, tx.grad, atol=1e-4)
    assert_same_module(net, tnet)


@pytest.mark.parametrize("name,shape", SHAPES + [("BatchNorm2d", (1, 3, 4, 4)),
                                                 ("BatchNorm1d", (1, 5))])
def test_batchnorm_eval_forward_backward_match_torch(torch, name, shape):
    net, tnet = pair(torch, name, shape[1])
    with torch.no_grad():
        tnet.running_mean.copy_(torch.randn(shape[1]))
        tnet.running_var.copy_(torch.rand(shape[1]) + 0.5)
    copy_from_torch(net, tnet)
    net.eval(), tnet.eval()
    x, y, tx, ty = run_both(torch, net, tnet, shape)  # batch of 1 is fine in eval mode
    assert y.grad_fn.name() == ty.grad_fn.name()
    assert_close(y, ty)
    assert_close(x.grad, tx.grad, atol=1e-4)
    assert_same_module(net, tnet)
    assert int(net.num_batches_tracked) == 0


@pytest.mark.parametrize("momentum", [0.1, None, 0.5])
@pytest.mark.parametrize("name, shape", [("BatchNorm2d", (3, 4, 2, 3)), ("BatchNorm1d", (5, 4)),
                                         ("BatchNorm1d", (2, 4, 3))])
def test_running_statistics_after_several_steps_match_torch(torch, momentum, name, shape):
    net, tnet = pair(torch, name, 4, momentum=momentum)
    for step in range(5):
        run_both(torch, net, tnet, shape, scale=step + 1, shift=step)
    assert net.num_batches_tracked.dtype == glasstorch.int64
    assert int(net.num_batches_tracked) == int(tnet.num_batches_tracked) == 5
    assert_same_module(net, tnet)
    net.eval(), tnet.eval()
    _, y, _, ty = run_both(torch, net, tnet, shape)
    assert_close(y, ty)


@pytest.mark.parametrize("kwargs", [{"affine": False}, {"track_running_stats": False},
                                    {"affine": False, "track_running_stats": False},
                                    {"bias": False}])
@pytest.mark.parametrize("name, shape", [("BatchNorm1d", (6, 5)), ("BatchNorm1d", (3, 5, 4)),
                                         ("BatchNorm2d", (2, 5, 3, 3))])
def test_options_match_torch(torch, kwargs, name, shape):
    net, tnet = pair(torch, name, 5, **kwargs)
    assert list(net.state_dict()) == list(tnet.state_dict())
    assert [n for n, _ in net.named_parameters()] == [n for n, _ in tnet.named_parameters()]
    assert repr(net) == repr(tnet)
    for mode in ("train", "eval"):
        getattr(net, mode)(), getattr(tnet, mode)()
        x, y, tx, ty = run_both(torch, net, tnet, shape)
        assert_close(y, ty)
        assert_close(x.grad, tx.grad, atol=1e-4)
        assert_same_module(net, tnet)


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 6), (2, 3, 4, 5)])
def test_functional_batch_norm_updates_running_statistics_like_torch(torch, shape):
    data = (np.random.randn(*shape) * 2 + 1).astype(np.float32)
    stats = np.random.rand(2, 3).astype(np.float32)
    outputs = []
    for lib in (glasstorch, torch):
        mean, var = lib.tensor(stats[0]), lib.tensor(stats[1] + 0.5)
        weight, bias = lib.tensor([1.0, -2.0, 0.5]), lib.tensor([0.0, 1.0, -1.0])
        trained = lib.nn.functional.batch_norm(lib.tensor(data), mean, var, weight, bias,
                                               training=True, momentum=0.3, eps=1e-3)
        evaluated = lib.nn.functional.batch_norm(lib.tensor(data), mean, var, weight, bias)
        outputs.append([t.numpy() for t in (trained, evaluated, mean, var)])
    for mine, theirs in zip(*outputs):
        np.testing.assert_allclose(mine, theirs, atol=1e-5, rtol=1e-5)


def test_running_statistics_update_keeps_their_version_like_torch(torch):
    versions = []
    for lib in (glasstorch, torch):
        net = lib.nn.BatchNorm1d(3)
        before = net.running_var._version
        before = before[0] if lib is glasstorch else before  # glasstorch keeps it in a box
        net(lib.randn(4, 3))
        after = net.running_var._version
        versions.append((after[0] if lib is glasstorch else after) - before)
    assert versions == [0, 0]


def test_state_dict_keys_order_and_load_from_torch(torch):
    tnet = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2))
    tnet.train()
    tnet(torch.randn(4, 1, 5, 5) * 2 + 1)  # moves the running statistics
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    assert list(net.state_dict()) == list(tnet.state_dict())
    assert list(net.state_dict())[2:] == ["1.weight", "1.bias", "1.running_mean",
                                          "1.running_var", "1.num_batches_tracked"]
    copy_from_torch(net, tnet)
    assert int(net[1].num_batches_tracked) == 1
    net.eval(), tnet.eval()
    data = np.random.randn(2, 1, 5, 5).astype(np.float32)
    assert_close(net(glasstorch.tensor(data)), tnet(torch.tensor(data)))
    # and back: glasstorch's state loads into torch
    tnet2 = torch.nn.BatchNorm2d(2)
    tnet2.load_state_dict({k: torch.tensor(v.numpy()) for k, v in net[1].state_dict().items()})
    assert_close(net[1].running_var, tnet2.running_var)


def test_reprs_match_torch(torch):
    for name, args, kwargs in [("BatchNorm2d", (6,), {}), ("BatchNorm1d", (3,), {"eps": 1e-3}),
                               ("BatchNorm2d", (3,), {"momentum": None}),
                               ("LayerNorm", (4,), {}), ("LayerNorm", ((2, 3),), {"bias": False}),
                               ("GroupNorm", (2, 4), {}), ("GroupNorm", (1, 3), {"affine": False}),
                               ("Dropout2d", (), {}), ("Dropout1d", (0.2,), {}),
                               ("LazyBatchNorm2d", (), {})]:
        assert repr(getattr(nn, name)(*args, **kwargs)) == \
            repr(getattr(torch.nn, name)(*args, **kwargs))


def _error(fn):
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value).__name__, str(info.value)


def test_errors_match_torch(torch):
    cases = [
        lambda lib: lib.nn.BatchNorm2d(3)(lib.ones(2, 3, 4)),
        lambda lib: lib.nn.BatchNorm1d(3)(lib.ones(2, 3, 4, 5)),
        lambda lib: lib.nn.BatchNorm2d(3)(lib.ones(2, 4, 4, 4)),
        lambda lib: lib.nn.BatchNorm1d(3)(lib.ones(1, 3)),
        lambda lib: lib.nn.functional.layer_norm(lib.ones(2, 3), (4,)),
        lambda lib: lib.nn.functional.group_norm(lib.ones(2, 6, 4), 4),
        lambda lib: lib.nn.functional.group_norm(lib.ones(1, 2), 2),  # one value per group
        lambda lib: lib.nn.functional.group_norm(lib.ones(1, 3, 1), 2),
        lambda lib: lib.nn.GroupNorm(4, 4)(lib.ones(1, 4, 1, 1)),
        lambda lib: lib.nn.functional.group_norm(lib.ones(4), 2),
        lambda lib: lib.nn.GroupNorm(4, 6),
        lambda lib: lib.nn.functional.dropout1d(lib.ones(2, 3, 4, 5)),
        lambda lib: lib.nn.Dropout2d(1.5),
        lambda lib: lib.nn.functional.batch_norm(lib.ones(2, 3), lib.zeros(3), lib.ones(3),
                                                 training=True, momentum=None),
    ]
    for case in cases:
        assert _error(lambda: case(glasstorch)) == _error(lambda: case(torch))  # noqa: B023


def test_lazy_batchnorm_infers_num_features(torch):
    for lazy, plain, shape in [(nn.LazyBatchNorm2d, nn.BatchNorm2d, (2, 5, 3, 3)),
                               (nn.LazyBatchNorm1d, nn.BatchNorm1d, (4, 7))]:
        net = lazy()
        y = net(glasstorch.randn(*shape))
        assert type(net) is plain and net.num_features == shape[1]
        assert net.weight.shape == (shape[1],) and net.running_var.shape == (shape[1],)
        assert int(net.num_batches_tracked) == 1
        assert y.shape == shape
    tnet = torch.nn.BatchNorm2d(3)
    net = nn.LazyBatchNorm2d()
    copy_from_torch(net, tnet)
    assert net.num_features == 3


@pytest.mark.parametrize("kwargs", [{}, {"momentum": None}, {"affine": False},
                                    {"track_running_stats": False}])
@pytest.mark.parametrize("name, shape", [("LazyBatchNorm2d", (2, 3, 4, 5)),
                                         ("LazyBatchNorm2d", (1, 2, 3, 3)),
                                         ("LazyBatchNorm1d", (6, 4))])
def test_lazy_batchnorm_matches_torch(torch, kwargs, name, shape):
    """Both start lazy with torch's deterministic init: train steps, then eval, all equal."""
    net, tnet = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    for step in range(3):
        _, y, _, ty = run_both(torch, net, tnet, shape, scale=step + 1, shift=step)
        assert_close(y, ty)
    assert repr(net) == repr(tnet)
    assert type(net).__name__ == type(tnet).__name__ == name[4:]
    assert list(net.state_dict()) == list(tnet.state_dict())
    assert_same_module(net, tnet)
    net.eval(), tnet.eval()
    x, y, tx, ty = run_both(torch, net, tnet, shape)
    assert_close(y, ty)
    assert_close(x.grad, tx.grad, atol=1e-4)


def test_gradcheck_and_gradgradcheck_float64():
    for shape in [(4, 3), (3, 2, 4), (2, 3, 2, 3)]:
        x = glasstorch.randn(*shape, dtype=glasstorch.float64, requires_grad=True)
        w = glasstorch.randn(shape[1], dtype=glasstorch.float64, requires_grad=True)
        b = glasstorch.randn(shape[1], dtype=glasstorch.float64, requires_grad=True)

        def bn(x, w, b):
            return F.batch_norm(x, None, None, w, b, training=True)

        assert gradcheck(bn, (x, w, b))
        assert gradgradcheck(bn, (x, w, b))
        assert gradcheck(lambda x: F.batch_norm(x, None, None, training=True), (x,))
    x = glasstorch.randn(2, 4, 3, dtype=glasstorch.float64, requires_grad=True)
    w = glasstorch.randn(4, dtype=glasstorch.float64, requires_grad=True)
    assert gradcheck(lambda x, w: F.group_norm(x, 2, w, w), (x, w))
    assert gradgradcheck(lambda x: F.layer_norm(x, (4, 3)), (x,))


def test_double_backward_matches_torch(torch):
    data = np.random.randn(5, 3).astype(np.float64)
    grads = []
    for lib in (glasstorch, torch):
        x = lib.tensor(data, requires_grad=True)
        w = lib.tensor([1.0, 2.0, -0.5], dtype=lib.float64, requires_grad=True)
        y = lib.nn.functional.batch_norm(x, None, None, w, None, training=True)
        (gx,) = lib.autograd.grad((y ** 3).sum(), x, create_graph=True)
        (gx * gx).sum().backward()
        grads.append((x.grad.detach().numpy(), w.grad.detach().numpy()))
    np.testing.assert_allclose(grads[0][0], grads[1][0], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("shape,normalized", [((4, 6), (6,)), ((2, 3, 4, 5), (4, 5)),
                                              ((3, 5), 5)])
@pytest.mark.parametrize("affine, bias", [(True, True), (False, True), (True, False)])
def test_layer_norm_matches_torch(torch, shape, normalized, affine, bias):
    net, tnet = pair(torch, "LayerNorm", normalized, elementwise_affine=affine, bias=bias)
    x, y, tx, ty = run_both(torch, net, tnet, shape)
    assert_close(y, ty)
    assert_close(x.grad, tx.grad, atol=1e-4)
    assert_same_module(net, tnet)


@pytest.mark.parametrize("groups,shape", [(2, (3, 4, 5)), (3, (2, 6, 2, 3)), (1, (2, 3)),
                                          (4, (1, 4, 3, 3)), (2, (1, 6, 5))])
@pytest.mark.parametrize("affine", [True, False])
def test_group_norm_matches_torch(torch, groups, shape, affine):
    net, tnet = pair(torch, "GroupNorm", groups, shape[1], affine=affine)
    x, y, tx, ty = run_both(torch, net, tnet, shape)
    assert_close(y, ty)
    assert_close(x.grad, tx.grad, atol=1e-4)
    assert_same_module(net, tnet)


@pytest.mark.parametrize("name,shape", [("Dropout2d", (8, 16, 3, 4)), ("Dropout1d", (8, 16, 5)),
                                        ("Dropout1d", (256, 5))])
def test_channel_dropout_zeroes_whole_channels(name, shape):
    net = getattr(nn, name)(p=0.25)
    x = glasstorch.rand(*shape) + 1  # no zeros of its own
    y = net(x).numpy()
    ratio = y / x.numpy()
    per_channel = ratio.reshape(-1, shape[-1] if len(shape) == 2 else np.prod(shape[2:]))
    # each channel is all zeros or all scaled by 1 / (1 - p)
    assert np.allclose(per_channel, per_channel[:, :1])
    assert np.all(np.isclose(per_channel, 0) | np.isclose(per_channel, 1 / 0.75, rtol=1e-5))
    assert 0.1 < (per_channel[:, 0] == 0).mean() < 0.45
    net.eval()
    assert net(x) is x


@pytest.mark.parametrize("shape", [(6, 5), (40, 6, 5), (40, 6, 2, 3), (8, 5, 4, 2, 2)])
def test_dropout2d_mask_shape_like_torch(torch, shape):
    """The dims over which one draw is shared (torch: all but the first two), per input rank."""

    def shared_dims(y):
        return [k for k in range(2, len(shape))
                if np.all(y == np.take(y, [0], axis=k))]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns for inputs not 4-d: both are checked above
        y = F.dropout2d(glasstorch.ones(*shape), 0.5).numpy()
        ty = torch.nn.functional.dropout2d(torch.ones(*shape), 0.5).numpy()
    assert shared_dims(y) == shared_dims(ty) == list(range(2, len(shape)))
    assert set(np.unique(y)) == set(np.unique(ty)) == {0.0, 2.0}
    draws = shape[0] * shape[1]
    assert abs(y.mean() - 1) < 4 / draws ** 0.5  # unbiased: E[y] = x (4 standard errors)


@pytest.mark.parametrize("p, training, expected", [(0.0, True, 1.0), (1.0, True, 0.0),
                                                   (0.7, False, 1.0)])
def test_dropout2d_edge_probabilities_and_eval(torch, p, training, expected):
    for lib in (glasstorch, torch):
        x = lib.ones(2, 3, 2, 2, requires_grad=True)
        y = lib.nn.functional.dropout2d(x, p, training)
        y.sum().backward()
        assert np.all(y.detach().numpy() == expected) and np.all(x.grad.numpy() == expected)


def test_dropout2d_in_place_like_torch(torch):
    for lib in (glasstorch, torch):
        x = lib.ones(4, 5, 2, 2)
        y = lib.nn.Dropout2d(0.5, inplace=True)(x)
        assert y is x and set(np.unique(x.numpy())) == {0.0, 2.0}


def test_dropout2d_gradient_is_the_mask():
    x = glasstorch.ones(4, 6, 2, 2, requires_grad=True)
    y = F.dropout2d(x, 0.5)
    y.sum().backward()
    assert np.array_equal(x.grad.numpy(), y.detach().numpy())
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
        F.dropout2d(glasstorch.ones(2, 3, 4))


# ---- seed 002's BatchNorm from scratch, run on both libraries ----


def seed_batch_norm(torch, is_training, X, gamma, beta, moving_mean, moving_var, eps, momentum):
    # copied from ../shared/seeds/002 (comments translated); `torch` is either library
    if not is_training:
        X_hat = (X - moving_mean) / torch.sqrt(moving_var + eps)
    else:
        assert len(X.shape) in (2, 4)
        if len(X.shape) == 2:
            mean = X.mean(dim=0)
            var = ((X - mean) ** 2).mean(dim=0)
        else:
            mean = X.mean(dim=0, keepdim=True).mean(dim=2, keepdim=True).mean(dim=3, keepdim=True)
            var = ((X - mean) ** 2).mean(dim=0, keepdim=True).mean(dim=2, keepdim=True).mean(
                dim=3, keepdim=True)
        X_hat = (X - mean) / torch.sqrt(var + eps)
        moving_mean = momentum * moving_mean + (1.0 - momentum) * mean
        moving_var = momentum * moving_var + (1.0 - momentum) * var
    Y = gamma * X_hat + beta
    return Y, moving_mean, moving_var


def seed_batch_norm_class(torch, nn):
    class BatchNorm(nn.Module):
        def __init__(self, num_features, num_dims):
            super(BatchNorm, self).__init__()  # noqa: UP008 (the seed's spelling)
            if num_dims == 2:
                shape = (1, num_features)
            else:
                shape = (1, num_features, 1, 1)
            self.gamma = nn.Parameter(torch.ones(shape))
            self.beta = nn.Parameter(torch.zeros(shape))
            self.moving_mean = torch.zeros(shape)
            self.moving_var = torch.zeros(shape)

        def forward(self, X):
            if self.moving_mean.device != X.device:
                self.moving_mean = self.moving_mean.to(X.device)
                self.moving_var = self.moving_var.to(X.device)
            Y, self.moving_mean, self.moving_var = seed_batch_norm(
                torch, self.training, X, self.gamma, self.beta, self.moving_mean,
                self.moving_var, eps=1e-5, momentum=0.9)
            return Y

    return BatchNorm


@pytest.mark.parametrize("num_dims,shape", [(4, (4, 3, 5, 5)), (2, (6, 7))])
def test_seed_batch_norm_from_scratch_matches_torch(torch, num_dims, shape):
    data = [np.random.randn(*shape).astype(np.float32) * (i + 1) for i in range(3)]
    results = []
    for lib in (glasstorch, torch):
        layer = seed_batch_norm_class(lib, lib.nn)(shape[1], num_dims=num_dims)
        outputs = []
        for d in data:
            x = lib.tensor(d, requires_grad=True)
            y = layer(x)
            y.sum().backward()
            outputs.append(y.detach().numpy())
        layer.eval()
        outputs.append(layer(lib.tensor(data[0])).detach().numpy())
        results.append((outputs, layer.moving_mean.detach().numpy(),
                        layer.moving_var.detach().numpy(),
                        layer.gamma.grad.numpy(), [n for n, _ in layer.named_parameters()]))
    mine, theirs = results
    for a, b in zip(mine[0], theirs[0]):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=1e-4)
    for a, b in zip(mine[1:4], theirs[1:4]):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=1e-4)
    assert mine[4] == theirs[4] == ["gamma", "beta"]


def test_seed_lenet_with_batchnorm_trains_like_torch(torch):
    """The seed's concise LeNet (nn.BatchNorm2d/1d): two SGD steps, then the same logits.

    (SGD, not the seed's Adam: Adam's first steps are about lr * sign(grad), which turns
    float32 rounding in near-zero gradients into lr-sized differences.)"""

    def lenet(lib):
        nn_ = lib.nn
        return nn_.Sequential(
            nn_.Conv2d(1, 6, 5), nn_.BatchNorm2d(6), nn_.Sigmoid(), nn_.MaxPool2d(2, 2),
            nn_.Conv2d(6, 16, 5), nn_.BatchNorm2d(16), nn_.Sigmoid(), nn_.MaxPool2d(2, 2),
            nn_.Flatten(), nn_.Linear(16 * 4 * 4, 120), nn_.BatchNorm1d(120), nn_.Sigmoid(),
            nn_.Linear(120, 84), nn_.BatchNorm1d(84), nn_.Sigmoid(), nn_.Linear(84, 10))

    tnet, net = lenet(torch), lenet(glasstorch)
    copy_from_torch(net, tnet)
    data = np.random.rand(8, 1, 28, 28).astype(np.float32)
    labels = np.random.randint(0, 10, 8)
    logits = []
    for lib, model in ((glasstorch, net), (torch, tnet)):
        opt = lib.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(2):
            loss = lib.nn.functional.cross_entropy(model(lib.tensor(data)), lib.tensor(labels))
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        logits.append(model(lib.tensor(data)).detach().numpy())
    np.testing.assert_allclose(logits[0], logits[1], atol=1e-4, rtol=1e-4)
    assert_same_module(net[1], tnet[1], atol=1e-4)


# ---- speed: printed for the report (run with -s); a loose floor keeps it honest ----


def _forward_backward_seconds(lib, shape, repeats=3):
    net = lib.nn.BatchNorm2d(shape[1])
    x = lib.randn(*shape, requires_grad=True)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        net(x).sum().backward()
        best = min(best, time.perf_counter() - start)
    return best


@pytest.mark.parametrize("shape", [(256, 6, 28, 28), (64, 64, 24, 24)])
def test_batchnorm2d_speed_against_torch(torch, shape):
    mine = _forward_backward_seconds(glasstorch, shape)
    theirs = _forward_backward_seconds(torch, shape)
    print(f"\nBatchNorm2d{shape} forward+backward: glasstorch {mine * 1e3:.1f} ms, "
          f"torch {theirs * 1e3:.1f} ms, torch/glasstorch = {theirs / mine:.2f}")
    assert mine < 20 * theirs + 0.05


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("threads", [1, 2])
def test_batchnorm_large_and_non_contiguous_inputs_match_torch(torch, training, threads):
    # large enough to split the channels across the thread pool, and a permuted (strided)
    # input, whose output must still come back in torch's layout
    before = glasstorch.get_num_threads()
    glasstorch.set_num_threads(threads)
    try:
        data = np.random.default_rng(0).standard_normal((16, 24, 20, 8)).astype("float32")
        grad = np.random.default_rng(1).standard_normal((16, 8, 24, 20)).astype("float32")
        for permuted in (False, True):
            net, tnet = pair(torch, "BatchNorm2d", 8)
            with torch.no_grad():
                tnet.running_mean.copy_(torch.randn(8))
                tnet.running_var.copy_(torch.rand(8) + 0.5)
            copy_from_torch(net, tnet)
            net.train(training), tnet.train(training)
            x, tx = glasstorch.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
            if permuted:
                xi, txi = x.permute(0, 3, 1, 2), tx.permute(0, 3, 1, 2)
            else:
                xi, txi = x.reshape(16, 8, 24, 20), tx.reshape(16, 8, 24, 20)
            y, ty = net(xi), tnet(txi)
            assert y.is_contiguous()
            assert_close(y, ty)
            y.backward(glasstorch.tensor(grad))
            ty.backward(torch.tensor(grad))
            assert_close(x.grad, tx.grad, atol=1e-4)
            assert_same_module(net, tnet, atol=1e-4)
    finally:
        glasstorch.set_num_threads(before)


def test_batchnorm_eval_gradcheck_float64():
    x = glasstorch.randn(3, 4, 5, dtype=glasstorch.float64, requires_grad=True)
    w = glasstorch.randn(4, dtype=glasstorch.float64, requires_grad=True)
    b = glasstorch.randn(4, dtype=glasstorch.float64, requires_grad=True)
    mean = glasstorch.randn(4, dtype=glasstorch.float64)
    var = glasstorch.rand(4, dtype=glasstorch.float64) + 0.5

    def bn(x, w, b):
        return F.batch_norm(x, mean, var, w, b, training=False)

    assert bn(x, w, b).grad_fn.name() == "NativeBatchNormBackward0"  # torch's, eval mode too
    assert gradcheck(bn, (x, w, b))
    assert gradgradcheck(bn, (x, w, b))
