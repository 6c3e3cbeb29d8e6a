//! CRC-32 (ISO-HDLC, as zlib; the checkpoint format's and the flash
//! store's checksum) computed bit by bit: an implementation independent of
//! the `crc` crate the core uses, for tests that edit a stored blob and
//! seal it again.

/// The CRC-32 of `bytes`.
///
/// ```
/// assert_eq!(microprop_tests::crc::crc32(b"123456789"), 0xCBF4_3926);
/// ```
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
