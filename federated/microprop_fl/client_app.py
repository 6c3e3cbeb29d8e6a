"""The Flower `ClientApp` of the fleet.

Every client holds one shard (`data.shards`: two classes, about 14 rows).
A train message carries the global parameters (an `ArrayRecord`: Flower's
`NDArrays`, `[W0 (64, 32), b0 (32,), W1 (32, 10), b1 (10,)]`) and the
round's configuration; the client sets them into a microprop model, runs
`local-steps` steps of plain SGD on its shard through the bindings, and
replies with its parameters, its number of rows (FedAvg's weight) and its
training loss.

One partition (`device-partition`) is the simulated device
(`device.Device`): its client is the gateway that stores the parameters in
the device's flash, boots the device, and replies with the checkpoint
bytes the device wrote, unchanged (a `ConfigRecord` `checkpoint` with the
bytes under `blob`); the server decodes them (`server_app.FleetFedAvg`).
"""

import json
from pathlib import Path

from flwr.app import ArrayRecord, ConfigRecord, Context, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp

from . import data
from .device import Device

app = ClientApp()


def shuffle_seed(seed, server_round, partition):
    """The seed of a client's shuffles in a round: distinct per round and
    client, the same in every run."""
    return (seed * 1_000_003 + server_round) * 1_000_003 + partition


def local_fit(arrays, partition, clients, config):
    """A client's local training: returns `(parameters, rows, loss)`."""
    x, y = data.shard(partition, clients, int(config["seed"]))
    model = data.new_model()
    model.set_weights(arrays)
    report = model.fit(x, y, lr=float(config["lr"]), batch_size=int(config["batch-size"]),
                       steps=int(config["local-steps"]),
                       shuffle_seed=shuffle_seed(int(config["seed"]), int(config["server-round"]),
                                                 partition))
    return model.get_weights(), len(x), float(report["loss"][-1])


def device_round(arrays, partition, clients, config):
    """The device's round through its gateway: returns `(checkpoint bytes,
    rows, exchange)`."""
    rows = data.shards(clients, int(config["seed"]))[partition]
    device = Device(Path(str(config["device-dir"])), str(config["simulator"]), rows)
    blob, exchange, _ = device.round_trip(int(config["server-round"]), arrays)
    with open(device.directory / "exchanges.jsonl", "a", encoding="utf-8") as log:
        log.write(json.dumps(exchange.as_dict()) + "\n")
    return blob, len(rows), exchange


@app.train()
def train(msg: Message, context: Context) -> Message:
    config = msg.content["config"]
    partition = int(context.node_config["partition-id"])
    clients = int(context.node_config["num-partitions"])
    arrays = msg.content["arrays"].to_numpy_ndarrays()
    if partition == int(config["device-partition"]):
        blob, rows, exchange = device_round(arrays, partition, clients, config)
        content = RecordDict({
            "checkpoint": ConfigRecord({"blob": blob, "device-step": exchange.uplink_step}),
            "metrics": MetricRecord({"num-examples": rows, "partition-id": partition,
                                     "train-loss": exchange.device_train_loss}),
        })
    else:
        weights, rows, loss = local_fit(arrays, partition, clients, config)
        content = RecordDict({
            "arrays": ArrayRecord(weights),
            "metrics": MetricRecord({"num-examples": rows, "partition-id": partition,
                                     "train-loss": loss}),
        })
    return Message(content=content, reply_to=msg)
