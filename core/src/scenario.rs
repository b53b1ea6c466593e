//! Scenarios: a world described in JSON (see `docs/scenarios.md`).
//!
//! Loading has two stages, both reporting field paths:
//! 1. **Parse** (serde): wrong types, unknown fields (always an error, never
//!    ignored) and malformed durations, e.g.
//!    `goroutines[2].behavior.producer.interval: expected a duration such as "150ms", got "fast"`.
//! 2. **Validate**: every semantic problem at once (unknown channel names,
//!    duplicate names, limits), each with its path.
//!
//! Limits keep a shared link from asking for absurd worlds; see [`limits`].

use crate::command::{Command, TimedCommand};
use crate::gochan::behavior::Behavior;
use crate::gochan::program::{self, ChanId, Names, WgId};
use crate::time::{echo, SimDuration};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Size limits on a scenario.
pub mod limits {
    pub const MAX_CHANNELS: usize = 256;
    pub const MAX_WAITGROUPS: usize = 64;
    pub const MAX_GROUPS: usize = 256;
    /// Goroutine instances in a world, across all groups.
    pub const MAX_GOROUTINES: u64 = 2_000;
    pub const MAX_CAPACITY: u32 = 1_000_000;
    pub const MAX_COMMANDS: usize = 10_000;
    pub const MAX_TRACE: u32 = 1_000_000;
    pub const MAX_NAME_LEN: usize = 32;
    pub const MIN_SAMPLE_INTERVAL_US: u64 = 1_000;
    pub const MAX_JSON_BYTES: usize = 1 << 20;
    /// Largest magnitude of a producer's `start`: values stay exact as
    /// JavaScript numbers (2^53 - 1), and counting up from there cannot
    /// reach the end of i64 within the 100-year horizon.
    pub const MAX_START: i64 = (1 << 53) - 1;
}

fn one_u64() -> u64 {
    1
}
fn one_u32() -> u32 {
    1
}
fn is_one(v: &u32) -> bool {
    *v == 1
}
fn default_sample() -> SimDuration {
    SimDuration::from_millis(100)
}
fn default_trace() -> u32 {
    10_000
}

/// A world: channels, WaitGroups, goroutines, and timed commands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default = "one_u64")]
    pub seed: u64,
    /// How often time series are sampled.
    #[serde(default = "default_sample")]
    pub sample_interval: SimDuration,
    /// Stop the run at this virtual time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_at: Option<SimDuration>,
    /// Events kept in the trace ring (older ones are forgotten).
    #[serde(default = "default_trace")]
    pub trace_capacity: u32,
    #[serde(default)]
    pub channels: Vec<ChannelSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waitgroups: Vec<String>,
    #[serde(default)]
    pub goroutines: Vec<GoroutineSpec>,
    /// NSQ nodes and the network to them (none: a pure Go world).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nsq: Option<crate::gate::Gated<crate::nsq::spec::NsqSpec, crate::gate::Nsq>>,
    /// Kafka brokers, topics and sarama clients (none: no Kafka).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kafka: Option<crate::gate::Gated<crate::kafka::spec::KafkaSpec, crate::gate::Kafka>>,
    /// Commands applied at given virtual times (also the live-edit log).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<TimedCommand>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelSpec {
    pub name: String,
    /// 0 = unbuffered.
    #[serde(default)]
    pub capacity: u32,
}

/// A group of identical goroutines. With `count == 1` the goroutine is
/// called `name`; otherwise `name-1`, `name-2`, ...
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoroutineSpec {
    pub name: String,
    #[serde(default = "one_u32", skip_serializing_if = "is_one")]
    pub count: u32,
    pub behavior: Behavior,
}

/// One problem, with the path of the field it is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// Every problem found in a scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    pub problems: Vec<Problem>,
}

impl ScenarioError {
    fn one(path: &str, message: impl Into<String>) -> Self {
        ScenarioError { problems: vec![Problem { path: path.into(), message: message.into() }] }
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}
impl std::error::Error for ScenarioError {}

/// Whether `name` is a valid channel/goroutine/WaitGroup name.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= limits::MAX_NAME_LEN
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

fn name_problem(path: String, name: &str) -> Problem {
    Problem {
        path,
        message: format!(
            "expected a name of 1-{} letters, digits, '_', '-' or '.', got {}",
            limits::MAX_NAME_LEN,
            echo(name)
        ),
    }
}

/// A field path cut to 120 characters (a path names the input's own keys).
fn cap_path(path: &str) -> String {
    match path.char_indices().nth(120) {
        Some((cut, _)) => format!("{}… ({} bytes)", &path[..cut], path.len()),
        None => path.to_owned(),
    }
}

/// A parser's message with the input it quotes cut short: serde quotes
/// unknown fields, variants and strings whole (`unknown field `…``,
/// `invalid type: string "…"`), and a 100 KB one must not come back whole.
/// Any run of more than 60 characters without a space is cut to
/// [`ECHO_MAX`](crate::time::ECHO_MAX) with its length said, and the whole
/// message to 600 characters.
fn cap_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(640));
    for (i, word) in message.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        match word.char_indices().nth(60) {
            Some(_) => {
                let cut = word.char_indices().nth(crate::time::ECHO_MAX).map_or(word.len(), |(c, _)| c);
                out.push_str(&format!("{}… ({} bytes)", &word[..cut], word.len()));
            }
            None => out.push_str(word),
        }
    }
    match out.char_indices().nth(600) {
        Some((cut, _)) => format!("{}… (message cut at 600 characters)", &out[..cut]),
        None => out,
    }
}

impl Scenario {
    /// Parses and validates JSON. Errors carry field paths.
    pub fn from_json(text: &str) -> Result<Scenario, ScenarioError> {
        if text.len() > limits::MAX_JSON_BYTES {
            return Err(ScenarioError::one(
                "",
                format!("scenario too large: {} bytes (limit {})", text.len(), limits::MAX_JSON_BYTES),
            ));
        }
        // Only an object: serde would also take an array as a positional
        // struct (`[]` as an empty scenario), which has no field names to
        // check.
        let first = text.trim_start_matches([' ', '\t', '\n', '\r']).chars().next();
        if first.is_some() && first != Some('{') {
            let got = if first == Some('[') { "an array" } else { "something else" };
            return Err(ScenarioError::one("", format!("expected a scenario object {{...}} at the top, got {got}")));
        }
        let de = &mut serde_json::Deserializer::from_str(text);
        let scenario = Scenario::deserialize(&mut *de).map_err(|inner| {
            let path = crate::json_path::error_path(text, &inner);
            let mut message = inner.to_string();
            // A data error's field path says where; the position only helps
            // for syntax errors (their path is only where the parser stopped).
            if inner.classify() == serde_json::error::Category::Data {
                let suffix = format!(" at line {} column {}", inner.line(), inner.column());
                if let Some(stripped) = message.strip_suffix(&suffix) {
                    message = stripped.to_owned();
                }
            }
            ScenarioError::one(&cap_path(&path), cap_quoted(&message))
        })?;
        // Nothing may follow the scenario (not even a second object).
        de.end().map_err(|e| {
            ScenarioError::one("", format!("unexpected text after the scenario object (line {} column {})", e.line(), e.column()))
        })?;
        scenario.validate()?;
        Ok(scenario)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("scenario serializes")
    }

    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("scenario serializes")
    }

    /// Instance names of a group.
    pub fn instance_names(spec_name: &str, count: u32) -> impl Iterator<Item = String> + '_ {
        (1..=count).map(move |i| if count == 1 { spec_name.to_owned() } else { format!("{spec_name}-{i}") })
    }

    /// Checks everything serde cannot; returns all problems at once.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        let mut problems = Vec::new();
        let mut push = |path: String, message: String| problems.push(Problem { path, message });

        if self.sample_interval.as_micros() < limits::MIN_SAMPLE_INTERVAL_US {
            push("sample_interval".into(), format!("must be at least 1ms, got {}", self.sample_interval));
        }
        if self.trace_capacity > limits::MAX_TRACE {
            push("trace_capacity".into(), format!("at most {}, got {}", limits::MAX_TRACE, self.trace_capacity));
        }
        let kafka_ok = self.kafka.as_ref().is_none_or(|k| k.problems().is_empty());
        let kafka_chans: Vec<(String, u32)> = self.kafka.iter().filter(|_| kafka_ok).flat_map(|k| k.go_channels()).collect();
        let kafka_groups: Vec<(GoroutineSpec, Option<&str>)> = self.kafka.iter().filter(|_| kafka_ok).flat_map(|k| k.go_groups()).collect();
        let nsq_chans = self.nsq.as_ref().map_or(0, |n| n.consumers.len()) + kafka_chans.len();
        if self.channels.len() + nsq_chans > limits::MAX_CHANNELS {
            push(
                "channels".into(),
                format!("at most {} channels (one per NSQ consumer included), got {}", limits::MAX_CHANNELS, self.channels.len() + nsq_chans),
            );
        }
        if self.waitgroups.len() > limits::MAX_WAITGROUPS {
            push("waitgroups".into(), format!("at most {}, got {}", limits::MAX_WAITGROUPS, self.waitgroups.len()));
        }
        let nsq_groups: usize = self.nsq.iter().flat_map(|n| n.consumers.iter().map(move |c| n.consumer_nodes(c).len() + 1)).sum::<usize>() + kafka_groups.len();
        if self.goroutines.len() + nsq_groups > limits::MAX_GROUPS {
            push(
                "goroutines".into(),
                format!("at most {} groups (NSQ consumers' readers and handlers included), got {}", limits::MAX_GROUPS, self.goroutines.len() + nsq_groups),
            );
        }
        if self.commands.len() > limits::MAX_COMMANDS {
            push("commands".into(), format!("at most {}, got {}", limits::MAX_COMMANDS, self.commands.len()));
        }
        let mut chan_names: Vec<&str> = Vec::new();
        for (i, c) in self.channels.iter().enumerate() {
            if !valid_name(&c.name) {
                let p = name_problem(format!("channels[{i}].name"), &c.name);
                push(p.path, p.message);
            } else if chan_names.contains(&c.name.as_str()) {
                push(format!("channels[{i}].name"), format!("duplicate channel name {}", echo(&c.name)));
            }
            chan_names.push(&c.name);
            if c.capacity > limits::MAX_CAPACITY {
                push(
                    format!("channels[{i}].capacity"),
                    format!("must be between 0 and {}, got {}", limits::MAX_CAPACITY, c.capacity),
                );
            }
        }
        // NSQ consumers' channels (go-nsq's incomingMessages) exist from the
        // start, after the scenario's own: programs may name them.
        let incoming: Vec<String> = self.nsq.iter().flat_map(|n| n.consumers.iter().map(|c| c.incoming())).collect();
        for (i, name) in incoming.iter().enumerate() {
            if chan_names.contains(&name.as_str()) {
                push(format!("nsq.consumers[{i}].name"), format!("its channel {} is already a channel of the scenario", echo(name)));
            }
        }
        chan_names.extend(incoming.iter().map(String::as_str));
        for (name, _) in &kafka_chans {
            if chan_names.contains(&name.as_str()) {
                push("kafka".into(), format!("sarama's channel {} is already a channel of the scenario", echo(name)));
            }
        }
        chan_names.extend(kafka_chans.iter().map(|(n, _)| n.as_str()));
        let mut wg_names: Vec<&str> = Vec::new();
        for (i, w) in self.waitgroups.iter().enumerate() {
            if !valid_name(w) {
                let p = name_problem(format!("waitgroups[{i}]"), w);
                push(p.path, p.message);
            } else if wg_names.contains(&w.as_str()) {
                push(format!("waitgroups[{i}]"), format!("duplicate WaitGroup name {}", echo(w)));
            }
            wg_names.push(w);
        }
        let nsqd_names: Vec<&str> = self.nsq.iter().flat_map(|n| n.nsqd.iter().map(|d| d.name.as_str())).collect();
        if let Some(n) = &self.nsq {
            problems.extend(n.problems());
        }
        if let Some(k) = &self.kafka {
            problems.extend(k.problems());
        }
        let kafka_names = self.kafka.as_ref().filter(|_| kafka_ok).map(|k| crate::kafka::spec::KafkaNames::new(k, &|n| chan_names.iter().position(|c| *c == n).map(|i| i as u32)));
        let mut push = |path: String, message: String| problems.push(Problem { path, message });
        let names = NameTable { channels: &chan_names, waitgroups: &wg_names, nsqd: &nsqd_names, kafka: kafka_names.as_ref() };
        let mut total: u64 = 0;
        let mut group_names: Vec<&str> = Vec::new();
        for (i, g) in self.goroutines.iter().enumerate() {
            let base = format!("goroutines[{i}]");
            for p in check_group(g, &base, &names) {
                push(p.path, p.message);
            }
            if group_names.contains(&g.name.as_str()) {
                push(format!("{base}.name"), format!("duplicate goroutine name {}", echo(&g.name)));
            }
            group_names.push(&g.name);
            total += u64::from(g.count);
        }
        // NSQ consumers' readers and handlers are goroutines too.
        total += self.nsq.iter().flat_map(|n| n.consumers.iter().map(move |c| n.consumer_nodes(c).len() as u64 + u64::from(c.handlers))).sum::<u64>();
        total += kafka_groups.len() as u64;
        // sarama's goroutines are compiled like any other (their names
        // must not clash with the scenario's).
        for (i, (g, _)) in kafka_groups.iter().enumerate() {
            for p in check_group(g, &format!("kafka.goroutines[{i}]"), &names) {
                push(p.path, p.message);
            }
            if self.goroutines.iter().any(|o| o.name == g.name || Scenario::instance_names(&o.name, o.count.min(limits::MAX_GOROUTINES as u32)).any(|n| n == g.name)) {
                push("kafka".into(), format!("sarama's goroutine {} is already a goroutine of the scenario", echo(&g.name)));
            }
        }
        if total > limits::MAX_GOROUTINES {
            push("goroutines".into(), format!("at most {} goroutines in all (NSQ consumers' included), got {total}", limits::MAX_GOROUTINES));
        } else {
            // Instance names must be unique too: a group "a" of 2 is "a-1"
            // and "a-2", so a group named "a-1" would make commands and
            // labels ambiguous.
            let mut seen: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
            for (i, g) in self.goroutines.iter().enumerate() {
                for n in Scenario::instance_names(&g.name, g.count) {
                    match seen.insert(n.clone(), i) {
                        Some(j) if self.goroutines[j].name != g.name => {
                            push(
                                format!("goroutines[{i}].name"),
                                format!("goroutine name {} is taken by an instance of goroutines[{j}] ({})", echo(&n), echo(&self.goroutines[j].name)),
                            );
                            break;
                        }
                        _ => {}
                    }
                }
            }
        }
        // A consumer's Go parts (its channel, readers and handlers) take
        // names a scenario's own channels and goroutines must not use.
        for (i, (n, c)) in self.nsq.iter().flat_map(|n| n.consumers.iter().map(move |c| (n, c))).enumerate() {
            let mut taken: Vec<String> = vec![c.handler_group()];
            taken.extend((1..=n.consumer_nodes(c).len()).map(|k| c.reader(k)));
            taken.extend(Scenario::instance_names(&c.handler_group(), c.handlers.min(crate::nsq::spec::MAX_HANDLERS)));
            for g in &self.goroutines {
                if taken.contains(&g.name) || Scenario::instance_names(&g.name, g.count.min(limits::MAX_GOROUTINES as u32)).any(|n| taken.contains(&n)) {
                    push(format!("nsq.consumers[{i}].name"), format!("its goroutines' names are taken by goroutine group {}", echo(&g.name)));
                    break;
                }
            }
        }
        for (i, pair) in self.commands.windows(2).enumerate() {
            let (a, b) = (&pair[0], &pair[1]);
            if b.at < a.at || matches!((a.step, b.step), (Some(x), Some(y)) if y < x) {
                push(
                    format!("commands[{}].at", i + 1),
                    format!("commands must be in time order: {} comes after {}", b.at, a.at),
                );
            }
        }
        // A goroutine added by a command may use a channel an earlier
        // command added.
        let mut later_chans = chan_names.clone();
        for (i, tc) in self.commands.iter().enumerate() {
            match &tc.command {
                Command::AddGoroutine { spec } => {
                    let names = NameTable { channels: &later_chans, waitgroups: &wg_names, nsqd: &nsqd_names, kafka: kafka_names.as_ref() };
                    for p in check_group(spec, &format!("commands[{i}].command.spec"), &names) {
                        push(p.path, p.message);
                    }
                }
                Command::AddChannel { name, .. } if valid_name(name) && !later_chans.contains(&name.as_str()) => {
                    later_chans.push(name);
                }
                _ => {}
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ScenarioError { problems })
        }
    }
}

/// Checks one goroutine group against the declared names.
pub(crate) fn check_group(g: &GoroutineSpec, base: &str, names: &dyn Names) -> Vec<Problem> {
    let mut out = Vec::new();
    if !valid_name(&g.name) {
        out.push(name_problem(format!("{base}.name"), &g.name));
    }
    if let Behavior::Producer(p) = &g.behavior {
        if p.start.unsigned_abs() > limits::MAX_START as u64 {
            out.push(Problem {
                path: format!("{base}.behavior.producer.start"),
                message: format!("must be between -{0} and {0} (2^53 - 1), got {1}", limits::MAX_START, p.start),
            });
        }
    }
    if g.count == 0 || u64::from(g.count) > limits::MAX_GOROUTINES {
        out.push(Problem {
            path: format!("{base}.count"),
            message: format!("must be between 1 and {}, got {}", limits::MAX_GOROUTINES, g.count),
        });
    }
    if let Err(errs) = program::compile(&g.behavior.program(), names) {
        let prefix = match &g.behavior {
            Behavior::Program(_) => format!("{base}.behavior.program"),
            _ => format!("{base}.behavior"),
        };
        for e in errs {
            // Template programs are generated: point at the template, not
            // at a statement path the user never wrote.
            let path = if matches!(g.behavior, Behavior::Program(_)) { format!("{prefix}{}", e.path) } else { prefix.clone() };
            out.push(Problem { path, message: e.message });
        }
    }
    if let Some(wg) = g.behavior.spawn_wg() {
        if names.waitgroup(wg).is_none() {
            out.push(Problem { path: format!("{base}.behavior"), message: format!("no WaitGroup named {}", echo(wg)) });
        }
    }
    out.dedup();
    out
}

/// Name lookup over declared names.
pub(crate) struct NameTable<'a> {
    pub channels: &'a [&'a str],
    pub waitgroups: &'a [&'a str],
    pub nsqd: &'a [&'a str],
    pub kafka: Option<&'a crate::kafka::spec::KafkaNames>,
}

impl Names for NameTable<'_> {
    fn channel(&self, name: &str) -> Option<ChanId> {
        self.channels.iter().position(|n| *n == name).map(|i| i as ChanId)
    }
    fn waitgroup(&self, name: &str) -> Option<WgId> {
        self.waitgroups.iter().position(|n| *n == name).map(|i| i as WgId)
    }
    fn nsqd(&self, name: &str) -> Option<u32> {
        self.nsqd.iter().position(|n| *n == name).map(|i| i as u32)
    }
    fn kafka(&self) -> Option<&crate::kafka::spec::KafkaNames> {
        self.kafka
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(json: &str) -> Vec<String> {
        Scenario::from_json(json).unwrap_err().problems.iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn parse_errors_name_the_field() {
        let e = err(
            r#"{"channels":[{"name":"jobs"}],"goroutines":[{"name":"a","behavior":{"consumer":{"from":"jobs"}}},{"name":"b","behavior":{"consumer":{"from":"jobs"}}},{"name":"p","behavior":{"producer":{"to":"jobs","interval":"fast"}}}]}"#,
        );
        assert_eq!(e, [r#"goroutines[2].behavior.producer.interval: expected a duration such as "150ms", got "fast""#]);
    }

    #[test]
    fn unknown_fields_are_errors() {
        let e = err(r#"{"channels":[{"name":"jobs","size":3}]}"#);
        assert!(e[0].starts_with("channels[0].size: unknown field `size`"), "{e:?}");
    }

    #[test]
    fn validation_reports_every_problem() {
        let e = err(
            r#"{"channels":[{"name":"jobs","capacity":2000000},{"name":"jobs"}],
                "goroutines":[{"name":"<img src=x onerror=alert(1)>","behavior":{"consumer":{"from":"nope"}}},
                              {"name":"p","count":0,"behavior":{"producer":{"to":"jobs","wg":"wg"}}}]}"#,
        );
        assert!(e.contains(&"channels[0].capacity: must be between 0 and 1000000, got 2000000".to_string()), "{e:#?}");
        assert!(e.contains(&"channels[1].name: duplicate channel name \"jobs\"".to_string()));
        assert!(e.iter().any(|m| m.starts_with("goroutines[0].name: expected a name")));
        assert!(e.contains(&"goroutines[0].behavior: no channel named \"nope\"".to_string()));
        assert!(e.contains(&"goroutines[1].count: must be between 1 and 2000, got 0".to_string()));
        assert!(e.contains(&"goroutines[1].behavior: no WaitGroup named \"wg\"".to_string()), "{e:#?}");
    }

    #[test]
    fn raw_program_problems_have_statement_paths() {
        let e = err(r#"{"channels":[{"name":"c"}],"goroutines":[{"name":"g","behavior":{"program":[{"send":"c"},{"recv":"d"}]}}]}"#);
        assert_eq!(e, [r#"goroutines[0].behavior.program[1]: no channel named "d""#]);
    }

    #[test]
    fn instance_names_must_be_unique_across_groups() {
        let e = err(
            r#"{"goroutines":[{"name":"a","count":2,"behavior":{"program":[{"sleep":"1s"}]}},
                              {"name":"a-1","behavior":{"program":[{"sleep":"1s"}]}}]}"#,
        );
        assert_eq!(e, [r#"goroutines[1].name: goroutine name "a-1" is taken by an instance of goroutines[0] ("a")"#]);
    }

    #[test]
    fn limits_are_enforced() {
        let e = err(r#"{"channels":[{"name":"c"}],"goroutines":[{"name":"g","count":2001,"behavior":{"consumer":{"from":"c"}}}]}"#);
        assert!(e.iter().any(|m| m.contains("at most 2000")), "{e:?}");
        assert!(err(&" ".repeat(limits::MAX_JSON_BYTES + 1))[0].contains("too large"));
    }

    #[test]
    fn timed_commands_must_be_in_order() {
        let e = err(
            r#"{"channels":[{"name":"c"}],"commands":[
                {"at":"2s","command":{"op":"close_channel","channel":"c"}},
                {"at":"1s","command":{"op":"set_capacity","channel":"c","capacity":1}}]}"#,
        );
        assert_eq!(e, ["commands[1].at: commands must be in time order: 1s comes after 2s"]);
    }

    #[test]
    fn round_trips_through_json() {
        let text = r#"{"seed":7,"channels":[{"name":"jobs","capacity":3}],"goroutines":[{"name":"p","count":2,"behavior":{"producer":{"to":"jobs","interval":{"exponential":{"mean":"10ms"}},"count":5}}}],"commands":[{"at":"1s","command":{"op":"set_capacity","channel":"jobs","capacity":5}}]}"#;
        let s = Scenario::from_json(text).unwrap();
        let again = Scenario::from_json(&s.to_json()).unwrap();
        assert_eq!(s, again);
    }
}
