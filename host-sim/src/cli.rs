//! clap's view of the built-in models: [`Builtin`] as the values of
//! `--model`. The models layer stays free of the CLI; this impl is where
//! the commands meet it.

use clap::ValueEnum;
use clap::builder::PossibleValue;

use crate::models::Builtin;

impl ValueEnum for Builtin {
    fn value_variants<'a>() -> &'a [Self] {
        &Builtin::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.name()).help(self.summary()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_model_parses_by_its_name() {
        for model in Builtin::ALL {
            assert_eq!(Builtin::from_str(model.name(), false), Ok(model));
        }
        assert!(Builtin::from_str("z80", false).is_err());
    }
}
