"""Adagrad: per-coordinate step sizes from summed squared gradients. See torch.optim.Adagrad."""

from ..creation import full_like
from .optimizer import (
    Optimizer,
    _check_lr,
    _gradient,
    _new_step,
        _to_float,
)

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Implements Adagrad, as torch.optim.Adagrad. At step t, for each parameter θ with gradient:

        g ← -∇θ if maximize else ∇θ
        g ← g + λ·θ                     (if λ = weight_decay ≠ 0)
        η ← lr / (1 + (t - 1)·lr_decay)
        s ← s + g²                      (state['sum'], starting at initial_accumulator_value)
        θ ← θ - η · g / (√s + ε)

    Coordinates that have seen large gradients take small steps from then on.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        _check_lr(lr)
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(
                f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        # foreach, differentiable and fused only select torch kernels; kept so that param
        # groups, state_dicts and repr match torch's
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        # unlike the other optimizers, torch fills the state of every parameter at once
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p)

    def _init_state(self, p):
        state = self.state[p]
        state["step"] = _new_step()
        # torch takes the value from the defaults, not from the parameter's group
        state["sum"] = full_like(p, self.defaults["initial_accumulator_value"])
        return state


    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, eps = _to_float(group["lr"]), _to_float(group["eps"])
            lr_decay, weight_decay = _to_float(group["lr_decay"]), _to_float(group["weight_decay"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:  # a parameter added with add_param_group
                    state = self._init_state(p)
                state["step"]._data += 1
                t = state["step"].item()

                xp, theta = p._xp, p._data
                grad = _gradient(p, group, weight_decay)
                clr = lr / (1 + (t - 1) * lr_decay)
                s = state["sum"]._data
                s += grad * grad
                std = xp.sqrt(s)
                std += eps
                theta -= clr * (grad / std)
                p._version[0] += 1  # an in-place change, as p.addcdiv_ would count it
        return loss

