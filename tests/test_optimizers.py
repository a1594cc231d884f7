"""Every torch.optim optimizer a learner meets, against torch.optim over 50 steps.

The same small model (Linear(5, 3) -> Tanh -> Linear(3, 1), torch's initial weights copied into
glasstorch) is trained on the same data by both libraries; parameters must agree to 1e-6 in
float32. Also: param groups with different options, state_dicts (layout and values), checkpoints
that move between the libraries, signatures and defaults, and torch's ValueError messages.
"""

import inspect

import numpy as np
import pytest

import glasstorch

STEPS = 50
TOLERANCE = {"float32": 1e-6, "float64": 1e-10}
NAMES = ["SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "Adamax", "NAdam", "RAdam"]

OPTIONS = {
    "SGD": {
        "momentum": {"lr": 0.05, "momentum": 0.9},
        "dampening": {"lr": 0.05, "momentum": 0.9, "dampening": 0.5, "weight_decay": 0.01},
        "nesterov": {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.05},
        "maximize": {"lr": 0.005, "momentum": 0.5, "maximize": True},
    },
    "Adagrad": {
        "defaults": {},
        "lr": {"lr": 0.1},
        "weight_decay": {"lr": 0.1, "weight_decay": 0.1},
        "lr_decay": {"lr": 0.1, "lr_decay": 0.05},
        "initial_accumulator_value": {"lr": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-3},
        "maximize": {"lr": 0.05, "maximize": True, "weight_decay": 0.01},
    },
    "RMSprop": {
        "defaults": {},
        "weight_decay": {"lr": 0.01, "weight_decay": 0.1},
        "alpha": {"lr": 0.01, "alpha": 0.8, "eps": 1e-4},
        "centered": {"lr": 0.01, "centered": True},
        "momentum": {"lr": 0.005, "momentum": 0.9},
        "centered_momentum": {"lr": 0.005, "centered": True, "momentum": 0.8,
                              "weight_decay": 0.05},
        "maximize": {"lr": 0.01, "maximize": True, "momentum": 0.5},
    },
    "Adadelta": {
        "defaults": {},
        "weight_decay": {"weight_decay": 0.1},
        "rho": {"lr": 0.5, "rho": 0.5, "eps": 1e-4},
        "maximize": {"maximize": True, "weight_decay": 0.01},
    },
    "Adam": {
        "amsgrad": {"lr": 0.01, "amsgrad": True},
        "weight_decay": {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True},
        "maximize": {"lr": 0.01, "maximize": True, "betas": (0.8, 0.99)},
    },
    "AdamW": {
        "amsgrad": {"lr": 0.01, "amsgrad": True},
        "weight_decay": {"lr": 0.01, "weight_decay": 0.5},
        "maximize": {"lr": 0.01, "maximize": True, "amsgrad": True},
    },
    "Adamax": {
        "defaults": {},
        "weight_decay": {"lr": 0.01, "weight_decay": 0.1},
        "betas": {"lr": 0.01, "betas": (0.5, 0.9), "eps": 1e-3},
        "maximize": {"lr": 0.01, "maximize": True},
    },
    "NAdam": {
        "defaults": {},
        "weight_decay": {"lr": 0.01, "weight_decay": 0.1},
        "decoupled_weight_decay": {"lr": 0.01, "weight_decay": 0.5,
                                   "decoupled_weight_decay": True},
        "momentum_decay": {"lr": 0.01, "momentum_decay": 0.1, "betas": (0.8, 0.99)},
        "maximize": {"lr": 0.01, "maximize": True, "eps": 1e-4},
    },
    "RAdam": {
        "lr": {"lr": 0.01},
        "weight_decay": {"lr": 0.01, "weight_decay": 0.1},
        "decoupled_weight_decay": {"lr": 0.01, "weight_decay": 0.5,
                                   "decoupled_weight_decay": True},
        "betas": {"lr": 0.01, "betas": (0.5, 0.9)},  # rho_t > 5 from step 3
        "maximize": {"lr": 0.01, "maximize": True},
    },
}
CASES = [(name, case) for name in NAMES for case in OPTIONS[name]]


# ---- the model, the data, the training loop ----

def make_model(lib, torch, dtype="float32"):
    """The model with torch's seeded initial weights, in `lib`."""
    torch.manual_seed(0)
    reference = torch.nn.Sequential(torch.nn.Linear(5, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1))
    model = lib.nn.Sequential(lib.nn.Linear(5, 3), lib.nn.Tanh(), lib.nn.Linear(3, 1))
    model.load_state_dict({k: lib.tensor(v.numpy()) for k, v in reference.state_dict().items()})
    return model.to(getattr(lib, dtype))


def make_data(steps=STEPS, seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=(8, 5)), rng.normal(size=(8, 1))) for _ in range(steps)]


def train(lib, model, optimizer, data):
    dtype = next(model.parameters()).dtype
    for x, y in data:
        optimizer.zero_grad()
        x, y = lib.tensor(x, dtype=dtype), lib.tensor(y, dtype=dtype)
        lib.nn.functional.mse_loss(model(x), y).backward()
        optimizer.step()


def arrays(model):
    return [p.detach().numpy().copy() for p in model.parameters()]


def assert_same_parameters(ours, theirs, tol):
    for (name, p), (their_name, q) in zip(ours.named_parameters(), theirs.named_parameters(),
                                          strict=True):
        assert name == their_name and str(p.dtype) == str(q.dtype)
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=tol, atol=tol,
                                   err_msg=name)


def trained_pair(torch, make_optimizer, dtype="float32", data=None):
    """Train the model in both libraries; `make_optimizer(lib, model)` builds the optimizer."""
    data = make_data() if data is None else data
    models, optimizers = [], []
    for lib in (glasstorch, torch):
        model = make_model(lib, torch, dtype)
        optimizer = make_optimizer(lib, model)
        train(lib, model, optimizer, data)
        models.append(model)
        optimizers.append(optimizer)
    return models, optimizers


def assert_moved(model, torch):
    """Every parameter moved: the comparison with torch is not vacuous."""
    start = arrays(make_model(glasstorch, torch, "float64"))
    for before, after in zip(start, arrays(model)):
        assert np.abs(after - before).max() > 1e-3


# ---- 50-step trajectories ----

@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, case", CASES)
def test_fifty_steps_follow_torch(torch, name, case, dtype):
    options = OPTIONS[name][case]
    (ours, theirs), _ = trained_pair(
        torch, lambda lib, model: getattr(lib.optim, name)(model.parameters(), **options), dtype)
    assert_moved(ours, torch)
    assert_same_parameters(ours, theirs, TOLERANCE[dtype])


GROUPS = {  # the second group overrides the options that matter most for each optimizer
    "SGD": ({"lr": 0.05, "momentum": 0.9}, {"lr": 0.02, "momentum": 0.5, "nesterov": True,
                                           "weight_decay": 0.1}),
    "Adagrad": ({"lr": 0.1}, {"lr": 0.05, "lr_decay": 0.1, "weight_decay": 0.1, "eps": 1e-3}),
    "RMSprop": ({"lr": 0.01}, {"lr": 0.005, "centered": True, "momentum": 0.9, "alpha": 0.9}),
    "Adadelta": ({"lr": 1.0}, {"lr": 0.5, "rho": 0.8, "weight_decay": 0.1}),
    "Adam": ({"lr": 0.01}, {"lr": 0.02, "amsgrad": True, "betas": (0.8, 0.9)}),
    "AdamW": ({"lr": 0.01}, {"lr": 0.02, "weight_decay": 0.5, "amsgrad": True}),
    "Adamax": ({"lr": 0.01}, {"lr": 0.02, "betas": (0.5, 0.8), "weight_decay": 0.1}),
    "NAdam": ({"lr": 0.01}, {"lr": 0.02, "weight_decay": 0.3, "decoupled_weight_decay": True,
                             "momentum_decay": 0.1}),
    "RAdam": ({"lr": 0.01}, {"lr": 0.02, "weight_decay": 0.3, "decoupled_weight_decay": True,
                             "betas": (0.5, 0.9)}),
}


def grouped(name):
    """The optimizer with the first layer in one param group and the second in another."""
    defaults, second = GROUPS[name]

    def make(lib, model):
        return getattr(lib.optim, name)([{"params": model[0].parameters()},
                                         {"params": model[2].parameters(), **second}],
                                        **defaults)
    return make


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", NAMES)
def test_param_groups_with_different_options(torch, name, dtype):
    (ours, theirs), (our_opt, their_opt) = trained_pair(torch, grouped(name), dtype)
    assert_moved(ours, torch)
    assert_same_parameters(ours, theirs, TOLERANCE[dtype])
    assert our_opt.state_dict()["param_groups"] == their_opt.state_dict()["param_groups"]
    # the groups' options differ, and each matters: one set of options for both groups does not
    # give the same parameters
    defaults = GROUPS[name][0]
    same = make_model(glasstorch, torch, dtype)
    train(glasstorch, same, getattr(glasstorch.optim, name)(same.parameters(), **defaults),
          make_data())
    assert np.abs(arrays(same)[2] - arrays(ours)[2]).max() > 1e-4


# ---- state_dict ----

def assert_state_dicts_equal(ours, theirs, tol=1e-6):
    assert ours["param_groups"] == theirs["param_groups"]
    assert list(ours["state"]) == list(theirs["state"])
    for index, their_state in theirs["state"].items():
        our_state = ours["state"][index]
        assert list(our_state) == list(their_state)  # the same keys in the same order
        for key, value in their_state.items():
            mine = our_state[key]
            assert isinstance(mine, glasstorch.Tensor), key
            assert str(mine.dtype) == str(value.dtype), key
            assert tuple(mine.shape) == tuple(value.shape), key
            np.testing.assert_allclose(mine.numpy(), value.numpy(), rtol=tol, atol=tol / 10,
                                       err_msg=key)


# torch's float32 kernels fuse multiply-adds (lerp_, addcmul_) and numpy does not: the last bits
# differ, and a state such as centered RMSprop's √(v - ḡ²) magnifies them to ~1e-5 relative
STATE_TOLERANCE = {"float32": 1e-5, "float64": 1e-10}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", NAMES)
def test_state_dict_matches_torchs(torch, name, dtype):
    _, (ours, theirs) = trained_pair(torch, grouped(name), dtype, data=make_data(12))
    assert_state_dicts_equal(ours.state_dict(), theirs.state_dict(), STATE_TOLERANCE[dtype])
    if name != "SGD":
        assert ours.state_dict()["state"][0]["step"].item() == 12.0


@pytest.mark.parametrize("name", ["Adagrad", "RMSprop", "NAdam", "RAdam"])
def test_state_before_the_first_step_and_for_unused_params(torch, name):
    """Adagrad fills its state at construction; the others when a parameter first has a grad."""
    dicts = []
    for lib in (glasstorch, torch):
        model = make_model(lib, torch)
        unused = lib.zeros(2, requires_grad=True)
        opt = getattr(lib.optim, name)(list(model.parameters()) + [unused], lr=0.01)
        before = opt.state_dict()
        train(lib, model, opt, make_data(3))
        dicts.append((before, opt.state_dict()))
    (our_before, ours), (their_before, theirs) = dicts
    assert_state_dicts_equal(our_before, their_before)
    assert_state_dicts_equal(ours, theirs)
    assert len(ours["state"]) == (5 if name == "Adagrad" else 4)


@pytest.mark.parametrize("name", NAMES)
def test_checkpoints_move_between_the_libraries(torch, name, tmp_path):
    """glasstorch's state_dict resumes in torch and torch's in glasstorch, through files."""
    data = make_data()
    make = grouped(name)
    (ours, theirs), (our_opt, their_opt) = trained_pair(torch, make, data=data[:20])
    glasstorch.save(our_opt.state_dict(), tmp_path / "ours.pt")
    torch.save(their_opt.state_dict(), tmp_path / "theirs.pt")

    our_resumed = make_model(glasstorch, torch)  # from the other library's parameters
    our_resumed.load_state_dict({k: glasstorch.tensor(v.detach().numpy())
                                 for k, v in theirs.state_dict().items()})
    their_resumed = make_model(torch, torch)
    their_resumed.load_state_dict({k: torch.tensor(v.detach().numpy())
                                   for k, v in ours.state_dict().items()})
    # options and state come from the checkpoint, not from these constructions
    our_opt2 = getattr(glasstorch.optim, name)(
        [{"params": our_resumed[0].parameters()}, {"params": our_resumed[2].parameters()}],
        lr=123.0)
    their_opt2 = getattr(torch.optim, name)(
        [{"params": their_resumed[0].parameters()}, {"params": their_resumed[2].parameters()}],
        lr=123.0)
    our_opt2.load_state_dict(glasstorch.load(tmp_path / "theirs.pt"))
    their_opt2.load_state_dict(torch.load(tmp_path / "ours.pt"))
    assert_state_dicts_equal(our_opt2.state_dict(), their_opt2.state_dict())

    for lib, model, opt in ((glasstorch, ours, our_opt), (torch, theirs, their_opt),
                            (glasstorch, our_resumed, our_opt2),
                            (torch, their_resumed, their_opt2)):
        train(lib, model, opt, data[20:])
    assert_same_parameters(our_resumed, theirs, 1e-6)
    assert_same_parameters(ours, their_resumed, 1e-6)
    assert_same_parameters(ours, theirs, 1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_state_is_in_the_parameters_dtype(torch, name):
    model = make_model(glasstorch, torch, "float64")
    opt = getattr(glasstorch.optim, name)(model.parameters(), **GROUPS[name][1])
    train(glasstorch, model, opt, make_data(2))
    for p in model.parameters():
        for key, value in opt.state[p].items():
            expected = glasstorch.float32 if key in ("step", "mu_product") else glasstorch.float64
            assert value.dtype == expected, key


def test_nadam_loads_an_old_state_dict_with_numbers(torch):
    """Before torch 1.12 'step' and 'mu_product' were Python numbers; loading turns them into
    tensors, as torch does."""
    results = []
    for lib in (glasstorch, torch):
        model = make_model(lib, torch)
        opt = lib.optim.NAdam(model.parameters(), lr=0.01)
        train(lib, model, opt, make_data(3))
        saved = opt.state_dict()
        for state in saved["state"].values():
            state["step"], state["mu_product"] = state["step"].item(), state["mu_product"].item()
        opt.load_state_dict(saved)
        train(lib, model, opt, make_data(5, seed=1))
        results.append((model, opt))
    (ours, our_opt), (theirs, their_opt) = results
    assert_state_dicts_equal(our_opt.state_dict(), their_opt.state_dict())
    assert_same_parameters(ours, theirs, 1e-6)


# ---- construction: signatures, defaults, repr, errors ----

@pytest.mark.parametrize("name", NAMES)
def test_signature_and_defaults_equal_torchs(torch, name):
    ours, theirs = getattr(glasstorch.optim, name), getattr(torch.optim, name)
    our_params = inspect.signature(ours.__init__).parameters
    their_params = inspect.signature(theirs.__init__).parameters
    assert [(p.name, p.kind, p.default) for p in our_params.values()] == \
           [(p.name, p.kind, p.default) for p in their_params.values()]

    our_opt = ours([glasstorch.zeros(2, requires_grad=True)], lr=0.5)
    their_opt = theirs([torch.zeros(2, requires_grad=True)], lr=0.5)
    assert our_opt.defaults == their_opt.defaults
    assert repr(our_opt) == repr(their_opt)


def errors(torch, action):
    """Run action(lib) in both libraries; both must raise the same type with the same message."""
    caught = []
    for lib in (glasstorch, torch):
        with pytest.raises(Exception) as info:
            action(lib)
        caught.append(info.value)
    assert type(caught[0]) is type(caught[1])
    assert str(caught[0]) == str(caught[1])
    return caught[0]


INVALID = [
    (name, {"lr": -1.0}, "Invalid learning rate: -1.0") for name in NAMES
] + [
    ("Adagrad", {"lr_decay": -0.5}, "Invalid lr_decay value: -0.5"),
    ("Adagrad", {"weight_decay": -0.1}, "Invalid weight_decay value: -0.1"),
    ("Adagrad", {"initial_accumulator_value": -1.0},
     "Invalid initial_accumulator_value value: -1.0"),
    ("Adagrad", {"eps": -1e-10}, "Invalid epsilon value: -1e-10"),
    ("RMSprop", {"eps": -1.0}, "Invalid epsilon value: -1.0"),
    ("RMSprop", {"momentum": -0.9}, "Invalid momentum value: -0.9"),
    ("RMSprop", {"weight_decay": -1}, "Invalid weight_decay value: -1"),
    ("RMSprop", {"alpha": -0.99}, "Invalid alpha value: -0.99"),
    ("Adadelta", {"rho": 1.5}, "Invalid rho value: 1.5"),
    ("Adadelta", {"rho": -0.1}, "Invalid rho value: -0.1"),
    ("Adadelta", {"eps": -1e-6}, "Invalid epsilon value: -1e-06"),
    ("Adadelta", {"weight_decay": -0.5}, "Invalid weight_decay value: -0.5"),
    ("Adamax", {"eps": -1.0}, "Invalid epsilon value: -1.0"),
    ("Adamax", {"betas": (1.0, 0.999)}, "Invalid beta parameter at index 0: 1.0"),
    ("Adamax", {"betas": (0.9, -0.1)}, "Invalid beta parameter at index 1: -0.1"),
    ("Adamax", {"weight_decay": -0.5}, "Invalid weight_decay value: -0.5"),
    ("NAdam", {"eps": -1.0}, "Invalid epsilon value: -1.0"),
    ("NAdam", {"betas": (-0.1, 0.999)}, "Invalid beta parameter at index 0: -0.1"),
    ("NAdam", {"betas": (0.9, 1.0)}, "Invalid beta parameter at index 1: 1.0"),
    ("NAdam", {"weight_decay": -0.5}, "Invalid weight_decay value: -0.5"),
    ("NAdam", {"momentum_decay": -4e-3}, "Invalid momentum_decay value: -0.004"),
    ("RAdam", {"eps": -1.0}, "Invalid epsilon value: -1.0"),
    ("RAdam", {"betas": (1.5, 0.999)}, "Invalid beta parameter at index 0: 1.5"),
    ("RAdam", {"betas": (0.9, 2.0)}, "Invalid beta parameter at index 1: 2.0"),
    ("RAdam", {"weight_decay": -0.5}, "Invalid weight_decay value: -0.5"),
]


@pytest.mark.parametrize("name, options, message", INVALID)
def test_invalid_options_raise_torchs_value_error(torch, name, options, message):
    error = errors(torch, lambda lib: getattr(lib.optim, name)(
        [lib.zeros(2, requires_grad=True)], **options))
    assert isinstance(error, ValueError)
    assert str(error) == message


@pytest.mark.parametrize("name", ["Adagrad", "RMSprop", "Adadelta", "Adamax", "NAdam", "RAdam"])
def test_tensor_lr(torch, name):
    error = errors(torch, lambda lib: getattr(lib.optim, name)(
        [lib.zeros(2, requires_grad=True)], lr=lib.tensor([0.1, 0.2])))
    assert str(error) == "Tensor lr must be 1-element"
    (ours, theirs), _ = trained_pair(torch, lambda lib, model: getattr(lib.optim, name)(
        model.parameters(), lr=lib.tensor(0.01)), data=make_data(10))
    assert_same_parameters(ours, theirs, 1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_closure_and_params_without_grad(torch, name):
    results = []
    for lib in (glasstorch, torch):
        model = make_model(lib, torch, "float64")
        frozen = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)  # never used
        opt = getattr(lib.optim, name)(list(model.parameters()) + [frozen], **GROUPS[name][1])
        x, y = (lib.tensor(a) for a in make_data(1)[0])

        def closure(opt=opt, model=model, x=x, y=y, lib=lib):
            opt.zero_grad()
            loss = lib.nn.functional.mse_loss(model(x), y)
            loss.backward()
            return loss

        losses = [opt.step(closure).item() for _ in range(5)]
        assert frozen.tolist() == [1.0, 2.0]
        results.append((model, losses))
    (ours, our_losses), (theirs, their_losses) = results
    np.testing.assert_allclose(our_losses, their_losses, rtol=1e-10)
    assert our_losses[-1] < our_losses[0]
    assert_same_parameters(ours, theirs, 1e-10)


def test_every_optimizer_is_exported():
    for name in NAMES:
        cls = getattr(glasstorch.optim, name)
        assert name in glasstorch.optim.__all__
        assert issubclass(cls, glasstorch.optim.Optimizer)
        module = __import__(cls.__module__, fromlist=[name])
        assert module.__name__ == f"glasstorch.optim.{name.lower()}"
        assert "θ" in cls.__doc__  # the update formula is in the docstring
