"""Conv1d, Conv2d and LazyConv2d. See torch.nn.Conv2d.

A module holds the weight (out_channels, in_channels / groups, *kernel_size) and the bias;
the arithmetic is F.conv1d / F.conv2d (unfold + one matmul, see ops/conv.py).
"""

import math

from ... import creation
from ...autograd import no_grad
from .. import functional as F
from .. import init
from ..parameter import Parameter, UninitializedParameter
from .lazy import LazyModuleMixin
from .module import Module

_PADDING_MODES = {"zeros", "reflect", "replicate", "circular"}


def _tuple(value, n):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


class _ConvNd(Module):
    """What Conv1d and Conv2d share: checks, parameters, torch's init and repr."""

    _dims = 0  # spatial dims, set by each subclass

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                                 "{'same', 'valid'}")
            if padding == "same" and any(s != 1 for s in _tuple(stride, self._dims)):
                raise ValueError("padding='same' is not supported for strided convolutions")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {_PADDING_MODES}, but got "
                             f"padding_mode='{padding_mode}'")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _tuple(kernel_size, self._dims)
        self.stride = _tuple(stride, self._dims)
        self.padding = padding if isinstance(padding, str) else _tuple(padding, self._dims)
        self.dilation = _tuple(dilation, self._dims)
        self.transposed = False
        self.output_padding = (0,) * self._dims
        self.groups = groups
        self.padding_mode = padding_mode
        # the other padding modes pad with F.pad first: (left, right) pairs from the last dim
        if isinstance(self.padding, str):  # 'valid' is no padding; 'same' puts any odd one after
            self._reversed_padding_repeated_twice = [0, 0] * self._dims
            if self.padding == "same":
                for i, (d, k) in enumerate(zip(self.dilation[::-1], self.kernel_size[::-1])):
                    total = d * (k - 1)
                    self._reversed_padding_repeated_twice[2 * i:2 * i + 2] = [total // 2,
                                                                              total - total // 2]
        else:
            self._reversed_padding_repeated_twice = [p for p in self.padding[::-1] for _ in (0, 1)]
        self.weight = Parameter(creation.empty((out_channels, in_channels // groups,
                                                *self.kernel_size), device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(creation.empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        # torch's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in_channels/groups * k
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * self._dims:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self._dims:
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv1d(_ConvNd):
    """1-d convolution over (N, C, L). See torch.nn.Conv1d."""

    _dims = 1

    def _conv_forward(self, input, weight, bias):
        if self.padding_mode != "zeros":
            input = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return F.conv1d(input, weight, bias, self.stride, 0, self.dilation, self.groups)
        return F.conv1d(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)


class Conv2d(_ConvNd):
    """2-d convolution over (N, C, H, W). See torch.nn.Conv2d."""

    _dims = 2

    def _conv_forward(self, input, weight, bias):  # torch's hook point, e.g. for weight_norm
        if self.padding_mode != "zeros":
            input = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return F.conv2d(input, weight, bias, self.stride, 0, self.dilation, self.groups)
        return F.conv2d(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)


class LazyConv2d(LazyModuleMixin, Conv2d):
    """A Conv2d whose in_channels is read from the first input; it then becomes a Conv2d."""

    cls_to_become = Conv2d

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        # in_channels=groups passes the divisibility check; the weight is replaced just below
        super().__init__(groups, out_channels, kernel_size, stride, padding, dilation, groups,
                         False, padding_mode, device, dtype)
        self.in_channels = 0
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)
        self._wait_for_first_input()

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        if self.has_uninitialized_params():
            with no_grad():
                self.in_channels = input.shape[0 if input.ndim == 3 else 1]
                if self.in_channels % self.groups != 0:
                    raise ValueError("in_channels must be divisible by groups")
                self.weight.materialize((self.out_channels, self.in_channels // self.groups,
                                         *self.kernel_size))
                if self.bias is not None:
                    self.bias.materialize((self.out_channels,))
                self.reset_parameters()

    def _load_from_state_dict(self, state_dict, prefix, *args):
        self._materialize_from(state_dict, prefix)
        if not self.has_uninitialized_params():
            self.in_channels = self.weight.shape[1] * self.groups
        super()._load_from_state_dict(state_dict, prefix, *args)
