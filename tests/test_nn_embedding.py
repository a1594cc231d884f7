"""nn.Embedding and F.embedding against PyTorch: values, gradients, options, init, errors."""

import numpy as np
import pytest
import torch

import glasstorch
from glasstorch import nn
from glasstorch.autograd import gradcheck, gradgradcheck
from glasstorch.nn import functional as F
from glasstorch.ops.embedding import sum_rows
from oracle import check

INDICES = np.array([[1, 2, 2, 9], [0, 2, 5, 1], [9, 9, 9, 3]])

OPTIONS = [
    {},
    {"padding_idx": 2},
    {"padding_idx": -1},
    {"padding_idx": 0},
    {"scale_grad_by_freq": True},
    {"padding_idx": 9, "scale_grad_by_freq": True},
]


@pytest.mark.parametrize("options", OPTIONS)
def test_values_and_gradients_match_torch(options):
    def lookup(lib, weight, indices):
        return lib.nn.functional.embedding(indices, weight, **options)

    ours, theirs = check(lookup, (10, 4), INDICES)
    assert ours.grad_fn.name() == theirs.grad_fn.name() == "EmbeddingBackward0"


@pytest.mark.parametrize("indices", [
    np.array(3),  # 0-d: one row
    np.array([4, 0, 4], dtype="int32"),  # int indices, as torch accepts
    np.zeros((2, 0), dtype="int64"),  # no indices: an empty (2, 0, dim) output
    np.arange(24).reshape(2, 3, 4) % 7,  # 3-d
])
def test_index_shapes_and_dtypes(indices):
    check(lambda lib, w, i: lib.nn.functional.embedding(i, w, padding_idx=4), (7, 3), indices)


@pytest.mark.parametrize("vocab, dim", [(28, 32), (28, 8), (1000, 16), (5000, 8)])
def test_both_ways_of_summing_rows_match_torch(vocab, dim):
    """sum_rows uses a one-hot GEMM while vocab <= dim, bincount beyond (over the rows used
    when vocab > 32 x 35 indices): each against torch, with an index repeated many times."""
    rng = np.random.default_rng(0)
    indices = rng.integers(0, vocab, (32, 35))
    indices[:, :10] = 3
    check(lambda lib, w, i: lib.nn.functional.embedding(i, w, scale_grad_by_freq=True),
          (vocab, dim), indices, atol=1e-5, rtol=1e-4)
    rows = rng.standard_normal((indices.size, dim))
    expected = np.zeros((vocab, dim))
    np.add.at(expected, indices.ravel(), rows)
    np.testing.assert_allclose(sum_rows(np, indices.ravel(), rows, vocab), expected, atol=1e-10)


def test_weight_dtypes_follow_torch():
    for dtype in ("float64", "float16"):
        check(lambda lib, w, i: lib.nn.functional.embedding(i, w), (6, 3), INDICES % 6,
              dtype=(dtype, "int64"))
    check(lambda lib, w, i: lib.nn.functional.embedding(i, w), (6, 3), INDICES % 6,
          dtype=("int64", "int64"), low=-5, high=5)


def test_sparse_is_accepted_and_the_gradient_stays_dense():
    w = np.random.default_rng(4).standard_normal((10, 3)).astype("float32")
    ours = nn.Embedding.from_pretrained(glasstorch.tensor(w), freeze=False, sparse=True)
    theirs = torch.nn.Embedding.from_pretrained(torch.tensor(w), freeze=False, sparse=True)
    assert ours.sparse and repr(ours) == repr(theirs)
    ours(glasstorch.tensor(INDICES)).sum().backward()
    theirs(torch.tensor(INDICES)).sum().backward()
    assert theirs.weight.grad.is_sparse and not ours.weight.grad.is_sparse
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.to_dense().numpy())


@pytest.mark.parametrize("padding_idx", [None, 7])  # 7: a padding row the indices never name
def test_gradcheck_float64(padding_idx):
    """padding_idx and scale_grad_by_freq change the gradient on purpose (it is then no
    derivative; those are compared with torch above): here the true derivatives."""
    weight = glasstorch.randn(10, 3, dtype=glasstorch.float64, requires_grad=True)
    indices = glasstorch.tensor(INDICES)
    assert gradcheck(lambda w: F.embedding(indices, w, padding_idx), (weight,))
    assert gradgradcheck(lambda w: F.embedding(indices, w, padding_idx) ** 2, (weight,))


@pytest.mark.parametrize("options", [{}, {"padding_idx": 2}, {"scale_grad_by_freq": True},
                                     {"padding_idx": 1, "scale_grad_by_freq": True}])
def test_gradcheck_of_the_weight_gradient(options):
    """The weight's gradient is linear in the incoming gradient: its backward (the double
    backward of the lookup) checked numerically, with every option."""
    weight = glasstorch.randn(10, 3, dtype=glasstorch.float64, requires_grad=True)
    indices = glasstorch.tensor(INDICES)

    def weight_gradient(grad_output):
        y = F.embedding(indices, weight, **options)
        return glasstorch.autograd.grad(y, weight, grad_output, create_graph=True)[0]

    grad_output = glasstorch.randn(3, 4, 3, dtype=glasstorch.float64, requires_grad=True)
    assert gradcheck(weight_gradient, (grad_output,))


def test_double_backward_is_a_lookup_as_in_torch():
    """d(weight.grad)/d(incoming gradient) is the lookup again; compare with torch's."""
    w = np.random.default_rng(1).standard_normal((10, 3))
    outer = np.random.default_rng(2).standard_normal((10, 3))
    results = []
    for lib in (glasstorch, torch):
        weight = lib.tensor(w, requires_grad=True)
        grad_output = lib.ones(3, 4, 3, dtype=lib.float64, requires_grad=True)
        y = lib.nn.functional.embedding(lib.tensor(INDICES), weight, padding_idx=2)
        (g,) = lib.autograd.grad(y, weight, grad_output, create_graph=True)
        assert g.grad_fn.name() == "EmbeddingDenseBackwardBackward0"
        (gg,) = lib.autograd.grad((g * lib.tensor(outer)).sum(), grad_output)
        results.append((g.detach().numpy(), gg.detach().numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, atol=1e-12)


@pytest.mark.parametrize("max_norm, norm_type", [(1.0, 2.0), (0.5, 1.0), (0.7, float("inf")),
                                                 (100.0, 2.0)])
def test_max_norm_renormalises_the_looked_up_rows_in_place(max_norm, norm_type):
    w = np.random.default_rng(3).standard_normal((10, 4)).astype("float32") * 2
    weights, outputs, grads = [], [], []
    for lib in (glasstorch, torch):
        weight = lib.tensor(w, requires_grad=True)
        version = _version(weight)
        y = lib.nn.functional.embedding(lib.tensor(INDICES), weight, max_norm=max_norm,
                                        norm_type=norm_type)
        y.pow(2).sum().backward()
        assert _version(weight) > version  # an in-place op, even where no row changed
        weights.append(weight.detach().numpy())
        outputs.append(y.detach().numpy())
        grads.append(weight.grad.numpy())
    np.testing.assert_allclose(weights[0], weights[1], atol=1e-6)
    np.testing.assert_allclose(outputs[0], outputs[1], atol=1e-6)
    np.testing.assert_allclose(grads[0], grads[1], atol=1e-5)
    untouched = [r for r in range(10) if r not in INDICES]
    np.testing.assert_array_equal(weights[0][untouched], w[untouched])


def _version(t):
    return t._version if isinstance(t, torch.Tensor) else t._version[0]


def test_module_init_and_padding_row():
    glasstorch.manual_seed(0)
    emb = nn.Embedding(1000, 64, padding_idx=-3)
    assert emb.padding_idx == 997
    w = emb.weight.detach().numpy()
    assert w.shape == (1000, 64) and w.dtype == np.float32
    assert np.all(w[997] == 0)
    rest = np.delete(w, 997, axis=0)
    assert abs(rest.mean()) < 0.01 and abs(rest.std() - 1) < 0.01  # N(0, 1)
    y = emb(glasstorch.tensor([[997, 5], [5, 1]]))
    y.sum().backward()
    assert np.all(emb.weight.grad.numpy()[997] == 0)
    np.testing.assert_allclose(emb.weight.grad.numpy()[5], 2.0)
    assert nn.Embedding(3, 2, dtype=glasstorch.float64).weight.dtype == glasstorch.float64


def test_state_dict_moves_both_ways():
    theirs = torch.nn.Embedding(12, 5, padding_idx=0)
    ours = nn.Embedding(12, 5, padding_idx=0)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
    ours.load_state_dict({k: glasstorch.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    indices = np.array([[0, 3, 11], [7, 7, 2]])
    np.testing.assert_array_equal(ours(glasstorch.tensor(indices)).detach().numpy(),
                                  theirs(torch.tensor(indices)).detach().numpy())
    ours.reset_parameters()
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    np.testing.assert_array_equal(ours(glasstorch.tensor(indices)).detach().numpy(),
                                  theirs(torch.tensor(indices)).detach().numpy())


@pytest.mark.parametrize("args, kwargs", [
    ((10, 3), {}),
    ((10, 3), {"padding_idx": -2, "max_norm": 1.0}),
    ((10, 3), {"padding_idx": 0, "max_norm": 2, "norm_type": 1.0, "scale_grad_by_freq": True,
               "sparse": True}),
])
def test_repr_as_torch(args, kwargs):
    assert repr(nn.Embedding(*args, **kwargs)) == repr(torch.nn.Embedding(*args, **kwargs))


def test_from_pretrained():
    w = np.arange(8, dtype="float32").reshape(4, 2)
    frozen = nn.Embedding.from_pretrained(glasstorch.tensor(w))
    assert not frozen.weight.requires_grad
    assert repr(frozen) == repr(torch.nn.Embedding.from_pretrained(torch.tensor(w)))
    np.testing.assert_array_equal(frozen(glasstorch.tensor([3, 1])).numpy(), w[[3, 1]])
    trained = nn.Embedding.from_pretrained(glasstorch.tensor(w), freeze=False, padding_idx=1,
                                           max_norm=3.0)
    assert trained.weight.requires_grad and repr(trained) == repr(
        torch.nn.Embedding.from_pretrained(torch.tensor(w), freeze=False, padding_idx=1,
                                           max_norm=3.0))
    np.testing.assert_array_equal(trained.weight.detach().numpy()[1], w[1])  # kept, not zeroed
    trained(glasstorch.tensor([1, 2])).sum().backward()
    np.testing.assert_array_equal(trained.weight.grad.numpy(), [[0, 0], [0, 0], [1, 1], [0, 0]])


def raises_as_torch(fn):
    """fn(lib) raises in torch and glasstorch with the same type and message."""
    with pytest.raises(Exception) as theirs:
        fn(torch)
    with pytest.raises(type(theirs.value)) as ours:
        fn(glasstorch)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("fn", [
    lambda lib: lib.nn.functional.embedding(lib.tensor([10]), lib.ones(10, 3)),
    lambda lib: lib.nn.functional.embedding(lib.tensor([[1], [-1]]), lib.ones(10, 3)),
    lambda lib: lib.nn.functional.embedding(lib.tensor([1.0]), lib.ones(10, 3)),
    lambda lib: lib.nn.functional.embedding(lib.tensor([True]), lib.ones(10, 3)),
    lambda lib: lib.nn.functional.embedding(lib.tensor([1], dtype=lib.uint8), lib.ones(10, 3)),
    lambda lib: lib.nn.functional.embedding(lib.tensor([1], dtype=lib.int16), lib.ones(10, 3)),
    lambda lib: lib.nn.functional.embedding(lib.tensor([1.0]), lib.ones(10, 3), max_norm=1.0),
    lambda lib: lib.nn.functional.embedding(lib.tensor([1]), lib.ones(3)),
    lambda lib: lib.nn.functional.embedding(lib.tensor([1]), lib.ones(3), max_norm=1.0),
    lambda lib: lib.nn.functional.embedding(lib.tensor([1]), lib.ones(3, 2, 2)),
    lambda lib: lib.nn.functional.embedding([1], lib.ones(3, 2)),
    lambda lib: lib.nn.functional.embedding(lib.tensor([1]), lib.ones(3, 2), padding_idx=3),
    lambda lib: lib.nn.functional.embedding(lib.tensor([1]), lib.ones(3, 2), padding_idx=-4),
    lambda lib: lib.nn.Embedding(10, 3, padding_idx=10),
    lambda lib: lib.nn.Embedding(10, 3, padding_idx=-11),
    lambda lib: lib.nn.Embedding(4, 3, _weight=lib.ones(3, 4)),
    lambda lib: lib.nn.Embedding.from_pretrained(lib.ones(3)),
    lambda lib: lib.nn.Embedding(4, 3)(lib.tensor([4])),
])
def test_errors_as_torch(fn):
    raises_as_torch(fn)


def test_out_of_range_index_with_max_norm_is_an_index_error():
    # torch's message here comes from select() ("index 10 out of range for tensor of size
    # [10, 3] at dimension 0"); glasstorch gives its embedding message, with the same type
    for lib in (torch, glasstorch):
        with pytest.raises(IndexError):
            lib.nn.functional.embedding(lib.tensor([10]), lib.ones(10, 3), max_norm=1.0)


@pytest.mark.parametrize("vocab, dim", [(10, 16), (12, 4), (50, 4)])  # each way
def test_on_the_stand_in_device_as_on_the_cpu(vocab, dim):
    """device='cuda' on the test's stand-in CuPy (tests/standin_cupy.py): every option."""
    import standin_cupy

    rng = np.random.default_rng(5)
    w = rng.standard_normal((vocab, dim)).astype("float32")
    indices = rng.integers(0, vocab, (3, 5))
    results = []
    with standin_cupy.installed():
        for device in ("cpu", "cuda"):
            emb = nn.Embedding.from_pretrained(glasstorch.tensor(w), freeze=False, padding_idx=1,
                                               max_norm=1.0, scale_grad_by_freq=True).to(device)
            y = emb(glasstorch.tensor(indices, device=device))
            assert y.device.type == device
            (y * y).sum().backward()
            results.append([t.detach().cpu().numpy() for t in (y, emb.weight.grad, emb.weight)])
    for ours, cpu in zip(*results):
        np.testing.assert_allclose(ours, cpu, rtol=1e-5, atol=1e-6)
