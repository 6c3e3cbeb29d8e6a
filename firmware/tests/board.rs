//! On-target tests of the board support (run in QEMU by `cargo test`): the
//! digits tables in flash, the LED register, the SysTick clock and delay.
#![no_std]
#![no_main]

use microprop_firmware as _;

#[defmt_test::tests]
mod tests {
    use embedded_hal::delay::DelayNs;
    use embedded_hal::digital::OutputPin;
    use microprop::Dataset;
    use microprop_device::digits;
    use microprop_firmware::board::{self, Mps2};
    use microprop_firmware::data;

    #[init]
    fn init() -> Mps2 {
        defmt::unwrap!(Mps2::take())
    }

    #[test]
    fn digits_tables_hold_the_split() {
        defmt::assert_eq!(data::TRAIN.len(), digits::TRAIN_ROWS);
        defmt::assert_eq!(data::TEST.len(), digits::TEST_ROWS);
        let mut counts = [0u32; digits::CLASSES];
        for &label in data::TRAIN_LABELS.iter().chain(&data::TEST_LABELS) {
            counts[usize::from(label)] += 1;
        }
        // The class sizes of UCI's digits as bundled with scikit-learn.
        defmt::assert_eq!(counts, [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
        defmt::assert!(data::TRAIN_PIXELS.iter().all(|&p| p <= 16));
    }

    #[test]
    fn samples_are_widened_and_scaled() {
        let mut x = [0.0f32; digits::FEATURES];
        let label = defmt::unwrap!(data::TEST.sample(digits::TEST_ROWS - 1, &mut x));
        defmt::assert_eq!(label, usize::from(data::TEST_LABELS[digits::TEST_ROWS - 1]));
        let raw = &data::TEST_PIXELS[(digits::TEST_ROWS - 1) * digits::FEATURES..];
        for (&x, &p) in x.iter().zip(raw) {
            defmt::assert_eq!(x, f32::from(p) / 16.0);
        }
        defmt::assert!(data::TEST.sample(digits::TEST_ROWS, &mut x).is_none());
    }

    #[test]
    fn led_register_follows_the_pin(board: &mut Mps2) {
        defmt::unwrap!(board.led.set_high());
        defmt::assert_eq!(board::leds() & 1, 1);
        defmt::unwrap!(board.led.set_low());
        defmt::assert_eq!(board::leds() & 1, 0);
    }

    #[test]
    fn delay_waits_by_the_clock(board: &mut Mps2) {
        let start = board::ticks();
        board.delay.delay_us(1000);
        let waited = board::ticks() - start;
        // 1 ms at 25 MHz, plus the loop's last lap.
        defmt::assert!(
            (25_000..26_000).contains(&waited),
            "waited {=u64} ticks",
            waited
        );
        defmt::assert!(board::micros() >= 1000);
    }
}
