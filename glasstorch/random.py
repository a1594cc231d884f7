"""The global random-number generator and torch.Generator.

glasstorch draws from numpy's PCG64, so the numbers differ from PyTorch's for the
same seed; the distributions and the reproducibility under manual_seed match.
"""

import math

import numpy


class Generator:
    """torch.Generator: an independent stream of random numbers."""

    def __init__(self, device="cpu"):
        self.device = device
        self._seed = 67280421310721  # torch's default seed
        self.rng = numpy.random.Generator(numpy.random.PCG64(self._seed))

    def manual_seed(self, seed):
        self._seed = int(seed)
        self.rng = numpy.random.Generator(numpy.random.PCG64(self._seed))
        return self

    def initial_seed(self):
        return self._seed

    def seed(self):
        return self.manual_seed(numpy.random.SeedSequence().entropy % (2**63)).initial_seed()

    def get_state(self):
        return self.rng.bit_generator.state

    def set_state(self, state):
        self.rng.bit_generator.state = state
        return self


default_generator = Generator()
# torch.cuda's default generator: random tensors made on a GPU draw from it (on the host, then
# copied), so CPU draws do not move the GPU's stream, as in torch
cuda_generator = Generator("cuda")


def manual_seed(seed):
    """Seed the global generators, the CPU's and the GPU's, as torch.manual_seed (python's
    `random` is left alone, like torch)."""
    cuda_generator.manual_seed(seed)
    return default_generator.manual_seed(seed)


def initial_seed():
    return default_generator.initial_seed()


def seed():
    return default_generator.seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state):
    default_generator.set_state(state)


def keep_mask(shape, p, rng):
    """A boolean numpy array of `shape`, each element True with probability 1 - p (dropout's
    mask): 32 random bits per element, PCG64's raw 64-bit draws split in two, kept where they
    reach p * 2**32. Twice as fast as drawing floats, and finer (a float32 has 24 bits)."""
    n = math.prod(shape)
    bits = rng.bit_generator.random_raw((n + 1) // 2).view(numpy.uint32)[:n]
    return (bits >= round(p * 2**32)).reshape(shape)


def rng(generator=None, device=None):
    """The numpy Generator to draw from: `generator`'s, else the default one of `device`."""
    if generator is None:
        on_gpu = device is not None and "cuda" in str(device)
        generator = cuda_generator if on_gpu else default_generator
    return generator.rng
