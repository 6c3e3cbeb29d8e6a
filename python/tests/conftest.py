"""Shared data and helpers of the bindings' tests.

The data sets are the repository's copies in data/ (see data/README.md).
`reference_run` trains through `microprop::dynamic` from plain Rust (the
crate python/reference, no binding code) and returns its checkpoint.
"""

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

import microprop as mp

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"


def load_csv(name):
    """Features (float32) and integer labels of a data/ CSV (last column the label)."""
    table = np.loadtxt(DATA / name, delimiter=",", skiprows=1, dtype=np.float64)
    return table[:, :-1].astype(np.float32), table[:, -1].astype(np.int64)


@pytest.fixture(scope="session")
def digits():
    """UCI 8x8 digits: 1797 rows of 64 pixels scaled to [0, 1], labels 0..9."""
    x, y = load_csv("digits8x8.csv")
    return x / np.float32(16.0), y


@pytest.fixture(scope="session")
def iris():
    """Fisher's iris: 150 rows of 4 standardised features, labels 0..2."""
    x, y = load_csv("iris.csv")
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    return x.astype(np.float32), y


def state_of(model):
    """Everything a refused operation must leave as it was."""
    return model.to_bytes(training=True)


def reference_binary():
    """The reference program: $MICROPROP_REFERENCE, else built with cargo."""
    given = os.environ.get("MICROPROP_REFERENCE")
    if given:
        return [given]
    return ["cargo", "run", "--release", "--locked", "--quiet",
            "-p", "microprop-python-reference", "--"]


def reference_run(tmp_path, x, y, *, layers, loss, optimizer, lr, batch,
                  seed, epochs=None, steps=None, shuffle=None, clip=None,
                  init="xavier", backbone=None, backbone_params=None):
    """Trains in plain Rust (python/reference) and returns the training checkpoint.

    `layers` as the reference takes them ("64,32:tanh,10:identity"); `y`
    labels (written as u32) or float32 targets. With `backbone` (a layer
    list in the same form) and `backbone_params` (float32), `x` holds the
    backbone's inputs and `layers` is the head trained on its features.
    """
    (tmp_path / "x.f32").write_bytes(np.ascontiguousarray(x, dtype="<f4").tobytes())
    if y.dtype.kind in "iu":
        (tmp_path / "y.bin").write_bytes(y.astype("<u4").tobytes())
    else:
        (tmp_path / "y.bin").write_bytes(np.ascontiguousarray(y, dtype="<f4").tobytes())
    out = tmp_path / "reference.mpck"
    args = ["--x", tmp_path / "x.f32", "--y", tmp_path / "y.bin",
            "--layers", layers, "--loss", loss, "--optimizer", optimizer,
            "--lr", lr, "--batch", batch, "--seed", seed, "--init", init,
            "--out", out]
    if backbone is not None:
        (tmp_path / "backbone.f32").write_bytes(
            np.ascontiguousarray(backbone_params, dtype="<f4").tobytes())
        args += ["--backbone", backbone, "--backbone-params", tmp_path / "backbone.f32"]
    for flag, value in [("--epochs", epochs), ("--steps", steps),
                        ("--shuffle", shuffle), ("--clip", clip)]:
        if value is not None:
            args += [flag, value]
    subprocess.run(reference_binary() + [str(a) for a in args],
                   cwd=ROOT, check=True)
    return out.read_bytes()
