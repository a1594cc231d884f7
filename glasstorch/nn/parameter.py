"""Parameter: a Tensor that a Module registers as learnable. See torch.nn.Parameter."""

from .. import creation
from .._tensor import Tensor, _init


class Buffer(Tensor):
    """A tensor a Module registers as a buffer when it is assigned to one of its attributes
    (`self.running_mean = nn.Buffer(torch.zeros(3))`); persistent=False keeps it out of the
    state_dict. The module stores it as a plain tensor. See torch.nn.Buffer."""

    __slots__ = ("persistent",)

    def __init__(self, data=None, *, persistent=True):
        if data is None:
            data = creation.empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Buffer(): argument 'data' must be Tensor, not "
                            f"{type(data).__name__}")
        _init(self, data._data)
        self.persistent = persistent


class Parameter(Tensor):
    """A leaf Tensor that requires grad by default; assigning one to a Module registers it.

    It shares memory with `data`. Ops on a Parameter return plain Tensors, as in torch.
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = creation.empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter(): argument 'data' must be Tensor, not "
                            f"{type(data).__name__}")
        _init(self, data._data)
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self.detach().cpu()._data, self._requires_grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(Tensor._wrap(self._data.copy()), self._requires_grad)
        if self._grad is not None:
            result._grad = Tensor._wrap(self._grad._data.copy())
        memo[id(self)] = result
        return result


def _rebuild_parameter(array, requires_grad):
    return Parameter(Tensor._wrap(array), requires_grad)


class UninitializedParameter(Parameter):
    """A parameter whose shape is not known yet (lazy modules). materialize() gives it one."""

    __slots__ = ()
    cls_to_become = Parameter

    def __init__(self, requires_grad=True, device=None, dtype=None):
        super().__init__(creation.empty(0, device=device, dtype=dtype), requires_grad)

    def materialize(self, shape, device=None, dtype=None):
        """Allocate the data with `shape` and become a plain Parameter."""
        device = self.device if device is None else device
        dtype = self.dtype if dtype is None else dtype
        self._data = creation.empty(shape, device=device, dtype=dtype)._data
        self.__class__ = self.cls_to_become

    def __repr__(self):
        return "<UninitializedParameter>"

    __str__ = __repr__

    def __reduce_ex__(self, protocol):
        return (UninitializedParameter, (self._requires_grad,))

    def __deepcopy__(self, memo):
        result = UninitializedParameter(self._requires_grad, self.device, self.dtype)
        memo[id(self)] = result
        return result


def is_lazy(param):
    return isinstance(param, UninitializedParameter)
