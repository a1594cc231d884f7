"""Distribution: the base class of torch.distributions (shapes, sample, repr)."""

from .. import creation, dtypes
from .._tensor import Size, Tensor
from ..autograd import grad_mode
from ..ops.operands import broadcast_shapes


class Distribution:
    """Base class; see torch.distributions.Distribution."""

    has_rsample = False
    arg_constraints = {}

    def __init__(self, batch_shape=(), event_shape=(), validate_args=None):
        self._batch_shape = Size(batch_shape)
        self._event_shape = Size(event_shape)

    @property
    def batch_shape(self):
        return self._batch_shape

    @property
    def event_shape(self):
        return self._event_shape

    def sample(self, sample_shape=()):
        with grad_mode.no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=()):
        raise NotImplementedError

    def sample_n(self, n):
        return self.sample(Size((n,)))

    def _extended_shape(self, sample_shape=()):
        return Size(tuple(sample_shape) + tuple(self._batch_shape) + tuple(self._event_shape))

    def __repr__(self):
        parts = []
        for name in self.arg_constraints:
            if name in self.__dict__:
                value = self.__dict__[name]
                parts.append(f"{name}: {value if value.numel() == 1 else value.size()}")
        return f"{type(self).__name__}({', '.join(parts)})"


def broadcast_all(*values):
    """Numbers and tensors as tensors of one shape (numbers take the tensors' dtype)."""
    tensors = [v for v in values if isinstance(v, Tensor)]
    if not tensors:
        dtype, device = dtypes.get_default_dtype(), None
    else:
        dtype, device = tensors[0].dtype, tensors[0].device  # numbers join the tensors' device
    values = [v if isinstance(v, Tensor) else creation.tensor(float(v), dtype=dtype, device=device)
              for v in values]
    shape = broadcast_shapes(*(v.shape for v in values))
    return tuple(v if v.shape == shape else v.expand(shape) for v in values)
