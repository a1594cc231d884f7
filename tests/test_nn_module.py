"""nn.Module, Parameter, containers, Linear/LazyLinear, Flatten against PyTorch."""

import copy
import pickle
import re
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import glasstorch
from oracle import MKL_ROUNDING_KNOWN


def relu(lib):
    """nn.ReLU if the library has it; otherwise a tiny module that prints the same."""
    if hasattr(lib.nn, "ReLU"):
        return lib.nn.ReLU()

    class ReLU(lib.nn.Module):
        def forward(self, x):
            return x.relu()

    return ReLU()


class Block:
    """A custom Module with named children, built for either library."""

    @staticmethod
    def make(lib):
        class Block(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.encoder = lib.nn.Linear(4, 3)
                self.act = relu(lib)
                self.heads = lib.nn.ModuleList([lib.nn.Linear(3, 2), lib.nn.Linear(3, 2)])
                self.register_buffer("steps", lib.zeros(1))
                self.register_buffer("scratch", lib.ones(2), persistent=False)
                self.scale = lib.nn.Parameter(lib.ones(1))
                self.extras = lib.nn.ModuleDict({"a": lib.nn.Linear(2, 2), "b": lib.nn.Identity()})

            def forward(self, x):
                h = self.act(self.encoder(x))
                out = (self.heads[0](h) + self.heads[1](h)) * self.scale
                return self.extras["b"](self.extras["a"](out))

        return Block()


def mlp(lib):
    return lib.nn.Sequential(lib.nn.Flatten(), lib.nn.Linear(4, 8), relu(lib), lib.nn.Linear(8, 2))


def nested(lib):
    inner = lib.nn.Sequential(lib.nn.Linear(4, 4), relu(lib))
    return lib.nn.Sequential(inner, lib.nn.Sequential(inner, lib.nn.Linear(4, 1)),
                             lib.nn.Linear(1, 1, bias=False))


def with_dict(lib):
    return lib.nn.Sequential(OrderedDict([
        ("hidden", lib.nn.Linear(4, 5)),
        ("act", relu(lib)),
        ("out", lib.nn.Linear(5, 1)),
        ("shape", lib.nn.Unflatten(1, (1, 1))),
    ]))


def custom(lib):
    return lib.nn.Sequential(Block.make(lib), lib.nn.Sequential(lib.nn.Linear(2, 2)))


def linear_only(lib):
    return lib.nn.Linear(2, 1)


BUILDERS = [mlp, nested, with_dict, custom, linear_only]


def copy_from_torch(net, tnet):
    """torch state_dict -> numpy -> glasstorch.load_state_dict."""
    state = {k: glasstorch.tensor(v.detach().numpy()) for k, v in tnet.state_dict().items()}
    return net.load_state_dict(state)


@pytest.mark.parametrize("build", BUILDERS)
def test_names_and_order_match_torch(torch, build):
    net, tnet = build(glasstorch), build(torch)
    assert list(net.state_dict()) == list(tnet.state_dict())
    assert [n for n, _ in net.named_parameters()] == [n for n, _ in tnet.named_parameters()]
    assert [tuple(p.shape) for p in net.parameters()] == [tuple(p.shape)
                                                          for p in tnet.parameters()]
    assert [n for n, _ in net.named_buffers()] == [n for n, _ in tnet.named_buffers()]
    assert [n for n, _ in net.named_modules()] == [n for n, _ in tnet.named_modules()]
    assert [n for n, _ in net.named_children()] == [n for n, _ in tnet.named_children()]
    assert [n for n, _ in net.named_parameters(prefix="m", recurse=False)] == [
        n for n, _ in tnet.named_parameters(prefix="m", recurse=False)]


@pytest.mark.parametrize("build", BUILDERS)
def test_repr_matches_torch(torch, build):
    assert repr(build(glasstorch)) == repr(build(torch))
    assert str(build(glasstorch)) == str(build(torch))


def test_repr_of_lists_and_empty_containers(torch):
    for lib_net in [lambda lib: lib.nn.ModuleList([lib.nn.Linear(2, 2) for _ in range(3)]
                                                  + [lib.nn.Identity(), lib.nn.Linear(2, 2)]),
                    lambda lib: lib.nn.ModuleList(),
                    lambda lib: lib.nn.Sequential(),
                    lambda lib: lib.nn.ModuleDict(),
                    lambda lib: lib.nn.Flatten(0, 2),
                    lambda lib: lib.nn.LazyLinear(3, bias=False)]:
        assert repr(lib_net(glasstorch)) == repr(lib_net(torch))
    assert repr(glasstorch.nn.Linear(2, 1)) == "Linear(in_features=2, out_features=1, bias=True)"


@pytest.mark.parametrize("build", BUILDERS)
def test_load_state_dict_from_torch_gives_torch_outputs(torch, build):
    net, tnet = build(glasstorch), build(torch)
    result = copy_from_torch(net, tnet)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    x = np.random.randn(3, 4).astype(np.float32)
    if build is linear_only:
        x = x[:, :2]
    np.testing.assert_allclose(net(glasstorch.tensor(x)).detach().numpy(),
                               tnet(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("build", BUILDERS)
def test_state_dict_loads_into_torch(torch, build):
    net, tnet = build(glasstorch), build(torch)
    tnet.load_state_dict({k: torch.tensor(v.numpy()) for k, v in net.state_dict().items()})
    for (k, v), (tk, tv) in zip(net.state_dict().items(), tnet.state_dict().items()):
        assert k == tk
        np.testing.assert_array_equal(v.numpy(), tv.numpy())


def test_load_state_dict_copies_in_place_without_grad(torch):
    net = glasstorch.nn.Linear(3, 2)
    weight = net.weight
    net.load_state_dict({"weight": glasstorch.ones(2, 3), "bias": glasstorch.zeros(2)})
    assert net.weight is weight and weight.is_leaf and weight.requires_grad
    assert weight.grad_fn is None and weight.tolist() == [[1.0] * 3] * 2
    assert net.bias.tolist() == [0.0, 0.0]


def _error(fn):
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value), str(info.value)


@pytest.mark.parametrize("keys", [
    lambda sd: {k: v for k, v in list(sd.items())[1:]},  # missing
    lambda sd: {**sd, "extra.weight": sd["2.weight"], "zzz": sd["1.1.bias"]},  # unexpected
    lambda sd: {**{k: v for k, v in list(sd.items())[:-1]}, "3.foo": sd["1.1.bias"]},  # both
    lambda sd: {**sd, "2.weight": sd["1.1.bias"], "1.1.bias": sd["0.0.bias"]},  # sizes
])
def test_load_state_dict_errors_match_torch(torch, keys):
    net, tnet = nested(glasstorch), nested(torch)
    sd = {k: glasstorch.tensor(v.numpy()) for k, v in net.state_dict().items()}
    tsd = tnet.state_dict()
    got = _error(lambda: net.load_state_dict(keys(sd)))
    want = _error(lambda: tnet.load_state_dict(keys(tsd)))
    assert got[0] is want[0] is RuntimeError
    assert got[1] == want[1]
    assert got[1].startswith("Error(s) in loading state_dict for Sequential:\n\t")


def test_load_state_dict_not_strict_returns_incompatible_keys(torch):
    net, tnet = mlp(glasstorch), mlp(torch)
    sd = {"1.weight": glasstorch.zeros(8, 4), "9.bias": glasstorch.zeros(1)}
    tsd = {"1.weight": torch.zeros(8, 4), "9.bias": torch.zeros(1)}
    got, want = net.load_state_dict(sd, strict=False), tnet.load_state_dict(tsd, strict=False)
    assert got.missing_keys == want.missing_keys == ["1.bias", "3.weight", "3.bias"]
    assert got.unexpected_keys == want.unexpected_keys == ["9.bias"]
    assert repr(got) == repr(want)
    assert net[1].weight.abs().sum().item() == 0
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        net.load_state_dict([1, 2])


def test_state_dict_detached_keep_vars_and_buffers(torch):
    net = Block.make(glasstorch)
    sd = net.state_dict()
    assert isinstance(sd, OrderedDict)
    assert "steps" in sd and "scratch" not in sd  # non-persistent buffers are left out
    assert not sd["scale"].requires_grad and type(sd["scale"]) is glasstorch.Tensor
    assert np.shares_memory(sd["scale"].numpy(), net.scale.detach().numpy())
    kept = net.state_dict(keep_vars=True)
    assert kept["scale"] is net.scale
    assert list(net.state_dict(prefix="model.")) == ["model." + k for k in sd]
    assert [n for n, _ in net.named_buffers()] == ["steps", "scratch"]


def test_linear_forward_backward_match_torch(torch):
    x = np.random.randn(5, 3).astype(np.float32)
    net, tnet = glasstorch.nn.Linear(3, 4), torch.nn.Linear(3, 4)
    copy_from_torch(net, tnet)
    xg, xt = glasstorch.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = net(xg), tnet(xt)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-6)
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    for got, want in [(net.weight.grad, tnet.weight.grad), (net.bias.grad, tnet.bias.grad),
                      (xg.grad, xt.grad)]:
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-5)
    no_bias = glasstorch.nn.Linear(3, 2, bias=False)
    assert no_bias.bias is None and [n for n, _ in no_bias.named_parameters()] == ["weight"]
    assert net(glasstorch.randn(2, 6, 3)).shape == (2, 6, 4)


def test_linear_default_init_bounds():
    net = glasstorch.nn.Linear(64, 200)
    bound = 1 / 8  # 1 / sqrt(fan_in)
    w, b = net.weight.detach().numpy(), net.bias.detach().numpy()
    assert w.dtype == np.float32 and w.shape == (200, 64)
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.95 * bound  # uniform, reaching the bound
    np.testing.assert_allclose(w.std(), bound / np.sqrt(3), rtol=0.05)
    assert abs(w.mean()) < 0.005 and b.std() > 0.5 * bound / np.sqrt(3)
    assert not np.array_equal(w, glasstorch.nn.Linear(64, 200).weight.detach().numpy())


def test_lazy_linear_becomes_linear(torch):
    net = glasstorch.nn.LazyLinear(4)
    assert repr(net) == repr(torch.nn.LazyLinear(4))
    assert all(isinstance(p, glasstorch.nn.UninitializedParameter) for p in net.parameters())
    y = net(glasstorch.randn(2, 7))
    assert type(net) is glasstorch.nn.Linear and net.in_features == 7
    assert y.shape == (2, 4) and y.requires_grad
    assert type(net.weight) is glasstorch.nn.Parameter and net.weight.shape == (4, 7)
    assert np.abs(net.weight.detach().numpy()).max() <= 1 / np.sqrt(7)
    assert repr(net) == "Linear(in_features=7, out_features=4, bias=True)"
    assert not net._forward_pre_hooks
    seq = glasstorch.nn.Sequential(glasstorch.nn.LazyLinear(8), glasstorch.nn.LazyLinear(1))
    seq(glasstorch.randn(3, 5))
    tseq = torch.nn.Sequential(torch.nn.LazyLinear(8), torch.nn.LazyLinear(1))
    tseq(torch.randn(3, 5))
    assert repr(seq) == repr(tseq)
    lazy = glasstorch.nn.LazyLinear(8)
    lazy.load_state_dict({"weight": glasstorch.ones(8, 3), "bias": glasstorch.zeros(8)})
    assert lazy.weight.shape == (8, 3) and lazy(glasstorch.ones(1, 3)).tolist() == [[3.0] * 8]


def test_lazy_linear_loaded_from_a_checkpoint(torch):
    # the parameters take the checkpoint's shapes; in_features is read from the first input
    for lib in (glasstorch, torch):
        lazy = lib.nn.LazyLinear(8)
        lazy.load_state_dict({"weight": lib.ones(8, 3), "bias": lib.zeros(8)})
        assert repr(lazy) == "LazyLinear(in_features=0, out_features=8, bias=True)"
        assert lazy(lib.ones(1, 3)).tolist() == [[3.0] * 8]
        assert repr(lazy) == "Linear(in_features=3, out_features=8, bias=True)"
        lazy = lib.nn.LazyLinear(8)
        lazy.load_state_dict({"weight": lib.ones(8, 3), "bias": lib.zeros(8)})
        with pytest.raises(AssertionError, match="in_features inferred from input: 2"):
            lazy(lib.ones(1, 2))


def test_forward_hooks(torch):
    calls = []
    net = glasstorch.nn.Linear(2, 2)
    net.load_state_dict({"weight": glasstorch.eye(2), "bias": glasstorch.zeros(2)})

    def pre(module, args):
        calls.append(("pre", module))
        return (args[0] * 2,)

    def post(module, args, output):
        calls.append(("post", args[0].tolist()))
        return output + 1

    h1 = net.register_forward_pre_hook(pre)
    h2 = net.register_forward_hook(post)
    assert net(glasstorch.ones(1, 2)).tolist() == [[3.0, 3.0]]
    assert calls == [("pre", net), ("post", [[2.0, 2.0]])]
    h1.remove()
    h2.remove()
    assert net(glasstorch.ones(1, 2)).tolist() == [[1.0, 1.0]]
    assert len(calls) == 2
    order = []
    net.register_forward_hook(lambda m, a, o: order.append("a"))
    net.register_forward_hook(lambda m, a, o: order.append("b"), prepend=True)
    net.register_forward_pre_hook(lambda m, a, k: ((a[0] * 0,), k), with_kwargs=True)
    assert net(glasstorch.ones(1, 2)).tolist() == [[0.0, 0.0]]
    assert order == ["b", "a"]


def test_train_eval_flags(torch):
    net = custom(glasstorch)
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    net[0].train(False)
    assert net.training and not net[0].heads[1].training and net[1][0].training
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        net.train("no")


def test_zero_grad_and_requires_grad():
    net = mlp(glasstorch)
    net(glasstorch.randn(3, 4)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    grads = [p.grad for p in net.parameters()]
    net.zero_grad(set_to_none=False)
    assert all(p.grad is g for p, g in zip(net.parameters(), grads))
    assert all(p.grad is not None and p.grad.abs().sum().item() == 0 for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    assert not net(glasstorch.randn(1, 4)).requires_grad


def test_apply_init_fn_and_data_writes(torch):
    net = nested(glasstorch)
    seen = []

    def init_weights(m):
        seen.append(type(m).__name__)
        if type(m) is glasstorch.nn.Linear:
            glasstorch.nn.init.normal_(m.weight, std=0.01)
            if m.bias is not None:
                glasstorch.nn.init.zeros_(m.bias)

    assert net.apply(init_weights) is net
    tseen = []
    nested(torch).apply(lambda m: tseen.append(type(m).__name__))
    assert seen == tseen
    assert net[0][0].weight.abs().max().item() < 0.06 and net[0][0].bias.tolist() == [0.0] * 4
    assert net[0][0].weight.is_leaf and net[0][0].weight.requires_grad

    seq = glasstorch.nn.Sequential(glasstorch.nn.Linear(20, 300))
    weight = seq[0].weight
    seq[0].weight.data.normal_(0, 0.01)
    seq[0].bias.data.fill_(0)
    assert seq[0].weight is weight
    np.testing.assert_allclose(weight.detach().numpy().std(), 0.01, rtol=0.05)
    assert seq[0].bias.abs().sum().item() == 0 and seq[0].bias.requires_grad


def test_parameter_repr_and_behaviour(torch):
    values = [[1.5, -2.0], [0.25, 3.0]]
    p, tp = glasstorch.nn.Parameter(glasstorch.tensor(values)), torch.nn.Parameter(
        torch.tensor(values))
    assert repr(p) == repr(tp)
    frozen = glasstorch.nn.Parameter(glasstorch.tensor([1.0, 2.0]), requires_grad=False)
    assert repr(frozen) == repr(torch.nn.Parameter(torch.tensor([1.0, 2.0]),
                                                   requires_grad=False))
    assert isinstance(p, glasstorch.Tensor) and p.requires_grad and p.is_leaf
    y = (p * 2 + 1).exp().sum()
    assert type(y) is glasstorch.Tensor
    y.backward()
    np.testing.assert_allclose(p.grad.numpy(), 2 * np.exp(2 * np.array(values) + 1), rtol=1e-5)
    assert not hasattr(p, "__dict__")  # __slots__ = (): as small as a Tensor
    q = copy.deepcopy(p)
    assert type(q) is glasstorch.nn.Parameter and q.requires_grad and q.tolist() == values
    r = pickle.loads(pickle.dumps(p))
    assert type(r) is glasstorch.nn.Parameter and r.tolist() == values
    assert repr(glasstorch.nn.UninitializedParameter()) == repr(
        torch.nn.UninitializedParameter())


def test_setattr_registration_and_errors(torch):
    for lib in (glasstorch, torch):
        m = lib.nn.Module()
        m.w = lib.nn.Parameter(lib.ones(1))
        m.child = lib.nn.Linear(1, 1)
        m.register_buffer("buf", lib.zeros(1))
        m.plain = 3
        assert list(m.state_dict()) == ["w", "buf", "child.weight", "child.bias"]
        m.buf = lib.ones(1)  # reassigning a buffer keeps it a buffer
        assert list(m.state_dict()) == ["w", "buf", "child.weight", "child.bias"]
        del m.child
        assert list(m.state_dict()) == ["w", "buf"] and not hasattr(m, "child")
    cases = [
        lambda lib, m: setattr(m, "w", lib.ones(1)),
        lambda lib, m: m.register_parameter("x", lib.ones(1)),
        lambda lib, m: m.register_parameter("a.b", None),
        lambda lib, m: m.register_parameter("plain", None),
        lambda lib, m: m.register_buffer("", None),
        lambda lib, m: m.register_buffer("b", 3),
        lambda lib, m: m.add_module("x", 3),
        lambda lib, m: m.add_module("c.d", lib.nn.Identity()),
        lambda lib, m: setattr(m, "kid", 5),
        lambda lib, m: m.register_parameter("g", lib.nn.Parameter(lib.ones(1)) * 2),
        lambda lib, m: m.nothing,
        lambda lib, m: m(1),
        lambda lib, m: lib.nn.Linear(2, 2, foo=1),
        lambda lib, m: lib.nn.Module(1),
        lambda lib, m: lib.nn.Module(foo=1),
        lambda lib, m: m.get_submodule("kid.foo"),
        lambda lib, m: m.get_submodule("plain"),
        lambda lib, m: m.get_parameter("kid"),
        lambda lib, m: m.get_parameter("kid.bias.x"),
        lambda lib, m: m.to(lib.int64),
    ]
    for case in cases:
        results = []
        for lib in (glasstorch, torch):
            m = lib.nn.Module()
            m.w = lib.nn.Parameter(lib.ones(1))
            m.kid = lib.nn.Linear(2, 2)
            m.plain = 1
            results.append(_error(lambda lib=lib, m=m: case(lib, m)))
        assert results[0] == results[1]
    m = glasstorch.nn.Module()
    m.kid = glasstorch.nn.Linear(2, 2)
    assert m.get_submodule("kid") is m.kid and m.get_parameter("kid.bias") is m.kid.bias


def test_shared_modules_and_parameters_listed_once(torch):
    for lib in (glasstorch, torch):
        shared = lib.nn.Linear(2, 2)
        net = lib.nn.Sequential(shared, relu(lib), shared)
        assert len(list(net.parameters())) == 2
        assert list(net.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
        assert [n for n, _ in net.named_modules()] == ["", "0", "1"]
        assert len(list(net.named_parameters(remove_duplicate=False))) == 4


def test_sequential_container_operations(torch):
    def ops(lib):
        L = lib.nn.Linear
        net = lib.nn.Sequential(L(1, 2), L(2, 3), L(3, 4))
        out = [len(net), repr(net[0]), repr(net[-1]), repr(net[1:]), type(net[:2]).__name__]
        net.append(L(4, 5))
        net.insert(1, L(9, 9))
        net.insert(-1, L(8, 8))
        net.extend(lib.nn.Sequential(L(5, 6)))
        out.append(repr(net))
        del net[0]
        out.append(list(net.state_dict()))
        del net[1:3]
        out.append(repr(net))
        net[0] = lib.nn.Identity()
        out.append(repr(net + lib.nn.Sequential(L(6, 6))))
        out.append(repr(net.pop(1)))
        out.append([repr(m) for m in net])
        out.append(_error(lambda: net[10]))
        out.append(_error(lambda: net.insert(20, L(1, 1))))
        return out

    assert ops(glasstorch) == ops(torch)


def test_modulelist_and_moduledict_operations(torch):
    def ops(lib):
        L = lib.nn.Linear
        ml = lib.nn.ModuleList([L(1, 1), L(2, 2)])
        ml.append(L(3, 3))
        ml.extend([L(4, 4)])
        ml += [L(5, 5)]
        ml.insert(0, L(6, 6))
        out = [len(ml), repr(ml[-1]), repr(ml[1:3]), list(ml.state_dict())]
        del ml[0]
        ml[0] = lib.nn.Identity()
        out += [repr(ml), repr(ml.pop(-1)), repr(ml + ml), _error(lambda: ml[7])]
        out.append(_error(lambda: ml.extend(3)))
        md = lib.nn.ModuleDict([("x", L(1, 2)), ("y", L(2, 1))])
        md["z"] = lib.nn.Identity()
        md.update({"w": L(3, 3)})
        out += [list(md), list(md.keys()), "x" in md, len(md), repr(md.pop("y")), repr(md)]
        out += [list(md.state_dict()), [k for k, _ in md.items()], len(list(md.values()))]
        md.clear()
        out.append(len(md))
        return out

    assert ops(glasstorch) == ops(torch)


def test_flatten_unflatten_identity_match_torch(torch):
    x = np.random.randn(2, 3, 4, 5).astype(np.float32)
    for make in [lambda lib: lib.nn.Flatten(), lambda lib: lib.nn.Flatten(0, 2),
                 lambda lib: lib.nn.Flatten(-2), lambda lib: lib.nn.Unflatten(2, (2, 2)),
                 lambda lib: lib.nn.Unflatten(-1, (5, 1)), lambda lib: lib.nn.Identity(3, k=1)]:
        got = make(glasstorch)(glasstorch.tensor(x))
        want = make(torch)(torch.tensor(x))
        assert tuple(got.shape) == tuple(want.shape)
        np.testing.assert_array_equal(got.numpy(), want.numpy())
        assert repr(make(glasstorch)) == repr(make(torch))


def test_to_double_and_deepcopy(torch):
    net = Block.make(glasstorch)
    weight = net.encoder.weight
    net(glasstorch.randn(2, 4)).sum().backward()
    assert net.double() is net
    assert net.encoder.weight is weight and weight.dtype == glasstorch.float64
    assert weight.grad.dtype == glasstorch.float64 and net.steps.dtype == glasstorch.float64
    assert net(glasstorch.randn(2, 4, dtype=glasstorch.float64)).dtype == glasstorch.float64
    net.to(glasstorch.float32)
    assert all(p.dtype == glasstorch.float32 for p in net.parameters())
    net.half().float().cpu()
    assert net.to("cpu") is net and net.steps.dtype == glasstorch.float32
    twin = copy.deepcopy(net)
    assert repr(twin) == repr(net) and list(twin.state_dict()) == list(net.state_dict())
    assert twin.encoder.weight is not net.encoder.weight
    assert type(twin.encoder.weight) is glasstorch.nn.Parameter
    np.testing.assert_array_equal(twin.encoder.weight.detach().numpy(), weight.detach().numpy())
    again = pickle.loads(pickle.dumps(mlp(glasstorch)))
    assert repr(again) == repr(mlp(glasstorch))


def test_load_state_dict_assign_and_parameter_type_check(torch):
    for lib in (glasstorch, torch):
        net = lib.nn.Linear(2, 1)
        net.register_buffer("count", lib.zeros(1))
        weight, count = lib.ones(1, 2), lib.ones(1)
        net.load_state_dict({"weight": weight, "bias": lib.zeros(1), "count": count}, assign=True)
        assert type(net.weight) is lib.nn.Parameter and net.weight.requires_grad
        assert net.weight.data_ptr() == weight.data_ptr() and net.count is count
    with pytest.raises(TypeError, match="must be Tensor, not list"):
        glasstorch.nn.Parameter([1.0, 2.0])  # torch fails later, with an AttributeError


@pytest.mark.parametrize("batch", [(5,), (2, 3)])
def test_bilinear_matches_torch(torch, batch):
    net, tnet = glasstorch.nn.Bilinear(3, 4, 2), torch.nn.Bilinear(3, 4, 2)
    assert repr(net) == repr(tnet) and list(net.state_dict()) == list(tnet.state_dict())
    bound = 1 / np.sqrt(3)
    assert np.abs(net.weight.detach().numpy()).max() <= bound
    copy_from_torch(net, tnet)
    x1, x2 = np.random.randn(*batch, 3).astype(np.float32), np.random.randn(*batch, 4).astype(
        np.float32)
    a, b = glasstorch.tensor(x1, requires_grad=True), glasstorch.tensor(x2, requires_grad=True)
    ta, tb = torch.tensor(x1, requires_grad=True), torch.tensor(x2, requires_grad=True)
    y, ty = net(a, b), tnet(ta, tb)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-5)
    (y**2).sum().backward()
    (ty**2).sum().backward()
    for got, want in [(a.grad, ta.grad), (b.grad, tb.grad), (net.weight.grad, tnet.weight.grad),
                      (net.bias.grad, tnet.bias.grad)]:
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-4, atol=1e-5)
    assert glasstorch.nn.Bilinear(3, 4, 2, bias=False).bias is None


def test_d2l_parameter_management_prints_like_torch(torch):
    """The book's parameter-management section: every print equal to PyTorch's."""

    def run(lib):
        nn = lib.nn

        def block1():
            return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 4), nn.ReLU())

        def block2():
            net = nn.Sequential()
            for i in range(2):
                net.add_module(f"block {i}", block1())
            return net

        rgnet = nn.Sequential(block2(), nn.Linear(4, 1))
        for p in rgnet.parameters():  # the same values in both libraries
            p.data = lib.arange(p.numel(), dtype=lib.float32).reshape(p.shape) / 10 - 1
        X = lib.ones(2, 4)
        out = [str(rgnet), str(rgnet(X)), str(rgnet[0][1][0].bias.data)]
        net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
        net.load_state_dict({k: lib.ones(v.shape) / 4 for k, v in net.state_dict().items()})
        out += [str(net[2].state_dict()), str(net[2].bias), str(net[2].bias.data)]
        out += [str(net[2].weight.grad is None)]
        out += [str([(name, param.shape) for name, param in net[0].named_parameters()])]
        out += [str([(name, param.shape) for name, param in net.named_parameters()])]
        out += [str(net.state_dict()["2.bias"].data)]
        shared = nn.Linear(8, 8)
        net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), shared, nn.ReLU(), shared,
                            nn.ReLU(), nn.Linear(8, 1))
        net[2].weight.data[0, 0] = 100
        out += [str(net[2].weight.data[0] == net[4].weight.data[0]), str(net[4].weight[0, 0])]
        return out

    got, want = run(glasstorch), run(torch)
    for g, w in zip(got, want):
        if MKL_ROUNDING_KNOWN:
            assert g == w
        else:  # torch's MKL rounds the (2, 4) @ (4, 8) products otherwise here: the last digit
            assert _numbers_close(g, w)
    assert len(got) == len(want) == 12


def _numbers_close(a, b):
    """The same text, with its numbers equal to float32 rounding (1e-6 relative)."""
    number = re.compile(r"-?\d+\.\d*(?:e[-+]?\d+)?")
    if number.sub("#", a) != number.sub("#", b):
        return False
    return np.allclose([float(x) for x in number.findall(a)],
                       [float(x) for x in number.findall(b)], rtol=1e-6, atol=0)


@pytest.mark.parametrize("shape", [(5, 3), (2, 4, 3), (3,)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_records_torch_node_names(torch, shape, bias):
    net, tnet = glasstorch.nn.Linear(3, 2, bias=bias), torch.nn.Linear(3, 2, bias=bias)
    copy_from_torch(net, tnet)
    x = np.random.randn(*shape).astype(np.float32)
    y, ty = net(glasstorch.tensor(x)), tnet(torch.tensor(x))
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-6)
    if bias or len(shape) == 2:  # torch's UnsafeView/Squeeze nodes without bias are not ours
        assert y.grad_fn.name() == ty.grad_fn.name()
    with pytest.raises(RuntimeError, match="mat1 and mat2 shapes cannot be multiplied"):
        net(glasstorch.randn(4, 5))


def test_parameter_list_and_dict_match_torch(torch):
    def ops(lib):
        nn = lib.nn
        plist = nn.ParameterList([nn.Parameter(lib.ones(2, 3)), lib.zeros(4)])
        plist.append(lib.ones(1, dtype=lib.float64))
        plist += [nn.Parameter(lib.ones(5))]
        out = [repr(plist), len(plist), list(plist.state_dict()), type(plist[1]).__name__]
        out += [repr(plist[1:3]), [tuple(p.shape) for p in plist], plist[-1].requires_grad]
        out.append(_error(lambda: plist[9]))
        out.append(_error(lambda: plist(1)))
        pdict = nn.ParameterDict({"b": lib.ones(2), "a": nn.Parameter(lib.zeros(3))})
        pdict["c"] = lib.ones(1, 1)
        pdict.update([("d", lib.ones(2))])
        out += [repr(pdict), list(pdict), list(pdict.keys()), "a" in pdict, len(pdict)]
        out += [tuple(pdict.pop("b").shape), list(pdict.state_dict()), pdict.get("zz", 3)]
        out += [[k for k, _ in pdict.items()], len(list(pdict.values()))]
        holder = nn.Module()
        holder.ps = pdict
        holder.pl = plist
        out += [list(holder.state_dict()), repr(holder), len(list(holder.parameters()))]
        out.append(_error(lambda: pdict[3]))
        pdict.clear()
        out.append(len(pdict))
        return out

    assert ops(glasstorch) == ops(torch)


def test_repr_with_none_child_and_multiline_extra_repr(torch):
    def build(lib):
        class Gate(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.inner = lib.nn.Sequential(lib.nn.Linear(2, 2))
                self.dropped = lib.nn.Linear(1, 1)
                self.dropped = None

            def extra_repr(self):
                return "mode=gated\nthreshold=0.5"

        class Plain(lib.nn.Module):
            def extra_repr(self):
                return "alpha=1\nbeta=2"

        return lib.nn.Sequential(Gate(), Plain(), lib.nn.ModuleList([Plain(), Plain()]))

    net, tnet = build(glasstorch), build(torch)
    assert repr(net) == repr(tnet)
    assert list(net.state_dict()) == list(tnet.state_dict())
    assert [n for n, _ in net.named_modules()] == [n for n, _ in tnet.named_modules()]


# ---- backward hooks ----


def _gradients_seen_by_hooks(lib, make_net, input_requires_grad=True):
    """What the full backward (pre-)hooks of every submodule see, and the input's gradient."""
    lib.manual_seed(0)
    net = make_net(lib)
    for p, value in zip(net.parameters(), _fixed_values(net)):
        with lib.no_grad():
            p.copy_(lib.tensor(value))
    seen = []

    def values(grads):
        return [None if g is None else np.round(g.detach().numpy(), 5).tolist() for g in grads]

    for name, module in net.named_modules():
        module.register_full_backward_pre_hook(
            lambda m, go, name=name: seen.append(("pre", name, values(go))))
        module.register_full_backward_hook(
            lambda m, gi, go, name=name: seen.append(("full", name, values(gi), values(go))))
    x = lib.tensor(np.linspace(-1, 1, 2 * 1 * 5 * 5, dtype=np.float32).reshape(2, 1, 5, 5),
                   requires_grad=input_requires_grad)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the no-input-requires-grad warning, tested below
        (net(x) ** 2).sum().backward()
    return seen, None if x.grad is None else x.grad.numpy()


def _fixed_values(net):
    rng = np.random.default_rng(0)
    return [rng.uniform(-0.5, 0.5, tuple(p.shape)).astype(np.float32) for p in net.parameters()]


def _small_cnn(lib):
    nn = lib.nn
    return nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.Flatten(),
                         nn.Sequential(nn.Linear(50, 4), nn.Tanh()), nn.Linear(4, 1))


@pytest.mark.parametrize("input_requires_grad", [True, False])
def test_full_backward_hooks_see_torchs_gradients(torch, input_requires_grad):
    ours, our_grad = _gradients_seen_by_hooks(glasstorch, _small_cnn, input_requires_grad)
    theirs, their_grad = _gradients_seen_by_hooks(torch, _small_cnn, input_requires_grad)
    assert ours == theirs
    assert len(ours) == 2 * 8  # a pre-hook and a hook for each of the 8 modules
    if input_requires_grad:
        np.testing.assert_allclose(our_grad, their_grad, rtol=1e-5)


def test_backward_hooks_can_replace_gradients_and_be_removed(torch):
    def run(lib):
        lin = lib.nn.Linear(3, 2)
        with lib.no_grad():
            lin.weight.copy_(lib.tensor([[1., 2., 3.], [4., 5., 6.]]))
        pre = lin.register_full_backward_pre_hook(lambda m, go: (go[0] * 2,))
        full = lin.register_full_backward_hook(lambda m, gi, go: (gi[0] + 1,))
        x = lib.tensor([[1., 2., 3.]], requires_grad=True)
        lin(x).sum().backward()
        first = x.grad.tolist()
        pre.remove()
        full.remove()
        x.grad = None
        lin(x).sum().backward()
        return first, x.grad.tolist(), lin.weight.grad.tolist()

    assert run(glasstorch) == run(torch)


def test_backward_hook_errors_and_warning_match_torch(torch):
    for lib in (glasstorch, torch):
        lin = lib.nn.Linear(3, 2)
        lin.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
        with pytest.raises(RuntimeError, match="Backward hook returned an invalid number of "
                                               "grad_input, got 2, but expected 1"):
            lin(lib.ones(1, 3, requires_grad=True)).sum().backward()
        lin = lib.nn.Linear(3, 2)
        lin.register_full_backward_hook(lambda m, gi, go: None)
        with pytest.warns(UserWarning, match="Full backward hook is firing when gradients are "
                                             "computed with respect to module outputs"):
            lin(lib.ones(1, 3)).sum().backward()


def test_buffer_assignment_registers_a_buffer_as_torch(torch):
    def run(lib):
        class Net(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.kept = lib.nn.Buffer(lib.ones(2))
                self.scratch = lib.nn.Buffer(lib.zeros(1), persistent=False)

        net = Net()
        before = (list(net.state_dict()), [n for n, _ in net.named_buffers()],
                  type(net.kept).__name__, net.kept.tolist())
        net.kept = lib.zeros(3)  # a plain tensor now replaces the buffer
        buffer = lib.nn.Buffer(lib.ones(1), persistent=False)
        return before, net.state_dict()["kept"].tolist(), buffer.persistent, repr(lib.nn.Buffer())

    assert run(glasstorch) == run(torch)


def test_buffer_before_init_is_refused_as_torch(torch):
    for lib in (glasstorch, torch):
        class Early(lib.nn.Module):
            def __init__(self):
                self.x = lib.nn.Buffer(lib.ones(1))

        with pytest.raises(AttributeError, match=r"cannot assign buffer before Module.__init__"):
            Early()
