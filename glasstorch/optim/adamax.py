"""Adamax: Adam with an infinity-norm second moment. See torch.optim.Adamax."""

from ..creation import zeros_like
from .optimizer import (
    Optimizer,
    _check_lr,
    _gradient,
    _new_step,
        _to_float,
)

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Implements Adamax, as torch.optim.Adamax. At step t, for each parameter θ with gradient:

        g ← -∇θ if maximize else ∇θ
        g ← g + λ·θ                         (if λ = weight_decay ≠ 0)
        m ← β₁·m + (1 - β₁)·g               (state['exp_avg'])
        u ← max(β₂·u, |g| + ε)              (state['exp_inf']: a decaying max of |g|)
        θ ← θ - lr/(1 - β₁ᵗ) · m / u

    u needs no bias correction, and ε sits inside the max rather than in the denominator.
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        _check_lr(lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        # foreach, differentiable and capturable only select torch kernels; kept so that param
        # groups, state_dicts and repr match torch's
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)


    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, eps = _to_float(group["lr"]), _to_float(group["eps"])
            beta1, beta2 = (_to_float(b) for b in group["betas"])
            weight_decay = _to_float(group["weight_decay"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _new_step()
                    state["exp_avg"] = zeros_like(p)
                    state["exp_inf"] = zeros_like(p)
                state["step"]._data += 1
                t = state["step"].item()

                xp, theta = p._xp, p._data
                grad = _gradient(p, group, weight_decay)
                m, u = state["exp_avg"]._data, state["exp_inf"]._data
                m += (1 - beta1) * (grad - m)  # torch's lerp_
                u *= beta2
                xp.maximum(u, xp.abs(grad) + eps, out=u)
                theta -= lr / (1 - beta1**t) * (m / u)
                p._version[0] += 1  # an in-place change, as p.addcdiv_ would count it
        return loss
