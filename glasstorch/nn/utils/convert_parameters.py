"""parameters_to_vector and vector_to_parameters. See torch.nn.utils."""

from ..._tensor import Tensor
from ...ops.movement import cat


def parameters_to_vector(parameters):
    """All the parameters flattened and joined into one vector (a graph node, so gradients
    flow back to the parameters)."""
    return cat([param.view(-1) for param in parameters])


def vector_to_parameters(vec, parameters):
    """Point each parameter's data at its slice of vec, in order (shares vec's memory)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    pointer = 0
    for param in parameters:
        count = param.numel()
        param.data = vec[pointer:pointer + count].view_as(param).data
        pointer += count
