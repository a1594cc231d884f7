"""The tensor and autograd snippets of the study notes (seeds 000, 001, 003, 004).

Each snippet is written once, as in the notes, with `torch` a parameter: the test
runs it on real PyTorch and on glasstorch and compares what it prints. Where the
notes print random values or object ids, those parts are masked (or the data are
made the same for both libraries) and the rest must match exactly.
"""

import contextlib
import io
import random
import re
import warnings

import numpy as np
import pytest

import glasstorch


def printed(snippet, lib, *args):
    """What snippet(lib, *args) prints, and its return value."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = snippet(lib, *args)
    return out.getvalue(), result


def mask_ids(text):
    return re.sub(r"0x[0-9a-fA-F]+", "0x...", text)


def same_print(torch, snippet, *args):
    """The snippet prints the same text on torch and glasstorch; returns glasstorch's text."""
    expected, _ = printed(snippet, torch, *args)
    actual, _ = printed(snippet, glasstorch, *args)
    assert mask_ids(actual) == mask_ids(expected)
    return actual


def squash(text):
    """The notes collapse runs of spaces; compare with that."""
    return re.sub(r"\s+", " ", text).strip()


# ---- seed 001: tensor basics ----


def arange_shape_numel(torch):
    x = torch.arange(12)
    print(x)
    print(x.shape)
    print(x.numel())
    x = x.reshape(3, 4)
    print(x)
    print(torch.zeros(3, 4))
    print(torch.ones(2, 3, 4))
    print(torch.tensor([[1, 3], [2, 3]]))


def test_arange_shape_numel_reshape(torch):
    text = same_print(torch, arange_shape_numel)
    assert squash(text).startswith(squash("""tensor([ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
torch.Size([12])
12
tensor([[ 0, 1, 2, 3],
[ 4, 5, 6, 7],
[ 8, 9, 10, 11]])"""))
    assert squash("tensor([[1, 3], [2, 3]])") in squash(text)


def elementwise_operators(torch):
    x = torch.tensor([1.0, 2, 4, 8])
    y = torch.tensor([2, 3, 2, 2])
    print(x + y)
    print(x / y)
    print(x ** y)
    print(x - y, x * y, (x + y).dtype, (y / y).dtype, y ** y, torch.exp(x))


def test_elementwise_operators(torch):
    text = same_print(torch, elementwise_operators)
    assert squash(text).startswith(squash("""tensor([ 3., 5., 6., 10.])
tensor([0.5000, 0.6667, 2.0000, 4.0000])
tensor([ 1., 8., 16., 64.])"""))


def cat_compare_sum(torch):
    x = torch.arange(12, dtype=torch.float32).reshape((3, 4))
    y = torch.tensor([[2.0, 1, 4, 3], [1, 2, 3, 4], [4, 3, 2, 1]])
    print(torch.cat((x, y), dim=0))
    print(torch.cat((x, y), dim=1))
    print(x == y)
    print(x.sum())


def test_cat_compare_sum(torch):
    text = same_print(torch, cat_compare_sum)
    assert squash("""tensor([[False, True, False, True],
[False, False, False, False],
[False, False, False, False]])
tensor(66.)""") in squash(text)


def broadcasting(torch):
    a = torch.arange(3).reshape((3, 1))
    b = torch.arange(2).reshape((1, 2))
    print(a)
    print(b)
    print(a + b)


def test_broadcasting(torch):
    text = same_print(torch, broadcasting)
    assert squash(text) == squash("""tensor([[0],
[1],
[2]])
tensor([[0, 1]])
tensor([[0, 1],
[1, 2],
[2, 3]])""")


def read_and_write(torch):
    x = torch.arange(12, dtype=torch.float32).reshape((3, 4))
    print(x[-1])
    print(x[1:3])
    print(x)
    x[1, 2] = 9
    print(x)
    x[0:2, :] = 12
    print(x)


def test_indexing_and_assignment(torch):
    text = same_print(torch, read_and_write)
    assert squash(text) == squash("""tensor([ 8., 9., 10., 11.])
tensor([[ 4., 5., 6., 7.],
[ 8., 9., 10., 11.]])
tensor([[ 0., 1., 2., 3.],
[ 4., 5., 6., 7.],
[ 8., 9., 10., 11.]])
tensor([[ 0., 1., 2., 3.],
[ 4., 5., 9., 7.],
[ 8., 9., 10., 11.]])
tensor([[12., 12., 12., 12.],
[12., 12., 12., 12.],
[ 8., 9., 10., 11.]])""")


def memory(torch):
    x = torch.arange(12, dtype=torch.float32).reshape((3, 4))
    y = torch.tensor([[2.0, 1, 4, 3], [1, 2, 3, 4], [4, 3, 2, 1]])
    before = id(y)
    y = y + x
    print(id(y) == before)
    z = torch.zeros_like(y)
    z_id = id(z)
    z[:] = x + y
    print(id(z) == z_id)
    before = id(x)
    x += y
    print(id(x) == before)
    print(z, x)


def test_memory_of_assignments(torch):
    text = same_print(torch, memory)
    assert text.split("\n")[:3] == ["False", "True", "True"]


def numpy_conversion(torch):
    x = torch.arange(12, dtype=torch.float32).reshape((3, 4))
    A = x.numpy()
    B = torch.tensor(A)
    print(type(A))
    print(isinstance(B, torch.Tensor), B.dtype, B)
    A[0, 0] = 100  # numpy() shares memory with x; torch.tensor copied
    print(x[0, 0], B[0, 0])
    a = torch.tensor([3.5])
    print((a, a.item(), float(a), int(a)))


def test_numpy_conversion_and_scalars(torch):
    text = same_print(torch, numpy_conversion)
    assert text.startswith("<class 'numpy.ndarray'>\nTrue torch.float32")
    assert "(tensor([3.5000]), 3.5, 3.5, 3)" in text
    x = glasstorch.arange(3.0)
    assert isinstance(glasstorch.tensor(x.numpy()), glasstorch.Tensor)
    assert type(glasstorch.tensor(x.numpy())) is glasstorch.Tensor


def house_tiny(torch):
    # what pandas gives for the interpolated house_tiny.csv (pandas is optional here):
    # inputs.values is float64, outputs.values is int64
    inputs = np.array([[3.0, 1, 0], [2.0, 0, 1], [4.0, 0, 1], [3.0, 0, 1]])
    outputs = np.array([127500, 106000, 178100, 140000])
    x, y = torch.tensor(inputs), torch.tensor(outputs)
    print((x, y))
    print(x.dtype, y.dtype)


def test_house_tiny_to_tensor(torch):
    text = same_print(torch, house_tiny)
    assert squash(text) == squash("""(tensor([[3., 1., 0.],
[2., 0., 1.],
[4., 0., 1.],
[3., 0., 1.]], dtype=torch.float64),
tensor([127500, 106000, 178100, 140000]))
torch.float64 torch.int64""")


def symmetric_and_clone(torch):
    B = torch.tensor([[1, 2, 3], [2, 0, 4], [3, 4, 5]])
    print(B)
    print(B == B.T)
    A = torch.arange(20, dtype=torch.float32).reshape(5, 4)
    B = A.clone()
    print((A, A + B))
    B[0, 0] = 7  # a clone has its own memory
    print(A[0, 0], A * B)


def test_transpose_and_clone(torch):
    text = same_print(torch, symmetric_and_clone)
    assert squash("""tensor([[True, True, True],
[True, True, True],
[True, True, True]])""") in squash(text)
    assert squash("""tensor([[ 0., 2., 4., 6.],
[ 8., 10., 12., 14.],
[16., 18., 20., 22.],
[24., 26., 28., 30.],
[32., 34., 36., 38.]]))""") in squash(text)


def sums_along_axes(torch):
    X = torch.arange(24).reshape(2, 3, 4)
    print(X)
    print(X.sum(axis=0))
    print(X.sum(axis=1))
    print(X.sum(axis=[0, 1]))
    # the notes print integer row sums 14, 30, ...: their A held the integers 2..21 there
    A = torch.arange(2, 22).reshape(5, 4)
    sum_A = A.sum(axis=1, keepdims=True)
    print(sum_A)
    print(A / sum_A)
    A = A.float()
    print(A.mean(), A.sum() / A.numel(), A.mean(axis=0), A.cumsum(axis=0))
    print(A.sum(axis=1, keepdims=True), A / A.sum(axis=1, keepdims=True))


def test_sums_along_axes(torch):
    text = same_print(torch, sums_along_axes)
    assert squash("""tensor([[12, 14, 16, 18],
[20, 22, 24, 26],
[28, 30, 32, 34]])
tensor([[12, 15, 18, 21],
[48, 51, 54, 57]])
tensor([60, 66, 72, 78])""") in squash(text)
    assert squash("""tensor([[0.1429, 0.2143, 0.2857, 0.3571],
[0.2000, 0.2333, 0.2667, 0.3000],
[0.2174, 0.2391, 0.2609, 0.2826],
[0.2258, 0.2419, 0.2581, 0.2742],
[0.2308, 0.2436, 0.2564, 0.2692]])""") in squash(text)
    assert squash("""tensor([[14],
[30],
[46],
[62],
[78]])""") in squash(text)


def products_and_norms(torch):
    x = torch.arange(4, dtype=torch.float32)
    y = torch.ones(4, dtype=torch.float32)
    print((x, y, torch.dot(x, y)))
    print(torch.sum(x * y))
    A = torch.arange(20).reshape(5, 4)
    print(A.shape)
    print(A)
    x = torch.tensor([0, 1, 2, 3])
    print(torch.mv(A, x))
    B = torch.ones((4, 3), dtype=torch.int64)
    print(torch.mm(A, B))
    u = torch.tensor([3.0, 4.0])
    print(torch.norm(u))
    print(torch.abs(u).sum())
    print(torch.norm(torch.ones((4, 9))))
    Af = A.float()
    print(torch.mv(Af, x.float()), Af @ B.float(), torch.matmul(Af, x.float()))


def test_products_and_norms(torch):
    text = same_print(torch, products_and_norms)
    assert squash("""tensor([ 14, 38, 62, 86, 110])
tensor([[ 6, 6, 6],
[22, 22, 22],
[38, 38, 38],
[54, 54, 54],
[70, 70, 70]])
tensor(5.)
tensor(7.)
tensor(6.)""") in squash(text)
    assert squash("(tensor([0., 1., 2., 3.]), tensor([1., 1., 1., 1.]), tensor(6.))\ntensor(6.)") \
        in squash(text)


# ---- seeds 000, 001, 004: automatic differentiation ----


def autograd_basics(torch):
    x = torch.arange(4.0)
    print(x)
    x.requires_grad_(True)
    print(x.grad)
    y = 2 * torch.dot(x, x)
    print(y)
    y.backward()
    print(x.grad)
    print(x.grad == 4 * x)
    x.grad.zero_()
    y = x.sum()
    y.backward()
    print(x.grad)
    x.grad.zero_()
    y = x * x
    y.sum().backward()  # same as y.backward(torch.ones(len(x)))
    print(x.grad)
    x.grad.zero_()
    y = x * x
    y.backward(torch.ones(len(x)))
    print(x.grad)
    # without zero_ the next gradient is added
    y = x * x
    y.sum().backward()
    print(x.grad)


def test_autograd_basics(torch):
    text = same_print(torch, autograd_basics)
    assert text == (
        "tensor([0., 1., 2., 3.])\n"
        "None\n"
        "tensor(28., grad_fn=<MulBackward0>)\n"
        "tensor([ 0.,  4.,  8., 12.])\n"
        "tensor([True, True, True, True])\n"
        "tensor([1., 1., 1., 1.])\n"
        "tensor([0., 2., 4., 6.])\n"
        "tensor([0., 2., 4., 6.])\n"
        "tensor([ 0.,  4.,  8., 12.])\n"
    )


def detach_example(torch):
    x = torch.arange(4.0, requires_grad=True)
    y = x * x
    u = y.detach()
    z = u * x
    z.sum().backward()
    print(x.grad == u)
    x.grad.zero_()
    y.sum().backward()
    print(x.grad == 2 * x)
    print(u, u.requires_grad, y)


def test_detach_example(torch):
    text = same_print(torch, detach_example)
    assert text.startswith("tensor([True, True, True, True])\ntensor([True, True, True, True])\n")


def control_flow(torch, value):
    def f(a):
        b = a * 2
        while b.norm() < 1000:
            b = b * 2
        if b.sum() > 0:
            c = b
        else:
            c = 100 * b
        return c

    a = torch.tensor(value, requires_grad=True)
    print(a)
    d = f(a)
    d.backward()
    print(a.grad == d / a)
    print(d, a.grad)


@pytest.mark.parametrize("value", [1.6027, -0.8, 3e-4])
def test_control_flow_gradient(torch, value):
    text = same_print(torch, control_flow, value)
    assert text.split("\n")[1] == "tensor(True)"


def test_control_flow_with_random_start(torch):
    # as in the notes: a = torch.randn(size=(), requires_grad=True)
    for lib in (torch, glasstorch):
        lib.manual_seed(42)
        a = lib.randn(size=(), requires_grad=True)
        assert a.shape == () and a.requires_grad and re.fullmatch(
            r"tensor\(-?\d\.\d{4}, requires_grad=True\)", repr(a))
        text, _ = printed(control_flow, lib, a.item())
        assert text.split("\n")[1] == "tensor(True)"


def grad_fn_and_non_leaf_grad(torch):
    x = torch.ones(2, 2, requires_grad=True)
    print(x)
    y = x + 2
    print(y)
    print(y.grad_fn)
    z = y + x
    print(z)
    z.backward(torch.ones_like(y))
    print(y.grad)
    print(x.grad)


def test_grad_fn_and_non_leaf_grad_warning(torch):
    texts = []
    for lib in (torch, glasstorch):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            text, _ = printed(grad_fn_and_non_leaf_grad, lib)
        assert [w.category for w in caught] == [UserWarning]
        assert "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed" \
            in str(caught[0].message)
        texts.append(mask_ids(text))
    assert texts[1] == texts[0]
    assert texts[1] == (
        "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)\n"
        "tensor([[3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)\n"
        "<AddBackward0 object at 0x...>\n"
        "tensor([[4., 4.],\n        [4., 4.]], grad_fn=<AddBackward0>)\n"
        "None\n"
        "tensor([[2., 2.],\n        [2., 2.]])\n"
    )


# ---- seed 003: tensors, dtypes, autograd ----


def creation_003(torch):
    print(torch.tensor([[1.0, -1.0], [1.0, -1.0]]))
    print(torch.tensor(np.array([[1, 2, 3], [4, 5, 6]])))
    print(torch.empty([3, 4]).shape, torch.ones([3, 4]), torch.zeros([3, 4]))
    r = torch.rand([3, 4])
    print(r.shape, r.dtype, bool(((r >= 0) & (r < 1)).all()))
    r = torch.randint(low=0, high=10, size=[3, 4])
    print(r.shape, r.dtype, bool(((r >= 0) & (r < 10)).all()))
    r = torch.randint(3, 10, (2, 2))
    print(r.shape, r.dtype, bool(((r >= 3) & (r < 10)).all()))
    r = torch.randn([3, 4])
    print(r.shape, r.dtype)
    a = torch.tensor(np.arange(1))
    print(a, a.item(), type(a.item()))
    z = torch.tensor([[-2.5871205], [7.3690367], [-2.4918075]])
    print(repr(z.numpy()), z.numpy().dtype)


def test_creation_and_conversion(torch):
    text = same_print(torch, creation_003)
    assert squash("""tensor([[ 1., -1.],
[ 1., -1.]])
tensor([[1, 2, 3],
[4, 5, 6]])""") in squash(text)
    assert "tensor([0]) 0 <class 'int'>" in text
    assert "dtype=float32) float32" in text


def methods_003(torch):
    x = torch.tensor([[1, 2], [3, 4], [5, 10]], dtype=torch.int32)
    print(x)
    print(x.size(), x.size(0), x.size(-1))
    print(x.view(2, 3))
    print(x.dim())
    print(x.max())
    print(x.t())
    print(x[1, 1])
    x[1, 1] = 100
    print(x)
    print(x[:, 1])
    print(x.dtype)
    print(torch.ones([2, 3], dtype=torch.float32))
    a = torch.tensor([1, 2], dtype=torch.int32)
    print(a)
    print(a.type(torch.float))
    print(a.double())
    print(a.type(), a.float().type(), a.long().dtype)


def test_tensor_methods_and_dtypes(torch):
    text = same_print(torch, methods_003)
    assert "torch.Size([3, 2]) 3 2" in text
    assert "tensor(10, dtype=torch.int32)" in text
    assert "tensor([1., 2.])\ntensor([1., 2.], dtype=torch.float64)\n" in text
    assert "torch.IntTensor torch.FloatTensor torch.int64" in text


def tensor_and_number_ops(torch, y_values):
    x = torch.ones(2, 2)
    x = x.new_ones(5, 3, dtype=torch.float)
    y = torch.tensor(y_values)
    print(x + y)
    print(torch.add(x, y))
    print(x.add(y))
    same = x.add_(y)
    print(same is x)
    print(x)
    print(x + 10)
    print(x.new_ones(5, 3, dtype=torch.float).dtype, x.new_zeros(2).dtype)


def test_add_variants_and_add_(torch):
    y_values = np.random.default_rng(3).random((5, 3)).astype(np.float32)  # torch.rand(5, 3)
    text = same_print(torch, tensor_and_number_ops, y_values)
    assert "\nTrue\n" in text


def devices(torch):
    x = torch.tensor([0.9806])
    if torch.cuda.is_available():
        device = torch.device("cuda")
        y = torch.ones_like(x, device=device)
        x = x.to(device)
    else:
        device = torch.device("cpu")
        y = torch.ones_like(x, device=device)
    z = x + y
    print(z)
    print(z.to("cpu", torch.double))
    print(device, repr(device), z.device, torch.cuda.is_available())


def test_device_snippet(torch):
    text = same_print(torch, devices)
    assert text.startswith("tensor([1.9806])\ntensor([1.9806], dtype=torch.float64)\n")


def forward_and_backward_003(torch):
    x = torch.ones(2, 2, requires_grad=True)
    print(x)
    y = x + 2
    print(y)
    z = y * y * 3
    print(z)
    out = z.mean()
    print(out)
    out.backward()
    print(x.grad)


def test_forward_graph_and_mean_backward(torch):
    text = same_print(torch, forward_and_backward_003)
    assert text == (
        "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)\n"
        "tensor([[3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)\n"
        "tensor([[27., 27.],\n        [27., 27.]], grad_fn=<MulBackward0>)\n"
        "tensor(27., grad_fn=<MeanBackward0>)\n"
        "tensor([[4.5000, 4.5000],\n        [4.5000, 4.5000]])\n"
    )


def requires_grad_and_no_grad(torch, a_values):
    a = torch.tensor(a_values)  # torch.randn(2, 2) in the notes
    a = (a * 3) / (a - 1)
    print(a.requires_grad)
    a.requires_grad_(True)
    print(a.requires_grad)
    b = (a * a).sum()
    print(b.grad_fn)
    with torch.no_grad():
        c = (a * a).sum()
    print(c.requires_grad, c.grad_fn)
    print(a.data.requires_grad, a.detach().requires_grad, a.requires_grad)
    print(a.detach().numpy().dtype)


def test_requires_grad_and_no_grad(torch):
    a_values = np.random.default_rng(1).standard_normal((2, 2)).astype(np.float32)
    text = same_print(torch, requires_grad_and_no_grad, a_values)
    assert text.startswith("False\nTrue\n<SumBackward0 object at 0x")
    assert "\nFalse None\nFalse False True\nfloat32\n" in text


def test_numpy_of_a_tensor_that_requires_grad(torch):
    messages = []
    for lib in (torch, glasstorch):
        w = lib.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError) as info:
            w.numpy()
        messages.append(str(info.value))
        assert w.detach().numpy().tolist() == [1.0, 1.0]
        assert w.data.numpy().tolist() == [1.0, 1.0]
    assert messages[1] == messages[0]


def linear_regression_003_one(torch, x_values):
    learning_rate = 0.1
    x = torch.tensor(x_values)  # torch.randn([500, 1])
    y_true = 3 * x + 0.8
    w = torch.tensor(0.5, requires_grad=True)  # torch.rand([], requires_grad=True)
    b = torch.tensor(0, dtype=torch.float, requires_grad=True)
    for k in range(30):
        for i in [w, b]:
            if i.grad is not None:
                i.grad.data.zero_()
        y_predict = x * w + b
        loss = (y_predict - y_true).pow(2).mean()
        loss.backward()
        w.data = w.data - learning_rate * w.grad
        b.data = b.data - learning_rate * b.grad
        if k % 10 == 0:
            print(k, round(loss.item(), 4), round(w.item(), 4), round(b.item(), 4))
    y_predict = x * w + b
    print(y_predict.detach().numpy().shape, x.numpy().shape, y_true.numpy().shape)
    return w.item(), b.item()


def test_linear_regression_003_method_one(torch):
    x_values = np.random.default_rng(5).standard_normal((500, 1)).astype(np.float32)
    text = same_print(torch, linear_regression_003_one, x_values)
    _, (w, b) = printed(linear_regression_003_one, glasstorch, x_values)
    assert abs(w - 3) < 0.05 and abs(b - 0.8) < 0.05
    assert len(text.splitlines()) == 4


def linear_regression_003_two(torch, x_values, w0, b0):
    x = torch.tensor(x_values)  # torch.rand([50])
    y = 3 * x + 0.8
    w = torch.tensor(w0, requires_grad=True)  # torch.rand(1, requires_grad=True)
    b = torch.tensor(b0, requires_grad=True)

    def loss_fn(y, y_predict):
        loss = (y_predict - y).pow(2).mean()
        for i in [w, b]:
            if i.grad is not None:
                i.grad.data.zero_()
        loss.backward()
        return loss.data

    def optimize(learning_rate):
        w.data -= learning_rate * w.grad.data
        b.data -= learning_rate * b.grad.data

    losses = []
    for i in range(3000):
        y_predict = x * w + b
        loss = loss_fn(y, y_predict)
        if i % 500 == 0:
            losses.append(loss.item())
        optimize(0.01)
    predict = x * w + b
    print(predict.data.numpy().shape, predict.requires_grad)
    print(repr(w).split("[")[0], repr(b)[-21:])
    return losses, w, b


def test_linear_regression_003_method_two(torch):
    rng = np.random.default_rng(6)
    x_values = rng.random(50).astype(np.float32)
    w0, b0 = rng.random(1).astype(np.float32), rng.random(1).astype(np.float32)
    same_print(torch, linear_regression_003_two, x_values, w0, b0)
    _, (expected_losses, tw, tb) = printed(linear_regression_003_two, torch, x_values, w0, b0)
    _, (losses, w, b) = printed(linear_regression_003_two, glasstorch, x_values, w0, b0)
    np.testing.assert_allclose(losses, expected_losses, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(w.detach().numpy(), tw.detach().numpy(), rtol=1e-4)
    np.testing.assert_allclose(b.detach().numpy(), tb.detach().numpy(), rtol=1e-4)
    # the notes: w tensor([2.9280], requires_grad=True), b tensor([0.8372], requires_grad=True)
    assert re.fullmatch(r"tensor\(\[2\.9\d{3}\], requires_grad=True\)", repr(w))
    assert re.fullmatch(r"tensor\(\[0\.8\d{3}\], requires_grad=True\)", repr(b))


# ---- seeds 000 and 004: linear regression from scratch ----


def synthetic_data(torch, w, b, num_examples):
    """y = Xw + b + noise"""
    X = torch.normal(0, 1, (num_examples, len(w)))
    y = torch.matmul(X, w) + b
    y += torch.normal(0, 0.01, y.shape)
    return X, y.reshape((-1, 1))


def data_iter(torch, batch_size, features, labels):
    num_examples = len(features)
    indices = list(range(num_examples))
    random.shuffle(indices)
    for i in range(0, num_examples, batch_size):
        batch_indices = torch.tensor(indices[i: min(i + batch_size, num_examples)])
        yield features[batch_indices], labels[batch_indices]


def linreg(torch, X, w, b):
    return torch.matmul(X, w) + b


def squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(torch, params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


def train_linear_regression(torch, features, labels, w, b, batch_size=10, lr=0.03,
                            num_epochs=3):
    losses = []
    for epoch in range(num_epochs):
        for X, y in data_iter(torch, batch_size, features, labels):
            l = squared_loss(linreg(torch, X, w, b), y)
            l.sum().backward()
            sgd(torch, [w, b], lr, batch_size)
        with torch.no_grad():
            train_l = squared_loss(linreg(torch, features, w, b), labels)
            print(f"epoch {epoch + 1}, loss {float(train_l.mean()):f}")
            losses.append(float(train_l.mean()))
    return losses


def linear_regression_from_scratch(torch):
    true_w = torch.tensor([2, -3.4])
    true_b = 4.2
    features, labels = synthetic_data(torch, true_w, true_b, 1000)
    print("features:", features[0].shape, features[0].dtype, "\nlabel:", labels[0].shape)
    for X, y in data_iter(torch, 10, features, labels):
        print(X.shape, "\n", y.shape)
        break
    w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    losses = train_linear_regression(torch, features, labels, w, b)
    w_error = true_w - w.reshape(true_w.shape)
    b_error = true_b - b
    print(f"w的估计误差: {w_error}")
    print(f"b的估计误差: {b_error}")
    return losses, w_error, b_error


def test_linear_regression_from_scratch_learns(torch):
    for lib in (torch, glasstorch):
        random.seed(0)
        lib.manual_seed(0)
        text, (losses, w_error, b_error) = printed(linear_regression_from_scratch, lib)
        lines = text.splitlines()
        assert lines[:4] == ["features: torch.Size([2]) torch.float32 ",
                             "label: torch.Size([1])",
                             "torch.Size([10, 2]) ",
                             " torch.Size([10, 1])"]
        for epoch, line in enumerate(lines[4:7], 1):
            assert re.fullmatch(rf"epoch {epoch}, loss \d\.\d{{6}}", line), line
        assert losses[-1] < 1e-3 and losses[0] > losses[-1]
        assert w_error.abs().max().item() < 0.01 and b_error.abs().max().item() < 0.01
        number = r" ?-?\d\.\d{4}(e[-+]\d\d)?"
        assert re.fullmatch(rf"w的估计误差: tensor\(\[{number},{number}\], "
                            r"grad_fn=<SubBackward0>\)", lines[7]), lines[7]
        assert re.fullmatch(rf"b的估计误差: tensor\(\[{number}\], grad_fn=<RsubBackward1>\)",
                            lines[8]), lines[8]


def test_linear_regression_same_data_same_trajectory(torch):
    """With the same data, start and shuffles, glasstorch follows torch's losses."""
    rng = np.random.default_rng(7)
    X = rng.standard_normal((1000, 2)).astype(np.float32)
    y = (X @ np.array([2, -3.4], dtype=np.float32) + 4.2
         + 0.01 * rng.standard_normal(1000).astype(np.float32)).reshape(-1, 1)
    w0 = (0.01 * rng.standard_normal((2, 1))).astype(np.float32)
    results = []
    for lib in (torch, glasstorch):
        random.seed(1)
        w = lib.tensor(w0, requires_grad=True)
        b = lib.zeros(1, requires_grad=True)
        text, losses = printed(train_linear_regression, lib, lib.tensor(X), lib.tensor(y), w, b)
        results.append((losses, w.detach().numpy().copy(), b.detach().numpy().copy(), text))
    (t_losses, t_w, t_b, t_text), (g_losses, g_w, g_b, g_text) = results
    np.testing.assert_allclose(g_losses, t_losses, rtol=1e-3)
    np.testing.assert_allclose(g_w, t_w, atol=1e-5)
    np.testing.assert_allclose(g_b, t_b, atol=1e-5)
    assert [line[:15] for line in g_text.splitlines()] == [line[:15] for line in
                                                           t_text.splitlines()]


def data_iter_demo(torch, features, labels):
    random.seed(3)
    batches = data_iter(torch, 2, features, labels)
    print(*next(batches))


def test_data_iter_prints_a_batch(torch):
    rng = np.random.default_rng(8)
    features = rng.standard_normal((20, 2)).astype(np.float32)
    labels = rng.standard_normal((20, 1)).astype(np.float32)
    expected, _ = printed(data_iter_demo, torch, torch.tensor(features), torch.tensor(labels))
    actual, _ = printed(data_iter_demo, glasstorch, glasstorch.tensor(features),
                        glasstorch.tensor(labels))
    assert actual == expected


def gen_data_shapes(torch):
    torch.manual_seed(0)
    features, labels = synthetic_data(torch, torch.tensor([2, -3.4]), 4.2, 1000)
    print(features.shape, labels.shape, features.dtype, labels.dtype)
    print(features[:, 1].detach().numpy().shape, labels.detach().numpy().shape)


def test_synthetic_data_shapes_and_statistics(torch):
    same_print(torch, gen_data_shapes)
    glasstorch.manual_seed(0)
    features, labels = synthetic_data(glasstorch, glasstorch.tensor([2, -3.4]), 4.2, 1000)
    assert abs(features.mean().item()) < 0.1 and abs(features.std().item() - 1) < 0.1
    residual = labels.reshape(-1) - (features @ glasstorch.tensor([2, -3.4]) + 4.2)
    assert residual.abs().max().item() < 0.1
