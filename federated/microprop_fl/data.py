"""The fleet's data and model: the bundled 8x8 digits, split as the firmware
splits them, and dealt out in non-IID shards of two classes per client.

The test set is the firmware's: `microprop_device::digits::split_order`
puts 1437 rows first (training) and 360 last (test). The fleet shares out
the 1437 training rows; every accuracy in the report is on the 360 test
rows, the set on which the firmware's own job reaches 0.972.
"""

from functools import lru_cache
from pathlib import Path

import numpy as np

import microprop as mp

from .permutation import Permutation

REPO = Path(__file__).resolve().parents[2]
DIGITS_CSV = REPO / "data" / "digits8x8.csv"

ROWS = 1797
TEST_ROWS = 360
TRAIN_ROWS = ROWS - TEST_ROWS
SPLIT_SEED = 0x00D1_6175  # digits::SPLIT_SEED
CLASSES = 10
FEATURES = 64

# The firmware's digits network (digits::Net): 64 -> 32 tanh -> 10 logits.
LAYERS = [FEATURES, (32, "tanh"), (CLASSES, "identity")]
LOSS = "softmax_cross_entropy"
INIT_SEED = 7  # digits::INIT_SEED: the same first weights as the firmware


def new_model(optimizer=None, seed=INIT_SEED):
    """The digits network with Xavier weights from `seed` (the firmware's
    first weights for the default seed)."""
    return mp.Model(LAYERS, loss=LOSS, optimizer=optimizer or mp.SGD(), seed=seed)


@lru_cache(maxsize=None)
def table(csv=DIGITS_CSV):
    """`(pixels, labels)` of every CSV row, in file order: pixels as the
    integers 0..=16 (uint8), labels as int64."""
    raw = np.loadtxt(csv, delimiter=",", skiprows=1, dtype=np.int64)
    if raw.shape != (ROWS, FEATURES + 1):
        raise ValueError(f"{csv}: expected {ROWS} rows of {FEATURES} pixels and a label")
    return raw[:, :FEATURES].astype(np.uint8), raw[:, FEATURES]


@lru_cache(maxsize=None)
def split_order():
    """CSV row of each position of the firmware's split: positions
    `0..TRAIN_ROWS` are the training set, the rest the test set."""
    return np.array(Permutation(ROWS, SPLIT_SEED).order(), dtype=np.int64)


def scale(pixels):
    """Pixels to float32 in [0, 1], as the firmware reads them (x / 16 is
    exact in binary)."""
    return (pixels.astype(np.float32) * np.float32(1.0 / 16.0)).astype(np.float32)


@lru_cache(maxsize=None)
def train_test():
    """`(x_train, y_train, x_test, y_test)` in split order."""
    pixels, labels = table()
    order = split_order()
    train, test = order[:TRAIN_ROWS], order[TRAIN_ROWS:]
    return scale(pixels[train]), labels[train], scale(pixels[test]), labels[test]


def class_pairs(clients):
    """The two classes of each client: client `i` holds class `i % 10` and
    class `(i % 10 + 1 + (i // 10) % 9) % 10`, never the same twice, so
    that with a multiple of ten clients every class is held by the same
    number of clients (20 each for 100)."""
    return [(i % CLASSES, (i % CLASSES + 1 + (i // CLASSES) % (CLASSES - 1)) % CLASSES)
            for i in range(clients)]


@lru_cache(maxsize=None)
def shards(clients, seed):
    """Training-row indices (into `train_test()`'s training arrays) of each
    client: two classes per client (`class_pairs`); the rows of each class,
    shuffled with `seed`, are dealt in near-equal parts to the clients that
    hold that class. Every training row of a held class goes to exactly one
    client. Deterministic in `(clients, seed)`."""
    if clients < 1:
        raise ValueError("at least one client")
    _, y, _, _ = train_test()
    pairs = class_pairs(clients)
    rng = np.random.default_rng(seed)
    parts = [[] for _ in range(clients)]
    for c in range(CLASSES):
        holders = [i for i, pair in enumerate(pairs) if c in pair]
        if not holders:
            continue
        rows = rng.permutation(np.flatnonzero(y == c))
        for holder, part in zip(holders, np.array_split(rows, len(holders))):
            parts[holder].append(part)
    return tuple(np.sort(np.concatenate(p)) for p in parts)


def shard(partition, clients, seed):
    """`(x, y)` of one client's shard."""
    x, y, _, _ = train_test()
    rows = shards(clients, seed)[partition]
    return x[rows], y[rows]
