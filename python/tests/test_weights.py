"""get_weights / set_weights as Flower's NDArrays."""

import numpy as np
import pytest

import microprop as mp
from conftest import state_of

DIGITS = [64, (32, "tanh"), (10, "identity")]


def test_round_trip():
    a = mp.Model(DIGITS, loss="softmax_cross_entropy", seed=1)
    b = mp.Model(DIGITS, loss="softmax_cross_entropy", seed=2)
    weights = a.get_weights()
    assert isinstance(weights, list) and len(weights) == 4
    b.set_weights(weights)
    assert b.to_bytes() == a.to_bytes()
    before = a.to_bytes()
    a.set_weights(a.get_weights())
    assert a.to_bytes() == before
    # Copies: changing a returned array changes nothing.
    weights[0][:] = 0
    assert a.to_bytes() == before
    b.set_params(a.get_params())
    assert b.to_bytes() == a.to_bytes()


def test_layout_is_x_at_w_plus_b(digits):
    x, _ = digits
    model = mp.Model([64, (10, "identity")], loss="mse", seed=3)
    w, b = model.get_weights()
    np.testing.assert_allclose(model.predict(x[:5]), x[:5] @ w + b, rtol=1e-5, atol=1e-6)
    model.set_weights([np.eye(64, 10, dtype=np.float32), np.arange(10, dtype=np.float32)])
    np.testing.assert_array_equal(model.predict(x[:5]), x[:5, :10] + np.arange(10))


def test_federated_average(digits):
    """What a FedAvg server does with two clients' weights."""
    x, y = digits
    global_model = mp.Model(DIGITS, loss="softmax_cross_entropy", seed=7)
    clients = []
    for shard in [slice(0, 900), slice(900, None)]:
        client = mp.Model(DIGITS, loss="softmax_cross_entropy", optimizer=mp.Adam())
        client.set_weights(global_model.get_weights())
        client.fit(x[shard], y[shard], lr=0.01, batch_size=16, steps=20, shuffle_seed=0)
        clients.append((client.get_weights(), len(x[shard])))
    total = sum(n for _, n in clients)
    average = [sum(w[i] * (n / total) for w, n in clients).astype(np.float32) for i in range(4)]
    global_model.set_weights(average)
    for got, want in zip(global_model.get_weights(), average):
        np.testing.assert_array_equal(got, want)
    assert global_model.evaluate(x, y)["accuracy"] > 0.5


def test_read_only_and_non_contiguous_arrays():
    a = mp.Model(DIGITS, loss="mse", seed=1)
    weights = a.get_weights()
    for w in weights:
        w.flags.writeable = False
    b = mp.Model(DIGITS, loss="mse", seed=2)
    b.set_weights(weights)
    assert b.to_bytes() == a.to_bytes()
    # A transposed (Fortran-ordered) view with the right shape and values.
    w0 = np.ascontiguousarray(weights[0].T).T
    b.set_weights([w0] + weights[1:])
    assert b.to_bytes() == a.to_bytes()


def test_bad_weights_change_nothing():
    model = mp.Model(DIGITS, loss="softmax_cross_entropy", optimizer=mp.Adam(), seed=1)
    good = model.get_weights()
    other = [np.ones_like(w) for w in good]
    before = state_of(model)
    with pytest.raises(ValueError, match="3 arrays given; this model has 4"):
        model.set_weights(other[:3])
    with pytest.raises(ValueError, match=r"weights\[2\] has shape \(10, 32\)"):
        model.set_weights(other[:2] + [other[2].T.copy(), other[3]])
    with pytest.raises(TypeError, match="float32"):
        model.set_weights(other[:3] + [other[3].astype(np.float64)])
    with pytest.raises(TypeError):
        model.set_weights(other[:3] + [[0.0] * 10])
    bad = [w.copy() for w in other]
    bad[3][4] = np.nan
    with pytest.raises(mp.MicropropError, match="NaN"):
        model.set_weights(bad)
    bad[3][4] = np.inf
    with pytest.raises(mp.MicropropError):
        model.set_weights(bad)
    with pytest.raises(TypeError):
        model.set_weights(5)
    with pytest.raises(ValueError):
        model.set_params(np.zeros(model.param_count - 1, dtype=np.float32))
    with pytest.raises(TypeError):
        model.set_params(np.zeros(model.param_count))
    with pytest.raises(mp.MicropropError):
        model.set_params(np.full(model.param_count, np.nan, dtype=np.float32))
    assert state_of(model) == before
