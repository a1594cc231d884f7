"""device='cuda' on the stand-in CuPy (tests/standin_cupy.py): CI has no GPU, so these tests
run glasstorch's device code on arrays that refuse, as CuPy's do, any implicit trip to numpy
and any mix with host arrays (issue 12). Values are checked against the same ops on the CPU.

With GLASSTORCH_DEVICE_TESTS=cuda the same tests run on the real CuPy and GPU instead
(benchmarks/bench_gpu.py does that on a machine with one).
"""

import contextlib
import os

import numpy as np
import pytest

import glasstorch
import standin_cupy
from op_table import OPS
from oracle import make_arrays, run

MIX = "Expected all tensors to be on the same device, but found at least two devices"


REAL_GPU = os.environ.get("GLASSTORCH_DEVICE_TESTS") == "cuda"


@contextlib.contextmanager
def _device_backend():
    if REAL_GPU:  # the real thing: it must be there
        assert glasstorch.cuda.is_available(), "GLASSTORCH_DEVICE_TESTS=cuda without a GPU"
        from glasstorch.device import _cupy
        yield _cupy
    else:
        with standin_cupy.installed() as cupy:
            yield cupy


@pytest.fixture
def cuda():
    with _device_backend() as cupy:
        yield cupy


def _host(value):
    if isinstance(value, glasstorch.Tensor):
        return value.detach().cpu().numpy()
    if isinstance(value, (tuple, list)):
        return [_host(v) for v in value]
    return value


def _tensors(values):
    if isinstance(values, glasstorch.Tensor):
        return [values]
    if isinstance(values, (tuple, list)):
        return [t for v in values for t in _tensors(v)]
    return []


# ops whose table line leaves the device on purpose, or makes a CPU index tensor itself
# (torch refuses that index: RuntimeError, Expected all tensors to be on the same device)
LEAVES_THE_DEVICE = {"to": "x.to('cpu')"}
CPU_INDEX_INSIDE = {"torch.gather", "torch.scatter_add", "torch.scatter"}


def _cases():
    params, seen = [], {}
    for spec in OPS:
        k = seen[spec.name] = seen.get(spec.name, -1) + 1
        for c, inputs in enumerate(spec.cases()):
            params.append(pytest.param(spec, inputs, id=f"{spec.name}#{k}-{c}"))
    return params


@pytest.mark.parametrize("spec, inputs", _cases())
def test_op_table_on_the_device_gives_the_cpu_values_and_gradients(cuda, spec, inputs):
    dtype = spec.dtypes[0]
    low, high = spec.bounds()
    arrays = make_arrays(inputs, low=low, high=high, dtype=dtype, seed=0)
    grad = spec.grad
    cpu_in = [glasstorch.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    try:
        expected = run(spec.fn, glasstorch, cpu_in)
    except Exception as error:  # refused on the CPU: refused on the device too, alike
        dev_in = [glasstorch.tensor(a, device="cuda") for a in arrays]
        with pytest.raises(type(error)):
            run(spec.fn, glasstorch, dev_in)
        return
    dev_in = [glasstorch.tensor(a, device="cuda", requires_grad=grad and a.dtype.kind == "f")
              for a in arrays]
    if spec.name in CPU_INDEX_INSIDE:
        with pytest.raises(RuntimeError, match=MIX + ", cuda:0 and cpu!"):
            run(spec.fn, glasstorch, dev_in)
        return
    actual = run(spec.fn, glasstorch, dev_in)
    wanted_type = "cpu" if spec.name in LEAVES_THE_DEVICE and "cpu" in str(
        getattr(actual, "device", "")) else "cuda"
    for t in _tensors(actual):
        assert t.device.type == wanted_type, f"an output on {t.device}"
    np.testing.assert_equal(str(_tensors(actual)[0].dtype) if _tensors(actual) else None,
                            str(_tensors(expected)[0].dtype) if _tensors(expected) else None)
    for e, a in zip(_tensors(expected), _tensors(actual)):
        np.testing.assert_allclose(_host(a), _host(e), rtol=1e-5, atol=1e-6, equal_nan=True)
    outputs = [t for t in _tensors(actual) if t.requires_grad]
    if outputs:
        cpu_outputs = [t for t in _tensors(expected) if t.requires_grad]
        outputs[0].sum().backward()
        cpu_outputs[0].sum().backward()
        for c, d in zip(cpu_in, dev_in):
            if c.grad is not None or d.grad is not None:
                assert d.grad.device.type == "cuda"
                np.testing.assert_allclose(_host(d.grad), _host(c.grad), rtol=1e-5, atol=1e-6,
                                           equal_nan=True)


def test_the_stand_in_refuses_numpy_as_cupy_does(cuda):
    # true of CuPy as well: on a real GPU this checks that CuPy refuses the same things
    x = glasstorch.randn(3, device="cuda")
    with pytest.raises(TypeError, match="Implicit conversion to a NumPy array"):
        np.asarray(x._data)
    with pytest.raises(TypeError, match="Implicit conversion to a NumPy array"):
        np.exp(x._data)
    with pytest.raises(TypeError):
        cuda.add(x._data, np.ones(3, dtype="float32"))  # a host array in a device op
    assert isinstance(cuda.exp(x._data), cuda.ndarray)


def test_device_queries_creation_and_moves(cuda):
    assert glasstorch.cuda.is_available() and glasstorch.cuda.device_count() == 1
    for make in (lambda: glasstorch.zeros(2, 3, device="cuda"),
                 lambda: glasstorch.ones(2, device=glasstorch.device("cuda", 0)),
                 lambda: glasstorch.tensor([1.0, 2.0], device="cuda:0"),
                 lambda: glasstorch.randn(2, 2, device="cuda"),
                 lambda: glasstorch.arange(5, device="cuda")):
        t = make()
        assert t.device == glasstorch.device("cuda", 0) and t.is_cuda
    x = glasstorch.arange(6.0).reshape(2, 3).requires_grad_()
    y = x.cuda()
    assert y.device.type == "cuda" and x.to("cuda").device.type == "cuda"
    assert y.grad_fn.name() == "ToCopyBackward0"
    (y * 2).sum().backward()
    assert x.grad.device.type == "cpu"
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 2.0, dtype="float32"))
    np.testing.assert_array_equal(y.cpu().detach().numpy(), x.detach().numpy())
    assert "device='cuda:0'" in repr(y)


def test_mixing_devices_raises_torchs_error_scalars_mix(cuda):
    x = glasstorch.ones(3, device="cuda")
    with pytest.raises(RuntimeError, match=MIX + ", cuda:0 and cpu!"):
        x + glasstorch.ones(3)
    with pytest.raises(RuntimeError, match=MIX + ", cpu and cuda:0!"):
        glasstorch.ones(3) * x
    with pytest.raises(RuntimeError, match=MIX):
        glasstorch.ones(2, 3, device="cuda") @ glasstorch.ones(3, 2)
    # Python numbers and 0-d CPU tensors mix freely, as in torch
    for y in (x + 2, x * glasstorch.tensor(3.0), glasstorch.tensor(3.0) * x):
        assert y.device.type == "cuda"
    np.testing.assert_array_equal((glasstorch.tensor(3.0) - x).cpu().numpy(), [2.0, 2.0, 2.0])


def test_a_small_network_trains_on_the_device_as_on_the_cpu(cuda):
    rng = np.random.default_rng(0)
    images = rng.standard_normal((8, 1, 8, 8)).astype("float32")
    labels = rng.integers(0, 3, 8)
    results = []
    for where in ("cpu", "cuda"):
        glasstorch.manual_seed(0)
        net = glasstorch.nn.Sequential(
            glasstorch.nn.Conv2d(1, 4, 3, padding=1), glasstorch.nn.BatchNorm2d(4),
            glasstorch.nn.ReLU(), glasstorch.nn.MaxPool2d(2), glasstorch.nn.Flatten(),
            glasstorch.nn.Linear(64, 3)).to(where)
        optimizer = glasstorch.optim.Adam(net.parameters(), lr=0.01)
        X, y = glasstorch.tensor(images).to(where), glasstorch.tensor(labels).to(where)
        for _ in range(3):
            loss = glasstorch.nn.functional.cross_entropy(net(X), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        assert all(p.device.type == where for p in net.parameters())
        assert all(v.device.type == where for s in optimizer.state.values()
                   for k, v in s.items() if k != "step")  # torch keeps "step" on the CPU

        results.append((float(loss), {k: _host(v) for k, v in net.state_dict().items()}))
    (cpu_loss, cpu_state), (dev_loss, dev_state) = results
    assert abs(cpu_loss - dev_loss) < 1e-5
    for k in cpu_state:
        np.testing.assert_allclose(dev_state[k], cpu_state[k], rtol=1e-4, atol=1e-5)


def _same_on_both(fn, *arrays, seed=0):
    """fn(*tensors) on the CPU and on the device: outputs and input gradients, on the host."""
    results = []
    for where in ("cpu", "cuda"):
        glasstorch.manual_seed(seed)
        tensors = [glasstorch.tensor(a, device=where, requires_grad=a.dtype.kind == "f")
                   for a in arrays]
        out = fn(*tensors)
        assert out.device.type == where
        if out.requires_grad:
            (out * glasstorch.arange(out.numel(), device=where).reshape(out.shape)).sum().backward()
        results.append([_host(out)] + [_host(t.grad) for t in tensors if t.grad is not None])
    for cpu, dev in zip(*results):
        np.testing.assert_allclose(dev, cpu, rtol=1e-4, atol=1e-5)


F = glasstorch.nn.functional
def _write_into_a_view(x):
    """The books' masked_softmax: -1e6 written into a reshaped view of x * 2 (ops/views.py)."""
    y = x * 2
    rows = y.reshape(-1, y.shape[-1])
    rows[:, 2:] = -1e6
    return F.softmax(y, -1)


NN_CASES = {
    "conv2d, groups and stride": (lambda x, w: F.conv2d(x, w, stride=2, padding=1, groups=2),
                                  [(2, 4, 8, 8), (6, 2, 3, 3)]),
    "conv2d, shifted products": (lambda x, w: F.conv2d(x, w, padding=1), [(2, 4, 8, 8),
                                                                          (2, 4, 3, 3)]),
    "max_pool2d": (lambda x: F.max_pool2d(x, 3, 2, 1), [(2, 3, 8, 8)]),
    "avg_pool2d": (lambda x: F.avg_pool2d(x, 2), [(2, 3, 8, 8)]),
    "adaptive_avg_pool2d": (lambda x: F.adaptive_avg_pool2d(x, (3, 3)), [(2, 3, 8, 8)]),
    "adaptive_max_pool2d": (lambda x: F.adaptive_max_pool2d(x, (3, 3)), [(2, 3, 8, 8)]),
    "batch_norm, training": (lambda x: F.batch_norm(x, None, None, training=True),
                             [(4, 3, 5, 5)]),
    "layer_norm": (lambda x: F.layer_norm(x, (5,)), [(4, 3, 5)]),
    "group_norm": (lambda x: F.group_norm(x, 2), [(2, 4, 5)]),
    "dropout": (lambda x: F.dropout(x, 0.5), [(4, 6)]),
    "dropout2d": (lambda x: F.dropout2d(x, 0.5), [(2, 4, 3, 3)]),
    "cross_entropy, smoothing": (lambda x: F.cross_entropy(
        x, glasstorch.tensor([0, 2, 1, 1], device=x.device), label_smoothing=0.1), [(4, 3)]),
    "binary_cross_entropy_with_logits": (lambda x, y: F.binary_cross_entropy_with_logits(
        x, y.sigmoid().detach()), [(4, 3), (4, 3)]),
    "mse_loss": (lambda x, y: F.mse_loss(x, y), [(4, 3), (4, 3)]),
    "log_softmax": (lambda x: F.log_softmax(x, 1), [(4, 3)]),
    "interpolate": (lambda x: F.interpolate(x, scale_factor=2), [(1, 2, 3, 3)]),
    "pad": (lambda x: F.pad(x, (1, 1, 2, 0)), [(2, 3, 4)]),
    "unfold": (lambda x: F.unfold(x, 2), [(1, 2, 4, 4)]),
    "bernoulli": (lambda x: glasstorch.bernoulli(x.detach().sigmoid()), [(4, 5)]),
    "lstm, 2 layers, bidirectional, projections": (lambda x: glasstorch.nn.LSTM(
        3, 4, 2, bidirectional=True, proj_size=2).to(x.device)(x)[0], [(5, 2, 3)]),
    "gru, packed sequences": (lambda x: glasstorch.nn.GRU(3, 4).to(x.device)(
        glasstorch.nn.utils.rnn.pack_padded_sequence(x, [5, 2, 3], enforce_sorted=False))[1],
        [(5, 3, 3)]),
    "rnn relu, batch_first": (lambda x: glasstorch.nn.RNN(
        3, 4, nonlinearity="relu", batch_first=True).to(x.device)(x)[0], [(2, 5, 3)]),
    "lstm cell": (lambda x: glasstorch.nn.LSTMCell(3, 4).to(x.device)(x)[1], [(2, 3)]),
    "in-place write into a view": (_write_into_a_view, [(2, 3, 4)]),
    "sort, descending": (lambda x: x.sort(1, descending=True).values, [(3, 5)]),
}


@pytest.mark.parametrize("name", NN_CASES)
def test_nn_functional_on_the_device_as_on_the_cpu(cuda, name):
    fn, shapes = NN_CASES[name]
    rng = np.random.default_rng(0)
    _same_on_both(fn, *(rng.standard_normal(s).astype("float32") for s in shapes))


@pytest.mark.parametrize("name, options", [("SGD", {"momentum": 0.9, "weight_decay": 0.01}),
                                           ("Adam", {}), ("AdamW", {}), ("RMSprop", {}),
                                           ("Adagrad", {}), ("Adadelta", {})])
def test_optimizers_on_the_device_as_on_the_cpu(cuda, name, options):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((6, 3)).astype("float32")
    weights = []
    for where in ("cpu", "cuda"):
        glasstorch.manual_seed(0)
        net = glasstorch.nn.Linear(3, 2).to(where)
        optimizer = getattr(glasstorch.optim, name)(net.parameters(), lr=0.1, **options)
        scheduler = glasstorch.optim.lr_scheduler.StepLR(optimizer, 1, gamma=0.5)
        for _ in range(3):
            optimizer.zero_grad()
            (net(glasstorch.tensor(X, device=where)) ** 2).sum().backward()
            optimizer.step()
            scheduler.step()
        assert net.weight.device.type == where
        weights.append(_host(net.weight))
    np.testing.assert_allclose(weights[1], weights[0], rtol=1e-5, atol=1e-6)


@pytest.mark.skipif(REAL_GPU, reason="counts the stand-in's fused calls; the GPU run times them")
@pytest.mark.parametrize("name, options, kernels", [
    ("SGD", {}, ["_plain_step"] * 2),
    ("SGD", {"momentum": 0.9}, ["_momentum_step"] * 2),
    ("SGD", {"momentum": 0.9, "nesterov": True}, ["_nesterov_step"] * 2),
    ("Adam", {}, ["_adam_update"] * 2),
    ("AdamW", {}, ["_adam_update"] * 2),
    ("Adam", {"amsgrad": True}, ["_update_moments", "_step"] * 2)])
def test_optimizer_updates_run_as_one_fused_kernel_per_parameter(cuda, name, options, kernels):
    net = glasstorch.nn.Linear(3, 2).cuda()
    optimizer = getattr(glasstorch.optim, name)(net.parameters(), lr=0.1, **options)
    for _ in range(2):  # the second step: momentum buffers exist
        optimizer.zero_grad()
        net(glasstorch.ones(4, 3, device="cuda")).sum().backward()
        standin_cupy.fused_kernels.clear()
        optimizer.step()
    assert standin_cupy.fused_kernels == kernels


def test_save_and_load_of_device_tensors_with_map_location(cuda):
    import io

    glasstorch.manual_seed(0)
    state = glasstorch.nn.Linear(3, 2).cuda().state_dict()
    saved = io.BytesIO()
    glasstorch.save(state, saved)
    for map_location, where in [(None, "cuda"), ("cpu", "cpu"), (glasstorch.device("cpu"), "cpu"),
                                ({"cuda:0": "cpu"}, "cpu"), (lambda s, loc: s, "cpu")]:
        saved.seek(0)
        loaded = glasstorch.load(saved, map_location=map_location)
        assert loaded["weight"].device.type == where, map_location
        np.testing.assert_array_equal(_host(loaded["weight"]), _host(state["weight"]))
    on_cpu = io.BytesIO()
    glasstorch.save(glasstorch.nn.Linear(3, 2).state_dict(), on_cpu)
    on_cpu.seek(0)
    assert glasstorch.load(on_cpu, map_location="cuda")["weight"].device.type == "cuda"


def test_dataloader_batches_move_to_the_device(cuda):
    data = glasstorch.utils.data.TensorDataset(glasstorch.randn(10, 3), glasstorch.arange(10))
    loader = glasstorch.utils.data.DataLoader(data, batch_size=4, pin_memory=True)
    for X, y in loader:
        X, y = X.to("cuda", non_blocking=True), y.cuda()
        assert X.is_cuda and y.is_cuda and X.device == glasstorch.device("cuda", 0)
    from glasstorch import d2l

    assert d2l.try_gpu() == glasstorch.device("cuda", 0)
    assert d2l.try_all_gpus() == [glasstorch.device("cuda", 0)]


def test_cuda_queries_as_torch_without_a_gpu_and_with_one(torch):
    if not REAL_GPU:  # as torch's CPU build
        for name in ("memory_allocated", "max_memory_allocated", "empty_cache"):
            assert getattr(glasstorch.cuda, name)() == getattr(torch.cuda, name)()
        for name in ("current_device", "get_device_name"):
            with pytest.raises(AssertionError):
                getattr(torch.cuda, name)()
            with pytest.raises(AssertionError, match="not compiled with CUDA enabled"):
                getattr(glasstorch.cuda, name)()
    with _device_backend():
        assert glasstorch.cuda.current_device() == 0
        assert isinstance(glasstorch.cuda.get_device_name(), str)
        glasstorch.cuda.set_device(0)
        x = glasstorch.ones(1024, device="cuda")
        assert 0 <= glasstorch.cuda.memory_allocated() <= glasstorch.cuda.max_memory_allocated()
        assert not REAL_GPU or glasstorch.cuda.memory_allocated() >= x.numel() * 4
        glasstorch.cuda.reset_peak_memory_stats()
        glasstorch.cuda.empty_cache()


def test_d2l_train_ch6_on_try_gpu_as_on_the_cpu(cuda, tmp_path, monkeypatch, capsys):
    from glasstorch import d2l, nn

    monkeypatch.chdir(tmp_path)  # the Animator saves its figure here
    rng = np.random.default_rng(0)
    data = glasstorch.utils.data.TensorDataset(
        glasstorch.tensor(rng.standard_normal((32, 1, 12, 12)).astype("float32")),
        glasstorch.tensor(rng.integers(0, 10, 32)))
    loader = glasstorch.utils.data.DataLoader(data, batch_size=8)
    weights = []
    for device in (glasstorch.device("cpu"), d2l.try_gpu()):
        glasstorch.manual_seed(0)
        net = nn.Sequential(nn.Conv2d(1, 4, 5, padding=2), nn.Sigmoid(), nn.AvgPool2d(2, 2),
                            nn.Flatten(), nn.Linear(4 * 6 * 6, 10))
        d2l.train_ch6(net, loader, loader, 2, 0.1, device)
        assert all(p.device == device for p in net.parameters())
        weights.append([_host(p) for p in net.parameters()])
    assert "on cuda:0" in capsys.readouterr().out
    for cpu, dev in zip(*weights):
        np.testing.assert_allclose(dev, cpu, rtol=1e-4, atol=1e-5)


def test_work_on_the_device_is_never_split_across_the_thread_pool(cuda, monkeypatch):
    monkeypatch.setattr(glasstorch.threads, "MIN_ITEMS", 16)
    before = glasstorch.get_num_threads()
    glasstorch.set_num_threads(2)  # drops the pool: a split would start a new one
    try:
        x = glasstorch.randn(4, 3, 12, 12, device="cuda", requires_grad=True)
        y = glasstorch.nn.functional.conv2d(x, glasstorch.randn(8, 3, 3, 3, device="cuda"))
        glasstorch.nn.functional.relu(glasstorch.nn.functional.batch_norm(
            y, None, None, training=True)).sum().backward()
        assert glasstorch.threads._pool is None
        glasstorch.nn.functional.relu(glasstorch.randn(4, 3, 12, 12))  # on the CPU it splits
        assert glasstorch.threads._pool is not None
    finally:
        glasstorch.set_num_threads(before)


def test_d2l_trainer_with_num_gpus_trains_on_the_gpu_as_on_the_cpu(cuda, tmp_path, monkeypatch):
    from glasstorch import d2l

    monkeypatch.chdir(tmp_path)  # the ProgressBoard saves its figure here
    results = []
    for num_gpus in (0, 1):
        glasstorch.manual_seed(0)
        data = d2l.SyntheticRegressionData(w=glasstorch.tensor([2, -3.4]), b=4.2, num_train=40,
                                           num_val=20, batch_size=10)
        # the concise model: its parameters are registered, so Trainer's model.to(gpu) moves
        # them (the scratch model's plain w and b stay behind, in torch too)
        model = d2l.LinearRegression(lr=0.03)
        # the lazy layer's first forward draws its weights, here on the CPU for both runs (on
        # the GPU they would come from the GPU's generator, as in torch)
        model(data.X[:1])
        trainer = d2l.Trainer(max_epochs=2, num_gpus=num_gpus)
        trainer.fit(model, data)
        where = "cuda" if num_gpus else "cpu"
        assert trainer.gpus == ([d2l.gpu(0)] if num_gpus else [])
        w, b = model.get_w_b()
        assert w.device.type == where and b.device.type == where
        results.append((_host(w), _host(b)))
    for cpu, dev in zip(*results):
        np.testing.assert_allclose(dev, cpu, rtol=1e-5, atol=1e-6)


def test_tensors_made_from_device_tensors_stay_on_the_device(cuda):
    d = glasstorch.randn(3, 4, device="cuda")
    with pytest.warns(UserWarning, match="copy construct"):
        made = [glasstorch.tensor(d)]  # torch copies onto the source's device
    made += [glasstorch.as_tensor(d), glasstorch.zeros_like(d), glasstorch.ones_like(d),
             glasstorch.empty_like(d), glasstorch.rand_like(d), glasstorch.randn_like(d),
             glasstorch.full_like(d, 2.0), glasstorch.randint_like(d, 5), d.new_zeros(2),
             d.new_ones(2), d.new_full((2,), 1.0), d.new_tensor([1.0]), d.new_empty(2),
             glasstorch.normal(d, 1.0), glasstorch.normal(0.0, d.abs()),
             glasstorch.nn.functional.one_hot(glasstorch.tensor([0, 2], device="cuda"), 3)]
    for t in made:
        assert t.device == glasstorch.device("cuda", 0)
    glasstorch.manual_seed(0)
    on_device = glasstorch.normal(glasstorch.zeros(3, device="cuda"), 2.0)
    glasstorch.manual_seed(0)
    on_cpu = glasstorch.normal(glasstorch.zeros(3), 2.0)
    np.testing.assert_array_equal(_host(on_device), _host(on_cpu))


def test_distributions_on_the_device(cuda):
    loc = glasstorch.zeros(3, device="cuda")
    for normal in (glasstorch.distributions.Normal(loc, 1.0),
                   glasstorch.distributions.Normal(loc, glasstorch.ones(3, device="cuda"))):
        sample = normal.sample((2,))
        assert sample.shape == (2, 3) and sample.device.type == "cuda"
        assert normal.log_prob(sample).device.type == "cuda"
    counts = glasstorch.distributions.Multinomial(
        10, probs=glasstorch.full((4,), 0.25, device="cuda")).sample()
    assert counts.device.type == "cuda" and float(counts.sum()) == 10


def test_the_gpu_has_its_own_generator_as_in_torch(cuda):
    def gpu_draws():
        return [_host(glasstorch.randn(4, device="cuda")), _host(glasstorch.rand(3, device="cuda")),
                _host(glasstorch.randint(0, 9, (5,), device="cuda")),
                _host(glasstorch.empty(3, device="cuda").normal_()),
                _host(glasstorch.nn.functional.dropout(glasstorch.ones(8, device="cuda")))]

    glasstorch.cuda.manual_seed(3)
    first = gpu_draws()
    glasstorch.cuda.manual_seed(3)
    glasstorch.randn(10)  # CPU draws leave the GPU's stream alone
    for a, b in zip(first, gpu_draws()):
        np.testing.assert_array_equal(a, b)
    assert glasstorch.cuda.initial_seed() == 3
    glasstorch.manual_seed(5)  # torch.manual_seed seeds the GPU too
    again = gpu_draws()
    glasstorch.manual_seed(5)
    for a, b in zip(again, gpu_draws()):
        np.testing.assert_array_equal(a, b)
    state = glasstorch.cuda.get_rng_state()
    after = gpu_draws()
    glasstorch.cuda.set_rng_state(state)
    for a, b in zip(after, gpu_draws()):
        np.testing.assert_array_equal(a, b)
    glasstorch.manual_seed(5)
    cpu_before = glasstorch.randn(4).numpy()
    glasstorch.manual_seed(5)
    gpu_draws()  # GPU draws leave the CPU's stream alone
    np.testing.assert_array_equal(glasstorch.randn(4).numpy(), cpu_before)
