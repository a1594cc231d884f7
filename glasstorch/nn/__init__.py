"""torch.nn: Module, Parameter, the layers, functional and init. One import line per file."""

from . import functional, init, parallel, utils
from .modules.activation import (
    ELU, GELU, Hardtanh, LeakyReLU, LogSoftmax, ReLU, ReLU6, Sigmoid, SiLU, Softmax, Softplus, Tanh,
)
from .modules.attention import MultiheadAttention
from .modules.batchnorm import BatchNorm1d, BatchNorm2d, LazyBatchNorm1d, LazyBatchNorm2d
from .modules.container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .modules.conv import Conv1d, Conv2d, LazyConv2d
from .modules.dropout import Dropout, Dropout1d, Dropout2d
from .modules.flatten import Flatten, Unflatten
from .modules.fold import Fold, Unfold
from .modules.linear import Bilinear, Identity, LazyLinear, Linear
from .modules.loss import (
    BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss, NLLLoss, SmoothL1Loss,
)
from .modules.module import Module
from .modules.normalization import GroupNorm, LayerNorm
from .modules.padding import (
    CircularPad1d, CircularPad2d, CircularPad3d, ConstantPad1d, ConstantPad2d, ConstantPad3d,
    ReflectionPad1d, ReflectionPad2d, ReflectionPad3d, ReplicationPad1d, ReplicationPad2d,
    ReplicationPad3d, ZeroPad1d, ZeroPad2d, ZeroPad3d,
)
from .modules.pooling import (
    AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool1d, AdaptiveMaxPool2d, AvgPool1d, AvgPool2d,
    MaxPool1d, MaxPool2d,
)
from .modules.rnn import (
    GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase,
)
from .modules.sparse import Embedding
from .modules.sync_batchnorm import SyncBatchNorm
from .modules.transformer import (
    Transformer, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder,
    TransformerEncoderLayer,
)
from .modules.upsampling import Upsample
from .parameter import Buffer, Parameter, UninitializedParameter
