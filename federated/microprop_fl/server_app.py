"""The Flower `ServerApp` of the fleet: FedAvg over every client each
round, the global model evaluated on the test set after each round.

`FleetFedAvg` is Flower's `FedAvg` with two additions:
- the device's reply carries its checkpoint bytes, not arrays: the server
  decodes them with the bindings (`Model.load_weights`, which checks the
  checkpoint's length, magic, version, CRC and network fingerprint) into the
  arrays that enter the average, and records their SHA-256;
- replies are averaged in partition order, not arrival order, so that the
  float32 sums, and so the whole run, are the same every time.
"""

import time

import numpy as np
from flwr.app import ArrayRecord, ConfigRecord, Context, MetricRecord
from flwr.serverapp import Grid, ServerApp
from flwr.serverapp.strategy import FedAvg

from . import data
from .device import sha256


def decode_checkpoint(blob):
    """The parameters of a microprop checkpoint of the digits network, as
    Flower's `NDArrays`."""
    model = data.new_model()
    model.load_weights(bytes(blob))
    return model.get_weights()


def mean_loss(records, weighted_by_key):
    """Training loss averaged over the clients, weighted by rows."""
    total, loss = 0.0, 0.0
    for record in records:
        metrics = record["metrics"]
        total += metrics[weighted_by_key]
        loss += metrics[weighted_by_key] * metrics["train-loss"]
    return MetricRecord({"train-loss": loss / total if total else float("nan")})


class FleetFedAvg(FedAvg):
    """FedAvg that takes the device's checkpoint bytes and averages in
    partition order. `received` collects, per round, what came from the
    device: `{"round", "partition", "sha256", "bytes"}`."""

    def __init__(self, **kwargs):
        kwargs.setdefault("train_metrics_aggr_fn", mean_loss)
        super().__init__(**kwargs)
        self.received = []

    def aggregate_train(self, server_round, replies):
        replies = list(replies)
        for msg in replies:
            if msg.has_error() or "checkpoint" not in msg.content.config_records:
                continue
            blob = msg.content["checkpoint"]["blob"]
            self.received.append({"round": server_round,
                                  "partition": int(msg.content["metrics"]["partition-id"]),
                                  "sha256": sha256(blob), "bytes": len(blob)})
            msg.content[self.arrayrecord_key] = ArrayRecord(decode_checkpoint(blob))
            del msg.content["checkpoint"]
        replies.sort(key=lambda m: (m.has_error(),
                                    -1 if m.has_error() else m.content["metrics"]["partition-id"]))
        return super().aggregate_train(server_round, replies)


def evaluate_global(arrays):
    """Test loss and accuracy of parameters `arrays` (NDArrays)."""
    _, _, x_test, y_test = data.train_test()
    model = data.new_model()
    model.set_weights(arrays)
    return model.evaluate(x_test, y_test)


def make_app(plan, sink):
    """The `ServerApp` for `plan`; what it measured goes into `sink`
    (`rounds`: per round test accuracy and loss, mean training loss and
    seconds; `received`: the device's checkpoints as the server got them)."""
    app = ServerApp()

    @app.main()
    def main(grid: Grid, context: Context) -> None:
        strategy = FleetFedAvg(fraction_train=1.0, fraction_evaluate=0.0,
                               min_train_nodes=plan.clients, min_available_nodes=plan.clients)
        rounds = []
        started = time.perf_counter()

        def evaluate(server_round, arrays):
            stats = evaluate_global(arrays.to_numpy_ndarrays())
            rounds.append({"round": server_round, "accuracy": stats["accuracy"],
                           "loss": stats["loss"],
                           "seconds": round(time.perf_counter() - started, 3)})
            return MetricRecord({"accuracy": stats["accuracy"], "loss": stats["loss"]})

        result = strategy.start(grid=grid, initial_arrays=ArrayRecord(data.new_model().get_weights()),
                                num_rounds=plan.rounds, train_config=ConfigRecord(plan.train_config()),
                                evaluate_fn=evaluate)
        for entry in rounds:
            metrics = result.train_metrics_clientapp.get(entry["round"])
            entry["train_loss"] = float(metrics["train-loss"]) if metrics else None
        sink["rounds"] = rounds
        sink["received"] = strategy.received
        sink["final"] = [np.asarray(a) for a in result.arrays.to_numpy_ndarrays()]

    return app
