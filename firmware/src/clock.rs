//! The active board's counter: what the logs measure cost in.
//!
//! - `qemu`: instructions, exact under QEMU's `-icount shift=0` (SysTick at
//!   25 MHz = one tick per 40 instructions);
//! - `nrf52840-dk`: CPU cycles at 64 MHz (DWT `CYCCNT`, extended to 64 bits);
//! - `microbit`: instructions under QEMU's `-icount shift=0` to a SysTick
//!   tick (16 MHz: 62.5 instructions).

#[cfg(feature = "qemu")]
pub use crate::board::{instructions as now, micros};
#[cfg(feature = "microbit")]
pub use crate::microbit::{instructions as now, micros};
#[cfg(feature = "nrf52840-dk")]
pub use crate::nrf52840dk::{cycles as now, micros};

/// What [`now`] counts.
#[cfg(any(feature = "qemu", feature = "microbit"))]
pub const UNIT: &str = "instructions";
/// What [`now`] counts.
#[cfg(feature = "nrf52840-dk")]
pub const UNIT: &str = "cycles";
