//! `microprop-sim`: run microprop's core on the PC.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};
use microprop_sim::demo::{self, DemoConfig};

#[derive(Parser)]
#[command(
    version,
    about = "microprop host simulator: the on-device training core, run on the PC"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Train the 8x8 digits classifier (64-32-10, tanh, softmax + cross-entropy,
    /// SGD, batch 16) and print accuracy and memory.
    Demo {
        /// Passes over the training data.
        #[arg(long, default_value_t = DemoConfig::default().epochs)]
        epochs: usize,
        /// SGD learning rate.
        #[arg(long, default_value_t = DemoConfig::default().learning_rate)]
        lr: f32,
        /// Seed for split, weights and shuffles.
        #[arg(long, default_value_t = DemoConfig::default().seed)]
        seed: u64,
        /// Directory holding digits8x8.csv.
        #[arg(long, default_value_os_t = microprop_sim::bundled_data_dir())]
        data: PathBuf,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Demo {
        epochs: DemoConfig::default().epochs,
        lr: DemoConfig::default().learning_rate,
        seed: DemoConfig::default().seed,
        data: microprop_sim::bundled_data_dir(),
        quiet: false,
    });
    match command {
        Command::Demo {
            epochs,
            lr,
            seed,
            data,
            quiet,
        } => {
            let config = DemoConfig {
                epochs,
                learning_rate: lr,
                seed,
                ..DemoConfig::default()
            };
            println!(
                "8x8 digits, model 64-32-10 (tanh, softmax + cross-entropy), SGD lr {lr}, batch {}, {epochs} epochs, seed {seed}",
                demo::BATCH
            );
            let (_, report) = demo::run(&data, &config, !quiet)?;
            print_report(&report);
        }
    }
    Ok(())
}

fn print_report(r: &demo::DemoReport) {
    if let Some(last) = r.epochs.last() {
        println!(
            "final epoch: loss {:.4}, running accuracy {:.3}",
            last.mean_loss(),
            last.accuracy().unwrap_or(0.0)
        );
    }
    println!(
        "train accuracy: {:.4} ({} rows)",
        r.train_accuracy, r.train_rows
    );
    println!(
        "test accuracy:  {:.4} ({} rows held out)",
        r.test_accuracy, r.test_rows
    );
    let m = &r.memory;
    println!("memory (bytes, size_of the real types):");
    println!("  parameters       {:>7}", m.parameters);
    println!("  gradients        {:>7}", m.gradients);
    println!("  optimizer state  {:>7}", m.optimizer_state);
    println!(
        "  activation cache {:>7}  (batch {})",
        m.caches,
        demo::BATCH
    );
    println!("  trainer total    {:>7}", m.trainer);
    println!("  training total   {:>7}  (parameters + trainer)", m.total);
    println!(
        "  inference only   {:>7}  (parameters {} + workspace {})",
        m.parameters + r.inference_bytes,
        m.parameters,
        r.inference_bytes
    );
}
