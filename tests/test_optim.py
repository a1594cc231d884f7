"""glasstorch.optim against torch.optim: parameter trajectories, param groups, state_dicts, errors.

The model is built from plain leaf tensors (a tanh MLP with an MSE loss), and the same code
trains it in both libraries (`lib` is glasstorch or torch), from the same initial values on the
same data.
"""

import copy
import importlib
import warnings

import numpy as np
import pytest

import glasstorch

STEPS = 25
TOLERANCE = {"float64": 1e-9, "float32": 1e-5}


def initial_values(seed=0):
    rng = np.random.default_rng(seed)
    values = {"W1": rng.normal(0, 0.5, (4, 8)), "b1": rng.normal(0, 0.1, 8),
              "W2": rng.normal(0, 0.5, (8, 1)), "b2": rng.normal(0, 0.1, 1)}
    data = [(rng.normal(size=(16, 4)), rng.normal(size=(16, 1))) for _ in range(STEPS)]
    return values, data


def make_params(lib, values, dtype="float64"):
    return [lib.tensor(values[name].astype(dtype), requires_grad=True)
            for name in ("W1", "b1", "W2", "b2")]


def loss_of(lib, params, x, y):
    W1, b1, W2, b2 = params
    dtype = W1.dtype
    x, y = lib.tensor(x, dtype=dtype), lib.tensor(y, dtype=dtype)
    return ((lib.tanh(x @ W1 + b1) @ W2 + b2 - y) ** 2).mean()


def train(lib, params, optimizer, data):
    for x, y in data:
        optimizer.zero_grad()
        loss_of(lib, params, x, y).backward()
        optimizer.step()
    return params


def assert_params_equal(ours, theirs, tol):
    assert len(ours) == len(theirs)
    for p, q in zip(ours, theirs):
        assert str(p.dtype) == str(q.dtype)
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=tol, atol=tol)


def assert_moved(params, values):
    """The optimizer did change the parameters (so the comparison is not vacuous)."""
    moved = [np.abs(p.detach().numpy() - values[n]).max() for p, n in
             zip(params, ("W1", "b1", "W2", "b2"))]
    assert min(moved) > 1e-3


def compare(torch, make_optimizer, dtype="float64", steps=STEPS):
    values, data = initial_values()
    ours = make_params(glasstorch, values, dtype)
    theirs = make_params(torch, values, dtype)
    train(glasstorch, ours, make_optimizer(glasstorch.optim, ours), data[:steps])
    train(torch, theirs, make_optimizer(torch.optim, theirs), data[:steps])
    assert_moved(ours, values)
    assert_params_equal(ours, theirs, TOLERANCE[dtype])


SGD_OPTIONS = {
    "plain": {"lr": 0.1},
    "momentum": {"lr": 0.05, "momentum": 0.9},
    "dampening": {"lr": 0.05, "momentum": 0.9, "dampening": 0.3},
    "nesterov": {"lr": 0.05, "momentum": 0.8, "nesterov": True},
    "weight_decay": {"lr": 0.1, "weight_decay": 0.05},
    "weight_decay_momentum": {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.01},
    "maximize": {"lr": 0.01, "maximize": True},
    "maximize_nesterov_decay": {"lr": 0.01, "momentum": 0.5, "nesterov": True, "maximize": True,
                                    "weight_decay": 0.1},
}
ADAM_OPTIONS = {
    "defaults": {},
    "lr": {"lr": 0.01},
    "weight_decay": {"lr": 0.01, "weight_decay": 0.1},
    "amsgrad": {"lr": 0.01, "amsgrad": True},
    "maximize": {"lr": 0.01, "maximize": True},
    "betas": {"lr": 0.02, "betas": (0.5, 0.9)},
    "eps": {"lr": 0.01, "eps": 1e-3},
    "everything": {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.05, "amsgrad": True,
                       "maximize": True},
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", SGD_OPTIONS)
def test_sgd_follows_torch(torch, name, dtype):
    compare(torch, lambda optim, params: optim.SGD(params, **SGD_OPTIONS[name]), dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", ADAM_OPTIONS)
@pytest.mark.parametrize("optimizer", ["Adam", "AdamW"])
def test_adam_follows_torch(torch, optimizer, name, dtype):
    options = ADAM_OPTIONS[name]
    if name == "defaults":  # lr=1e-3 moves too little in 25 steps for assert_moved
        options = {"lr": 1e-3 * 10}
    compare(torch, lambda optim, params: getattr(optim, optimizer)(params, **options), dtype)


def test_adam_and_adamw_differ_with_weight_decay(torch):
    """AdamW's decay does not enter the moments: the trajectories must differ."""
    values, data = initial_values()
    adam = make_params(glasstorch, values)
    adamw = make_params(glasstorch, values)
    train(glasstorch, adam, glasstorch.optim.Adam(adam, lr=0.01, weight_decay=0.5), data)
    train(glasstorch, adamw, glasstorch.optim.AdamW(adamw, lr=0.01, weight_decay=0.5), data)
    assert np.abs(adam[0].detach().numpy() - adamw[0].detach().numpy()).max() > 1e-4


def test_default_hyperparameters_equal_torchs(torch):
    for name in ("SGD", "Adam", "AdamW"):
        ours = getattr(glasstorch.optim, name)([glasstorch.zeros(2, requires_grad=True)])
        theirs = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)])
        assert ours.defaults == theirs.defaults
        assert ours.state_dict() == theirs.state_dict()


@pytest.mark.parametrize("optimizer", ["SGD", "Adam", "AdamW"])
def test_float32_state_is_float32(torch, optimizer):
    values, data = initial_values()
    params = make_params(glasstorch, values, "float32")
    opt = getattr(glasstorch.optim, optimizer)(params, lr=0.01, momentum=0.9) \
        if optimizer == "SGD" else getattr(glasstorch.optim, optimizer)(params, lr=0.01)
    train(glasstorch, params, opt, data[:3])
    for p in params:
        assert p.dtype == glasstorch.float32
        for key, value in opt.state[p].items():
            assert value.dtype == glasstorch.float32, key


# ---- param groups ----

def test_param_groups_with_their_own_options(torch):
    def sgd(optim, params):
        return optim.SGD([{"params": params[:2]},
                          {"params": params[2:], "lr": 0.01, "momentum": 0.5, "nesterov": True}],
                         lr=0.1, momentum=0.9)

    def adam(optim, params):
        return optim.Adam([{"params": [params[0], params[2]], "amsgrad": True},
                           {"params": [params[1], params[3]], "lr": 0.03, "betas": (0.5, 0.6)}],
                          lr=0.01)

    compare(torch, sgd)
    compare(torch, adam)


def test_groups_fill_in_defaults_like_torch(torch):
    def groups(lib):
        p, q = (lib.zeros(2, requires_grad=True) for _ in range(2))
        return lib.optim.SGD([{"params": p}, {"params": [q], "lr": 0.5}], lr=0.1,
                             momentum=0.9).param_groups
    ours, theirs = groups(glasstorch), groups(torch)
    assert [{k: v for k, v in g.items() if k != "params"} for g in ours] == \
           [{k: v for k, v in g.items() if k != "params"} for g in theirs]
    assert ours[1]["lr"] == 0.5 and ours[0]["lr"] == 0.1
    assert isinstance(ours[0]["params"], list)  # a lone tensor becomes a list


def test_add_param_group_mid_training(torch):
    values, data = initial_values()
    trained = []
    for lib in (glasstorch, torch):
        params = make_params(lib, values)
        opt = lib.optim.Adam(params[:2], lr=0.01)
        train(lib, params, opt, data[:10])
        opt.add_param_group({"params": params[2:], "lr": 0.05, "amsgrad": True})
        assert len(opt.param_groups) == 2 and opt.param_groups[1]["betas"] == (0.9, 0.999)
        train(lib, params, opt, data[10:])
        trained.append(params)
    assert_params_equal(*trained, 1e-6)
    assert np.allclose(trained[0][2].detach().numpy(), initial_values()[0]["W2"]) is False


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


def test_add_param_group_errors(torch):
    def duplicate(lib):
        p, q = lib.zeros(2, requires_grad=True), lib.zeros(3, requires_grad=True)
        opt = lib.optim.SGD([p], lr=0.1)
        opt.add_param_group({"params": [q, p]})

    def required_missing(lib):
        p = lib.zeros(2, requires_grad=True)
        required = importlib.import_module(lib.__name__ + ".optim.optimizer").required
        lib.optim.Optimizer([p], {"lr": required})

    def not_a_dict(lib):
        lib.optim.SGD([lib.zeros(2, requires_grad=True)]).add_param_group([1])

    def a_set(lib):
        lib.optim.SGD([{"params": {lib.zeros(2, requires_grad=True)}}])

    assert isinstance(errors(torch, duplicate), ValueError)
    error = errors(torch, required_missing)
    assert isinstance(error, ValueError) and "lr" in str(error)
    assert isinstance(errors(torch, not_a_dict), TypeError)
    assert isinstance(errors(torch, a_set), TypeError)


def test_duplicate_params_in_a_group_warn(torch):
    for lib in (glasstorch, torch):
        p = lib.zeros(2, requires_grad=True)
        with pytest.warns(UserWarning, match="duplicate parameters"):
            lib.optim.SGD([p, p], lr=0.1)


# ---- zero_grad, step ----

def test_zero_grad(torch):
    for set_to_none in (True, False):
        results = []
        for lib in (glasstorch, torch):
            p = lib.ones(3, requires_grad=True)
            unused = lib.ones(2, requires_grad=True)
            (p * 2).sum().backward()
            opt = lib.optim.SGD([p, unused], lr=0.1)
            opt.zero_grad(set_to_none=set_to_none)
            results.append((p.grad, unused.grad))
        (ours, ours_unused), (theirs, theirs_unused) = results
        assert ours_unused is None and theirs_unused is None
        if set_to_none:
            assert ours is None and theirs is None
        else:
            assert ours is not None and not ours.requires_grad
            assert ours.tolist() == theirs.tolist() == [0.0, 0.0, 0.0]


def test_zero_grad_default_sets_none():
    p = glasstorch.ones(3, requires_grad=True)
    p.sum().backward()
    opt = glasstorch.optim.Adam([p])
    opt.zero_grad()
    assert p.grad is None


def test_zero_grad_false_keeps_the_grad_tensor():
    p = glasstorch.ones(3, requires_grad=True)
    (p * 3).sum().backward()
    grad = p.grad
    glasstorch.optim.SGD([p], lr=0.1).zero_grad(set_to_none=False)
    assert p.grad is grad and grad.tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("optimizer", ["SGD", "Adam", "AdamW"])
def test_param_without_grad_is_skipped(torch, optimizer):
    values, data = initial_values()
    results = []
    for lib in (glasstorch, torch):
        params = make_params(lib, values)
        frozen = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)  # never used
        opt = getattr(lib.optim, optimizer)(params + [frozen], lr=0.05, momentum=0.9) \
            if optimizer == "SGD" else getattr(lib.optim, optimizer)(params + [frozen], lr=0.05)
        train(lib, params, opt, data[:5])
        assert frozen.tolist() == [1.0, 2.0]
        assert frozen not in opt.state
        results.append((params, sorted(opt.state_dict()["state"])))
    assert results[0][1] == results[1][1] == [0, 1, 2, 3]
    assert_params_equal(results[0][0], results[1][0], 1e-6)


def test_step_with_closure(torch):
    values, data = initial_values()
    losses = []
    for lib in (glasstorch, torch):
        params = make_params(lib, values)
        opt = lib.optim.SGD(params, lr=0.1, momentum=0.9)

        def closure(opt=opt, lib=lib, params=params):
            opt.zero_grad()
            loss = loss_of(lib, params, *data[0])
            loss.backward()
            return loss

        with lib.no_grad():  # the closure runs with grad enabled anyway
            step_losses = [opt.step(closure).item() for _ in range(5)]
        assert opt.step() is None
        losses.append(step_losses)
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-10)
    assert losses[0][-1] < losses[0][0]


def test_step_does_not_record_a_graph():
    p = glasstorch.ones(3, requires_grad=True)
    (p * 2).sum().backward()
    glasstorch.optim.Adam([p], weight_decay=0.1).step()
    assert p.is_leaf and p.grad_fn is None and p.requires_grad
    assert p.grad.tolist() == [2.0, 2.0, 2.0]  # weight decay did not change the gradient


def test_sgd_weight_decay_does_not_change_grad():
    p = glasstorch.ones(3, requires_grad=True)
    (p * 2).sum().backward()
    glasstorch.optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.5, maximize=True).step()
    assert p.grad.tolist() == [2.0, 2.0, 2.0]


def test_params_given_as_a_generator(torch):
    compare(torch, lambda optim, params: optim.SGD((p for p in params), lr=0.1, momentum=0.9))
    compare(torch, lambda optim, params: optim.Adam(iter(params), lr=0.01))


def test_named_params(torch):
    def groups(lib):
        p, q = (lib.zeros(2, requires_grad=True) for _ in range(2))
        opt = lib.optim.SGD([("w", p), ("b", q)], lr=0.1)
        return opt.state_dict()["param_groups"]
    assert groups(glasstorch) == groups(torch)
    assert groups(glasstorch)[0]["param_names"] == ["w", "b"]


# ---- state_dict ----

def to_glasstorch(value, torch):
    if isinstance(value, torch.Tensor):
        return glasstorch.tensor(value.detach().numpy())
    if isinstance(value, dict):
        return {k: to_glasstorch(v, torch) for k, v in value.items()}
    if isinstance(value, list):
        return [to_glasstorch(v, torch) for v in value]
    return value


def assert_state_dicts_equal(ours, theirs, torch):
    assert ours["param_groups"] == theirs["param_groups"]
    assert list(ours["state"]) == list(theirs["state"])
    for index, state in theirs["state"].items():
        assert list(ours["state"][index]) == list(state)
        for key, value in state.items():
            mine = ours["state"][index][key]
            assert isinstance(mine, glasstorch.Tensor)
            assert str(mine.dtype) == str(value.dtype) and tuple(mine.shape) == tuple(value.shape)
            np.testing.assert_allclose(mine.numpy(), value.numpy(), rtol=1e-6, atol=1e-9)


OPTIMIZERS = {
    "SGD": {"lr": 0.05, "momentum": 0.9, "dampening": 0.1},
    "Adam": {"lr": 0.01, "amsgrad": True},
    "AdamW": {"lr": 0.01, "weight_decay": 0.1},
}


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_state_dict_matches_torch(torch, name):
    values, data = initial_values()
    state_dicts = []
    for lib in (glasstorch, torch):
        params = make_params(lib, values)
        opt = getattr(lib.optim, name)([{"params": params[:1]}, {"params": params[1:]}],
                                       **OPTIMIZERS[name])
        train(lib, params, opt, data[:7])
        state_dicts.append(opt.state_dict())
    assert_state_dicts_equal(*state_dicts, torch)
    if name != "SGD":
        assert state_dicts[0]["state"][0]["step"].item() == 7.0


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_state_dict_round_trip_continues_identically(torch, name):
    values, data = initial_values()
    params = make_params(glasstorch, values)
    opt = getattr(glasstorch.optim, name)(params, **OPTIMIZERS[name])
    train(glasstorch, params, opt, data[:10])
    saved = copy.deepcopy(opt.state_dict())
    saved_params = [p.detach().clone().requires_grad_() for p in params]

    resumed = getattr(glasstorch.optim, name)(saved_params, lr=123.0)  # options come from saved
    resumed.load_state_dict(saved)
    assert resumed.param_groups[0]["lr"] == OPTIMIZERS[name]["lr"]
    assert resumed.param_groups[0]["params"][0] is saved_params[0]
    train(glasstorch, params, opt, data[10:])
    train(glasstorch, saved_params, resumed, data[10:])
    assert_params_equal(params, saved_params, 1e-12)

    reference = make_params(torch, values)  # and both still follow torch
    train(torch, reference, getattr(torch.optim, name)(reference, **OPTIMIZERS[name]), data)
    assert_params_equal(saved_params, reference, 1e-6)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_load_a_torch_state_dict(torch, name):
    values, data = initial_values()
    reference = make_params(torch, values)
    torch_opt = getattr(torch.optim, name)(reference, **OPTIMIZERS[name])
    train(torch, reference, torch_opt, data[:10])

    params = [glasstorch.tensor(p.detach().numpy(), requires_grad=True) for p in reference]
    opt = getattr(glasstorch.optim, name)(params)
    opt.load_state_dict(to_glasstorch(torch_opt.state_dict(), torch))
    assert_state_dicts_equal(opt.state_dict(), torch_opt.state_dict(), torch)
    train(torch, reference, torch_opt, data[10:])
    train(glasstorch, params, opt, data[10:])
    assert_params_equal(params, reference, 1e-6)


def test_loaded_state_takes_the_param_dtype_but_step_stays():
    p = glasstorch.ones(3, dtype=glasstorch.float32, requires_grad=True)
    opt = glasstorch.optim.Adam([p])
    state = {"state": {0: {"step": glasstorch.tensor(4.0),
                           "exp_avg": glasstorch.ones(3, dtype=glasstorch.float64),
                           "exp_avg_sq": glasstorch.ones(3, dtype=glasstorch.float64)}},
             "param_groups": copy.deepcopy(opt.state_dict()["param_groups"])}
    opt.load_state_dict(state)
    assert opt.state[p]["exp_avg"].dtype == glasstorch.float32
    assert opt.state[p]["step"].dtype == glasstorch.float32
    state["state"][0]["step"] = 4  # an old state_dict with a number for step
    opt.load_state_dict(state)
    assert isinstance(opt.state[p]["step"], glasstorch.Tensor)
    assert opt.state[p]["step"].item() == 4.0


def test_adamw_stays_decoupled_after_loading_an_adam_state_dict():
    p = glasstorch.ones(3, requires_grad=True)
    adam_state = glasstorch.optim.Adam([p]).state_dict()
    opt = glasstorch.optim.AdamW([p])
    opt.load_state_dict(adam_state)
    assert opt.param_groups[0]["decoupled_weight_decay"] is True


def test_load_state_dict_errors(torch):
    def fewer_groups(lib):
        p, q = lib.zeros(2, requires_grad=True), lib.zeros(2, requires_grad=True)
        saved = lib.optim.SGD([p, q], lr=0.1).state_dict()
        lib.optim.SGD([{"params": [p]}, {"params": [q]}], lr=0.1).load_state_dict(saved)

    def other_size(lib):
        p, q = lib.zeros(2, requires_grad=True), lib.zeros(2, requires_grad=True)
        saved = lib.optim.SGD([p, q], lr=0.1).state_dict()
        lib.optim.SGD([p], lr=0.1).load_state_dict(saved)

    assert isinstance(errors(torch, fewer_groups), ValueError)
    assert isinstance(errors(torch, other_size), ValueError)


# ---- validation and repr ----

def zeros_param(lib):
    return [lib.zeros(2, requires_grad=True)]


INVALID = [
    ("SGD", {"lr": -1}),
    ("SGD", {"lr": 0.1, "momentum": -0.5}),
    ("SGD", {"lr": 0.1, "weight_decay": -1e-3}),
    ("SGD", {"lr": 0.1, "nesterov": True}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "nesterov": True}),
    ("Adam", {"lr": -0.1}),
    ("Adam", {"eps": -1.0}),
    ("Adam", {"betas": (1.0, 0.999)}),
    ("Adam", {"betas": (0.9, -0.1)}),
    ("Adam", {"weight_decay": -0.5}),
    ("Adam", {"betas": (0, 0.9)}),
    ("AdamW", {"lr": -2.5}),
    ("AdamW", {"betas": (0.9, 1.5)}),
    ("AdamW", {"weight_decay": -1.0}),
]


@pytest.mark.parametrize("name, options", INVALID)
def test_invalid_options_raise_torchs_value_error(torch, name, options):
    error = errors(torch, lambda lib: getattr(lib.optim, name)(zeros_param(lib), **options))
    assert isinstance(error, ValueError)


def test_learning_rate_message(torch):
    with pytest.raises(ValueError, match=r"^Invalid learning rate: -1$"):
        glasstorch.optim.SGD(zeros_param(glasstorch), lr=-1)


def test_bad_params_raise_like_torch(torch):
    assert isinstance(errors(torch, lambda lib: lib.optim.SGD([], lr=0.1)), ValueError)
    error = errors(torch, lambda lib: lib.optim.SGD(lib.zeros(2, requires_grad=True), lr=0.1))
    assert isinstance(error, TypeError) and "torch.FloatTensor" in str(error)
    error = errors(torch, lambda lib: lib.optim.SGD([1, 2], lr=0.1))
    assert isinstance(error, TypeError) and str(error).endswith("int")

    def non_leaf(lib):
        p = lib.ones(2, requires_grad=True)
        lib.optim.SGD([p * 2], lr=0.1)

    assert isinstance(errors(torch, non_leaf), ValueError)


def test_base_step_is_abstract(torch):
    def step(lib):
        lib.optim.Optimizer(zeros_param(lib), {"lr": 0.1}).step()
    assert isinstance(errors(torch, step), NotImplementedError)


@pytest.mark.parametrize("make", [
    lambda lib, ps: lib.optim.SGD(ps, lr=0.1),
    lambda lib, ps: lib.optim.SGD([{"params": ps[:1]}, {"params": ps[1:], "lr": 0.5}], lr=0.1,
                                  momentum=0.9, nesterov=True, weight_decay=1e-4),
    lambda lib, ps: lib.optim.Adam(ps),
    lambda lib, ps: lib.optim.Adam(ps, lr=0.01, betas=(0.5, 0.75), amsgrad=True, eps=1e-6),
    lambda lib, ps: lib.optim.AdamW([{"params": ps[:1], "weight_decay": 0.0}, {"params": ps[1:]}]),
])
def test_repr_equals_torchs(torch, make):
    texts = [repr(make(lib, [lib.zeros(2, requires_grad=True), lib.zeros(3, requires_grad=True)]))
             for lib in (glasstorch, torch)]
    assert texts[0] == texts[1]
    assert texts[0].startswith(("SGD (\nParameter Group 0\n", "Adam (", "AdamW ("))


def test_optimizers_live_at_torchs_paths():
    from glasstorch.optim import SGD, Adam, AdamW, Optimizer
    from glasstorch.optim.optimizer import required

    assert issubclass(SGD, Optimizer) and issubclass(Adam, Optimizer)
    assert issubclass(AdamW, Adam)
    assert repr(required) == "<required parameter>"
    assert glasstorch.optim.SGD is SGD
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SGD(zeros_param(glasstorch), lr=0.1)  # no warning for an ordinary construction


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_state_dict_through_save_and_load_both_ways(torch, name, tmp_path):
    """A checkpoint of either library resumes training in the other."""
    values, data = initial_values()
    ours = make_params(glasstorch, values)
    theirs = make_params(torch, values)
    our_opt = getattr(glasstorch.optim, name)(ours, **OPTIMIZERS[name])
    their_opt = getattr(torch.optim, name)(theirs, **OPTIMIZERS[name])
    train(glasstorch, ours, our_opt, data[:8])
    train(torch, theirs, their_opt, data[:8])
    glasstorch.save(our_opt.state_dict(), tmp_path / "ours.pt")
    torch.save(their_opt.state_dict(), tmp_path / "theirs.pt")

    ours_resumed = [glasstorch.tensor(p.detach().numpy(), requires_grad=True) for p in theirs]
    theirs_resumed = [torch.tensor(p.detach().numpy(), requires_grad=True) for p in ours]
    our_opt2 = getattr(glasstorch.optim, name)(ours_resumed)
    their_opt2 = getattr(torch.optim, name)(theirs_resumed)
    our_opt2.load_state_dict(glasstorch.load(tmp_path / "theirs.pt"))
    their_opt2.load_state_dict(torch.load(tmp_path / "ours.pt"))
    for params, opt, lib in ((ours, our_opt, glasstorch), (theirs, their_opt, torch),
                             (ours_resumed, our_opt2, glasstorch),
                             (theirs_resumed, their_opt2, torch)):
        train(lib, params, opt, data[8:])
    assert_params_equal(ours_resumed, theirs, 1e-9)
    assert_params_equal(ours, theirs_resumed, 1e-9)
    assert_params_equal(ours, theirs, 1e-9)


def test_step_counts_as_an_in_place_change(torch):
    """A graph that saved a parameter cannot be backpropagated after the step changed it."""
    def backward_after_step(lib):
        p = lib.ones(3, requires_grad=True)
        loss = (p * p).sum()
        p.grad = lib.ones(3)
        lib.optim.SGD([p], lr=0.1).step()
        loss.backward()

    caught = []
    for lib in (glasstorch, torch):
        with pytest.raises(RuntimeError) as info:
            backward_after_step(lib)
        caught.append(str(info.value))
    assert "modified by an inplace operation" in caught[0]


def test_step_hooks_run_around_every_optimizers_step_as_torch(torch):
    def run(lib, make):
        p = lib.nn.Parameter(lib.ones(2))
        opt = make(lib, [p])
        log = []
        pre = opt.register_step_pre_hook(
            lambda o, args, kwargs: log.append(("pre", args[0] is o, kwargs, p.tolist())))
        opt.register_step_post_hook(
            lambda o, args, kwargs: log.append(("post", args[0] is o, kwargs, p.tolist())))
        p.grad = lib.ones(2)
        opt.step()
        pre.remove()
        opt.step()
        opt.register_step_pre_hook(lambda o, args, kwargs: 5)
        with pytest.raises(RuntimeError, match=r"must return None or a tuple of \(new_args, "
                                               r"new_kwargs\), but got 5"):
            opt.step()
        return [(kind, same, kwargs, [round(v, 6) for v in values])
                for kind, same, kwargs, values in log]

    makers = [lambda lib, ps: lib.optim.SGD(ps, lr=0.1), lambda lib, ps: lib.optim.AdamW(ps),
              lambda lib, ps: lib.optim.RMSprop(ps)]
    for make in makers:
        assert run(glasstorch, make) == run(torch, make)
