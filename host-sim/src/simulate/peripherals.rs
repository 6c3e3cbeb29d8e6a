//! The simulated peripherals the firmware's loop drives: a status LED that
//! records every level with the simulated time, and a delay that advances
//! a simulated clock instead of waiting.

use std::cell::RefCell;
use std::rc::Rc;

use embedded_hal::delay::DelayNs;
use embedded_hal::digital::{ErrorType, OutputPin};

/// What the simulated peripherals saw: shared by the LED and the delay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trace {
    /// Simulated time, advanced only by the delay, in nanoseconds.
    pub now_ns: u64,
    /// Every level the LED was driven to, with the time: `(ns, high)`.
    pub led: Vec<(u64, bool)>,
    /// Nanoseconds the loop asked the delay for.
    pub delayed_ns: u64,
}

/// The shared trace.
pub type SharedTrace = Rc<RefCell<Trace>>;

/// The status LED: records each level with the simulated time.
#[derive(Debug, Clone)]
pub struct SimLed(pub SharedTrace);

impl ErrorType for SimLed {
    type Error = core::convert::Infallible;
}

impl OutputPin for SimLed {
    fn set_low(&mut self) -> Result<(), Self::Error> {
        let mut t = self.0.borrow_mut();
        let now = t.now_ns;
        t.led.push((now, false));
        Ok(())
    }

    fn set_high(&mut self) -> Result<(), Self::Error> {
        let mut t = self.0.borrow_mut();
        let now = t.now_ns;
        t.led.push((now, true));
        Ok(())
    }
}

/// The delay: advances the simulated clock.
#[derive(Debug, Clone)]
pub struct SimDelay(pub SharedTrace);

impl DelayNs for SimDelay {
    fn delay_ns(&mut self, ns: u32) {
        let mut t = self.0.borrow_mut();
        t.now_ns += u64::from(ns);
        t.delayed_ns += u64::from(ns);
    }
}
