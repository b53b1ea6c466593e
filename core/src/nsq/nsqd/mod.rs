//! The nsqd server model: [`topic::Topic`] and [`channel::Channel`] as plain
//! state machines in the style of nsqd's `topic.go` / `channel.go`, over a
//! [`backend::Backend`] (memory + disk queue) and the timed sets of
//! [`in_flight`].
//!
//! # Semantics (what nsqd does)
//! - A topic copies every message to each of its channels (a fresh copy per
//!   channel, same id and timestamp). With no channels, or paused, it keeps
//!   its backlog; the first channel created receives all of it, later ones
//!   only new messages; an unpaused topic hands its backlog to every channel.
//! - A consumer is eligible iff the channel is not paused, `rdy > 0` and
//!   `in_flight < rdy` (RDY is a window). A delivery increments `attempts`
//!   and puts the copy in flight until `now + msg_timeout`.
//! - `FIN` ends it (end-to-end latency `now - timestamp`); `REQ 0` puts it
//!   at the tail of the queue, `REQ d` defers it until `now + d` (d clamped
//!   to `max-req-timeout`, 1 h); `TOUCH` moves the deadline to
//!   `now + msg_timeout`, capped at `delivery + max-msg-timeout` (15 min); a
//!   missed deadline puts it back with `timeout_count + 1`. FIN/REQ/TOUCH of
//!   a message not in flight, or in flight to another client, fail and
//!   change nothing. A DPUB outside `[0, 1 h]` is refused.
//! - A disconnected consumer's in-flight messages wait for their deadline.
//! - Empty drops memory, disk, in-flight and deferred; delete also closes
//!   the consumers. An unclean crash loses memory, in-flight, deferred and
//!   unsynced disk writes, and every disk queue goes back to the read
//!   position of its last sync (what it read since then is queued again,
//!   a topic's copied to its channels again; see `backend`); a clean stop writes all of them to disk (deferred ones
//!   lose their delay).
//!
//! # How the world drives it
//! Nothing here holds an event queue. The world calls a verb when an event
//! fires, passing `now` (and the [`crate::rng::SimRng`] when nsqd
//! would choose at random), and schedules from what comes back:
//! [`channel::Channel::next_deadline`] is when to call
//! `process_in_flight` / `process_deferred` next; a returned
//! [`backend::Stored::Dropped`] or an [`channel::Emptied`] is a loss to
//! record. Expiry happens exactly on time; nsqd's 100 ms sampled scan
//! (`queueScanLoop`) is the world's option to add.
//!
//! # Simplifications
//! - The topic's message pump is instant: a topic that can pump (has
//!   channels, not paused) never holds messages.
//! - No TLS, compression, sampling, auth, topology-aware delivery, CLS
//!   state, output buffering or heartbeats here (the connection is the
//!   world's).
//! - Ids are per-topic counters (see [`crate::nsq::message`]).

pub mod backend;
pub mod channel;
pub mod e2e;
pub mod in_flight;
pub mod topic;

use crate::time::SimDuration;

/// nsqd's options that the model uses (`nsqd/options.go`, defaults from
/// `NewOptions`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NsqdOptions {
    /// `--mem-queue-size`, per topic and per channel (10000).
    pub mem_queue_size: u64,
    /// `--msg-timeout`, the default per-client message timeout (60 s).
    pub msg_timeout: SimDuration,
    /// `--max-msg-timeout`, the cap for IDENTIFY and TOUCH (15 min).
    pub max_msg_timeout: SimDuration,
    /// `--max-req-timeout`, the REQ clamp and the DPUB maximum (1 h).
    pub max_req_timeout: SimDuration,
    /// `--max-rdy-count` (2500).
    pub max_rdy_count: u64,
    /// `--max-channel-consumers`, 0 = no limit (0).
    pub max_channel_consumers: usize,
    /// `--sync-every` disk operations between fsyncs (2500).
    pub sync_every: u64,
    /// `--sync-timeout`, the fsync tick when there were disk operations (2 s).
    pub sync_timeout: SimDuration,
    /// `--e2e-processing-latency-window-time`, what a channel's E2E
    /// percentiles cover (10 min; see [`e2e`]).
    pub e2e_window: SimDuration,
}

impl Default for NsqdOptions {
    fn default() -> Self {
        NsqdOptions {
            mem_queue_size: 10_000,
            msg_timeout: SimDuration::from_secs(60),
            max_msg_timeout: SimDuration::from_secs(15 * 60),
            max_req_timeout: SimDuration::from_secs(60 * 60),
            max_rdy_count: 2500,
            max_channel_consumers: 0,
            sync_every: 2500,
            sync_timeout: SimDuration::from_secs(2),
            e2e_window: e2e::DEFAULT_E2E_WINDOW,
        }
    }
}

use crate::nsq::message::{Body, ClientId};
use crate::nsq::NsqError;
use crate::rng::SimRng;
use crate::time::SimTime;
use litemap::LiteMap;
use topic::{DeletedChannel, PutReport, Topic, TopicShutdown};

/// One nsqd node: its options and topics (nsqd's `topicMap`).
#[derive(Clone, Debug, Default)]
pub struct Nsqd {
    opts: NsqdOptions,
    topics: LiteMap<String, Topic>,
}

impl Nsqd {
    pub fn new(opts: NsqdOptions) -> Nsqd {
        Nsqd {
            opts,
            topics: LiteMap::new(),
        }
    }
    pub fn options(&self) -> &NsqdOptions {
        &self.opts
    }
    pub fn topic(&self, name: &str) -> Option<&Topic> {
        self.topics.get(name)
    }
    pub fn topic_mut(&mut self, name: &str) -> Option<&mut Topic> {
        self.topics.get_mut(name)
    }
    /// Topics in name order.
    pub fn topics(&self) -> impl Iterator<Item = &Topic> {
        self.topics.values()
    }
    pub fn topics_mut(&mut self) -> impl Iterator<Item = &mut Topic> {
        self.topics.iter_mut().map(|(_, t)| t)
    }

    /// `GetTopic`: the topic `name`, created on first use (PUB, SUB,
    /// `/topic/create`); an invalid name is `E_BAD_TOPIC`.
    pub fn get_topic(&mut self, name: &str) -> Result<&mut Topic, NsqError> {
        if !self.topics.contains_key(name) {
            let t = Topic::new(name, &self.opts)?;
            self.topics.insert(name.to_string(), t);
        }
        self.topics
            .get_mut(name)
            .ok_or_else(|| NsqError::TopicNotFound {
                name: name.to_string(),
            })
    }

    /// `DeleteExistingTopic` (`/topic/delete`).
    pub fn delete_topic(&mut self, name: &str) -> Result<TopicShutdown, NsqError> {
        let t = self
            .topics
            .remove(name)
            .ok_or_else(|| NsqError::TopicNotFound {
                name: name.to_string(),
            })?;
        Ok(t.delete())
    }

    /// `PUB topic`: the topic is created on first use (`E_BAD_TOPIC` if
    /// the name is invalid).
    pub fn publish(
        &mut self,
        topic: &str,
        body: Body,
        now: SimTime,
    ) -> Result<PutReport, NsqError> {
        Ok(self.get_topic(topic)?.publish(body, now))
    }

    /// [`Nsqd::publish`] into `report` (cleared first; its allocations are
    /// reused).
    pub fn publish_into(
        &mut self,
        topic: &str,
        body: Body,
        now: SimTime,
        report: &mut PutReport,
    ) -> Result<(), NsqError> {
        self.get_topic(topic)?.publish_into(body, now, report);
        Ok(())
    }

    /// `DPUB topic ms`: name checked, then the delay (refused outside
    /// `[0, max-req-timeout]`, fatal `E_INVALID`), then the topic is
    /// created if missing; a refused DPUB creates nothing.
    pub fn deferred_publish(
        &mut self,
        topic: &str,
        body: Body,
        delay_ms: i64,
        now: SimTime,
    ) -> Result<PutReport, NsqError> {
        crate::nsq::names::check_topic_name(topic)?;
        crate::nsq::dpub_delay_from_millis(delay_ms, self.opts.max_req_timeout)?;
        self.get_topic(topic)?.deferred_publish(body, delay_ms, now)
    }

    /// `/channel/delete`: see [`Topic::delete_channel`]; an ephemeral topic
    /// left without channels is deleted too.
    pub fn delete_channel(
        &mut self,
        topic: &str,
        channel: &str,
    ) -> Result<DeletedChannel, NsqError> {
        let t = self
            .topics
            .get_mut(topic)
            .ok_or_else(|| NsqError::TopicNotFound {
                name: topic.to_string(),
            })?;
        let deleted = t.delete_channel(channel)?;
        if deleted.delete_topic {
            self.topics.remove(topic);
        }
        Ok(deleted)
    }

    /// The `sync-timeout` tick (every 2 s by default): every disk queue
    /// with reads or writes since its last fsync syncs now. nsqd runs one
    /// ticker per queue; the model ticks them together.
    pub fn sync_tick(&mut self) {
        for (_, t) in self.topics.iter_mut() {
            t.sync_disk();
        }
    }

    /// `SUB topic channel`: names checked (`E_BAD_TOPIC`, `E_BAD_CHANNEL`),
    /// topic and channel created if missing (even if the SUB then fails),
    /// client added at RDY 0 (`E_SUB_FAILED` when max-channel-consumers is
    /// reached). Returns what the new channel's creation pumped.
    pub fn subscribe(
        &mut self,
        topic: &str,
        channel: &str,
        client: ClientId,
        msg_timeout: Option<crate::time::SimDuration>,
        now: SimTime,
        rng: &mut SimRng,
    ) -> Result<PutReport, NsqError> {
        crate::nsq::names::check_topic_name(topic)?;
        crate::nsq::names::check_channel_name(channel)?;
        let (ch, report) = self.get_topic(topic)?.get_channel(channel, now, rng)?;
        ch.add_client(client, msg_timeout)?;
        Ok(report)
    }

    /// A subscribed client's connection closes (`RemoveClient`). When it was
    /// the last client of an ephemeral channel, the channel is deleted (and
    /// an ephemeral topic left without channels too); returns what that
    /// deletion dropped.
    pub fn unsubscribe(
        &mut self,
        topic: &str,
        channel: &str,
        client: ClientId,
    ) -> Option<DeletedChannel> {
        let t = self.topics.get_mut(topic)?;
        if !t.channel_mut(channel)?.remove_client(client) {
            return None;
        }
        self.delete_channel(topic, channel).ok()
    }

    /// The earliest channel timer on this node.
    pub fn next_deadline(&self) -> Option<SimTime> {
        self.topics.values().filter_map(Topic::next_deadline).min()
    }

    /// Clean shutdown: every topic stops cleanly; ephemeral topics are not
    /// saved and disappear. What remains is what a restarted nsqd loads.
    pub fn stop_clean(&mut self) -> Vec<(String, TopicShutdown)> {
        let out = self
            .topics
            .iter_mut()
            .map(|(n, t)| (n.clone(), t.stop_clean()))
            .collect();
        self.topics.retain(|_, t| !t.is_ephemeral());
        out
    }

    /// Unclean crash (kill -9, power loss): see [`Topic::crash`];
    /// ephemeral topics disappear.
    pub fn crash(&mut self) -> Vec<(String, TopicShutdown)> {
        let out = self
            .topics
            .iter_mut()
            .map(|(n, t)| (n.clone(), t.crash()))
            .collect();
        self.topics.retain(|_, t| !t.is_ephemeral());
        out
    }
}
