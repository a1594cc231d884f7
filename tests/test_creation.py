"""Creating tensors: tensor(), from_numpy, arange, linspace, zeros..., random; vs real PyTorch."""

import numpy as np
import pytest

import glasstorch


def same(ours, theirs, atol=0.0):
    """Same dtype, shape and values (exactly unless atol is given)."""
    assert str(ours.dtype) == str(theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.requires_grad == theirs.requires_grad
    expected = theirs.detach().numpy()
    np.testing.assert_allclose(ours.detach().numpy(), expected, rtol=0, atol=atol)


def both(torch, fn, atol=0.0):
    """Run fn(lib) with glasstorch and with torch and compare the results."""
    same(fn(glasstorch), fn(torch), atol)


def raises_like(torch, fn):
    """fn(lib) raises in torch; glasstorch raises the same exception type."""
    with pytest.raises(Exception) as theirs:
        fn(torch)
    with pytest.raises(theirs.type):
        fn(glasstorch)


# ---- tensor() ----

DATA = [
    [1, 2, 3],
    [1.0, 2.0, 3.5],
    [[1, 2], [3, 4]],
    [[[1.5], [2.5]], [[3.5], [4.5]]],
    [1, 2.5],  # mixed int and float: float
    [True, False],
    [True, 2],  # bool and int: int
    [True, 2.5],
    [[True], [False]],
    3,
    -2.5,
    True,
    [],
    [[]],
    [[], []],
    (1, 2, 3),
    [(1, 2), (3, 4)],
    [2**40, -(2**40)],
    [1e-30, 1e30],
    [float("inf"), float("nan")],
]


@pytest.mark.parametrize("data", DATA, ids=repr)
def test_tensor_from_python_data(torch, data):
    ours, theirs = glasstorch.tensor(data), torch.tensor(data)
    assert str(ours.dtype) == str(theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "int32", "int64", "int16",
                                   "int8", "uint8", "bool"])
def test_tensor_from_numpy_array_keeps_dtype(torch, dtype):
    array = np.array([[0, 1, 2], [3, 4, 5]]).astype(dtype)
    ours, theirs = glasstorch.tensor(array), torch.tensor(array)
    same(ours, theirs)
    array[0, 0] = 1  # tensor() copies
    assert ours[0, 0].item() == 0


def test_tensor_from_numpy_scalars(torch):
    for value in [np.float64(2.5), np.float32(2.5), np.int32(3), np.int64(3), np.bool_(True),
                  np.array(2.0), np.array(7, dtype=np.int16)]:
        both(torch, lambda lib: lib.tensor(value))


def test_tensor_from_list_of_numpy_arrays(torch):
    rows = [np.array([1.0, 2.0]), np.array([3.0, 4.0])]
    ours = glasstorch.tensor(np.array(rows))
    same(ours, torch.tensor(np.array(rows)))


def test_tensor_from_0d_tensors(torch):
    both(torch, lambda lib: lib.tensor([lib.tensor(1.0), lib.tensor(2.5)]))
    both(torch, lambda lib: lib.tensor([lib.tensor(1), lib.tensor(2)]))
    both(torch, lambda lib: lib.tensor([[lib.tensor(1.0)], [lib.tensor(3.0)]]))
    x = glasstorch.tensor(3.0, requires_grad=True)
    y = glasstorch.tensor([x * 2, x])
    assert y.requires_grad is False and y.grad_fn is None


def test_tensor_from_tensor_copies_and_warns(torch):
    src = glasstorch.tensor([1.0, 2.0], requires_grad=True)
    for lib in (torch, glasstorch):
        with pytest.warns(UserWarning, match="detach"):
            lib.tensor(lib.tensor([1.0], requires_grad=True))
    with pytest.warns(UserWarning):
        t = glasstorch.tensor(src)
    t[0] = 5
    assert src[0].item() == 1.0
    assert t.requires_grad is False


def test_tensor_dtype_argument(torch):
    for data in ([1, 2, 3], [1.5, -2.5], [True, False], 4):
        for name in ["float64", "float32", "float16", "int64", "int32", "uint8", "bool"]:
            if name == "uint8" and data == [1.5, -2.5]:
                continue  # negative float -> uint8 is undefined behaviour in C++
            both(torch, lambda lib: lib.tensor(data, dtype=getattr(lib, name)))
    both(torch, lambda lib: lib.tensor(np.arange(3.0), dtype=lib.float32))


def test_tensor_requires_grad(torch):
    both(torch, lambda lib: lib.tensor([1.0, 2.0], requires_grad=True))
    both(torch, lambda lib: lib.tensor(2.0, requires_grad=True))
    t = glasstorch.tensor([1.0, 2.0], requires_grad=True)
    assert t.is_leaf and t.grad is None and t.grad_fn is None
    raises_like(torch, lambda lib: lib.tensor([1, 2], requires_grad=True))
    raises_like(torch, lambda lib: lib.tensor([True], requires_grad=True))
    both(torch, lambda lib: lib.tensor([1, 2], dtype=lib.float32, requires_grad=True))


def test_tensor_ragged_data_raises(torch):
    raises_like(torch, lambda lib: lib.tensor([[1, 2], [3]]))
    raises_like(torch, lambda lib: lib.tensor(["a", "b"]))


@pytest.mark.parametrize("fn", [
    lambda lib: lib.FloatTensor([1, 2, 3]),  # d2l's custom-layer section
    lambda lib: lib.FloatTensor(2, 3).zero_(),
    lambda lib: lib.LongTensor([1.7, -2.2]),
    lambda lib: lib.IntTensor([[1, 2]]),
    lambda lib: lib.DoubleTensor([0.5]),
    lambda lib: lib.BoolTensor([1, 0]),
    lambda lib: lib.Tensor(),
    lambda lib: lib.FloatTensor(),
    lambda lib: lib.Tensor((2, 1)).zero_(),
])
def test_legacy_constructors(torch, fn):
    both(torch, fn)


# ---- as_tensor and from_numpy ----


def test_as_tensor_shares_memory_with_same_dtype_array(torch):
    array = np.array([1.0, 2.0, 3.0])
    t = glasstorch.as_tensor(array)
    assert t.dtype == glasstorch.float64
    array[0] = 10.0
    assert t[0].item() == 10.0
    t[1] = 20.0
    assert array[1] == 20.0
    both(torch, lambda lib: lib.as_tensor(np.array([1, 2], dtype=np.int32)))


def test_as_tensor_copies_when_dtype_changes(torch):
    array = np.array([1.0, 2.0, 3.0])
    t = glasstorch.as_tensor(array, dtype=glasstorch.float32)
    assert t.dtype == glasstorch.float32
    array[0] = 10.0
    assert t[0].item() == 1.0


def test_as_tensor_of_tensor_and_list(torch):
    t = glasstorch.tensor([1.0, 2.0])
    assert glasstorch.as_tensor(t) is t
    assert glasstorch.as_tensor(t, dtype=glasstorch.float64).dtype == glasstorch.float64
    both(torch, lambda lib: lib.as_tensor([1, 2, 3]))
    both(torch, lambda lib: lib.as_tensor([1, 2, 3], dtype=lib.float64))
    both(torch, lambda lib: lib.asarray([1.5, 2.5]))


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "int64", "int32", "int16",
                                   "int8", "uint8", "bool"])
def test_from_numpy_shares_memory_both_ways(torch, dtype):
    array = np.zeros((2, 3), dtype=dtype)
    ours, theirs = glasstorch.from_numpy(array), torch.from_numpy(array.copy())
    same(ours, theirs)
    array[0, 1] = 1
    assert ours[0, 1].item() == 1
    ours[1, 2] = 1
    assert array[1, 2] == 1
    ours.add_(1) if dtype != "bool" else ours.fill_(True)
    assert array[0, 0] == 1


def test_from_numpy_of_a_strided_view(torch):
    array = np.arange(12.0).reshape(3, 4)
    view = array[:, ::2].T
    same(glasstorch.from_numpy(view), torch.from_numpy(view))
    glasstorch.from_numpy(view)[0, 0] = 100.0
    assert array[0, 0] == 100.0


@pytest.mark.parametrize("array", [np.array(["a", "b"]), np.array([object(), None])],
                         ids=["str", "object"])
def test_from_numpy_rejects_unsupported_dtypes(torch, array):
    with pytest.raises(TypeError):
        torch.from_numpy(array)
    with pytest.raises(TypeError):
        glasstorch.from_numpy(array)


def test_from_numpy_rejects_non_arrays(torch):
    raises_like(torch, lambda lib: lib.from_numpy([1, 2]))


# ---- ranges ----

ARANGES = [
    (5,),
    (2, 7),
    (0, 10, 3),
    (10, 0, -3),
    (5.0,),
    (0, 1, 0.1),
    (1, 2.5, 0.5),
    (-1, 1, 0.3),
    (0, 0.9, 0.3),
    (1, -1, -0.25),
    (0, 5.5),
    (3, 3),
    (0.5, 3),
    (-5, 5, 2),
]


@pytest.mark.parametrize("args", ARANGES, ids=repr)
def test_arange(torch, args):
    both(torch, lambda lib: lib.arange(*args), atol=1e-6)


def test_arange_float_grid(torch):
    """Element counts of float ranges follow torch's ceil((end - start) / step) in double."""
    for start in [0, 1, -1, 0.1, 2.5]:
        for end in [0.3, 1.3, 2.0, 5.7, -3.2]:
            for step in [0.1, 0.3, 0.7, -0.1, -0.3, 1, -1]:
                if (end - start) * step < 0:
                    raises_like(torch, lambda lib: lib.arange(start, end, step))
                else:
                    both(torch, lambda lib: lib.arange(start, end, step), atol=1e-6)


def test_arange_dtype_and_keywords(torch):
    both(torch, lambda lib: lib.arange(5, dtype=lib.float64))
    both(torch, lambda lib: lib.arange(0, 5, 2, dtype=lib.float32))
    both(torch, lambda lib: lib.arange(0.0, 3.0, dtype=lib.int64))
    both(torch, lambda lib: lib.arange(start=1, end=4))
    both(torch, lambda lib: lib.arange(end=4))
    both(torch, lambda lib: lib.arange(0, 4, step=0.5))
    both(torch, lambda lib: lib.arange(3, dtype=lib.float32, requires_grad=True))
    both(torch, lambda lib: lib.arange(lib.tensor(4)))


def test_arange_errors(torch):
    raises_like(torch, lambda lib: lib.arange(0, 5, 0))
    raises_like(torch, lambda lib: lib.arange(5, 0, 1))


LINSPACES = [(0, 1, 5), (-1, 1, 7), (0, 10, 1), (3, 3, 4), (0, 1, 0), (1, 0, 11), (0.1, 0.9, 100),
             (-5.5, 7.25, 33), (0, 1, 2)]


@pytest.mark.parametrize("args", LINSPACES, ids=repr)
def test_linspace(torch, args):
    both(torch, lambda lib: lib.linspace(*args), atol=1e-6)
    both(torch, lambda lib: lib.linspace(*args, dtype=lib.float64), atol=1e-12)


def test_linspace_integer_dtype(torch):
    both(torch, lambda lib: lib.linspace(0, 10, 5, dtype=lib.int64))
    both(torch, lambda lib: lib.linspace(-1, 1, 7, dtype=lib.int32))
    both(torch, lambda lib: lib.linspace(0, 100, 7, dtype=lib.int64))
    both(torch, lambda lib: lib.linspace(start=0, end=2, steps=3))


def test_logspace(torch):
    both(torch, lambda lib: lib.logspace(0, 3, 4), atol=1e-3)
    both(torch, lambda lib: lib.logspace(0, 2, 3, base=2.0), atol=1e-6)


# ---- filled tensors ----


@pytest.mark.parametrize("name", ["zeros", "ones", "empty"])
def test_zeros_ones_empty_call_forms(torch, name):
    def check(fn):
        ours, theirs = fn(glasstorch), fn(torch)
        assert str(ours.dtype) == str(theirs.dtype)
        assert tuple(ours.shape) == tuple(theirs.shape)
        assert ours.requires_grad == theirs.requires_grad
        if name != "empty":
            np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())

    check(lambda lib: getattr(lib, name)(2, 3))
    check(lambda lib: getattr(lib, name)((2, 3)))
    check(lambda lib: getattr(lib, name)([2, 3]))
    check(lambda lib: getattr(lib, name)(size=(2, 3)))
    check(lambda lib: getattr(lib, name)(size=[4]))
    check(lambda lib: getattr(lib, name)(lib.Size([2, 1])))
    check(lambda lib: getattr(lib, name)(()))
    check(lambda lib: getattr(lib, name)(0))
    check(lambda lib: getattr(lib, name)(3, dtype=lib.int64))
    check(lambda lib: getattr(lib, name)(3, dtype=lib.bool))
    check(lambda lib: getattr(lib, name)(2, 2, dtype=lib.float64, requires_grad=True))
    check(lambda lib: getattr(lib, name)(2, device="cpu"))


def test_full_dtype_inference(torch):
    for value in [1, 1.5, True, -3, 0.0, float("inf")]:
        both(torch, lambda lib: lib.full((2, 3), value))
        both(torch, lambda lib: lib.full([2], value, dtype=lib.float64))
    both(torch, lambda lib: lib.full((2,), 7, dtype=lib.float32))
    both(torch, lambda lib: lib.full(size=(1, 2), fill_value=2.5))
    both(torch, lambda lib: lib.full((2,), 1.5, requires_grad=True))
    glasstorch.set_default_dtype(glasstorch.float64)
    torch.set_default_dtype(torch.float64)
    both(torch, lambda lib: lib.full((2,), 1.5))
    both(torch, lambda lib: lib.full((2,), 1))


def test_eye(torch):
    both(torch, lambda lib: lib.eye(3))
    both(torch, lambda lib: lib.eye(2, 4))
    both(torch, lambda lib: lib.eye(4, 2))
    both(torch, lambda lib: lib.eye(3, dtype=lib.int64))
    both(torch, lambda lib: lib.eye(0))
    both(torch, lambda lib: lib.eye(2, requires_grad=True))


def test_like_functions(torch):
    for data in ([[1.0, 2.0], [3.0, 4.0]], [1, 2, 3], [True, False]):
        for name in ["zeros_like", "ones_like"]:
            both(torch, lambda lib: getattr(lib, name)(lib.tensor(data)))
            both(torch, lambda lib: getattr(lib, name)(lib.tensor(data), dtype=lib.float64))
        both(torch, lambda lib: lib.full_like(lib.tensor(data), 7))
        both(torch, lambda lib: lib.full_like(lib.tensor(data), 1, dtype=lib.float16))
        for name in ["empty_like", "rand_like", "randn_like"]:
            if name != "empty_like" and data[0] in (1, True):
                raises_like(torch, lambda lib: getattr(lib, name)(lib.tensor(data)))
                continue
            ours = getattr(glasstorch, name)(glasstorch.tensor(data))
            theirs = getattr(torch, name)(torch.tensor(data))
            assert str(ours.dtype) == str(theirs.dtype)
            assert tuple(ours.shape) == tuple(theirs.shape)
    x = glasstorch.tensor([1.0, 2.0], requires_grad=True)
    z = glasstorch.zeros_like(x)
    assert z.requires_grad is False
    z[0] = 1.0
    assert x[0].item() == 1.0  # a new tensor, not a view
    assert glasstorch.zeros_like(x, requires_grad=True).requires_grad


# ---- random ----


def test_rand_and_randn_call_forms(torch):
    for name in ["rand", "randn"]:
        for args, kwargs in [((2, 3), {}), (((2, 3),), {}), (([4],), {}), ((), {"size": (2, 3)}),
                             ((3,), {"dtype": "float64"}), ((2,), {"requires_grad": True}),
                             (((),), {}), ((0, 2), {})]:
            kw = {k: (getattr(glasstorch, v) if k == "dtype" else v) for k, v in kwargs.items()}
            ours = getattr(glasstorch, name)(*args, **kw)
            kw = {k: (getattr(torch, v) if k == "dtype" else v) for k, v in kwargs.items()}
            theirs = getattr(torch, name)(*args, **kw)
            assert str(ours.dtype) == str(theirs.dtype)
            assert tuple(ours.shape) == tuple(theirs.shape)
            assert ours.requires_grad == theirs.requires_grad
    raises_like(torch, lambda lib: lib.rand(2, dtype=lib.int64))


def test_rand_and_randn_statistics():
    u = glasstorch.rand(100000).numpy()
    assert u.dtype == np.float32
    assert 0.0 <= u.min() and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.01
    assert abs(u.std() - (1 / 12) ** 0.5) < 0.01
    n = glasstorch.randn(100000).numpy()
    assert abs(n.mean()) < 0.02
    assert abs(n.std() - 1.0) < 0.02
    assert abs((np.abs(n) < 1).mean() - 0.6827) < 0.01  # really normal, not just scaled
    n16 = glasstorch.randn(1000, dtype=glasstorch.float16)
    assert n16.dtype == glasstorch.float16


def test_randint_call_forms(torch):
    for args, kwargs in [((10, (3,)), {}), ((3, 10, (3,)), {}), ((0, 10), {"size": (2, 2)}),
                         ((5,), {"size": (4,)}), ((-5, 5, (100,)), {}),
                         ((0, 2, (3,)), {"dtype": "int32"}), ((0, 2, (3,)), {"dtype": "float32"}),
                         ((4, [2, 3]), {})]:
        kw = {k: (getattr(glasstorch, v) if k == "dtype" else v) for k, v in kwargs.items()}
        ours = glasstorch.randint(*args, **kw)
        kw = {k: (getattr(torch, v) if k == "dtype" else v) for k, v in kwargs.items()}
        theirs = torch.randint(*args, **kw)
        assert str(ours.dtype) == str(theirs.dtype)
        assert tuple(ours.shape) == tuple(theirs.shape)
    values = glasstorch.randint(-3, 4, (10000,)).numpy()
    assert values.min() == -3 and values.max() == 3
    assert set(np.unique(values)) == set(range(-3, 4))
    values = glasstorch.randint(5, (10000,)).numpy()
    assert values.min() == 0 and values.max() == 4
    raises_like(torch, lambda lib: lib.randint(5, 5, (2,)))


def test_randperm(torch):
    for n in [0, 1, 10]:
        ours, theirs = glasstorch.randperm(n), torch.randperm(n)
        assert str(ours.dtype) == str(theirs.dtype)
        assert sorted(ours.tolist()) == list(range(n))
    assert glasstorch.randperm(5, dtype=glasstorch.float32).dtype == glasstorch.float32
    perms = {tuple(glasstorch.randperm(6).tolist()) for _ in range(20)}
    assert len(perms) > 1


def test_normal_call_forms(torch):
    forms = [
        lambda lib: lib.normal(2.0, 3.0, (4, 5)),
        lambda lib: lib.normal(2.0, 3.0, size=(4, 5)),
        lambda lib: lib.normal(2, 3, size=(3,)),
        lambda lib: lib.normal(lib.zeros(3, 2), 1.0),
        lambda lib: lib.normal(lib.zeros(3, 2)),
        lambda lib: lib.normal(0.0, lib.ones(4)),
        lambda lib: lib.normal(lib.zeros(4), lib.ones(4)),
        lambda lib: lib.normal(mean=lib.zeros(2, 3), std=lib.ones(2, 3)),
        lambda lib: lib.normal(lib.zeros(2, dtype=lib.float64), 1.0),
        lambda lib: lib.normal(0.0, 1.0, (2,), dtype=lib.float64),
        lambda lib: lib.normal(0.0, 1.0, (2,), requires_grad=True),
    ]
    for fn in forms:
        ours, theirs = fn(glasstorch), fn(torch)
        assert str(ours.dtype) == str(theirs.dtype)
        assert tuple(ours.shape) == tuple(theirs.shape)
        assert ours.requires_grad == theirs.requires_grad
    raises_like(torch, lambda lib: lib.normal(0.0, -1.0, (2,)))
    raises_like(torch, lambda lib: lib.normal(lib.zeros(2), -lib.ones(2)))


def test_normal_statistics():
    x = glasstorch.normal(2.0, 3.0, (100000,)).numpy()
    assert abs(x.mean() - 2.0) < 0.05 and abs(x.std() - 3.0) < 0.05
    mean = glasstorch.tensor(np.tile([-10.0, 0.0, 10.0], (100000, 1)), dtype=glasstorch.float32)
    std = glasstorch.tensor(np.tile([0.5, 1.0, 2.0], (100000, 1)), dtype=glasstorch.float32)
    x = glasstorch.normal(mean, std)
    assert x.dtype == glasstorch.float32
    np.testing.assert_allclose(x.numpy().mean(0), [-10.0, 0.0, 10.0], atol=0.05)
    np.testing.assert_allclose(x.numpy().std(0), [0.5, 1.0, 2.0], atol=0.05)
    x = glasstorch.normal(glasstorch.full((100000,), 5.0), 0.1).numpy()
    assert abs(x.mean() - 5.0) < 0.01 and abs(x.std() - 0.1) < 0.01
    x = glasstorch.normal(1.0, glasstorch.full((100000,), 2.0)).numpy()
    assert abs(x.mean() - 1.0) < 0.05 and abs(x.std() - 2.0) < 0.05


def test_manual_seed_reproducibility():
    def draw():
        return np.concatenate([
            glasstorch.rand(5).numpy(), glasstorch.randn(5).numpy(),
            glasstorch.randint(0, 100, (5,)).numpy().astype(np.float32),
            glasstorch.randperm(5).numpy().astype(np.float32),
            glasstorch.normal(0.0, 1.0, (5,)).numpy(),
            glasstorch.empty(5).normal_().numpy(), glasstorch.empty(5).uniform_().numpy(),
        ])

    glasstorch.manual_seed(42)
    first = draw()
    glasstorch.manual_seed(42)
    np.testing.assert_array_equal(draw(), first)
    glasstorch.manual_seed(43)
    assert not np.array_equal(draw(), first)
    glasstorch.manual_seed(42)
    glasstorch.rand(1)
    assert not np.array_equal(draw(), first)  # the stream moves on
    assert glasstorch.manual_seed(7) is not None
    assert glasstorch.initial_seed() == 7


def test_generator_is_independent_of_the_global_stream():
    g = glasstorch.Generator().manual_seed(3)
    a = glasstorch.rand(4, generator=g).numpy()
    glasstorch.rand(10)
    g.manual_seed(3)
    np.testing.assert_array_equal(glasstorch.rand(4, generator=g).numpy(), a)
    state = glasstorch.get_rng_state()
    b = glasstorch.randn(3).numpy()
    glasstorch.set_rng_state(state)
    np.testing.assert_array_equal(glasstorch.randn(3).numpy(), b)


@pytest.mark.parametrize("make", [
    lambda lib: lib.tensor(0.1, dtype=lib.float64),
    lambda lib: lib.tensor([0.1, 1 / 3, 2.0 ** 60 + 1], dtype=lib.float64),
    lambda lib: lib.tensor([[1, 2 ** 40 + 1]], dtype=lib.float64),
    lambda lib: lib.tensor(0.1, dtype=lib.float16),
    lambda lib: lib.as_tensor([0.1], dtype=lib.float64),
    lambda lib: lib.ones(1).new_tensor([0.1], dtype=lib.float64),
])
def test_python_floats_go_straight_to_the_requested_dtype(torch, make):
    """0.1 as float64 is 0.1, not float32's 0.10000000149011612."""
    assert make(glasstorch).tolist() == make(torch).tolist()
    assert str(make(glasstorch).dtype) == str(make(torch).dtype)
