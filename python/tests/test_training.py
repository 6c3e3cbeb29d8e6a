"""Training on the repository's real data sets, and what fit() promises."""

import numpy as np
import pytest

import microprop as mp

DIGITS = [64, (32, "tanh"), (10, "identity")]


def split(x, y, test_every=5):
    test = np.arange(len(x)) % test_every == 0
    return x[~test], y[~test], x[test], y[test]


def test_digits_adam_learns(digits):
    x_train, y_train, x_test, y_test = split(*digits)
    model = mp.Model(DIGITS, loss="softmax_cross_entropy", optimizer=mp.Adam(), seed=7)
    before = model.evaluate(x_test, y_test)
    report = model.fit(x_train, y_train, lr=0.01, batch_size=16, epochs=10, shuffle_seed=1)
    after = model.evaluate(x_test, y_test)
    assert report["epochs"] == 10 and len(report["loss"]) == 10
    assert report["steps"] == 10 * -(-len(x_train) // 16) == model.steps
    assert report["rows"] == 10 * len(x_train)
    assert report["loss"][-1] < report["loss"][0] / 3
    assert after["loss"] < before["loss"] / 5
    assert after["accuracy"] > 0.95 and after["rows"] == len(x_test)
    assert (model.classify(x_test) == y_test).mean() == pytest.approx(after["accuracy"], abs=1e-6)


def test_iris_sgd_learns(iris):
    x_train, y_train, x_test, y_test = split(*iris, test_every=3)
    model = mp.Model([4, (16, "tanh"), (3, "identity")], loss="cross_entropy", seed=2024)
    before = model.evaluate(x_test, y_test)["loss"]
    model.fit(x_train, y_train, lr=0.1, batch_size=8, epochs=60, shuffle_seed=1)
    after = model.evaluate(x_test, y_test)
    assert after["loss"] < before / 4 and after["accuracy"] > 0.9


def test_regression_and_binary(iris):
    x, labels = iris
    # MSE regression: predict petal width from the other three features.
    model = mp.Model([3, (8, "tanh"), (1, "identity")], loss="mse", optimizer=mp.RMSprop(), seed=1)
    before = model.evaluate(x[:, :3], x[:, 3])
    assert before["accuracy"] is None
    report = model.fit(x[:, :3], x[:, 3], lr=0.01, batch_size=10, epochs=30, shuffle_seed=2)
    assert report["accuracy"] is None
    assert model.evaluate(x[:, :3], x[:, 3])["loss"] < before["loss"] / 5
    # Sigmoid BCE: versicolor or not, targets of shape (n, 1).
    target = (labels == 1).astype(np.float32)[:, None]
    model = mp.Model([4, (8, "relu"), (1, "identity")], loss="sigmoid_bce", optimizer=mp.Adam(), seed=1)
    model.fit(x, target, lr=0.02, batch_size=10, epochs=60, shuffle_seed=3)
    assert model.evaluate(x, target)["accuracy"] > 0.9
    # The same task on probabilities: BCELoss behind a sigmoid output.
    model = mp.Model([4, (8, "relu"), (1, "sigmoid")], loss="binary_cross_entropy",
                     optimizer=mp.Adam(), seed=1)
    before = model.evaluate(x, target)["loss"]
    model.fit(x, target, lr=0.02, batch_size=10, epochs=60, shuffle_seed=3)
    after = model.evaluate(x, target)
    assert after["accuracy"] > 0.9 and after["loss"] < before / 2
    assert (model.predict(x) >= 0).all() and (model.predict(x) <= 1).all()


def test_soft_targets(iris):
    x, labels = iris
    # Label smoothing: 0.1 of each row's mass spread over the three classes.
    soft = np.full((len(labels), 3), 0.1 / 3, dtype=np.float32)
    soft[np.arange(len(labels)), labels] += 0.9
    model = mp.Model([4, (8, "tanh"), (3, "identity")], loss="soft_target_cross_entropy",
                     optimizer=mp.Adam(), seed=1)
    model.fit(x, soft, lr=0.02, batch_size=10, epochs=40, shuffle_seed=3)
    report = model.evaluate(x, soft)
    assert report["accuracy"] > 0.9
    # With smoothed targets the loss cannot reach 0: its floor is the targets' entropy.
    entropy = float(-(soft * np.log(soft)).sum(axis=1).mean())
    assert report["loss"] > entropy


def test_steps_and_epochs(digits):
    x, y = digits
    x, y = x[:100], y[:100]
    model = mp.Model(DIGITS, loss="softmax_cross_entropy", seed=1)
    report = model.fit(x, y, lr=0.1, batch_size=30, steps=9)
    # Epochs of 4 steps (30, 30, 30, 10 rows): 9 steps run into a third epoch.
    assert (report["steps"], report["epochs"], report["rows"]) == (9, 3, 230)
    report = model.fit(x, y, lr=0.1, batch_size=30, steps=100, epochs=2)
    assert (report["steps"], report["epochs"]) == (8, 2)
    report = model.fit(x, y, lr=0.1, batch_size=30)
    assert (report["steps"], report["epochs"]) == (4, 1)
    assert model.steps == 21
    # A batch larger than the data: one full-batch step per epoch.
    assert model.fit(x, y, lr=0.1, batch_size=1000, epochs=3)["steps"] == 3
    assert model.fit(x, y, lr=0.1, steps=0)["steps"] == 0


def test_calls_continue_one_run(digits):
    """Two fits of one epoch are one fit of two epochs (data order): the
    optimizer state and step count carry over."""
    x, y = digits
    one = mp.Model(DIGITS, loss="softmax_cross_entropy", optimizer=mp.Adam(), seed=3)
    two = one.copy()
    one.fit(x, y, lr=0.01, batch_size=32, epochs=2)
    two.fit(x, y, lr=0.01, batch_size=32)
    two.fit(x, y, lr=0.01, batch_size=32)
    assert one.to_bytes(training=True) == two.to_bytes(training=True)


def test_shuffle_seed_orders(digits):
    x, y = digits
    base = mp.Model(DIGITS, loss="softmax_cross_entropy", seed=3)
    runs = {}
    for seed in [None, 1, 1, 2]:
        model = base.copy()
        model.fit(x, y, lr=0.1, batch_size=32, shuffle_seed=seed)
        runs.setdefault(seed, set()).add(model.to_bytes())
    assert len(runs[1]) == 1
    assert len({next(iter(v)) for v in runs.values()}) == 3


def test_clip_norm_changes_the_run(digits):
    x, y = digits
    base = mp.Model(DIGITS, loss="softmax_cross_entropy", seed=3)
    a, b = base.copy(), base.copy()
    a.fit(x, y, lr=0.1, batch_size=32)
    b.fit(x, y, lr=0.1, batch_size=32, clip_norm=0.01)
    assert a.to_bytes() != b.to_bytes()
