"""The Tensor: one array plus autograd metadata. Its math lives in ops/ (mixed in here)."""

import warnings
import weakref

from . import _tensor_str, dtypes
from . import random as _random
from .autograd import engine, function, grad_mode
from .autograd.function import edge_of
from .device import CPU, array_module, cuda_is_available, device_of, to_device
from .ops.arithmetic import ArithmeticMethods
from .ops.compare import CompareMethods
from .ops.elementwise import Clone, ElementwiseMethods, ToCopy, ToDevice
from .ops.indexing import IndexingMethods
from .ops.linalg import LinalgMethods
from .ops.movement import MovementMethods
from .ops.nn_ops import NnMethods
from .ops.reduce import ReduceMethods
from .ops import views
from .ops.scatter import ScatterMethods

_NON_LEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad field "
    "to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you "
    "access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead. See "
    "github.com/pytorch/pytorch/pull/30531 for more information."
)


class Size(tuple):
    """torch.Size: a tuple of ints that prints as `torch.Size([2, 3])`."""

    def __repr__(self):
        return f"torch.Size({list(self)})"

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, item):
        result = tuple.__getitem__(self, item)
        return Size(result) if isinstance(item, slice) else result

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))


class Tensor(ArithmeticMethods, ElementwiseMethods, CompareMethods, ReduceMethods,
             MovementMethods, IndexingMethods, LinalgMethods, NnMethods, ScatterMethods):
    """A multi-dimensional array with autograd. See torch.Tensor."""

    __slots__ = (
        "_data",  # the numpy (or cupy) array holding the values
        "_requires_grad",
        "_grad",
        "grad_fn",  # the Node that made this tensor, None for leaves
        "_output_nr",  # which output of grad_fn this tensor is
        "_version",  # [count] of in-place changes; views share the list with their base
        "_base",  # for a view, the tensor whose memory it shares (never itself a view)
        "_accumulator",  # a leaf's AccumulateGrad node, made on first use
        "_retains_grad",
        "__weakref__",
    )
    __array_ufunc__ = None  # numpy defers to our reflected operators: ndarray * Tensor -> Tensor
    is_sparse = False
    is_quantized = False
    layout = "torch.strided"

    def __init__(self, *args, dtype=None, device=None):
        """The legacy constructor: Tensor([1, 2]) (float data), Tensor(2, 3) (uninitialised)."""
        xp = to_device(device).xp
        dtype = dtypes.get_default_dtype() if dtype is None else dtype
        if len(args) == 1 and not isinstance(args[0], int):
            data = args[0]
            array = data._data if isinstance(data, Tensor) else xp.asarray(data)
            array = array.astype(dtype.np, copy=False)
        else:
            shape = args[0] if args and isinstance(args[0], tuple) else args or (0,)  # Tensor(): []
            array = xp.zeros(shape, dtype.np)
        _init(self, array)

    @staticmethod
    def _wrap(array):
        """A new tensor around `array` (no copy). The fast internal constructor."""
        t = _new(Tensor)
        t._data = array
        t._requires_grad = False
        t._grad = None
        t.grad_fn = None
        t._output_nr = 0
        t._version = [0]
        t._base = None
        t._accumulator = None
        t._retains_grad = False
        return t

    # ---- metadata ----
    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        from .ops.operands import normalize_dim

        return self._data.shape[normalize_dim(dim, self.ndim)]

    @property
    def dtype(self):
        return dtypes.from_numpy(self._data.dtype)

    @property
    def device(self):
        return device_of(self._data)

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    def get_device(self):
        return -1 if self.device.type == "cpu" else self.device.index

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self): return self._data.ndim
    ndimension = dim
    def numel(self): return self._data.size
    nelement = numel
    def element_size(self): return self._data.itemsize
    @property
    def itemsize(self): return self._data.itemsize
    @property
    def nbytes(self): return self._data.nbytes
    def is_floating_point(self): return self._data.dtype.kind == "f"
    def is_complex(self): return False
    def data_ptr(self): return self._data.__array_interface__["data"][0]

    @property
    def _xp(self):
        return array_module(self._data)

    # ---- autograd ----
    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        if self.grad_fn is not None and not value:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach().")
        if value and self._data.dtype.kind != "f":
            raise RuntimeError(
                "only Tensors of floating point and complex dtype can require gradients")
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad=True):
        if requires_grad and self._data.dtype.kind != "f":  # torch words it apart from the setter
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def grad(self):
        if self._grad is None and self.grad_fn is not None and not self._retains_grad:
            warnings.warn(_NON_LEAF_GRAD_WARNING, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of "
                                f"type {type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value.shape)}' to a tensor "
                    f"of size '{list(self.shape)}'. Please ensure that the gradient and the tensor "
                    "are the same size")
        self._grad = value

    @property
    def retains_grad(self):
        return self._retains_grad

    @property
    def data(self):
        """The same memory without history; in-place changes through it are not tracked."""
        return Tensor._wrap(self._data)

    @data.setter
    def data(self, value):
        self._data = value._data if isinstance(value, Tensor) else value

    def detach(self):
        t = Tensor._wrap(self._data)
        t._version = self._version  # same memory, same version counter (unlike .data)
        return t

    def detach_(self):
        self.grad_fn = None
        self._requires_grad = False
        return self

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        engine.backward(self, gradient, retain_graph, create_graph, inputs)

    def register_hook(self, hook):
        """hook(grad) runs when the gradient for this tensor is computed; it may return a new one."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            return self.grad_fn._add_output_hook(self._output_nr, hook)
        hooks = edge_of(self)[0].hooks
        hooks.append(hook)
        return function._RemovableHandle(hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        hooks = edge_of(self)[0].post_hooks
        hooks.append(hook)
        return function._RemovableHandle(hooks, hook)

    def retain_grad(self):
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self._retains_grad:
            return
        self._retains_grad = True
        ref = weakref.ref(self)  # the graph must not keep the tensor alive

        def keep(grad):
            t = ref()
            if t is not None:
                t._grad = grad.detach().clone() if t._grad is None else t._grad + grad

        self.grad_fn._add_output_hook(self._output_nr, keep)

    # ---- in place ----
    def _check_inplace(self):
        if self._requires_grad and self.grad_fn is None and grad_mode.state.enabled:
            raise RuntimeError(
                "a leaf Variable that requires grad is being used in an in-place operation.")

    def _original(self, *others):
        """This tensor as the input of an in-place op whose backward needs the input's value.

        The op is computed out of place, then written back by _inplace, which overwrites the
        value the graph saved; so while that is recorded, compute from a copy that carries
        this tensor's history instead (torch saves `original_self` the same way).
        """
        recorded = self._requires_grad or any(getattr(o, "_requires_grad", False) for o in others)
        if not (recorded and grad_mode.state.enabled):
            return self
        self._check_inplace()
        original = Tensor._wrap(self._data.copy())
        original.grad_fn, original._output_nr = self.grad_fn, self._output_nr
        # the count so far (a view's node checks it), in a list of its own: the write that
        # follows changes this tensor, not the copy
        original._version = [self._version[0]]
        original._requires_grad = self._requires_grad
        return original

    def _inplace(self, result):
        """Write `result` into this tensor's memory: its id and its views see the change.

        The result was computed out of place, so its graph node is ready; this tensor
        takes it over as its grad_fn, as torch's in-place ops do.
        """
        self._check_inplace()
        if self._base is not None and any(
                stride == 0 and n > 1 for n, stride in zip(self._data.shape, self._data.strides)):
            raise RuntimeError(  # an expanded view: several elements share one memory place
                "unsupported operation: more than one element of the written-to tensor refers "
                "to a single memory location. Please clone() the tensor before performing the "
                "operation.")
        if result._data.shape != self._data.shape:
            raise RuntimeError(
                f"output with shape {list(self._data.shape)} doesn't match the broadcast shape "
                f"{list(result._data.shape)}")
        if not _can_cast(result._data.dtype, self._data.dtype):
            raise RuntimeError(
                f"result type {dtypes.scalar_type_name(result._data.dtype)} can't be cast to the "
                f"desired output type {dtypes.scalar_type_name(self._data.dtype)}")
        if self._base is not None and result.grad_fn is not None:
            return self._write_through_view(result)
        self._xp.copyto(self._data, result._data, casting="unsafe")
        self._version[0] += 1
        if result.grad_fn is not None:
            self.grad_fn = result.grad_fn
            self._output_nr = result._output_nr
            self._requires_grad = True
        return self

    def _write_through_view(self, result):
        """_inplace for a view: the write changes the base too, and so does its history
        (see ops/views.py); the view becomes the written region of the base's new value."""
        base = self._base
        if base._requires_grad and base.grad_fn is None:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in "
                               "an in-place operation.")
        region = views.region_of(base._data, self._data)
        if region is None:
            raise RuntimeError(
                "glasstorch cannot record an in-place operation that requires grad on a view "
                "of a tensor whose memory is not contiguous; call .contiguous() on the base "
                "before taking the view, or use an out-of-place operation.")
        new_base = views.ReplaceRegion.apply(base, result, region)  # writes the memory
        base.grad_fn, base._output_nr, base._requires_grad = new_base.grad_fn, 0, True
        self._version[0] += 1
        view = views.RegionView.apply(base, region)
        self.grad_fn, self._output_nr, self._requires_grad = view.grad_fn, 0, True
        return self

    def fill_(self, value):
        value = value.item() if isinstance(value, Tensor) else value
        if self._requires_grad and grad_mode.state.enabled:
            self[...] = value  # recorded (or refused, for a leaf) like any write
        else:
            self._data.fill(value)
            self._version[0] += 1
        return self

    def zero_(self):
        return self.fill_(0)

    def copy_(self, src, non_blocking=False):
        self[...] = src.to(self.device) if isinstance(src, Tensor) else src
        return self

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        values = _random.rng(generator, self.device).normal(mean, std, self._data.shape)
        self[...] = self._xp.asarray(values.astype(self._data.dtype))
        return self

    def uniform_(self, a=0.0, b=1.0, *, generator=None):
        values = _random.rng(generator, self.device).uniform(a, b, self._data.shape)
        self[...] = self._xp.asarray(values.astype(self._data.dtype))
        return self

    def bernoulli_(self, p=0.5, *, generator=None):
        values = _random.rng(generator, self.device).random(self._data.shape) < p
        self[...] = self._xp.asarray(values.astype(self._data.dtype))
        return self

    # ---- conversion ----
    def to(self, *args, dtype=None, device=None, copy=False, non_blocking=False, **unused):
        device, dtype = parse_to_args(args, device, dtype)
        result = self
        if device is not None:
            target = to_device(device)
            if target != device_of(self._data):
                result = ToDevice.apply(result, target)
        if dtype is not None and result._data.dtype != dtype.np:
            result = ToCopy.apply(result, dtype)
        if copy and result is self:
            result = self.clone()
        return result

    def cpu(self):
        return self.to(CPU)

    def cuda(self, device=None, non_blocking=False):
        if not cuda_is_available():
            if isinstance(device, int):  # torch checks an index (d2l's X.cuda(1)) before CUDA
                raise RuntimeError("Cannot access accelerator device when none is available.")
            raise AssertionError("Torch not compiled with CUDA enabled")
        return self.to(to_device("cuda" if device is None else device))

    def type(self, dtype=None, non_blocking=False):
        if dtype is None:
            return "torch." + dtypes.scalar_type_name(self._data.dtype) + "Tensor"
        if isinstance(dtype, str):
            dtype = _TYPE_NAMES[dtype]
        return self.to(dtype)

    def float(self): return self.to(dtypes.float32)
    def double(self): return self.to(dtypes.float64)
    def half(self): return self.to(dtypes.float16)
    def long(self): return self.to(dtypes.int64)
    def int(self): return self.to(dtypes.int32)
    def short(self): return self.to(dtypes.int16)
    def char(self): return self.to(dtypes.int8)
    def byte(self): return self.to(dtypes.uint8)
    def bool(self): return self.to(dtypes.bool)

    def clone(self, *, memory_format=None):
        return Clone.apply(self)

    def numpy(self, *, force=False):
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        if self.device.type != "cpu":
            if not force:
                raise TypeError(f"can't convert {self.device} device type tensor to numpy. Use "
                                "Tensor.cpu() to copy the tensor to host memory first.")
            return self.cpu()._data
        return self._data

    def __array__(self, dtype=None, copy=None):
        array = self.numpy()
        return array if dtype is None else array.astype(dtype, copy=False)

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.item()  # a one-element array of any shape

    def tolist(self):
        return self._data.tolist()

    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
        data = data._data if isinstance(data, Tensor) else data
        dtype = dtype or self.dtype
        t = Tensor._wrap(self._xp.array(data, dtype=dtype.np))
        return t.requires_grad_(requires_grad) if requires_grad else t

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        return self.new_full(_size_args(size), 0, dtype=dtype, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        return self.new_full(_size_args(size), 1, dtype=dtype, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        return self.new_full(_size_args(size), 0, dtype=dtype, requires_grad=requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        dtype = dtype or self.dtype
        t = Tensor._wrap(self._xp.full(tuple(size), fill_value, dtype=dtype.np))
        return t.requires_grad_(requires_grad) if requires_grad else t

    # ---- Python protocol ----
    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __reversed__(self):
        """reversed(t): t flipped along dim 0 (a tensor, as in torch; 0-d: itself)."""
        return self.flip(0) if self._data.ndim else self

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {'no values' if self._data.size == 0 else 'more than one value'} "
                "is ambiguous")
        return bool(self._data.reshape(()))

    def __float__(self):
        return float(self._scalar())

    def __int__(self):
        return int(self._scalar())

    def __complex__(self):
        return complex(self._scalar())

    def __index__(self):
        if self._data.dtype.kind not in "biu" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self._data.reshape(()))

    def _scalar(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self._data.item()

    def __hash__(self):
        return id(self)

    def __format__(self, spec):
        if self._data.ndim == 0:
            return format(self.item(), spec)
        if spec:  # as torch: only 0-d tensors take a format spec like f'{loss:.3f}'
            raise TypeError("unsupported format string passed to Tensor.__format__")
        return str(self)

    def __repr__(self, *, tensor_contents=None):
        suffixes = []
        if self.device.type != "cpu":
            suffixes.append(f"device='{self.device}'")
        if self.grad_fn is not None:
            suffixes.append(f"grad_fn=<{self.grad_fn.name()}>")
        elif self._requires_grad:
            suffixes.append("requires_grad=True")
        dtype = self.dtype
        default = dtype in (dtypes.get_default_dtype(), dtypes.int64, dtypes.bool)
        array = self._data if self.device.type == "cpu" else self.cpu()._data
        return _tensor_str.format_tensor(array, dtype.name, default, tuple(suffixes))

    __str__ = __repr__

    def __reduce_ex__(self, protocol):
        return (_rebuild, (self.cpu()._data, self._requires_grad))

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol at the moment.")
        t = Tensor._wrap(self._data.copy())
        t._requires_grad = self._requires_grad
        if self._grad is not None:
            t._grad = Tensor._wrap(self._grad._data.copy())
        memo[id(self)] = t
        return t


_new = object.__new__


def _init(t, array):
    """Fill the slots of a tensor made by __init__ (Parameter and subclasses come here)."""
    t._data = array
    t._requires_grad = False
    t._grad = None
    t.grad_fn = None
    t._output_nr = 0
    t._version = [0]
    t._base = None
    t._accumulator = None
    t._retains_grad = False


def parse_to_args(args, device=None, dtype=None):
    """(device, dtype) from the positional forms of .to(): a dtype, a device, a tensor."""
    for a in args:
        if isinstance(a, dtypes.dtype):
            dtype = a
        elif isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
        elif a is not None:
            device = a
    return device, dtype


def _rebuild(array, requires_grad):
    t = Tensor._wrap(array)
    t._requires_grad = requires_grad
    return t


def _size_args(size):
    if len(size) == 1 and not isinstance(size[0], int):
        return tuple(size[0])
    return tuple(size)


_TYPE_NAMES = {f"torch.{dtypes.scalar_type_name(d.np)}Tensor": d for d in dtypes.ALL}


def _can_cast(source, target):
    """torch's rule for in-place results: no float -> integer, no number -> bool."""
    order = {"b": 0, "u": 1, "i": 1, "f": 2}
    return order[source.kind] <= order[target.kind]


function.Tensor = Tensor  # the autograd layer below builds Tensors through this name
