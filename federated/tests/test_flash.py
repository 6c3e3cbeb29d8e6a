"""The Python side of the device's flash store reads and writes the layout
of `microprop::checkpoint::Store` (the Rust side is checked in
test_device.py: the device loads what Python stores, Python reads what the
device stores)."""

import struct
import zlib

import pytest

from microprop_fl.flash import HEADER_LEN, FlashImage, slot_size
from microprop_fl.device import CHECKPOINT_LEN, SLOT


def test_the_digits_slots_are_the_simulators():
    # simulate::job: a 28,984-byte training checkpoint in 8 sectors of 4 KiB.
    assert CHECKPOINT_LEN == 28_984
    assert SLOT == slot_size(CHECKPOINT_LEN) == 32_768


def test_a_blank_flash_holds_nothing():
    assert FlashImage(4096).latest() is None


def test_saves_alternate_slots_and_the_newest_wins():
    image = FlashImage(4096)
    first = image.save(b"first")
    second = image.save(b"second checkpoint")
    assert (first.slot, first.seq, second.slot, second.seq) == (0, 1, 1, 2)
    assert image.latest().blob == b"second checkpoint"
    third = image.save(b"third")
    assert (third.slot, third.seq) == (0, 3)
    assert [r.blob for r in image.records()] == [b"third", b"second checkpoint"]


def test_the_header_is_the_stores():
    image = FlashImage(4096)
    image.save(b"abcdefg")  # 7 bytes: the last word padded with 0xFF
    raw = bytes(image.bytes[:HEADER_LEN + 8])
    magic, seq, length, crc, check = struct.unpack("<4sIIII", raw[:HEADER_LEN])
    assert (magic, seq, length) == (b"MPST", 1, 7)
    assert crc == zlib.crc32(b"abcdefg") and check == zlib.crc32(raw[:16])
    assert raw[HEADER_LEN:] == b"abcdefg\xff"


def test_a_torn_record_is_skipped_and_sequence_numbers_wrap():
    image = FlashImage(4096)
    image.save(b"old")
    image.save(b"new")
    image.bytes[4096 + HEADER_LEN] ^= 0x01  # the blob of slot 1 no longer matches its CRC
    assert image.latest().blob == b"old"
    wrapped = FlashImage(4096)
    for slot, seq, blob in ((0, 0xFFFF_FFFF, b"before the wrap"), (1, 0, b"after the wrap")):
        start = slot * 4096
        fields = struct.pack("<4sIII", b"MPST", seq, len(blob), zlib.crc32(blob))
        wrapped.bytes[start:start + HEADER_LEN] = fields + struct.pack("<I", zlib.crc32(fields))
        wrapped.bytes[start + HEADER_LEN:start + HEADER_LEN + len(blob)] = blob
    assert wrapped.latest().blob == b"after the wrap"


def test_a_wrong_size_image_and_an_oversized_blob_are_refused():
    with pytest.raises(ValueError):
        FlashImage(4096, bytes(100))
    with pytest.raises(ValueError):
        FlashImage(4096).save(bytes(4096))
