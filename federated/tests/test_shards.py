"""The non-IID shards: two classes per client, every training row of a
class dealt to exactly one of its holders, the same for the same seed."""

from collections import Counter

import numpy as np
import pytest

from microprop_fl import data


@pytest.mark.parametrize("clients", [100, 10, 130])
def test_every_client_holds_exactly_two_classes(clients):
    _, y, _, _ = data.train_test()
    pairs = data.class_pairs(clients)
    for rows, pair in zip(data.shards(clients, 2024), pairs):
        assert pair[0] != pair[1]
        assert set(y[rows].tolist()) == set(pair)


def test_a_hundred_clients_share_the_training_rows_evenly():
    shards = data.shards(100, 2024)
    everything = np.concatenate(shards)
    assert len(everything) == data.TRAIN_ROWS == len(set(everything.tolist()))
    holders = Counter(c for pair in data.class_pairs(100) for c in pair)
    assert set(holders.values()) == {20}
    sizes = [len(s) for s in shards]
    assert min(sizes) >= 13 and max(sizes) <= 16, sizes


def test_shards_are_deterministic_and_depend_on_the_seed():
    a = data.shards(100, 2024)
    data.shards.cache_clear()
    b = data.shards(100, 2024)
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    c = data.shards(100, 2025)
    assert any(not np.array_equal(p, q) for p, q in zip(a, c))


def test_the_split_is_the_firmwares():
    x_train, y_train, x_test, y_test = data.train_test()
    assert (len(x_train), len(x_test)) == (1437, 360)
    assert x_train.dtype == np.float32 and x_train.max() <= 1.0
    # The firmware's job reaches 0.9722 on this test set (digits.rs); the
    # classes are all there.
    assert set(y_test.tolist()) == set(range(10))
