"""What the lazy modules (LazyLinear, LazyConv2d, LazyBatchNorm2d, ...) share. See torch's
LazyModuleMixin: shapes come from the first input, then the module becomes `cls_to_become`."""

from ..parameter import UninitializedParameter


class LazyModuleMixin:
    cls_to_become = None  # the ordinary module class a lazy module turns into

    def _wait_for_first_input(self):
        """Call at the end of __init__: the first forward call allocates the parameters."""
        self._initialize_hook = self.register_forward_pre_hook(_infer_parameters)

    def has_uninitialized_params(self):
        return any(isinstance(p, UninitializedParameter) for p in self._parameters.values())

    def _materialize_from(self, state_dict, prefix):
        """A checkpoint fixes the shapes: materialize the parameters it holds."""
        for name, param in self._parameters.items():
            key = prefix + name
            if isinstance(param, UninitializedParameter) and key in state_dict:
                param.materialize(state_dict[key].shape)


def _infer_parameters(module, args):
    """The forward pre-hook of a lazy module: allocate from the first input, then step aside."""
    module.initialize_parameters(*args)
    if module.has_uninitialized_params():
        raise RuntimeError(f"module {module._get_name()} has not been fully initialized")
    module._initialize_hook.remove()
    del module._initialize_hook
    module.__class__ = module.cls_to_become
