"""Bad input raises the right exception and leaves the model as it was."""

import numpy as np
import pytest

import microprop as mp
from conftest import state_of

DIGITS = [64, (32, "tanh"), (10, "identity")]


@pytest.fixture
def model(digits):
    x, y = digits
    m = mp.Model(DIGITS, loss="softmax_cross_entropy", optimizer=mp.Adam(), seed=1)
    m.fit(x[:64], y[:64], lr=0.01, batch_size=16)
    return m


def refused(model, exception, match, call):
    before = state_of(model)
    with pytest.raises(exception, match=match):
        call()
    assert state_of(model) == before


def test_inputs(model, digits):
    x, y = digits
    fit = lambda x, y, **kw: (lambda: model.fit(x, y, lr=kw.get("lr", 0.01), **{k: v for k, v in kw.items() if k != "lr"}))
    refused(model, TypeError, "float32", fit(x.astype(np.float64), y))
    refused(model, TypeError, "numpy.ndarray", fit(x.tolist(), y))
    refused(model, ValueError, r"shape \(1797, 63\)", fit(x[:, :63], y))
    refused(model, ValueError, "shape", fit(x[0], y[:1]))
    refused(model, ValueError, "shape", fit(x.reshape(1797, 8, 8), y))
    refused(model, mp.MicropropError, "batch has no rows", fit(x[:0], y[:0]))
    nan = x.copy()
    nan[57, 3] = np.nan
    refused(model, mp.MicropropError, "input row 57 is not finite", fit(nan, y))
    inf = x.copy()
    inf[1000, 0] = -np.inf
    refused(model, mp.MicropropError, "input row 1000", fit(inf, y))
    refused(model, mp.MicropropError, "input row 57", lambda: model.predict(nan))
    refused(model, mp.MicropropError, "input row 57", lambda: model.evaluate(nan, y))
    refused(model, ValueError, "shape", lambda: model.predict(x[:, :10]))
    refused(model, TypeError, "float32", lambda: model.classify(x.astype(np.float16)))


def test_targets(model, digits):
    x, y = digits
    fit = lambda y: (lambda: model.fit(x, y, lr=0.01))
    refused(model, TypeError, "integer class labels", fit(y.astype(np.float32)))
    refused(model, ValueError, r"shape \(1796,\)", fit(y[:-1]))
    refused(model, ValueError, "shape", fit(y.reshape(-1, 1)))
    bad = y.copy()
    bad[300] = 10
    refused(model, mp.MicropropError, "label 10 of row 300 is out of range for 10 classes", fit(bad))
    bad[300] = -1
    refused(model, mp.MicropropError, "label -1 of row 300", fit(bad))
    refused(model, mp.MicropropError, "label 10", lambda: model.evaluate(x, np.where(y == 3, 10, y)))
    # Narrow and unsigned label dtypes are fine.
    model.evaluate(x, y.astype(np.uint8))
    model.evaluate(x, y.astype(np.int16))


def test_value_targets(iris):
    x, labels = iris
    model = mp.Model([4, (3, "identity")], loss="mse", optimizer=mp.Adam(), seed=1)
    target = np.eye(3, dtype=np.float32)[labels]
    model.fit(x, target, lr=0.01)
    refused(model, ValueError, r"need \(150, 3\)", lambda: model.fit(x, target[:, :2], lr=0.01))
    refused(model, ValueError, "shape", lambda: model.fit(x, target[:, 0], lr=0.01))
    refused(model, TypeError, "float32", lambda: model.fit(x, target.astype(np.float64), lr=0.01))
    bad = target.copy()
    bad[42, 1] = np.nan
    refused(model, mp.MicropropError, "target of row 42 is not finite", lambda: model.fit(x, bad, lr=0.01))
    # Sigmoid BCE targets must lie in [0, 1]: found in a step, after others
    # were taken, and undone.
    bce = mp.Model([4, (1, "identity")], loss="sigmoid_bce", optimizer=mp.Adam(), seed=1)
    target = (labels == 0).astype(np.float32)
    target[140] = 2.0
    refused(bce, mp.MicropropError, "target of row 140 is out of range",
            lambda: bce.fit(x, target, lr=0.01, batch_size=10))


def test_settings(model, digits):
    x, y = digits
    refused(model, mp.MicropropError, "learning rate", lambda: model.fit(x, y, lr=-0.1))
    refused(model, mp.MicropropError, "learning rate", lambda: model.fit(x, y, lr=float("nan")))
    refused(model, ValueError, "batch_size", lambda: model.fit(x, y, lr=0.1, batch_size=0))
    refused(model, ValueError, "clip_norm", lambda: model.fit(x, y, lr=0.1, clip_norm=0.0))
    refused(model, TypeError, None, lambda: model.fit(x, y))  # lr is required
    refused(model, OverflowError, None, lambda: model.fit(x, y, lr=0.1, epochs=-1))


def test_diverging_run_is_undone(digits):
    """Steps that are taken and then one microprop refuses: the whole fit is undone."""
    x, y = digits
    onehot = np.eye(10, dtype=np.float32)[y]
    model = mp.Model([64, (32, "relu"), (10, "identity")], loss="mse", optimizer=mp.SGD(), seed=7)
    model.fit(x[:32], onehot[:32], lr=0.01, batch_size=16)
    before = state_of(model)
    with pytest.raises(mp.MicropropError, match=r"not finite.*after [1-9]\d* steps of this fit.*as it was"):
        model.fit(x, onehot, lr=1e6, batch_size=16, epochs=3)
    assert state_of(model) == before
    # And the model still trains afterwards.
    assert model.fit(x, onehot, lr=0.01, batch_size=16)["steps"] > 0
