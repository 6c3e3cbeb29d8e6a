"""The Python Permutation is microprop's: the order in which the bindings'
`fit` visits rows (epoch `e` in `Permutation(n, seed ^ (e << 32))`) is the
order the port computes."""

import numpy as np
import pytest

import microprop as mp
from microprop_fl import data
from microprop_fl.permutation import Permutation, SplitMix64, Xoshiro128PlusPlus


def visit_order(n, seed):
    """Rows in the order one epoch of `fit` visits them. A linear model
    (zero weights, MSE, target 1) on one-hot rows, one row per SGD step:
    step t moves only the weight of row t's one-hot input, by 2 lr (1 - b_t),
    and the bias b_t grows every step, so later rows get smaller weights."""
    model = mp.Model([n, (1, "identity")], loss="mse", optimizer=mp.SGD(), seed=0,
                     init=("constant", 0.0))
    model.fit(np.eye(n, dtype=np.float32), np.ones((n, 1), np.float32), lr=1e-3, batch_size=1,
              epochs=1, shuffle_seed=seed)
    weights = model.get_weights()[0][:, 0]
    assert len(set(weights.tolist())) == n, "the weights must tell the steps apart"
    return np.argsort(-weights, kind="stable").tolist()


@pytest.mark.parametrize("n, seed", [(1, 3), (2, 5), (10, 42), (100, 3),
                                     (data.ROWS, data.SPLIT_SEED),  # the firmware's split
                                     (1437, 11), (1437, 11 ^ (1 << 32)),  # the job's epochs 0, 1
                                     (15, 2**64 - 1)])
def test_the_port_visits_rows_in_fits_order(n, seed):
    assert Permutation(n, seed).order() == visit_order(n, seed)


def test_splitmix64_reference_values():
    # rand_xoshiro's own test vector (splitmix64.rs, `reference`).
    rng = SplitMix64(1477776061723855037)
    assert [rng.next_u64() for _ in range(3)] == [
        1985237415132408290, 2979275885539914483, 13511426838097143398]


def test_xoshiro_is_a_pure_function_of_the_seed():
    a, b = Xoshiro128PlusPlus(7), Xoshiro128PlusPlus(7)
    assert [a.next_u32() for _ in range(5)] == [b.next_u32() for _ in range(5)]
    assert Xoshiro128PlusPlus(8).next_u32() != Xoshiro128PlusPlus(7).next_u32()


def test_split_is_a_permutation_of_every_row():
    order = data.split_order()
    assert sorted(order.tolist()) == list(range(data.ROWS))
