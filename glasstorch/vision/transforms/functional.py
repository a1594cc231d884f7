"""torchvision.transforms.functional: the maths of the transforms, on PIL images and tensors.

Images are PIL images (Pillow, imported when an image is handled) or tensors of shape
(..., C, H, W). resize on a PIL image is PIL's own resize, exactly as torchvision does it;
on a tensor it is F.interpolate.
"""

from enum import Enum

import numpy as np

import glasstorch
from glasstorch.nn import functional as F


def _pil_image():
    """The PIL.Image module, or an ImportError saying how to get it."""
    try:
        from PIL import Image
    except ImportError as error:
        raise ImportError("glasstorch.vision needs Pillow for images, as torchvision does: "
                          "pip install pillow") from error
    return Image


def _is_pil_image(img):
    try:
        from PIL import Image
    except ImportError:
        return False
    return isinstance(img, Image.Image)


class InterpolationMode(Enum):
    """Interpolation modes of Resize. See torchvision.transforms.InterpolationMode."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


# Pillow's integer constants (Image.Resampling) of each mode
PIL_MODES = {InterpolationMode.NEAREST: 0, InterpolationMode.NEAREST_EXACT: 0,
             InterpolationMode.BILINEAR: 2, InterpolationMode.BICUBIC: 3,
             InterpolationMode.BOX: 4, InterpolationMode.HAMMING: 5, InterpolationMode.LANCZOS: 1}
MODES_OF_PIL = {0: InterpolationMode.NEAREST, 2: InterpolationMode.BILINEAR,
                3: InterpolationMode.BICUBIC, 4: InterpolationMode.BOX,
                5: InterpolationMode.HAMMING, 1: InterpolationMode.LANCZOS}


def to_tensor(pic):
    """See torchvision.transforms.functional.to_tensor."""
    if isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        array = pic[:, :, None] if pic.ndim == 2 else pic
    elif _is_pil_image(pic):
        # the modes numpy cannot read as bytes: 32-bit ints, 16-bit ints, floats
        types = {"I": np.int32, "I;16": np.int16, "F": np.float32}
        array = np.array(pic, types.get(pic.mode, np.uint8), copy=True)
        if pic.mode == "1":
            array = 255 * array
        array = array.reshape(pic.size[1], pic.size[0], len(pic.getbands()))
    else:
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    img = glasstorch.from_numpy(np.ascontiguousarray(array.transpose(2, 0, 1)))
    if img.dtype == glasstorch.uint8:
        return img.to(dtype=glasstorch.get_default_dtype()).div(255)
    return img


def normalize(tensor, mean, std, inplace=False):
    """See torchvision.transforms.functional.normalize."""
    if not isinstance(tensor, glasstorch.Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). Got "
                         f"tensor.size() = {tensor.size()}")
    mean = glasstorch.as_tensor(mean, dtype=tensor.dtype, device=tensor.device)
    std = glasstorch.as_tensor(std, dtype=tensor.dtype, device=tensor.device)
    if (std == 0).any():
        raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading to "
                         "division by zero.")
    if mean.ndim == 1:
        mean = mean.view(-1, 1, 1)
    if std.ndim == 1:
        std = std.view(-1, 1, 1)
    if inplace:
        return tensor.sub_(mean).div_(std)
    return (tensor - mean) / std


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """See torchvision.transforms.functional.resize."""
    if isinstance(interpolation, int):
        interpolation = MODES_OF_PIL[interpolation]
    elif not isinstance(interpolation, InterpolationMode):
        raise TypeError("Argument interpolation should be a InterpolationMode or a corresponding "
                        "Pillow integer constant")
    if isinstance(size, int):
        size = [size]
    if isinstance(img, glasstorch.Tensor):
        if img.ndim < 2:
            raise TypeError("Tensor is not a torch image.")
        height, width = img.shape[-2:]
    elif _is_pil_image(img):
        width, height = img.size
    else:
        raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")
    output_size = _compute_resized_output_size((height, width), size, max_size)
    if [height, width] == output_size:
        return img
    if not isinstance(img, glasstorch.Tensor):
        return img.resize(tuple(output_size[::-1]), PIL_MODES[interpolation])
    return _resize_tensor(img, output_size, interpolation, antialias)


def _compute_resized_output_size(image_size, size, max_size=None):
    """[new_h, new_w]; a one-value size is the smaller edge, the longer one rounded down."""
    height, width = image_size
    if len(size) == 2:
        return [size[0], size[1]]
    short, long = (width, height) if width <= height else (height, width)
    requested_new_short = size[0]
    new_short, new_long = requested_new_short, int(requested_new_short * long / short)
    if max_size is not None:
        if max_size <= requested_new_short:
            raise ValueError(f"max_size = {max_size} must be strictly greater than the requested "
                             f"size for the smaller edge size = {size}")
        if new_long > max_size:
            new_short, new_long = int(max_size * new_short / new_long), max_size
    new_width, new_height = (new_short, new_long) if width <= height else (new_long, new_short)
    return [new_height, new_width]


def _resize_tensor(img, output_size, interpolation, antialias):
    """F.interpolate over the last two dims; integer images are rounded back, as torchvision."""
    if interpolation not in (InterpolationMode.NEAREST, InterpolationMode.NEAREST_EXACT,
                             InterpolationMode.BILINEAR, InterpolationMode.BICUBIC):
        raise ValueError("Tensor images can be resized with nearest, nearest-exact, bilinear or "
                         f"bicubic interpolation, not {interpolation.value}")
    mode = interpolation.value
    smooth = mode in ("bilinear", "bicubic")
    out_dtype = img.dtype
    x = img if img.dtype in (glasstorch.float32, glasstorch.float64) else img.float()
    leading = img.shape[:-2]
    x = x.reshape(-1, 1, *img.shape[-2:])  # every channel of every image is resized alike
    x = F.interpolate(x, size=output_size, mode=mode, align_corners=False if smooth else None,
                      antialias=bool(antialias) and smooth)
    x = x.reshape(*leading, *output_size)
    if out_dtype == x.dtype:
        return x
    if mode == "bicubic" and out_dtype == glasstorch.uint8:
        x = x.clamp(0, 255)
    if not out_dtype.is_floating_point:
        x = x.round()
    return x.to(out_dtype)
