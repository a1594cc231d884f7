"""torch.nn.functional.interpolate: resize along each spatial axis by a matrix product.

Every mode is separable, so resizing an axis of size n_in to n_out is `W @ x` along that
axis, with W an (n_out x n_in) matrix of interpolation weights: two non-zeros per row for
linear, four for cubic, a filter as wide as the scale when antialiasing (PIL's resampling),
a box for 'area'. Nearest modes pick rows (index_select). The weights follow torch's
source-index formulas (aten/src/ATen/native/UpSample.h), and the gradient is Wᵀ grad,
which the matmul already gives: there is no backward to write.
"""

import math

# The weight matrices are small and depend only on the sizes, so they are built on the host
# with numpy (vectorized) and then moved to the input's device.
import numpy as np

from .. import creation

DIMS_OF_MODE = {"nearest": (3, 4, 5), "nearest-exact": (3, 4, 5), "area": (3, 4, 5),
                "linear": (3,), "bilinear": (4,), "bicubic": (4,), "trilinear": (5,)}
SPATIAL_NAMES = {1: ("W",), 2: ("H", "W"), 3: ("D", "H", "W")}


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Down/up samples the input to `size` or by `scale_factor`. See torch.nn.functional.interpolate."""
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    dim = input.dim() - 2
    output_size, scales = _output_size(input, size, scale_factor, dim, recompute_scale_factor)
    if mode == "area":
        scales = [None] * dim  # torch's area mode is adaptive_avg_pool over output_size
    if antialias and not (mode in ("bilinear", "bicubic") and input.dim() == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes "
                         "and requires a 4-D tensor as input")
    _check_mode(input, mode)
    _check_sizes(input, output_size)
    x = input
    for axis, (n_out, scale) in enumerate(zip(output_size, scales), start=2):
        n_in = input.shape[axis]
        if mode in ("nearest", "nearest-exact"):
            rows = _nearest_rows(n_in, n_out, scale, mode == "nearest-exact")
            x = x.index_select(axis, creation.tensor(rows, device=input.device))
            continue
        if not input.is_floating_point():
            raise NotImplementedError(f'"upsample_{mode}" not implemented for '
                                      f"'{_type_name(input)}'")
        weights = _weights(mode, n_in, n_out, align_corners, scale, antialias)
        w = creation.tensor(weights, dtype=input.dtype, device=input.device)
        if axis == input.dim() - 1:
            x = x @ w.T
        elif axis == input.dim() - 2:
            x = w @ x
        else:  # the depth of a 5-d input
            x = (w @ x.transpose(axis, -2)).transpose(axis, -2)
    return x


def _output_size(input, size, scale_factor, dim, recompute_scale_factor):
    """(output sizes, scale factors or Nones) of the spatial axes, checked as torch does."""
    spatial = list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got "
                    f"input with spatial dimensions of {spatial} and output size of {size}. "
                    "Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                    "output size in (o1, o2, ...,oK) format.")
            if not all(isinstance(s, int) or _is_integer_tensor(s) for s in size):
                raise TypeError(
                    "expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                    f"Tuple[int, int, int], but got size with types {[type(s) for s in size]}")
            output_size = [int(s) for s in size]
        else:
            output_size = [int(size)] * dim
        if recompute_scale_factor:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        return output_size, [None] * dim
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if isinstance(scale_factor, (list, tuple)):
        if len(scale_factor) != dim:
            raise ValueError(
                "Input and scale_factor must have the same number of spatial dimensions, but "
                f"got input with spatial dimensions of {spatial} and "
                f"scale_factor of shape {scale_factor}. "
                "Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                "scale_factor in (s1, s2, ...,sK) format.")
        scales = [float(s) for s in scale_factor]
    else:
        scales = [float(scale_factor)] * dim
    output_size = [math.floor(n * s) for n, s in zip(spatial, scales)]
    if recompute_scale_factor:
        return output_size, [None] * dim  # the weights come from the sizes alone
    return output_size, scales


def _is_integer_tensor(value):
    return hasattr(value, "is_floating_point") and value.dim() == 0 and \
        not value.is_floating_point()


def _check_mode(input, mode):
    if input.dim() in DIMS_OF_MODE.get(mode, ()):
        return
    if mode in ("linear", "bilinear", "trilinear", "bicubic") and input.dim() in (3, 4, 5):
        wanted = {"linear": "3D", "bilinear": "4D", "bicubic": "4D", "trilinear": "5D"}[mode]
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs {wanted} input")
    if mode == "lanczos" and input.dim() in (3, 4, 5):
        raise NotImplementedError("glasstorch's interpolate has no mode 'lanczos' yet")
    raise NotImplementedError(
        "Input Error: Only 3D, 4D and 5D input Tensors supported"
        f" (got {input.dim()}D) for the modes: nearest | linear | bilinear | bicubic | trilinear"
        f" | lanczos | area | nearest-exact (got {mode})")


def _check_sizes(input, output_size):
    if all(n > 0 for n in output_size) and all(n > 0 for n in input.shape[2:]):
        return
    names = SPATIAL_NAMES[len(output_size)]
    given = ", ".join(f"{name}: {n}" for name, n in zip(names, input.shape[2:]))
    wanted = ", ".join(f"{name}: {n}" for name, n in zip(names, output_size))
    raise RuntimeError("Input and output sizes should be greater than 0, but got "
                       f"input ({given}) output ({wanted})")


def _type_name(input):
    return {"float16": "Half", "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
            "uint8": "Byte", "bool": "Bool"}.get(str(input.dtype).replace("torch.", ""), "")


def _scale(n_in, n_out, align_corners, scale):
    """torch's area_pixel_compute_scale: source pixels per output pixel."""
    if align_corners:
        return (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    if scale is not None and scale > 0:
        return 1.0 / scale
    return n_in / n_out


def _nearest_rows(n_in, n_out, scale, exact):
    """The source row of each output row: floor(i * scale) ('nearest') or floor((i + .5) * scale).

    With torch's float32 scale and rounding (nearest_idx, nearest_exact_idx): an index
    computed in float64 can round the other way.
    """
    i = np.arange(n_out)
    if not exact and n_out == n_in:
        return i
    if not exact and n_out == 2 * n_in:
        return i // 2  # torch's shortcut for an exact doubling
    step = np.float32(1.0 / scale) if scale is not None and scale > 0 else \
        np.float32(n_in) / np.float32(n_out)
    if exact:  # (i + 0.5) is a double in torch's formula; floorf rounds the product to float
        source = ((i + 0.5) * np.float64(step)).astype(np.float32)
    else:
        source = i.astype(np.float32) * step
    return np.minimum(np.floor(source).astype(np.int64), n_in - 1)


def _weights(mode, n_in, n_out, align_corners, scale, antialias):
    """The (n_out, n_in) matrix W of one axis: output = W @ input along that axis."""
    if mode == "area":
        weights = _area_weights(n_in, n_out)
    elif antialias:
        weights = _filter_weights(n_in, n_out, _scale(n_in, n_out, align_corners, scale),
                                  cubic=mode == "bicubic")
    elif mode == "bicubic":
        weights = _cubic_weights(n_in, n_out, _scale(n_in, n_out, align_corners, scale),
                                 align_corners)
    else:
        weights = _linear_weights(n_in, n_out, _scale(n_in, n_out, align_corners, scale),
                                  align_corners)
    return weights


def _source_index(scale, n_out, align_corners, cubic):
    """torch's area_pixel_compute_source_index for every output pixel."""
    i = np.arange(n_out, dtype=np.float64)
    if align_corners:
        return scale * i
    source = scale * (i + 0.5) - 0.5
    return source if cubic else np.maximum(source, 0.0)


def _linear_weights(n_in, n_out, scale, align_corners):
    source = _source_index(scale, n_out, align_corners, cubic=False)
    left = source.astype(np.int64)  # source >= 0: truncation is floor
    right = left + (left < n_in - 1)
    fraction = source - left
    rows = np.arange(n_out)
    weights = np.zeros((n_out, n_in))
    np.add.at(weights, (rows, left), 1.0 - fraction)
    np.add.at(weights, (rows, right), fraction)
    return weights


def _cubic_weights(n_in, n_out, scale, align_corners, a=-0.75):
    """Keys' cubic convolution on the 4 neighbours, indices clamped at the borders."""
    source = _source_index(scale, n_out, align_corners, cubic=True)
    left = np.minimum(np.floor(source).astype(np.int64), n_in - 1)
    t = np.clip(source - left, 0.0, 1.0)
    coefficients = [_cubic(t + 1, a), _cubic(t, a), _cubic(1 - t, a), _cubic(2 - t, a)]
    rows = np.arange(n_out)
    weights = np.zeros((n_out, n_in))
    for k, coefficient in enumerate(coefficients):
        np.add.at(weights, (rows, np.clip(left - 1 + k, 0, n_in - 1)), coefficient)
    return weights


def _cubic(x, a):
    """The cubic convolution kernel (Keys, 1981) at |x| < 2."""
    x = np.abs(x)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return np.where(x <= 1, near, np.where(x < 2, far, 0.0))


def _filter_weights(n_in, n_out, scale, cubic):
    """Antialiased resampling (PIL's, as torch's _upsample_*_aa): when shrinking, the filter
    (triangle, or cubic with a = -0.5) widens by the scale so every input pixel contributes."""
    support = (2.0 if cubic else 1.0) * max(scale, 1.0)
    inverse_scale = 1.0 / scale if scale >= 1.0 else 1.0
    weights = np.zeros((n_out, n_in))
    for i in range(n_out):
        center = scale * (i + 0.5)
        start = max(int(center - support + 0.5), 0)
        stop = min(int(center + support + 0.5), n_in)
        x = (np.arange(start, stop) - center + 0.5) * inverse_scale
        w = _cubic(x, -0.5) if cubic else np.maximum(1.0 - np.abs(x), 0.0)
        total = w.sum()
        weights[i, start:stop] = w / total if total != 0 else w
    return weights


def _area_weights(n_in, n_out):
    """adaptive_avg_pool's windows: output i averages inputs floor(i n_in/n_out) .. ceil(...)."""
    weights = np.zeros((n_out, n_in))
    for i in range(n_out):
        start = (i * n_in) // n_out
        stop = -((-(i + 1) * n_in) // n_out)
        weights[i, start:stop] = 1.0 / (stop - start)
    return weights
