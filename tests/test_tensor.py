"""The Tensor object: attributes, conversions, printing, devices, in-place ops and memory sharing.

Everything is compared with real PyTorch doing the same thing.
"""

import copy
import pickle
import warnings

import numpy as np
import pytest

import glasstorch


def same(ours, theirs):
    """Same dtype, shape, requires_grad and values."""
    assert str(ours.dtype) == str(theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.requires_grad == theirs.requires_grad
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())


def raises_like(torch, fn):
    """fn(lib) raises in torch; glasstorch raises the same exception type."""
    with pytest.raises(Exception) as theirs:
        fn(torch)
    with pytest.raises(theirs.type):
        fn(glasstorch)


def both(torch, fn):
    """fn(lib) gives equal results (tensors, or plain Python values) in both libraries."""
    ours, theirs = fn(glasstorch), fn(torch)
    if isinstance(theirs, torch.Tensor):
        same(ours, theirs)
    else:
        assert ours == theirs
        assert type(ours) is type(theirs)


# ---- shape and metadata ----


def test_shape_is_a_torch_size(torch):
    t = glasstorch.zeros(2, 3)
    assert isinstance(t.shape, tuple)
    assert repr(t.shape) == repr(torch.zeros(2, 3).shape) == "torch.Size([2, 3])"
    assert str(t.shape) == "torch.Size([2, 3])"
    assert repr(glasstorch.tensor(1.0).shape) == "torch.Size([])"
    assert t.shape == (2, 3) and t.shape == torch.Size([2, 3])
    assert t.size() == t.shape and isinstance(t.size(), glasstorch.Size)
    assert t.shape[0] == 2 and t.shape[-1] == 3
    assert repr(t.shape[1:]) == "torch.Size([3])"
    assert t.shape.numel() == 6
    assert list(t.shape) == [2, 3]
    rows, cols = t.shape
    assert (rows, cols) == (2, 3)


def test_size_dim_numel(torch):
    for lib_shape in [(2, 3, 4), (5,), (), (0, 3)]:
        ours, theirs = glasstorch.zeros(lib_shape), torch.zeros(lib_shape)
        assert ours.numel() == theirs.numel()
        assert ours.dim() == theirs.dim() == ours.ndim == theirs.ndim
        assert ours.ndimension() == theirs.ndimension()
        for d in range(-len(lib_shape), len(lib_shape)):
            assert ours.size(d) == theirs.size(d)
            assert ours.shape[d] == theirs.shape[d]
    raises_like(torch, lambda lib: lib.zeros(2, 3).size(2))
    raises_like(torch, lambda lib: lib.zeros(2, 3).size(-3))
    assert glasstorch.numel(glasstorch.zeros(4, 5)) == 20


def test_dtype_and_device_attributes(torch):
    for data in ([1.0], [1], [True]):
        ours, theirs = glasstorch.tensor(data), torch.tensor(data)
        assert repr(ours.dtype) == repr(theirs.dtype)
        assert repr(ours.device) == repr(theirs.device) == "device(type='cpu')"
        assert str(ours.device) == "cpu"
        assert ours.is_cuda is False
        assert ours.is_floating_point() == theirs.is_floating_point()
        assert ours.element_size() == theirs.element_size()
        assert ours.get_device() == theirs.get_device()


def test_T_and_mT(torch):
    data = np.arange(24.0).reshape(2, 3, 4)
    both(torch, lambda lib: lib.tensor(data[0]).T)
    both(torch, lambda lib: lib.tensor(data).mT)
    both(torch, lambda lib: lib.tensor(data[0]).mT)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch deprecates .T on other than 2 dims
        both(torch, lambda lib: lib.tensor(data[0, 0]).T)
        both(torch, lambda lib: lib.tensor(data).T)
    raises_like(torch, lambda lib: lib.tensor(data[0, 0]).mT)


def test_autograd_attributes(torch):
    for lib in (glasstorch, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        c = lib.tensor([1.0, 2.0])
        assert x.requires_grad and x.is_leaf and x.grad is None and x.grad_fn is None
        assert not c.requires_grad and c.is_leaf
        y = x * 2
        assert y.requires_grad and not y.is_leaf
        assert repr(y.grad_fn).startswith("<MulBackward0 object at 0x")
        assert y.grad_fn.name() == "MulBackward0"
        with pytest.warns(UserWarning, match="retain_grad"):
            assert y.grad is None
        y.sum().backward()
        assert x.grad.tolist() == [2.0, 2.0]
        assert (c * 2).grad_fn is None
        assert x.detach().requires_grad is False and x.detach().is_leaf


# ---- .data ----


def test_data_shares_memory_without_history(torch):
    for lib in (glasstorch, torch):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        d = w.data
        assert d.requires_grad is False and d.grad_fn is None and d.is_leaf
        d[0] = 10.0
        assert w[0].item() == 10.0
        assert w.requires_grad and w.is_leaf


def test_data_update_like_sgd(torch):
    results = []
    for lib in (glasstorch, torch):
        w = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
        before = id(w)
        (w * w).sum().backward()
        w.data -= 0.1 * w.grad
        assert id(w) == before and w.requires_grad and w.is_leaf
        with lib.no_grad():
            w -= 0.1 * w.grad
            w.grad.zero_()
        assert w.grad.tolist() == [0.0, 0.0, 0.0]
        results.append(w.detach().numpy().copy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)


def test_data_is_assignable(torch):
    for lib in (glasstorch, torch):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        w.data = lib.tensor([5.0, 6.0, 7.0])
        assert w.tolist() == [5.0, 6.0, 7.0] and tuple(w.shape) == (3,)
        assert w.requires_grad and w.is_leaf
        w.sum().backward()
        assert w.grad.tolist() == [1.0, 1.0, 1.0]


def test_data_normal_and_fill_change_the_original(torch):
    weight = glasstorch.ones(200, 300, requires_grad=True)
    result = weight.data.normal_(0, 0.01)
    assert result.shape == weight.shape
    values = weight.detach().numpy()
    assert abs(values.mean()) < 1e-3 and abs(values.std() - 0.01) < 1e-3
    assert weight.requires_grad and weight.is_leaf
    bias = glasstorch.ones(5, requires_grad=True)
    bias.data.fill_(0)
    assert bias.tolist() == [0.0] * 5
    bias.data.uniform_(-1, 1)
    assert (bias.detach().numpy() >= -1).all() and (bias.detach().numpy() < 1).all()
    bias.data.zero_()
    assert bias.tolist() == [0.0] * 5


# ---- Python values ----


def test_item_tolist(torch):
    for data in [2.5, 3, True, [1.5], [[7]]]:
        both(torch, lambda lib: lib.tensor(data).item())
    for data in [[1.5, 2.0], [[1, 2], [3, 4]], [True], [], 4.0, [[1.0], [2.5]]]:
        both(torch, lambda lib: lib.tensor(data).tolist())
    assert type(glasstorch.tensor([1.5]).tolist()[0]) is float
    assert type(glasstorch.tensor([1]).tolist()[0]) is int
    raises_like(torch, lambda lib: lib.tensor([1.0, 2.0]).item())
    x = glasstorch.tensor(2.0, requires_grad=True)
    assert (x * 3).item() == 6.0


def test_numpy_shares_memory(torch):
    t = glasstorch.tensor([1.0, 2.0, 3.0])
    a = t.numpy()
    assert isinstance(a, np.ndarray) and a.dtype == np.float32
    a[0] = 10.0
    assert t[0].item() == 10.0
    t.add_(1)
    assert a[1] == 3.0
    b = np.asarray(t)
    b[2] = -1.0
    assert t[2].item() == -1.0
    assert np.asarray(t, dtype=np.float64).dtype == np.float64


def test_numpy_refuses_requires_grad(torch):
    raises_like(torch, lambda lib: lib.tensor([1.0], requires_grad=True).numpy())
    raises_like(torch, lambda lib: np.asarray(lib.tensor([1.0], requires_grad=True)))
    raises_like(torch, lambda lib: (lib.tensor([1.0], requires_grad=True) * 2).numpy())
    x = glasstorch.tensor([1.0, 2.0], requires_grad=True)
    a = x.detach().numpy()
    a[0] = 5.0
    assert x[0].item() == 5.0  # detach shares memory too
    assert x.numpy(force=True).tolist() == [5.0, 2.0]


def test_len_and_iteration(torch):
    data = np.arange(6.0).reshape(3, 2)
    ours, theirs = glasstorch.tensor(data), torch.tensor(data)
    assert len(ours) == len(theirs) == 3
    rows = list(ours)
    assert len(rows) == 3
    for a, b in zip(rows, theirs):
        same(a, b)
    assert [x.item() for x in glasstorch.tensor([4, 5])] == [4, 5]
    a, b = glasstorch.tensor([1.0, 2.0])
    assert (a.item(), b.item()) == (1.0, 2.0)
    raises_like(torch, lambda lib: len(lib.tensor(1.0)))
    raises_like(torch, lambda lib: iter(lib.tensor(1.0)))
    assert len(glasstorch.zeros(0, 4)) == 0 and list(glasstorch.zeros(0, 4)) == []


def test_bool_float_int_index(torch):
    for data in [1.5, 0.0, [2.0], -3, [7], True, [[0]]]:
        both(torch, lambda lib: bool(lib.tensor(data)))
        both(torch, lambda lib: float(lib.tensor(data)))
        both(torch, lambda lib: int(lib.tensor(data)))
    assert [10, 20, 30][glasstorch.tensor(1)] == 20
    assert [10, 20, 30][glasstorch.tensor([2])] == 30
    assert list(range(10))[glasstorch.tensor(2):glasstorch.tensor(4)] == [2, 3]
    assert "abc"[glasstorch.tensor(0, dtype=glasstorch.int32)] == "a"
    assert [1, 2][glasstorch.tensor(True)] == 2
    raises_like(torch, lambda lib: [10, 20][lib.tensor(1.0)])
    raises_like(torch, lambda lib: [10, 20][lib.tensor([0, 1])])
    raises_like(torch, lambda lib: bool(lib.tensor([1, 2])))
    raises_like(torch, lambda lib: bool(lib.tensor([])))
    raises_like(torch, lambda lib: float(lib.tensor([1.0, 2.0])))
    raises_like(torch, lambda lib: int(lib.tensor([1, 2])))
    assert int(glasstorch.tensor(-2.7)) == -2
    if glasstorch.tensor([1.0, 2.0]).sum() > 2.5:
        pass
    else:
        raise AssertionError("a 0-d comparison did not act as True")


def test_format_specs(torch):
    loss = glasstorch.tensor(0.123456)
    theirs = torch.tensor(0.123456)
    for spec in ["f", ".3f", ".2e", "", "10.4f", "g"]:
        assert format(loss, spec) == format(theirs, spec)
    assert f"{loss:f}" == "0.123456"
    assert f"{glasstorch.tensor(3):d}" == f"{torch.tensor(3):d}"
    assert f"{glasstorch.tensor([1.5, 2.0])}" == f"{torch.tensor([1.5, 2.0])}"
    raises_like(torch, lambda lib: format(lib.tensor([1.5]), "f"))
    assert "loss 0.500" in f"loss {glasstorch.tensor(0.5):.3f}"


# ---- printing ----

REPRS = [
    lambda lib: lib.tensor([1.0, 2.0, 3.0]),
    lambda lib: lib.tensor([1.5, -2.25, 3.125]),
    lambda lib: lib.tensor([[1, 2], [3, 4]]),
    lambda lib: lib.tensor([True, False]),
    lambda lib: lib.tensor([1.0, 2.0], dtype=lib.float64),
    lambda lib: lib.tensor([1.0, 2.5], dtype=lib.float16),
    lambda lib: lib.tensor([1, 2], dtype=lib.int32),
    lambda lib: lib.tensor([1, 2], dtype=lib.uint8),
    lambda lib: lib.tensor(3.5),
    lambda lib: lib.tensor(7),
    lambda lib: lib.tensor(True),
    lambda lib: lib.tensor(2.0, dtype=lib.float64),
    lambda lib: lib.tensor([]),
    lambda lib: lib.tensor([], dtype=lib.int64),
    lambda lib: lib.zeros(0, 3),
    lambda lib: lib.zeros(2, 0, dtype=lib.int32),
    lambda lib: lib.tensor([1.0, 2.0], requires_grad=True),
    lambda lib: lib.tensor(1.0, requires_grad=True),
    lambda lib: lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True),
    lambda lib: lib.tensor([1.0, 2.0], requires_grad=True) * 2,
    lambda lib: lib.tensor([1.0, 2.0], requires_grad=True) + 1,
    lambda lib: lib.tensor([1.0, 2.0], requires_grad=True).sum(),
    lambda lib: lib.tensor([1.0, 2.0], requires_grad=True).mean(),
    lambda lib: lib.tensor([1.0, 2.0], requires_grad=True).exp(),
    lambda lib: lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True) * 3,
    lambda lib: lib.tensor(np.arange(2000.0).reshape(40, 50)),
    lambda lib: lib.tensor(np.arange(1500)),
    lambda lib: lib.tensor(np.linspace(-1, 1, 2000).reshape(2, 10, 100)),
    lambda lib: lib.tensor([1e-5, 1.0, 1e5]),
    lambda lib: lib.tensor([1e10, 2.0]),
    lambda lib: lib.tensor([-1.5, -0.001, 0.0]),
    lambda lib: lib.tensor([-1, -20, 300]),
    lambda lib: lib.tensor([[-1.0, 2.0], [3.0, -4.5]]),
    lambda lib: lib.tensor(np.random.default_rng(0).standard_normal((4, 5))),
    lambda lib: lib.tensor(np.random.default_rng(1).standard_normal((3, 2, 4)).astype(np.float32)),
    lambda lib: lib.tensor(np.random.default_rng(2).standard_normal((30,)).astype(np.float32)),
    lambda lib: lib.tensor([float("nan"), float("inf"), -float("inf"), 1.0]),
    lambda lib: lib.arange(12).reshape(3, 4),
    lambda lib: lib.ones(2, 3, requires_grad=True).sum(0),
]


@pytest.mark.parametrize("index", range(len(REPRS)))
def test_repr_and_str_match_torch(torch, index):
    ours, theirs = REPRS[index](glasstorch), REPRS[index](torch)
    assert repr(ours) == repr(theirs)
    assert str(ours) == str(theirs)


def test_repr_under_default_float64(torch):
    glasstorch.set_default_dtype(glasstorch.float64)
    torch.set_default_dtype(torch.float64)
    for fn in [lambda lib: lib.tensor([1.5]), lambda lib: lib.tensor([1.5], dtype=lib.float32),
               lambda lib: lib.tensor([])]:
        assert repr(fn(glasstorch)) == repr(fn(torch))


# ---- pickle and deepcopy ----


@pytest.mark.parametrize("data", [[1.5, 2.5], [[1, 2], [3, 4]], [True], 3.0, []], ids=repr)
def test_pickle_round_trip(torch, data):
    t = glasstorch.tensor(data)
    back = pickle.loads(pickle.dumps(t))
    assert isinstance(back, glasstorch.Tensor)
    same(back, torch.tensor(data))
    back.add_(1) if back.dtype != glasstorch.bool else back.logical_not()
    assert t.tolist() == glasstorch.tensor(data).tolist()  # a copy, not shared
    x = glasstorch.tensor([1.0, 2.0], requires_grad=True)
    y = pickle.loads(pickle.dumps(x))
    assert y.requires_grad and y.is_leaf
    z = pickle.loads(pickle.dumps(x * 2))
    assert repr(z) == repr(pickle.loads(pickle.dumps(torch.tensor([1.0, 2.0],
                                                                  requires_grad=True) * 2)))


def test_deepcopy_of_a_leaf(torch):
    x = glasstorch.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    y = copy.deepcopy(x)
    assert y is not x and y.requires_grad and y.is_leaf
    assert y.tolist() == [1.0, 2.0] and y.grad.tolist() == [3.0, 3.0]
    y.data[0] = 100.0
    y.grad[0] = 100.0
    assert x[0].item() == 1.0 and x.grad[0].item() == 3.0
    pair = copy.deepcopy([x, x])
    assert pair[0] is pair[1]  # the memo keeps shared tensors shared
    raises_like(torch, lambda lib: copy.deepcopy(lib.tensor([1.0], requires_grad=True) * 2))
    c = glasstorch.tensor([1, 2])
    assert copy.deepcopy(c).tolist() == [1, 2] and copy.copy(c).tolist() == [1, 2]


# ---- devices ----


def test_device_objects(torch):
    for args in [("cpu",), ("cuda",), ("cuda:1",), ("cuda", 0), ("cpu", 0)]:
        ours, theirs = glasstorch.device(*args), torch.device(*args)
        assert str(ours) == str(theirs)
        assert repr(ours) == repr(theirs)
        assert ours.type == theirs.type and ours.index == theirs.index
    for a, b in [("cpu", "cpu"), ("cuda:0", "cuda:0"), ("cuda", "cuda:0"), ("cpu", "cuda")]:
        assert (glasstorch.device(a) == glasstorch.device(b)) == (torch.device(a) == torch.device(b))
        assert (glasstorch.device(a) != glasstorch.device(b)) == (torch.device(a) != torch.device(b))
    assert glasstorch.device("cuda", 0) == glasstorch.device("cuda:0")
    assert (glasstorch.device("cpu") == "cpu") == (torch.device("cpu") == "cpu")
    assert len({glasstorch.device("cpu"), glasstorch.device("cpu")}) == 1
    assert glasstorch.device(glasstorch.device("cuda:1")) == glasstorch.device("cuda", 1)
    raises_like(torch, lambda lib: lib.device("tpu"))
    raises_like(torch, lambda lib: lib.device("cuda:x"))


def test_cuda_queries_on_this_machine(torch):
    assert glasstorch.cuda.is_available() == torch.cuda.is_available() is False
    assert glasstorch.cuda.device_count() == torch.cuda.device_count() == 0
    dev = glasstorch.device("cuda" if glasstorch.cuda.is_available() else "cpu")
    assert dev == glasstorch.device("cpu")
    t = glasstorch.ones(2, device=dev)
    assert t.device == dev


def test_cuda_without_a_gpu_raises_as_torch(torch):
    # torch checks an index first (the book's X.cuda(1)), a device or none for CUDA itself
    for args in [(), (0,), (1,), ("cuda:0",)]:
        with pytest.raises(Exception) as theirs:
            torch.ones(2).cuda(*args)
        with pytest.raises(theirs.type) as ours:
            glasstorch.ones(2).cuda(*args)
        assert str(ours.value) == str(theirs.value)


def test_to_device_and_cpu(torch):
    t = glasstorch.tensor([1.0, 2.0])
    cpu = glasstorch.device("cpu")
    for result in [t.to(cpu), t.to("cpu"), t.cpu(), t.to(device="cpu"), t.to(t.device),
                   t.to(t), t.to("cpu", glasstorch.float32)]:
        assert result is t  # torch returns the same tensor when nothing changes
    theirs = torch.tensor([1.0, 2.0])
    assert theirs.to("cpu") is theirs and theirs.cpu() is theirs
    d = t.to("cpu", glasstorch.float64)
    assert d.dtype == glasstorch.float64 and d.device == cpu
    d = t.to(glasstorch.tensor([1], dtype=glasstorch.int32))
    assert d.dtype == glasstorch.int32
    c = t.to("cpu", copy=True)
    assert c is not t and c.tolist() == t.tolist()
    x = glasstorch.tensor([1.0], requires_grad=True)
    assert x.to("cpu") is x and x.cpu().requires_grad


def test_cuda_without_a_gpu_raises_like_torch(torch):
    if glasstorch.cuda.is_available():  # a machine with a GPU and cupy: it must work
        assert glasstorch.tensor([1.0]).cuda().device.type == "cuda"
        return
    raises_like(torch, lambda lib: lib.tensor([1.0]).cuda())
    raises_like(torch, lambda lib: lib.tensor([1.0]).to("cuda"))
    raises_like(torch, lambda lib: lib.zeros(2, device="cuda"))
    raises_like(torch, lambda lib: lib.tensor([1.0], device="cuda"))


def test_device_argument_of_creation_functions(torch):
    cpu = glasstorch.device("cpu")
    made = [
        glasstorch.tensor([1.0], device="cpu"),
        glasstorch.tensor([1.0], device=cpu),
        glasstorch.zeros(2, device="cpu"),
        glasstorch.ones(2, device=cpu),
        glasstorch.empty(2, device="cpu"),
        glasstorch.full((2,), 1.0, device="cpu"),
        glasstorch.arange(3, device="cpu"),
        glasstorch.linspace(0, 1, 3, device="cpu"),
        glasstorch.eye(2, device="cpu"),
        glasstorch.rand(2, device="cpu"),
        glasstorch.randn(2, device=cpu),
        glasstorch.randint(0, 3, (2,), device="cpu"),
        glasstorch.randperm(3, device="cpu"),
        glasstorch.zeros_like(glasstorch.ones(2), device="cpu"),
        glasstorch.as_tensor([1.0], device="cpu"),
        glasstorch.normal(0.0, 1.0, (2,), device="cpu"),
    ]
    for t in made:
        assert t.device == cpu and t.device.type == "cpu"


# ---- in-place ops ----

INPLACE = [
    ("add_", lambda t, lib: t.add_(lib.tensor([1.0, 2.0, 3.0]))),
    ("add_ scalar", lambda t, lib: t.add_(2)),
    ("add_ alpha", lambda t, lib: t.add_(lib.ones(3), alpha=-2)),
    ("add_ broadcast", lambda t, lib: t.add_(lib.tensor(5.0))),
    ("sub_", lambda t, lib: t.sub_(lib.tensor([1.0, 2.0, 3.0]))),
    ("mul_", lambda t, lib: t.mul_(lib.tensor([1.0, 2.0, 3.0]))),
    ("mul_ scalar", lambda t, lib: t.mul_(-0.5)),
    ("div_", lambda t, lib: t.div_(lib.tensor([1.0, 2.0, 4.0]))),
    ("div_ scalar", lambda t, lib: t.div_(3)),
    ("zero_", lambda t, lib: t.zero_()),
    ("fill_", lambda t, lib: t.fill_(7.5)),
    ("fill_ tensor", lambda t, lib: t.fill_(lib.tensor(2.0))),
    ("copy_", lambda t, lib: t.copy_(lib.tensor([9.0, 8.0, 7.0]))),
    ("copy_ broadcast", lambda t, lib: t.copy_(lib.tensor([4.0]))),
    ("copy_ int", lambda t, lib: t.copy_(lib.tensor([1, 2, 3]))),
    ("copy_ float64", lambda t, lib: t.copy_(lib.tensor([0.1, 0.2, 0.3], dtype=lib.float64))),
    ("clamp_", lambda t, lib: t.clamp_(-1.0, 1.5)),
    ("clamp_ min", lambda t, lib: t.clamp_(min=0.0)),
    ("clamp_ max", lambda t, lib: t.clamp_(max=0.0)),
    ("iadd", lambda t, lib: t.__iadd__(lib.tensor([1.0, 1.0, 1.0]))),
    ("imul", lambda t, lib: t.__imul__(2)),
    ("isub", lambda t, lib: t.__isub__(0.5)),
    ("itruediv", lambda t, lib: t.__itruediv__(2)),
]


@pytest.mark.parametrize("name", [name for name, _ in INPLACE])
def test_in_place_ops_write_in_place(torch, name):
    fn = dict(INPLACE)[name]
    results = []
    for lib in (glasstorch, torch):
        base = lib.tensor([[-2.0, 0.5, 3.0], [1.0, 1.0, 1.0]])
        row = base[0]  # a view: it must see the change
        out = fn(row, lib)
        assert out is row
        results.append(base)
    same(*results)


def test_copy_casts_and_broadcasts(torch):
    for target, source in [
        (lambda lib: lib.zeros(2, 3, dtype=lib.int64), lambda lib: lib.tensor([1.7, -2.7, 3.2])),
        (lambda lib: lib.zeros(2, 3), lambda lib: lib.tensor([[1], [2]])),
        (lambda lib: lib.zeros(3, dtype=lib.bool), lambda lib: lib.tensor([0.0, 2.0, 0.0])),
        (lambda lib: lib.zeros(2, 2, dtype=lib.float64), lambda lib: lib.tensor(5)),
        (lambda lib: lib.zeros(3, dtype=lib.float16), lambda lib: lib.tensor([True, False, True])),
    ]:
        def fn(lib):
            t = target(lib)
            assert t.copy_(source(lib)) is t
            return t

        both(torch, fn)
    raises_like(torch, lambda lib: lib.zeros(3).copy_(lib.ones(2)))
    raises_like(torch, lambda lib: lib.zeros(3).copy_(lib.ones(2, 3)))


def test_in_place_dtype_rules(torch):
    raises_like(torch, lambda lib: lib.tensor([1, 2]).add_(1.5))
    raises_like(torch, lambda lib: lib.tensor([1, 2]).mul_(lib.tensor([1.5, 2.0])))
    raises_like(torch, lambda lib: lib.tensor([1, 2]).div_(2))
    raises_like(torch, lambda lib: lib.tensor([True]).add_(1))
    both(torch, lambda lib: lib.tensor([1.0, 2.0]).add_(lib.tensor([1, 2])))
    both(torch, lambda lib: lib.tensor([1.0, 2.0], dtype=lib.float16).mul_(2.5))
    both(torch, lambda lib: lib.tensor([1, 2], dtype=lib.int32).add_(lib.tensor([5])))
    both(torch, lambda lib: lib.tensor([1, 2]).fill_(2.9))
    raises_like(torch, lambda lib: lib.zeros(3).add_(lib.ones(2, 3)))


def test_normal_and_uniform_in_place():
    t = glasstorch.empty(100000)
    assert t.normal_(3.0, 2.0) is t
    values = t.numpy()
    assert values.dtype == np.float32
    assert abs(values.mean() - 3.0) < 0.05 and abs(values.std() - 2.0) < 0.05
    assert t.uniform_(-2.0, 4.0) is t
    values = t.numpy()
    assert values.min() >= -2.0 and values.max() < 4.0
    assert abs(values.mean() - 1.0) < 0.05
    d = glasstorch.zeros(1000, dtype=glasstorch.float64).normal_()
    assert d.dtype == glasstorch.float64 and abs(d.numpy().std() - 1.0) < 0.1
    base = glasstorch.zeros(4, 5)
    base[1].normal_()
    base[:, 0].uniform_(5, 6)
    assert (base.numpy()[0, 1:] == 0).all() and (base.numpy()[1, 1:] != 0).all()
    assert (base.numpy()[:, 0] >= 5).all()


def test_requires_grad_(torch):
    for lib in (glasstorch, torch):
        t = lib.tensor([1.0, 2.0])
        assert t.requires_grad_() is t and t.requires_grad
        assert t.requires_grad_(False) is t and not t.requires_grad
        y = lib.tensor([1.0], requires_grad=True) * 2
        y.requires_grad_(True)
    raises_like(torch, lambda lib: lib.tensor([1, 2]).requires_grad_())
    raises_like(torch, lambda lib: (lib.tensor([1.0], requires_grad=True) * 2).requires_grad_(False))
    raises_like(torch, lambda lib: lib.tensor([1.0], requires_grad=True).add_(1))


def test_in_place_on_leaf_under_no_grad(torch):
    results = []
    for lib in (glasstorch, torch):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        with lib.no_grad():
            w.add_(1).mul_(2)
            w -= 1
            w[0] = 0.0
        assert w.requires_grad and w.is_leaf and w.grad_fn is None
        results.append(w)
    same(*results)


# ---- memory: what keeps its identity, what shares storage ----


def test_slice_assignment_and_augmented_assignment_keep_id(torch):
    results = []
    for lib in (glasstorch, torch):
        x, y = lib.tensor([1.0, 2.0]), lib.tensor([3.0, 4.0])
        z = lib.zeros_like(y)
        before = id(z)
        z[:] = x + y
        assert id(z) == before
        before = id(y)
        y += x
        assert id(y) == before
        y = y + x
        assert id(y) != before  # a plain assignment makes a new tensor
        results.append((z, y))
    same(results[0][0], results[1][0])
    same(results[0][1], results[1][1])


def test_augmented_assignment_changes_aliases(torch):
    for lib in (glasstorch, torch):
        x = lib.ones(3)
        alias = x
        x += 1
        assert alias is x and alias.tolist() == [2.0, 2.0, 2.0]
        x *= lib.tensor([1.0, 2.0, 3.0])
        assert alias.tolist() == [2.0, 4.0, 6.0]


VIEWS = [
    ("view", lambda b: b.view(6)),
    ("view -1", lambda b: b.view(3, -1)),
    ("reshape", lambda b: b.reshape(3, 2)),
    ("reshape -1", lambda b: b.reshape(-1)),
    ("row", lambda b: b[1]),
    ("slice", lambda b: b[:, 1:]),
    ("step slice", lambda b: b[:, ::2]),
    ("transpose", lambda b: b.transpose(0, 1)),
    ("t", lambda b: b.t()),
    ("T", lambda b: b.T),
    ("permute", lambda b: b.permute(1, 0)),
    ("unsqueeze", lambda b: b.unsqueeze(0)),
    ("squeeze", lambda b: b.unsqueeze(1).squeeze(1)),
    ("flatten", lambda b: b.flatten()),
    ("detach", lambda b: b.detach()),
    ("data", lambda b: b.data),
    ("narrow", lambda b: b.narrow(1, 0, 2)),
    ("select", lambda b: b.select(1, 2)),
    ("ellipsis", lambda b: b[..., 0]),
]


@pytest.mark.parametrize("name", [name for name, _ in VIEWS])
def test_views_share_memory_with_their_base(torch, name):
    fn = dict(VIEWS)[name]
    for lib in (glasstorch, torch):
        base = lib.arange(6.0).reshape(2, 3)
        view = fn(base)
        expected = fn(lib.arange(6.0).reshape(2, 3))
        # write through the base, read through the view
        base.mul_(10)
        assert view.tolist() == (expected * 10).tolist(), lib.__name__
        # write through the view, read through the base
        view.add_(1)
        assert base.sum().item() == 150.0 + view.numel(), lib.__name__
        view.fill_(-1)
        assert (base == -1).sum().item() == view.numel(), lib.__name__
        view[...] = 5.0
        assert (base == 5).sum().item() == view.numel(), lib.__name__


def test_expand_sees_writes_to_its_base(torch):
    for lib in (glasstorch, torch):
        base = lib.tensor([[1.0], [2.0]])
        wide = base.expand(2, 3)
        base.mul_(10)
        assert wide.tolist() == [[10.0] * 3, [20.0] * 3]
        base[1, 0] = -1.0
        assert wide[1].tolist() == [-1.0] * 3
        expanded = lib.tensor(3.0).expand(4)
        assert expanded.tolist() == [3.0] * 4


def test_clone_and_contiguous_copies(torch):
    for lib in (glasstorch, torch):
        base = lib.arange(6.0).reshape(2, 3)
        c = base.clone()
        c.add_(100)
        assert base.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
        base.zero_()
        assert c.sum().item() == 615.0
        t = lib.arange(6.0).reshape(2, 3).t().contiguous()
        assert t.is_contiguous()


def test_reshape_of_non_contiguous_copies(torch):
    for lib in (glasstorch, torch):
        base = lib.arange(6.0).reshape(2, 3)
        flat = base.t().reshape(6)  # cannot be a view
        assert flat.tolist() == [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
        flat.fill_(0)
        assert base.sum().item() == 15.0
    raises_like(torch, lambda lib: lib.arange(6.0).reshape(2, 3).t().view(6))


def test_index_assignment_writes_in_place(torch):
    results = []
    for lib in (glasstorch, torch):
        t = lib.zeros(3, 4)
        before = id(t)
        t[0] = 1.0
        t[1, 2] = 5.0
        t[:, 3] = lib.tensor([7.0, 8.0, 9.0])
        t[t > 6] = -1.0
        t[2, :2] = lib.tensor([2, 3])
        assert id(t) == before
        results.append(t)
    same(*results)


def test_rows_from_iteration_are_views(torch):
    for lib in (glasstorch, torch):
        t = lib.zeros(3, 2)
        for i, row in enumerate(t):
            row.add_(i)
        assert t.tolist() == [[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]


def test_new_constructors(torch):
    for data, dtype in [([1.5, 2.0], "float32"), ([1, 2], "int64"), ([1.0], "float64")]:
        def base(lib):
            return lib.tensor(data, dtype=getattr(lib, dtype))

        both(torch, lambda lib: base(lib).new_tensor([3, 4]))
        both(torch, lambda lib: base(lib).new_tensor([3.5], dtype=lib.float64))
        both(torch, lambda lib: base(lib).new_zeros(2, 3))
        both(torch, lambda lib: base(lib).new_zeros((2,)))
        both(torch, lambda lib: base(lib).new_ones([3]))
        both(torch, lambda lib: base(lib).new_full((2,), 7))
        both(torch, lambda lib: base(lib).new_ones(2, dtype=lib.bool))
        assert tuple(base(glasstorch).new_empty(4, 1).shape) == (4, 1)
    both(torch, lambda lib: lib.ones(2).new_zeros(2, requires_grad=True))
    src = glasstorch.tensor([1.0, 2.0])
    copy_of = glasstorch.ones(1).new_tensor(src)
    copy_of[0] = 9.0
    assert src[0].item() == 1.0


def test_hash_and_identity(torch):
    a, b = glasstorch.tensor([1.0]), glasstorch.tensor([1.0])
    table = {a: "a", b: "b"}
    assert table[a] == "a" and table[b] == "b"
    assert isinstance(a == b, glasstorch.Tensor)
    assert glasstorch.is_tensor(a) and not glasstorch.is_tensor([1.0])


def test_no_numpy_floating_point_warnings_from_glasstorch_ops_but_from_user_numpy():
    """torch is silent on log(0), 1/0, exp(1000), sqrt(-1); the user's own numpy still warns."""
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent("""
        import numpy as np
        import glasstorch as torch
        x = torch.tensor([0.0, -1.0, 1000.0])
        y = [x.log(), 1 / x, x / 0, x.exp(), x.sqrt(), x.rsqrt(), x ** -1, x.reciprocal()]
        y[0].sum()
        np.log(np.zeros(1))
    """)
    result = subprocess.run([sys.executable, "-W", "default", "-c", script], capture_output=True,
                            text=True, check=True)
    lines = [line for line in result.stderr.splitlines() if "Warning" in line]
    assert len(lines) == 1 and "divide by zero encountered in log" in lines[0], result.stderr


def test_reversed_flips_the_first_dim_as_torch():
    """d2l-en's BiRNNScratch runs its backward RNN on reversed(inputs)."""
    import torch

    results = []
    for lib in (glasstorch, torch):
        t = lib.arange(6.0).reshape(3, 2).requires_grad_()
        r = reversed(t)
        (r * lib.arange(6.0).reshape(3, 2)).sum().backward()
        results.append((r.detach().numpy(), t.grad.numpy(), float(reversed(lib.tensor(2.0)))))
    for ours, theirs in zip(*results):
        np.testing.assert_array_equal(ours, theirs)
