"""Small matrix products round as PyTorch's do on the CPU: bit for bit, not just closely.

torch (MKL) adds the rounded products of a short inner dimension (k <= 4) left to right;
numpy's BLAS rounds them differently, by ~1e-7. The book's 1x1 convolution section checks that
matmul equals its loop of sums within 1e-6 in total, which held on torch and failed on
glasstorch for some seeds. See _torch_sums_in_order in glasstorch/ops/linalg.py.
"""

import numpy as np
import pytest

import glasstorch
from glasstorch.ops import linalg
from oracle import MKL_ROUNDING_KNOWN


def bits(x):
    return np.ascontiguousarray(x).view(np.uint8)


def corr2d(lib, X, K):
    """The book's d2l.corr2d: a loop of elementwise products, each window summed."""
    h, w = K.shape
    Y = lib.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i: i + h, j: j + w] * K).sum()
    return Y


def corr2d_multi_in_out(lib, X, K):
    return lib.stack([sum(corr2d(lib, x, k) for x, k in zip(X, k_o)) for k_o in K], 0)


def corr2d_multi_in_out_1x1(lib, X, K):
    c_i, h, w = X.shape
    c_o = K.shape[0]
    Y = lib.matmul(K.reshape((c_o, c_i)), X.reshape((c_i, h * w)))
    return Y.reshape((c_o, h, w))


# MKL's rounding of small products is known bit for bit only for its AVX2 kernels (see
# oracle.MKL_ROUNDING_KNOWN); elsewhere products that go to MKL are compared within float
# rounding, and glasstorch (not torch) is held to the book's check
EXACT = MKL_ROUNDING_KNOWN


def assert_same_rounding(ours, theirs, exactly=EXACT, message=""):
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    if exactly:
        assert np.array_equal(bits(ours), bits(theirs)), message
    else:
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6, err_msg=str(message))


def test_the_books_1x1_convolution_is_its_loop_of_sums_in_both_libraries(torch):
    """The book's assertion, over many seeds: the two are bit-identical in both libraries
    (where MKL's rounding is known; within the book's 1e-6 elsewhere)."""
    rng = np.random.default_rng(0)
    for _ in range(100):
        X = rng.standard_normal((3, 3, 3)).astype(np.float32)
        K = rng.standard_normal((2, 3, 1, 1)).astype(np.float32)
        results = []
        for lib in (glasstorch, torch):
            Y1 = corr2d_multi_in_out_1x1(lib, lib.tensor(X), lib.tensor(K))
            Y2 = corr2d_multi_in_out(lib, lib.tensor(X), lib.tensor(K))
            if EXACT or lib is glasstorch:
                assert float(lib.abs(Y1 - Y2).sum()) < 1e-6  # the book's check
                assert np.array_equal(Y1.numpy(), Y2.numpy())
            results.append(Y1.numpy())
        assert_same_rounding(results[0], results[1])


def random_product(rng):
    """Operand shapes for one product with an inner dimension k <= 4, in every form matmul
    takes: matrix @ matrix (also of transposed views), matrix @ vector, vector @ matrix,
    batch @ matrix, matrix @ batch and batch @ batch (broadcast)."""
    k, m, n, b = (int(v) for v in rng.integers(1, (5, 20, 20, 4)))
    form = rng.choice(["mm", "mT", "mv", "vm", "batch@mm", "mm@batch", "bmm", "broadcast"])
    return form, {"mm": ((m, k), (k, n)), "mT": ((k, m), (n, k)), "mv": ((m, k), (k,)),
                  "vm": ((k,), (k, n)), "batch@mm": ((b, m, k), (k, n)),
                  "mm@batch": ((m, k), (b, k, n)), "bmm": ((b, m, k), (b, k, n)),
                  "broadcast": ((b, 1, m, k), (2, k, n))}[form]


def test_small_products_are_bit_identical_to_torch(torch):
    rng = np.random.default_rng(1)
    for _ in range(1500):
        form, (a_shape, b_shape) = random_product(rng)
        dtype = np.float32 if rng.random() < 0.75 else np.float64
        a = rng.standard_normal(a_shape).astype(dtype)
        b = rng.standard_normal(b_shape).astype(dtype)
        results = []
        for lib in (glasstorch, torch):
            x, y = lib.tensor(a), lib.tensor(b)
            results.append((x.mT @ y.mT if form == "mT" else lib.matmul(x, y)).numpy())
        ours, theirs = results
        if dtype == np.float64 and not linalg._torch_sums_in_order(*_as_matrices(form, a, b)):
            # MKL's dgemm and numpy's BLAS chain fused multiply-adds differently here
            np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=1e-14)
            continue
        # torch's own bmm loop sums in order on every CPU
        in_torch_loop = (form in ("bmm", "broadcast", "mm@batch")
                         and a_shape[-2] * a_shape[-1] * b_shape[-1] < 400)
        assert_same_rounding(ours, theirs, EXACT or in_torch_loop, (form, a_shape, b_shape, dtype))


def _as_matrices(form, a, b):
    """The operands as Mm sees them (vectors made matrices, transposes applied)."""
    if form == "mT":
        return a.T, b.T
    if form == "mv":
        return a, b[:, None]
    if form == "vm":
        return a[None, :], b
    return a, b


def test_gradients_of_small_products_are_bit_identical_to_torch(torch):
    rng = np.random.default_rng(2)
    a = rng.standard_normal((2, 3)).astype(np.float32)
    b = rng.standard_normal((3, 4)).astype(np.float32)
    grad = rng.standard_normal((2, 4)).astype(np.float32)
    results = []
    for lib in (glasstorch, torch):
        x, y = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        (x @ y).backward(lib.tensor(grad))  # x.grad = grad @ y.T: k = 4, in order in torch
        results.append((x.grad.numpy(), y.grad.numpy()))
    for ours, theirs in zip(*results):
        assert_same_rounding(ours, theirs)


@pytest.mark.parametrize("a_shape, b_shape", [
    ((64, 64), (64, 64)),  # k > 4
    ((64, 4), (4, 64)),  # MKL chains fused multiply-adds: so does numpy's BLAS
    ((3, 4), (4, 1000)),  # more than _IN_ORDER_MAX_SIZE results
    ((2, 3), (3, 9)),  # int64: no BLAS and no rounding
])
def test_other_products_keep_numpys_matmul(a_shape, b_shape):
    rng = np.random.default_rng(3)
    dtype = np.int64 if a_shape == (2, 3) else np.float32
    a = (rng.standard_normal(a_shape) * 10).astype(dtype)
    b = (rng.standard_normal(b_shape) * 10).astype(dtype)
    ours = glasstorch.matmul(glasstorch.tensor(a), glasstorch.tensor(b)).numpy()
    assert np.array_equal(bits(ours), bits(np.matmul(a, b)))
    assert not linalg._torch_sums_in_order(a, b)
