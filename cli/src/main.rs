//! `queuelab`: run a scenario headless and print how it went.
//!
//! ```text
//! queuelab run <scenario.json | preset-name> [--until 60s] [--seed N] [--json] [--trace out.jsonl]
//! queuelab presets
//! ```
//!
//! # Exit codes
//! - `0`: the scenario ran. A simulated deadlock or panic is a *result* of
//!   the run (shown in the summary), not a failure of the command.
//! - `2`: bad input: a missing or unreadable file, a path that is not a
//!   regular file (directory, FIFO, device: refused before it is opened), a
//!   file over 1 MiB, invalid JSON, a scenario that fails validation (every
//!   problem on its own line with its field path), an unknown preset, a bad
//!   argument (`--until` beyond 100 years is refused by the duration parser,
//!   with its message). Nothing was run.
//! - `1`: the run happened but its output could not be written.

mod load;

use clap::{Parser, Subcommand};
use load::CliError;
use queuelab::observe::snapshot::RunStatus;
use queuelab::presets;
use queuelab::scenario::limits;
use queuelab::time::{SimDuration, SimTime};
use queuelab::world::World;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Limit of a run when neither `--until` nor the scenario's `stop_at` says.
const DEFAULT_UNTIL: SimDuration = SimDuration::from_secs(60);

#[derive(Debug, Parser)]
#[command(name = "queuelab", version, about = "Deterministic simulation of Go channels: run a scenario headless and summarize it.")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Run a scenario file or a preset and print a summary.
    ///
    /// The run ends when the simulated program ends (main returns, every
    /// goroutine returns, a panic, a deadlock, the scenario's stop_at) or at
    /// the virtual time given by --until, whichever comes first.
    Run {
        /// A scenario JSON file (see docs/scenarios.md), or a preset name (see `queuelab presets`).
        scenario: String,
        /// Stop at this virtual time ("500ms", "1m30s"; at most 876000h, 100 years). Default: the scenario's stop_at, else 60s.
        #[arg(long, value_name = "DURATION")]
        until: Option<SimDuration>,
        /// Use this seed instead of the scenario's.
        #[arg(long, value_name = "N")]
        seed: Option<u64>,
        /// Print the summary as JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Write every event of the run as JSON lines to this file.
        #[arg(long, value_name = "FILE")]
        trace: Option<PathBuf>,
    },
    /// List the built-in presets.
    Presets,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Cmd::Run { scenario, until, seed, json, trace } => run(&scenario, until, seed, json, trace),
        Cmd::Presets => list_presets(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // `queuelab run x | head`: the reader left; nothing to report.
        Err(CliError::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(io::stderr().lock(), "error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

fn run(source: &str, until: Option<SimDuration>, seed: Option<u64>, json: bool, trace: Option<PathBuf>) -> Result<(), CliError> {
    let mut scenario = load::scenario(source)?;
    if let Some(seed) = seed {
        scenario.seed = seed;
    }
    // Open the trace file before running, so a bad path fails at once.
    let trace_out = match &trace {
        Some(path) => {
            scenario.trace_capacity = limits::MAX_TRACE;
            let file = File::create(path).map_err(|e| CliError::TraceFile(path.clone(), e))?;
            Some((path, BufWriter::new(file)))
        }
        None => None,
    };
    let mut world = World::new(&scenario).map_err(|e| CliError::Invalid(source.to_owned(), e))?;
    let limit = until.or(scenario.stop_at).unwrap_or(DEFAULT_UNTIL);
    world.run_until(SimTime::ZERO + limit);
    let summary = world.summary();

    // Notes about the command itself: part of the text output; on stderr
    // with --json so stdout stays one JSON document.
    let mut notes = Vec::new();
    if summary.status == RunStatus::Running {
        notes.push(format!("time limit reached: the program was still running at {limit}"));
    }
    if let Some((path, mut out)) = trace_out {
        let kept = world.trace().events().len();
        for e in world.trace().events() {
            serde_json::to_writer(&mut out, &world.event_view(e)).map_err(|e| CliError::TraceWrite(path.clone(), e.into()))?;
            out.write_all(b"\n").map_err(|e| CliError::TraceWrite(path.clone(), e))?;
        }
        out.flush().map_err(|e| CliError::TraceWrite(path.clone(), e))?;
        let mut note = format!("trace: wrote {kept} events to {}", path.display());
        if summary.events_forgotten() > 0 {
            note.push_str(&format!(
                "; the first {} of the run's {} events were forgotten (the trace keeps at most {})",
                summary.events_forgotten(),
                summary.events_total,
                limits::MAX_TRACE
            ));
        }
        notes.push(note);
    }

    let stdout = io::stdout();
    let mut out = stdout.lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &summary).map_err(|e| CliError::Output(e.into()))?;
        writeln!(out).map_err(CliError::Output)?;
        let mut err = io::stderr().lock();
        for n in &notes {
            let _ = writeln!(err, "{n}");
        }
    } else {
        write!(out, "{summary}").map_err(CliError::Output)?;
        for n in &notes {
            writeln!(out, "{n}").map_err(CliError::Output)?;
        }
    }
    out.flush().map_err(CliError::Output)
}

fn list_presets() -> Result<(), CliError> {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let width = presets::ALL.iter().map(|p| p.name.len()).max().unwrap_or(0);
    for p in presets::ALL {
        let s = p.scenario();
        writeln!(out, "{:width$}  {}", p.name, s.title).map_err(CliError::Output)?;
        writeln!(out, "{:width$}  {}", "", s.description).map_err(CliError::Output)?;
    }
    writeln!(out, "\nrun one with: queuelab run {}", presets::DEFAULT).map_err(CliError::Output)?;
    out.flush().map_err(CliError::Output)
}
