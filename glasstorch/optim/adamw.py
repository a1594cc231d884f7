"""AdamW: Adam with decoupled weight decay. See torch.optim.AdamW."""

from .adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    """Implements AdamW, as torch.optim.AdamW (which is Adam with decoupled_weight_decay=True).

    The weight decay shrinks the parameter directly instead of entering the gradient, so it
    does not accumulate in the moments. At step t, for each parameter θ with gradient:

        g ← -∇θ if maximize else ∇θ
        θ ← θ - lr·λ·θ                                  (λ = weight_decay)
        m ← β₁·m + (1 - β₁)·g                           (state['exp_avg'])
        v ← β₂·v + (1 - β₂)·g²                          (state['exp_avg_sq'])
        v̂ ← max(v̂, v) if amsgrad else v                 (state['max_exp_avg_sq'])
        θ ← θ - lr/(1 - β₁ᵗ) · m / (√v̂ / √(1 - β₂ᵗ) + ε)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused, decoupled_weight_decay=True)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:  # a loaded state_dict cannot turn AdamW into Adam
            group["decoupled_weight_decay"] = True
