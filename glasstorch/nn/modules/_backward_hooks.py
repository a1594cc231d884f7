"""Module backward hooks: register_full_backward_hook and register_full_backward_pre_hook.

A module has no node of its own in the graph, so its call puts an identity node on each
side of forward: one over the tensor inputs, one over the tensor outputs. When backward
reaches the outputs' node it holds grad_output (the pre-hooks may replace it); when it
reaches the inputs' node it holds grad_input, and the hooks see (module, grad_input,
grad_output) and may replace grad_input. As torch's BackwardHook.
"""

import warnings

from ..._tensor import Tensor
from ...autograd.function import Function
from ...autograd.grad_mode import is_grad_enabled


class BackwardHookFunction(Function):
    """Identity on the given tensors; its backward hands their gradients to `callback`."""

    @staticmethod
    def forward(ctx, callback, *tensors):
        ctx.callback = callback
        views = tuple(t.view_as(t) for t in tensors)
        return views if len(views) > 1 else views[0]

    @staticmethod
    def backward(ctx, *grads):
        return (None, *ctx.callback(grads))


def _requires_grad(values):
    return any(isinstance(v, Tensor) and v.requires_grad for v in values)


class BackwardHook:
    """The bookkeeping of one call of a module that has backward hooks."""

    def __init__(self, module, hooks, pre_hooks):
        self.module, self.hooks, self.pre_hooks = module, hooks, pre_hooks
        self.n_inputs = 0
        self.inputs_hooked = False
        self.grad_output = None

    def _through(self, values, callback):
        """values (a tuple) with its tensors passed through one BackwardHookFunction."""
        positions = [i for i, v in enumerate(values) if isinstance(v, Tensor)]
        new = BackwardHookFunction.apply(callback, *(values[i] for i in positions))
        new = new if isinstance(new, tuple) else (new,)
        values = list(values)
        for i, tensor in zip(positions, new):
            values[i] = tensor
        return tuple(values)

    def setup_input_hook(self, args):
        self.n_inputs = sum(isinstance(a, Tensor) for a in args)
        if not (is_grad_enabled() and _requires_grad(args)):
            return args
        self.inputs_hooked = True
        return self._through(args, self._on_grad_input)

    def setup_output_hook(self, output):
        outputs = output if isinstance(output, tuple) else (output,)
        if not (is_grad_enabled() and _requires_grad(outputs)):
            return output
        hooked = self._through(outputs, self._on_grad_output)
        return hooked if isinstance(output, tuple) else hooked[0]

    def _on_grad_output(self, grads):
        for hook in list(self.pre_hooks.values()):
            result = hook(self.module, grads)
            if result is not None:
                grads = _checked(result, len(grads), "Backward pre hook", "grad_output")
        self.grad_output = grads
        if not self.inputs_hooked and self.hooks:  # no input needs a gradient: run them now
            warnings.warn("Full backward hook is firing when gradients are computed with respect "
                          "to module outputs since no inputs require gradients. See "
                          "https://docs.pytorch.org/docs/main/generated/torch.nn.Module.html"
                          "#torch.nn.Module.register_full_backward_hook for more details.",
                          stacklevel=2)
            for hook in list(self.hooks.values()):
                if hook(self.module, (None,) * self.n_inputs, grads) is not None:
                    raise RuntimeError("Backward hook for Modules where no input requires "
                                       "gradient should always return None or None for all "
                                       "gradients.")
        return grads

    def _on_grad_input(self, grads):
        for hook in list(self.hooks.values()):
            result = hook(self.module, grads, self.grad_output)
            if result is not None:
                grads = _checked(result, len(grads), "Backward hook", "grad_input")
        return grads


def _checked(result, count, hook, grads):
    result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
    if len(result) != count:
        raise RuntimeError(f"{hook} returned an invalid number of {grads}, got {len(result)}, "
                           f"but expected {count}")
    return result
