//! Live commands: what the page (or a scenario's timed `commands` list) can
//! do to a running world.
//!
//! Every command is validated before anything changes: an invalid command
//! returns a [`CommandError`] and leaves the world exactly as it was.
//! Applied commands are recorded with their virtual time, so a shared link
//! (scenario + command log + seed) replays the same run.

use crate::dist::Dist;
use crate::scenario::GoroutineSpec;
use crate::time::{echo, SimDuration};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A live change to a running world (JSON: `{"op": "set_capacity", ...}`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    /// Adds a new goroutine group (a group name that exists is refused:
    /// use `set_count` for more instances of an existing group).
    AddGoroutine { spec: GoroutineSpec },
    /// Removes one goroutine instance: its parked operation is withdrawn and
    /// a value it held is reported as dropped.
    RemoveGoroutine { goroutine: String },
    /// Sets the number of instances of a group (adds or removes the newest).
    SetCount { group: String, count: u32 },
    /// Changes a group's producer interval and/or work time, live.
    SetRates {
        group: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        interval: Option<Dist>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        work: Option<Dist>,
    },
    /// Changes a channel's capacity (see the channel docs: beyond Go).
    SetCapacity { channel: String, capacity: u32 },
    /// `close(ch)` from outside any goroutine (a double close is refused).
    CloseChannel { channel: String },
    /// Stops a goroutine before its next operation (a parked operation may
    /// still complete).
    Pause { goroutine: String },
    Resume { goroutine: String },
}

/// A command applied at a virtual time.
///
/// Without `step`, the command applies at `at`, after every event at or
/// before `at`. A command applied live also records `step`, the number of
/// events the world had run, so a replay applies it at exactly the same
/// point even between two events of the same instant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimedCommand {
    pub at: SimDuration,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<u64>,
    pub command: Command,
}

/// Why a command was refused (nothing changed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommandError {
    NoSuchGoroutine(String),
    NoSuchGroup(String),
    NoSuchChannel(String),
    AlreadyClosed(String),
    AlreadyExists(String),
    OutOfRange { what: &'static str, value: u64, max: u64 },
    NotApplicable(String),
    Invalid(Vec<String>),
    /// The program ended (panic, deadlock, exit); reset to continue.
    Ended(String),
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommandError::NoSuchGoroutine(n) => write!(f, "no goroutine named {}", echo(n)),
            CommandError::NoSuchGroup(n) => write!(f, "no goroutine group named {}", echo(n)),
            CommandError::NoSuchChannel(n) => write!(f, "no channel named {}", echo(n)),
            CommandError::AlreadyClosed(n) => write!(f, "channel {} is already closed", echo(n)),
            CommandError::AlreadyExists(n) => write!(f, "a goroutine group named {} already exists", echo(n)),
            CommandError::OutOfRange { what, value, max } => {
                write!(f, "{what} must be between 0 and {max}, got {value}")
            }
            CommandError::NotApplicable(m) => f.write_str(m),
            CommandError::Invalid(problems) => f.write_str(&problems.join("; ")),
            CommandError::Ended(why) => write!(f, "the program has ended ({why}); reset to run again"),
        }
    }
}

impl std::error::Error for CommandError {}
