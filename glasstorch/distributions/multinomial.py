"""Multinomial(total_count, probs | logits). See torch.distributions.Multinomial."""

from .. import creation, random
from ..autograd import grad_mode
from ..ops.elementwise import where
from ..ops.movement import cat
from .distribution import Distribution


_EPS = {"float32": 1.1920928955078125e-07, "float64": 2.220446049250313e-16}  # finfo(dtype).eps


class Multinomial(Distribution):
    arg_constraints = {"probs": "simplex", "logits": "real_vector"}

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        param = probs if probs is not None else logits
        if param.ndim < 1:
            name = "probs" if probs is not None else "logits"
            raise ValueError(f"`{name}` parameter must be at least one-dimensional.")
        if probs is not None:
            self.probs = probs / probs.sum(-1, keepdim=True)
        else:
            self.logits = logits - logits.logsumexp(dim=-1, keepdim=True)
        super().__init__(param.shape[:-1], param.shape[-1:], validate_args)

    def __getattr__(self, name):  # the parameter not given, derived on first use (torch's lazy)
        if name == "probs":
            self.probs = self.logits.exp()  # the logits are normalised already
            return self.probs
        if name == "logits":
            eps = _EPS.get(self.probs._data.dtype.name, _EPS["float32"])  # torch's clamp_probs
            self.logits = self.probs.clamp(min=eps, max=1 - eps).log()
            return self.logits
        raise AttributeError(f"'Multinomial' object has no attribute '{name}'")

    def __repr__(self):  # torch keeps the parameters on an inner Categorical: none are listed
        return "Multinomial()"

    @property
    def mean(self):
        return self.probs * self.total_count

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    @property
    def param_shape(self):
        return self.probs.shape

    def sample(self, sample_shape=()):
        """Counts per category, drawn on the host with numpy's multinomial sampler."""
        with grad_mode.no_grad():
            probs = self.probs.detach().cpu().numpy().astype("float64")
            probs = probs / probs.sum(-1, keepdims=True)
            shape = tuple(sample_shape) + tuple(self.batch_shape)
            counts = random.rng().multinomial(self.total_count, probs, size=shape)
            return creation.tensor(counts, dtype=self.probs.dtype, device=self.probs.device)

    def log_prob(self, value):
        logits = self.logits
        logits = where((value == 0) & logits.isinf(), 0.0, logits)  # 0 · log 0 counts as 0
        log_powers = (logits * value).sum(-1)
        return (_log_factorial(value.new_tensor(self.total_count), self.total_count)
                - _log_factorial(value, self.total_count).sum(-1) + log_powers)


def _log_factorial(counts, n):
    """log(k!) for integer counts 0 <= k <= n, from a table of cumulative logs."""
    steps = creation.arange(1, n + 1, dtype=counts.dtype if counts.is_floating_point() else None)
    table = cat([steps.new_zeros(1), steps.log().cumsum(0)])
    return table[counts.long()].to(counts.dtype if counts.is_floating_point() else table.dtype)
