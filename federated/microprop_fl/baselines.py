"""What FedAvg is measured against, with the same recipe (SGD, learning
rate, batch size) through the same bindings:

- centralised: one model trained on all 1437 training rows together, for
  as many steps as the whole fleet takes (rounds x clients x local steps),
  evaluated after each round's worth of steps;
- local only: each client trained on its own shard alone, round after
  round exactly as in the fleet (same steps and shuffles) but never
  averaged; the test accuracy of every client after each round.
"""

import numpy as np

from . import data
from .client_app import shuffle_seed


def centralised(plan):
    """Test accuracy after each round's worth of steps (index 0: the
    initial weights)."""
    x, y, x_test, y_test = data.train_test()
    model = data.new_model()
    accuracy = [model.evaluate(x_test, y_test)["accuracy"]]
    for server_round in range(1, plan.rounds + 1):
        model.fit(x, y, lr=plan.lr, batch_size=plan.batch_size,
                  steps=plan.clients * plan.local_steps,
                  shuffle_seed=shuffle_seed(plan.seed, server_round, plan.clients))
        accuracy.append(model.evaluate(x_test, y_test)["accuracy"])
    return accuracy


def local_only(plan):
    """`[round][client]` test accuracy of each client trained alone (row 0:
    the initial weights, the same for all)."""
    _, _, x_test, y_test = data.train_test()
    first = data.new_model()
    accuracy = [[first.evaluate(x_test, y_test)["accuracy"]] * plan.clients]
    models = [data.new_model() for _ in range(plan.clients)]
    for server_round in range(1, plan.rounds + 1):
        row = []
        for partition, model in enumerate(models):
            x, y = data.shard(partition, plan.clients, plan.seed)
            model.fit(x, y, lr=plan.lr, batch_size=plan.batch_size, steps=plan.local_steps,
                      shuffle_seed=shuffle_seed(plan.seed, server_round, partition))
            row.append(model.evaluate(x_test, y_test)["accuracy"])
        accuracy.append(row)
    return accuracy


def summary(rows):
    """Mean, min and max of each round's client accuracies."""
    a = np.asarray(rows, dtype=np.float64)
    return {"mean": a.mean(axis=1).tolist(), "min": a.min(axis=1).tolist(),
            "max": a.max(axis=1).tolist()}
