"""default_collate (a list of samples -> a batch) and default_convert (numpy -> tensors).
See torch.utils.data.default_collate."""

import collections.abc
import copy
import re

from ..._tensor import Tensor
from ...creation import as_tensor, tensor
from ...dtypes import float64
from ...ops.movement import stack

_STRING_OR_OBJECT_DTYPE = re.compile(r"[SaUO]")
_ERROR = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)


def _is_numpy(data):
    # like torch, recognise numpy by the type's module, so this file needs no numpy import
    return type(data).__module__ == "numpy" and not isinstance(data, (str, bytes))


def default_collate(batch):
    """Stack a list of samples into a batch: tensors, numpy arrays and numbers become one tensor
    with a new first dimension; tuples, lists, dicts and namedtuples are collated field by
    field; strings stay a list."""
    elem = batch[0]
    elem_type = type(elem)
    if isinstance(elem, Tensor):
        return stack(batch, 0)
    if isinstance(elem, (str, bytes)):
        return batch
    if _is_numpy(elem):
        if elem_type.__name__ == "ndarray" or elem_type.__name__ == "memmap":
            if _STRING_OR_OBJECT_DTYPE.search(elem.dtype.str) is not None:
                raise TypeError(_ERROR.format(elem.dtype))
            return default_collate([as_tensor(b) for b in batch])
        return as_tensor(batch)  # numpy scalars keep their dtype
    if isinstance(elem, float):
        return tensor(batch, dtype=float64)  # Python floats are doubles, as in torch
    if isinstance(elem, int):
        return tensor(batch)  # int64, or bool for bools
    if isinstance(elem, collections.abc.Mapping):
        return _same_mapping(elem, {key: default_collate([d[key] for d in batch]) for key in elem})
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(*(default_collate(samples) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if any(len(sample) != len(elem) for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        fields = [default_collate(samples) for samples in zip(*batch)]
        if isinstance(elem, tuple):
            return fields  # a plain tuple becomes a list, as in torch
        return _same_sequence(elem, fields)
    raise TypeError(_ERROR.format(elem_type))


def default_convert(data):
    """Turn numpy arrays and scalars (also inside dicts, tuples and lists) into tensors; leave
    everything else as it is. The collate_fn when auto-batching is off (batch_size=None)."""
    if isinstance(data, Tensor):
        return data
    if _is_numpy(data):
        if type(data).__name__ == "ndarray" and _STRING_OR_OBJECT_DTYPE.search(data.dtype.str):
            return data
        return as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return _same_mapping(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _same_sequence(data, [default_convert(d) for d in data])
    return data


def _same_mapping(like, values):
    """`values` (a dict) in the mapping type of `like`, falling back to a dict."""
    try:
        if isinstance(like, collections.abc.MutableMapping):
            clone = copy.copy(like)
            clone.update(values)
            return clone
        return type(like)(values)
    except TypeError:
        return values


def _same_sequence(like, values):
    """`values` (a list) in the sequence type of `like`, falling back to a list."""
    try:
        if isinstance(like, collections.abc.MutableSequence):
            clone = copy.copy(like)
            for i, value in enumerate(values):
                clone[i] = value
            return clone
        return type(like)(values)
    except TypeError:
        return values
