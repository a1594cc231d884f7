"""The seed 002 CNNs on both libraries (issue 4, point 5): weights trained in one library load
into the other through the .pt format and give the same logits, running statistics and
gradients; the models print the same. glasstorch runs each comparison at one thread and at two
(its thread pool splits the convolutions and products of these batches).

Each model is first trained a few Adam steps on random data, so weights and BatchNorm running
statistics are away from their initial values (ones and zeros would hide mistakes).
"""

import numpy as np
import pytest
import torch
from cnn_models import densenet, lenet_bn, resnet18

import glasstorch

# name: builder, input shape (small, to keep the tests fast). ResNet-18 takes batch 8: on 32x32
# images its last BatchNorms see 1x1 maps, so with batch 4 each channel's statistics come from
# 4 values, and float32 rounding, divided by their small std, reached 2e-4 of the gradients.
MODELS = {
    "lenet_bn": (lenet_bn, (8, 1, 28, 28)),
    "resnet18": (resnet18, (8, 1, 32, 32)),
    "densenet": (densenet, (4, 1, 32, 32)),
}
TOL = {"rtol": 1e-4, "atol": 1e-4}


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """torch on one thread: on a small shared machine its two spinning threads made these small
    models 10-20x slower (a DenseNet training step 1 s instead of 0.05 s)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(params=[1, 2], ids=lambda n: f"{n}thread")
def glasstorch_threads(request, monkeypatch):
    """glasstorch at request.param threads for this test, then back to the previous count.

    These models are small: their arrays are split from 4096 elements on, so that the split
    code of every op runs (at the defaults only arrays of half a million elements are)."""
    previous = glasstorch.get_num_threads()
    glasstorch.set_num_threads(request.param)  # also drops the pool: a split starts a new one
    monkeypatch.setattr(glasstorch.threads, "MIN_ITEMS", 4096)
    yield request.param
    split = glasstorch.threads._pool is not None
    glasstorch.set_num_threads(previous)
    assert split == (request.param > 1), "at 2 threads glasstorch should have split some work"


def _data(shape, seed):
    rng = np.random.default_rng(seed)
    images = rng.random(shape, dtype=np.float32)
    labels = rng.integers(0, 10, shape[0])
    return images, labels


def _train(lib, net, shape, steps=3):
    """A few Adam steps (lr 1e-3) in train mode, on random data."""
    trainer = lib.optim.Adam(net.parameters(), lr=1e-3)
    loss = lib.nn.CrossEntropyLoss()
    net.train()
    for step in range(steps):
        images, labels = _data(shape, seed=100 + step)
        l = loss(net(lib.from_numpy(images)), lib.from_numpy(labels))
        trainer.zero_grad()
        l.backward()
        trainer.step()
    return net


def _numpy(tensor):
    return tensor.detach().numpy()


def _buffers(net):
    return {name: _numpy(buffer) for name, buffer in net.named_buffers()}


def _compare_forwards(net_a, lib_a, net_b, lib_b, shape):
    """Same logits in train mode (and same running statistics after it) and in eval mode."""
    images, _ = _data(shape, seed=7)
    net_a.train()
    net_b.train()
    np.testing.assert_allclose(_numpy(net_b(lib_b.from_numpy(images))),
                               _numpy(net_a(lib_a.from_numpy(images))), **TOL)
    buffers_a, buffers_b = _buffers(net_a), _buffers(net_b)
    assert buffers_b.keys() == buffers_a.keys()
    for name, value in buffers_a.items():
        assert buffers_b[name].dtype == value.dtype, name
        if name.endswith("num_batches_tracked"):
            assert buffers_b[name] == value == 4, name  # 3 training steps + this forward
        else:
            np.testing.assert_allclose(buffers_b[name], value, **TOL, err_msg=name)
    net_a.eval()
    net_b.eval()
    with lib_a.no_grad(), lib_b.no_grad():
        np.testing.assert_allclose(_numpy(net_b(lib_b.from_numpy(images))),
                                   _numpy(net_a(lib_a.from_numpy(images))), **TOL)


@pytest.mark.parametrize("name", MODELS)
def test_torch_trained_model_loads_into_glasstorch(name, tmp_path, glasstorch_threads):
    build, shape = MODELS[name]
    torch.manual_seed(0)
    torch_net = _train(torch, build(torch), shape)
    torch.save(torch_net.state_dict(), tmp_path / "net.pt")
    net = build(glasstorch)
    net.load_state_dict(glasstorch.load(tmp_path / "net.pt"))
    _compare_forwards(torch_net, torch, net, glasstorch, shape)


@pytest.mark.parametrize("name", MODELS)
def test_glasstorch_trained_model_loads_into_torch(name, tmp_path, glasstorch_threads):
    build, shape = MODELS[name]
    glasstorch.manual_seed(0)
    net = _train(glasstorch, build(glasstorch), shape)
    glasstorch.save(net.state_dict(), tmp_path / "net.pt")
    torch_net = build(torch)
    torch_net.load_state_dict(torch.load(tmp_path / "net.pt", weights_only=True))
    _compare_forwards(net, glasstorch, torch_net, torch, shape)


def _biases_before_batchnorm(name):
    """Parameters whose output goes straight into a BatchNorm (their true gradient is zero)."""
    if name == "lenet_bn":  # Conv2d or Linear at these indices, each followed by a BatchNorm
        return {f"{i}.bias" for i in (0, 4, 9, 12)}
    if name == "densenet":  # every conv's output reaches the classifier only through BatchNorms
        net = densenet(torch)
        return {f"{prefix}.bias" for prefix, module in net.named_modules()
                if isinstance(module, torch.nn.Conv2d)}
    names = {"0.bias"}  # the stem's conv, before its BatchNorm2d
    for block in range(1, 5):  # in each Residual, conv1 feeds bn1 and conv2 feeds bn2
        for residual in range(2):
            for conv in ("conv1", "conv2"):
                names.add(f"resnet_block{block}.{residual}.{conv}.bias")
    return names


# float32 compares what a user gets; float64 checks the maths to 1e-8 (and shows that a float32
# difference is rounding). DenseNet only in float64: its stem BatchNorm's weight is followed
# (through ReLU and max pooling, nearly scale-invariant while the BatchNorm biases are small)
# only by more BatchNorms, so its true gradient nearly cancels: float32 leaves 0.5-3% of noise
# in it, in torch as here. Random inputs can also put a ReLU input within rounding of 0, where
# float32 and float64 (or two float32 summation orders) take different sides of the kink: ResNet
# on 4x1x64x64 images has one such pixel (|x| < 1e-5) and differs by 4% in block 2's gradients.
@pytest.mark.parametrize("name, dtype, rtol", [("lenet_bn", "float32", 1e-4),
                                               ("resnet18", "float32", 1e-4),
                                               ("lenet_bn", "float64", 1e-8),
                                               ("resnet18", "float64", 1e-8),
                                               ("densenet", "float64", 1e-8)])
def test_parameter_gradients_match_torch(name, dtype, rtol, glasstorch_threads):
    build, shape = MODELS[name]
    torch.manual_seed(0)
    torch_net = _train(torch, build(torch), shape).to(getattr(torch, dtype))
    net = build(glasstorch).to(getattr(glasstorch, dtype))
    net.load_state_dict({k: glasstorch.from_numpy(_numpy(v).copy())
                         for k, v in torch_net.state_dict().items()})
    images, labels = _data(shape, seed=11)
    images = images.astype(dtype)
    for lib, model in ((torch, torch_net), (glasstorch, net)):
        model.zero_grad()
        loss = lib.nn.functional.cross_entropy(model(lib.from_numpy(images)),
                                               lib.from_numpy(labels))
        loss.backward()
    torch_params = dict(torch_net.named_parameters())
    for param_name, param in net.named_parameters():
        expected = _numpy(torch_params[param_name].grad)
        assert param.grad.dtype == getattr(glasstorch, dtype), param_name
        if param_name in _biases_before_batchnorm(name):
            # BatchNorm subtracts the per-channel mean, so the true gradient of a bias just
            # before it is zero: both libraries give rounding noise, small next to the weight's
            weight_name = param_name[:-len("bias")] + "weight"
            scale = np.abs(_numpy(torch_params[weight_name].grad)).max()
            assert np.abs(expected).max() < rtol * scale, param_name
            assert np.abs(_numpy(param.grad)).max() < rtol * scale, param_name
            continue
        # relative to the size of this gradient: tiny entries of a large gradient tensor carry
        # rounding noise from the summation order, not a different derivative
        np.testing.assert_allclose(_numpy(param.grad), expected, rtol=rtol,
                                   atol=rtol * np.abs(expected).max(), err_msg=param_name)


@pytest.mark.parametrize("name", MODELS)
def test_printing_matches_torch(name):
    build, _ = MODELS[name]
    assert repr(build(glasstorch)) == repr(build(torch))
