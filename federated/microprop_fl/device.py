"""The simulated device as a fleet client, and the gateway that talks to it.

The device is `microprop-sim simulate` (host-sim/src/simulate): the
firmware's digits job run through the device crate's learning loop
(`microprop_device::run`) on a simulated nRF52840, with its RAM budget
checked against the part and its checkpoints in a two-slot flash store
(`microprop::checkpoint::Store`) that the simulator keeps in a file
(`--flash`). Each boot resumes from the newest valid checkpoint in that
flash, trains one epoch of the job (90 Adam steps of 16 rows, the job's
warmup-and-cosine schedule over its own step count), and saves a training
checkpoint (parameters, Adam's moments, step count) into the other slot.

The gateway does what a radio link and a bootloader would: downlink, it
stores the server's model into the device's flash as a new newest
checkpoint (`FlashImage.save`, the `Store::save` layout); uplink, it reads
the device's newest checkpoint out of the flash and hands those bytes to
the server unchanged. The checkpoint it stores carries the server's
parameters with the device's own optimizer state and step count (taken
from the device's last checkpoint), so the device's Adam and schedule go
on across rounds; in the first round there is none, and it starts at
step 0.

The device's data: the job trains on the 1437 training positions of the
firmware's split and tests on the 360 others. The gateway writes the
device its own `digits8x8.csv` (`--data-dir`): the test positions hold the
real test rows, the training positions the device's shard, repeated in
order to fill them, as if that shard were what the device had recorded.
"""

import hashlib
import re
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

import microprop as mp

from . import data
from .flash import FlashImage, slot_size

PART = "nrf52840"
EPOCHS_PER_ROUND = 1  # one epoch of the job: 90 steps
JOB_BATCH = 16  # digits::BATCH
JOB_SHUFFLE_SEED = 11  # digits::SHUFFLE_SEED
JOB_LAST_LR = 0.0005  # the cosine schedule's last rate, from step 89 on


def optimizer():
    """The job's optimizer (`digits::OPTIMIZER`, `Adam::PYTORCH`)."""
    return mp.Adam()


CHECKPOINT_LEN = data.new_model(optimizer()).checkpoint_size(training=True)
SLOT = slot_size(CHECKPOINT_LEN)


def sha256(blob):
    return hashlib.sha256(blob).hexdigest()


@dataclass
class Exchange:
    """One round trip server -> device -> server."""

    round: int
    downlink_seq: int
    downlink_slot: int
    downlink_step: int
    downlink_sha256: str
    uplink_seq: int
    uplink_slot: int
    uplink_step: int
    uplink_sha256: str
    uplink_bytes: int
    device_train_loss: float
    device_test_accuracy: float

    def as_dict(self):
        return asdict(self)


class DeviceError(RuntimeError):
    """The device did not do what the gateway expected."""


_RESUMED = re.compile(r"resumed from checkpoint sequence (\d+) in slot (\d) \(step (\d+)\)")
_SAVED = re.compile(
    r"checkpoint: sequence (\d+) in slot (\d): ([\d,]+) bytes \(parameters, Adam's moments, "
    r"step (\d+)\), read back and committed")
_TEST = re.compile(r"test accuracy ([\d.]+) \(loss")
_LOSS = re.compile(r"final loss ([\d.]+);")


def device_rows(shard_rows, x_rows=data.TRAIN_ROWS):
    """The device's training rows (indices into the training arrays), in
    its flash order: its shard repeated to fill the job's 1437 positions."""
    shard_rows = np.asarray(shard_rows)
    return shard_rows[np.arange(x_rows) % len(shard_rows)]


def write_device_csv(path, shard_rows):
    """The device's `digits8x8.csv`: the bundled file with the training
    positions of the firmware's split holding `device_rows(shard_rows)`."""
    pixels, labels = data.table()
    order = data.split_order()
    train_csv_rows = order[:data.TRAIN_ROWS]
    rows = np.column_stack([pixels.astype(np.int64), labels])
    mine = rows.copy()
    mine[train_csv_rows] = rows[train_csv_rows[device_rows(shard_rows)]]
    header = data.DIGITS_CSV.read_text().splitlines()[0]
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [header] + [",".join(str(v) for v in row) for row in mine]
    path.write_text("\n".join(lines) + "\n")


class Device:
    """The device's files (`directory/flash.img`, `directory/data/`) and
    the simulator that runs it."""

    def __init__(self, directory, simulator, shard_rows):
        self.directory = Path(directory)
        self.simulator = str(simulator)
        self.flash_path = self.directory / "flash.img"
        self.data_dir = self.directory / "data"
        self.shard_rows = np.asarray(shard_rows)
        csv = self.data_dir / "digits8x8.csv"
        if not csv.exists():
            write_device_csv(csv, self.shard_rows)

    def training_data(self):
        """`(x, y)` the device trains on, in its flash order (for replays)."""
        x, y, _, _ = data.train_test()
        rows = device_rows(self.shard_rows)
        return x[rows], y[rows]

    def flash(self):
        return FlashImage.open(self.flash_path, SLOT)

    def downlink(self, arrays):
        """Stores the server's parameters `arrays` into the device's flash
        as its new newest checkpoint; returns the record written."""
        image = self.flash()
        own = image.latest()
        model = data.new_model(optimizer())
        if own is not None:
            model.load_training(own.blob)  # the device's Adam state and step count
        model.set_weights(arrays)
        record = image.save(model.to_bytes(training=True))
        image.write_to(self.flash_path)
        return record

    def boot(self):
        """One boot of the device: resume, train one epoch, save. Returns
        its log."""
        command = [self.simulator, "simulate", "--part", PART, "--flash", str(self.flash_path),
                   "--data-dir", str(self.data_dir), "--epochs", str(EPOCHS_PER_ROUND),
                   "--boots", "1", "--pause-ms", "0"]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise DeviceError(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def round_trip(self, server_round, arrays):
        """Downlink, boot, uplink: returns the checkpoint bytes the device
        wrote (what the server gets) and the exchange's record."""
        down = self.downlink(arrays)
        log = self.boot()
        resumed = _RESUMED.search(log)
        if resumed is None or (int(resumed[1]), int(resumed[2])) != (down.seq, down.slot):
            raise DeviceError(
                f"the device did not resume from the server's checkpoint (sequence {down.seq}, "
                f"slot {down.slot}):\n{log}")
        up = self.flash().latest()
        saved = _SAVED.search(log)
        if (up is None or saved is None
                or (int(saved[1]), int(saved[2]), int(saved[3].replace(",", "")))
                != (up.seq, up.slot, len(up.blob))):
            raise DeviceError(f"the device's checkpoint is not the newest in its flash:\n{log}")
        test, loss = _TEST.search(log), _LOSS.search(log)
        exchange = Exchange(
            round=server_round,
            downlink_seq=down.seq, downlink_slot=down.slot, downlink_step=int(resumed[3]),
            downlink_sha256=sha256(down.blob),
            uplink_seq=up.seq, uplink_slot=up.slot, uplink_step=int(saved[4]),
            uplink_sha256=sha256(up.blob), uplink_bytes=len(up.blob),
            device_train_loss=float(loss[1]) if loss else float("nan"),
            device_test_accuracy=float(test[1]) if test else float("nan"))
        return up.blob, exchange, log


def replay(downlink_blob, device):
    """What the device's boot computes from `downlink_blob`, done by the
    bindings: one epoch of the job at its last learning rate (the rate of
    every step from 89 on, so valid for a checkpoint at step 89 or later),
    batches of 16, shuffled with the job's seed. Returns the training
    checkpoint's bytes."""
    model = mp.Model.load(downlink_blob, loss=data.LOSS, optimizer=optimizer())
    if model.steps < 89:
        raise ValueError("the replay covers the constant tail of the schedule (step >= 89)")
    x, y = device.training_data()
    model.fit(x, y, lr=JOB_LAST_LR, batch_size=JOB_BATCH, epochs=EPOCHS_PER_ROUND,
              shuffle_seed=JOB_SHUFFLE_SEED)
    return model.to_bytes(training=True)
