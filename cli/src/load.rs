//! Finding and loading the scenario a command names, and the command's errors.
//!
//! `run <x>` reads `x` as a file if anything exists at that path or `x` ends
//! in `.json`; otherwise `x` must be a preset name. Only a regular file (or a
//! symlink to one) is read: a FIFO, a device, a socket or a directory is
//! refused from its `stat`, before it is opened (opening a FIFO with no
//! writer would block forever; `/dev/zero` never ends).

use queuelab::presets;
use queuelab::scenario::{limits, Scenario, ScenarioError};
use std::fmt;
use std::fs::{FileType, Metadata};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// Why a command failed.
#[derive(Debug)]
pub enum CliError {
    /// The scenario file could not be read.
    Read(PathBuf, io::Error),
    /// Something exists at the path, but it is not a regular file (the
    /// words say what it is: "a directory", "a named pipe (FIFO)", ...).
    NotRegular(PathBuf, &'static str),
    /// The file is larger than a scenario may be; its size when its
    /// metadata gives one that agrees (a regular file), else `None`
    /// (a `/proc` file says 0 bytes, a growing file says too few).
    TooLarge(PathBuf, Option<u64>),
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

/// The scenario size limit in words ("1 MiB" for 2^20 bytes).
fn limit_text() -> String {
    let n = limits::MAX_JSON_BYTES;
    if n % (1 << 20) == 0 {
        format!("{} MiB", n >> 20)
    } else if n % (1 << 10) == 0 {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} bytes")
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Read(path, e) => write!(f, "cannot read scenario file {}: {e}", path.display()),
            CliError::NotRegular(path, what) => write!(
                f,
                "scenario file {} is not a regular file: it is {what}; give a .json file",
                path.display()
            ),
            CliError::TooLarge(path, size) => {
                write!(f, "scenario file {} is larger than {} (the limit for a scenario)", path.display(), limit_text())?;
                match size {
                    Some(n) => write!(f, ": {n} bytes"),
                    None => Ok(()),
                }
            }
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
    // `stat` follows symlinks and never blocks, whatever is at the path.
    match std::fs::metadata(path) {
        Ok(meta) => {
            let text = read_file(path, &meta)?;
            Scenario::from_json(&text).map_err(|e| CliError::Invalid(source.to_owned(), e))
        }
        // Nothing there (or a dangling symlink): a preset name, unless it
        // looks like a file name.
        Err(e) if e.kind() == io::ErrorKind::NotFound && !source.ends_with(".json") => {
            let preset = presets::get(source).ok_or_else(|| CliError::UnknownPreset(source.to_owned()))?;
            Scenario::from_json(preset.json).map_err(|e| CliError::Invalid(format!("preset {source}"), e))
        }
        Err(e) => Err(CliError::Read(path.to_owned(), e)),
    }
}

/// What a file type that is not a regular file is, in words.
fn kind_of(t: FileType) -> &'static str {
    if t.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    "a special file"
}

/// Reads the regular file at `path` (whose `stat` is `meta`) as UTF-8.
fn read_file(path: &Path, meta: &Metadata) -> Result<String, CliError> {
    if !meta.is_file() {
        return Err(CliError::NotRegular(path.to_owned(), kind_of(meta.file_type())));
    }
    let read_err = |e| CliError::Read(path.to_owned(), e);
    let file = std::fs::File::open(path).map_err(read_err)?;
    // The path may have been replaced between the stat and the open: check
    // what was opened, so a device swapped in is not read.
    let opened = file.metadata().map_err(read_err)?;
    if !opened.is_file() {
        return Err(CliError::NotRegular(path.to_owned(), kind_of(opened.file_type())));
    }
    let bytes = read_limited(file, opened.len()).map_err(|e| match e {
        LimitedError::Io(e) => read_err(e),
        LimitedError::TooLarge(size) => CliError::TooLarge(path.to_owned(), size),
    })?;
    String::from_utf8(bytes).map_err(|e| {
        CliError::Read(path.to_owned(), io::Error::new(io::ErrorKind::InvalidData, format!("not UTF-8 text ({e})")))
    })
}

/// Why [`read_limited`] failed.
#[derive(Debug)]
enum LimitedError {
    Io(io::Error),
    /// More than the limit; the size if `stated_len` says one beyond it.
    TooLarge(Option<u64>),
}

/// Reads at most `limits::MAX_JSON_BYTES` bytes from `reader`, refusing
/// more without reading the rest. `stated_len` is the size the file's
/// metadata gives: it is quoted in the error only if it is itself over the
/// limit (a `/proc` file states 0 bytes and has more; a file may grow).
fn read_limited(reader: impl Read, stated_len: u64) -> Result<Vec<u8>, LimitedError> {
    let limit = limits::MAX_JSON_BYTES as u64;
    let mut bytes = Vec::new();
    reader.take(limit + 1).read_to_end(&mut bytes).map_err(LimitedError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(LimitedError::TooLarge((stated_len > limit).then_some(stated_len)));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: usize = limits::MAX_JSON_BYTES;

    #[test]
    fn the_limit_reads_as_mebibytes() {
        assert_eq!(LIMIT, 1 << 20);
        assert_eq!(limit_text(), "1 MiB");
    }

    #[test]
    fn read_limited_takes_up_to_the_limit() {
        let data = vec![b'x'; LIMIT];
        assert_eq!(read_limited(&data[..], LIMIT as u64).unwrap().len(), LIMIT);
        assert_eq!(read_limited(&b""[..], 0).unwrap().len(), 0);
    }

    #[test]
    fn an_endless_reader_is_refused_without_a_made_up_size() {
        // Like /dev/zero or a /proc file: metadata says 0 bytes, the data never ends.
        match read_limited(io::repeat(0), 0) {
            Err(LimitedError::TooLarge(None)) => {}
            other => panic!("{other:?}"),
        }
        // A file that grew after its stat: the stated size is under the limit, so it is not quoted.
        match read_limited(io::repeat(b' '), 100) {
            Err(LimitedError::TooLarge(None)) => {}
            other => panic!("{other:?}"),
        }
        // A stated size beyond the limit is quoted.
        let big = LIMIT as u64 + 10;
        match read_limited(io::repeat(b' '), big) {
            Err(LimitedError::TooLarge(Some(n))) => assert_eq!(n, big),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn too_large_messages() {
        let p = PathBuf::from("big.json");
        assert_eq!(
            CliError::TooLarge(p.clone(), None).to_string(),
            "scenario file big.json is larger than 1 MiB (the limit for a scenario)"
        );
        assert_eq!(
            CliError::TooLarge(p, Some(2_000_000)).to_string(),
            "scenario file big.json is larger than 1 MiB (the limit for a scenario): 2000000 bytes"
        );
    }
}
