//! The `train` command: a built-in model on bundled or user data, through
//! [`microprop::Workspace::fit`], with every optimizer, schedule, batch mode,
//! initialisation, normalisation and stopping criterion of the core; it
//! writes the model checkpoint and, if asked, the training state, and
//! resumes from one; and with `--layers`, a model of any shape on the
//! user's CSV through the run-time front end ([`own`]).

pub mod args;
pub mod files;
pub mod own;
pub mod print;
pub mod run;
pub mod watch;

pub use args::TrainOptions;
pub use files::write_checkpoints;
pub use print::{command, print_outcome};
pub use run::{TrainOutcome, run};
