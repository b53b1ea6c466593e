//! One nsqd topic (`nsqd/topic.go`).
//!
//! # Semantics
//! - **put** (`PutMessage`, `message_count + 1`): into the topic's own
//!   queue ([`Backend`]: memory, overflow to disk; ephemeral overflow is
//!   dropped). The topic's `messagePump` reads that queue (memory or disk
//!   at random when both hold messages) and gives **every** channel a fresh
//!   copy: DPUB copies go to each channel's deferred set
//!   (`PutMessageDeferred`, delay counted from the moment of the copy),
//!   others to its queue (`PutMessage`).
//! - The pump runs only while the topic has channels and is not paused.
//!   Otherwise messages accumulate in the topic; the first channel created
//!   receives the whole backlog, later channels only new messages;
//!   unpausing gives the backlog to every existing channel.
//! - A DPUB message that spills to the topic's disk queue loses its delay.
//! - With `mem-queue-size = 0` a PUB goes to disk (nsqd skips the memory
//!   channel), but a DPUB or an ephemeral topic's message still goes
//!   through the unbuffered memory channel to a waiting pump.
//! - **delete_channel** closes the channel's clients and drops everything it
//!   holds; an ephemeral topic asks to be deleted when its last channel
//!   goes. **empty** clears only the topic's own queue.
//!
//! # Simplifications
//! The pump is instant: whenever it can run, the backlog is drained at
//! once, so a pumping topic holds nothing and a put fans out in the same
//! call. nsqd iterates its channel map in random order when copying; the
//! model uses name order (the order cannot change any outcome).

use super::backend::{Backend, Stored};
use super::channel::{Channel, Emptied, Shutdown};
use super::NsqdOptions;
use crate::nsq::message::{Body, ClientId, Message, MessageId};
use crate::nsq::names::{check_channel_name, check_topic_name, is_ephemeral};
use crate::nsq::{dpub_delay_from_millis, NsqError};
use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime};
use litemap::LiteMap;

/// A copy (or a topic message) that was dropped: ephemeral overflow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dropped {
    /// The channel that dropped its copy; None: the topic itself.
    pub channel: Option<String>,
    pub message: Message,
}

/// What a put or a pump did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PutReport {
    /// Messages that stayed in the topic (no channels, or paused), and where.
    pub held: Vec<(MessageId, Stored)>,
    /// Messages handed to the channels, in order (one copy per channel each).
    pub fanned_out: Vec<MessageId>,
    /// Copies each fanned-out message made (the number of channels).
    pub copies_each: u32,
    /// Ephemeral overflow, in the topic or in a channel.
    pub dropped: Vec<Dropped>,
    /// Fanned-out messages whose copies were deferred (a DPUB).
    pub deferred: Vec<MessageId>,
}

impl PutReport {
    /// Empty again, keeping the vectors' allocations.
    pub fn clear(&mut self) {
        self.held.clear();
        self.fanned_out.clear();
        self.copies_each = 0;
        self.dropped.clear();
        self.deferred.clear();
    }
}

/// The counters nsqadmin shows for a topic.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TopicStats {
    pub depth: u64,
    pub memory_depth: u64,
    pub backend_depth: u64,
    pub message_count: u64,
    pub channel_count: u64,
    pub paused: bool,
}

/// What deleting a channel did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeletedChannel {
    pub closed_clients: Vec<ClientId>,
    pub emptied: Emptied,
    /// The topic is ephemeral and has no channel left: delete it too.
    pub delete_topic: bool,
}

/// What a crash, stop or delete did to a topic.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TopicShutdown {
    /// Lost from the topic's own queue: (memory, disk).
    pub topic_lost: (Vec<Message>, Vec<Message>),
    /// Per channel, in name order.
    pub channels: Vec<(String, Shutdown)>,
    /// Unclean crash: the messages the topic's disk queue read since its
    /// last sync, copied to its channels again: (channel, message), in
    /// copy order.
    pub recopied: Vec<(String, Message)>,
}

/// One topic with its channels.
#[derive(Clone, Debug)]
pub struct Topic {
    name: String,
    ephemeral: bool,
    paused: bool,
    backend: Backend,
    channels: LiteMap<String, Channel>,
    message_count: u64,
    next_id: MessageId,
    opts: NsqdOptions,
}

impl Topic {
    /// `NewTopic`; the name must be valid (`E_BAD_TOPIC`).
    pub fn new(name: &str, opts: &NsqdOptions) -> Result<Topic, NsqError> {
        check_topic_name(name)?;
        let ephemeral = is_ephemeral(name);
        Ok(Topic {
            name: name.to_string(),
            ephemeral,
            paused: false,
            backend: Backend::new(opts.mem_queue_size, ephemeral, opts.sync_every),
            channels: LiteMap::new(),
            message_count: 0,
            next_id: 0,
            opts: opts.clone(),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn is_ephemeral(&self) -> bool {
        self.ephemeral
    }
    pub fn is_paused(&self) -> bool {
        self.paused
    }
    pub fn backend(&self) -> &Backend {
        &self.backend
    }
    /// `Depth()`: the topic's own memory + disk.
    pub fn depth(&self) -> u64 {
        self.backend.depth()
    }
    pub fn stats(&self) -> TopicStats {
        TopicStats {
            depth: self.backend.depth(),
            memory_depth: self.backend.memory_depth(),
            backend_depth: self.backend.disk_depth(),
            message_count: self.message_count,
            channel_count: self.channels.len() as u64,
            paused: self.paused,
        }
    }

    /// `GenerateID`: the next message id of this topic.
    pub fn generate_id(&mut self) -> MessageId {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        id
    }

    pub fn channel(&self, name: &str) -> Option<&Channel> {
        self.channels.get(name)
    }
    pub fn channel_mut(&mut self, name: &str) -> Option<&mut Channel> {
        self.channels.get_mut(name)
    }
    /// Channels in name order.
    pub fn channels(&self) -> impl Iterator<Item = &Channel> {
        self.channels.values()
    }
    pub fn channels_mut(&mut self) -> impl Iterator<Item = &mut Channel> {
        self.channels.iter_mut().map(|(_, c)| c)
    }

    /// The earliest timer of any channel (see [`Channel::next_deadline`]).
    pub fn next_deadline(&self) -> Option<SimTime> {
        self.channels
            .values()
            .filter_map(Channel::next_deadline)
            .min()
    }

    fn can_pump(&self) -> bool {
        !self.paused && !self.channels.is_empty()
    }

    // ---- publishing ---------------------------------------------------------

    /// `PUB`: a new message with the next id, published at `now`.
    pub fn publish(&mut self, body: Body, now: SimTime) -> PutReport {
        let mut report = PutReport::default();
        self.publish_into(body, now, &mut report);
        report
    }

    /// [`Topic::publish`] into `report` (cleared first; its allocations
    /// are reused).
    pub fn publish_into(&mut self, body: Body, now: SimTime, report: &mut PutReport) {
        let id = self.generate_id();
        self.put_into(Message::new(id, body, now), now, report);
    }

    /// `DPUB <topic> <ms>`: like PUB, but each channel's copy is deferred by
    /// `delay_ms`; outside `[0, max-req-timeout]` it is refused
    /// (`E_INVALID`), not clamped, and nothing changes.
    pub fn deferred_publish(
        &mut self,
        body: Body,
        delay_ms: i64,
        now: SimTime,
    ) -> Result<PutReport, NsqError> {
        let delay = dpub_delay_from_millis(delay_ms, self.opts.max_req_timeout)?;
        let id = self.generate_id();
        let mut msg = Message::new(id, body, now);
        msg.deferred = delay;
        Ok(self.put(msg, now))
    }

    /// `PutMessage`: `message_count + 1`, then to the channels if the pump
    /// can run, else into the topic's queue.
    pub fn put(&mut self, msg: Message, now: SimTime) -> PutReport {
        let mut report = PutReport::default();
        self.put_into(msg, now, &mut report);
        report
    }

    /// [`Topic::put`] into `report` (cleared first).
    pub fn put_into(&mut self, msg: Message, now: SimTime, report: &mut PutReport) {
        report.clear();
        self.message_count += 1;
        if self.can_pump() {
            self.fan_out(msg, now, report);
        } else {
            // mem-queue-size 0: the memory channel is unbuffered and no pump
            // waits, so a DPUB or ephemeral message falls through to the
            // backend just as a PUB does.
            match self.backend.put(msg) {
                Ok(stored) => report.held.push((msg.id, stored)),
                Err(message) => report.dropped.push(Dropped {
                    channel: None,
                    message,
                }),
            }
        }
    }

    fn fan_out(&mut self, msg: Message, now: SimTime, report: &mut PutReport) {
        report.fanned_out.push(msg.id);
        if !msg.deferred.is_zero() {
            report.deferred.push(msg.id);
        }
        report.copies_each = self.channels.len() as u32;
        for (name, ch) in self.channels.iter_mut() {
            let copy = Message {
                deferred: SimDuration::ZERO,
                ..msg
            };
            let result = if msg.deferred.is_zero() {
                ch.put(copy)
            } else {
                ch.put_deferred(copy, msg.deferred, now)
                    .map(|_| Stored::Memory)
            };
            if !matches!(result, Ok(Stored::Memory | Stored::Disk)) {
                report.dropped.push(Dropped {
                    channel: Some(name.clone()),
                    message: copy,
                });
            }
        }
    }

    /// The message pump catching up: while it can run, hand every message
    /// of the topic's queue to the channels (memory or disk at random when
    /// both hold messages).
    pub fn pump(&mut self, now: SimTime, rng: &mut SimRng) -> PutReport {
        let mut report = PutReport::default();
        while self.can_pump() {
            let Some((msg, _)) = self.backend.pop(rng) else {
                break;
            };
            self.fan_out(msg, now, &mut report);
        }
        report
    }

    // ---- channels ---------------------------------------------------------

    /// `GetChannel`: the channel `name`, created if missing (name checked:
    /// `E_BAD_CHANNEL`). A new channel starts the pump: the first channel of
    /// an unpaused topic receives its whole backlog (the report).
    pub fn get_channel(
        &mut self,
        name: &str,
        now: SimTime,
        rng: &mut SimRng,
    ) -> Result<(&mut Channel, PutReport), NsqError> {
        check_channel_name(name)?;
        let mut report = PutReport::default();
        if !self.channels.contains_key(name) {
            self.channels
                .insert(name.to_string(), Channel::new(&self.name, name, &self.opts, now));
            report = self.pump(now, rng);
        }
        let ch = self
            .channels
            .get_mut(name)
            .ok_or_else(|| NsqError::ChannelNotFound {
                name: name.to_string(),
            })?;
        Ok((ch, report))
    }

    /// `DeleteExistingChannel`: closes its clients, drops everything it
    /// holds (returned), removes it.
    pub fn delete_channel(&mut self, name: &str) -> Result<DeletedChannel, NsqError> {
        let mut ch = self
            .channels
            .remove(name)
            .ok_or_else(|| NsqError::ChannelNotFound {
                name: name.to_string(),
            })?;
        let closed_clients = ch.close_clients();
        let emptied = ch.empty();
        Ok(DeletedChannel {
            closed_clients,
            emptied,
            delete_topic: self.ephemeral && self.channels.is_empty(),
        })
    }

    // ---- operator actions and faults ---------------------------------------

    /// `/topic/pause`: messages accumulate in the topic.
    pub fn pause(&mut self) {
        self.paused = true;
    }

    /// `/topic/unpause`: the pump resumes and hands the backlog to every
    /// channel.
    pub fn unpause(&mut self, now: SimTime, rng: &mut SimRng) -> PutReport {
        self.paused = false;
        self.pump(now, rng)
    }

    /// The `sync-timeout` tick for the topic's and its channels' disk
    /// queues (see [`Backend::sync`]).
    pub fn sync_disk(&mut self) {
        if self.backend.needs_sync() {
            self.backend.sync();
        }
        for (_, ch) in self.channels.iter_mut() {
            ch.sync_disk();
        }
    }

    /// `/topic/empty`: clears the topic's own queue only; returns
    /// (memory, disk).
    pub fn empty(&mut self) -> (Vec<Message>, Vec<Message>) {
        self.backend.empty()
    }

    /// `/topic/delete`: deletes every channel, then empties the topic.
    pub fn delete(mut self) -> TopicShutdown {
        let names: Vec<String> = self.channels.keys().cloned().collect();
        let mut channels = Vec::new();
        for name in names {
            if let Ok(d) = self.delete_channel(&name) {
                channels.push((
                    name,
                    Shutdown {
                        closed_clients: d.closed_clients,
                        lost: d.emptied,
                        rewound: Vec::new(),
                    },
                ));
            }
        }
        TopicShutdown {
            topic_lost: self.backend.empty(),
            channels,
            recopied: Vec::new(),
        }
    }

    /// Clean shutdown (`Close`): channels flush (see
    /// [`Channel::stop_clean`]), then the topic's memory goes to disk.
    /// Ephemeral channels are not saved in nsqd's metadata and are removed;
    /// an ephemeral topic loses everything.
    pub fn stop_clean(&mut self) -> TopicShutdown {
        let mut channels = Vec::new();
        for (name, ch) in self.channels.iter_mut() {
            channels.push((name.clone(), ch.stop_clean()));
        }
        self.channels.retain(|_, ch| !ch.is_ephemeral());
        let lost = self.backend.flush();
        TopicShutdown {
            topic_lost: (lost, Vec::new()),
            channels,
            recopied: Vec::new(),
        }
    }

    /// Unclean crash: every channel crashes (see [`Channel::crash`]); the
    /// topic loses its memory and unsynced disk writes. Ephemeral channels
    /// are removed.
    ///
    /// The topic's disk queue goes back to its last sync too (see
    /// [`Backend::crash`]): what it read since then, it reads again and
    /// copies to its channels, as its message pump does after the restart
    /// (here at once: nothing moves while the node is down). A channel
    /// that holds that message queued again already (its own disk kept or
    /// rewound it) gets no second copy.
    ///
    /// Simplifications: nsqd would give such a channel a second copy with
    /// the same id, and would keep the messages in the topic while it is
    /// paused or has no channel; the model copies to the channels even if
    /// the topic is paused, and forgets them if it has none.
    pub fn crash(&mut self) -> TopicShutdown {
        let mut channels = Vec::new();
        for (name, ch) in self.channels.iter_mut() {
            channels.push((name.clone(), ch.crash()));
        }
        self.channels.retain(|_, ch| !ch.is_ephemeral());
        let c = self.backend.crash(false);
        let mut recopied = Vec::new();
        if !c.rewound.is_empty() {
            for (name, ch) in self.channels.iter_mut() {
                let mut held: Vec<MessageId> = ch.backend().iter().map(|(m, _)| m.id).collect();
                crate::cold_sort::sort(&mut held);
                for m in &c.rewound {
                    if held.binary_search(&m.id).is_err() && ch.put(*m).is_ok() {
                        recopied.push((name.clone(), *m));
                    }
                }
            }
        }
        TopicShutdown {
            topic_lost: (c.memory, c.disk),
            channels,
            recopied,
        }
    }
}
