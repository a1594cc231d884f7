"""gradcheck: compare backward with central differences, in float64.

Instead of building the full Jacobian J, check one random projection per
output and input (after HIPS autograd's check_vjp): with random u and v,
backward gives (Jᵀu)·v and two extra forward calls give u·(J v) ≈
u·(f(x + εv) - f(x - εv)) / 2ε. A wrong gradient shows up with probability 1.
"""

from ..device import array_module
from . import engine, function


class GradcheckError(RuntimeError):
    pass


def gradcheck(
    func,
    inputs,
    *,
    eps=1e-6,
    atol=1e-5,
    rtol=1e-3,
    raise_exception=True,
    nondet_tol=0.0,
    check_undefined_grad=True,
    fast_mode=True,
    seed=0,
    **unused,
):
    """True when func's backward agrees with finite differences. See torch.autograd.gradcheck."""
    Tensor = function.Tensor
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    wrt = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    for i in wrt:
        if inputs[i]._data.dtype.name != "float64":
            raise GradcheckError(
                f"Input #{i} requires gradient and is not a double precision floating point. "
                "gradcheck needs float64 inputs to be accurate."
            )
    outputs = _as_tuple(func(*inputs))
    xp = array_module(inputs[wrt[0]]._data) if wrt else None
    rng = _rng(seed)
    for k, out in enumerate(outputs):
        if not out.is_floating_point():
            continue
        u = Tensor._wrap(xp.asarray(rng.standard_normal(out.shape)))
        if out.requires_grad:
            analytic = engine.grad(out, [inputs[i] for i in wrt], u, retain_graph=True,
                                   allow_unused=True)
        else:  # no graph: backward says the derivative is zero; finite differences must agree
            analytic = (None,) * len(wrt)
        for i, g in zip(wrt, analytic):
            x = inputs[i]
            v = xp.asarray(rng.standard_normal(x.shape))
            projected = 0.0 if g is None else float((g._data * v).sum())
            numeric = _directional_derivative(func, inputs, i, k, v, eps, u._data)
            if abs(projected - numeric) > atol + rtol * abs(numeric):
                message = (
                    f"Jacobian mismatch for output {k} with respect to input {i}: "
                    f"backward gives u·(J v) = {projected!r}, finite differences {numeric!r}"
                )
                if raise_exception:
                    raise GradcheckError(message)
                return False
    return True


def _directional_derivative(func, inputs, i, k, v, eps, u):
    x = inputs[i]
    values = []
    for sign in (1, -1):
        shifted = list(inputs)
        # a leaf that requires grad, like x: func may differentiate itself (gradgradcheck)
        shifted[i] = function.Tensor._wrap(x._data + sign * eps * v).requires_grad_()
        values.append(_as_tuple(func(*shifted))[k]._data)
    return float((u * (values[0] - values[1])).sum() / (2 * eps))


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _rng(seed):
    import numpy  # gradcheck is a test tool that always works in float64 on the host

    return numpy.random.default_rng(seed)


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  raise_exception=True, seed=0, **unused):
    """Check second derivatives: gradcheck of the function x -> d(u·func(x))/dx."""
    Tensor = function.Tensor
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    rng = _rng(seed + 1)
    outputs = _as_tuple(func(*inputs))
    # asarray: numpy draws a Python float for shape (); keep 0-d arrays
    us = [Tensor._wrap(array_module(o._data).asarray(rng.standard_normal(o.shape)))
          for o in outputs]

    def first_derivatives(*xs):
        # only the outputs with a graph (not the indices that max(dim) returns, say)
        pairs = [(o, u) for o, u in zip(_as_tuple(func(*xs)), us) if o.requires_grad]
        ws = [x for x in xs if isinstance(x, Tensor) and x.requires_grad]
        grads = engine.grad([o for o, _ in pairs], ws, [u for _, u in pairs], create_graph=True,
                            allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivatives, inputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, seed=seed)
