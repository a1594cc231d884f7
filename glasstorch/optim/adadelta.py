"""Adadelta: Adagrad without a global step size, from two running averages. See torch.optim.Adadelta."""

from ..creation import zeros_like
from .optimizer import (
    Optimizer,
    _check_lr,
    _gradient,
    _new_step,
        _to_float,
)

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Implements Adadelta, as torch.optim.Adadelta. For each parameter θ with gradient:

        g ← -∇θ if maximize else ∇θ
        g ← g + λ·θ                         (if λ = weight_decay ≠ 0)
        v ← ρ·v + (1 - ρ)·g²                (state['square_avg'])
        Δ ← √(u + ε) / √(v + ε) · g         (u is state['acc_delta'], before this step)
        u ← ρ·u + (1 - ρ)·Δ²
        θ ← θ - lr·Δ

    The ratio of the two root-mean-squares gives the step its units, so lr=1.0 is the default.
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        _check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        # foreach, capturable and differentiable only select torch kernels; kept so that param
        # groups, state_dicts and repr match torch's
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "capturable": capturable, "foreach": foreach,
                    "differentiable": differentiable}
        super().__init__(params, defaults)


    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, rho, eps = (_to_float(group[k]) for k in ("lr", "rho", "eps"))
            weight_decay = _to_float(group["weight_decay"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _new_step()
                    state["square_avg"] = zeros_like(p)
                    state["acc_delta"] = zeros_like(p)
                state["step"]._data += 1

                xp, theta = p._xp, p._data
                grad = _gradient(p, group, weight_decay)
                v, u = state["square_avg"]._data, state["acc_delta"]._data
                v *= rho
                v += (1 - rho) * grad * grad
                delta = xp.sqrt(u + eps)
                delta /= xp.sqrt(v + eps)
                delta *= grad
                u *= rho
                u += (1 - rho) * delta * delta
                theta -= lr * delta
                p._version[0] += 1  # an in-place change, as p.add_ would count it
        return loss
