"""The simulated device's flash, as a file: two checkpoint slots in the
layout of `microprop::checkpoint::Store` (core/src/checkpoint/store.rs),
as `microprop-sim simulate --flash FILE` keeps it.

```text
slot 0 at 0, slot 1 at SLOT, each:
offset   size  field
0        4     magic "MPST"
4        4     sequence number (u32 LE; newer = larger, wrapping)
8        4     blob length
12       4     CRC-32 of the blob (ISO-HDLC, as zlib)
16       4     CRC-32 of bytes 0..16
20       len   the blob (the header is 20 bytes: already a whole number of
               the 4-byte flash words)
```

The device reads and writes the image through the Rust `Store`; the
gateway (`device.py`) does the same from Python with `FlashImage`:
`latest()` is `Store::latest` + `load_latest` (newest slot whose header and
blob CRCs check out), `save(blob)` is `Store::save` (erase the other slot,
write the blob with its last word padded with 0xFF, then the header),
which is how a checkpoint received over the radio would be stored.
"""

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

MAGIC = b"MPST"
HEADER_LEN = 20
SECTOR = 4096  # simulate::job::SECTOR (nRF52840 pages)
WORD = 4  # simulate::job::WORD


def slot_size(checkpoint_len):
    """Bytes of one slot: header and checkpoint in whole sectors
    (`simulate::job::SLOT`)."""
    return -(-(checkpoint_len + HEADER_LEN) // SECTOR) * SECTOR


@dataclass(frozen=True)
class Record:
    """A slot's valid record."""

    slot: int
    seq: int
    blob: bytes


def _newer(a, b):
    """Serial-number arithmetic: `a` newer than `b`."""
    d = (a - b) & 0xFFFF_FFFF
    return 0 < d < 0x8000_0000


class FlashImage:
    """Two slots of `slot` bytes in a bytearray (erased = 0xFF)."""

    def __init__(self, slot, image=None):
        self.slot = slot
        self.bytes = bytearray(b"\xff" * (2 * slot) if image is None else image)
        if len(self.bytes) != 2 * slot:
            raise ValueError(f"a flash image of {len(self.bytes)} bytes; expected {2 * slot}")

    @classmethod
    def open(cls, path, slot):
        """The image in `path`, or a blank one if there is no such file."""
        path = Path(path)
        return cls(slot, path.read_bytes() if path.exists() else None)

    def write_to(self, path):
        Path(path).write_bytes(bytes(self.bytes))

    def _header(self, index):
        start = index * self.slot
        raw = bytes(self.bytes[start:start + HEADER_LEN])
        magic, seq, length, crc, check = struct.unpack("<4sIIII", raw)
        if magic != MAGIC or zlib.crc32(raw[:16]) != check:
            return None
        if length > self.slot - HEADER_LEN:
            return None
        return seq, length, crc

    def records(self):
        """The slots whose header and blob check out, newest first."""
        found = []
        for index in (0, 1):
            header = self._header(index)
            if header is None:
                continue
            seq, length, crc = header
            start = index * self.slot + HEADER_LEN
            blob = bytes(self.bytes[start:start + length])
            if zlib.crc32(blob) == crc:
                found.append(Record(index, seq, blob))
        if len(found) == 2 and _newer(found[1].seq, found[0].seq):
            found.reverse()
        return found

    def latest(self):
        """The newest valid record, or None (a blank flash)."""
        records = self.records()
        return records[0] if records else None

    def save(self, blob):
        """Stores `blob` as the newest record, in the slot that does not
        hold the current newest one; returns that record."""
        blob = bytes(blob)
        if len(blob) > self.slot - HEADER_LEN:
            raise ValueError(f"a blob of {len(blob)} bytes does not fit a slot of {self.slot}")
        newest = self.latest()
        target, seq = (0, 1) if newest is None else (1 - newest.slot, (newest.seq + 1) & 0xFFFF_FFFF)
        start = target * self.slot
        self.bytes[start:start + self.slot] = b"\xff" * self.slot  # erase
        padded = blob + b"\xff" * (-len(blob) % WORD)
        self.bytes[start + HEADER_LEN:start + HEADER_LEN + len(padded)] = padded
        fields = struct.pack("<4sIII", MAGIC, seq, len(blob), zlib.crc32(blob))
        self.bytes[start:start + HEADER_LEN] = fields + struct.pack("<I", zlib.crc32(fields))
        return Record(target, seq, blob)
