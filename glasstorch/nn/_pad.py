"""torch.nn.functional.pad: constant, reflect, replicate and circular padding.

Constant padding writes the input into a filled tensor (negative amounts crop first).
The other modes only copy input elements: output position j of a padded dim reads input
position i = j - left, mapped back into [0, n) by the mode:

    reflect    i < 0 -> -i,  i >= n -> 2(n-1) - i        (the border element is not repeated)
    replicate  i clamped to [0, n-1]
    circular   i mod n                                   (after cropping, as torch)

So a padded dim is cat(input[border indices before], input[a slice], input[border indices
after]): slices and index reads, whose backward (a scatter-add of the gradient) comes for
free. Negative amounts crop, as in torch. The border pieces are small, and the middle is a
plain slice, so the backward's scatter-add only runs over the borders.
"""

from ..ops.movement import cat

MODES = ("constant", "reflect", "replicate", "circular")
SPATIAL_NAMES = {1: "W", 2: "HW", 3: "DHW"}


def pad(input, pad, mode="constant", value=None):
    """Pads the last len(pad) // 2 dims, (left, right) pairs from the last dim backwards.

    See torch.nn.functional.pad.
    """
    if mode not in MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    pad = _ints(pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) > 2 * input.ndim:
        raise RuntimeError("Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of dimension "
                           f"{input.ndim}")
    # (left, right) for each padded dim, in dim order: the last pair of pad is the first dim
    pairs = [(pad[i], pad[i + 1]) for i in range(len(pad) - 2, -1, -2)]
    first = input.ndim - len(pairs)
    if mode == "constant":
        return _constant(input, first, pairs, 0 if value is None else value)
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    _check(input, pad, pairs, mode)
    result = input
    for dim, (left, right) in enumerate(pairs, start=first):
        if left or right:
            result = _pad_dim(result, dim, left, right, mode)
    # torch returns new memory; a crop alone (or no padding at all) would be a view of the input
    return result if any(left > 0 or right > 0 for left, right in pairs) else result.clone()


def _ints(pad):
    pad = tuple(pad)
    for i, amount in enumerate(pad):
        if not hasattr(amount, "__index__"):
            raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, but found "
                            f"element of type {type(amount).__name__} at pos {i}")
    return tuple(amount.__index__() for amount in pad)


def _constant(input, first, pairs, value):
    amounts = [(0, 0)] * first + pairs
    if any(n + min(left, 0) + min(right, 0) < 0 for (left, right), n in zip(amounts, input.shape)):
        raise RuntimeError("narrow(): length must be non-negative.")
    crop = tuple(slice(max(-lo, 0), n - max(-hi, 0)) for (lo, hi), n in zip(amounts, input.shape))
    input = input[crop]
    shape = tuple(n + max(lo, 0) + max(hi, 0) for (lo, hi), n in zip(amounts, input.shape))
    result = input.new_full(shape, value)
    inside = tuple(slice(max(lo, 0), max(lo, 0) + n) for (lo, _), n in zip(amounts, input.shape))
    result[inside] = input
    return result


def _check(input, pad, pairs, mode):
    """torch's checks for the non-constant modes: which dims, and how much padding."""
    d, ndim, shape = len(pairs), input.ndim, list(input.shape)
    if d not in (1, 2, 3) or ndim not in (d + 1, d + 2):
        raise NotImplementedError(f"Padding size {len(pad)} is not supported for {ndim}D input "
                                  "tensor.")
    sizes = shape[ndim - d:]
    if mode == "circular":
        for (left, right), n in zip(pairs, sizes):
            if left > n or right > n:
                raise RuntimeError("Padding value causes wrapping around more than once.")
            if n + left + right < 0:
                raise RuntimeError("Negative padding value is resulting in an empty dimension")
        return
    # reflect and replicate: every dim but the batch dim must be non-empty
    if 0 in shape[ndim - d - 1:]:
        raise RuntimeError(f"Expected {d + 1}D or {d + 2}D (batch mode) tensor with possibly 0 "
                           "batch size and other non-zero dimensions for input, but got: "
                           f"{shape}")
    if mode == "reflect":
        # torch checks the last dim first; its pad is argument #4, the one before #6, ...
        for k in range(d):
            dim = ndim - 1 - k
            left, right = pairs[d - 1 - k]
            if left >= shape[dim] or right >= shape[dim]:
                raise RuntimeError(
                    f"Argument #{4 + 2 * k}: Padding size should be less than the corresponding "
                    f"input dimension, but got: padding ({left}, {right}) at dimension {dim} of "
                    f"input {shape}")
    out = [n + left + right for (left, right), n in zip(pairs, sizes)]
    if all(o < 1 for o in out) or any(o < 0 for o in out):
        names = SPATIAL_NAMES[d]
        raise RuntimeError(f"input ({', '.join(f'{c}: {n}' for c, n in zip(names, sizes))}) is "
                           "too small. Calculated output "
                           f"{' '.join(f'{c}: {o}' for c, o in zip(names, out))}")


def _source(i, n, mode):
    """The input position that padded position i (in input coordinates) copies."""
    if mode == "circular":
        return i % n
    if mode == "replicate":
        return min(max(i, 0), n - 1)
    return -i if i < 0 else 2 * (n - 1) - i  # reflect (only called outside [0, n))


def _pad_dim(x, dim, left, right, mode):
    n = x.shape[dim]
    lead = (slice(None),) * dim
    if mode == "circular" and (left < 0 or right < 0):
        # torch crops first, then wraps around what is left
        x = x[lead + (slice(max(-left, 0), n - max(-right, 0)),)]
        left, right, n = max(left, 0), max(right, 0), x.shape[dim]
        if n == 0 and (left or right):
            raise RuntimeError("Padding value causes wrapping around more than once.")
    positions = range(-left, n + right)
    before = [_source(i, n, mode) for i in positions if i < 0]
    after = [_source(i, n, mode) for i in positions if i >= n]
    start, stop = max(-left, 0), min(n + right, n)
    pieces = []
    if before:
        pieces.append(x[lead + (before,)])
    if start < stop or not (before or after):  # the middle slice (possibly empty)
        pieces.append(x[lead + (slice(start, max(start, stop)),)])
    if after:
        pieces.append(x[lead + (after,)])
    return cat(pieces, dim) if len(pieces) > 1 else pieces[0]
