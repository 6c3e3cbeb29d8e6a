"""microprop's storage-free shuffle, in Python: `microprop::Permutation`.

The firmware's digits job splits the 1797 rows of `data/digits8x8.csv`
into 1437 training and 360 test rows with `Permutation::new(1797,
0x00d16175)` (`microprop_device::digits::split_order`), and every `fit`
visits epoch `e` in the order `Permutation::new(n, seed ^ (e << 32))`.
The fleet uses the firmware's split, so this module reproduces the
permutation bit for bit: `rand_xoshiro`'s `Xoshiro128PlusPlus` seeded by
`SplitMix64` (`seed_from_u64`), then a 4-round Feistel network over the
smallest even number of bits covering `n`, walking cycles to stay inside
`0..n` (core/src/shuffle.rs). `tests/test_permutation.py` checks it
against the order in which the bindings' `fit` visits rows.
"""

MASK32 = 0xFFFF_FFFF
MASK64 = 0xFFFF_FFFF_FFFF_FFFF


def _rotl32(x, k):
    return ((x << k) | (x >> (32 - k))) & MASK32


class SplitMix64:
    """rand_xoshiro's `SplitMix64` (state = the seed)."""

    def __init__(self, seed):
        self.x = seed & MASK64

    def next_u64(self):
        self.x = (self.x + 0x9E37_79B9_7F4A_7C15) & MASK64
        z = self.x
        z = ((z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D0_49BB_1331_11EB) & MASK64
        return z ^ (z >> 31)


class Xoshiro128PlusPlus:
    """rand_xoshiro's `Xoshiro128PlusPlus::seed_from_u64` and `next_u32`."""

    def __init__(self, seed):
        mix = SplitMix64(seed)
        # from_rng fills the 16-byte seed with two little-endian u64 words;
        # from_seed reads it back as four little-endian u32 words.
        a, b = mix.next_u64(), mix.next_u64()
        self.s = [a & MASK32, a >> 32, b & MASK32, b >> 32]
        if not any(self.s):  # from_seed's guard against the all-zero state
            self.s = Xoshiro128PlusPlus(0).s

    def next_u32(self):
        s = self.s
        result = (_rotl32((s[0] + s[3]) & MASK32, 7) + s[0]) & MASK32
        t = (s[1] << 9) & MASK32
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = _rotl32(s[3], 11)
        return result


def _mix(x):
    """lowbias32, as `shuffle::mix`."""
    x ^= x >> 16
    x = (x * 0x7FEB_352D) & MASK32
    x ^= x >> 15
    x = (x * 0x846C_A68B) & MASK32
    return x ^ (x >> 16)


class Permutation:
    """`microprop::Permutation::new(n, seed)`: `index(i)` is the element at
    position `i`."""

    def __init__(self, n, seed):
        self.n = min(n, 0x7FFF_FFFF)
        bits = max(self.n - 1, 0).bit_length()
        self.half_bits = max((bits + 1) // 2, 1)
        rng = Xoshiro128PlusPlus(seed)
        self.keys = [rng.next_u32() for _ in range(4)]

    def __len__(self):
        return self.n

    def _encrypt(self, v):
        mask = (1 << self.half_bits) - 1
        left, right = v >> self.half_bits, v & mask
        for key in self.keys:
            mixed = _mix(right ^ key) & mask
            left, right = right, left ^ mixed
        return (left << self.half_bits) | right

    def index(self, i):
        if i >= self.n:
            return i
        v = i
        while True:
            v = self._encrypt(v)
            if v < self.n:
                return v

    def order(self):
        """Every element, in position order."""
        return [self.index(i) for i in range(self.n)]
