"""SyncBatchNorm: batch norm whose batch statistics span every rank. See torch.nn.SyncBatchNorm.

In training, the per-channel sums (and the count) are all-reduced, so each rank normalizes with
the statistics of the whole global batch; the all-reduce is differentiable (its backward
all-reduces the gradient), so backward sums the channel gradients over the ranks too, and
training equals one process on the concatenated batch. Unlike torch (CUDA only), it runs on CPU.
"""

from ... import distributed as dist
from ...autograd import Function, no_grad
from ...creation import full
from ...ops.movement import cat
from .batchnorm import _NormBase


class _AllReduceSum(Function):
    """sum over the ranks; its gradient is the sum over the ranks of the incoming gradients."""

    @staticmethod
    def forward(ctx, x, group):
        ctx.group = group
        y = x.clone()
        dist.all_reduce(y, group=group)
        return y

    @staticmethod
    def backward(ctx, grad):
        grad = grad.clone()
        dist.all_reduce(grad, group=ctx.group)
        return grad, None


class SyncBatchNorm(_NormBase):
    """Batch norm over (N, C, *) inputs with statistics over all ranks of process_group."""

    def __init__(self, num_features, eps=1e-05, momentum=0.1, affine=True,
                 track_running_stats=True, process_group=None, device=None, dtype=None):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype)
        self.process_group = process_group

    def _check_input_dim(self, input):
        if input.ndim < 2:
            raise ValueError(f"expected at least 2D input (got {input.ndim}D input)")

    def forward(self, input):
        self._check_input_dim(input)
        need_sync = (self.training and dist.is_available() and dist.is_initialized()
                     and dist.get_world_size(self.process_group) > 1)
        if not need_sync:
            return super().forward(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.track_running_stats and self.num_batches_tracked is not None:
            with no_grad():
                self.num_batches_tracked.add_(1)
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked)
        channels = input.shape[1]
        dims = [0] + list(range(2, input.ndim))
        shape = [1, channels] + [1] * (input.ndim - 2)
        count = input.numel() // channels
        # two passes (mean, then the centred squares) keep the variance accurate
        sums = input.sum(dims)
        stats = _AllReduceSum.apply(_cat_count(sums, count), self.process_group)
        total = stats[channels]
        mean = stats[:channels] / total
        centred = input - mean.reshape(shape)
        # var's gradient through mean, -2 * sum(x - mean) / n, is 0 exactly; computed, it is
        # rounding noise times |mean| / std, which float32 cannot afford: mean held constant
        # there (as torch's fused backward drops the term; double backward then differs)
        free = input - mean.detach().reshape(shape)
        var = _AllReduceSum.apply((free * free).sum(dims), self.process_group) / total
        result = centred / (var + self.eps).sqrt().reshape(shape)
        if self.weight is not None:
            result = result * self.weight.reshape(shape)
        if self.bias is not None:
            result = result + self.bias.reshape(shape)
        if self.track_running_stats and self.running_mean is not None:
            with no_grad():
                n = float(total)
                self.running_mean.mul_(1 - factor).add_(mean.detach() * factor)
                self.running_var.mul_(1 - factor).add_(var.detach() * (factor * n / (n - 1)))
        return result

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """Every BatchNorm*d in module replaced by a SyncBatchNorm sharing its parameters and
        buffers (returns module itself, or the new layer when module is a batch norm)."""
        module_output = module
        if isinstance(module, _NormBase) and not isinstance(module, SyncBatchNorm):
            module_output = SyncBatchNorm(module.num_features, module.eps, module.momentum,
                                          module.affine, module.track_running_stats,
                                          process_group)
            if module.affine:
                with no_grad():
                    module_output.weight = module.weight
                    module_output.bias = module.bias
            module_output.running_mean = module.running_mean
            module_output.running_var = module.running_var
            module_output.num_batches_tracked = module.num_batches_tracked
            module_output.training = module.training
        for name, child in module.named_children():
            module_output.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        del module
        return module_output


def _cat_count(sums, count):
    """The channel sums with the element count appended (one all-reduce carries both)."""
    return cat([sums, full((1,), float(count), dtype=sums.dtype, device=sums.device)])
