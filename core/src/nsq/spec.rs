//! The scenario's `nsq` section: the nsqd nodes of the world and the
//! network latency between clients and nodes.
//!
//! ```json
//! "nsq": {
//!   "latency": "exp(250us)",
//!   "nsqd": [{ "name": "nsqd-1", "mem_queue_size": 10000, "msg_timeout": "60s",
//!              "topics": [{ "name": "events", "channels": ["archive", "metrics"] }] }]
//! }
//! ```
//!
//! Goroutines reach a node by name with the `publish` statement
//! (`{"publish": {"nsqd": "nsqd-1", "topic": "events"}}`).
//! Every option has nsqd's default; each one given is checked against
//! nsqd's own bounds.

use super::names::is_valid_name;
use super::client::config::ConsumerConfig;
use crate::dist::Dist;
use crate::scenario::Problem;
use crate::time::{echo, SimDuration};
use serde::{Deserialize, Serialize};

/// At most this many nsqd nodes in a world.
pub const MAX_NODES: usize = 32;

fn default_latency() -> Dist {
    Dist::Constant(SimDuration::from_micros(250))
}

/// The `nsq` section.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NsqSpec {
    /// One-way latency of each frame between a client and a node.
    #[serde(default = "default_latency")]
    pub latency: Dist,
    #[serde(default)]
    pub nsqd: Vec<NsqdSpec>,
    /// nsqlookupd instances: every nsqd registers its topics and channels
    /// with each; consumers that list them discover nodes through them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nsqlookupd: Vec<LookupdSpec>,
    /// go-nsq consumers: each subscribes to a topic's channel on its nodes
    /// and hands messages to its handler goroutines.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub consumers: Vec<ConsumerSpec>,
}

fn one() -> u64 {
    1
}
fn one_u32() -> u32 {
    1
}

/// One nsqlookupd.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LookupdSpec {
    pub name: String,
}

/// At most this many nsqlookupd instances in a world.
pub const MAX_LOOKUPDS: usize = 8;

/// A go-nsq `Consumer` with `AddConcurrentHandlers(handler, handlers)`,
/// connected to `nsqd` (`ConnectToNSQDs`) and/or discovering nodes through
/// `lookupd` (`ConnectToNSQLookupds`: go-nsq's polling).
///
/// A consumer that lists lookupds has a connection slot (and a reader
/// goroutine) for every node of the scenario: the listed ones first, then
/// the others in scenario order; a slot's connection opens only when the
/// library connects (a listed node at start, any node once a lookup names
/// it).
///
/// In the world it is Go, as in a Go program: an unbuffered channel
/// `<name>.incoming`, one reader goroutine per connection (`<name>.conn<i>`,
/// go-nsq's `conn.readLoop`, which pushes each message into `incoming`) and
/// `handlers` handler goroutines (`<name>.handler`: take a message, work,
/// `Finish()`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsumerSpec {
    pub name: String,
    pub topic: String,
    pub channel: String,
    /// The nodes it connects to (`ConnectToNSQDs`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nsqd: Vec<String>,
    /// The nsqlookupds it polls (`ConnectToNSQLookupds`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lookupd: Vec<String>,
    /// go-nsq's `MaxInFlight` (default 1), split over the connections.
    #[serde(default = "one")]
    pub max_in_flight: u64,
    /// Handler goroutines (default 1).
    #[serde(default = "one_u32")]
    pub handlers: u32,
    /// How long the handler works on a message.
    #[serde(default)]
    pub work: Dist,
    /// The share of handlings that return an error (0 to 1, default 0):
    /// go-nsq then REQs the message with its default delay and backs off.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub failure_rate: f64,
    /// Values the handler always fails on (a poison message): a
    /// publisher's values count 0, 1, 2... (labels `producer#3`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub poison: Vec<i64>,
    /// What the handler does with a message it fails on (default
    /// `requeue`): see [`OnFailure`].
    #[serde(default, skip_serializing_if = "OnFailure::is_default")]
    pub on_failure: OnFailure,
    /// go-nsq's `MaxAttempts` (default 5; 0 = unlimited): a message
    /// delivered more often is FINed without calling the handler.
    #[serde(default = "five")]
    pub max_attempts: u16,
    /// go-nsq's `DefaultRequeueDelay` (90s): a failed message's REQ delay
    /// is this times its attempts, at most `max_requeue_delay`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requeue_delay: Option<SimDuration>,
    /// go-nsq's `MaxRequeueDelay` (15m).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_requeue_delay: Option<SimDuration>,
    /// go-nsq's `BackoffMultiplier` (1s): backoff level n waits
    /// multiplier * 2^n.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff_multiplier: Option<SimDuration>,
    /// go-nsq's `MaxBackoffDuration` (2m).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_backoff_duration: Option<SimDuration>,
    /// The `msg_timeout` the consumer asks for in IDENTIFY (default:
    /// the node's `msg_timeout`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msg_timeout: Option<SimDuration>,
    /// The handler calls `msg.Touch()` this often while it works on a
    /// message (none by default): nsqd moves the message's deadline to
    /// now + msg_timeout (at most max-msg-timeout after its delivery).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub touch_every: Option<SimDuration>,
    /// go-nsq's `LookupdPollInterval` (60s): how often it asks a lookupd;
    /// without nsqlookupd, a lost connection is retried this often.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lookupd_poll_interval: Option<SimDuration>,
}

/// What a consumer's handler does with a message it fails on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnFailure {
    /// Returns an error: go-nsq's `Requeue(-1)`, REQ with the default
    /// delay and a backoff signal (the level rises, RDY 0 everywhere).
    #[default]
    Requeue,
    /// Calls `msg.RequeueWithoutBackoff(-1)`: REQ with the same delay and
    /// a continue signal (the backoff level stays as it is).
    RequeueWithoutBackoff,
}

impl OnFailure {
    fn is_default(&self) -> bool {
        *self == OnFailure::Requeue
    }
}

fn five() -> u16 {
    5
}
fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

/// Longest consumer name: its goroutines are `<name>.handler-<n>`, and
/// goroutine and channel names are at most 32 characters.
pub const MAX_CONSUMER_NAME: usize = 18;
/// At most this many poison values per consumer.
pub const MAX_POISON: usize = 64;
/// At most this many handler goroutines per consumer.
pub const MAX_HANDLERS: u32 = 256;

impl ConsumerSpec {
    /// The Go channel between its readers and its handlers.
    pub fn incoming(&self) -> String {
        format!("{}.incoming", self.name)
    }
    /// The reader goroutine of its `i`-th connection (from 1).
    pub fn reader(&self, i: usize) -> String {
        format!("{}.conn{i}", self.name)
    }
    /// Its handler goroutines' group.
    pub fn handler_group(&self) -> String {
        format!("{}.handler", self.name)
    }
    /// go-nsq's `Config` for it: go-nsq's defaults with this spec's values.
    pub fn config(&self) -> ConsumerConfig {
        let mut c = ConsumerConfig { max_in_flight: self.max_in_flight, max_attempts: self.max_attempts, ..ConsumerConfig::default() };
        if let Some(d) = self.requeue_delay {
            c.default_requeue_delay = d;
        }
        if let Some(d) = self.max_requeue_delay {
            c.max_requeue_delay = d;
        }
        if let Some(d) = self.backoff_multiplier {
            c.backoff_multiplier = d;
        }
        if let Some(d) = self.max_backoff_duration {
            c.max_backoff_duration = d;
        }
        if let Some(d) = self.msg_timeout {
            c.msg_timeout = d;
        }
        if let Some(d) = self.lookupd_poll_interval {
            c.lookupd_poll_interval = d;
        }
        c
    }
}

/// One nsqd node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NsqdSpec {
    pub name: String,
    /// When in-flight and deferred messages expire: `exact` (default: at
    /// their deadline) or `sampled` (nsqd's own `queueScanLoop`: a scan
    /// every 100 ms over the channels it listed at its last 5 s refresh).
    #[serde(default, skip_serializing_if = "Expiry::is_exact")]
    pub expiry: Expiry,
    /// Messages a topic or channel keeps in memory before the disk queue
    /// (nsqd `--mem-queue-size`, default 10000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mem_queue_size: Option<u64>,
    /// Default time a delivered message may stay in flight (nsqd
    /// `--msg-timeout`, default 60s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msg_timeout: Option<SimDuration>,
    /// Topics and channels an operator created before the run
    /// (nsqadmin's or the HTTP API's `/topic/create`, `/channel/create`):
    /// a published message goes into each channel that exists.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub topics: Vec<TopicSpec>,
}

/// How a node expires in-flight and deferred messages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expiry {
    /// At each deadline exactly (the model's default: easier to read).
    #[default]
    Exact,
    /// nsqd's real scan: every 100 ms (`scan-interval`), over the channel
    /// list it refreshes every 5 s (`scan-refresh-interval`); up to 20
    /// channels per pass (`scan-selection-count`), again at once while more
    /// than 25 % of them had expired messages (`scan-dirty-percent`).
    Sampled,
}

impl Expiry {
    fn is_exact(&self) -> bool {
        *self == Expiry::Exact
    }
}

/// A topic created at the start, with its channels.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicSpec {
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<String>,
}

/// At most this many topics per node, and channels per topic.
pub const MAX_TOPICS: usize = 64;

impl NsqdSpec {
    /// nsqd's options for this node: its defaults with this spec's values.
    pub fn options(&self) -> super::nsqd::NsqdOptions {
        let mut o = super::nsqd::NsqdOptions::default();
        if let Some(m) = self.mem_queue_size {
            o.mem_queue_size = m;
        }
        if let Some(t) = self.msg_timeout {
            o.msg_timeout = t;
        }
        o
    }
}

/// Largest `mem_queue_size` accepted (nsqd takes any int64; a world keeps
/// its queues in memory, so a bound keeps a link from asking for absurd
/// ones).
pub const MAX_MEM_QUEUE: u64 = 1_000_000;

impl NsqSpec {
    /// Every problem, with paths under `nsq`.
    pub fn problems(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        let mut push = |path: String, message: String| out.push(Problem { path, message });
        if let Err(m) = self.latency.check() {
            push("nsq.latency".into(), m);
        }
        if self.nsqd.len() > MAX_NODES {
            push("nsq.nsqd".into(), format!("at most {MAX_NODES} nodes, got {}", self.nsqd.len()));
        }
        if self.nsqlookupd.len() > MAX_LOOKUPDS {
            push("nsq.nsqlookupd".into(), format!("at most {MAX_LOOKUPDS} nsqlookupd, got {}", self.nsqlookupd.len()));
        }
        for (i, l) in self.nsqlookupd.iter().enumerate() {
            if !is_valid_name(&l.name) || l.name.ends_with("#ephemeral") {
                push(
                    format!("nsq.nsqlookupd[{i}].name"),
                    format!("a lookupd name is 1-64 letters, digits, '.', '_' or '-', got {}", echo(&l.name)),
                );
            } else if self.nsqlookupd[..i].iter().any(|m| m.name == l.name) || self.node(&l.name).is_some() {
                push(format!("nsq.nsqlookupd[{i}].name"), format!("duplicate node name {} (nsqd and nsqlookupd names are unique)", echo(&l.name)));
            }
        }
        let defaults = super::nsqd::NsqdOptions::default();
        for (i, n) in self.nsqd.iter().enumerate() {
            if !is_valid_name(&n.name) || n.name.ends_with("#ephemeral") {
                push(
                    format!("nsq.nsqd[{i}].name"),
                    format!("a node name is 1-64 letters, digits, '.', '_' or '-', got {}", echo(&n.name)),
                );
            } else if self.nsqd[..i].iter().any(|m| m.name == n.name) {
                push(format!("nsq.nsqd[{i}].name"), format!("duplicate node name {}", echo(&n.name)));
            }
            if let Some(m) = n.mem_queue_size {
                if m > MAX_MEM_QUEUE {
                    push(format!("nsq.nsqd[{i}].mem_queue_size"), format!("at most {MAX_MEM_QUEUE}, got {m}"));
                }
            }
            if n.topics.len() > MAX_TOPICS {
                push(format!("nsq.nsqd[{i}].topics"), format!("at most {MAX_TOPICS} topics, got {}", n.topics.len()));
            }
            for (j, t) in n.topics.iter().enumerate() {
                if let Err(e) = super::names::check_topic_name(&t.name) {
                    push(format!("nsq.nsqd[{i}].topics[{j}].name"), e.to_string());
                } else if n.topics[..j].iter().any(|u| u.name == t.name) {
                    push(format!("nsq.nsqd[{i}].topics[{j}].name"), format!("duplicate topic name {}", echo(&t.name)));
                }
                if t.channels.len() > MAX_TOPICS {
                    push(format!("nsq.nsqd[{i}].topics[{j}].channels"), format!("at most {MAX_TOPICS} channels, got {}", t.channels.len()));
                }
                for (k, c) in t.channels.iter().enumerate() {
                    if let Err(e) = super::names::check_channel_name(c) {
                        push(format!("nsq.nsqd[{i}].topics[{j}].channels[{k}]"), e.to_string());
                    } else if t.channels[..k].contains(c) {
                        push(format!("nsq.nsqd[{i}].topics[{j}].channels[{k}]"), format!("duplicate channel name {}", echo(c)));
                    }
                }
            }
            if let Some(t) = n.msg_timeout {
                if t < SimDuration::from_millis(1) || t > defaults.max_msg_timeout {
                    push(
                        format!("nsq.nsqd[{i}].msg_timeout"),
                        format!("must be between 1ms and {} (nsqd's max-msg-timeout), got {t}", defaults.max_msg_timeout),
                    );
                }
            }
        }
        for (i, c) in self.consumers.iter().enumerate() {
            let base = format!("nsq.consumers[{i}]");
            if c.name.is_empty() || c.name.len() > MAX_CONSUMER_NAME || !c.name.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-') {
                push(format!("{base}.name"), format!("a consumer name is 1-{MAX_CONSUMER_NAME} letters, digits, '_' or '-', got {}", echo(&c.name)));
            } else if self.consumers[..i].iter().any(|d| d.name == c.name) {
                push(format!("{base}.name"), format!("duplicate consumer name {}", echo(&c.name)));
            }
            if let Err(e) = super::names::check_topic_name(&c.topic) {
                push(format!("{base}.topic"), e.to_string());
            }
            if let Err(e) = super::names::check_channel_name(&c.channel) {
                push(format!("{base}.channel"), e.to_string());
            }
            if c.nsqd.is_empty() && c.lookupd.is_empty() {
                push(format!("{base}.nsqd"), "a consumer needs nodes: list some in nsqd, or nsqlookupd names in lookupd".into());
            }
            if c.nsqd.len() > MAX_NODES {
                push(format!("{base}.nsqd"), format!("at most {MAX_NODES} node names, got {}", c.nsqd.len()));
            }
            if c.lookupd.len() > MAX_LOOKUPDS {
                push(format!("{base}.lookupd"), format!("at most {MAX_LOOKUPDS} lookupd names, got {}", c.lookupd.len()));
            }
            for (j, l) in c.lookupd.iter().enumerate() {
                if self.lookupd(l).is_none() {
                    push(format!("{base}.lookupd[{j}]"), format!("no nsqlookupd named {} (nsq.nsqlookupd lists them)", echo(l)));
                } else if c.lookupd[..j].contains(l) {
                    push(format!("{base}.lookupd[{j}]"), format!("{} is listed twice", echo(l)));
                }
            }
            for (j, n) in c.nsqd.iter().enumerate() {
                if self.node(n).is_none() {
                    push(format!("{base}.nsqd[{j}]"), format!("no nsqd named {} (nsq.nsqd lists the nodes)", echo(n)));
                } else if c.nsqd[..j].contains(n) {
                    push(format!("{base}.nsqd[{j}]"), format!("{} is listed twice", echo(n)));
                }
            }
            if c.max_in_flight > defaults.max_rdy_count {
                push(format!("{base}.max_in_flight"), format!("at most {} (nsqd's max-rdy-count), got {}", defaults.max_rdy_count, c.max_in_flight));
            }
            if let Err(m) = c.work.check() {
                push(format!("{base}.work"), m);
            }
            if !(0.0..=1.0).contains(&c.failure_rate) {
                push(format!("{base}.failure_rate"), format!("a share between 0 and 1, got {}", c.failure_rate));
            }
            if c.poison.len() > MAX_POISON {
                push(format!("{base}.poison"), format!("at most {MAX_POISON} values, got {}", c.poison.len()));
            }
            let hour = SimDuration::from_secs(3600);
            for (field, v) in [
                ("requeue_delay", c.requeue_delay),
                ("max_requeue_delay", c.max_requeue_delay),
                ("backoff_multiplier", c.backoff_multiplier),
                ("max_backoff_duration", c.max_backoff_duration),
            ] {
                if v.is_some_and(|v| v > hour) {
                    push(format!("{base}.{field}"), format!("at most 1h (go-nsq's bound), got {}", v.unwrap_or_default()));
                }
            }
            if c.touch_every.is_some_and(|t| t < SimDuration::from_millis(1)) {
                push(format!("{base}.touch_every"), "at least 1ms".into());
            }
            if let Some(t) = c.lookupd_poll_interval {
                if t < SimDuration::from_millis(10) || t > SimDuration::from_secs(300) {
                    push(format!("{base}.lookupd_poll_interval"), format!("must be between 10ms and 5m (go-nsq's bounds), got {t}"));
                }
            }
            if let Some(t) = c.msg_timeout {
                if t < SimDuration::from_millis(1) || t > defaults.max_msg_timeout {
                    push(format!("{base}.msg_timeout"), format!("must be between 1ms and {} (nsqd's max-msg-timeout), got {t}", defaults.max_msg_timeout));
                }
            }
            if c.handlers == 0 || c.handlers > MAX_HANDLERS {
                push(format!("{base}.handlers"), format!("between 1 and {MAX_HANDLERS}, got {}", c.handlers));
            }
        }
        out
    }

    /// Every connection of every consumer, in order: (consumer, node).
    pub fn connections(&self) -> Vec<(usize, u32)> {
        self.consumers
            .iter()
            .enumerate()
            .flat_map(|(i, c)| self.consumer_nodes(c).into_iter().map(move |n| (i, n)))
            .collect()
    }

    /// The nodes of `c`'s connection slots, in order: its `nsqd` list, then
    /// (if it uses lookupd) every other node of the scenario.
    pub fn consumer_nodes(&self, c: &ConsumerSpec) -> Vec<u32> {
        let mut nodes: Vec<u32> = c.nsqd.iter().filter_map(|n| self.node(n)).collect();
        if !c.lookupd.is_empty() {
            for n in 0..self.nsqd.len() as u32 {
                if !nodes.contains(&n) {
                    nodes.push(n);
                }
            }
        }
        nodes
    }

    /// The index of nsqlookupd `name`.
    pub fn lookupd(&self, name: &str) -> Option<u32> {
        self.nsqlookupd.iter().position(|n| n.name == name).map(|i| i as u32)
    }

    /// The index of node `name`.
    pub fn node(&self, name: &str) -> Option<u32> {
        self.nsqd.iter().position(|n| n.name == name).map(|i| i as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_problems() {
        let s: NsqSpec = serde_json::from_str(r#"{"nsqd": [{"name": "nsqd-1"}, {"name": "nsqd-1", "msg_timeout": "1h"}, {"name": "a#ephemeral"}]}"#).unwrap();
        assert_eq!(s.latency, Dist::Constant(SimDuration::from_micros(250)));
        let p: Vec<String> = s.problems().iter().map(|p| p.to_string()).collect();
        assert_eq!(p.len(), 3, "{p:?}");
        assert!(p[0].starts_with("nsq.nsqd[1].name: duplicate node name"));
        assert!(p[1].starts_with("nsq.nsqd[1].msg_timeout: must be between 1ms and 15m"), "{}", p[1]);
        assert!(p[2].starts_with("nsq.nsqd[2].name: a node name"));
        assert_eq!(s.node("nsqd-1"), Some(0));
        assert_eq!(s.nsqd[0].options().mem_queue_size, 10_000);
        assert!(serde_json::from_str::<NsqSpec>(r#"{"nodes": []}"#).is_err(), "unknown fields are refused");
    }

    #[test]
    fn lookupd_consumers() {
        let s: NsqSpec = serde_json::from_str(
            r#"{"nsqd": [{"name": "a"}, {"name": "b"}, {"name": "c"}],
                "nsqlookupd": [{"name": "l1"}, {"name": "l2"}],
                "consumers": [
                  {"name": "w", "topic": "t", "channel": "x", "lookupd": ["l1", "l2"]},
                  {"name": "v", "topic": "t", "channel": "y", "nsqd": ["b"], "lookupd": ["l2"]},
                  {"name": "u", "topic": "t", "channel": "z", "nsqd": ["c"]}]}"#,
        )
        .unwrap();
        assert!(s.problems().is_empty(), "{:?}", s.problems());
        assert_eq!(s.lookupd("l2"), Some(1));
        // A lookupd consumer has a slot per node, its listed ones first.
        assert_eq!(s.consumer_nodes(&s.consumers[0]), vec![0, 1, 2]);
        assert_eq!(s.consumer_nodes(&s.consumers[1]), vec![1, 0, 2]);
        assert_eq!(s.consumer_nodes(&s.consumers[2]), vec![2]);
        assert_eq!(s.connections().len(), 7);
        // Round trip: empty lists are left out, defaults come back.
        let back: NsqSpec = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(back, s);
        assert!(!serde_json::to_string(&s.consumers[0]).unwrap().contains("\"nsqd\""));

        let bad: NsqSpec = serde_json::from_str(
            r#"{"nsqd": [{"name": "a"}],
                "nsqlookupd": [{"name": "a"}, {"name": "l"}, {"name": "l"}, {"name": "bad name"}],
                "consumers": [
                  {"name": "w", "topic": "t", "channel": "x"},
                  {"name": "v", "topic": "t", "channel": "y", "lookupd": ["l", "nope", "l"]}]}"#,
        )
        .unwrap();
        let p: Vec<String> = bad.problems().iter().map(|p| p.to_string()).collect();
        assert_eq!(p.len(), 6, "{p:?}");
        assert!(p[0].starts_with("nsq.nsqlookupd[0].name: duplicate node name"), "{}", p[0]);
        assert!(p[1].starts_with("nsq.nsqlookupd[2].name: duplicate node name"), "{}", p[1]);
        assert!(p[2].starts_with("nsq.nsqlookupd[3].name: a lookupd name"), "{}", p[2]);
        assert!(p[3].starts_with("nsq.consumers[0].nsqd: a consumer needs nodes"), "{}", p[3]);
        assert!(p[4].starts_with("nsq.consumers[1].lookupd[1]: no nsqlookupd named"), "{}", p[4]);
        assert!(p[5].starts_with("nsq.consumers[1].lookupd[2]: "), "{}", p[5]);
        let nine = (0..9).map(|i| format!(r#"{{"name": "l{i}"}}"#)).collect::<Vec<_>>().join(",");
        let many: NsqSpec = serde_json::from_str(&format!(r#"{{"nsqlookupd": [{nine}]}}"#)).unwrap();
        assert!(many.problems()[0].to_string().starts_with("nsq.nsqlookupd: at most 8"));
        assert!(serde_json::from_str::<NsqSpec>(r#"{"nsqlookupd": [{"name": "l", "port": 4160}]}"#).is_err());
    }
}
