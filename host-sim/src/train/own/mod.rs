//! `train --layers`: a model of any shape on the user's CSV, through the
//! run-time front end ([`microprop::dynamic`]): the file prepared
//! ([`prepare`](mod@prepare)), the run ([`run`](mod@run)) and what it
//! prints ([`print`](mod@print)).

pub mod prepare;
pub mod print;
pub mod run;

pub use print::{command_own, outcome_json};
pub use run::{OwnOutcome, run_own};
