"""nn.parallel.DistributedDataParallel on 2 MPI ranks (loopback): training equals one process on
the concatenated batches (the reference runs inside rank 0 of the same job), no_sync,
find_unused_parameters, the broadcast at construction, per-rank BatchNorm statistics, and
all-reduces that start during backward. Each job is time-bounded and killed as a process group
(the mpirun and results helpers of test_distributed)."""

import os

import numpy as np
import pytest
from test_distributed import mpirun, results

import glasstorch as torch
from glasstorch.autograd import engine

TESTS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TESTS)  # the ranks import this checkout's glasstorch

PRELUDE = f"""
    import json
    import sys
    sys.path[:0] = [{ROOT!r}, {TESTS!r}]
    import glasstorch as torch
    import glasstorch.distributed as dist
    import glasstorch.nn.functional as F
    from glasstorch import nn
    from glasstorch.nn.parallel import DistributedDataParallel as DDP

    dist.init_process_group("mpi")
    r, W = dist.get_rank(), dist.get_world_size()
    out = {{"rank": r}}
    HALF = 4

    def batch(step, shape, dtype, classes=None):
        rng = np.random.default_rng(step)
        x = torch.tensor(rng.standard_normal((2 * HALF,) + shape), dtype=dtype)
        if classes is None:
            return x, torch.tensor(rng.standard_normal((2 * HALF, 3)), dtype=dtype)
        return x, torch.tensor(rng.integers(0, classes, 2 * HALF))

    def mine(t):
        return t[r * HALF:(r + 1) * HALF]

    def optimizer(name, params):
        if name == "sgd":
            return torch.optim.SGD(params, lr=0.1, momentum=0.9)
        return torch.optim.Adam(params, lr=0.01)

    def flat(tensors):
        return np.concatenate([t.detach().numpy().reshape(-1) for t in tensors]).astype(float)

    def maxdiff(a, b):
        return float(np.abs(flat(a) - flat(b)).max())
"""

MLP = PRELUDE + """
    DT = {"float64": torch.float64, "float32": torch.float32}

    def mlp(dtype):
        return nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 8), nn.Tanh(),
                             nn.Linear(8, 3)).to(dtype)

    # ---- 20 steps of training against one process on the concatenated batches
    for opt_name in ("sgd", "adam"):
        for dt in ("float64", "float32"):
            dtype = DT[dt]
            torch.manual_seed(100 + r)  # the ranks build different parameters
            model = mlp(dtype)
            ddp = DDP(model)
            opt = optimizer(opt_name, ddp.parameters())
            for step in range(20):
                x, y = batch(step, (5,), dtype)
                opt.zero_grad()
                F.mse_loss(ddp(mine(x)), mine(y)).backward()
                opt.step()
            key = f"{opt_name}_{dt}"
            out[key + "_params"] = flat(model.parameters()).tolist()
            if r == 0:
                torch.manual_seed(100)
                ref = mlp(dtype)
                ref_opt = optimizer(opt_name, ref.parameters())
                for step in range(20):
                    x, y = batch(step, (5,), dtype)
                    ref_opt.zero_grad()
                    F.mse_loss(ref(x), y).backward()
                    ref_opt.step()
                out[key + "_diff"] = maxdiff(model.parameters(), ref.parameters())

    # ---- construction: rank 0's parameters on every rank, whatever seed a rank used
    torch.manual_seed(7 + 5 * r)
    model = mlp(torch.float64)
    out["before_broadcast"] = flat(model.parameters()).tolist()
    ddp = DDP(model)
    out["after_broadcast"] = flat(model.parameters()).tolist()
    out["state_keys"] = list(ddp.state_dict())[:2]

    # ---- no_sync: the first backward stays local, the next one reduces the sum
    x1, y1 = batch(50, (5,), torch.float64)
    x2, y2 = batch(51, (5,), torch.float64)
    with ddp.no_sync():
        F.mse_loss(ddp(mine(x1)), mine(y1)).backward()
    out["local_grad"] = flat(p.grad for p in model.parameters()).tolist()
    F.mse_loss(ddp(mine(x2)), mine(y2)).backward()
    out["synced_grad"] = flat(p.grad for p in model.parameters()).tolist()
    if r == 0:
        torch.manual_seed(7)
        ref = mlp(torch.float64)
        F.mse_loss(ref(x1), y1).backward()
        F.mse_loss(ref(x2), y2).backward()
        out["no_sync_diff"] = maxdiff((p.grad for p in model.parameters()),
                                      (p.grad for p in ref.parameters()))

    # ---- find_unused_parameters
    class Branchy(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(5, 3)
            self.b = nn.Linear(5, 3)
            self.c = nn.Linear(5, 3)

        def forward(self, x, use_b):
            return self.a(x) + self.b(x) if use_b else self.a(x)

    def branchy():
        torch.manual_seed(3)
        return Branchy().double()

    x, y = batch(60, (5,), torch.float64)
    model = branchy()
    ddp = DDP(model, find_unused_parameters=True)
    F.mse_loss(ddp(mine(x), use_b=False), mine(y)).backward()  # b and c unused everywhere
    out["unused_none"] = [model.b.weight.grad is None, model.c.weight.grad is None]
    for p in model.parameters():
        p.grad = None
    F.mse_loss(ddp(mine(x), use_b=(r == 0)), mine(y)).backward()  # b used by rank 0 only
    out["unused_grads"] = flat(p.grad for p in model.parameters()
                               if p.grad is not None).tolist()
    if r == 0:
        ref = branchy()
        loss0 = F.mse_loss(ref(x[:HALF], use_b=True), y[:HALF])
        loss1 = F.mse_loss(ref(x[HALF:], use_b=False), y[HALF:])
        ((loss0 + loss1) / 2).backward()
        out["unused_diff"] = maxdiff((p.grad for p in model.parameters() if p.grad is not None),
                                     (p.grad for p in ref.parameters() if p.grad is not None))

    model = branchy()
    ddp = DDP(model)  # find_unused_parameters=False with c unused: torch's error next forward
    F.mse_loss(ddp(mine(x), use_b=True), mine(y)).backward()
    try:
        ddp(mine(x), use_b=True)
        out["unused_error"] = None
    except RuntimeError as error:
        out["unused_error"] = str(error)

    # ---- the all-reduces start during backward: one bucket per layer, events in order
    events = []

    class Recording(DDP):
        def _on_launch(self, bucket):
            events.append(("launch", [names[i] for i in bucket.indices]))

        def _progress(self):
            if self._next_bucket:  # some all-reduce in flight: MPI is given a turn
                events.append(("progress", self._next_bucket))
            super()._progress()

    torch.manual_seed(0)
    model = mlp(torch.float64)
    names = [n for n, _ in model.named_parameters()]
    ddp = Recording(model, bucket_cap_mb=(16 * 5 + 16) * 8 / 2**20)  # the first layer's bytes
    for name, p in model.named_parameters():  # registered after DDP's hooks: run after them
        p.register_post_accumulate_grad_hook(lambda p, name=name: events.append(("grad", name)))
    x, y = batch(70, (5,), torch.float64)
    F.mse_loss(ddp(mine(x)), mine(y)).backward()
    events.append(("end", None))
    out["events"] = events
    out["buckets"] = [[names[i] for i in b.indices] for b in ddp._buckets]

    import os
    out["iallreduce_algorithm"] = os.environ.get("OMPI_MCA_coll_libnbc_iallreduce_algorithm")

    # ---- ranks with different models: torch's error at construction, on every rank
    try:
        DDP(nn.Linear(3 + r, 2).to(torch.float64))
        out["model_error"] = None
    except RuntimeError as error:
        out["model_error"] = str(error)

    print("RESULT " + json.dumps(out), flush=True)
    dist.destroy_process_group()
"""


LENET = PRELUDE + """
    from cnn_models import lenet_bn

    def buffers(model):
        return [b.detach().clone() for b in model.buffers()]

    def set_buffers(model, values):
        with torch.no_grad():
            for b, v in zip(model.buffers(), values):
                b.copy_(v)

    # per-rank BatchNorm (torch's semantics): each rank normalizes with its own half's batch
    # statistics and updates its own running stats from rank 0's, broadcast before each forward
    for opt_name, dtype in (("sgd", torch.float64), ("adam", torch.float64),
                            ("sgd", torch.float32), ("adam", torch.float32)):
        torch.manual_seed(11 + r)
        model = lenet_bn(torch).to(dtype)
        ddp = DDP(model)
        opt = optimizer(opt_name, ddp.parameters())
        for step in range(20):
            x, y = batch(step, (1, 28, 28), dtype, classes=10)
            opt.zero_grad()
            F.cross_entropy(ddp(mine(x)), mine(y)).backward()
            opt.step()
        key = f"{opt_name}_{str(dtype)[-7:]}"
        out[key + "_params"] = flat(model.parameters()).tolist()
        out[key + "_buffers"] = flat(model.buffers()).tolist()
        if r == 0:  # one process: the two halves' forwards, each with rank 0's running stats
            torch.manual_seed(11)
            ref = lenet_bn(torch).to(dtype)
            ref_opt = optimizer(opt_name, ref.parameters())
            for step in range(20):
                x, y = batch(step, (1, 28, 28), dtype, classes=10)
                ref_opt.zero_grad()
                start = buffers(ref)
                loss0 = F.cross_entropy(ref(x[:HALF]), y[:HALF])
                rank0_stats = buffers(ref)
                set_buffers(ref, start)
                loss1 = F.cross_entropy(ref(x[HALF:]), y[HALF:])
                rank1_stats = buffers(ref)
                set_buffers(ref, rank0_stats)
                ((loss0 + loss1) / 2).backward()
                ref_opt.step()
            out[key + "_diff"] = maxdiff(model.parameters(), ref.parameters())
            out[key + "_rank0_stats_diff"] = maxdiff(model.buffers(), rank0_stats)
            out[key + "_rank1_stats"] = flat(rank1_stats).tolist()
        ddp.eval()
        ddp(mine(x))  # the buffers broadcast before a forward: rank 0's everywhere
        out[key + "_buffers_after_eval"] = flat(model.buffers()).tolist()

    # SyncBatchNorm: statistics over both ranks' halves, so training equals one process on the
    # concatenated batch, running stats included
    def without_zero_grads(model, opt_name, dtype):
        # the bias of a layer just before a batch norm has a true gradient of 0 and a computed
        # one of rounding noise, which differs between any two summation orders (one process
        # against two ranks): in float32 (noise ~1e-4 relative here; BN absorbs the bias, so
        # the function is unchanged) and under Adam (which turns any noise into steps of lr)
        # it would compare noise, so there those biases stay fixed, in the reference as in DDP
        if opt_name == "adam" or dtype == torch.float32:
            for i in (0, 4, 9, 12):
                model[i].bias.requires_grad_(False)
        return model.to(dtype)

    def sync_reference(opt_name, dtype, data_dtype):
        torch.manual_seed(11)
        ref = without_zero_grads(lenet_bn(torch), opt_name, dtype)
        ref_opt = optimizer(opt_name, ref.parameters())
        for step in range(20):
            x, y = batch(step, (1, 28, 28), data_dtype, classes=10)
            ref_opt.zero_grad()
            F.cross_entropy(ref(x.to(dtype)), y).backward()
            ref_opt.step()
        return ref

    for opt_name, dtype in (("sgd", torch.float64), ("adam", torch.float64),
                            ("sgd", torch.float32), ("adam", torch.float32)):
        torch.manual_seed(11 + r)
        model = nn.SyncBatchNorm.convert_sync_batchnorm(without_zero_grads(lenet_bn(torch), opt_name, dtype))
        ddp = DDP(model)
        opt = optimizer(opt_name, ddp.parameters())
        for step in range(20):
            x, y = batch(step, (1, 28, 28), dtype, classes=10)
            opt.zero_grad()
            F.cross_entropy(ddp(mine(x)), mine(y)).backward()
            opt.step()
        key = f"sync_{opt_name}_{str(dtype)[-7:]}"
        out[key + "_types"] = sorted({type(m).__name__ for m in model.modules()})
        out[key + "_params"] = flat(model.parameters()).tolist()
        out[key + "_buffers"] = flat(model.buffers()).tolist()
        if r == 0:
            ref = sync_reference(opt_name, dtype, dtype)
            out[key + "_diff"] = maxdiff(model.parameters(), ref.parameters())
            out[key + "_stats_diff"] = maxdiff(model.buffers(), ref.buffers())
            running = [b for b in ref.buffers() if b.is_floating_point()]
            out[key + "_stats_scale"] = float(np.abs(flat(running)).max())
            if dtype == torch.float32:  # how far one float32 process is from float64
                exact = sync_reference(opt_name, torch.float64, dtype)
                out[key + "_exact_diff"] = maxdiff(model.parameters(), exact.parameters())
                out[key + "_ref_exact_diff"] = maxdiff(ref.parameters(), exact.parameters())
                out[key + "_ref_exact_stats"] = maxdiff(ref.buffers(), exact.buffers())
                out[key + "_exact_stats"] = maxdiff(model.buffers(), exact.buffers())

    print("RESULT " + json.dumps(out), flush=True)
    dist.destroy_process_group()
"""


@pytest.fixture(scope="module")
def mlp_results(tmp_path_factory):
    code, stdout, stderr, _ = mpirun(tmp_path_factory.mktemp("ddp_mlp"), MLP)
    assert code == 0, f"{stdout}\n{stderr}"
    return results(stdout, stderr, 2)


@pytest.mark.parametrize("opt_name", ["sgd", "adam"])
@pytest.mark.parametrize("dtype, tol", [("float64", 1e-10), ("float32", 1e-5)])
def test_mlp_training_equals_one_process_on_the_concatenated_batches(mlp_results, opt_name,
                                                                    dtype, tol):
    rank0, rank1 = mlp_results
    key = f"{opt_name}_{dtype}"
    assert rank0[key + "_params"] == rank1[key + "_params"]
    assert rank0[key + "_diff"] < tol


@pytest.fixture(scope="module")
def lenet_results(tmp_path_factory):
    code, stdout, stderr, _ = mpirun(tmp_path_factory.mktemp("ddp_lenet"), LENET)
    assert code == 0, f"{stdout}\n{stderr}"
    return results(stdout, stderr, 2)


@pytest.mark.parametrize("opt_name", ["sgd", "adam"])
@pytest.mark.parametrize("dtype, tol", [("float64", 1e-10), ("float32", 1e-5)])
def test_lenet_bn_with_per_rank_batchnorm_statistics(lenet_results, opt_name, dtype, tol):
    rank0, rank1 = lenet_results
    opt_name = f"{opt_name}_{dtype}"
    assert rank0[opt_name + "_params"] == rank1[opt_name + "_params"]
    assert rank0[opt_name + "_diff"] < tol
    # running stats: each rank's own, rank 0's = the reference's first half, rank 1's the second
    assert rank0[opt_name + "_rank0_stats_diff"] < tol
    stats1 = np.array(rank1[opt_name + "_buffers"])
    assert np.abs(stats1 - np.array(rank0[opt_name + "_rank1_stats"])).max() < tol
    assert np.abs(stats1 - np.array(rank0[opt_name + "_buffers"])).max() > 1e-3
    assert rank1[opt_name + "_buffers_after_eval"] == rank0[opt_name + "_buffers_after_eval"]


@pytest.mark.parametrize("opt_name", ["sgd", "adam"])
@pytest.mark.parametrize("dtype, tol", [("float64", 1e-10), ("float32", 1e-5)])
def test_lenet_bn_with_sync_batchnorm_equals_one_process(lenet_results, opt_name, dtype, tol):
    rank0, rank1 = lenet_results
    key = f"sync_{opt_name}_{dtype}"
    assert "SyncBatchNorm" in rank0[key + "_types"] and "BatchNorm2d" not in rank0[key + "_types"]
    assert rank0[key + "_params"] == rank1[key + "_params"]
    assert rank0[key + "_buffers"] == rank1[key + "_buffers"]
    if dtype == "float64":  # running stats to tol relative to their size
        assert rank0[key + "_stats_diff"] < tol * rank0[key + "_stats_scale"]
    else:  # float32: one process's running variances are ~1e-5 (SGD) to 1e-4 (Adam) from
        # float64's; the ranks' must be as close to float64's as one float32 process's are
        assert rank0[key + "_exact_stats"] < 2 * rank0[key + "_ref_exact_stats"] < 2e-4
    if dtype == "float32" and opt_name == "adam":
        # Adam in float32 makes steps of lr out of the rounding noise of gradients near 0, so
        # one float32 process is itself ~4e-4 from the float64 run: the two ranks must be as
        # close to the float64 run as one float32 process is
        assert rank0[key + "_exact_diff"] < 2 * rank0[key + "_ref_exact_diff"] < 1e-3
    else:
        assert rank0[key + "_diff"] < tol


def test_construction_broadcasts_rank_0s_parameters(mlp_results):
    rank0, rank1 = mlp_results
    assert rank0["before_broadcast"] != rank1["before_broadcast"]
    assert rank1["after_broadcast"] == rank0["after_broadcast"] == rank0["before_broadcast"]
    assert rank0["state_keys"] == ["module.0.weight", "module.0.bias"]


def test_no_sync_accumulates_locally_then_reduces_the_sum(mlp_results):
    rank0, rank1 = mlp_results
    assert rank0["local_grad"] != rank1["local_grad"]
    assert rank0["synced_grad"] == rank1["synced_grad"]
    assert rank0["no_sync_diff"] < 1e-12


def test_find_unused_parameters(mlp_results):
    rank0, rank1 = mlp_results
    assert rank0["unused_none"] == rank1["unused_none"] == [True, True]
    # b, used by rank 0 only, gets (rank 0's gradient + 0) / 2 on both ranks; c stays None
    assert len(rank0["unused_grads"]) == 2 * (3 * 5 + 3)
    assert rank0["unused_grads"] == rank1["unused_grads"]
    assert rank0["unused_diff"] < 1e-12


def test_an_unused_parameter_without_find_unused_parameters_raises_torchs_error(mlp_results):
    for result in mlp_results:
        message = result["unused_error"]
        assert message is not None
        assert message.startswith("Expected to have finished reduction in the prior iteration "
                                  "before starting a new one.")
        assert message.endswith(f"did not receive grad for rank {result['rank']}: 4 5")


def test_all_reduces_start_during_backward(mlp_results):
    for result in mlp_results:
        events = [tuple(e) for e in result["events"]]
        # filled from the first layer at the cap, launched in reverse parameter order
        assert result["buckets"] == [["4.bias", "4.weight", "2.bias"], ["2.weight"],
                                     ["0.bias", "0.weight"]]
        progress = [i for i, (kind, _) in enumerate(events) if kind == "progress"]
        events = [e for e in events if e[0] != "progress"]
        launches = [i for i, (kind, _) in enumerate(events) if kind == "launch"]
        assert len(launches) == len(result["buckets"])
        first_layer = events.index(("grad", "0.weight"))
        # the last layer's bucket went out before backward reached the first layer
        assert events[launches[0]] == ("launch", ["4.bias", "4.weight", "2.bias"])
        assert launches[0] < first_layer
        # each bucket went out as its last gradient arrived (DDP's hook runs before the
        # recording one, so that gradient's event comes right after the launch)
        for i in launches:
            _, bucket = events[i]
            kind, last = events[i + 1]
            assert kind == "grad" and last in bucket
            assert all(events.index(("grad", name)) < i for name in bucket if name != last)
        assert events[-1] == ("end", None)
        # the gradients' hooks that came after the first launch gave MPI a turn
        # (events[launches[0] + 1] is the gradient whose hook launched the first bucket)
        later = [kind for kind, _ in events[launches[0] + 2:] if kind == "grad"]
        assert len(later) >= 2 and len(progress) == len(later)


def test_open_mpi_starts_non_blocking_all_reduces_with_rabenseifners_algorithm(mlp_results):
    # set by glasstorch.distributed before MPI starts, unless the user chose one
    assert [r["iallreduce_algorithm"] for r in mlp_results] == ["3", "3"]


def test_ranks_with_different_models_get_torchs_error_at_construction(mlp_results):
    for result in mlp_results:
        assert result["model_error"] == (
            "params[0] in rank 1 with sizes [2, 4] and dtype torch.float64 appears not to match "
            "sizes of the same param in process 0 (sizes [2, 3], dtype torch.float64).")


@pytest.mark.parametrize("caps_mb", [None, (1, 1), (0.1, 0.1), (5, 5), (0.5, 25)])
def test_buckets_are_torchs_assignment_with_the_last_bucket_small(caps_mb):
    """As torch's dist._compute_bucket_assignment_by_size on the parameters in their order,
    launched in reverse (torch's DDP_SET_LAST_BUCKET_CAP=1), for ResNet-18 and a model mixing
    dtypes."""
    import importlib

    from cnn_models import resnet18
    from glasstorch.nn.parallel.distributed import _FIRST_BUCKET_BYTES, _bucket_assignment

    small, cap = ((_FIRST_BUCKET_BYTES, 25 * 2**20) if caps_mb is None
                  else (int(caps_mb[0] * 2**20), int(caps_mb[1] * 2**20)))

    def mixed(lib):
        lib.manual_seed(0)
        return lib.nn.Sequential(lib.nn.Linear(300, 400), lib.nn.Linear(400, 500).double(),
                                 lib.nn.Linear(500, 200), lib.nn.Linear(200, 300).double())

    pytorch = importlib.import_module("torch")  # the oracle (in this file, torch is glasstorch)
    for build in (resnet18, mixed):
        ours = list(build(torch).parameters())
        theirs = list(build(pytorch).parameters())
        expected, _ = pytorch.distributed._compute_bucket_assignment_by_size(
            theirs, [small, cap], [False] * len(theirs))
        assert _bucket_assignment(ours, small, cap) == [b[::-1] for b in reversed(expected)]
    # with the default caps, ResNet-18's last bucket (conv1 and layer1) is the small one
    params = list(resnet18(torch).parameters())
    sizes = [sum(params[i].numel() * 4 for i in b)
             for b in _bucket_assignment(params, _FIRST_BUCKET_BYTES, 25 * 2**20)]
    assert sizes[-1] < 2 * _FIRST_BUCKET_BYTES < sizes[0]


# ---- the engine mechanisms DDP relies on (no MPI) --------------------------------------------

def test_queue_callback_runs_once_backward_has_finished():
    w = torch.ones(3, requires_grad=True)
    v = torch.ones(3, requires_grad=True)
    events = []

    def hook(p):
        events.append("w")
        engine.queue_callback(lambda: events.append(("end", v.grad is not None)))

    w.register_post_accumulate_grad_hook(hook)
    v.register_post_accumulate_grad_hook(lambda p: events.append("v"))
    ((w * 2).sum() + (v * 3).sum()).backward()
    assert sorted(events[:2]) == ["v", "w"] and events[2:] == [("end", True)]
    with pytest.raises(RuntimeError, match="Final callbacks can only be installed during backward"):
        engine.queue_callback(lambda: None)


def test_a_layers_gradients_accumulate_before_backward_goes_below_it():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Tanh(), torch.nn.Linear(4, 3))
    order = []
    for name, p in model.named_parameters():
        p.register_post_accumulate_grad_hook(lambda p, name=name: order.append(name))
    model(torch.randn(2, 5)).sum().backward()
    assert order == ["2.bias", "2.weight", "0.bias", "0.weight"]  # torch's order


def test_convert_sync_batchnorm_shares_parameters_and_buffers_and_acts_alone_as_batchnorm():
    torch.manual_seed(0)
    bn = torch.nn.BatchNorm2d(3)
    model = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 1), bn, torch.nn.ReLU())
    converted = torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)
    sync = converted[1]
    assert converted is model and type(sync) is torch.nn.SyncBatchNorm
    assert sync.weight is bn.weight and sync.running_mean is bn.running_mean
    assert list(converted.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias",
                                            "1.running_mean", "1.running_var",
                                            "1.num_batches_tracked"]
    x = torch.randn(4, 3, 5, 5, dtype=torch.float64)
    ref = torch.nn.BatchNorm2d(3).double()
    sync = torch.nn.SyncBatchNorm(3).double()  # no process group: plain batch norm, as torch
    assert torch.allclose(sync(x), ref(x)) and torch.allclose(sync.running_var, ref.running_var)
    with pytest.raises(ValueError, match="expected at least 2D input"):
        sync(torch.randn(3))
