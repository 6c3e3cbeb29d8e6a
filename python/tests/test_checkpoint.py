"""microprop checkpoints: files and bytes, round trips, resuming, refusals."""

import pathlib

import numpy as np
import pytest

import microprop as mp
from conftest import reference_run, state_of

DIGITS = [64, (32, "tanh"), (10, "identity")]


def trained(digits, optimizer=None, epochs=1):
    x, y = digits
    model = mp.Model(DIGITS, loss="softmax_cross_entropy", optimizer=optimizer or mp.Adam(), seed=7)
    model.fit(x, y, lr=0.01, batch_size=32, epochs=epochs)
    return model


def test_bytes_layout(digits):
    model = trained(digits)
    blob = model.to_bytes()
    assert blob[:4] == b"MPCK" and len(blob) == model.checkpoint_size()
    assert int.from_bytes(blob[4:6], "little") == mp.CHECKPOINT_FORMAT_VERSION
    training = model.to_bytes(training=True)
    assert len(training) == model.checkpoint_size(training=True)
    # Adam's two moments, 4 bytes each, plus the step count header.
    assert len(training) - len(blob) == 2 * 4 * model.param_count + 8


def test_file_and_bytes_round_trip(digits, tmp_path):
    model = trained(digits)
    path = tmp_path / "digits.mpck"
    model.save(path)
    model.save(str(tmp_path / "again.mpck"))
    assert path.read_bytes() == model.to_bytes() == (tmp_path / "again.mpck").read_bytes()
    for source in [path, str(path), path.read_bytes(), bytearray(path.read_bytes())]:
        loaded = mp.Model.load(source, loss="softmax_cross_entropy")
        assert loaded.layers == model.layers and loaded.to_bytes() == model.to_bytes()
        assert loaded.steps == 0 and loaded.optimizer == mp.SGD()
    x, _ = digits
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    other = mp.Model(DIGITS, loss="softmax_cross_entropy", optimizer=mp.Adam(), seed=1)
    other.fit(x[:64], np.zeros(64, dtype=np.int64), lr=0.01)
    steps, state = other.steps, other.optimizer_state
    other.load_weights(path)
    assert other.to_bytes() == model.to_bytes()
    # Loading weights keeps the optimizer state.
    assert other.steps == steps
    np.testing.assert_array_equal(other.optimizer_state, state)


def test_resume_is_exact(digits, tmp_path):
    """Two epochs straight equal one epoch, a training checkpoint, and one more."""
    x, y = digits
    straight = trained(digits, epochs=2)
    first = trained(digits, epochs=1)
    first.save(tmp_path / "state.mpck", training=True)
    resumed = mp.Model.load(tmp_path / "state.mpck", loss="softmax_cross_entropy", optimizer=mp.Adam())
    assert resumed.steps == first.steps > 0
    resumed.fit(x, y, lr=0.01, batch_size=32)
    assert resumed.to_bytes(training=True) == straight.to_bytes(training=True)
    # The same through load_training on a fresh model of the shape.
    fresh = mp.Model(DIGITS, loss="softmax_cross_entropy", optimizer=mp.Adam(), seed=99)
    fresh.load_training(first.to_bytes(training=True))
    fresh.fit(x, y, lr=0.01, batch_size=32)
    assert fresh.to_bytes(training=True) == straight.to_bytes(training=True)


def test_checkpoint_equals_rust(digits, tmp_path):
    """The parameters-only checkpoint of a Rust run loads into the bindings'
    model of that run and is written back byte for byte."""
    x, y = digits
    model = mp.Model(DIGITS, loss="softmax_cross_entropy", optimizer=mp.Momentum(), seed=5)
    model.fit(x, y, lr=0.05, batch_size=25, epochs=1, shuffle_seed=6)
    rust = reference_run(tmp_path, x, y, layers="64,32:tanh,10:identity",
                         loss="softmax_cross_entropy", optimizer="momentum",
                         lr=0.05, batch=25, seed=5, epochs=1, shuffle=6)
    assert model.to_bytes(training=True) == rust
    loaded = mp.Model.load(rust, loss="softmax_cross_entropy", optimizer=mp.Momentum())
    assert loaded.to_bytes(training=True) == rust
    assert loaded.to_bytes() == model.to_bytes()


def test_refusals_change_nothing(digits, tmp_path):
    model = trained(digits)
    before = state_of(model)
    other = mp.Model([64, (16, "tanh"), (10, "identity")], loss="softmax_cross_entropy")
    with pytest.raises(mp.MicropropError, match="checkpoint is for 64-16-10, model is 64-32-10"):
        model.load_weights(other.to_bytes())
    tanh_relu = mp.Model([64, (32, "relu"), (10, "identity")], loss="softmax_cross_entropy")
    with pytest.raises(mp.MicropropError, match="checkpoint"):
        model.load_weights(tanh_relu.to_bytes())
    damaged = bytearray(model.to_bytes())
    damaged[100] ^= 1
    with pytest.raises(mp.MicropropError, match="CRC"):
        model.load_weights(damaged)
    with pytest.raises(mp.MicropropError, match="CRC"):
        mp.Model.load(bytes(damaged), loss="softmax_cross_entropy")
    with pytest.raises(mp.MicropropError):
        model.load_weights(model.to_bytes()[:-5])
    with pytest.raises(mp.MicropropError):
        model.load_weights(b"not a checkpoint at all, but long enough to have a header")
    # Parameters only: no optimizer state to resume from.
    with pytest.raises(mp.MicropropError, match="checkpoint"):
        model.load_training(model.to_bytes())
    # Saved with SGD (no state), loaded into Adam (two moments).
    sgd = trained(digits, optimizer=mp.SGD())
    with pytest.raises(mp.MicropropError, match="checkpoint"):
        model.load_training(sgd.to_bytes(training=True))
    with pytest.raises(FileNotFoundError):
        model.load_weights(tmp_path / "missing.mpck")
    with pytest.raises(TypeError):
        model.load_weights(42)
    assert state_of(model) == before
