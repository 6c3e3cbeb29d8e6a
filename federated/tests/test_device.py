"""The simulated device's round trip, server -> device -> server, carries
the exact bytes.

The device is `microprop-sim simulate` (the firmware's digits job through
`microprop_device::run`, a two-slot flash store in a file). Through the
real `ClientApp.train` and the server's `FleetFedAvg`:

- downlink: the checkpoint the device resumed from (the record its log
  names) holds the server's arrays bit for bit, and the device computed
  from exactly those bits: the bindings, replaying the device's epoch from
  that record, write the device's checkpoint byte for byte;
- uplink: the bytes the server decodes are the bytes in the device's newest
  flash slot, and the arrays that enter the average are their parameters
  bit for bit.
"""

import json
import re
from pathlib import Path

import numpy as np
import pytest
from flwr.app import ArrayRecord, ConfigRecord, Context, Message, MessageType, RecordDict

import microprop as mp
from microprop_fl import client_app, data, device
from microprop_fl.plan import Plan
from microprop_fl.server_app import FleetFedAvg, decode_checkpoint

CLIENTS = 100


def bits(arrays):
    return [np.asarray(a, dtype=np.float32).view(np.uint32) for a in arrays]


def same_bits(a, b):
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(bits(a), bits(b)))


@pytest.fixture
def plan(tmp_path, simulator):
    return Plan(clients=CLIENTS, device_partition=0, device_dir=str(tmp_path / "device"),
                simulator=str(simulator))


def train_message(arrays, plan, server_round):
    config = ConfigRecord({**plan.train_config(), "server-round": server_round})
    return Message(content=RecordDict({"arrays": ArrayRecord([np.asarray(a) for a in arrays]),
                                       "config": config}),
                   dst_node_id=4242, message_type=MessageType.TRAIN)


def device_context():
    return Context(run_id=1, node_id=4242, node_config={"partition-id": 0,
                                                        "num-partitions": CLIENTS},
                   state=RecordDict(), run_config={})


def gateway(plan):
    return device.Device(plan.device_dir, plan.simulator, data.shards(CLIENTS, plan.seed)[0])


def test_round_trips_carry_the_exact_bytes(plan):
    strategy = FleetFedAvg()
    sent = data.new_model().get_weights()
    for server_round in (1, 2):
        reply = client_app.train(train_message(sent, plan, server_round), device_context())
        uploaded = reply.content["checkpoint"]["blob"]
        uplink, downlink = gateway(plan).flash().records()  # newest first
        exchange = [e for e in client_app_exchanges(plan) if e["round"] == server_round][0]
        assert (downlink.seq, uplink.seq) == (exchange["downlink_seq"], exchange["uplink_seq"])

        # Downlink: what the device resumed from holds the server's bits.
        resumed = mp.Model.load(downlink.blob, loss=data.LOSS, optimizer=device.optimizer())
        assert same_bits(resumed.get_weights(), sent)
        assert resumed.steps == 90 * (server_round - 1)
        if server_round > 1:
            # ... and the device computed from exactly them.
            assert device.replay(downlink.blob, gateway(plan)) == uplink.blob

        # Uplink: the server gets the device's flash bytes, unchanged.
        assert uploaded == uplink.blob and len(uploaded) == device.CHECKPOINT_LEN
        arrays, _ = strategy.aggregate_train(server_round, [reply])
        assert strategy.received[-1]["sha256"] == device.sha256(uplink.blob)
        assert same_bits(arrays.to_numpy_ndarrays(), decode_checkpoint(uplink.blob))

        # The next round sends other parameters (the average's).
        sent = [a * np.float32(0.5) + np.float32(0.01) for a in arrays.to_numpy_ndarrays()]


def test_the_device_keeps_its_optimizer_state_across_rounds(plan):
    client_app.train(train_message(data.new_model().get_weights(), plan, 1), device_context())
    own = gateway(plan).flash().latest()
    sent = data.new_model(seed=99).get_weights()
    gateway(plan).downlink(sent)
    down = gateway(plan).flash().latest()
    mine = mp.Model.load(own.blob, loss=data.LOSS, optimizer=device.optimizer())
    theirs = mp.Model.load(down.blob, loss=data.LOSS, optimizer=device.optimizer())
    assert theirs.steps == mine.steps == 90
    assert np.array_equal(theirs.optimizer_state.view(np.uint32),
                          mine.optimizer_state.view(np.uint32))
    assert same_bits(theirs.get_weights(), sent)


def test_a_damaged_downlink_is_refused_by_the_device(plan):
    client_app.train(train_message(data.new_model().get_weights(), plan, 1), device_context())
    dev = gateway(plan)
    own = dev.flash().latest()
    record = dev.downlink(data.new_model(seed=5).get_weights())
    image = dev.flash()
    image.bytes[record.slot * device.SLOT + 100] ^= 0x04  # one bit of the blob
    image.write_to(dev.flash_path)
    log = dev.boot()
    # The store's CRC rejects the record: the device resumes from its own.
    resumed = re.search(r"resumed from checkpoint sequence (\d+)", log)
    assert resumed and int(resumed[1]) == own.seq != record.seq


def client_app_exchanges(plan):
    """The gateway's log of its exchanges."""
    path = Path(plan.device_dir) / "exchanges.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]
