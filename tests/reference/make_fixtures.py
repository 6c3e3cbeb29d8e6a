#!/usr/bin/env python3
"""Generate the PyTorch reference fixtures in tests/fixtures/*.json.

Run from anywhere (see README.md beside this file):

    python3 -m venv /tmp/venv
    /tmp/venv/bin/pip install -r tests/reference/requirements.txt
    /tmp/venv/bin/python tests/reference/make_fixtures.py

Everything is computed in float64 (torch.float64) from float32-representable
starting values: initial weights, data and every hyperparameter are rounded to
float32 first, so microprop (f32) is compared with an f64 run of the very
same problem and any difference is microprop's f32 arithmetic (or a bug).

Three files are written:

* optimizers.json - training trajectories: per-step loss and final weights
  for SGD, momentum, Nesterov, AdaGrad, RMSprop, Adam and AdamW (PyTorch
  defaults, L2 weight decay, AdamW's decoupled decay, gradient clipping with
  clip_grad_norm_, the lecture's eps-inside variants, warmup+cosine
  schedules), on a classification and a regression MLP, with batch sizes 1, 3
  and the full data set (10 rows, so batches of 3 end with a partial batch).
* schedules.json - the learning rate of every schedule for steps 0..N-1, with
  and without linear warmup.
* gradients.json - autograd gradients of the mean batch loss w.r.t. every
  weight and bias, and the loss, for every activation x loss combination on a
  tiny 3-4-3 net.

Weights are stored in PyTorch's layout: per layer "weight" [out][in] (as
nn.Linear.weight) and "bias" [out]. microprop's Dense stores W = weight.T
(`params.weights[i][o] == weight[o][i]`).

PyTorch has no epsilon-inside-the-root variant, so those trajectories use the
small f64 optimizer implementations below (HandOptimizer), which follow the
formulas of core/src/optim/*.rs. The script first checks that the same
implementations with epsilon *outside* reproduce torch.optim to ~1e-13 on
every case that torch can compute, so the eps-inside numbers come from code
that is verified against PyTorch everywhere else.
"""

import json
import math
import os
import sys

import numpy as np
import torch
from torch import nn

torch.set_num_threads(1)
torch.manual_seed(0)
DT = torch.float64
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "fixtures"))

# Every trajectory is this many steps unless it says otherwise.
STEPS = 24
# The eps used by the eps-inside cases where it matters (sqrt(s + 1e-3) is
# visibly different from sqrt(s) + 1e-3 for the s these runs see).
EPS_INSIDE = 1e-3


def f32(x):
    """x rounded to the nearest float32, as a Python float (f64)."""
    return float(np.float32(x))


def f32_rand(gen, shape, lo, hi):
    """Uniform float32 values in [lo, hi), returned as float64 tensor."""
    t = torch.rand(shape, generator=gen, dtype=torch.float32) * (hi - lo) + lo
    return t.to(DT)


def f32_randn(gen, shape, scale=1.0):
    t = torch.randn(shape, generator=gen, dtype=torch.float32) * scale
    return t.to(DT)


def tolist(t):
    return t.detach().to(DT).tolist()


# ---------------------------------------------------------------------------
# Networks
# ---------------------------------------------------------------------------

LEAKY_SLOPE = f32(0.1)  # microprop's LeakyRelu default (the lecture's slope)
ELU_ALPHA = 1.0


def activation_module(name):
    return {
        "identity": nn.Identity(),
        "sigmoid": nn.Sigmoid(),
        "tanh": nn.Tanh(),
        "relu": nn.ReLU(),
        "leaky_relu": nn.LeakyReLU(LEAKY_SLOPE),
        "elu": nn.ELU(ELU_ALPHA),
        "softmax": nn.Softmax(dim=1),
    }[name]


KINKED = {"relu", "leaky_relu", "elu"}


def loss_module(name):
    return {
        "mse": nn.MSELoss(),
        "cross_entropy": nn.CrossEntropyLoss(),
        "bce_with_logits": nn.BCEWithLogitsLoss(),
    }[name]


class Mlp(nn.Module):
    """Dense layers h = act(h @ weight.T + bias), float64."""

    def __init__(self, layers, init):
        super().__init__()
        self.linears = nn.ModuleList()
        self.acts = []
        for spec, p in zip(layers, init):
            lin = nn.Linear(spec["in"], spec["out"], dtype=DT)
            with torch.no_grad():
                lin.weight.copy_(torch.tensor(p["weight"], dtype=DT))
                lin.bias.copy_(torch.tensor(p["bias"], dtype=DT))
            self.linears.append(lin)
            self.acts.append(spec["activation"])
        self.act_modules = [activation_module(a) for a in self.acts]

    def forward(self, x, record_pre=None):
        h = x
        for lin, act_name, act in zip(self.linears, self.acts, self.act_modules):
            z = lin(h)
            if record_pre is not None and act_name in KINKED:
                record_pre.append(z.detach())
            h = act(z)
        return h

    def export(self):
        return [
            {"weight": tolist(lin.weight), "bias": tolist(lin.bias)}
            for lin in self.linears
        ]


def random_init(gen, layers, bias_scale=0.3):
    """Uniform(-1/sqrt(in), 1/sqrt(in)) weights (nn.Linear's range) scaled up a
    little so the nets are not nearly linear, and non-zero biases, all float32
    values."""
    init = []
    for spec in layers:
        bound = 1.5 / math.sqrt(spec["in"])
        w = f32_rand(gen, (spec["out"], spec["in"]), -bound, bound)
        b = f32_rand(gen, (spec["out"],), -bias_scale, bias_scale)
        init.append({"weight": tolist(w), "bias": tolist(b)})
    return init


def targets_tensor(loss, y):
    if loss == "cross_entropy":
        return torch.tensor(y, dtype=torch.long)
    return torch.tensor(y, dtype=DT)


# ---------------------------------------------------------------------------
# Optimizers
# ---------------------------------------------------------------------------


def torch_optimizer(cfg, params):
    kind = cfg["type"]
    lr = cfg["lr"]
    if kind == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if kind == "momentum":
        return torch.optim.SGD(
            params,
            lr=lr,
            momentum=cfg["momentum"],
            nesterov=cfg["nesterov"],
            weight_decay=cfg["weight_decay"],
        )
    assert cfg.get("epsilon", "outside") == "outside"
    if kind == "adagrad":
        return torch.optim.Adagrad(
            params, lr=lr, eps=cfg["eps"], weight_decay=cfg["weight_decay"]
        )
    if kind == "rmsprop":
        return torch.optim.RMSprop(
            params,
            lr=lr,
            alpha=cfg["alpha"],
            eps=cfg["eps"],
            weight_decay=cfg["weight_decay"],
        )
    if kind == "adam":
        cls = torch.optim.AdamW if cfg["decoupled"] else torch.optim.Adam
        return cls(
            params,
            lr=lr,
            betas=(cfg["beta1"], cfg["beta2"]),
            eps=cfg["eps"],
            weight_decay=cfg["weight_decay"],
        )
    raise ValueError(kind)


class HandOptimizer:
    """f64 implementations of the update rules, with eps inside or outside.

    AdaGrad:  s += g^2;                  w -= lr * g / den(s)
    RMSprop:  s = a s + (1-a) g^2;       w -= lr * g / den(s)
    Adam:     m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2
              outside: w -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)
              inside:  w -= lr * m_hat / sqrt(v_hat + eps)
    den(s) = sqrt(s) + eps (outside, PyTorch) or sqrt(s + eps) (inside, the
    lecture). L2 weight decay adds wd*w to g first; AdamW multiplies w by
    (1 - lr*wd) before the update instead.
    """

    def __init__(self, cfg, params):
        self.cfg = cfg
        self.params = list(params)
        self.param_groups = [{"lr": cfg["lr"]}]
        self.state = [
            (torch.zeros_like(p), torch.zeros_like(p)) for p in self.params
        ]
        self.t = 0

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def den(self, s):
        eps = self.cfg["eps"]
        if self.cfg["epsilon"] == "inside":
            return torch.sqrt(s + eps)
        return torch.sqrt(s) + eps

    @torch.no_grad()
    def step(self):
        cfg = self.cfg
        lr = self.param_groups[0]["lr"]
        self.t += 1
        t = self.t
        wd = cfg.get("weight_decay", 0.0)
        for i, p in enumerate(self.params):
            g = p.grad.clone()
            a, b = self.state[i]
            kind = cfg["type"]
            if kind == "adagrad":
                g = g + wd * p
                a = a + g * g
                p -= lr * g / self.den(a)
            elif kind == "rmsprop":
                g = g + wd * p
                al = cfg["alpha"]
                a = al * a + (1 - al) * g * g
                p -= lr * g / self.den(a)
            elif kind == "adam":
                b1, b2, eps = cfg["beta1"], cfg["beta2"], cfg["eps"]
                if cfg["decoupled"]:
                    p *= 1 - lr * wd
                else:
                    g = g + wd * p
                a = b1 * a + (1 - b1) * g
                b = b2 * b + (1 - b2) * g * g
                c1 = 1 - b1**t
                c2 = 1 - b2**t
                if cfg["epsilon"] == "inside":
                    p -= lr * (a / c1) / torch.sqrt(b / c2 + eps)
                else:
                    p -= (lr / c1) * a / (torch.sqrt(b) / math.sqrt(c2) + eps)
            else:
                raise ValueError(kind)
            self.state[i] = (a, b)


# ---------------------------------------------------------------------------
# Schedules (the formulas of core/src/schedule.rs; t = steps already taken)
# ---------------------------------------------------------------------------


def schedule_lr(s, t):
    kind = s["type"]
    if kind == "warmup":
        n = s["steps"]
        if t < n:
            return schedule_lr(s["inner"], 0) * (t + 1) / (n + 1)
        return schedule_lr(s["inner"], t - n)
    if kind == "constant":
        return s["lr"]
    if kind == "factor":
        e = max(s["every"], 1)
        return max(s["initial"] * s["factor"] ** (t // e), s["min"])
    if kind == "exponential":
        return s["initial"] * s["decay"] ** t
    if kind == "polynomial":
        return s["initial"] / (1 + s["alpha"] * t) ** s["power"]
    if kind == "cosine":
        if t >= s["period"]:
            return s["last"]
        return s["last"] + (s["initial"] - s["last"]) * 0.5 * (
            1 + math.cos(math.pi * t / s["period"])
        )
    raise ValueError(kind)


def torch_schedule_lrs(s, n):
    """The same schedule through torch.optim.lr_scheduler's built-ins where
    one exists, for the steps where it agrees with microprop's definition.
    Returns {t: lr} for the steps it covers."""
    inner = s["inner"] if s["type"] == "warmup" else s
    warm = s["steps"] if s["type"] == "warmup" else 0
    base = schedule_lr(inner, 0)
    p = torch.zeros(1, dtype=DT, requires_grad=True)
    opt = torch.optim.SGD([p], lr=base)
    lr_scheduler = torch.optim.lr_scheduler
    kind = inner["type"]
    if kind == "constant":
        main = lr_scheduler.ConstantLR(opt, factor=1.0, total_iters=0)
        valid = lambda t: True
    elif kind == "factor":
        main = lr_scheduler.StepLR(opt, step_size=inner["every"], gamma=inner["factor"])
        valid = lambda t: True  # clamp to min applied below
    elif kind == "exponential":
        main = lr_scheduler.ExponentialLR(opt, gamma=inner["decay"])
        valid = lambda t: True
    elif kind == "cosine":
        main = lr_scheduler.CosineAnnealingLR(
            opt, T_max=inner["period"], eta_min=inner["last"]
        )
        # torch's cosine keeps oscillating after T_max; microprop holds last.
        valid = lambda t: t <= inner["period"]
    elif kind == "polynomial":
        a, pw = inner["alpha"], inner["power"]
        main = lr_scheduler.LambdaLR(opt, lambda t: 1.0 / (1 + a * t) ** pw)
        valid = lambda t: True
    else:
        raise ValueError(kind)
    if warm > 0:
        # LinearLR's factor start + (1 - start) * t / warm with start =
        # 1/(warm+1) is (t+1)/(warm+1): microprop's warmup.
        wu = lr_scheduler.LinearLR(
            opt, start_factor=1.0 / (warm + 1), end_factor=1.0, total_iters=warm
        )
        sched = lr_scheduler.SequentialLR(opt, [wu, main], milestones=[warm])
    else:
        sched = main
    out = {}
    for t in range(n):
        lr = opt.param_groups[0]["lr"]
        if kind == "factor":
            lr = max(lr, inner["min"])
        if t < warm or valid(t - warm):
            out[t] = lr
        opt.step()
        sched.step()
    return out


# ---------------------------------------------------------------------------
# Trajectories
# ---------------------------------------------------------------------------


def batch_order(n, batch_size, steps):
    """Consecutive batches in row order, epoch after epoch, no shuffling; the
    last batch of an epoch holds the remaining rows (may be partial)."""
    per_epoch = [
        list(range(s, min(s + batch_size, n))) for s in range(0, n, batch_size)
    ]
    return [per_epoch[k % len(per_epoch)] for k in range(steps)]


def run_trajectory(arch, opt_cfg, batch_size, steps, clip, schedule, hand):
    model = Mlp(arch["layers"], arch["init"])
    params = list(model.parameters())
    opt = HandOptimizer(opt_cfg, params) if hand else torch_optimizer(opt_cfg, params)
    lossfn = loss_module(arch["loss"])
    x = torch.tensor(arch["x"], dtype=DT)
    y = targets_tensor(arch["loss"], arch["y"])
    batches = batch_order(len(arch["x"]), batch_size, steps)
    losses, lrs, norms = [], [], []
    for t, idx in enumerate(batches):
        lr = schedule_lr(schedule, t)
        for g in opt.param_groups:
            g["lr"] = lr
        opt.zero_grad()
        loss = lossfn(model(x[idx]), y[idx])
        loss.backward()
        if clip is not None:
            norms.append(float(nn.utils.clip_grad_norm_(params, clip)))
        else:
            norms.append(
                math.sqrt(sum(float((p.grad**2).sum()) for p in params))
            )
        opt.step()
        losses.append(loss.item())
        lrs.append(lr)
    return {
        "batches": batches,
        "lr": lrs,
        "loss": losses,
        "grad_norm": norms,
        "final": model.export(),
    }


def max_rel_diff(a, b):
    a = np.array(flatten(a), dtype=np.float64)
    b = np.array(flatten(b), dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-3)))


def flatten(v):
    if isinstance(v, dict):
        return [x for k in sorted(v) for x in flatten(v[k])]
    if isinstance(v, (list, tuple)):
        return [x for e in v for x in flatten(e)]
    return [v]


def make_archs():
    gen = torch.Generator().manual_seed(1234)
    cls_layers = [
        {"in": 4, "out": 5, "activation": "tanh"},
        {"in": 5, "out": 3, "activation": "identity"},
    ]
    reg_layers = [
        {"in": 3, "out": 4, "activation": "sigmoid"},
        {"in": 4, "out": 2, "activation": "identity"},
    ]
    n = 10
    cls_x = f32_randn(gen, (n, 4))
    cls_y = [0, 1, 2, 2, 0, 1, 1, 2, 0, 2]
    reg_x = f32_rand(gen, (n, 3), -1.0, 1.0)
    reg_y = torch.stack(
        [
            torch.sin(2 * reg_x[:, 0]) + 0.5 * reg_x[:, 1],
            reg_x[:, 1] * reg_x[:, 2] - 0.3,
        ],
        dim=1,
    ).to(torch.float32).to(DT)
    return {
        "cls": {
            "layers": cls_layers,
            "loss": "cross_entropy",
            "x": tolist(cls_x),
            "y": cls_y,
            "init": random_init(gen, cls_layers),
        },
        "reg": {
            "layers": reg_layers,
            "loss": "mse",
            "x": tolist(reg_x),
            "y": tolist(reg_y),
            "init": random_init(gen, reg_layers),
        },
    }


def sgd(lr):
    return {"type": "sgd", "lr": f32(lr)}


def momentum(lr, nesterov=False, wd=0.0):
    return {
        "type": "momentum",
        "lr": f32(lr),
        "momentum": f32(0.9),
        "nesterov": nesterov,
        "weight_decay": f32(wd),
    }


def adagrad(lr, eps=1e-10, inside=False, wd=0.0, preset=None):
    return {
        "type": "adagrad",
        "lr": f32(lr),
        "eps": f32(eps),
        "epsilon": "inside" if inside else "outside",
        "weight_decay": f32(wd),
        "preset": preset,
    }


def rmsprop(lr, alpha=0.99, eps=1e-8, inside=False, wd=0.0, preset=None):
    return {
        "type": "rmsprop",
        "lr": f32(lr),
        "alpha": f32(alpha),
        "eps": f32(eps),
        "epsilon": "inside" if inside else "outside",
        "weight_decay": f32(wd),
        "preset": preset,
    }


def adam(lr, eps=1e-8, inside=False, wd=0.0, decoupled=False, preset=None):
    return {
        "type": "adam",
        "lr": f32(lr),
        "beta1": f32(0.9),
        "beta2": f32(0.999),
        "eps": f32(eps),
        "epsilon": "inside" if inside else "outside",
        "weight_decay": f32(wd),
        "decoupled": decoupled,
        "preset": preset,
    }


def optimizer_cases():
    """(name, optimizer config, clip max_norm or None)."""
    return [
        ("sgd", sgd(0.1), None),
        ("momentum", momentum(0.05), None),
        ("nesterov", momentum(0.05, nesterov=True), None),
        ("momentum_l2", momentum(0.05, wd=0.01), None),
        ("nesterov_l2", momentum(0.05, nesterov=True, wd=0.01), None),
        ("adagrad_pytorch", adagrad(0.1, preset="PYTORCH"), None),
        ("adagrad_eps_outside", adagrad(0.1, eps=EPS_INSIDE), None),
        ("adagrad_eps_inside", adagrad(0.1, eps=EPS_INSIDE, inside=True), None),
        ("adagrad_l2", adagrad(0.1, wd=0.01), None),
        ("rmsprop_pytorch", rmsprop(0.01, preset="PYTORCH"), None),
        ("rmsprop_lecture", rmsprop(0.01, alpha=0.9, inside=True, preset="LECTURE"), None),
        ("rmsprop_eps_inside", rmsprop(0.01, alpha=0.9, eps=EPS_INSIDE, inside=True), None),
        ("rmsprop_l2", rmsprop(0.01, wd=0.01), None),
        ("adam_pytorch", adam(0.01, preset="PYTORCH"), None),
        ("adam_eps_inside_1e-8", adam(0.01, inside=True), None),
        ("adam_eps_inside", adam(0.01, eps=EPS_INSIDE, inside=True), None),
        ("adam_l2", adam(0.01, wd=0.01), None),
        ("adamw", adam(0.01, wd=0.1, decoupled=True), None),
        ("adamw_default", adam(0.01, wd=0.01, decoupled=True, preset="ADAMW_DEFAULT"), None),
        ("sgd_clip", sgd(0.1), f32(0.25)),
        ("momentum_clip", momentum(0.05, nesterov=True), f32(0.25)),
        ("adam_clip", adam(0.01), f32(0.25)),
        ("adam_inside_clip", adam(0.01, eps=EPS_INSIDE, inside=True), f32(0.25)),
    ]


def is_hand(cfg):
    return cfg.get("epsilon") == "inside"


def make_optimizer_fixture(archs):
    trajectories = []
    worst_selfcheck = 0.0
    clip_active = {}
    for arch_name, arch in archs.items():
        n = len(arch["x"])
        for name, cfg, clip in optimizer_cases():
            for bs in (1, 3, n):
                sched = {"type": "constant", "lr": cfg["lr"]}
                r = run_trajectory(arch, cfg, bs, STEPS, clip, sched, is_hand(cfg))
                if cfg["type"] in ("adagrad", "rmsprop", "adam") and not is_hand(cfg):
                    # Verify HandOptimizer against torch.optim on this case.
                    h = run_trajectory(arch, cfg, bs, STEPS, clip, sched, True)
                    d = max(
                        max_rel_diff(h["final"], r["final"]),
                        max_rel_diff(h["loss"], r["loss"]),
                    )
                    worst_selfcheck = max(worst_selfcheck, d)
                    assert d < 1e-10, (arch_name, name, bs, d)
                if clip is not None:
                    active = sum(1 for g in r["grad_norm"] if g > clip)
                    clip_active[(arch_name, name, bs)] = active
                    # Clipping must matter in some steps (else the case tests
                    # nothing)...
                    assert active > 0, (arch_name, name, bs, r["grad_norm"])
                trajectories.append(
                    {
                        "name": f"{arch_name}/{name}/batch{bs}",
                        "arch": arch_name,
                        "batch_size": bs,
                        "optimizer": cfg,
                        "clip_grad_norm": clip,
                        "schedule": sched,
                        "reference": "hand_f64" if is_hand(cfg) else "torch.optim",
                        **r,
                    }
                )
        # Warmup + cosine trajectories (lr from the schedule each step).
        sched = {
            "type": "warmup",
            "steps": 5,
            "inner": {
                "type": "cosine",
                "initial": f32(0.1),
                "last": f32(0.001),
                "period": 20,
            },
        }
        for name, cfg in (
            ("nesterov_warmup_cosine", momentum(0.1, nesterov=True)),
            ("adam_warmup_cosine", adam(0.1, preset="PYTORCH")),
        ):
            steps = 30  # runs past the end of the cosine period
            r = run_trajectory(arch, cfg, 3, steps, None, sched, False)
            trajectories.append(
                {
                    "name": f"{arch_name}/{name}/batch3",
                    "arch": arch_name,
                    "batch_size": 3,
                    "optimizer": cfg,
                    "clip_grad_norm": None,
                    "schedule": sched,
                    "reference": "torch.optim",
                    **r,
                }
            )
    print(f"HandOptimizer vs torch.optim: max rel diff {worst_selfcheck:.3e}")
    print(
        "clipping active in steps (min/max over cases):",
        min(clip_active.values()),
        max(clip_active.values()),
        "of",
        STEPS,
    )
    return {
        "description": (
            "Training trajectories computed in float64 by PyTorch "
            "(torch.optim, or the f64 hand-written eps-inside optimizers of "
            "tests/reference/make_fixtures.py where reference == 'hand_f64'). "
            "Weights are in nn.Linear layout: weight[out][in], bias[out]. "
            "Step t uses rows batches[t], learning rate lr[t]; loss[t] is the "
            "mean loss of that batch before the step; grad_norm[t] the global "
            "L2 norm of its mean gradient before clipping; final the weights "
            "after the last step."
        ),
        "torch_version": torch.__version__,
        "archs": archs,
        "trajectories": trajectories,
    }


def make_schedule_fixture():
    n = 40
    inners = [
        ("constant", {"type": "constant", "lr": f32(0.05)}),
        (
            "factor",
            {"type": "factor", "initial": f32(0.1), "factor": f32(0.5), "every": 3, "min": f32(0.01)},
        ),
        ("exponential", {"type": "exponential", "initial": f32(0.1), "decay": f32(0.9)}),
        (
            "polynomial",
            {"type": "polynomial", "initial": f32(0.1), "alpha": f32(0.5), "power": f32(0.75)},
        ),
        (
            "cosine",
            {"type": "cosine", "initial": f32(0.1), "last": f32(0.001), "period": 20},
        ),
    ]
    cases = []
    worst = 0.0
    for name, inner in inners:
        variants = [(name, inner)]
        for w in (0, 1, 5):
            variants.append(
                (f"warmup{w}_{name}", {"type": "warmup", "steps": w, "inner": inner})
            )
        for vname, s in variants:
            lrs = [schedule_lr(s, t) for t in range(n)]
            ref = torch_schedule_lrs(s, n)
            for t, lr in ref.items():
                d = abs(lr - lrs[t]) / max(abs(lrs[t]), 1e-12)
                worst = max(worst, d)
                assert d < 1e-12, (vname, t, lr, lrs[t])
            cases.append({"name": vname, "schedule": s, "lr": lrs})
    print(f"schedules: formulas vs torch.optim.lr_scheduler max rel diff {worst:.3e}")
    return {
        "description": (
            "lr[t] for t = 0..N-1 (t = optimizer steps already taken), from "
            "the formulas documented in core/src/schedule.rs, cross-checked "
            "in float64 against torch.optim.lr_scheduler (StepLR, "
            "ExponentialLR, CosineAnnealingLR up to T_max, LambdaLR for "
            "polynomial, LinearLR + SequentialLR for the warmup)."
        ),
        "torch_version": torch.__version__,
        "cases": cases,
    }


def make_gradient_fixture():
    acts = ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu"]
    combos = []
    for loss in ("mse", "cross_entropy", "bce_with_logits"):
        for h in acts:
            combos.append((h, "identity", loss))
    for o in ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "softmax"]:
        combos.append(("tanh", o, "mse"))
    combos.append(("softmax", "identity", "mse"))
    combos.append(("softmax", "softmax", "mse"))

    rows = 5
    cases = []
    min_margin = float("inf")
    for ci, (hidden, out, loss) in enumerate(combos):
        layers = [
            {"in": 3, "out": 4, "activation": hidden},
            {"in": 4, "out": 3, "activation": out},
        ]
        seed = 100 + ci
        while True:
            gen = torch.Generator().manual_seed(seed)
            init = random_init(gen, layers, bias_scale=0.5)
            x = f32_randn(gen, (rows, 3))
            if loss == "cross_entropy":
                y = torch.randint(0, 3, (rows,), generator=gen).tolist()
            elif loss == "bce_with_logits":
                # Hard and soft targets in [0, 1].
                y = tolist(
                    torch.tensor(
                        [[1, 0, 0.25], [0, 1, 1], [0.5, 0, 1], [1, 1, 0], [0, 0.75, 0]],
                        dtype=DT,
                    )
                )
            else:
                y = tolist(f32_rand(gen, (rows, 3), -1.0, 1.0))
            model = Mlp(layers, init)
            pre = []
            xt = torch.tensor(tolist(x), dtype=DT)
            output = model(xt, record_pre=pre)
            margin = min((float(z.abs().min()) for z in pre), default=float("inf"))
            # Keep every ReLU-family pre-activation clear of the kink at 0 so
            # f32 rounding cannot flip a derivative.
            if margin > 1e-2:
                break
            seed += 1000
        min_margin = min(min_margin, margin)
        lossv = loss_module(loss)(output, targets_tensor(loss, y))
        lossv.backward()
        cases.append(
            {
                "name": f"{hidden}-{out}-{loss}",
                "layers": layers,
                "loss": loss,
                "seed": seed,
                "x": tolist(x),
                "y": y,
                "init": init,
                "loss_value": lossv.item(),
                "grads": [
                    {"weight": tolist(lin.weight.grad), "bias": tolist(lin.bias.grad)}
                    for lin in model.linears
                ],
            }
        )
    print(f"gradients: {len(cases)} cases, min |pre-activation| at kinks {min_margin:.3e}")
    return {
        "description": (
            "PyTorch autograd (float64) gradient of the mean batch loss "
            "w.r.t. every weight and bias of a 3-4-3 net, in nn.Linear "
            "layout (weight[out][in], bias[out]), and the loss value. "
            "leaky_relu slope 0.1 (as float32), elu alpha 1.0; mse = "
            "MSELoss, cross_entropy = CrossEntropyLoss on logits, "
            "bce_with_logits = BCEWithLogitsLoss."
        ),
        "torch_version": torch.__version__,
        "cases": cases,
    }


def write(name, obj):
    path = os.path.join(OUT, name)
    with open(path, "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")
    print(f"wrote {os.path.relpath(path)} ({os.path.getsize(path)} bytes)")


def main():
    os.makedirs(OUT, exist_ok=True)
    print(f"torch {torch.__version__}, numpy {np.__version__}, python {sys.version.split()[0]}")
    archs = make_archs()
    write("optimizers.json", make_optimizer_fixture(archs))
    write("schedules.json", make_schedule_fixture())
    write("gradients.json", make_gradient_fixture())


if __name__ == "__main__":
    main()
