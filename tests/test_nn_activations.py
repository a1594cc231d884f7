"""Activation, Dropout and loss modules against PyTorch: outputs, gradients, reprs, state."""

import numpy as np
import pytest
from oracle import check

import glasstorch
from glasstorch import nn

ACTIVATIONS = [
    "ReLU()", "ReLU(inplace=True)", "ReLU6()", "ReLU6(inplace=True)", "LeakyReLU()",
    "LeakyReLU(0.2)", "LeakyReLU(negative_slope=0.1, inplace=True)", "GELU()",
    "GELU(approximate='tanh')", "ELU()", "ELU(alpha=0.5, inplace=True)", "SiLU()",
    "SiLU(inplace=True)", "Softplus()", "Softplus(beta=2, threshold=5)", "Sigmoid()", "Tanh()",
    "Softmax(dim=1)", "Softmax(dim=-1)", "LogSoftmax(dim=1)", "LogSoftmax(0)", "Hardtanh()",
    "Hardtanh(-2.0, 3.0)",
]


def build(lib, text):
    return eval("lib.nn." + text, {"lib": lib})


@pytest.mark.parametrize("text", ACTIVATIONS)
def test_activation_modules_match_torch(text, torch):
    assert repr(build(glasstorch, text)) == repr(build(torch, text))
    inplace = "inplace=True" in text
    # in place on a leaf is an error in both; run the module on a fresh non-leaf instead
    check(lambda lib, x: build(lib, text)(x * 1.0 if inplace else x), (3, 5), low=-8, high=8)


@pytest.mark.parametrize("text", ["Softmax()", "LogSoftmax()"])
def test_softmax_modules_without_dim_warn(text, torch):
    assert repr(build(glasstorch, text)) == repr(build(torch, text))
    with pytest.warns(UserWarning, match="Implicit dimension choice"):
        build(glasstorch, text)(glasstorch.ones(2, 3))


def test_activation_modules_have_no_state(torch):
    for text in ACTIVATIONS:
        module = build(glasstorch, text)
        assert list(module.parameters()) == [] and module.state_dict() == {}


# ---- Dropout ----


@pytest.mark.parametrize("text", ["Dropout()", "Dropout(0.2)", "Dropout(p=0.7, inplace=True)",
                                  "Dropout(0)", "Dropout(1.0)"])
def test_dropout_repr_matches_torch(text, torch):
    assert repr(build(glasstorch, text)) == repr(build(torch, text))


def test_dropout_module_follows_training_mode():
    drop = nn.Dropout(0.5)
    x = glasstorch.ones(100, 100)
    y = drop(x)
    assert 0.4 < (y == 0).float().mean().item() < 0.6
    assert set(np.unique(y.numpy())) <= {0.0, 2.0}
    drop.eval()
    assert drop(x) is x
    drop.train()
    assert (drop(x) == 0).any()


@pytest.mark.parametrize("p", [-0.5, 1.2])
def test_dropout_module_rejects_bad_p(p, torch):
    with pytest.raises(ValueError, match="dropout probability"):
        nn.Dropout(p)
    with pytest.raises(ValueError):
        torch.nn.Dropout(p)


def test_dropout_in_a_sequential_like_the_book(torch):
    net = nn.Sequential(nn.Flatten(), nn.Linear(8, 6), nn.ReLU(), nn.Dropout(0.2), nn.Linear(6, 3))
    ref = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(8, 6), torch.nn.ReLU(),
                              torch.nn.Dropout(0.2), torch.nn.Linear(6, 3))
    assert repr(net) == repr(ref)
    net.load_state_dict({k: glasstorch.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    net.eval()
    ref.eval()
    x = np.random.default_rng(0).standard_normal((4, 2, 4)).astype("float32")
    np.testing.assert_allclose(net(glasstorch.tensor(x)).detach().numpy(),
                               ref(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


# ---- loss modules ----

WEIGHT = np.array([0.5, 2.0, 1.0, 3.0], "float32")


def labels(*values):
    return np.array(values, dtype="int64")


@pytest.mark.parametrize("text", [
    "MSELoss()", "MSELoss(reduction='sum')", "L1Loss(reduction='none')", "SmoothL1Loss()",
    "SmoothL1Loss(beta=0.5)", "HuberLoss()", "HuberLoss(reduction='sum', delta=0.3)",
])
def test_regression_loss_modules_match_torch(text, torch):
    assert repr(build(glasstorch, text)) == repr(build(torch, text))
    check(lambda lib, x, y: build(lib, text)(x, y), (3, 4), (3, 4))


@pytest.mark.parametrize("text", [
    "CrossEntropyLoss()", "CrossEntropyLoss(reduction='none')",
    "CrossEntropyLoss(weight=lib.tensor(WEIGHT), ignore_index=2, label_smoothing=0.1)",
    "NLLLoss()", "NLLLoss(weight=lib.tensor(WEIGHT), reduction='sum')",
])
def test_classification_loss_modules_match_torch(text, torch):
    def make(lib):
        return eval("lib.nn." + text, {"lib": lib, "WEIGHT": WEIGHT})
    assert repr(make(glasstorch)) == repr(make(torch))
    assert list(make(glasstorch).state_dict()) == list(make(torch).state_dict())
    check(lambda lib, x, t: make(lib)(x, t), (5, 4), labels(0, 3, 2, 1, 2))


def test_cross_entropy_loss_with_probabilities(torch):
    probs = np.random.default_rng(0).dirichlet(np.ones(4), 5).astype("float32")
    check(lambda lib, x, p: lib.nn.CrossEntropyLoss()(x, p), (5, 4), probs)


@pytest.mark.parametrize("text", [
    "BCELoss()", "BCELoss(weight=lib.tensor(WEIGHT), reduction='sum')",
    "BCEWithLogitsLoss()", "BCEWithLogitsLoss(pos_weight=lib.tensor(WEIGHT))",
    "BCEWithLogitsLoss(weight=lib.tensor(WEIGHT), reduction='none')",
])
def test_binary_loss_modules_match_torch(text, torch):
    def make(lib):
        return eval("lib.nn." + text, {"lib": lib, "WEIGHT": WEIGHT})
    assert repr(make(glasstorch)) == repr(make(torch))
    assert list(make(glasstorch).state_dict()) == list(make(torch).state_dict())
    check(lambda lib, x, y: make(lib)(x, y), (3, 4), (3, 4), low=[0.05, 0], high=[0.95, 1])


def test_loss_module_attributes_like_torch(torch):
    for text in ["CrossEntropyLoss(ignore_index=3, label_smoothing=0.2)", "MSELoss('sum')",
                 "NLLLoss(size_average=False)", "SmoothL1Loss(beta=2.0)", "HuberLoss(delta=3.0)"]:
        ours, theirs = build(glasstorch, text), build(torch, text)
        for name in ["reduction", "ignore_index", "label_smoothing", "beta", "delta"]:
            assert getattr(ours, name, None) == getattr(theirs, name, None), (text, name)


def test_softmax_regression_step_matches_torch(torch):
    """A d2l-style step: Flatten -> Linear -> CrossEntropyLoss(reduction='none').mean()."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 1, 4, 4)).astype("float32")
    y = rng.integers(0, 10, 16)
    grads = []
    weight = rng.normal(0, 0.01, (10, 16)).astype("float32")
    for lib in (glasstorch, torch):
        net = lib.nn.Sequential(lib.nn.Flatten(), lib.nn.Linear(16, 10))
        net[1].weight.data = lib.tensor(weight)
        net[1].bias.data.fill_(0)
        loss = lib.nn.CrossEntropyLoss(reduction="none")(net(lib.tensor(x)), lib.tensor(y))
        loss.mean().backward()
        grads.append(net[1].weight.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-5, atol=1e-6)


def test_relu_backward_of_an_infinite_gradient_is_zero_where_relu_is_flat(torch):
    """sqrt(relu(x)) at x <= 0: sqrt's gradient is inf, relu's mask makes it 0 (not nan)."""
    values = [-1.0, 0.0, 0.25, 4.0]
    ours = glasstorch.tensor(values, requires_grad=True)
    theirs = torch.tensor(values, requires_grad=True)
    ours.relu().sqrt().sum().backward()
    theirs.relu().sqrt().sum().backward()
    assert ours.grad.tolist() == theirs.grad.tolist() == [0.0, 0.0, 1.0, 0.25]


def test_sigmoid_is_exact_far_out_in_both_tails(torch):
    values = [-100.0, -30.0, -1.0, 0.0, 1.0, 30.0, 100.0]
    for dtype in ("float32", "float64"):
        ours = glasstorch.tensor(values, dtype=getattr(glasstorch, dtype)).sigmoid()
        theirs = torch.tensor(values, dtype=getattr(torch, dtype)).sigmoid()
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-40)  # torch: 0
