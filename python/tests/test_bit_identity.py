"""The bindings give the bits of microprop used directly from Rust.

Each case trains once through the bindings and once through the plain-Rust
reference (python/reference: `microprop::dynamic`, no binding code, the
built-in kernels and libm's square root, while the bindings run with
microprop-host's run-time-dispatched AVX2/AVX-512 kernels and std's square
root), then compares the two training checkpoints (parameters, optimizer
state, step count, CRC) byte for byte.
"""

import numpy as np
import pytest

import microprop as mp
from conftest import reference_run

DIGITS = [64, (32, "tanh"), (10, "identity")]

# (id, layers for Model, layers for the reference, loss, optimizer object,
#  optimizer for the reference, fit keywords, init)
CASES = [
    ("adam-shuffled", DIGITS, "64,32:tanh,10:identity", "softmax_cross_entropy",
     mp.Adam(), "adam", dict(lr=0.01, batch_size=16, epochs=2, shuffle_seed=3), "xavier"),
    ("sgd-batch1-steps", DIGITS, "64,32:tanh,10:identity", "softmax_cross_entropy",
     mp.SGD(), "sgd", dict(lr=0.1, batch_size=1, steps=300), "xavier"),
    ("nesterov-clip-leaky-elu", [64, (24, "leaky_relu", 0.2), (16, "elu"), (10, "identity")],
     "64,24:leaky_relu:0.2,16:elu,10:identity", "softmax_cross_entropy",
     mp.Momentum(0.9, nesterov=True), "nesterov:0.9",
     dict(lr=0.05, batch_size=32, epochs=2, shuffle_seed=11, clip_norm=1.0), "glorot_uniform"),
    ("momentum-relu-he", [64, (32, "relu"), (10, "identity")], "64,32:relu,10:identity",
     "softmax_cross_entropy", mp.Momentum(0.5), "momentum:0.5",
     dict(lr=0.05, batch_size=20, steps=150, shuffle_seed=5), "he_uniform"),
    ("adagrad", DIGITS, "64,32:tanh,10:identity", "softmax_cross_entropy",
     mp.AdaGrad(), "adagrad", dict(lr=0.05, batch_size=64, epochs=3), "he_normal"),
    ("adagrad-initial-accumulator", DIGITS, "64,32:tanh,10:identity", "softmax_cross_entropy",
     mp.AdaGrad(initial_accumulator_value=0.1), "adagrad:0.1",
     dict(lr=0.05, batch_size=64, epochs=2), "he_normal"),
    ("sgd-weight-decay", DIGITS, "64,32:tanh,10:identity", "softmax_cross_entropy",
     mp.SGD(weight_decay=0.01), "sgd:0.01", dict(lr=0.1, batch_size=16, epochs=1, shuffle_seed=6),
     "xavier"),
    ("rmsprop", DIGITS, "64,32:tanh,10:identity", "softmax_cross_entropy",
     mp.RMSprop(), "rmsprop", dict(lr=0.001, batch_size=16, epochs=1, shuffle_seed=2), "glorot_normal"),
    ("adamw", DIGITS, "64,32:tanh,10:identity", "softmax_cross_entropy",
     mp.AdamW(0.01), "adamw:0.01", dict(lr=0.01, batch_size=50, epochs=2, shuffle_seed=9), "xavier"),
    ("maxout", [64, (16, "maxout", 3), (10, "identity")], "64,16:maxout:3,10:identity",
     "softmax_cross_entropy", mp.Adam(), "adam",
     dict(lr=0.005, batch_size=16, epochs=1, shuffle_seed=4), "xavier"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_digits_run_matches_rust(case, digits, tmp_path):
    _, layers, ref_layers, loss, optimizer, ref_optimizer, fit, init = case
    x, y = digits
    model = mp.Model(layers, loss=loss, optimizer=optimizer, seed=7, init=init)
    report = model.fit(x, y, **fit)
    assert report["steps"] == model.steps > 0
    expected = reference_run(
        tmp_path, x, y, layers=ref_layers, loss=loss, optimizer=ref_optimizer,
        lr=fit["lr"], batch=fit["batch_size"], seed=7, init=init,
        epochs=fit.get("epochs"), steps=fit.get("steps"),
        shuffle=fit.get("shuffle_seed"), clip=fit.get("clip_norm"))
    assert model.to_bytes(training=True) == expected


def test_value_losses_match_rust(iris, tmp_path):
    """MSE behind a softmax output and sigmoid BCE, on iris."""
    x, labels = iris
    onehot = np.eye(3, dtype=np.float32)[labels]
    model = mp.Model([4, (8, "sigmoid"), (3, "softmax")], loss="mse", optimizer=mp.Adam(), seed=3)
    model.fit(x, onehot, lr=0.02, batch_size=10, epochs=4, shuffle_seed=8)
    assert model.to_bytes(training=True) == reference_run(
        tmp_path, x, onehot, layers="4,8:sigmoid,3:softmax", loss="mse", optimizer="adam",
        lr=0.02, batch=10, seed=3, epochs=4, shuffle=8)

    setosa = (labels == 0).astype(np.float32).reshape(-1, 1)
    model = mp.Model([4, (6, "tanh"), (1, "identity")], loss="sigmoid_bce", seed=4)
    model.fit(x, setosa, lr=0.1, batch_size=7, epochs=3)
    assert model.to_bytes(training=True) == reference_run(
        tmp_path, x, setosa, layers="4,6:tanh,1:identity", loss="sigmoid_bce",
        optimizer="sgd", lr=0.1, batch=7, seed=4, epochs=3)


def test_reference_differs_when_the_run_differs(digits, tmp_path):
    """The comparison can fail: one step more is other bytes."""
    x, y = digits
    model = mp.Model(DIGITS, loss="softmax_cross_entropy", seed=7)
    model.fit(x, y, lr=0.1, batch_size=16, steps=11)
    expected = reference_run(tmp_path, x, y, layers="64,32:tanh,10:identity",
                             loss="softmax_cross_entropy", optimizer="sgd",
                             lr=0.1, batch=16, seed=7, steps=10)
    assert model.to_bytes(training=True) != expected
