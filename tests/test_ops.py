"""Every op in the table against PyTorch (values, dtypes, gradients) and against finite
differences (gradcheck in float64); hypothesis for broadcasting, reduction dims and
non-contiguous inputs; and the check that no public op is missing from the table."""

import inspect
import operator
import subprocess
import sys

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import glasstorch
from glasstorch.autograd import GradcheckError, gradcheck, gradgradcheck
from oracle import check, make_arrays, run, to_library
from op_table import OPS
from strategies import arrays, broadcastable_shapes, permuted_arrays, reduction_dims, shapes


def _has_float(dtype):
    names = dtype if isinstance(dtype, (tuple, list)) else (dtype,)
    return any(np.dtype(n).kind == "f" for n in names)


def _params(with_dtypes, keep):
    """pytest params (spec, inputs, dtype) over the table, ids like `sum#2-0-float32`.

    with_dtypes=False gives one float64 run per case (for the numerical checks).
    """
    params, seen = [], {}
    for spec in OPS:
        k = seen[spec.name] = seen.get(spec.name, -1) + 1
        for c, inputs in enumerate(spec.cases()):
            for dtype in spec.dtypes if with_dtypes else ("float64",):
                if keep(spec, dtype):
                    name = "-".join(dtype) if isinstance(dtype, (tuple, list)) else dtype
                    test_id = f"{spec.name}#{k}-{c}" + (f"-{name}" if with_dtypes else "")
                    params.append(pytest.param(spec, inputs, dtype, id=test_id))
    return params


@pytest.mark.parametrize("spec, inputs, dtype", _params(True, lambda spec, dtype: True))
def test_forward(spec, inputs, dtype):
    low, high = spec.bounds()
    check(spec.fn, *inputs, low=low, high=high, dtype=dtype, atol=spec.atol, rtol=spec.rtol,
          grad=False)


@pytest.mark.parametrize("spec, inputs, dtype",
                         _params(True, lambda spec, dtype: spec.grad and _has_float(dtype)))
def test_grad(spec, inputs, dtype):
    low, high = spec.bounds()
    ours, theirs = check(spec.fn, *inputs, low=low, high=high, dtype=dtype, atol=spec.atol,
                         rtol=spec.rtol)
    if not isinstance(dtype, (tuple, list)):  # all inputs float: a gradient must be compared
        outputs = theirs if isinstance(theirs, (tuple, list)) else [theirs]
        assert any(isinstance(t, torch.Tensor) and t.requires_grad for t in outputs), (
            "no torch output requires grad: give this OpSpec grad=False")


@pytest.mark.parametrize("spec, inputs, dtype", _params(False, lambda spec, dtype: spec.gradcheck))
def test_gradcheck(spec, inputs, dtype):
    low, high = spec.bounds()
    arrays = make_arrays(inputs, low=low, high=high, dtype=dtype)
    arrays = [a.astype("float64") if a.dtype.kind == "f" else a for a in arrays]
    tensors = to_library(arrays, glasstorch, requires_grad=True)
    assert any(t.requires_grad for t in tensors)
    assert gradcheck(lambda *xs: run(spec.fn, glasstorch, xs), tensors)


def _gradgrad_params():
    return _params(False, lambda spec, dtype: spec.gradgradcheck)


@pytest.mark.parametrize("spec, inputs, dtype", _gradgrad_params())
def test_gradgradcheck(spec, inputs, dtype):
    """Second derivatives (backward is differentiable: create_graph=True) vs finite differences."""
    low, high = spec.bounds()
    arrays = make_arrays(inputs, low=low, high=high, dtype=dtype)
    arrays = [a.astype("float64") if a.dtype.kind == "f" else a for a in arrays]
    tensors = to_library(arrays, glasstorch, requires_grad=True)
    assert gradgradcheck(lambda *xs: run(spec.fn, glasstorch, xs), tensors)


@pytest.mark.parametrize("spec, inputs, dtype",
                         _params(True, lambda spec, dtype: dtype == "float32"))
def test_non_contiguous_inputs_table(spec, inputs, dtype):
    """The float32 cases again, with every input of 2+ dims a transposed (strided) view."""
    low, high = spec.bounds()
    check(spec.fn, *inputs, low=low, high=high, dtype=dtype, atol=spec.atol, rtol=spec.rtol,
          grad=spec.grad, noncontiguous=True)


# ---- the numerical check must be able to fail ----


class _Square(glasstorch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 2 * grad * x


class _WrongSquare(_Square):
    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x  # the factor 2 is missing


def test_gradcheck_passes_a_right_gradient_and_fails_a_wrong_one():
    x = glasstorch.randn(3, 4, dtype=glasstorch.float64, requires_grad=True)
    assert gradcheck(_Square.apply, (x,))
    assert gradcheck(_WrongSquare.apply, (x,), raise_exception=False) is False
    with pytest.raises(GradcheckError):
        gradcheck(_WrongSquare.apply, (x,))


def test_gradgradcheck_fails_a_backward_that_is_not_differentiable():
    class DetachedSquare(_Square):  # right first derivative, but backward cuts the graph
        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 2 * grad * x.detach()

    x = glasstorch.randn(3, dtype=glasstorch.float64, requires_grad=True)
    assert gradcheck(DetachedSquare.apply, (x,))
    assert gradgradcheck(_Square.apply, (x,))
    assert gradgradcheck(DetachedSquare.apply, (x,), raise_exception=False) is False


def test_gradcheck_catches_a_gradient_sent_to_the_wrong_element():
    class Shifted(glasstorch.autograd.Function):  # d(x * 3)/dx routed one element off
        @staticmethod
        def forward(ctx, x):
            return x * 3

        @staticmethod
        def backward(ctx, grad):
            return (grad * 3).flip(0)

    x = glasstorch.randn(5, dtype=glasstorch.float64, requires_grad=True)
    assert gradcheck(Shifted.apply, (x,), raise_exception=False) is False


# ---- hypothesis: broadcasting, reduction dims, non-contiguous inputs ----

BINARY = {
    "add": lambda x, y: x + y,
    "sub": lambda x, y: x - y,
    "mul": lambda x, y: x * y,
    "div": lambda x, y: x / (y.abs() + 0.5),
    "pow": lambda x, y: x.abs() ** y,
    "maximum": lambda x, y: x.maximum(y),
    "where": lambda lib, x, y: lib.where(x > y, x, y * 2),
    "lt": lambda x, y: x < y,
}


@pytest.mark.parametrize("op", BINARY)
@given(data=st.data())
def test_binary_ops_broadcast_like_torch(op, data):
    shape_a, shape_b = data.draw(broadcastable_shapes())
    a, b = data.draw(arrays(shape_a)), data.draw(arrays(shape_b))
    check(BINARY[op], a, b, grad=op != "lt")
    assert glasstorch.broadcast_shapes(shape_a, shape_b) == torch.broadcast_shapes(shape_a, shape_b)


@given(shape_a=shapes(max_dims=3, max_side=3), shape_b=shapes(max_dims=3, max_side=3))
def test_binary_ops_refuse_the_shapes_torch_refuses(shape_a, shape_b):
    a, b = np.ones(shape_a, "float32"), np.ones(shape_b, "float32")
    check(lambda x, y: x * y, a, b)  # either both agree or both raise the same error type


REDUCTIONS = {
    "sum": lambda x, dim, keepdim: x.sum(dim, keepdim=keepdim),
    "mean": lambda x, dim, keepdim: x.mean(dim, keepdim=keepdim),
    "prod": lambda x, dim, keepdim: x.prod(dim if isinstance(dim, int) else dim[0], keepdim),
    "amax": lambda x, dim, keepdim: x.amax(dim, keepdim=keepdim),
    "amin": lambda x, dim, keepdim: x.amin(dim, keepdim=keepdim),
    "max": lambda x, dim, keepdim: x.max(dim if isinstance(dim, int) else dim[0], keepdim),
    "var": lambda x, dim, keepdim: x.var(dim, keepdim=keepdim, correction=0),
    "std": lambda x, dim, keepdim: x.std(dim, keepdim=keepdim),
    "norm": lambda x, dim, keepdim: x.norm(2, dim, keepdim),
    "logsumexp": lambda x, dim, keepdim: x.logsumexp(dim, keepdim),
    "argmin": lambda x, dim, keepdim: x.argmin(dim if isinstance(dim, int) else dim[0], keepdim),
    "cumsum": lambda x, dim, keepdim: x.cumsum(dim if isinstance(dim, int) else dim[0]),
}


@pytest.mark.parametrize("op", REDUCTIONS)
@given(data=st.data())
def test_reductions_over_random_dims(op, data):
    shape = data.draw(shapes(min_dims=1, max_dims=4, min_side=1, max_side=3))
    dim, keepdim = data.draw(reduction_dims(len(shape)))
    # distinct values, so that max/min have no ties (torch breaks ties its own way)
    values = np.random.default_rng(len(shape)).permutation(int(np.prod(shape))) / 7 - 1
    x = values.astype("float32").reshape(shape)
    check(lambda t: REDUCTIONS[op](t, dim, keepdim), x, grad=op != "argmin")


UNARY_ON_PERMUTED = {
    "exp": lambda x: x.exp(),
    "sum": lambda x: x.sum(-1),
    "reshape": lambda x: x.reshape(-1),
    "view": lambda x: x.view(-1),  # torch refuses a view of most non-contiguous inputs
    "transpose": lambda x: x.transpose(0, -1),
    "getitem": lambda x: x[..., ::2],
    "matmul": lambda x: x @ x.mT,
    "cumsum": lambda x: x.cumsum(0),
    "contiguous": lambda x: x.contiguous().view(-1),
}


@pytest.mark.parametrize("op", UNARY_ON_PERMUTED)
@given(data=st.data())
def test_non_contiguous_inputs(op, data):
    shape = data.draw(shapes(min_dims=2, max_dims=4, min_side=1, max_side=3))
    x = data.draw(permuted_arrays(shape))
    check(UNARY_ON_PERMUTED[op], x)


def test_non_contiguous_inputs_really_are():
    x = make_arrays([(3, 4)], noncontiguous=True)[0]
    (ours,) = to_library([x], glasstorch, requires_grad=False)
    (theirs,) = to_library([x], torch, requires_grad=False)
    assert not ours.is_contiguous() and not theirs.is_contiguous()
    check(lambda t, u: t * u + t.t().sum(), (3, 4), (3, 4), noncontiguous=True)


# ---- the table is the checklist ----

# non-op methods: metadata, conversion to Python/numpy, devices, autograd plumbing,
# constructors and random fills; tested in test_tensor.py, test_autograd.py, test_creation.py
EXEMPT = {
    "backward", "register_hook", "register_post_accumulate_grad_hook", "retain_grad",
    "requires_grad_", "detach", "detach_", "numpy", "tolist", "item", "size", "dim", "ndimension",
    "numel", "nelement", "element_size", "data_ptr", "is_floating_point", "is_complex",
    "is_contiguous", "get_device", "type", "cpu", "cuda", "new_tensor", "new_zeros", "new_ones",
    "new_empty", "new_full", "normal_", "uniform_", "bernoulli_", "__index__",
}
# namespace functions that are not tensor ops, by the module that defines them
EXEMPT_MODULES = ("glasstorch.creation", "glasstorch.random", "glasstorch.dtypes",
                  "glasstorch.autograd", "glasstorch._tensor_str", "glasstorch.serialization",
                  "glasstorch.threads")
EXEMPT_FUNCTIONS = {"is_tensor", "is_floating_point", "numel", "result_type", "can_cast"}


def _operator_dunders():
    """Tensor's arithmetic, comparison and item operators (and their reflected forms)."""
    known = set(dir(operator))
    return {n for n in dir(glasstorch.Tensor) if n.startswith("__")
            and callable(getattr(glasstorch.Tensor, n))
            and (n in known or n.replace("__r", "__", 1) in known)}


def _public_methods():
    return {n for n in dir(glasstorch.Tensor)
            if not n.startswith("_") and callable(getattr(glasstorch.Tensor, n))}


def _namespace_functions():
    names = set()
    for n, value in vars(glasstorch).items():
        module = getattr(value, "__module__", "") or ""
        if (n.startswith("_") or inspect.isclass(value) or inspect.ismodule(value)
                or not callable(value) or module.startswith(EXEMPT_MODULES)):
            continue
        names.add(n)
    return names - EXEMPT_FUNCTIONS


def test_every_public_op_is_in_table():
    # a line whose fn takes `lib` exercises the namespace function, the others the method;
    # where glasstorch.<name> is the method itself (exp = Tensor.exp), either covers both
    as_function = {s.name.removeprefix("torch.") for s in OPS if _takes_lib(s.fn)}
    as_method = {s.name for s in OPS if not _takes_lib(s.fn)}

    def same(name):
        return getattr(glasstorch, name, None) is getattr(glasstorch.Tensor, name, 0)

    methods = (_public_methods() | _operator_dunders()) - EXEMPT
    missing = sorted(n for n in methods
                     if n not in as_method and not (n in as_function and same(n)))
    functions = sorted(n for n in _namespace_functions()
                       if n not in as_function and not (n in as_method and same(n)))
    assert not missing, f"Tensor methods without a line in tests/op_table.py: {missing}"
    assert not functions, f"glasstorch functions without a line in tests/op_table.py: {functions}"


def _takes_lib(fn):
    return list(inspect.signature(fn).parameters)[:1] == ["lib"]


def test_table_names_exist_in_glasstorch_and_torch():
    for spec in OPS:
        if spec.name.startswith("torch."):
            name = spec.name[len("torch."):]
            assert hasattr(glasstorch, name) and hasattr(torch, name), spec.name
        else:
            assert hasattr(glasstorch.Tensor, spec.name), spec.name
            assert hasattr(torch.Tensor, spec.name), spec.name
    assert not EXEMPT & {spec.name for spec in OPS}, "a name is both exempt and in the table"



def test_meshgrid_warning_and_errors_match_torch(torch):
    message = "it will be required to pass the indexing argument"
    with pytest.warns(UserWarning, match=message):
        grids = glasstorch.meshgrid(glasstorch.arange(3), glasstorch.arange(2))
    assert [tuple(g.shape) for g in grids] == [(3, 2), (3, 2)]
    # torch warns once per process (and the books' tests call its meshgrid in this one): ask a
    # fresh process
    code = ("import warnings, torch\nwarnings.simplefilter('always')\n"
            "with warnings.catch_warnings(record=True) as caught:\n"
            "    torch.meshgrid(torch.arange(3), torch.arange(2))\n"
            "print([str(w.message) for w in caught])\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, check=True)
    assert message in result.stdout
    bad = [
        lambda lib: lib.meshgrid(lib.ones(2, 2), indexing="ij"),
        lambda lib: lib.meshgrid(lib.ones(2), indexing="foo"),
        lambda lib: lib.meshgrid(lib.ones(2), lib.ones(3, dtype=lib.float64), indexing="ij"),
        lambda lib: lib.meshgrid(indexing="ij"),
    ]
    for call in bad:
        with pytest.raises(RuntimeError) as theirs:
            call(torch)
        with pytest.raises(RuntimeError) as ours:
            call(glasstorch)
        assert str(ours.value).split(":")[0] == str(theirs.value).split(":")[0]


def test_number_over_tensor_rounds_as_torch(torch):
    """2.5 / x is reciprocal(x) * 2.5 in torch: float32 results equal to the last bit."""
    values = np.linspace(0.1, 9.7, 97, dtype=np.float32)
    ours = (2.5 / glasstorch.tensor(values)).numpy()
    theirs = (2.5 / torch.tensor(values)).numpy()
    np.testing.assert_array_equal(ours, theirs)


def test_exp_rounds_as_torch(torch):
    """float32 exp equals torch's to the last bit: the book's torch.exp(arange(12.)) and 99 of
    100 random values (torch's own exp is not always correctly rounded)."""
    values = np.arange(12, dtype=np.float32)
    ours = glasstorch.exp(glasstorch.tensor(values)).numpy()
    np.testing.assert_array_equal(ours, torch.exp(torch.tensor(values)).numpy())
    values = np.random.default_rng(0).normal(0, 5, 10000).astype(np.float32)
    ours = glasstorch.exp(glasstorch.tensor(values)).numpy()
    assert (ours == torch.exp(torch.tensor(values)).numpy()).mean() > 0.98
    assert glasstorch.exp(glasstorch.tensor(values)).dtype == glasstorch.float32


@pytest.mark.parametrize("name", ["cat", "concat", "concatenate", "stack"])
def test_joining_takes_axis_as_an_alias_of_dim(name):
    a, b = np.arange(6.0).reshape(2, 3), np.ones((2, 3))
    ours = getattr(glasstorch, name)((glasstorch.tensor(a), glasstorch.tensor(b)), axis=1)
    theirs = getattr(torch, name)((torch.tensor(a), torch.tensor(b)), axis=1)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
