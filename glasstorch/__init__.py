"""glasstorch: a PyTorch-compatible deep-learning library you can read, in Python on NumPy.

`import glasstorch as torch` and write PyTorch.
"""

import warnings as _warnings

from . import autograd, cuda, dtypes
from ._tensor import Size, Tensor
from ._tensor_str import get_printoptions, set_printoptions
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .autograd.anomaly_mode import (
    is_anomaly_check_nan_enabled, is_anomaly_enabled, set_anomaly_enabled,
)
from .creation import (
    BoolTensor, DoubleTensor, FloatTensor, IntTensor, LongTensor, arange, as_tensor, asarray,
    bernoulli, empty, empty_like, eye, from_numpy, full, full_like, linspace, logspace, normal,
    ones, ones_like, rand, rand_like, randint, randint_like, randn, randn_like, randperm, tensor,
    zeros, zeros_like,
)
from .device import device
from .dtypes import (
    bool, double, float, float16, float32, float64, get_default_dtype, half, int, int8, int16,
    int32, int64, long, promote_types, set_default_dtype, short, uint8,
)
from .dtypes import dtype
from .ops.elementwise import where
from .ops.linalg import dot, einsum, matmul
from .ops.movement import cat, meshgrid, stack
from .ops.operands import broadcast_shapes
from .random import Generator, initial_seed, manual_seed, seed, get_rng_state, set_rng_state
from .threads import get_num_threads, set_num_threads

__version__ = "0.1.0"

concat = concatenate = cat


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_floating_point(input):
    return input.is_floating_point()


def numel(input):
    return input.numel()


def result_type(tensor1, tensor2):
    return dtypes.result_type(tensor1, tensor2)


def can_cast(from_, to):
    order = {"bool": 0, "int": 1, "float": 2}
    return order[from_._kind] <= order[to._kind]


# torch.<op>(tensor, ...) for the Tensor methods: one explicit line each
# elementwise
add = Tensor.add
sub = subtract = Tensor.sub
mul = multiply = Tensor.mul
div = divide = true_divide = Tensor.div
floor_divide = Tensor.floor_divide
remainder = Tensor.remainder
fmod = Tensor.fmod
pow = Tensor.pow
neg = negative = Tensor.neg
abs = absolute = Tensor.abs
exp = Tensor.exp
expm1 = Tensor.expm1
log = Tensor.log
log1p = Tensor.log1p
log2 = Tensor.log2
log10 = Tensor.log10
sqrt = Tensor.sqrt
rsqrt = Tensor.rsqrt
square = Tensor.square
reciprocal = Tensor.reciprocal
sin = Tensor.sin
cos = Tensor.cos
sinh = Tensor.sinh
cosh = Tensor.cosh
tan = Tensor.tan
tanh = Tensor.tanh
sigmoid = Tensor.sigmoid
softmax = Tensor.softmax
log_softmax = Tensor.log_softmax
erf = Tensor.erf
relu = Tensor.relu
sign = Tensor.sign
floor = Tensor.floor
ceil = Tensor.ceil
trunc = Tensor.trunc
round = Tensor.round
clamp = clip = Tensor.clamp
clamp_min = Tensor.clamp_min
clamp_max = Tensor.clamp_max
lerp = Tensor.lerp
maximum = Tensor.maximum
minimum = Tensor.minimum
eq = Tensor.eq
ne = not_equal = Tensor.ne
lt = less = Tensor.lt
le = less_equal = Tensor.le
gt = greater = Tensor.gt
ge = greater_equal = Tensor.ge
equal = Tensor.equal
isclose = Tensor.isclose
allclose = Tensor.allclose
logical_not = Tensor.logical_not
logical_and = Tensor.logical_and
logical_or = Tensor.logical_or
logical_xor = Tensor.logical_xor
bitwise_not = Tensor.bitwise_not
bitwise_and = Tensor.bitwise_and
bitwise_or = Tensor.bitwise_or
bitwise_xor = Tensor.bitwise_xor
isnan = Tensor.isnan
isinf = Tensor.isinf
isfinite = Tensor.isfinite
clone = Tensor.clone
# reductions
sum = Tensor.sum
nansum = Tensor.nansum
mean = Tensor.mean
prod = Tensor.prod
max = Tensor.max
min = Tensor.min
amax = Tensor.amax
amin = Tensor.amin
argmax = Tensor.argmax
argmin = Tensor.argmin
all = Tensor.all
any = Tensor.any
var = Tensor.var
std = Tensor.std
norm = Tensor.norm
logsumexp = Tensor.logsumexp
cumsum = Tensor.cumsum
# shape
reshape = Tensor.reshape
flatten = Tensor.flatten
unflatten = Tensor.unflatten
ravel = Tensor.ravel
squeeze = Tensor.squeeze
unsqueeze = Tensor.unsqueeze
permute = Tensor.permute
transpose = swapaxes = swapdims = Tensor.transpose
t = Tensor.t
movedim = moveaxis = Tensor.movedim
flip = Tensor.flip
triu = Tensor.triu
tril = Tensor.tril
fliplr = Tensor.fliplr
flipud = Tensor.flipud
tile = Tensor.tile
repeat_interleave = Tensor.repeat_interleave
narrow = Tensor.narrow
select = Tensor.select
unbind = Tensor.unbind
split = Tensor.split
chunk = Tensor.chunk
broadcast_to = Tensor.broadcast_to
# indexing
index_select = Tensor.index_select
masked_fill = Tensor.masked_fill
masked_select = Tensor.masked_select
nonzero = Tensor.nonzero
# products
mm = Tensor.mm
addmm = Tensor.addmm
gather = Tensor.gather
sort = Tensor.sort
argsort = Tensor.argsort
scatter = Tensor.scatter
scatter_add = Tensor.scatter_add
bmm = Tensor.bmm
baddbmm = Tensor.baddbmm
mv = Tensor.mv
outer = ger = Tensor.outer
inner = Tensor.inner

# ---- the layers above the tensor: nn, optim, utils.data, serialization (one line each) ----
from .serialization import load, save
from . import optim
from . import utils
from . import distributions
from . import nn
from . import profiler
from .autograd import profiler as _autograd_profiler  # torch.autograd.profiler, the older path


# log(0), 1/0, exp(1000): numpy warns ("divide by zero encountered in log"), torch silently
# gives -inf, inf, nan. Silence numpy's floating-point warnings raised inside glasstorch only;
# numpy code of the user's own still warns.
_warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"glasstorch(\.|$)")
