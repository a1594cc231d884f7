"""In-place writes through a view, recorded as torch records them (its CopySlices).

A view shares its base's memory: after `v = x.reshape(-1, 4)` or `v = x[1:]`, an in-place op
on v (`v[mask] = 0`, `v += 1`) changes x too, and the graph must say so. The op is computed
out of place as usual (result = op(v)); then

    x's new value = x's old value with v's region replaced by result     (ReplaceRegion)
    v             = that region of x's new value                         (RegionView)

so a gradient reaching x flows to x's old history outside the region and through the op
inside it. The region is v's place in x's memory: its shape, strides and offset in elements,
which describes every kind of view (reshape, slice, transpose, select, ...). x's memory must
be C-contiguous for those numbers to address a gradient array of x's shape.
"""

from ..autograd.function import Function
from ..device import address


class Region:
    """Where a view lies in its base's (C-contiguous) memory, counted in elements."""

    __slots__ = ("base_shape", "shape", "strides", "offset")

    def __init__(self, base_shape, shape, strides, offset):
        self.base_shape, self.shape, self.strides, self.offset = base_shape, shape, strides, offset

    def of(self, xp, array):
        """The region of `array` (shaped like the base, C-contiguous) as a strided view."""
        item = array.itemsize
        return xp.lib.stride_tricks.as_strided(
            array.reshape(-1)[self.offset:], self.shape, tuple(s * item for s in self.strides))


def region_of(base, view):
    """The Region of array `view` inside array `base`, or None where base's memory is not
    C-contiguous (or the dtypes differ): there elements cannot be addressed by offset."""
    if not base.flags.c_contiguous or base.dtype != view.dtype:
        return None
    item = base.itemsize
    offset, remainder = divmod(address(view) - address(base), item)
    if remainder or any(s % item for s in view.strides):
        return None
    return Region(base.shape, view.shape, tuple(s // item for s in view.strides), offset)


class ReplaceRegion(Function):
    """base with its region set to values; the write into base's memory is this forward.

    backward: grad_base = grad with the region zeroed, grad_values = the region of grad
    """

    _primitive = True

    def name(self):
        return "CopySlices"  # torch's name for this node

    @staticmethod
    def forward(ctx, base, values, region):
        ctx.region = region
        region.of(ctx.xp, base)[...] = values
        return base

    @staticmethod
    def backward(ctx, grad):
        return ClearRegion.apply(grad, ctx.region), TakeRegion.apply(grad, ctx.region), None


class RegionView(Function):
    """The region of base, as a view (a view after an in-place write: torch's AsStrided).

    backward: grad_base = zeros shaped like base, with grad in the region
    """

    _primitive = True
    _is_view = True

    def name(self):
        return "AsStridedBackward0"

    @staticmethod
    def forward(ctx, base, region):
        ctx.region = region
        return region.of(ctx.xp, base)

    @staticmethod
    def backward(ctx, grad):
        return PutRegion.apply(grad, ctx.region), None


class TakeRegion(Function):
    """A copy of the region of x.

    backward: grad_x = zeros shaped like the base, with grad in the region
    """

    _primitive = True

    @staticmethod
    def forward(ctx, x, region):
        ctx.region = region
        return ctx.xp.ascontiguousarray(region.of(ctx.xp, ctx.xp.ascontiguousarray(x)))

    @staticmethod
    def backward(ctx, grad):
        return PutRegion.apply(grad, ctx.region), None


class PutRegion(Function):
    """Zeros shaped like the base, with values in the region (TakeRegion's adjoint).

    backward: grad_values = the region of grad
    """

    _primitive = True

    @staticmethod
    def forward(ctx, values, region):
        ctx.region = region
        y = ctx.xp.zeros(region.base_shape, dtype=values.dtype)
        region.of(ctx.xp, y)[...] = values
        return y

    @staticmethod
    def backward(ctx, grad):
        return TakeRegion.apply(grad, ctx.region), None


class ClearRegion(Function):
    """A copy of x with its region zeroed (its own adjoint).

    backward: grad_x = grad with the region zeroed
    """

    _primitive = True

    @staticmethod
    def forward(ctx, x, region):
        ctx.region = region
        y = ctx.xp.array(x, order="C")
        region.of(ctx.xp, y)[...] = 0
        return y

    @staticmethod
    def backward(ctx, grad):
        return ClearRegion.apply(grad, ctx.region), None
