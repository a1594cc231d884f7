"""Shared test set-up: the PyTorch oracle (required, never skipped), seeds, hypothesis profiles."""

import os
import random

import numpy as np
import pytest
from hypothesis import settings

import glasstorch

try:
    import torch as _torch
except ImportError as error:  # the oracle is part of the test suite: fail, never skip
    raise RuntimeError(
        "PyTorch (the test oracle) is not installed: pip install -e '.[test]' (torch==2.13.0)"
    ) from error

settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True)
settings.register_profile("nightly", max_examples=500, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def torch():
    """The PyTorch oracle."""
    return _torch


@pytest.fixture(autouse=True)
def _seed_everything():
    random.seed(0)
    np.random.seed(0)
    glasstorch.manual_seed(0)
    _torch.manual_seed(0)
    yield
    glasstorch.set_default_dtype(glasstorch.float32)
    _torch.set_default_dtype(_torch.float32)
    # a profile, explain() or anomaly mode left on would watch every later test's ops
    from glasstorch.autograd import watchers
    assert not watchers.active, f"a test left watchers on: {watchers.active}"
