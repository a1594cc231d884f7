"""save / load in the .pt format torch.save writes. See torch.save, torch.load.

A .pt file is a zip archive (stored, not compressed):

    archive/data.pkl      the object, pickled (protocol 2); every tensor is
                          torch._utils._rebuild_tensor_v2(storage, offset, size, stride,
                          requires_grad, backward_hooks) with the storage as a persistent id
                          ('storage', torch.FloatStorage, key, location, numel)
    archive/data/<key>    the raw little-endian bytes of storage <key>
    archive/byteorder     b"little"
    archive/version       b"3\\n"

Loading never runs code from the file: the unpickler knows a short list of globals (the
ones torch.load(weights_only=True) allows) and refuses every other one. With
weights_only=False it also knows nn.Module classes, so that a whole saved model loads.
"""

import collections
import importlib
import io
import os
import pickle
import secrets
import sys
import typing
import zipfile

import numpy as np

from . import dtypes
from ._tensor import Size, Tensor
from .device import device as _device

_ALIGNMENT = 64  # torch aligns storage records to 64 bytes, so they can be mmap-ed
_STORAGE_DTYPES = {  # torch's legacy storage class names, one per dtype
    "FloatStorage": dtypes.float32, "DoubleStorage": dtypes.float64,
    "HalfStorage": dtypes.float16, "LongStorage": dtypes.int64, "IntStorage": dtypes.int32,
    "ShortStorage": dtypes.int16, "CharStorage": dtypes.int8, "ByteStorage": dtypes.uint8,
    "BoolStorage": dtypes.bool,
}
_STORAGE_NAMES = {dtype: name for name, dtype in _STORAGE_DTYPES.items()}


# ---------------------------------------------------------------- save

class _Global:
    """A global named as `module.name` in the pickle, written without importing it.

    The file must name torch's functions (torch._utils._rebuild_tensor_v2) so that PyTorch
    can read it, yet glasstorch must write it without torch installed.
    """

    def __init__(self, module, name):
        self.module = module
        self.name = name

    def __call__(self, *args):  # pickle's save_reduce insists on a callable
        raise TypeError(f"{self.module}.{self.name} is a name in a pickle, not a function")


_REBUILD_TENSOR = _Global("torch._utils", "_rebuild_tensor_v2")
_REBUILD_PARAMETER = _Global("torch._utils", "_rebuild_parameter")
_TORCH_SIZE = _Global("torch", "Size")
_TORCH_DEVICE = _Global("torch", "device")


class _Storage:
    """One contiguous array written as archive/data/<key>; location: "cpu" or "cuda:0"."""

    def __init__(self, key, array, location):
        self.key = key
        self.array = array
        self.location = location


class _Rebuilt:
    """A call to write as REDUCE inside another (the tensor inside _rebuild_parameter)."""

    def __init__(self, func, args):
        self.func = func
        self.args = args


class _Pickler(pickle._Pickler):
    """The pure-Python pickler, taught torch's way of writing tensors, dtypes, Size and device.

    (The C pickler cannot write a global it cannot import, hence the Python one; only the
    small skeleton of the object goes through it, the tensor bytes are written directly.)
    """

    dispatch: typing.ClassVar[dict] = dict(pickle._Pickler.dispatch)

    def __init__(self, file):
        super().__init__(file, protocol=2)
        self.storages = []

    def persistent_id(self, obj):
        if not isinstance(obj, _Storage):
            return None
        dtype = dtypes.from_numpy(obj.array.dtype)
        storage_type = _Global("torch", _STORAGE_NAMES[dtype])
        return ("storage", storage_type, obj.key, obj.location, obj.array.size)

    def _save_global_name(self, obj):
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())
        self.memoize(obj)

    def _save_tensor(self, tensor):
        array = tensor.detach().cpu()._data
        if not array.flags.c_contiguous:  # (not np.ascontiguousarray: it makes 0-d 1-d)
            array = array.copy(order="C")
        array = array.astype(array.dtype.newbyteorder("<"), copy=False)  # no-op on x86/ARM
        dev = tensor.device
        location = "cpu" if dev.type == "cpu" else f"{dev.type}:{dev.index or 0}"
        storage = _Storage(str(len(self.storages)), array, location)
        self.storages.append(storage)
        stride = _contiguous_stride(array.shape)
        hooks = collections.OrderedDict()  # backward hooks: torch writes an empty one
        if _is_parameter(tensor):  # as torch: the data without grad, inside _rebuild_parameter
            data = _Rebuilt(_REBUILD_TENSOR, (storage, 0, array.shape, stride, False, hooks))
            self.save_reduce(_REBUILD_PARAMETER, (data, tensor.requires_grad, hooks), obj=tensor)
        else:
            args = (storage, 0, array.shape, stride, tensor.requires_grad, hooks)
            self.save_reduce(_REBUILD_TENSOR, args, obj=tensor)

    def _save_rebuilt(self, obj):
        self.save_reduce(obj.func, obj.args)

    def _save_dtype(self, dtype):
        self._save_global_name(_Global("torch", dtype.name))

    def _save_size(self, size):
        self.save_reduce(_TORCH_SIZE, (tuple(size),), obj=size)

    def _save_device(self, dev):
        args = (dev.type,) if dev.index is None else (dev.type, dev.index)
        self.save_reduce(_TORCH_DEVICE, args, obj=dev)

    def save(self, obj, save_persistent_id=True):
        if isinstance(obj, Tensor) and id(obj) not in self.memo:
            return self._save_tensor(obj)  # subclasses (Parameter) included; seen ones: memo
        return super().save(obj, save_persistent_id)

    dispatch[_Global] = _save_global_name
    dispatch[_Rebuilt] = _save_rebuilt
    dispatch[dtypes.dtype] = _save_dtype
    dispatch[Size] = _save_size
    dispatch[_device] = _save_device


def _contiguous_stride(shape):
    stride, step = [], 1
    for n in reversed(shape):
        stride.append(step)
        step *= max(n, 1)
    return tuple(reversed(stride))


def _is_parameter(tensor):
    try:
        from .nn import Parameter  # lazily: glasstorch/__init__ may import us before nn
    except ImportError:
        return False
    return isinstance(tensor, Parameter)


def _write_aligned(archive, name, data):
    """Add a stored record whose data starts on a multiple of _ALIGNMENT (as torch does)."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    header_end = archive.fp.tell() + 30 + len(name.encode("utf-8")) + 4  # 4: the extra header
    padding = -header_end % _ALIGNMENT
    info.extra = b"FB" + padding.to_bytes(2, "little") + b"Z" * padding  # torch's padding id
    archive.writestr(info, data)


def _write_archive(file, pickled, storages):
    with zipfile.ZipFile(file, "w", zipfile.ZIP_STORED) as archive:
        _write_aligned(archive, "archive/data.pkl", pickled)
        _write_aligned(archive, "archive/byteorder", b"little")
        for storage in storages:
            _write_aligned(archive, f"archive/data/{storage.key}", storage.array.tobytes())
        _write_aligned(archive, "archive/version", b"3\n")


def save(obj, f, pickle_module=None, pickle_protocol=2, _use_new_zipfile_serialization=True):
    """Write `obj` to a path or a binary file object. See torch.save.

    A path is written atomically: into a temporary file beside it, then renamed over it, so
    a failure (or a crash) part way leaves the old file as it was.
    """
    buffer = io.BytesIO()
    pickler = _Pickler(buffer)
    pickler.dump(obj)  # a failure here happens before anything is written
    if not isinstance(f, (str, os.PathLike)):
        _write_archive(f, buffer.getvalue(), pickler.storages)
        return
    path = os.fspath(f)
    folder, name = os.path.split(os.path.abspath(path))
    temporary = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.tmp")
    # os.open with mode 0o666 lets the umask decide the permissions, as open(path, "wb") does
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as file:
            _write_archive(file, buffer.getvalue(), pickler.storages)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


# ---------------------------------------------------------------- load

class _StorageType:
    """What the unpickler returns for torch.FloatStorage and friends: just a dtype."""

    def __init__(self, dtype):
        self.dtype = dtype


class _LoadedStorage:
    def __init__(self, array, location):
        self.array = array  # 1-D, read-only
        self.location = location


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       metadata=None):
    """The tensor `size`/`stride` describes inside `storage`, copied out (so views work)."""
    array = storage.array
    size, stride = tuple(size), tuple(stride)
    if len(size) != len(stride) or any(n < 0 for n in size) or any(s < 0 for s in stride):
        raise pickle.UnpicklingError(f"invalid tensor: size {size}, stride {stride}")
    if 0 in size:
        result = np.empty(size, array.dtype)
    else:
        last = storage_offset + sum((n - 1) * s for n, s in zip(size, stride))
        if storage_offset < 0 or last >= array.size:  # never read outside the storage
            raise pickle.UnpicklingError(
                f"invalid tensor: size {size} stride {stride} offset {storage_offset} "
                f"reach past its storage of {array.size} elements"
            )
        view = np.lib.stride_tricks.as_strided(
            array[storage_offset:], size, [s * array.itemsize for s in stride], writeable=False
        )
        result = view.copy()
    tensor = Tensor._wrap(result)
    tensor = _to_location(tensor, storage.location)
    tensor.requires_grad = requires_grad
    return tensor


def _rebuild_parameter(data, requires_grad, backward_hooks, state=None):
    try:
        from .nn import Parameter
    except ImportError:  # nn not written yet: a plain tensor that requires grad
        return data.requires_grad_(requires_grad)
    return Parameter(data, requires_grad)


def _to_location(tensor, location):
    if location.startswith("cuda"):
        return tensor.to(location)
    return tensor


def _codecs_encode(text, encoding="latin1"):  # how protocol 2 writes bytes
    if encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError(f"unexpected encoding {encoding!r} for bytes")
    return text.encode(encoding)


_ALLOWED = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("collections", "Counter"): collections.Counter,
    ("builtins", "set"): set,
    ("builtins", "bytearray"): bytearray,
    ("builtins", "complex"): complex,
    ("_codecs", "encode"): _codecs_encode,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
    ("torch", "Size"): Size,
    ("torch", "device"): _device,
}
_ALLOWED.update({("__builtin__", name): value  # how protocol 2 spells builtins
                 for (module, name), value in list(_ALLOWED.items()) if module == "builtins"})
_ALLOWED.update({("torch", d.name): d for d in dtypes.ALL})
_ALLOWED.update({("torch", name): _StorageType(d) for name, d in _STORAGE_DTYPES.items()})


class _Unpickler(pickle._Unpickler):
    """Knows only the globals in _ALLOWED; storages come from the zip archive.

    The pure-Python unpickler, so that BUILD (set an object's state) can be refused on
    anything but a dict's attributes (a state_dict's `_metadata`): otherwise a file could
    rewrite glasstorch.float32 or a class of ours for the rest of the process.
    """

    dispatch: typing.ClassVar[dict] = dict(pickle._Unpickler.dispatch)

    def __init__(self, file, read_storage):
        super().__init__(file, encoding="utf-8")
        self.read_storage = read_storage

    def load_build(self):
        target = self.stack[-2]
        if type(target) not in (collections.OrderedDict, collections.Counter):
            raise pickle.UnpicklingError(
                f"glasstorch.load refused to set the state of a {type(target).__name__} object "
                "(only a state_dict's metadata may be set this way)"
            )
        super().load_build()

    dispatch[pickle.BUILD[0]] = load_build

    def find_class(self, module, name):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"glasstorch.load refused the global {module}.{name}: the file wants to call "
                "it, and glasstorch never runs code from a file (like torch.load with "
                "weights_only=True). Only tensors, state_dicts and plain Python values load."
            ) from None

    def persistent_load(self, saved_id):
        if not (isinstance(saved_id, tuple) and len(saved_id) == 5 and saved_id[0] == "storage"):
            raise pickle.UnpicklingError(f"unknown persistent id {saved_id!r}")
        _, storage_type, key, location, numel = saved_id
        if not isinstance(storage_type, _StorageType):
            raise pickle.UnpicklingError(f"unsupported storage type {storage_type!r}")
        return self.read_storage(storage_type.dtype, str(key), str(location), numel)


class _ModelUnpickler(_Unpickler):
    """weights_only=False: a whole saved model loads too. Besides _ALLOWED, the file may name
    nn.Module classes (and set their state): glasstorch's own, PyTorch's (looked up under
    `glasstorch.`, the same module layout) and the user's, from modules already imported.
    Nothing else is called and nothing new is imported, so the file still runs no code of
    its own (torch.load with weights_only=False would run any)."""

    dispatch: typing.ClassVar[dict] = dict(_Unpickler.dispatch)

    def load_build(self):
        target = self.stack[-2]
        if not isinstance(target, _module_class()):
            return _Unpickler.load_build(self)
        return pickle._Unpickler.load_build(self)

    dispatch[pickle.BUILD[0]] = load_build

    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            return _ALLOWED[(module, name)]
        if module == "torch" or module.startswith("torch."):
            module = "glasstorch" + module[len("torch"):]
        if module == "glasstorch" or module.startswith("glasstorch."):
            try:
                importlib.import_module(module)  # glasstorch's own modules only
            except ImportError:
                raise pickle.UnpicklingError(
                    f"glasstorch has no {module}.{name}, which the file needs") from None
        found = getattr(sys.modules.get(module), name, None)
        if isinstance(found, type) and issubclass(found, _module_class()):
            return found
        if found is None and module.startswith("glasstorch"):
            raise pickle.UnpicklingError(
                f"glasstorch has no {module}.{name}, which the file needs")
        return _Unpickler.find_class(self, module, name)  # refused, with the reason


def _module_class():
    from .nn import Module

    return Module


def _location(location, map_location):
    """Where a storage saved at `location` goes (torch's map_location rules, minus callables)."""
    if map_location is None:
        return location
    if isinstance(map_location, dict):
        return str(map_location.get(location, location))
    if isinstance(map_location, (str, _device)):
        return str(map_location)
    if callable(map_location):  # the old `lambda storage, loc: storage` idiom: keep on cpu
        return "cpu"
    raise TypeError(f"unsupported map_location {map_location!r}")


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None,
         **pickle_load_args):
    """Read an object written by save or torch.save. See torch.load.

    With weights_only=True (the default) only tensors, state_dicts and plain Python values
    load; weights_only=False also loads a whole saved model (its nn.Module classes), but,
    unlike torch, still calls nothing else a file names.
    """
    unpickler = _Unpickler if weights_only is None or weights_only else _ModelUnpickler
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as file:
            return _load_file(file, map_location, unpickler)
    return _load_file(f, map_location, unpickler)


def _load_file(file, map_location, unpickler=_Unpickler):
    if not zipfile.is_zipfile(file):
        raise RuntimeError(
            "glasstorch.load reads the zip-based format of torch.save (PyTorch >= 1.6); this "
            "file is not a zip archive (the legacy format is not supported)"
        )
    file.seek(0)
    with zipfile.ZipFile(file) as archive:
        pickles = [n for n in archive.namelist() if n.endswith("/data.pkl")]
        if not pickles:
            raise RuntimeError("not a torch checkpoint: the archive has no data.pkl")
        prefix = pickles[0][: -len("data.pkl")]
        byteorder = ">" if _read_if_present(archive, prefix + "byteorder") == b"big" else "<"
        storages = {}

        def read_storage(dtype, key, location, numel):
            if key not in storages:
                array = np.frombuffer(archive.read(f"{prefix}data/{key}"),
                                      dtype.np.newbyteorder(byteorder))
                if array.size != numel:
                    raise pickle.UnpicklingError(f"storage {key} holds {array.size} elements, "
                                                 f"the pickle says {numel}")
                array = array.astype(dtype.np, copy=False)  # to native byte order
                location = _location(location, map_location)
                if location.startswith("cuda") and not _cuda_available():
                    raise RuntimeError(
                        "Attempting to deserialize object on a CUDA device but "
                        "torch.cuda.is_available() is False. If you are running on a CPU-only "
                        "machine, please use torch.load with map_location=torch.device('cpu') "
                        "to map your storages to the CPU."
                    )
                storages[key] = _LoadedStorage(array, location)
            return storages[key]

        with archive.open(pickles[0]) as pickled:
            return unpickler(pickled, read_storage).load()


def _read_if_present(archive, name):
    try:
        return archive.read(name)
    except KeyError:
        return None


def _cuda_available():
    from .device import cuda_is_available

    return cuda_is_available()


__all__ = ["load", "save"]
