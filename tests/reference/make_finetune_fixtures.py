#!/usr/bin/env python3
"""Generate tests/fixtures/finetune.json: training with frozen parameters.

Run from anywhere, with the pinned versions of requirements.txt (see
README.md beside this file):

    /tmp/venv/bin/python tests/reference/make_finetune_fixtures.py

The networks, data, initial weights and optimizer settings are built with
the helpers of make_fixtures.py (float32-representable starting values,
float64 computation). What is new is that some parameters have
requires_grad=False and are not given to the optimizer, as a PyTorch user
fine-tunes a pretrained model:

* frozen_front: every layer but the last is frozen (a frozen backbone and a
  trained head; microprop: Frozen<network![..]>).
* frozen_middle: the middle layer is frozen, the layers in front of and
  behind it train (the gradient passes through the frozen layer).
* bias_only: the hidden layers train their biases only (TinyTL), the last
  layer trains fully (microprop: BiasOnly<Dense<..>>).
* frozen_then_bias: the first layer frozen, the second bias-only, the last
  full.

Each mode is run with SGD, Nesterov with L2 decay, AdaGrad, RMSprop, Adam
and AdamW (decoupled decay), PyTorch's defaults where not said otherwise, batch sizes 1, 3 and 10, 24 steps: per-step loss and the
final weights of every layer (the frozen ones must come back unchanged).
The script asserts that frozen values are bit-identical to their start.
"""

import os
import sys

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import make_fixtures as mf  # noqa: E402  (the shared helpers)

STEPS = mf.STEPS

# Which parameters train, per layer: (weight, bias).
MODES = {
    "frozen_front": [(False, False), (False, False), (True, True)],
    "frozen_middle": [(True, True), (False, False), (True, True)],
    "bias_only": [(False, True), (False, True), (True, True)],
    "frozen_then_bias": [(False, False), (False, True), (True, True)],
}


def make_arch():
    """A 4-6-5-3 tanh classifier on 10 rows (cross-entropy)."""
    gen = torch.Generator().manual_seed(4321)
    layers = [
        {"in": 4, "out": 6, "activation": "tanh"},
        {"in": 6, "out": 5, "activation": "tanh"},
        {"in": 5, "out": 3, "activation": "identity"},
    ]
    n = 10
    x = mf.f32_randn(gen, (n, 4))
    y = [0, 1, 2, 2, 0, 1, 1, 2, 0, 2]
    return {
        "layers": layers,
        "loss": "cross_entropy",
        "x": mf.tolist(x),
        "y": y,
        "init": mf.random_init(gen, layers),
    }


def optimizer_cases():
    return [
        ("sgd", mf.sgd(0.1)),
        ("nesterov_l2", mf.momentum(0.05, nesterov=True, wd=1e-2)),
        ("adagrad", mf.adagrad(0.1, preset="PYTORCH")),
        ("rmsprop", mf.rmsprop(0.01, preset="PYTORCH")),
        ("adam", mf.adam(1e-2, preset="PYTORCH")),
        ("adamw", mf.adam(1e-2, wd=0.1, decoupled=True)),
    ]


def run(arch, mode, cfg, batch_size):
    model = mf.Mlp(arch["layers"], arch["init"])
    trainable = []
    for lin, (train_w, train_b) in zip(model.linears, MODES[mode]):
        lin.weight.requires_grad_(train_w)
        lin.bias.requires_grad_(train_b)
        trainable += [p for p, t in ((lin.weight, train_w), (lin.bias, train_b)) if t]
    opt = mf.torch_optimizer(cfg, trainable)
    lossfn = mf.loss_module(arch["loss"])
    x = torch.tensor(arch["x"], dtype=mf.DT)
    y = mf.targets_tensor(arch["loss"], arch["y"])
    batches = mf.batch_order(len(arch["x"]), batch_size, STEPS)
    losses = []
    for idx in batches:
        opt.zero_grad()
        loss = lossfn(model(x[idx]), y[idx])
        loss.backward()
        opt.step()
        losses.append(loss.item())
    final = model.export()
    for layer, start, (train_w, train_b) in zip(final, arch["init"], MODES[mode]):
        if not train_w:
            assert layer["weight"] == start["weight"], (mode, "weight moved")
        if not train_b:
            assert layer["bias"] == start["bias"], (mode, "bias moved")
    return {"batches": batches, "loss": losses, "final": final}


def make_fixture():
    arch = make_arch()
    runs = []
    for mode in MODES:
        for name, cfg in optimizer_cases():
            for bs in (1, 3, len(arch["x"])):
                runs.append(
                    {
                        "name": f"{mode}/{name}/batch{bs}",
                        "mode": mode,
                        "trainable": [list(t) for t in MODES[mode]],
                        "batch_size": bs,
                        "optimizer": cfg,
                        "clip_grad_norm": None,
                        "schedule": {"type": "constant", "lr": cfg["lr"]},
                        **run(arch, mode, cfg, bs),
                    }
                )
    return {
        "description": (
            "Fine-tuning trajectories computed in float64 by PyTorch "
            "(torch.optim over the parameters with requires_grad=True only). "
            "trainable[l] = [weight trains, bias trains] for layer l. Weights "
            "in nn.Linear layout: weight[out][in], bias[out]. Step t uses rows "
            "batches[t] at the optimizer's constant lr; loss[t] is the mean "
            "loss of that batch before the step; final the weights after the "
            "last step (frozen ones equal to the initial weights)."
        ),
        "torch_version": torch.__version__,
        "arch": arch,
        "runs": runs,
    }


def main():
    os.makedirs(mf.OUT, exist_ok=True)
    print(f"torch {torch.__version__}, numpy {np.__version__}, python {sys.version.split()[0]}")
    mf.write("finetune.json", make_fixture())


if __name__ == "__main__":
    main()
