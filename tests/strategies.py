"""Hypothesis strategies for tensor tests: shapes, broadcasting, reduction dims, values.

Arrays come out as numpy arrays, ready for oracle.check (after minitorch's tensor
strategies). Sides stay small so that each example runs in well under a millisecond.
"""

import numpy as np
from hypothesis import strategies as st


@st.composite
def shapes(draw, min_dims=0, max_dims=4, min_side=0, max_side=4):
    """A shape: 0-d, empty sides and all."""
    return tuple(draw(st.lists(st.integers(min_side, max_side), min_size=min_dims,
                               max_size=max_dims)))


@st.composite
def broadcastable_shapes(draw, max_dims=4, max_side=4):
    """Two shapes that broadcast together: both cut from one result shape.

    Each operand keeps some trailing dims of the result, and some of those become 1.
    """
    result = draw(shapes(max_dims=max_dims, max_side=max_side))
    pair = []
    for _ in range(2):
        ndim = draw(st.integers(0, len(result)))
        shape = result[len(result) - ndim:]
        ones = draw(st.lists(st.booleans(), min_size=ndim, max_size=ndim))
        pair.append(tuple(1 if one else n for n, one in zip(shape, ones)))
    return tuple(pair)


@st.composite
def reduction_dims(draw, ndim):
    """(dim, keepdim) for a reduction: an int or a tuple of distinct dims, maybe negative."""
    if ndim == 0:
        dim = draw(st.sampled_from([0, -1, ()]))  # a 0-d tensor accepts dim 0 and -1
    else:
        axes = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
        axes = [a - ndim if draw(st.booleans()) else a for a in axes]  # some as negative
        dim = axes[0] if len(axes) == 1 and draw(st.booleans()) else tuple(axes)
    return dim, draw(st.booleans())


@st.composite
def arrays(draw, shape, low=-2.0, high=2.0, dtype="float32"):
    """An array of `shape` with values in [low, high] (floats) or booleans/ints."""
    size = int(np.prod(shape))
    if dtype == "bool":
        values = draw(st.lists(st.booleans(), min_size=size, max_size=size))
    elif np.dtype(dtype).kind in "iu":
        values = draw(st.lists(st.integers(int(low), int(high)), min_size=size, max_size=size))
    else:
        element = st.floats(low, high, width=np.dtype(dtype).itemsize * 8)
        values = draw(st.lists(element, min_size=size, max_size=size))
    return np.array(values, dtype=dtype).reshape(shape)


@st.composite
def permuted_arrays(draw, shape, low=-2.0, high=2.0, dtype="float32"):
    """An array of `shape` whose memory is laid out in another dim order (non-contiguous)."""
    order = draw(st.permutations(range(len(shape))))
    stored = draw(arrays(tuple(shape[d] for d in order), low, high, dtype))
    return stored.transpose(np.argsort(order))  # logical shape `shape`, strides permuted
