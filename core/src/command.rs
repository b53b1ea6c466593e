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
///
/// The `op` form is serde's internally tagged one, read and written by
/// [`op_tag`](crate::op_tag) around the derived externally tagged code
/// (`remote = "Self"`): serde's own `tag = "op"` compiles every deserializer
/// a command reaches twice.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    /// Adds a new goroutine group (a group name that exists is refused:
    /// use `set_count` for more instances of an existing group).
    AddGoroutine { spec: GoroutineSpec },
    /// Removes one goroutine instance: its parked operation is withdrawn and
    /// a value it held is reported as dropped.
    RemoveGoroutine { goroutine: String },
    /// Sets the number of instances of a group, 0 to 2000 (adds or removes
    /// the newest; at 0 the group stays, with no running instances).
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
    /// Makes a new channel (`make(chan T, capacity)`), for goroutines added
    /// later to use. A name that exists is refused.
    AddChannel {
        name: String,
        #[serde(default)]
        capacity: u32,
    },
    /// `close(ch)` from outside any goroutine (a double close is refused).
    CloseChannel { channel: String },
    /// Stops a goroutine before its next operation (a parked operation may
    /// still complete).
    Pause { goroutine: String },
    Resume { goroutine: String },
    /// nsqd `nsqd` crashes (kill -9, power loss): its memory queues, in
    /// flight and deferred messages and its unsynced disk writes are lost;
    /// its connections close.
    #[cfg_attr(not(feature = "nsq"), serde(skip))]
    NsqdCrash { nsqd: String },
    /// nsqd `nsqd` stops cleanly (SIGTERM): memory, in-flight and deferred
    /// messages are written to disk (deferred ones lose their delay); its
    /// connections close.
    #[cfg_attr(not(feature = "nsq"), serde(skip))]
    NsqdStop { nsqd: String },
    /// A crashed or stopped nsqd starts again with what its disk holds.
    #[cfg_attr(not(feature = "nsq"), serde(skip))]
    NsqdRestart { nsqd: String },
    /// nsqlookupd `nsqlookupd` crashes (or stops: it keeps nothing on
    /// disk): it forgets every registration and refuses lookups; nodes
    /// notice at their next command to it.
    #[cfg_attr(not(feature = "nsq"), serde(skip))]
    NsqlookupdCrash { nsqlookupd: String },
    /// A crashed nsqlookupd starts again, empty; the nodes register again.
    #[cfg_attr(not(feature = "nsq"), serde(skip))]
    NsqlookupdRestart { nsqlookupd: String },
    /// An operator action on a topic, or on one of its channels
    /// (nsqadmin's buttons, nsqd's HTTP API).
    #[cfg_attr(not(feature = "nsq"), serde(skip))]
    Nsq {
        action: NsqAction,
        nsqd: String,
        topic: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        channel: Option<String>,
    },
    /// A go-nsq consumer's process crashes: its connections close at once,
    /// its goroutines are gone, and the messages it had in flight wait for
    /// their msg timeout at the nodes.
    #[cfg_attr(not(feature = "nsq"), serde(skip))]
    ConsumerCrash { consumer: String },
    /// go-nsq's `Stop()`: CLS on every connection, in-flight messages are
    /// finished, then the connections close and the handlers return.
    #[cfg_attr(not(feature = "nsq"), serde(skip))]
    ConsumerStop { consumer: String },
    /// A crashed or stopped consumer starts again: a new process with the
    /// same settings connects and subscribes.
    #[cfg_attr(not(feature = "nsq"), serde(skip))]
    ConsumerStart { consumer: String },
    /// Changes a consumer's `max_in_flight` (go-nsq `ChangeMaxInFlight`)
    /// and/or its handler's failure rate, live.
    #[cfg_attr(not(feature = "nsq"), serde(skip))]
    SetConsumer {
        consumer: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_in_flight: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        failure_rate: Option<f64>,
    },
    /// Cuts the network between a client (a consumer, or a publishing
    /// goroutine) and nsqd: frames wait, nobody is told.
    #[cfg_attr(not(feature = "nsq"), serde(skip))]
    CutLink { client: String, nsqd: String },
    /// Heals a cut: waiting frames move on.
    #[cfg_attr(not(feature = "nsq"), serde(skip))]
    HealLink { client: String, nsqd: String },
    /// nsqadmin's "tombstone topic producer": every nsqlookupd hides nsqd
    /// `nsqd` from `/lookup?topic=<topic>` for its tombstone lifetime
    /// (45 s), so consumers polling lookupd do not discover that node for
    /// that topic meanwhile (their existing connections stay).
    #[cfg_attr(not(feature = "nsq"), serde(skip))]
    NsqTombstone { topic: String, nsqd: String },
    /// Kafka broker `broker` (its number, 1 to n) crashes: its connections
    /// close and requests in flight to it fail; when its session times out
    /// (`broker_session_timeout`) the controller fences it and elects new
    /// leaders for the partitions it led.
    #[cfg_attr(not(feature = "kafka"), serde(skip))]
    KafkaBrokerCrash { broker: u32 },
    /// Kafka broker `broker` shuts down cleanly (SIGTERM, with
    /// `controlled.shutdown.enable`, Kafka's default): the controller moves
    /// the leaderships it holds to other in-sync replicas and takes it out
    /// of every ISR first, then it stops. No window without a leader.
    #[cfg_attr(not(feature = "kafka"), serde(skip))]
    KafkaBrokerStop { broker: u32 },
    /// A crashed Kafka broker starts again: each of its replicas truncates
    /// to the high watermark and catches up from the leader.
    #[cfg_attr(not(feature = "kafka"), serde(skip))]
    KafkaBrokerRestart { broker: u32 },
    /// A consumer group member's process: `crash` (no more heartbeats or
    /// commits; what it marked since its last commit is reprocessed by the
    /// next owner), `leave` (`Close()`: final commit, LeaveGroup) or
    /// `start` (a new process joins). `member` counts from 1.
    #[cfg_attr(not(feature = "kafka"), serde(skip))]
    KafkaMember { group: String, member: u32, action: KafkaMemberAction },
    /// Changes a topic's retention (`retention.ms` and/or
    /// `retention.bytes`, as `kafka-configs.sh --alter` does); it applies
    /// at the brokers' next retention check.
    #[cfg_attr(not(feature = "kafka"), serde(skip))]
    KafkaRetention {
        topic: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retention: Option<SimDuration>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retention_bytes: Option<u64>,
    },
    /// Changes a producer's `RequiredAcks` for its next requests.
    #[cfg_attr(not(feature = "kafka"), serde(skip))]
    KafkaAcks { producer: String, acks: crate::kafka::spec::AcksSpec },
    /// Changes an async producer's `Flush` settings (all of them: a field
    /// left out is 0) and, if given, `Net.MaxOpenRequests`, from now on:
    /// what waits in its batches goes as the new settings say.
    #[cfg_attr(not(feature = "kafka"), serde(skip))]
    KafkaFlush {
        producer: String,
        #[serde(default)]
        flush: crate::kafka::spec::FlushSpec,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_open_requests: Option<u32>,
    },
    /// Changes the work time of a consumer group's handler
    /// (`ConsumeClaim`'s processing of each message) in every member, or
    /// with `member` (from 1) in that member only (a slow consumer), live:
    /// a handler busy with a record finishes it at the old pace, the next
    /// records take `work`.
    #[cfg_attr(not(feature = "kafka"), serde(skip))]
    KafkaGroupWork {
        group: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        member: Option<u32>,
        work: Dist,
    },
    /// Cuts the network between two Kafka processes, both directions: a
    /// broker (`broker-N`) and another broker, a producer, a partition
    /// consumer or a group member (by name). Frames wait on the cut, and
    /// nobody is told: a follower cut from its leader stops copying and
    /// leaves the ISR after `replica.lag.time.max.ms`; a member cut from
    /// its coordinator misses heartbeats and is removed after the session
    /// timeout; a producer's request waits.
    #[cfg_attr(not(feature = "kafka"), serde(skip))]
    KafkaCutLink { a: String, b: String },
    /// Heals a cut: the waiting frames move on.
    #[cfg_attr(not(feature = "kafka"), serde(skip))]
    KafkaHealLink { a: String, b: String },
    /// Switches a consumer group's balance strategy
    /// (`Consumer.Group.Rebalance.Strategy`); it applies at the group's
    /// next rebalance (the current assignment stays).
    #[cfg_attr(not(feature = "kafka"), serde(skip))]
    KafkaAssignor { group: String, assignor: crate::kafka::spec::AssignorSpec },
    /// `kafka-topics.sh --alter --partitions N`: the topic gets more
    /// partitions (`partitions` is the new count; Kafka never removes
    /// any). Producers spread over them from their next record (keys move:
    /// `hash mod n`), groups reading the topic rebalance; partition
    /// consumers keep the partitions they had.
    #[cfg_attr(not(feature = "kafka"), serde(skip))]
    KafkaAddPartitions { topic: String, partitions: u32 },
}

/// What happens to a group member.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KafkaMemberAction {
    Crash,
    Leave,
    Start,
}

impl KafkaMemberAction {
    /// Its JSON name.
    pub fn name(self) -> &'static str {
        match self {
            KafkaMemberAction::Crash => "crash",
            KafkaMemberAction::Leave => "leave",
            KafkaMemberAction::Start => "start",
        }
    }
}

/// nsqadmin's actions on a topic or channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NsqAction {
    /// Create it (`/topic/create`, `/channel/create`).
    Create,
    /// Stop delivery (channel) or the fan-out to channels (topic).
    Pause,
    Unpause,
    /// Drop every queued message (a channel also drops its in-flight and
    /// deferred ones).
    Empty,
    /// Delete it with its messages; its consumers are disconnected.
    Delete,
}

impl NsqAction {
    fn verb(self) -> &'static str {
        match self {
            NsqAction::Create => "created",
            NsqAction::Pause => "paused",
            NsqAction::Unpause => "unpaused",
            NsqAction::Empty => "emptied",
            NsqAction::Delete => "deleted",
        }
    }
}

impl Serialize for Command {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        crate::op_tag::serialize(self, serializer, Command::serialize)
    }
}

impl<'de> Deserialize<'de> for Command {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        crate::op_tag::deserialize(deserializer, "a command object such as {\"op\": \"pause\", \"goroutine\": \"worker-1\"}", |t: crate::op_tag::Tagged<'_>| {
            if let Some(missing) = missing_system(t.op()) {
                return Err(serde::de::Error::custom(missing));
            }
            Command::deserialize(t)
        })
    }
}

/// The ops of NSQ's commands (Kafka's all start with `kafka_`).
pub(crate) const NSQ_OPS: [&str; 13] = [
    "nsqd_crash", "nsqd_stop", "nsqd_restart", "nsqlookupd_crash", "nsqlookupd_restart", "nsq", "consumer_crash", "consumer_stop", "consumer_start",
    "set_consumer", "cut_link", "heal_link", "nsq_tombstone",
];

/// The system `op` belongs to, when this build lacks it: a build without
/// NSQ or Kafka leaves that system's commands out of its parser
/// (`serde(skip)` on their variants: a module that cannot run them carries
/// no code to read them), and refuses them with the gate's message.
fn missing_system(op: &str) -> Option<crate::gate::Missing> {
    use crate::gate::{has, Kafka, Missing, Nsq, System};
    if !has::<Nsq>() && NSQ_OPS.contains(&op) {
        return Some(Missing(Nsq::NAME));
    }
    if !has::<Kafka>() && op.starts_with("kafka_") {
        return Some(Missing(Kafka::NAME));
    }
    None
}

impl Command {
    /// Parses one command from JSON text; `Err` is serde's message, without
    /// the position (the text is usually JSON a program made, not a file).
    ///
    /// It goes through `serde_json`'s deserializer over a `&str`, exactly
    /// as [`Scenario::from_json`](crate::scenario::Scenario::from_json)
    /// reads the commands of a scenario, so both share one compiled copy of
    /// every command's deserializer (a second path cost the wasm module
    /// about a tenth of its code). Nothing may follow the command.
    pub fn from_json(text: &str) -> Result<Command, String> {
        let strip = |e: serde_json::Error| {
            let message = e.to_string();
            let suffix = format!(" at line {} column {}", e.line(), e.column());
            message.strip_suffix(&suffix).map(str::to_owned).unwrap_or(message)
        };
        let de = &mut serde_json::Deserializer::from_str(text);
        let command = <Command as Deserialize>::deserialize(&mut *de).map_err(strip)?;
        de.end().map_err(strip)?;
        Ok(command)
    }

    /// What the command does, in a few plain words ("capacity of jobs set
    /// to 50"): the label of its mark on the timeline.
    pub fn summary(&self) -> String {
        match self {
            Command::AddGoroutine { spec } => format!("added {}", echo(&spec.name)),
            Command::RemoveGoroutine { goroutine } => format!("removed {}", echo(goroutine)),
            Command::SetCount { group, count } => format!("{} set to {count} running", echo(group)),
            Command::SetRates { group, .. } => format!("rates of {} changed", echo(group)),
            Command::SetCapacity { channel, capacity } => format!("capacity of {} set to {capacity}", echo(channel)),
            Command::AddChannel { name, capacity } => format!("added channel {} (capacity {capacity})", echo(name)),
            Command::CloseChannel { channel } => format!("closed {}", echo(channel)),
            Command::Pause { goroutine } => format!("paused {}", echo(goroutine)),
            Command::Resume { goroutine } => format!("resumed {}", echo(goroutine)),
            Command::NsqdCrash { nsqd } => format!("{} crashed", echo(nsqd)),
            Command::NsqdStop { nsqd } => format!("{} stopped", echo(nsqd)),
            Command::NsqdRestart { nsqd } => format!("{} restarted", echo(nsqd)),
            Command::NsqlookupdCrash { nsqlookupd } => format!("{} crashed", echo(nsqlookupd)),
            Command::NsqlookupdRestart { nsqlookupd } => format!("{} restarted", echo(nsqlookupd)),
            Command::Nsq { action, nsqd, topic, channel } => match channel {
                Some(c) => format!("{} {}/{} on {}", action.verb(), echo(topic), echo(c), echo(nsqd)),
                None => format!("{} topic {} on {}", action.verb(), echo(topic), echo(nsqd)),
            },
            Command::ConsumerCrash { consumer } => format!("consumer {} crashed", echo(consumer)),
            Command::ConsumerStop { consumer } => format!("consumer {} stopped", echo(consumer)),
            Command::ConsumerStart { consumer } => format!("consumer {} started", echo(consumer)),
            Command::SetConsumer { consumer, .. } => format!("consumer {} changed", echo(consumer)),
            Command::CutLink { client, nsqd } => format!("link {} - {} cut", echo(client), echo(nsqd)),
            Command::HealLink { client, nsqd } => format!("link {} - {} healed", echo(client), echo(nsqd)),
            Command::NsqTombstone { topic, nsqd } => format!("topic {} tombstoned on {}", echo(topic), echo(nsqd)),
            Command::KafkaBrokerCrash { broker } => format!("broker-{broker} crashed"),
            Command::KafkaBrokerStop { broker } => format!("broker-{broker} shut down"),
            Command::KafkaBrokerRestart { broker } => format!("broker-{broker} restarted"),
            Command::KafkaMember { group, member, action } => format!("{}-{member}: {}", echo(group), action.name()),
            Command::KafkaRetention { topic, retention, retention_bytes } => format!(
                "topic {} retention set to {}{}",
                echo(topic),
                retention.map_or("unchanged".to_string(), |d| d.to_string()),
                retention_bytes.map_or(String::new(), |b| format!(", {b} bytes"))
            ),
            Command::KafkaAcks { producer, acks } => format!("producer {} now uses {}", echo(producer), acks.sarama()),
            Command::KafkaFlush { producer, flush, max_open_requests } => {
                let open = max_open_requests.map_or(String::new(), |n| format!(" and {n} open requests"));
                format!("producer {} now flushes {}{open}", echo(producer), flush.triggers())
            }
            Command::KafkaGroupWork { group, member: None, work } => format!("handler of group {} now takes {work}", echo(group)),
            Command::KafkaGroupWork { group, member: Some(m), work } => format!("handler of {}-{m} now takes {work}", echo(group)),
            Command::KafkaCutLink { a, b } => format!("link {} - {} cut", echo(a), echo(b)),
            Command::KafkaHealLink { a, b } => format!("link {} - {} healed", echo(a), echo(b)),
            Command::KafkaAssignor { group, assignor } => format!("group {} uses {} from its next rebalance", echo(group), assignor.sarama()),
            Command::KafkaAddPartitions { topic, partitions } => format!("topic {} now has {partitions} partitions", echo(topic)),
        }
    }

    /// Whether the command acts on the Kafka part of a world.
    pub fn is_kafka(&self) -> bool {
        matches!(
            self,
            Command::KafkaBrokerCrash { .. } | Command::KafkaBrokerStop { .. } | Command::KafkaBrokerRestart { .. } | Command::KafkaMember { .. } | Command::KafkaRetention { .. } | Command::KafkaAcks { .. } | Command::KafkaFlush { .. }
                | Command::KafkaGroupWork { .. }
                | Command::KafkaCutLink { .. }
                | Command::KafkaHealLink { .. }
                | Command::KafkaAssignor { .. }
                | Command::KafkaAddPartitions { .. }
        )
    }

    /// Whether the command acts on the NSQ part of a world.
    pub fn is_nsq(&self) -> bool {
        matches!(
            self,
            Command::NsqdCrash { .. }
                | Command::NsqdStop { .. }
                | Command::NsqdRestart { .. }
                | Command::NsqlookupdCrash { .. }
                | Command::NsqlookupdRestart { .. }
                | Command::Nsq { .. }
                | Command::ConsumerCrash { .. }
                | Command::ConsumerStop { .. }
                | Command::ConsumerStart { .. }
                | Command::SetConsumer { .. }
                | Command::CutLink { .. }
                | Command::HealLink { .. }
                | Command::NsqTombstone { .. }
        )
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::SimTime;
    use crate::world::World;

    const JOBS: &str = r#"{"seed":5,"channels":[{"name":"jobs","capacity":2}],
        "goroutines":[
          {"name":"p","behavior":{"producer":{"to":"jobs","interval":{"exponential":{"mean":"3ms"}}}}},
          {"name":"c","count":2,"behavior":{"consumer":{"from":"jobs","work":{"exponential":{"mean":"5ms"}}}}}]}"#;

    #[test]
    fn a_member_command_summary_keeps_the_group_name_as_written() {
        let c = Command::KafkaMember { group: "Workers".into(), member: 2, action: KafkaMemberAction::Crash };
        assert_eq!(c.summary(), r#""Workers"-2: crash"#);
        for a in [KafkaMemberAction::Crash, KafkaMemberAction::Leave, KafkaMemberAction::Start] {
            assert_eq!(serde_json::to_string(&a).unwrap(), format!("\"{}\"", a.name()));
        }
    }

    #[test]
    fn from_json_reads_one_command_and_says_what_is_wrong_without_a_position() {
        let c = Command::from_json(r#"{"op":"set_capacity","channel":"jobs","capacity":5}"#).unwrap();
        assert_eq!(c, Command::SetCapacity { channel: "jobs".into(), capacity: 5 });
        // The same value as serde_json's own reading.
        let text = r#"{"op":"add_goroutine","spec":{"name":"x","behavior":{"consumer":{"from":"jobs"}}}}"#;
        assert_eq!(Command::from_json(text).unwrap(), serde_json::from_str::<Command>(text).unwrap());
        for (text, want) in [
            (r#"{"op":"explode"}"#, "unknown variant `explode`"),
            (r#"{"op":"set_capacity","channel":"jobs","capacity":5,"extra":1}"#, "unknown field `extra`"),
            (r#"{"op":"set_capacity","channel":"jobs"}"#, "missing field `capacity`"),
            (r#"{"op":"pause","goroutine":"a"} {"op":"pause","goroutine":"b"}"#, "trailing characters"),
            (r#"{"op":"pause""#, "EOF while parsing"),
        ] {
            let e = Command::from_json(text).unwrap_err();
            assert!(e.starts_with(want), "{text}: {e}");
            assert!(!e.contains(" at line "), "{text}: no position in {e}");
        }
    }

    fn names(w: &World) -> Vec<String> {
        w.snapshot().goroutines.iter().map(|g| g.name.clone()).collect()
    }

    #[test]
    fn set_count_zero_keeps_the_group_with_no_instances_and_replays() {
        let mut w = World::from_json(JOBS).unwrap();
        w.run_until(SimTime::from_micros(20_000));
        w.apply(&Command::SetCount { group: "c".into(), count: 0 }).unwrap();
        assert_eq!(names(&w), ["p"]);
        let c = w.snapshot().groups.into_iter().find(|g| g.name == "c").expect("the group stays");
        assert_eq!(c.count, 0);
        // (With no consumer the producer soon fills the buffer and Go's
        // deadlock ends the run: bring them back at once.)
        // Back up: new instances take the next free numbers.
        w.apply(&Command::SetCount { group: "c".into(), count: 2 }).unwrap();
        assert_eq!(names(&w), ["p", "c-3", "c-4"]);
        w.run_until(SimTime::from_micros(100_000));
        let mut replay = World::from_json(&w.scenario_with_log().to_json()).unwrap();
        replay.run_until(SimTime::from_micros(100_000));
        assert_eq!(replay.trace_hash(), w.trace_hash());
    }

    #[test]
    fn set_count_refuses_above_the_limit_and_says_the_range_it_takes() {
        let mut w = World::from_json(JOBS).unwrap();
        let e = w.apply(&Command::SetCount { group: "c".into(), count: 2001 }).unwrap_err();
        assert_eq!(e.to_string(), "count must be between 0 and 2000, got 2001");
    }

    #[test]
    fn a_rate_beyond_the_horizon_is_too_large_not_malformed() {
        for text in ["9999999999999h", "exp(9999999999999h)", "uniform(1ms..9999999999999h)"] {
            let json = format!(r#"{{"op":"set_rates","group":"p","interval":"{text}"}}"#);
            let e = serde_json::from_str::<Command>(&json).unwrap_err().to_string();
            assert!(e.contains("duration too large"), "{text}: {e}");
            assert!(e.contains("longer than 100 years (876000h)"), "{text}: {e}");
            assert!(!e.contains("expected a duration"), "{text}: {e}");
        }
    }
}
