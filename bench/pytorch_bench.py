#!/usr/bin/env python3
"""PyTorch and numpy side of the host benchmarks of issue 7.

The same workloads as bench/src/lib.rs (criterion), with the same data read
from data/ in the same order, the same shapes, hyperparameters and
initialisation scheme (Glorot uniform, zero biases), and the same restart
from the initial weights after one epoch (XOR: 1000 steps):

  mnist_adam_b32   784-128-10 ReLU, softmax/CE, Adam (PyTorch defaults, lr 1e-3), batch 32
  mnist_adam_b1    the same, batch 1
  w2_momentum_b1   64-32-10 tanh, softmax/CE, SGD momentum 0.9 (lr 0.01), batch 1
  w2_momentum_b16  the same, batch 16
  xor_sgd_b4       2-8-1 sigmoid/sigmoid, MSE, plain SGD (lr 0.5), the 4 rows
  mnist_infer_b1   784-128-10 inference, one row

PyTorch runs eager, float32, one thread (torch.set_num_threads(1)); a training
step is zero_grad, forward, loss, backward, optimizer.step. numpy (its BLAS
limited to one thread) runs a hand-written implementation of the same steps,
checked against PyTorch before timing.

Each measurement warms up, then times blocks of ~20 ms with
time.perf_counter and reports the median of the blocks' samples per second
(and the 90th percentile, the "fast" statistic of bench/run.sh --stat fast).

  python bench/pytorch_bench.py [--quick] [--only NAME,...] [--out results.json]

Needs torch and numpy as pinned in bench/requirements.txt.
"""

import os

# One thread everywhere, set before numpy / torch load their thread pools.
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import copy
import csv
import gzip
import json
import math
import platform
import statistics
import struct
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

PINNED = {"torch": "2.15.0", "numpy": "2.4.6"}
DATA = Path(__file__).resolve().parent.parent / "data"

ADAM_LR = 1e-3
MOMENTUM_LR = 0.01
MOMENTUM = 0.9
XOR_LR = 0.5
XOR_STEPS_PER_CYCLE = 1000

torch.set_num_threads(1)
try:
    torch.set_num_interop_threads(1)
except RuntimeError:  # already set by an earlier parallel region
    pass


# ---------------------------------------------------------------- data


def mnist():
    """The 8000 MNIST training digits of data/, pixels / 255 (float32)."""
    with gzip.open(DATA / "mnist10k-train-images-idx3-ubyte.gz") as f:
        magic, n, rows, cols = struct.unpack(">IIII", f.read(16))
        assert magic == 2051 and (rows, cols) == (28, 28)
        x = np.frombuffer(f.read(n * 784), dtype=np.uint8).reshape(n, 784)
    with gzip.open(DATA / "mnist10k-train-labels-idx1-ubyte.gz") as f:
        magic, m = struct.unpack(">II", f.read(8))
        assert magic == 2049 and m == n
        y = np.frombuffer(f.read(n), dtype=np.uint8)
    return (x.astype(np.float32) / np.float32(255.0)), y.astype(np.int64)


def digits():
    """The 1797 8x8 digits of data/digits8x8.csv, pixels / 16 (float32)."""
    with open(DATA / "digits8x8.csv", newline="") as f:
        rows = list(csv.reader(f))[1:]
    a = np.array([[float(v) for v in r] for r in rows if r], dtype=np.float32)
    return a[:, :64] / np.float32(16.0), a[:, 64].astype(np.int64)


def xor():
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    y = np.array([[0], [1], [1], [0]], dtype=np.float32)
    return x, y


# ------------------------------------------------------------- workloads
#
# name: (sizes, hidden activation, output activation, loss, optimizer, lr,
#        batch, data, steps per cycle (None = one epoch))

WORKLOADS = {
    "mnist_adam_b32": ([784, 128, 10], "relu", "identity", "ce", "adam", ADAM_LR, 32, mnist, None),
    "mnist_adam_b1": ([784, 128, 10], "relu", "identity", "ce", "adam", ADAM_LR, 1, mnist, None),
    "w2_momentum_b1": ([64, 32, 10], "tanh", "identity", "ce", "momentum", MOMENTUM_LR, 1, digits, None),
    "w2_momentum_b16": ([64, 32, 10], "tanh", "identity", "ce", "momentum", MOMENTUM_LR, 16, digits, None),
    "xor_sgd_b4": ([2, 8, 1], "sigmoid", "sigmoid", "mse", "sgd", XOR_LR, 4, xor, XOR_STEPS_PER_CYCLE),
    "mnist_infer_b1": ([784, 128, 10], "relu", "identity", None, None, None, 1, mnist, None),
}

TORCH_ACT = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}


def glorot(fan_in, fan_out, rng):
    """Glorot-uniform weights, stored input-major (fan_in x fan_out) like microprop."""
    bound = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-bound, bound, size=(fan_in, fan_out)).astype(np.float32)


def initial_weights(sizes, seed=7):
    rng = np.random.default_rng(seed)
    return [(glorot(a, b, rng), np.zeros(b, dtype=np.float32)) for a, b in zip(sizes, sizes[1:])]


def torch_model(sizes, hidden, out, weights):
    layers = []
    for i, (w, b) in enumerate(weights):
        lin = nn.Linear(w.shape[0], w.shape[1])
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(w.T.copy()))
            lin.bias.copy_(torch.from_numpy(b))
        layers.append(lin)
        act = hidden if i < len(weights) - 1 else out
        if act != "identity":
            layers.append(TORCH_ACT[act]())
    return nn.Sequential(*layers)


def torch_optimizer(kind, lr, params):
    if kind == "adam":
        return torch.optim.Adam(params, lr=lr)  # betas (0.9, 0.999), eps 1e-8
    if kind == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=MOMENTUM)
    return torch.optim.SGD(params, lr=lr)


def whole_batches(x, y, batch):
    rows = len(x) // batch * batch
    return [(x[i : i + batch], y[i : i + batch]) for i in range(0, rows, batch)]


class TorchTrain:
    """One PyTorch training step per run(), restarting every cycle."""

    def __init__(self, spec):
        sizes, hidden, out, loss, opt, lr, batch, data, cycle = spec
        x, y = data()
        self.weights = initial_weights(sizes)
        self.model = torch_model(sizes, hidden, out, self.weights)
        self.initial = copy.deepcopy(self.model.state_dict())
        self.loss = nn.CrossEntropyLoss() if loss == "ce" else nn.MSELoss()
        self.make_opt = lambda: torch_optimizer(opt, lr, self.model.parameters())
        self.opt = self.make_opt()
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)
        self.batches = [(bx.contiguous(), by.contiguous()) for bx, by in whole_batches(tx, ty, batch)]
        self.cycle = cycle or len(self.batches)
        self.step = 0
        self.samples = batch

    def restart(self):
        self.model.load_state_dict(self.initial)
        self.opt = self.make_opt()
        self.step = 0

    def run(self):
        if self.step == self.cycle:
            self.restart()
        x, y = self.batches[self.step % len(self.batches)]
        self.step += 1
        self.opt.zero_grad()
        loss = self.loss(self.model(x), y)
        loss.backward()
        self.opt.step()
        return loss


class TorchInfer:
    def __init__(self, spec):
        sizes, hidden, out, *_ = spec
        x, _ = mnist()
        self.model = torch_model(sizes, hidden, out, initial_weights(sizes)).eval()
        self.rows = [r.reshape(1, -1).contiguous() for r in torch.from_numpy(x)]
        self.i = 0
        self.samples = 1

    def run(self):
        row = self.rows[self.i]
        self.i = (self.i + 1) % len(self.rows)
        return self.model(row)


# ---------------------------------------------------------------- numpy


def act_forward(kind, z):
    if kind == "relu":
        np.maximum(z, 0.0, out=z)
    elif kind == "tanh":
        np.tanh(z, out=z)
    elif kind == "sigmoid":
        # 1 / (1 + e^-z), in place
        np.negative(z, out=z)
        np.exp(z, out=z)
        z += 1.0
        np.reciprocal(z, out=z)


def act_backward(kind, h, grad):
    """grad *= f'(z), from the output h."""
    if kind == "relu":
        grad *= h > 0
    elif kind == "tanh":
        grad *= 1.0 - h * h
    elif kind == "sigmoid":
        grad *= h * (1.0 - h)


class NumpyMlp:
    """The same training step in plain numpy (weights input-major: X @ W + b)."""

    def __init__(self, sizes, hidden, out, loss, opt, lr, weights):
        self.params = [p.copy() for wb in weights for p in wb]
        self.acts = [hidden] * (len(sizes) - 2) + [out]
        self.loss, self.opt, self.lr = loss, opt, lr
        copies = 2 if opt == "adam" else 1  # Adam: m then v
        self.state = [np.zeros_like(p) for _ in range(copies) for p in self.params]
        self.t = 0

    def reset(self, weights):
        self.params = [p.copy() for wb in weights for p in wb]
        for s in self.state:
            s.fill(0.0)
        self.t = 0

    def forward(self, x):
        hs = [x]
        for (w, b), act in zip(zip(self.params[::2], self.params[1::2]), self.acts):
            z = hs[-1] @ w
            z += b
            act_forward(act, z)
            hs.append(z)
        return hs

    def train_step(self, x, y):
        hs = self.forward(x)
        out, batch = hs[-1], len(x)
        if self.loss == "ce":
            rows = np.arange(batch)
            top = out.max(axis=1, keepdims=True)
            e = np.exp(out - top)
            s = e.sum(axis=1, keepdims=True)
            loss = float(np.mean(top[:, 0] + np.log(s[:, 0]) - out[rows, y]))
            dz = e / s
            dz[rows, y] -= 1.0
            dz /= batch
        else:
            diff = out - y
            loss = float(np.mean(diff * diff))
            dz = diff * (2.0 / diff.size)
            act_backward(self.acts[-1], out, dz)
        grads = [None] * len(self.params)
        for layer in range(len(self.acts) - 1, -1, -1):
            grads[2 * layer] = hs[layer].T @ dz
            grads[2 * layer + 1] = dz.sum(axis=0)
            if layer > 0:
                dz = dz @ self.params[2 * layer].T
                act_backward(self.acts[layer - 1], hs[layer], dz)
        self.update(grads)
        return loss

    def update(self, grads):
        lr = self.lr
        if self.opt == "sgd":
            for p, g in zip(self.params, grads):
                p -= lr * g
        elif self.opt == "momentum":
            for p, g, h in zip(self.params, grads, self.state):
                h *= MOMENTUM
                h += g
                p -= lr * h
        else:  # Adam, PyTorch's arithmetic
            b1, b2, eps = 0.9, 0.999, 1e-8
            self.t += 1
            step_size = lr / (1.0 - b1**self.t)
            sqrt_c2 = math.sqrt(1.0 - b2**self.t)
            n = len(self.params)
            for p, g, m, v in zip(self.params, grads, self.state[:n], self.state[n:]):
                m *= b1
                m += (1.0 - b1) * g
                v *= b2
                v += (1.0 - b2) * (g * g)
                denom = np.sqrt(v)
                denom /= sqrt_c2
                denom += eps
                p -= step_size * (m / denom)


class NumpyTrain:
    def __init__(self, spec):
        sizes, hidden, out, loss, opt, lr, batch, data, cycle = spec
        x, y = data()
        self.weights = initial_weights(sizes)
        self.mlp = NumpyMlp(sizes, hidden, out, loss, opt, lr, self.weights)
        self.batches = [(bx.copy(), by.copy()) for bx, by in whole_batches(x, y, batch)]
        self.cycle = cycle or len(self.batches)
        self.step = 0
        self.samples = batch

    def run(self):
        if self.step == self.cycle:
            self.mlp.reset(self.weights)
            self.step = 0
        x, y = self.batches[self.step % len(self.batches)]
        self.step += 1
        return self.mlp.train_step(x, y)


class NumpyInfer:
    def __init__(self, spec):
        sizes, hidden, out, *_ = spec
        x, _ = mnist()
        self.mlp = NumpyMlp(sizes, hidden, out, None, "sgd", 0.0, initial_weights(sizes))
        self.rows = list(x)  # 1-D rows: vector-matrix products
        self.i = 0
        self.samples = 1

    def run(self):
        row = self.rows[self.i]
        self.i = (self.i + 1) % len(self.rows)
        return self.mlp.forward(row)[-1]


def check_numpy_against_torch(name, spec, steps=5):
    """Runs a few steps of both implementations from the same weights and
    returns the largest absolute difference of the resulting parameters."""
    t, n = TorchTrain(spec), NumpyTrain(spec)
    for _ in range(steps):
        t.run()
        n.run()
    ours = n.mlp.params
    theirs = []
    for p in t.model.parameters():
        a = p.detach().numpy()
        theirs.append(a.T if a.ndim == 2 else a)
    diff = max(float(np.max(np.abs(a - b))) for a, b in zip(ours, theirs))
    if diff > 1e-4:
        raise SystemExit(f"{name}: numpy step differs from PyTorch by {diff}")
    return diff


# --------------------------------------------------------------- timing


def measure(run, samples_per_run, warmup_s, measure_s, block_s=0.02):
    """Median samples/second over blocks of about block_s seconds."""
    start = time.perf_counter()
    calls = 0
    while True:
        run()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= warmup_s and calls >= 3:
            break
    per_call = elapsed / calls
    block = max(1, int(block_s / per_call))
    rates = []
    end = time.perf_counter() + measure_s
    while time.perf_counter() < end or len(rates) < 10:
        t0 = time.perf_counter()
        for _ in range(block):
            run()
        t1 = time.perf_counter()
        rates.append(block * samples_per_run / (t1 - t0))
    rates.sort()
    return {
        "samples_per_second": statistics.median(rates),
        # The fastest tenth of the blocks: on a shared machine this is the
        # less disturbed figure (bench/run.sh --stat fast).
        "samples_per_second_fast": rates[int(0.9 * (len(rates) - 1))],
        "blocks": len(rates),
        "runs_per_block": block,
    }


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="1 s warm-up, 2 s measurement per entry")
    ap.add_argument("--warm-up-time", type=float, default=3.0)
    ap.add_argument("--measurement-time", type=float, default=5.0)
    ap.add_argument("--only", help="comma-separated workload names")
    ap.add_argument("--out", help="write the results as JSON here")
    args = ap.parse_args()
    warm, meas = (1.0, 2.0) if args.quick else (args.warm_up_time, args.measurement_time)

    for lib, mod in (("torch", torch), ("numpy", np)):
        if not mod.__version__.startswith(PINNED[lib]):
            print(f"warning: {lib} {mod.__version__}, pinned {PINNED[lib]}", file=sys.stderr)

    names = args.only.split(",") if args.only else list(WORKLOADS)
    results = {}
    for name in names:
        spec = WORKLOADS[name]
        entry = {}
        if name.endswith("_infer_b1"):
            runners = {"pytorch": TorchInfer(spec), "numpy": NumpyInfer(spec)}
        else:
            entry["numpy_max_abs_diff_vs_pytorch"] = check_numpy_against_torch(name, spec)
            runners = {"pytorch": TorchTrain(spec), "numpy": NumpyTrain(spec)}
        for lib, runner in runners.items():
            if lib == "pytorch" and name.endswith("_infer_b1"):
                with torch.inference_mode():
                    entry[lib] = measure(runner.run, runner.samples, warm, meas)
            else:
                entry[lib] = measure(runner.run, runner.samples, warm, meas)
            print(
                f"{name:16} {lib:8} {entry[lib]['samples_per_second']:>14,.0f} samples/s",
                file=sys.stderr,
            )
        results[name] = entry

    doc = {
        "meta": {
            "torch": torch.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
            "torch_threads": torch.get_num_threads(),
            "cpu": cpu_model(),
            "warm_up_s": warm,
            "measurement_s": meas,
        },
        "results": results,
    }
    text = json.dumps(doc, indent=2)
    if args.out:
        Path(args.out).write_text(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()
