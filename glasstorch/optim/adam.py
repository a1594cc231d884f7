"""Adam (and, with decoupled weight decay, AdamW). See torch.optim.Adam."""

from .._tensor import Tensor
from ..creation import zeros_like
from ..device import fused
from ..ops.elementwise import in_parts
from .optimizer import Optimizer, _gradient, _new_step, _to_float

__all__ = ["Adam"]


class Adam(Optimizer):
    """Implements Adam, as torch.optim.Adam. At step t, for each parameter θ with gradient:

        g ← -∇θ if maximize else ∇θ
        θ ← θ - lr·λ·θ      if decoupled_weight_decay   (AdamW; λ = weight_decay)
        g ← g + λ·θ         otherwise, if λ ≠ 0
        m ← β₁·m + (1 - β₁)·g                           (state['exp_avg'])
        v ← β₂·v + (1 - β₂)·g²                          (state['exp_avg_sq'])
        v̂ ← max(v̂, v) if amsgrad else v                 (state['max_exp_avg_sq'])
        θ ← θ - lr/(1 - β₁ᵗ) · m / (√v̂ / √(1 - β₂ᵗ) + ε)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not (all(isinstance(b, float) for b in betas)
                or all(isinstance(b, Tensor) for b in betas)):
            raise ValueError("betas must be either both floats or both Tensors")
        # foreach, capturable, differentiable and fused only select torch kernels; kept so that
        # param groups, state_dicts and repr match torch's
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach,
                    "capturable": capturable, "differentiable": differentiable, "fused": fused,
                    "decoupled_weight_decay": decoupled_weight_decay}
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
                    state["step"] = _new_step()  # on the CPU, as torch
                    state["exp_avg"] = zeros_like(p)
                    state["exp_avg_sq"] = zeros_like(p)
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = zeros_like(p)
                state["step"]._data += 1
                t = state["step"].item()

                xp, theta = p._xp, p._data
                grad = _gradient(p, group, weight_decay, lr)
                m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
                step_size = lr / (1 - beta1**t)
                bias_correction2_sqrt = (1 - beta2**t) ** 0.5
                if group["amsgrad"]:
                    _update_moments(m, v, grad, 1 - beta1, beta2, 1 - beta2)
                    v_max = state["max_exp_avg_sq"]._data
                    xp.maximum(v_max, v, out=v_max)
                    _step(theta, m, v_max, step_size, bias_correction2_sqrt, eps)
                else:  # large parameters in runs across the thread pool
                    in_parts(lambda theta, m, v, grad: _adam_update(
                        theta, m, v, grad, 1 - beta1, beta2, 1 - beta2, step_size,
                        bias_correction2_sqrt, eps), theta, m, v, grad)
                p._version[0] += 1  # an in-place change, as p.addcdiv_ would count it
        return loss


# The update as elementwise chains: one GPU kernel each (see device.fused), on numpy as
# written. A fused function may call others: they become part of its kernel.

@fused
def _update_moments(m, v, grad, one_minus_beta1, beta2, one_minus_beta2):
    m += one_minus_beta1 * (grad - m)  # torch's lerp_: m + (1 - β₁)(g - m)
    v *= beta2
    v += one_minus_beta2 * grad * grad


@fused
def _step(theta, m, v, step_size, bias_correction2_sqrt, eps):
    theta -= step_size * m / (v ** 0.5 / bias_correction2_sqrt + eps)


@fused
def _adam_update(theta, m, v, grad, one_minus_beta1, beta2, one_minus_beta2, step_size,
                 bias_correction2_sqrt, eps):
    _update_moments(m, v, grad, one_minus_beta1, beta2, one_minus_beta2)
    _step(theta, m, v, step_size, bias_correction2_sqrt, eps)
