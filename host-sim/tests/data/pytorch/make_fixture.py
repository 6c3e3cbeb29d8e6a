#!/usr/bin/env python3
"""Write the PyTorch fixture of `microprop-sim import` (see README.md beside
this file):

    python3 -m venv /tmp/venv
    /tmp/venv/bin/pip install -r host-sim/tests/data/pytorch/requirements.txt
    /tmp/venv/bin/python host-sim/tests/data/pytorch/make_fixture.py

* mlp.safetensors: the state_dict of an nn.Sequential of Linear layers and
  every activation microprop has (ReLU, Tanh, LeakyReLU(0.2), ELU(0.5), a
  Linear with no activation after it, Sigmoid, Softmax), saved with
  safetensors.torch.save_file: keys 0.weight, 0.bias, 2.weight, ...
* mlp.json: the --layers list that describes it, 16 input rows, and the
  model's outputs on them (and its logits, the outputs before the Softmax)
  computed by PyTorch in float32 (what a PyTorch user gets) and in float64
  from the same float32 weights and inputs (the exact answer, to within
  1e-16, for the error analysis in host-sim/tests/import.rs).

Deterministic (fixed seed, one thread): running it again with the pinned
versions rewrites identical files.
"""

import json
import os

import numpy as np
import safetensors
import torch
from safetensors.torch import save_file
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
torch.set_num_threads(1)
torch.manual_seed(13)

model = nn.Sequential(
    nn.Linear(6, 16), nn.ReLU(),
    nn.Linear(16, 12), nn.Tanh(),
    nn.Linear(12, 10), nn.LeakyReLU(0.2),
    nn.Linear(10, 8), nn.ELU(alpha=0.5),
    nn.Linear(8, 8),
    nn.Linear(8, 6), nn.Sigmoid(),
    nn.Linear(6, 4), nn.Softmax(dim=-1),
)
LAYERS = "16:relu,12:tanh,10:leaky_relu:0.2,8:elu:0.5,8:identity,6:sigmoid,4:softmax"

# PyTorch's default init (uniform +-1/sqrt(fan_in)) keeps most units near
# zero; twice the spread puts the activations into their curved parts.
with torch.no_grad():
    for p in model.parameters():
        p.mul_(2.0)

inputs = (torch.randn(16, 6) * 1.5).to(torch.float32)
with torch.no_grad():
    out32 = model(inputs)
    logits32 = model[:-1](inputs)
    model.to(torch.float64)
    out64 = model(inputs.to(torch.float64))
    logits64 = model[:-1](inputs.to(torch.float64))
    model.to(torch.float32)

save_file({k: v.contiguous() for k, v in model.state_dict().items()},
          os.path.join(HERE, "mlp.safetensors"))


def rows(t):
    # float(x) of a float32 is exact in a double; JSON keeps it exactly.
    return [[float(v) for v in row] for row in t.tolist()]


fixture = {
    "about": "host-sim/tests/data/pytorch/make_fixture.py: an nn.Sequential of Linear "
             "layers and activations, its outputs in float32 and float64",
    "torch_version": torch.__version__,
    "numpy_version": np.__version__,
    "safetensors_version": safetensors.__version__,
    "layers": LAYERS,
    "inputs": rows(inputs),
    "outputs_f32": rows(out32),
    "outputs_f64": rows(out64),
    "logits_f32": rows(logits32),
    "logits_f64": rows(logits64),
}
with open(os.path.join(HERE, "mlp.json"), "w") as f:
    json.dump(fixture, f, indent=1)
    f.write("\n")
print("wrote mlp.safetensors and mlp.json")
