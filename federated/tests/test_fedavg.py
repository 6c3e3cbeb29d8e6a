"""The server's aggregate: FedAvg's weighted mean of the clients'
parameters (weights: rows), in partition order whatever order the replies
arrive in, with the device's checkpoint bytes decoded exactly."""

import random

import numpy as np
from flwr.app import ArrayRecord, ConfigRecord, Message, MessageType, MetricRecord, RecordDict

from microprop_fl import data
from microprop_fl.server_app import FleetFedAvg, decode_checkpoint


def reply(partition, rows, arrays=None, blob=None, loss=0.5):
    content = {"metrics": MetricRecord({"num-examples": rows, "partition-id": partition,
                                        "train-loss": loss})}
    if blob is None:
        content["arrays"] = ArrayRecord([np.asarray(a) for a in arrays])
    else:
        content["checkpoint"] = ConfigRecord({"blob": blob})
    return Message(content=RecordDict(content), dst_node_id=1000 + partition,
                   message_type=MessageType.TRAIN)


def client_weights(count):
    """Parameters of `count` different models and their row counts."""
    models = [data.new_model(seed=100 + i) for i in range(count)]
    return [m.get_weights() for m in models], [13 + i % 4 for i in range(count)]


def aggregate(replies):
    strategy = FleetFedAvg()
    arrays, metrics = strategy.aggregate_train(1, replies)
    return arrays.to_numpy_ndarrays(), metrics, strategy


def test_the_aggregate_is_the_weighted_mean():
    weights, rows = client_weights(12)
    got, metrics, _ = aggregate([reply(i, n, w) for i, (w, n) in enumerate(zip(weights, rows))])
    total = sum(rows)
    for k, layer in enumerate(got):
        expected = sum(np.float64(n) * w[k].astype(np.float64) for w, n in zip(weights, rows)) / total
        assert layer.dtype == np.float32 and layer.shape == weights[0][k].shape
        # float32 sums of 12 terms of |w| < 2: a few ulps of 2.
        np.testing.assert_allclose(layer, expected, rtol=0, atol=4e-7)
    assert abs(metrics["train-loss"] - 0.5) < 1e-12


def test_the_aggregate_is_flowers_float32_sum_in_partition_order_bit_for_bit():
    weights, rows = client_weights(7)
    got, _, _ = aggregate([reply(i, n, w) for i, (w, n) in enumerate(zip(weights, rows))])
    total = sum(rows)
    for k, layer in enumerate(got):
        acc = weights[0][k] * (rows[0] / total)
        for w, n in zip(weights[1:], rows[1:]):
            acc += w[k] * (n / total)
        assert acc.dtype == np.float32
        assert np.array_equal(layer.view(np.uint32), acc.view(np.uint32))


def test_the_arrival_order_does_not_change_a_bit():
    weights, rows = client_weights(9)
    replies = [reply(i, n, w) for i, (w, n) in enumerate(zip(weights, rows))]
    first, _, _ = aggregate(replies)
    random.Random(5).shuffle(replies)
    again, _, _ = aggregate([reply(int(m.content["metrics"]["partition-id"]),
                                   int(m.content["metrics"]["num-examples"]),
                                   m.content["arrays"].to_numpy_ndarrays()) for m in replies])
    assert all(np.array_equal(a.view(np.uint32), b.view(np.uint32)) for a, b in zip(first, again))


def test_a_device_checkpoint_enters_the_average_as_its_exact_parameters():
    device = data.new_model(seed=77)
    blob = device.to_bytes()
    assert all(np.array_equal(a, b) for a, b in zip(decode_checkpoint(blob), device.get_weights()))
    # Alone, the average is its parameters, bit for bit.
    got, _, strategy = aggregate([reply(0, 15, blob=blob)])
    for a, b in zip(got, device.get_weights()):
        assert np.array_equal(a.view(np.uint32), b.view(np.uint32))
    assert strategy.received[0]["bytes"] == len(blob)
    # Mixed with an array client it counts like one.
    other = data.new_model(seed=78).get_weights()
    mixed, _, _ = aggregate([reply(1, 5, other), reply(0, 15, blob=blob)])
    np.testing.assert_allclose(mixed[0], 0.75 * device.get_weights()[0] + 0.25 * other[0],
                               rtol=0, atol=4e-7)
