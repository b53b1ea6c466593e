//! Finding and loading the scenario a command names, and the command's errors.
//!
//! `run <x>` reads `x` as a file if a file (or anything) exists at that path
//! or `x` ends in `.json`; otherwise `x` must be a preset name.

use queuelab::presets;
use queuelab::scenario::{limits, Scenario, ScenarioError};
use std::fmt;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// Why a command failed.
#[derive(Debug)]
pub enum CliError {
    /// The scenario file could not be read.
    Read(PathBuf, io::Error),
    /// The file is larger than a scenario may be.
    TooLarge(PathBuf, u64),
    /// Neither an existing path nor a preset name.
    UnknownPreset(String),
    /// The scenario (from a file or a preset) did not parse or validate.
    Invalid(String, ScenarioError),
    /// The trace file could not be created.
    TraceFile(PathBuf, io::Error),
    /// Writing the trace failed after the run.
    TraceWrite(PathBuf, io::Error),
    /// Writing to stdout failed.
    Output(io::Error),
}

impl CliError {
    /// 2 for bad input (nothing ran), 1 for output failures after a run.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::TraceWrite(..) | CliError::Output(_) => 1,
            _ => 2,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Read(path, e) => write!(f, "cannot read scenario file {}: {e}", path.display()),
            CliError::TooLarge(path, len) => write!(
                f,
                "scenario file {} is too large: {len} bytes (limit {})",
                path.display(),
                limits::MAX_JSON_BYTES
            ),
            CliError::UnknownPreset(name) => {
                let known: Vec<&str> = presets::ALL.iter().map(|p| p.name).collect();
                write!(
                    f,
                    "no file and no preset named {name:?}\nknown presets: {}\n(or give the path of a scenario .json file)",
                    known.join(", ")
                )
            }
            CliError::Invalid(source, e) => {
                let n = e.problems.len();
                write!(f, "scenario {source} is invalid ({n} problem{}):", if n == 1 { "" } else { "s" })?;
                for p in &e.problems {
                    write!(f, "\n  {p}")?;
                }
                Ok(())
            }
            CliError::TraceFile(path, e) => write!(f, "cannot create trace file {}: {e}", path.display()),
            CliError::TraceWrite(path, e) => write!(f, "writing trace file {} failed: {e}", path.display()),
            CliError::Output(e) => write!(f, "cannot write output: {e}"),
        }
    }
}

impl std::error::Error for CliError {}

/// Loads the scenario `source` names: a file path or a preset.
pub fn scenario(source: &str) -> Result<Scenario, CliError> {
    let path = Path::new(source);
    if path.exists() || source.ends_with(".json") {
        let text = read_limited(path)?;
        return Scenario::from_json(&text).map_err(|e| CliError::Invalid(source.to_owned(), e));
    }
    let preset = presets::get(source).ok_or_else(|| CliError::UnknownPreset(source.to_owned()))?;
    Scenario::from_json(preset.json).map_err(|e| CliError::Invalid(format!("preset {source}"), e))
}

/// Reads a file as UTF-8, refusing one larger than a scenario may be
/// (without reading all of it).
fn read_limited(path: &Path) -> Result<String, CliError> {
    let read_err = |e| CliError::Read(path.to_owned(), e);
    let file = std::fs::File::open(path).map_err(read_err)?;
    let limit = limits::MAX_JSON_BYTES as u64;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes).map_err(read_err)?;
    if bytes.len() as u64 > limit {
        let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(bytes.len() as u64);
        return Err(CliError::TooLarge(path.to_owned(), len));
    }
    String::from_utf8(bytes).map_err(|e| {
        CliError::Read(path.to_owned(), io::Error::new(io::ErrorKind::InvalidData, format!("not UTF-8 text ({e})")))
    })
}
