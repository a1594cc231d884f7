"""optim.lr_scheduler against torch.optim.lr_scheduler: lr sequences, state_dicts, warnings.

The same code builds an optimizer with two param groups of different lrs and a scheduler in
both libraries (`lib` is glasstorch or torch, `sched` its lr_scheduler module), then steps them
100 times. The lrs are Python floats computed by the same formulas, so they must agree to 1e-12.
"""

import copy
import importlib
import math
import pickle
import warnings

import numpy as np
import pytest

import glasstorch

STEPS = 100


def make_optimizer(lib, kind="sgd", lrs=(0.1, 0.5)):
    params = [lib.tensor(np.ones(3), requires_grad=True) for _ in lrs]
    for p in params:
        p.grad = lib.tensor(np.full(3, 0.01))
    groups = [{"params": [p], "lr": lr} for p, lr in zip(params, lrs)]
    if kind == "sgd":
        return lib.optim.SGD(groups, lr=lrs[0], momentum=0.9)
    if kind == "adam":
        return lib.optim.Adam(groups, lr=lrs[0])
    return getattr(lib.optim, kind)(groups, lr=lrs[0])


def momenta(optimizer):
    return [group.get("momentum", group.get("betas")) for group in optimizer.param_groups]


def run(lib, build, steps=STEPS, kind="sgd", metrics=None):
    """[get_last_lr(), group lrs, momenta] after the constructor and after each step."""
    optimizer = make_optimizer(lib, kind)
    scheduler = build(lib.optim.lr_scheduler, optimizer)
    record = [(scheduler.get_last_lr(), [g["lr"] for g in optimizer.param_groups],
               momenta(optimizer))]
    for i in range(steps):
        optimizer.step()
        scheduler.step() if metrics is None else scheduler.step(metrics[i])
        record.append((scheduler.get_last_lr(), [g["lr"] for g in optimizer.param_groups],
                       momenta(optimizer)))
    return record, scheduler, optimizer


def assert_close(ours, theirs, path="value"):
    """Nested lists/dicts/tuples equal, floats to 1e-12 relative."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and set(ours) == set(theirs), path
        for key in theirs:
            assert_close(ours[key], theirs[key], f"{path}[{key!r}]")
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs), path
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_close(a, b, f"{path}[{i}]")
    elif isinstance(theirs, float) and not math.isinf(theirs):
        assert isinstance(ours, float), path
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0, err_msg=path)
    else:
        assert type(ours) is type(theirs) and ours == theirs, f"{path}: {ours!r} != {theirs!r}"


class Halving:
    """A callable object: LambdaLR saves its __dict__ in the state_dict."""

    def __init__(self):
        self.base = 0.5

    def __call__(self, epoch):
        return self.base ** (epoch // 10)


CASES = {
    "LambdaLR": lambda m, o: m.LambdaLR(o, lambda e: 0.95**e),
    "LambdaLR-per-group": lambda m, o: m.LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: e // 7]),
    "LambdaLR-object": lambda m, o: m.LambdaLR(o, Halving()),
    "MultiplicativeLR": lambda m, o: m.MultiplicativeLR(o, lambda e: 0.97),
    "MultiplicativeLR-per-group": lambda m, o: m.MultiplicativeLR(
        o, [lambda e: 0.9 if e % 5 == 0 else 1.0, lambda e: 1.01]),
    "StepLR": lambda m, o: m.StepLR(o, step_size=30),
    "StepLR-7-0.5": lambda m, o: m.StepLR(o, step_size=7, gamma=0.5),
    "StepLR-1": lambda m, o: m.StepLR(o, step_size=1, gamma=0.97),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, milestones=[30, 80]),
    "MultiStepLR-repeated": lambda m, o: m.MultiStepLR(o, [5, 5, 20, 60, 99], gamma=0.7),
    "ConstantLR": lambda m, o: m.ConstantLR(o),
    "ConstantLR-0.1-40": lambda m, o: m.ConstantLR(o, factor=0.1, total_iters=40),
    "LinearLR": lambda m, o: m.LinearLR(o),
    "LinearLR-up": lambda m, o: m.LinearLR(o, start_factor=0.05, total_iters=40),
    "LinearLR-down": lambda m, o: m.LinearLR(o, start_factor=1.0, end_factor=0.1,
                                             total_iters=60),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, gamma=0.95),
    "ExponentialLR-up": lambda m, o: m.ExponentialLR(o, gamma=1.01),
    "PolynomialLR": lambda m, o: m.PolynomialLR(o, total_iters=50, power=2.0),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, T_max=100),
    "CosineAnnealingLR-periodic": lambda m, o: m.CosineAnnealingLR(o, T_max=10, eta_min=0.01),
    "CosineAnnealingLR-7": lambda m, o: m.CosineAnnealingLR(o, T_max=7, eta_min=0.001),
    "CosineAnnealingWarmRestarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=10),
    "CosineAnnealingWarmRestarts-mult": lambda m, o: m.CosineAnnealingWarmRestarts(
        o, T_0=3, T_mult=2, eta_min=0.005),
    "SequentialLR": lambda m, o: m.SequentialLR(
        o, [m.ConstantLR(o, factor=0.1, total_iters=20), m.ExponentialLR(o, gamma=0.9)], [20]),
    "SequentialLR-warmup-cosine": lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.1, total_iters=10), m.CosineAnnealingLR(o, T_max=30),
            m.StepLR(o, step_size=5, gamma=0.5)], milestones=[10, 45]),
    "ChainedScheduler": lambda m, o: m.ChainedScheduler(
        [m.ConstantLR(o, factor=0.1, total_iters=2), m.ExponentialLR(o, gamma=0.9)]),
    "CyclicLR": lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=10),
    "CyclicLR-triangular2-adam-betas": lambda m, o: m.CyclicLR(
        o, [0.01, 0.05], [0.1, 1.0], step_size_up=7, step_size_down=13, mode="triangular2",
        base_momentum=0.85, max_momentum=[0.95, 0.9]),
    "CyclicLR-exp-range": lambda m, o: m.CyclicLR(o, 0.001, 0.1, 5, mode="exp_range",
                                                  gamma=0.97, cycle_momentum=False),
    "CyclicLR-scale-fn": lambda m, o: m.CyclicLR(o, 0.001, 0.1, 6, scale_fn=Halving(),
                                                 scale_mode="iterations"),
    "OneCycleLR": lambda m, o: m.OneCycleLR(o, max_lr=1.0, total_steps=100),
    "OneCycleLR-per-group-linear": lambda m, o: m.OneCycleLR(
        o, max_lr=[0.4, 2.0], epochs=10, steps_per_epoch=12, pct_start=0.25,
        anneal_strategy="linear", base_momentum=[0.8, 0.7], max_momentum=0.99),
    "OneCycleLR-three-phase": lambda m, o: m.OneCycleLR(
        o, max_lr=0.3, total_steps=101, three_phase=True, div_factor=10.0,
        final_div_factor=100.0),
    "OneCycleLR-no-momentum": lambda m, o: m.OneCycleLR(o, max_lr=0.3, total_steps=100,
                                                        cycle_momentum=False),
}


@pytest.mark.parametrize("name", CASES)
def test_lr_sequence_matches_torch(torch, name):
    ours, _, _ = run(glasstorch, CASES[name])
    theirs, _, _ = run(torch, CASES[name])
    assert len(ours) == STEPS + 1
    assert_close(ours, theirs)


@pytest.mark.parametrize("name", [n for n in CASES if n.startswith(("OneCycle", "Cyclic"))])
@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_one_cycle_cycles_momentum_or_betas(torch, name, kind):
    ours, _, optimizer = run(glasstorch, CASES[name], kind=kind)
    theirs, _, _ = run(torch, CASES[name], kind=kind)
    assert_close(ours, theirs)  # includes each group's momentum (SGD) or betas (Adam)
    if "no-momentum" not in name and "exp-range" not in name:
        assert ours[1][2][0] != ours[50][2][0]  # it did move
    if kind == "adam":
        assert optimizer.param_groups[0]["betas"][1] == 0.999


@pytest.mark.parametrize("name", CASES)
def test_state_dict_matches_torch(torch, name):
    _, ours, _ = run(glasstorch, CASES[name], steps=37)
    _, theirs, _ = run(torch, CASES[name], steps=37)
    state = ours.state_dict()
    assert_close(state, theirs.state_dict())
    assert "optimizer" not in state


@pytest.mark.parametrize("name", CASES)
def test_load_state_dict_then_continue(torch, name):
    expected, _, _ = run(torch, CASES[name])
    _, scheduler, optimizer = run(glasstorch, CASES[name], steps=40)
    saved = copy.deepcopy((scheduler.state_dict(), optimizer.state_dict()))

    new_optimizer = make_optimizer(glasstorch)
    new_scheduler = CASES[name](glasstorch.optim.lr_scheduler, new_optimizer)
    new_optimizer.load_state_dict(saved[1])
    new_scheduler.load_state_dict(saved[0])
    assert getattr(new_scheduler, "last_epoch", None) == getattr(scheduler, "last_epoch", None)
    for i in range(41, STEPS + 1):
        new_optimizer.step()
        new_scheduler.step()
        assert_close(new_scheduler.get_last_lr(), expected[i][0], f"step {i}")
        assert_close([g["lr"] for g in new_optimizer.param_groups], expected[i][1])


@pytest.mark.parametrize("name", ["StepLR-7-0.5", "CosineAnnealingLR-periodic",
                                  "SequentialLR-warmup-cosine", "LambdaLR-object",
                                  "CyclicLR-scale-fn"])
def test_torch_state_dict_loads_into_glasstorch(torch, name):
    _, t_scheduler, t_optimizer = run(torch, CASES[name], steps=40)
    optimizer = make_optimizer(glasstorch)
    scheduler = CASES[name](glasstorch.optim.lr_scheduler, optimizer)
    for group, t_group in zip(optimizer.param_groups, t_optimizer.param_groups):
        group.update({k: v for k, v in t_group.items() if k != "params"})
    scheduler.load_state_dict(copy.deepcopy(t_scheduler.state_dict()))
    rest = []
    for _ in range(20):
        optimizer.step()
        scheduler.step()
        t_optimizer.step()
        t_scheduler.step()
        rest.append((scheduler.get_last_lr(), t_scheduler.get_last_lr()))
    for ours, theirs in rest:
        assert_close(ours, theirs)


def test_lambda_state_dict_holds_objects_not_functions(torch):
    optimizer = make_optimizer(glasstorch)
    halving = Halving()
    scheduler = glasstorch.optim.lr_scheduler.LambdaLR(optimizer, [lambda e: 1.0, halving])
    assert scheduler.state_dict()["lr_lambdas"] == [None, {"base": 0.5}]
    halving_2 = Halving()
    other = glasstorch.optim.lr_scheduler.LambdaLR(make_optimizer(glasstorch),
                                                   [lambda e: 2.0, halving_2])
    state = scheduler.state_dict()
    state["lr_lambdas"][1]["base"] = 0.25
    other.load_state_dict(state)
    assert halving_2.base == 0.25
    assert "lr_lambdas" in state  # load_state_dict leaves its argument whole, as torch


RESUMABLE = [name for name in CASES
             if not name.startswith(("Sequential", "Chained", "OneCycle", "Cyclic"))]


@pytest.mark.parametrize("name", RESUMABLE)
@pytest.mark.parametrize("last_epoch", [0, 9, 30])
def test_last_epoch_resumption(torch, name, last_epoch):
    def build(m, o):
        for group, (lr, initial) in zip(o.param_groups, [(0.03, 0.1), (0.2, 0.5)]):
            group["initial_lr"] = initial
            group["lr"] = lr
        kwargs = {"last_epoch": last_epoch}
        # the builders take no last_epoch: rebuild them with it through their defaults
        return _with_last_epoch(CASES[name], kwargs)(m, o)

    ours, scheduler, _ = run(glasstorch, build)
    theirs, _, _ = run(torch, build)
    assert scheduler.base_lrs == [0.1, 0.5]
    assert_close(ours, theirs)


def _with_last_epoch(build, kwargs):
    """The builder with every scheduler class called with extra keyword arguments."""

    class Module:
        def __init__(self, m):
            self.m = m

        def __getattr__(self, name):
            cls = getattr(self.m, name)
            return lambda *args, **kw: cls(*args, **kw, **kwargs)

    return lambda m, o: build(Module(m), o)


def test_resuming_without_initial_lr_raises_torch_error(torch):
    with pytest.raises(KeyError) as ours:
        glasstorch.optim.lr_scheduler.StepLR(make_optimizer(glasstorch), 3, last_epoch=4)
    with pytest.raises(KeyError) as theirs:
        torch.optim.lr_scheduler.StepLR(make_optimizer(torch), 3, last_epoch=4)
    assert str(ours.value) == str(theirs.value)


CLOSED_FORM = ["StepLR-7-0.5", "MultiStepLR-repeated", "ConstantLR-0.1-40", "LinearLR-up",
               "ExponentialLR", "PolynomialLR", "CosineAnnealingLR-periodic", "LambdaLR",
               "CosineAnnealingWarmRestarts-mult"]


@pytest.mark.parametrize("name", CLOSED_FORM)
def test_step_with_epoch_uses_the_closed_form(torch, name):
    epochs = [3, 0, 17, 45, 44, 2, 90, 7.5] if "Restarts" in name else [3, 0, 17, 45, 44, 2, 90]

    def lrs(lib):
        optimizer = make_optimizer(lib)
        scheduler = CASES[name](lib.optim.lr_scheduler, optimizer)
        out, caught = [], []
        for epoch in epochs:
            optimizer.step()
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                scheduler.step(epoch)
            caught += [(str(x.message), x.category, x.filename) for x in w]
            out.append(scheduler.get_last_lr())
        return out, caught, scheduler.last_epoch

    ours, theirs = lrs(glasstorch), lrs(torch)
    assert_close(ours[0], theirs[0])
    assert ours[1] == theirs[1]
    assert ours[2] == theirs[2]
    if "Restarts" not in name:  # torch still warns that step(epoch) is deprecated
        assert ours[1] and ours[1][0][0].startswith("The epoch parameter")
        assert ours[1][0][2] == __file__


def warnings_of(lib, action):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        action(lib)
    return [(str(w.message), w.category, w.filename) for w in caught]


def step_scheduler_first(lib, name="StepLR"):
    optimizer = make_optimizer(lib)
    scheduler = CASES[name](lib.optim.lr_scheduler, optimizer)
    scheduler.step()
    optimizer.step()
    scheduler.step()


@pytest.mark.parametrize("name", ["StepLR", "OneCycleLR", "SequentialLR",
                                  "CosineAnnealingWarmRestarts", "ChainedScheduler"])
def test_warning_for_scheduler_step_before_optimizer_step(torch, name):
    ours = warnings_of(glasstorch, lambda lib: step_scheduler_first(lib, name))
    theirs = warnings_of(torch, lambda lib: step_scheduler_first(lib, name))
    assert [w[:2] for w in ours] == [w[:2] for w in theirs]
    if name in ("StepLR", "OneCycleLR"):
        assert len(ours) == 1 and ours[0][1] is UserWarning
        assert ours[0][0].startswith("Detected call of `lr_scheduler.step()` before")
        assert ours[0][2] == theirs[0][2] == __file__  # points at the caller


def test_no_warning_in_the_right_order():
    optimizer = make_optimizer(glasstorch)
    scheduler = glasstorch.optim.lr_scheduler.ExponentialLR(optimizer, 0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            optimizer.step()
            scheduler.step()
        scheduler.get_last_lr()


def test_warning_for_overridden_optimizer_step(torch):
    def action(lib):
        optimizer = make_optimizer(lib)
        scheduler = lib.optim.lr_scheduler.StepLR(optimizer, 3)
        optimizer.step = lambda closure=None: None
        optimizer.step()
        scheduler.step()

    ours, theirs = warnings_of(glasstorch, action), warnings_of(torch, action)
    assert ours == theirs
    assert len(ours) == 1 and ours[0][0].startswith("Seems like `optimizer.step()` has been")


def test_warning_for_calling_get_lr(torch):
    def action(lib):
        scheduler = lib.optim.lr_scheduler.StepLR(make_optimizer(lib), 3)
        scheduler.get_lr()

    ours, theirs = warnings_of(glasstorch, action), warnings_of(torch, action)
    assert [w[:2] for w in ours] == [w[:2] for w in theirs]
    assert len(ours) == 1 and "get_last_lr()" in ours[0][0]


def test_two_schedulers_wrap_the_optimizer_once(torch):
    def action(lib):
        optimizer = make_optimizer(lib)
        first = lib.optim.lr_scheduler.StepLR(optimizer, 3)
        second = lib.optim.lr_scheduler.ExponentialLR(optimizer, 0.9)
        optimizer.step()
        first.step()
        second.step()
        return optimizer, [first.get_last_lr(), second.get_last_lr()]

    assert warnings_of(glasstorch, action) == []
    (optimizer, ours), (_, theirs) = action(glasstorch), action(torch)
    assert_close(ours, theirs)
    assert optimizer.step._wrapped_by_lr_sched and not hasattr(optimizer.step.__wrapped__,
                                                                "_wrapped_by_lr_sched")


PLATEAU = {
    "min": {},
    "min-patience0-abs": {"patience": 0, "threshold": 0.05, "threshold_mode": "abs"},
    "min-cooldown-minlr": {"patience": 2, "cooldown": 3, "factor": 0.5, "min_lr": [0.01, 0.2]},
    "max-rel": {"mode": "max", "patience": 3, "factor": 0.3, "threshold": 0.01},
    "max-abs-eps": {"mode": "max", "patience": 1, "threshold_mode": "abs", "min_lr": 0.02,
                    "eps": 0.01},
}


def metric_sequence(mode, seed=0):
    """Improves, then plateaus noisily, then improves a little again."""
    rng = np.random.default_rng(seed)
    trend = np.concatenate([np.linspace(1.0, 0.5, 20), np.full(50, 0.5), np.linspace(0.5, 0.45, 30)])
    values = trend + rng.normal(0, 0.01, STEPS)
    return list(values if mode == "min" else -values)


@pytest.mark.parametrize("name", PLATEAU)
@pytest.mark.parametrize("as_tensor", [False, True])
def test_reduce_lr_on_plateau_matches_torch(torch, name, as_tensor):
    kwargs = PLATEAU[name]
    metrics = metric_sequence(kwargs.get("mode", "min"))

    def build(m, o):
        return m.ReduceLROnPlateau(o, **kwargs)

    def feed(lib):
        return [lib.tensor(v) for v in metrics] if as_tensor else metrics

    ours, scheduler, _ = run(glasstorch, build, metrics=feed(glasstorch))
    theirs, t_scheduler, _ = run(torch, build, metrics=feed(torch))
    assert_close(ours, theirs)
    assert len({tuple(r[0]) for r in ours}) > 1  # the lr did change
    assert_close(scheduler.state_dict(), t_scheduler.state_dict())


def test_reduce_lr_on_plateau_load_state_dict(torch):
    metrics = metric_sequence("min", seed=1)
    kwargs = {"patience": 2, "cooldown": 1, "factor": 0.5}
    expected, _, _ = run(torch, lambda m, o: m.ReduceLROnPlateau(o, **kwargs), metrics=metrics)
    _, scheduler, optimizer = run(glasstorch, lambda m, o: m.ReduceLROnPlateau(o, **kwargs),
                                  steps=50, metrics=metrics)
    new_optimizer = make_optimizer(glasstorch)
    new_scheduler = glasstorch.optim.lr_scheduler.ReduceLROnPlateau(new_optimizer, mode="max")
    new_optimizer.load_state_dict(optimizer.state_dict())
    new_scheduler.load_state_dict(copy.deepcopy(scheduler.state_dict()))
    assert new_scheduler.mode == "min" and new_scheduler.mode_worse == math.inf
    for i in range(50, STEPS):
        new_scheduler.step(metrics[i])
        assert_close(new_scheduler.get_last_lr(), expected[i + 1][0])


ERRORS = [
    lambda m, o: m.StepLR("not an optimizer", 3),
    lambda m, o: m.ReduceLROnPlateau("not an optimizer"),
    lambda m, o: m.LambdaLR(o, [lambda e: 1.0]),
    lambda m, o: m.MultiplicativeLR(o, 0.5),
    lambda m, o: m.ConstantLR(o, factor=1.5),
    lambda m, o: m.LinearLR(o, start_factor=0),
    lambda m, o: m.LinearLR(o, end_factor=2),
    lambda m, o: m.SequentialLR(o, [], []),
    lambda m, o: m.SequentialLR(o, [m.StepLR(o, 2), m.StepLR(o, 3)], [1, 2]),
    lambda m, o: m.SequentialLR(o, [m.StepLR(o, 2), m.ReduceLROnPlateau(o)], [1]),
    lambda m, o: m.ChainedScheduler([]),
    lambda m, o: m.ReduceLROnPlateau(o, factor=1.0),
    lambda m, o: m.ReduceLROnPlateau(o, mode="mean"),
    lambda m, o: m.ReduceLROnPlateau(o, threshold_mode="log"),
    lambda m, o: m.ReduceLROnPlateau(o, min_lr=[0.1]),
    lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=0),
    lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=1.5),
    lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=5, eta_min="0"),
    lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=5).step(-1),
    lambda m, o: m.OneCycleLR(o, 1.0),
    lambda m, o: m.OneCycleLR(o, 1.0, total_steps=0),
    lambda m, o: m.OneCycleLR(o, 1.0, epochs=2, steps_per_epoch=0),
    lambda m, o: m.OneCycleLR(o, 1.0, total_steps=10, pct_start=1),
    lambda m, o: m.OneCycleLR(o, 1.0, total_steps=10, anneal_strategy="exp"),
    lambda m, o: m.OneCycleLR(o, [1.0], total_steps=10),
    lambda m, o: m.CyclicLR(o, 0.01, 0.1, mode="sine"),
    lambda m, o: m.CyclicLR(o, [0.01, 0.1, 0.2], 0.1),
]


@pytest.mark.parametrize("index", range(len(ERRORS)))
def test_errors_match_torch(torch, index):
    def error_of(lib):
        with pytest.raises(Exception) as info:
            ERRORS[index](lib.optim.lr_scheduler, make_optimizer(lib))
        return type(info.value), str(info.value).replace(type(make_optimizer(lib)).__module__, "")

    ours, theirs = error_of(glasstorch), error_of(torch)
    assert ours[0] is theirs[0]
    assert ours[1] == theirs[1]


def test_one_cycle_errors_past_the_last_step_and_without_momentum(torch):
    for lib in (glasstorch, torch):
        optimizer = make_optimizer(lib)
        scheduler = lib.optim.lr_scheduler.OneCycleLR(optimizer, 1.0, total_steps=3)
        for _ in range(3):
            optimizer.step()
            scheduler.step()
        with pytest.raises(ValueError, match="Tried to step 4 times. The specified number of "
                                             "total steps is 3"):
            scheduler.step()
        with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
            lib.optim.lr_scheduler.OneCycleLR(make_optimizer(lib, "Adagrad"), 1.0, total_steps=3)


def test_names_and_paths():
    lr_scheduler = importlib.import_module("glasstorch.optim.lr_scheduler")

    assert glasstorch.optim.lr_scheduler is lr_scheduler
    assert issubclass(lr_scheduler._LRScheduler, lr_scheduler.LRScheduler)
    for name in ["LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ExponentialLR",
                 "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "LinearLR", "ConstantLR",
                 "SequentialLR", "OneCycleLR", "ReduceLROnPlateau", "CyclicLR", "PolynomialLR",
                 "ChainedScheduler"]:
        assert issubclass(getattr(lr_scheduler, name), lr_scheduler.LRScheduler)
        assert name in lr_scheduler.__all__


CASES_WITH_PLATEAU = {**CASES, "ReduceLROnPlateau": lambda m, o: m.ReduceLROnPlateau(o)}


@pytest.mark.parametrize("name", CASES_WITH_PLATEAU)
def test_scheduler_names_the_public_module(torch, name):
    """The book's train loop steps a scheduler only when
    `scheduler.__module__ == lr_scheduler.__name__` (else it calls it as a function)."""
    for lib in (glasstorch, torch):
        lr_scheduler = lib.optim.lr_scheduler
        scheduler = CASES_WITH_PLATEAU[name](lr_scheduler, make_optimizer(lib))
        assert scheduler.__module__ == lr_scheduler.__name__ == f"{lib.__name__}.optim.lr_scheduler"
        assert getattr(lr_scheduler, type(scheduler).__name__) is type(scheduler)
    assert glasstorch.optim.lr_scheduler._LRScheduler.__module__ == "glasstorch.optim.lr_scheduler"


@pytest.mark.parametrize("name", CASES_WITH_PLATEAU)
def test_scheduler_and_state_dict_pickle_as_in_torch(torch, name):
    """Where torch's scheduler pickles (not with a lambda inside), ours does too, and the copy
    goes on with the same lrs; state_dicts of every scheduler pickle."""

    def pickled(lib):
        scheduler = CASES_WITH_PLATEAU[name](lib.optim.lr_scheduler, make_optimizer(lib))
        state = pickle.loads(pickle.dumps(scheduler.state_dict()))
        assert state.keys() == scheduler.state_dict().keys()
        try:
            copy = pickle.loads(pickle.dumps(scheduler))
        except (pickle.PicklingError, AttributeError):  # a lambda: not picklable in either
            return None
        assert type(copy) is type(scheduler)
        copy.optimizer.step()
        with warnings.catch_warnings():  # the copy's optimizer.step lost its wrapper, in torch too
            warnings.simplefilter("ignore")
            copy.step(1.0) if name == "ReduceLROnPlateau" else copy.step()
        return copy.get_last_lr()

    theirs = pickled(torch)
    ours = pickled(glasstorch)
    assert_close(ours, theirs)


def test_a_subclass_with_its_own_get_lr(torch):
    def build(lib):
        class Halve(lib.optim.lr_scheduler.LRScheduler):
            def get_lr(self):
                return [base_lr * 0.5 ** self.last_epoch for base_lr in self.base_lrs]

        return Halve

    ours, _, _ = run(glasstorch, lambda m, o: build(glasstorch)(o), steps=10)
    theirs, _, _ = run(torch, lambda m, o: build(torch)(o), steps=10)
    assert_close(ours, theirs)
    assert ours[-1][0] == [0.1 * 0.5**10, 0.5 * 0.5**10]


def test_training_with_a_scheduler_matches_torch(torch):
    rng = np.random.default_rng(0)
    w0, x, y = rng.normal(size=(3, 1)), rng.normal(size=(32, 3)), rng.normal(size=(32, 1))

    def train(lib):
        w = lib.tensor(w0, requires_grad=True)
        optimizer = lib.optim.SGD([w], lr=0.1, momentum=0.5)
        scheduler = lib.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.2, total_steps=30)
        for _ in range(30):
            optimizer.zero_grad()
            ((lib.tensor(x) @ w - lib.tensor(y)) ** 2).mean().backward()
            lib.nn.utils.clip_grad_norm_([w], max_norm=0.5)
            optimizer.step()
            scheduler.step()
        return w.detach().numpy()

    np.testing.assert_allclose(train(glasstorch), train(torch), rtol=1e-10)


@pytest.mark.parametrize("name", ["ExponentialLR", "StepLR-7-0.5", "CosineAnnealingLR-periodic"])
def test_tensor_lr_is_updated_in_place(torch, name):
    def run_tensor_lr(lib):
        p = lib.tensor([1.0, 2.0], requires_grad=True)
        p.grad = lib.tensor([1.0, 1.0])
        lr = lib.tensor(0.1)
        optimizer = lib.optim.SGD([p], lr=lr, foreach=False)
        scheduler = CASES[name](lib.optim.lr_scheduler, optimizer)
        last = []
        for _ in range(20):
            optimizer.step()
            scheduler.step()
            last.append(scheduler.get_last_lr()[0].item())
        assert optimizer.param_groups[0]["lr"] is lr  # filled in place, never replaced
        assert scheduler.get_last_lr()[0] is not lr  # a copy
        return last, lr.item(), p.detach().numpy()

    ours, theirs = run_tensor_lr(glasstorch), run_tensor_lr(torch)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-6)
    assert ours[1] == pytest.approx(theirs[1], rel=1e-6)
    np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-6)
