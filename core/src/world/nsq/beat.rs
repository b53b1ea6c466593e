//! Heartbeats and read deadlines of the client <-> nsqd connections: how
//! each side of a cut connection notices, on its own, that nothing comes
//! any more (nsqd `protocol_v2.go` `IOLoop` and `messagePump`, go-nsq
//! `conn.go` `Read`, `readLoop`, `consumer.go` `onConnIOError`).
//!
//! # What the real code does
//! - nsqd's `messagePump` sends a `_heartbeat_` response frame every
//!   heartbeat interval (30 s, a ticker started with the connection),
//!   whatever else it sends; go-nsq's `readLoop` answers each with `NOP`.
//! - nsqd's `IOLoop` sets a read deadline of 2 x the heartbeat interval
//!   (60 s) before reading each command: a client it hears no command from
//!   (`NOP`, `RDY`, `FIN`, ...) for 60 s is closed (`RemoveClient`). Its
//!   in-flight messages stay until their msg timeout, as on any close.
//! - go-nsq sets a read deadline of `ReadTimeout` (60 s) before each read:
//!   a connection that receives nothing for 60 s gets an IO error and is
//!   closed (`Conn.Close`: torn down once no message is in flight on it);
//!   the consumer reconnects as after any close (a lookupd re-poll, or a
//!   retry every `LookupdPollInterval`). A producer's `Publish` waiting on
//!   the connection returns an error.
//! - Dialing a node the client cannot reach fails after go-nsq's
//!   `DialTimeout` (1 s).
//! - A side that closes sends a FIN; the other side reads EOF and closes
//!   too, but only once the FIN can get through.
//!
//! # What the model does
//! While the network between a client and a node is up, heartbeats always
//! arrive and are always answered well inside the deadlines, so neither
//! side can time out: the model carries no heartbeat frames and schedules
//! nothing for them (runs without cuts are unchanged, and cost nothing).
//! It only records, per connection, when each side last received a frame.
//! When a connection is **cut** (`cut_link`), nothing passes; each side's
//! deadline is 60 s after the later of the last frame it received and the
//! last heartbeat tick before the cut, and one check event
//! (`Ev::NsqBeat`) is scheduled per cut connection at its earliest
//! deadline:
//! - **nsqd's deadline** passes: it drops the client (event
//!   `nsq_heartbeat_timeout`, side 0); frames on the connection are lost.
//!   The client learns when the link heals (nsqd's FIN arrives: EOF after
//!   what it has not read) or at its own deadline.
//! - **the client's deadline** passes (event `nsq_heartbeat_timeout`, side
//!   1): a consumer's library closes the connection (once nothing is in
//!   flight on it) and reconnects per its usual rules; a producer closes
//!   it, and a `Publish` waiting on it fails. nsqd learns at the heal (the
//!   client's close arrives after the frames it wrote before) or at its own
//!   deadline.
//! - A node crash, a channel delete or a consumer crash during a cut is
//!   learnt by the other side the same way (at the heal, or by timeout).
//! - A new connection to a node across a cut waits: if the link heals
//!   within the 1 s dial timeout it goes through, else the dial fails.
//!
//! # A reader that does not read (the link up)
//! go-nsq's `readLoop` reads the frames of a connection in order and
//! answers a heartbeat only when it reads it; it hands each message to the
//! handlers (`OnMessage`: `incomingMessages <- msg`, unbuffered) before it
//! reads on. With every handler busy and more messages in flight than
//! handlers (`max_in_flight` > handlers, or a message nsqd sent again
//! after its msg timeout while a handler still works on it: go-nsq PR
//! #348), the reader blocks there, and the heartbeats behind the message
//! wait unread. nsqd then hears only what
//! the client's other goroutines write (`FIN`, `REQ`, `TOUCH`, `RDY`); if
//! that is nothing for 60 s, its read deadline passes and it closes the
//! connection, link up (the client reads EOF after the frames before it).
//! The model follows the stream: a tick is read (and its `NOP` heard by
//! nsqd) once the reader has taken every message that arrived before it,
//! or at its own instant while the reader waits with nothing unread. When
//! the reader stops waiting, one check (`Ev::NsqBeat`) is scheduled at
//! nsqd's deadline (60 s after the last command or `NOP` it heard); the
//! check schedules itself again while the reader stays busy and commands
//! keep coming, so this costs about one event per connection a minute.
//! nsqd's close is event `nsq_heartbeat_timeout` (side 2: the reader was
//! blocked); the client reads it as any close (next section).
//!
//! # nsqd closes (go-nsq `conn.go` `readLoop`, `cleanup`, `waitForCleanup`)
//! Whatever the cause (a missed heartbeat, a crash, a deleted channel),
//! nsqd forgets the client at once; what the client wrote that nsqd had not
//! read is lost. What nsqd wrote still arrives (TCP delivers data before
//! the FIN): messages on their way reach the client, and nsqd's close
//! follows them (`Frame::Eof`, [`crate::net::Link::send_close`]). go-nsq's
//! reader reads on: the messages in its socket, each handed to the
//! handlers as usual (so a blocked reader goes on blocking), then EOF
//! ([`NsqWorld::srv_eof`]; across a cut, once the link heals). EOF is an IO error: `Conn.Close`. The connection is then torn
//! down only when every message it delivered has been answered (`cleanup`
//! waits for `messagesInFlight == 0`), and only then is the consumer told
//! (`OnClose`), which is when it reconnects. The answers themselves go
//! nowhere: a `FIN` or `REQ` to a connection nsqd has closed is lost
//! (events `nsq_finish` / `nsq_requeue` say so); a node that is still up
//! keeps the message in flight until its msg timeout.
//!
//! # Simplifications
//! - Heartbeat frames are virtual: a heartbeat and its `NOP` take no time,
//!   so a tick answered before the cut counts at the tick's instant, and a
//!   tick read late is heard by nsqd at the instant it is read.
//! - While the reader is blocked, go-nsq's own read deadline does not run
//!   (it is set before each read), which the model follows; across a cut
//!   the client's deadline counts from the last frame it received.
//! - A producer that gives up drops the `PUB` still on the link with the
//!   connection (it never reaches nsqd).

use super::{Frame, NsqWorld};
use crate::gochan::channel::GoId;
use crate::nsq::client::NodeId;
use crate::observe::trace::{EventKind, NONE};
use crate::time::{SimDuration, SimTime};
use crate::world::{Ev, Kit, World};

/// nsqd's heartbeat interval (the default `ClientTimeout / 2`).
pub(crate) const HEARTBEAT_INTERVAL: SimDuration = SimDuration::from_secs(30);
/// nsqd's read deadline: 2 heartbeat intervals.
pub(crate) const NSQD_READ_TIMEOUT: SimDuration = SimDuration::from_secs(60);
/// go-nsq's `ReadTimeout`.
pub(crate) const CLIENT_READ_TIMEOUT: SimDuration = SimDuration::from_secs(60);
/// go-nsq's `DialTimeout`.
pub(crate) const DIAL_TIMEOUT: SimDuration = SimDuration::from_secs(1);

/// Who uses a link pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Owner {
    /// nsqd <-> nsqlookupd, consumer <-> nsqlookupd: no heartbeats here.
    Other,
    /// Consumer connection `conn`.
    Consumer(u16),
    /// Goroutine `g`'s publishing connection.
    Producer(GoId),
}

/// The heartbeat state of one link pair (one TCP connection at a time).
#[derive(Clone, Debug)]
pub(super) struct Beat {
    pub(super) owner: Owner,
    node: u16,
    /// When nsqd took the connection (its heartbeat ticker starts).
    epoch: SimTime,
    /// The last frame each side received: [nsqd, client] (link parity).
    pub(super) heard: [SimTime; 2],
    /// nsqd holds the connection.
    pub(super) srv_open: bool,
    /// The client holds the connection (dialed, not yet closed).
    pub(super) cli_open: bool,
    /// The network between them is cut.
    pub(super) cut: bool,
    /// While cut: nsqd's and the client's read deadlines.
    pub(super) deadline: [Option<SimTime>; 2],
    /// While cut: a dial waits, failing at this instant.
    pub(super) dial: Option<SimTime>,
    /// The earliest check event scheduled.
    armed: Option<SimTime>,
    /// Consumer connections: the first heartbeat tick the reader has not
    /// read yet.
    next_tick: SimTime,
    /// Consumer connections: when nsqd last heard a `NOP` (a heartbeat the
    /// reader read).
    nop: SimTime,
    /// Consumer connections, link up, reader busy: when nsqd's read
    /// deadline passes unless it hears something first (see the module
    /// docs).
    busy_due: Option<SimTime>,
}

impl Beat {
    pub(super) fn new(node: u16) -> Beat {
        Beat {
            owner: Owner::Other,
            node,
            epoch: SimTime::ZERO,
            heard: [SimTime::ZERO; 2],
            srv_open: false,
            cli_open: false,
            cut: false,
            deadline: [None; 2],
            dial: None,
            armed: None,
            next_tick: SimTime::ZERO,
            nop: SimTime::ZERO,
            busy_due: None,
        }
    }

    /// The last heartbeat tick at or before `t` (none before the first).
    fn last_tick(&self, t: SimTime) -> Option<SimTime> {
        let since = t.since(self.epoch).as_micros();
        let step = HEARTBEAT_INTERVAL.as_micros();
        (t >= self.epoch && since >= step).then(|| self.epoch + SimDuration::from_micros(since / step * step))
    }

    /// The first heartbeat tick after `t`.
    fn tick_after(&self, t: SimTime) -> SimTime {
        let step = HEARTBEAT_INTERVAL.as_micros();
        self.epoch + SimDuration::from_micros((t.since(self.epoch).as_micros() / step + 1) * step)
    }

    fn next_due(&self) -> Option<SimTime> {
        if !self.cut {
            return self.busy_due;
        }
        [self.deadline[0], self.deadline[1], self.dial].into_iter().flatten().min()
    }

    /// The last command or `NOP` nsqd heard on a consumer connection by
    /// `now`, `reading` telling whether its reader waits with nothing
    /// unread (then every tick is answered as it comes).
    fn srv_heard(&self, reading: bool, now: SimTime) -> SimTime {
        let tick = if reading { self.last_tick(now).unwrap_or(SimTime::ZERO) } else { SimTime::ZERO };
        self.heard[0].max(self.nop).max(tick)
    }

    /// The reader of a consumer connection waits for a frame with nothing
    /// unread at `now`: the ticks it had not read are read now.
    pub(super) fn reader_waits(&mut self, now: SimTime) {
        if self.srv_open && self.next_tick <= now {
            self.nop = now;
            self.next_tick = self.tick_after(now);
        }
    }

    /// The reader takes a message that arrived at `arrived`, at `now`;
    /// `was_reading`: it waited with nothing unread until now. Returns
    /// whether it just stopped reading (then nsqd's deadline is watched).
    pub(super) fn reader_takes(&mut self, arrived: SimTime, was_reading: bool, now: SimTime) -> bool {
        if !self.srv_open {
            return false;
        }
        if was_reading {
            // Every tick up to now was answered at its own instant.
            if self.next_tick <= now {
                self.nop = self.nop.max(self.last_tick(now).unwrap_or(SimTime::ZERO));
                self.next_tick = self.tick_after(now);
            }
            return true;
        }
        // The ticks that came before this message are read now.
        if self.next_tick < arrived {
            self.nop = now;
            self.next_tick = self.tick_after(SimTime::from_micros(arrived.as_micros().saturating_sub(1)));
        }
        false
    }
}

/// The pair index of a link.
pub(super) fn pair(link: u32) -> usize {
    link as usize / 2
}

impl NsqWorld {
    /// Schedules pair `p`'s check at its earliest pending deadline unless
    /// one is scheduled earlier.
    fn arm_beat(&mut self, p: usize, k: &mut Kit) {
        let b = &mut self.beats[p];
        if let Some(at) = b.next_due() {
            if b.armed.is_none_or(|a| at < a) {
                b.armed = Some(at);
                k.queue.schedule(at, Ev::NsqBeat(p as u32));
            }
        }
    }

    /// nsqd took the connection of pair `p` (a `SUB` or a producer's
    /// first `PUB` arrived): its heartbeat ticker starts.
    pub(super) fn beat_accepted(&mut self, p: usize, now: SimTime) {
        let b = &mut self.beats[p];
        if !b.srv_open {
            b.srv_open = true;
            b.epoch = now;
            b.next_tick = now + HEARTBEAT_INTERVAL;
            b.nop = now;
            b.busy_due = None;
        }
    }

    /// Consumer connection `conn`'s reader stopped reading (it took a
    /// message, or nsqd took the connection while it was busy): nsqd's
    /// read deadline is watched (module docs).
    pub(super) fn watch_reader(&mut self, conn: u16, k: &mut Kit) {
        let p = pair(self.clients[usize::from(conn)].up);
        let b = &mut self.beats[p];
        if b.cut || !b.srv_open || !b.cli_open {
            return;
        }
        let due = b.srv_heard(false, k.queue.now()) + NSQD_READ_TIMEOUT;
        if b.busy_due.is_none_or(|d| due < d) {
            b.busy_due = Some(due);
        }
        self.arm_beat(p, k);
    }

    /// The client dialed the connection of pair `p` (not cut).
    pub(super) fn beat_dialed(&mut self, p: usize, now: SimTime) {
        let b = &mut self.beats[p];
        b.cli_open = true;
        b.heard[1] = now;
    }

    /// The client wants a new connection on pair `p` while it is cut: the
    /// dial waits (see the module docs). Returns whether it waits.
    pub(super) fn dial_waits(&mut self, p: usize, k: &mut Kit) -> bool {
        if !self.beats[p].cut {
            return false;
        }
        if self.beats[p].dial.is_none() {
            self.beats[p].dial = Some(k.queue.now() + DIAL_TIMEOUT);
            self.arm_beat(p, k);
        }
        true
    }

    /// Cuts the network of pair `p`: its links hold their frames and each
    /// side's read deadline is set.
    pub(super) fn cut_pair(&mut self, p: usize, k: &mut Kit) {
        let now = k.queue.now();
        if self.beats[p].cut {
            return;
        }
        for l in [2 * p, 2 * p + 1] {
            self.links[l].cut();
        }
        let reading = match self.beats[p].owner {
            Owner::Consumer(conn) => self.clients[usize::from(conn)].reader.is_some(),
            _ => true,
        };
        let b = &mut self.beats[p];
        b.cut = true;
        // The last heartbeat before the cut went both ways (a consumer's
        // once its reader read it).
        let tick = (b.srv_open && b.cli_open).then(|| b.last_tick(now)).flatten();
        let srv_last = match b.owner {
            Owner::Consumer(_) => b.srv_heard(reading && tick.is_some(), now),
            _ => b.heard[0].max(tick.unwrap_or(SimTime::ZERO)),
        };
        let cli_last = b.heard[1].max(tick.unwrap_or(SimTime::ZERO));
        b.busy_due = None;
        b.deadline = [b.srv_open.then(|| srv_last + NSQD_READ_TIMEOUT), b.cli_open.then(|| cli_last + CLIENT_READ_TIMEOUT)];
        self.arm_beat(p, k);
    }

    /// nsqd forgets consumer connection `conn` (its side closed): the
    /// client is removed from its channel (if the node is up).
    pub(super) fn srv_drop(&mut self, conn: u16, k: &mut Kit) {
        let p = pair(self.clients[usize::from(conn)].up);
        if !std::mem::replace(&mut self.beats[p].srv_open, false) {
            return;
        }
        self.beats[p].deadline[0] = None;
        self.unsubscribe(conn, k);
    }

    /// nsqd closes consumer connection `conn` (a node crash, a channel
    /// delete, a reader it heard nothing from): it forgets the client, and
    /// what the client wrote that nsqd had not read is lost. What nsqd
    /// wrote still reaches the client, then its close (TCP delivers data
    /// before the FIN): the reader reads EOF after the messages in its
    /// socket; across a cut, all of it waits for the heal (module docs).
    pub(super) fn srv_closes(&mut self, conn: u16, k: &mut Kit) {
        let c = &self.clients[usize::from(conn)];
        let (up, down) = (c.up, c.down);
        if self.links[down as usize].closing() {
            // Closed already (say, a channel delete, then a crash): its
            // close is on its way.
            return;
        }
        let p = pair(up);
        let open = self.beats[p].cli_open && self.links[up as usize].state() != crate::net::LinkState::Closed;
        let told = open && !self.beats[p].cut;
        self.srv_drop(conn, k);
        self.links[up as usize].close();
        if open && self.links[down as usize].in_transit() > 0 {
            // Its FIN goes behind the messages it wrote.
            if let Ok(Some(at)) = self.links[down as usize].send_close(k.queue.now(), Frame::Eof { conn }) {
                k.queue.schedule(at, Ev::Net(down));
            }
            return;
        }
        self.links[down as usize].close();
        if told {
            self.srv_eof(conn, k);
        }
    }

    /// nsqd's close reaches the client of `conn`: its reader reads EOF now
    /// if it waits with nothing unread, else once it has taken what is
    /// (`hand_over`). go-nsq then closes its side (`Conn.Close`), which
    /// completes when its handlers have answered every message of the
    /// connection (`cleanup`); only then does the consumer reconnect.
    pub(super) fn srv_eof(&mut self, conn: u16, k: &mut Kit) {
        let c = &mut self.clients[usize::from(conn)];
        if c.reader.is_some() && c.inbox.is_empty() {
            self.client_gives_up(conn, k);
        } else {
            c.eof = true;
        }
    }
}

impl World {
    /// Heals the network of pair `p`: waiting frames move on, a waiting
    /// dial goes through, and a side whose peer closed during the cut
    /// learns it now.
    pub(super) fn heal_pair(&mut self, p: usize) {
        let now = self.kit.queue.now();
        let Some(nsq) = self.nsq.as_deref_mut() else { return };
        if !nsq.beats[p].cut {
            return;
        }
        for l in [2 * p, 2 * p + 1] {
            for at in nsq.links[l].heal(now, &mut self.kit.rng) {
                self.kit.queue.schedule(at, Ev::Net(l as u32));
            }
        }
        let b = &mut nsq.beats[p];
        b.cut = false;
        b.deadline = [None; 2];
        let dial = b.dial.take().is_some();
        let (owner, node, srv, cli) = (b.owner, b.node, b.srv_open, b.cli_open);
        match owner {
            Owner::Consumer(conn) => {
                if dial {
                    nsq.dial_through(conn, &mut self.kit);
                } else if cli && !srv && !nsq.links[nsq.clients[usize::from(conn)].down as usize].closing() {
                    // nsqd's FIN arrives: the reader reads EOF after what it
                    // has not read. (If nsqd's messages were still on the
                    // link, its FIN follows them as a frame: `Frame::Eof`.)
                    nsq.srv_eof(conn, &mut self.kit);
                }
                // (srv && !cli: the client's close is on its way.)
                if srv && cli && nsq.clients[usize::from(conn)].reader.is_none() {
                    // Its reader is busy: nsqd's deadline is watched again.
                    nsq.watch_reader(conn, &mut self.kit);
                }
            }
            Owner::Producer(g) => {
                if !cli && srv {
                    nsq.beats[p].srv_open = false;
                }
                if dial {
                    self.producer_dial_through(g, node, now);
                } else if cli && !srv {
                    self.producer_gives_up(g, node, now);
                }
            }
            Owner::Other => {}
        }
    }

    /// Pair `p`'s check: the deadlines due now pass (module docs).
    pub(crate) fn nsq_beat(&mut self, p: u32, now: SimTime) {
        let p = p as usize;
        let Some(nsq) = self.nsq.as_deref_mut() else { return };
        let Some(b) = nsq.beats.get_mut(p) else { return };
        if b.armed == Some(now) {
            b.armed = None;
        }
        if !b.cut {
            return self.reader_check(p, now);
        }
        let (owner, node) = (b.owner, b.node);
        let due = |t: Option<SimTime>| t.is_some_and(|t| t <= now);
        let dial_failed = due(b.dial);
        if dial_failed {
            b.dial = None;
        }
        let srv = due(b.deadline[0]);
        if srv {
            b.deadline[0] = None;
        }
        let cli = due(b.deadline[1]);
        if cli {
            b.deadline[1] = None;
        }
        let ch = match owner {
            Owner::Consumer(conn) => nsq.libs[nsq.clients[usize::from(conn)].consumer].incoming,
            _ => NONE,
        };
        let g = match owner {
            Owner::Producer(g) => g,
            _ => NONE,
        };
        if dial_failed {
            match owner {
                Owner::Consumer(conn) => nsq.on_refused(conn, &mut self.kit),
                Owner::Producer(g) => self.publish_failed(g, node, now),
                Owner::Other => {}
            }
        }
        if srv {
            self.kit.record(EventKind::NsqHeartbeatTimeout, g, ch, None, i64::from(node));
            let nsq = self.nsq.as_deref_mut().expect("an nsq world");
            match owner {
                Owner::Consumer(conn) => nsq.srv_drop(conn, &mut self.kit),
                _ => nsq.beats[p].srv_open = false,
            }
            // nsqd's socket is gone: what either side wrote is lost.
            nsq.links[2 * p].close();
            nsq.links[2 * p + 1].close();
        }
        if cli {
            self.kit.record(EventKind::NsqHeartbeatTimeout, g, ch, None, i64::from(node) + 65536);
            let nsq = self.nsq.as_deref_mut().expect("an nsq world");
            match owner {
                Owner::Consumer(conn) => nsq.client_gives_up(conn, &mut self.kit),
                Owner::Producer(g) => self.producer_gives_up(g, node, now),
                Owner::Other => {}
            }
        }
        if let Some(nsq) = self.nsq.as_deref_mut() {
            nsq.arm_beat(p, &mut self.kit);
        }
    }

    /// Pair `p`'s check with the link up: a consumer connection whose
    /// reader has been busy since nsqd last heard a command or a `NOP` 60 s
    /// ago is closed by nsqd (module docs).
    fn reader_check(&mut self, p: usize, now: SimTime) {
        let Some(nsq) = self.nsq.as_deref_mut() else { return };
        let b = &nsq.beats[p];
        if b.busy_due.is_some_and(|d| d <= now) {
            let conn = match b.owner {
                Owner::Consumer(conn) if b.srv_open && b.cli_open => Some(conn),
                _ => None,
            };
            let busy = conn.filter(|&c| nsq.clients[usize::from(c)].reader.is_none());
            let b = &mut nsq.beats[p];
            b.busy_due = None;
            if let Some(conn) = busy {
                let due = b.srv_heard(false, now) + NSQD_READ_TIMEOUT;
                if due > now {
                    b.busy_due = Some(due);
                } else {
                    let ch = nsq.libs[nsq.clients[usize::from(conn)].consumer].incoming;
                    let node = b.node;
                    self.kit.record(EventKind::NsqHeartbeatTimeout, NONE, ch, None, i64::from(node) + 2 * 65536);
                    let nsq = self.nsq.as_deref_mut().expect("an nsq world");
                    nsq.srv_closes(conn, &mut self.kit);
                }
            }
        }
        if let Some(nsq) = self.nsq.as_deref_mut() {
            nsq.arm_beat(p, &mut self.kit);
        }
    }

    /// Producer `g`'s connection to `node` is gone on its side (read
    /// timeout, or EOF after a heal): a `Publish` waiting on it fails.
    fn producer_gives_up(&mut self, g: GoId, node: u16, now: SimTime) {
        let Some(nsq) = self.nsq.as_deref_mut() else { return };
        if let Some(&(up, down)) = nsq.conns.get(&(g, node)) {
            let p = pair(up);
            nsq.beats[p].cli_open = false;
            nsq.beats[p].deadline[1] = None;
            if !nsq.beats[p].cut {
                nsq.beats[p].srv_open = false;
            }
            nsq.links[up as usize].close();
            nsq.links[down as usize].close();
        }
        if nsq.publishing.get(&g).is_some_and(|&(n, _, _)| n == node) {
            self.publish_failed(g, node, now);
        }
    }

    /// Producer `g`'s dial to `node` waited across a cut that healed in
    /// time: the connection opens and its `PUB` goes out.
    fn producer_dial_through(&mut self, g: GoId, node: u16, now: SimTime) {
        let Some(nsq) = self.nsq.as_deref_mut() else { return };
        let Some(&(n, topic, seq)) = nsq.publishing.get(&g) else { return };
        if n != node {
            return;
        }
        let value = self.go.gs[g as usize].held.map_or(0, |m| self.kit.ledger.msgs.get(m).value);
        let (up, down) = nsq.conn(g, node);
        nsq.links[up as usize].open(now);
        nsq.links[down as usize].open(now);
        nsq.beat_dialed(pair(up), now);
        let (batch, extra_from) = nsq.batches.get(&g).copied().unwrap_or((1, 0));
        nsq.send(up, Frame::Pub { g, topic, value, seq, batch, extra_from }, now, &mut self.kit.rng, &mut self.kit.queue);
    }
}

impl NsqWorld {
    /// The client side of consumer connection `conn` gives up (read
    /// timeout, or EOF): go-nsq's `Conn.Close`, or a failed connect if the
    /// `SUB` was never answered.
    pub(super) fn client_gives_up(&mut self, conn: u16, k: &mut Kit) {
        let c = &mut self.clients[usize::from(conn)];
        c.eof = false;
        let (ci, node) = (c.consumer, NodeId(u32::from(c.node)));
        let p = pair(c.up);
        if !self.beats[p].cli_open {
            // Closed on its side already.
            return;
        }
        self.beats[p].deadline[1] = None;
        let running = matches!(self.libs[ci].state, super::faults::LibState::Running | super::faults::LibState::Stopping);
        if !running {
            self.close_conn(conn, k);
            return;
        }
        match self.libs[ci].client.close_conn(node) {
            Ok(a) => self.act(ci, a, k),
            Err(_) => {
                // Still connecting: the connect fails.
                self.close_conn(conn, k);
                if let Ok(a) = self.libs[ci].client.on_connect_failed(node, k.queue.now()) {
                    self.act(ci, a, k);
                }
            }
        }
    }

    /// A consumer's dial waited across a cut that healed in time: the
    /// connection opens and `SUB` goes out.
    fn dial_through(&mut self, conn: u16, k: &mut Kit) {
        let now = k.queue.now();
        self.reopen_conn(conn, k);
        let up = self.clients[usize::from(conn)].up;
        self.send(up, Frame::Sub { conn }, now, &mut k.rng, &mut k.queue);
    }
}
