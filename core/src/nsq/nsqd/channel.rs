//! One nsqd channel (`nsqd/channel.go`, plus the per-client state of
//! `client_v2.go` that decides delivery).
//!
//! # Semantics
//! A channel holds its queue ([`Backend`]: memory overflowing to disk), the
//! **in-flight** set (by id, ordered by deadline), the **deferred** set (by
//! id, ordered by due time) and its subscribed clients.
//! - **put** (`PutMessage`): a copy from the topic joins the queue;
//!   `message_count + 1`. An ephemeral channel drops overflow.
//!   **put_deferred** (`PutMessageDeferred`, a DPUB copy): straight to the
//!   deferred set, `message_count + 1`, not `requeue_count`.
//! - **deliver** (a client's `messagePump` receiving, then
//!   `StartInFlightTimeout` and `SendingMessage`): only to a client that is
//!   ready (`!paused && rdy > 0 && in_flight < rdy`, RDY is a window);
//!   takes the head of memory or disk (random when both hold messages),
//!   `attempts + 1`, deadline `now + client msg_timeout`.
//! - **finish** / **requeue** / **touch** (FIN/REQ/TOUCH): only by the
//!   owner of an in-flight message, else `E_*_FAILED` and nothing changes.
//!   REQ 0 goes to the tail of the queue; REQ d > 0 is deferred until
//!   `now + d`, d clamped to `max-req-timeout`; both `requeue_count + 1`.
//!   TOUCH: `deadline = now + msg_timeout`, but at most
//!   `delivered_at + max-msg-timeout` (nsqd's `>=` test).
//! - **process_in_flight** / **process_deferred** (`processInFlightQueue`,
//!   `processDeferredQueue`): everything due at `now` goes back to the
//!   queue; a timeout adds `timeout_count + 1` and frees a slot of the
//!   owner if still connected.
//! - **remove_client**: in-flight messages stay until their deadline. An
//!   ephemeral channel asks to be deleted when its last client leaves.
//! - **empty**: drops queue, in-flight and deferred, sets every client's
//!   in-flight count to 0.
//!
//! # Simplifications
//! - Who of several ready clients gets a message is the caller's choice
//!   ([`Channel::deliver`]), or round robin ([`Channel::deliver_next`]).
//! - CLS (closing state), sampling and topology-aware delivery are not
//!   modelled; RDY after CLS would be ignored by nsqd.

use super::backend::{Backend, Source, Stored};
use super::in_flight::{DeferredSet, InFlightSet};
use super::NsqdOptions;
use crate::nsq::message::{ClientId, InFlight, Message, MessageId};
use crate::nsq::names::is_ephemeral;
use crate::nsq::{NotInFlight, NsqError};
use super::e2e::E2eWindow;
use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime};
use litemap::LiteMap;

/// One subscribed client as the channel sees it (nsqadmin's per-consumer
/// counters plus RDY and the IDENTIFY msg_timeout).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientState {
    pub ready_count: u64,
    pub in_flight_count: u64,
    pub message_count: u64,
    pub finish_count: u64,
    pub requeue_count: u64,
    pub msg_timeout: SimDuration,
}

/// A channel's counters in nsqadmin's vocabulary (`/stats`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChannelStats {
    /// Memory + disk (not in flight, not deferred).
    pub depth: u64,
    pub memory_depth: u64,
    pub backend_depth: u64,
    pub in_flight_count: u64,
    pub deferred_count: u64,
    pub message_count: u64,
    pub requeue_count: u64,
    pub timeout_count: u64,
    pub client_count: u64,
    pub paused: bool,
}

/// A message handed to a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub client: ClientId,
    /// The copy as sent: `attempts` already incremented.
    pub message: Message,
    pub deadline: SimTime,
    pub from: Source,
}

/// Where a successful REQ put the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Requeued {
    /// Delay 0: back at the tail of the queue (or dropped: ephemeral full).
    Queued(Stored),
    /// Deferred until `due`.
    Deferred { due: SimTime },
}

/// A message whose deadline passed (`timeout_count + 1`) or a deferred
/// message that came due, and where it went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Returned {
    pub message: Message,
    /// The client it was in flight to (None for a deferred message).
    pub client: Option<ClientId>,
    pub stored: Stored,
}

/// What [`Channel::empty`] dropped, for the ledger.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Emptied {
    pub memory: Vec<Message>,
    pub disk: Vec<Message>,
    pub in_flight: Vec<InFlight>,
    pub deferred: Vec<Message>,
}

impl Emptied {
    pub fn total(&self) -> usize {
        self.memory.len() + self.disk.len() + self.in_flight.len() + self.deferred.len()
    }
}

/// What a crash or a stop did to a channel.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Shutdown {
    /// Connections closed (clients gone).
    pub closed_clients: Vec<ClientId>,
    /// Copies lost. Clean stop: only an ephemeral channel loses anything.
    /// Unclean crash: memory, unsynced disk writes, in flight, deferred.
    pub lost: Emptied,
    /// Unclean crash: the copies read from disk since its last sync, queued
    /// again (in that order, ahead of the rest of the disk queue); none of
    /// them is in `lost`.
    pub rewound: Vec<MessageId>,
}

/// One channel of a topic.
#[derive(Clone, Debug)]
pub struct Channel {
    topic: String,
    name: String,
    ephemeral: bool,
    paused: bool,
    backend: Backend,
    in_flight: InFlightSet,
    deferred: DeferredSet,
    clients: LiteMap<ClientId, ClientState>,
    last_served: Option<ClientId>,
    message_count: u64,
    requeue_count: u64,
    timeout_count: u64,
    /// E2E processing latency (`e2eProcessingLatencyStream`): publish
    /// timestamp -> successful FIN, over nsqd's rolling window.
    e2e: E2eWindow,
    /// Successful FINs since the channel was created.
    finish_count: u64,
    msg_timeout: SimDuration,
    max_msg_timeout: SimDuration,
    max_req_timeout: SimDuration,
    max_rdy_count: u64,
    max_channel_consumers: usize,
}

impl Channel {
    /// A new empty channel `name` of `topic` (`NewChannel`); ephemeral iff
    /// the name ends in `#ephemeral`. Names are checked by the topic.
    pub fn new(topic: &str, name: &str, opts: &NsqdOptions, now: SimTime) -> Channel {
        let ephemeral = is_ephemeral(name);
        Channel {
            topic: topic.to_string(),
            name: name.to_string(),
            ephemeral,
            paused: false,
            backend: Backend::new(opts.mem_queue_size, ephemeral, opts.sync_every),
            in_flight: InFlightSet::new(),
            deferred: DeferredSet::new(),
            clients: LiteMap::new(),
            last_served: None,
            message_count: 0,
            requeue_count: 0,
            timeout_count: 0,
            e2e: E2eWindow::new(now, opts.e2e_window),
            finish_count: 0,
            msg_timeout: opts.msg_timeout,
            max_msg_timeout: opts.max_msg_timeout,
            max_req_timeout: opts.max_req_timeout,
            max_rdy_count: opts.max_rdy_count,
            max_channel_consumers: opts.max_channel_consumers,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn topic(&self) -> &str {
        &self.topic
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
    /// `Depth()`: memory + disk.
    pub fn depth(&self) -> u64 {
        self.backend.depth()
    }

    /// The counters nsqadmin shows.
    pub fn stats(&self) -> ChannelStats {
        ChannelStats {
            depth: self.backend.depth(),
            memory_depth: self.backend.memory_depth(),
            backend_depth: self.backend.disk_depth(),
            in_flight_count: self.in_flight.len() as u64,
            deferred_count: self.deferred.len() as u64,
            message_count: self.message_count,
            requeue_count: self.requeue_count,
            timeout_count: self.timeout_count,
            client_count: self.clients.len() as u64,
            paused: self.paused,
        }
    }

    /// E2E processing latency of the successful FINs (publish timestamp
    /// -> FIN) in nsqd's window, nsqadmin's "E2E" percentiles.
    pub fn e2e(&self) -> &E2eWindow {
        &self.e2e
    }

    /// Successful FINs since the channel was created.
    pub fn finish_count(&self) -> u64 {
        self.finish_count
    }

    pub fn client(&self, client: ClientId) -> Option<&ClientState> {
        self.clients.get(&client)
    }
    /// Subscribed clients in id order.
    pub fn clients(&self) -> impl Iterator<Item = (ClientId, &ClientState)> {
        self.clients.iter().map(|(&id, c)| (id, c))
    }
    /// In-flight messages in deadline order.
    pub fn in_flight(&self) -> impl Iterator<Item = &InFlight> {
        self.in_flight.iter().map(|(_, _, f)| f)
    }
    /// Deferred messages with their due times, in due order.
    pub fn deferred(&self) -> impl Iterator<Item = (SimTime, &Message)> {
        self.deferred.iter().map(|(_, at, m)| (at, m))
    }

    /// The earliest in-flight deadline or deferred due time: when the world
    /// should call [`Channel::process_in_flight`] and
    /// [`Channel::process_deferred`] next.
    pub fn next_deadline(&self) -> Option<SimTime> {
        match (self.in_flight.next_due(), self.deferred.next_due()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    // ---- clients -------------------------------------------------------

    /// `SUB` (`AddClient`): the client starts at RDY 0. `msg_timeout` is
    /// the IDENTIFY value (None: nsqd's default); it must lie in
    /// `[1 s, max-msg-timeout]` (else `E_BAD_BODY`). Full channel
    /// (max-channel-consumers): `E_SUB_FAILED`. Adding a client already
    /// present changes nothing.
    pub fn add_client(
        &mut self,
        client: ClientId,
        msg_timeout: Option<SimDuration>,
    ) -> Result<(), NsqError> {
        let msg_timeout = match msg_timeout {
            None => self.msg_timeout,
            Some(d) if d >= SimDuration::from_secs(1) && d <= self.max_msg_timeout => d,
            Some(d) => {
                return Err(NsqError::BadMsgTimeout {
                    ms: d.as_micros() / 1000,
                    max_ms: self.max_msg_timeout.as_micros() / 1000,
                })
            }
        };
        if self.clients.contains_key(&client) {
            return Ok(());
        }
        let max = self.max_channel_consumers;
        if max != 0 && self.clients.len() >= max {
            return Err(NsqError::TooManyConsumers {
                topic: self.topic.clone(),
                channel: self.name.clone(),
                max,
            });
        }
        self.clients.insert(
            client,
            ClientState {
                msg_timeout,
                ..ClientState::default()
            },
        );
        Ok(())
    }

    /// `RemoveClient` (disconnect). Its in-flight messages stay until their
    /// deadlines. Returns true when this was the last client of an
    /// ephemeral channel: the caller should delete the channel.
    pub fn remove_client(&mut self, client: ClientId) -> bool {
        if self.clients.remove(&client).is_none() {
            return false;
        }
        self.ephemeral && self.clients.is_empty()
    }

    /// `RDY n`: 0 <= n <= max-rdy-count, else fatal `E_INVALID`.
    pub fn ready(&mut self, client: ClientId, count: i64) -> Result<(), NsqError> {
        let max = self.max_rdy_count;
        let c = self.subscribed("RDY", client)?;
        match u64::try_from(count) {
            Ok(n) if n <= max => {
                c.ready_count = n;
                Ok(())
            }
            _ => Err(NsqError::RdyOutOfRange { count, max }),
        }
    }

    /// `IsReadyForMessages`: not paused, `rdy > 0`, `in_flight < rdy`.
    pub fn is_ready(&self, client: ClientId) -> bool {
        !self.paused
            && self
                .clients
                .get(&client)
                .is_some_and(|c| c.ready_count > 0 && c.in_flight_count < c.ready_count)
    }

    /// Ready clients in id order.
    pub fn ready_clients(&self) -> impl Iterator<Item = ClientId> + '_ {
        self.clients.keys().copied().filter(|&c| self.is_ready(c))
    }

    fn subscribed(
        &mut self,
        verb: &'static str,
        client: ClientId,
    ) -> Result<&mut ClientState, NsqError> {
        self.clients
            .get_mut(&client)
            .ok_or(NsqError::NotSubscribed { verb, client })
    }

    // ---- queue ---------------------------------------------------------

    /// `PutMessage`: a copy from the topic joins the queue;
    /// `message_count + 1` (also when an ephemeral channel drops it).
    pub fn put(&mut self, msg: Message) -> Result<Stored, NsqError> {
        self.check_new_id(msg.id)?;
        self.message_count += 1;
        Ok(self.enqueue(msg))
    }

    /// `PutMessageDeferred`: a DPUB copy, deferred until `now + delay`;
    /// `message_count + 1`.
    pub fn put_deferred(
        &mut self,
        msg: Message,
        delay: SimDuration,
        now: SimTime,
    ) -> Result<SimTime, NsqError> {
        self.check_new_id(msg.id)?;
        self.message_count += 1;
        let due = now + delay;
        let _ = self.deferred.insert(msg.id, due, msg);
        Ok(due)
    }

    fn check_new_id(&self, id: MessageId) -> Result<(), NsqError> {
        if self.in_flight.contains(id) || self.deferred.contains(id) {
            return Err(NsqError::DuplicateId { id });
        }
        Ok(())
    }

    /// nsqd's internal `put`: memory, else disk, else (ephemeral) dropped.
    /// An ephemeral channel with `mem-queue-size = 0` has an unbuffered
    /// memory channel: a send succeeds only into a ready client's waiting
    /// pump, which the model approximates as "fewer messages waiting than
    /// ready clients".
    fn enqueue(&mut self, msg: Message) -> Stored {
        if self.ephemeral && self.backend.mem_capacity() == 0 {
            let waiting = self.ready_clients().count() as u64;
            if self.backend.memory_depth() < waiting {
                return self.backend.put_handoff(msg);
            }
        }
        self.backend.put(msg).unwrap_or(Stored::Dropped)
    }

    /// A client's pump receives a message and sends it: only if the client
    /// is ready; `attempts + 1`, in flight until `now + msg_timeout`.
    /// `Ok(None)`: not ready, or nothing to send.
    pub fn deliver(
        &mut self,
        client: ClientId,
        now: SimTime,
        rng: &mut SimRng,
    ) -> Result<Option<Delivery>, NsqError> {
        if !self.is_ready(client) {
            return Ok(None);
        }
        let Some((mut msg, from)) = self.backend.pop(rng) else {
            return Ok(None);
        };
        if self.in_flight.contains(msg.id) {
            self.backend.unpop(msg, from);
            return Err(NsqError::DuplicateId { id: msg.id });
        }
        msg.attempts = msg.attempts.wrapping_add(1);
        let timeout = self
            .clients
            .get(&client)
            .map_or(self.msg_timeout, |c| c.msg_timeout);
        let deadline = self.start_in_flight(msg, client, now, timeout)?;
        self.last_served = Some(client);
        Ok(Some(Delivery {
            client,
            message: msg,
            deadline,
            from,
        }))
    }

    /// [`Channel::deliver`] to the next ready client after the last one
    /// served, in id order (round robin; nsqd gives the message to whichever
    /// idle pump receives first).
    pub fn deliver_next(
        &mut self,
        now: SimTime,
        rng: &mut SimRng,
    ) -> Result<Option<Delivery>, NsqError> {
        if self.backend.is_empty() {
            return Ok(None);
        }
        // The clients after the last one served, in id order.
        let from = match self.last_served {
            Some(c) => self.clients.find_index(&c).map_or_else(|i| i, |i| i + 1),
            None => 0,
        };
        let next = self.clients.as_slice()[from..]
            .iter()
            .map(|&(c, _)| c)
            .find(|&c| self.is_ready(c))
            .or_else(|| self.ready_clients().next());
        match next {
            Some(c) => self.deliver(c, now, rng),
            None => Ok(None),
        }
    }

    /// `StartInFlightTimeout` (+ `SendingMessage` if the client is
    /// subscribed): `msg` is in flight to `client` until `now + timeout`.
    /// Does not touch `attempts` (the pump does). Returns the deadline.
    pub fn start_in_flight(
        &mut self,
        msg: Message,
        client: ClientId,
        now: SimTime,
        timeout: SimDuration,
    ) -> Result<SimTime, NsqError> {
        let deadline = now + timeout;
        let entry = InFlight {
            message: msg,
            client,
            delivered_at: now,
            deadline,
        };
        self.in_flight
            .insert(msg.id, deadline, entry)
            .map_err(|_| NsqError::DuplicateId { id: msg.id })?;
        if let Some(c) = self.clients.get_mut(&client) {
            c.in_flight_count += 1;
            c.message_count += 1;
        }
        Ok(deadline)
    }

    /// Who may act on `id`: Ok if `client` owns it in flight.
    fn owned(&self, client: ClientId, id: MessageId) -> Result<&InFlight, NotInFlight> {
        match self.in_flight.get(id) {
            None => Err(NotInFlight::NotInFlight),
            Some(f) if f.client != client => Err(NotInFlight::NotOwner),
            Some(f) => Ok(f),
        }
    }

    // ---- FIN / REQ / TOUCH ---------------------------------------------

    /// `FIN`: the owner finishes `id`. Returns the end-to-end latency
    /// (`now - timestamp`).
    pub fn finish(
        &mut self,
        client: ClientId,
        id: MessageId,
        now: SimTime,
    ) -> Result<SimDuration, NsqError> {
        self.subscribed("FIN", client)?;
        self.owned(client, id)
            .map_err(|why| NsqError::FinFailed { id, why })?;
        let Some((_, f)) = self.in_flight.remove(id) else {
            return Err(NsqError::FinFailed {
                id,
                why: NotInFlight::NotInFlight,
            });
        };
        if let Some(c) = self.clients.get_mut(&client) {
            c.finish_count += 1;
            c.in_flight_count = c.in_flight_count.saturating_sub(1);
        }
        let e2e = now - f.message.timestamp;
        self.e2e.record(now, e2e.as_micros());
        self.finish_count += 1;
        Ok(e2e)
    }

    /// `REQ`: the owner puts `id` back; `delay` 0 = tail of the queue now,
    /// else deferred until `now + delay` (clamped to max-req-timeout; parse
    /// a wire value with [`crate::nsq::req_delay_from_millis`]).
    pub fn requeue(
        &mut self,
        client: ClientId,
        id: MessageId,
        delay: SimDuration,
        now: SimTime,
    ) -> Result<Requeued, NsqError> {
        self.subscribed("REQ", client)?;
        self.owned(client, id)
            .map_err(|why| NsqError::ReqFailed { id, why })?;
        let delay = delay.min(self.max_req_timeout);
        if !delay.is_zero() && self.deferred.contains(id) {
            return Err(NsqError::DuplicateId { id });
        }
        let Some((_, f)) = self.in_flight.remove(id) else {
            return Err(NsqError::ReqFailed {
                id,
                why: NotInFlight::NotInFlight,
            });
        };
        self.requeue_count += 1;
        if let Some(c) = self.clients.get_mut(&client) {
            c.requeue_count += 1;
            c.in_flight_count = c.in_flight_count.saturating_sub(1);
        }
        if delay.is_zero() {
            return Ok(Requeued::Queued(self.enqueue(f.message)));
        }
        let due = now + delay;
        let _ = self.deferred.insert(id, due, f.message);
        Ok(Requeued::Deferred { due })
    }

    /// `TOUCH`: the owner resets the deadline of `id` to
    /// `now + msg_timeout`, at most `delivered_at + max-msg-timeout`.
    /// Returns the new deadline.
    pub fn touch(
        &mut self,
        client: ClientId,
        id: MessageId,
        now: SimTime,
    ) -> Result<SimTime, NsqError> {
        let timeout = self.subscribed("TOUCH", client)?.msg_timeout;
        let delivered_at = self
            .owned(client, id)
            .map_err(|why| NsqError::TouchFailed { id, why })?
            .delivered_at;
        let mut deadline = now + timeout;
        if deadline - delivered_at >= self.max_msg_timeout {
            deadline = delivered_at + self.max_msg_timeout;
        }
        self.in_flight.reschedule(id, deadline);
        if let Some(f) = self.in_flight.get_mut(id) {
            f.deadline = deadline;
        }
        Ok(deadline)
    }

    // ---- timers ----------------------------------------------------------

    /// `processInFlightQueue(now)`: every in-flight message with
    /// `deadline <= now` goes back to the queue, `timeout_count + 1`, its
    /// owner (if still subscribed) gets the slot back. Appends them to
    /// `out`; returns whether any expired (nsqd's "dirty").
    pub fn process_in_flight(&mut self, now: SimTime, out: &mut Vec<Returned>) -> bool {
        let mut dirty = false;
        while let Some((_, _, f)) = self.in_flight.pop_due(now) {
            dirty = true;
            self.timeout_count += 1;
            if let Some(c) = self.clients.get_mut(&f.client) {
                c.in_flight_count = c.in_flight_count.saturating_sub(1);
            }
            let stored = self.enqueue(f.message);
            out.push(Returned {
                message: f.message,
                client: Some(f.client),
                stored,
            });
        }
        dirty
    }

    /// `processDeferredQueue(now)`: every deferred message due at `now`
    /// goes to the queue. Appends them to `out`; returns "dirty".
    pub fn process_deferred(&mut self, now: SimTime, out: &mut Vec<Returned>) -> bool {
        let mut dirty = false;
        while let Some((_, _, msg)) = self.deferred.pop_due(now) {
            dirty = true;
            let stored = self.enqueue(msg);
            out.push(Returned {
                message: msg,
                client: None,
                stored,
            });
        }
        dirty
    }

    // ---- operator actions and faults ---------------------------------------

    /// `/channel/pause`: no client is ready; in-flight messages can still
    /// be finished, requeued or time out.
    pub fn pause(&mut self) {
        self.paused = true;
    }
    /// `/channel/unpause`.
    pub fn unpause(&mut self) {
        self.paused = false;
    }

    /// The `sync-timeout` tick for this channel's disk queue.
    pub fn sync_disk(&mut self) {
        if self.backend.needs_sync() {
            self.backend.sync();
        }
    }

    /// `/channel/empty` (`Empty`): drops memory, disk, in-flight and
    /// deferred messages; every client's in-flight count becomes 0; later
    /// FINs for them fail. Returns what was dropped.
    pub fn empty(&mut self) -> Emptied {
        let (memory, disk) = self.backend.empty();
        for (_, c) in self.clients.iter_mut() {
            c.in_flight_count = 0;
        }
        let (in_flight, deferred) = self.drain_timed();
        Emptied { memory, disk, in_flight, deferred }
    }

    /// Takes every in-flight (deadline order) and deferred (due order)
    /// message out.
    fn drain_timed(&mut self) -> (Vec<InFlight>, Vec<Message>) {
        let in_flight = self.in_flight.drain().into_iter().map(|(_, _, f)| f).collect();
        let deferred = self.deferred.drain().into_iter().map(|(_, _, m)| m).collect();
        (in_flight, deferred)
    }

    /// Close every client connection (delete, crash, stop); returns them.
    pub fn close_clients(&mut self) -> Vec<ClientId> {
        self.last_served = None;
        std::mem::take(&mut self.clients).into_iter().map(|(c, _)| c).collect()
    }

    /// Clean shutdown (`Close` → `flush`): clients are closed, memory then
    /// in-flight (deadline order) then deferred messages (due order) are
    /// written to disk; in-flight ones keep their attempts, deferred ones
    /// lose their delay. An ephemeral channel has no disk: all of it is
    /// lost. What stays is the disk queue a restarted nsqd reads.
    pub fn stop_clean(&mut self) -> Shutdown {
        let closed_clients = self.close_clients();
        let mut lost = Emptied {
            memory: self.backend.flush(),
            ..Emptied::default()
        };
        for (_, _, f) in self.in_flight.drain() {
            if self.backend.write_to_disk(f.message).is_err() {
                lost.in_flight.push(f);
            }
        }
        for (_, _, m) in self.deferred.drain() {
            if let Err(m) = self.backend.write_to_disk(m) {
                lost.deferred.push(m);
            }
        }
        self.backend.sync();
        Shutdown {
            closed_clients,
            lost,
            rewound: Vec::new(),
        }
    }

    /// Unclean crash: clients are gone; memory, in-flight, deferred and
    /// disk writes not yet synced are lost (returned). What stays is the
    /// synced disk queue, read from the last sync's read position: the
    /// messages read from it since then are queued again (`rewound`), and
    /// so are not lost, wherever they had gone since (in flight, deferred,
    /// requeued to memory, or finished: then they will be delivered again).
    pub fn crash(&mut self) -> Shutdown {
        let closed_clients = self.close_clients();
        let c = self.backend.crash(true);
        let (mut in_flight, mut deferred) = self.drain_timed();
        let (mut memory, mut disk) = (c.memory, c.disk);
        let rewound: Vec<MessageId> = c.rewound.iter().map(|m| m.id).collect();
        if !rewound.is_empty() {
            let mut sorted = rewound.clone();
            crate::cold_sort::sort(&mut sorted);
            let gone = |id: &MessageId| sorted.binary_search(id).is_err();
            memory.retain(|m| gone(&m.id));
            disk.retain(|m| gone(&m.id));
            in_flight.retain(|f| gone(&f.message.id));
            deferred.retain(|m| gone(&m.id));
        }
        let lost = Emptied { memory, disk, in_flight, deferred };
        Shutdown {
            closed_clients,
            lost,
            rewound,
        }
    }
}
