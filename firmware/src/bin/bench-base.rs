//! The size baseline of the benchmark binaries: the board (SysTick clock),
//! defmt logging over semihosting, the panic and HardFault handlers and one
//! empty measurement, but no network. `bench-mcu.sh` subtracts its `.text`
//! from the size-probe binaries' (`bench-w2-adam-fused`, `bench-w2-infer`)
//! to get the code of "everything but board and logging".
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use microprop_firmware::bench::{finish, measure};
use microprop_firmware::board::Mps2;

#[entry]
fn main() -> ! {
    let _board = Mps2::take();
    measure("base", "nothing", 1, |_| {});
    finish(false)
}
