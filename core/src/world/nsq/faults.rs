//! Live commands on the NSQ part of a world: nsqd crash, clean stop and
//! restart; a consumer's crash, `Stop()` and start; its `max_in_flight`
//! and failure rate; cutting and healing a link; nsqadmin's actions on a
//! topic or channel (create, pause, unpause, empty, delete); nsqadmin's
//! "tombstone topic producer" on every nsqlookupd (hides the node from
//! `/lookup` for that topic for 45 s; nsqadmin then deletes the topic on
//! the node, here a separate `nsq` `delete` command).
//!
//! # What each does (SEMANTICS 2.7, go-nsq `consumer.go`)
//! - **nsqd crash**: memory queues, in-flight and deferred messages and
//!   the disk writes not yet synced are lost; every connection to the node
//!   closes (frames on the way are lost). Consumers notice and retry every
//!   `lookupd_poll_interval` (go-nsq's reconnect loop without lookupd);
//!   a `Publish` waiting for the node returns an error (its value is
//!   lost), and one sent while it is down is refused.
//! - **clean stop**: the same, except that memory, in-flight and deferred
//!   messages are written to disk first (deferred ones lose their delay).
//! - **restart**: the node accepts connections again with what its disk
//!   holds; consumers reconnect at their next retry.
//! - **consumer crash**: its connections close at once (nsqd sees the
//!   socket close); the messages it had in flight stay in flight at the
//!   nodes until their msg timeout, then go to other consumers. Its
//!   goroutines are gone (values they held are dropped).
//! - **consumer `Stop()`**: `CLS` on every connection (nsqd answers
//!   `CLOSE_WAIT` and sends no more), in-flight messages are still
//!   handled and FINed, then each connection closes; once all are closed
//!   the handlers return.
//! - **cut link**: frames wait on the link, in both directions; neither
//!   side is told. Each side notices only by its own read deadline: nsqd
//!   closes a client it has heard nothing from for 60 s (2 heartbeat
//!   intervals), go-nsq closes a connection that received nothing for
//!   60 s (`ReadTimeout`) and reconnects; a dial across the cut fails
//!   after 1 s ([`super::beat`]).
//! - **heal link**: waiting frames move on; a side whose peer closed
//!   during the cut learns it now (EOF).
//!
//! Every command is checked completely before anything changes.

use super::NsqWorld;
use crate::command::{Command, CommandError, NsqAction};
use crate::nsq::guarantees::LossCause;
use crate::observe::trace::{EventKind, NONE};
use crate::time::echo;
use crate::world::{Kit, World};

/// Where a consumer's process stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LibState {
    Running,
    /// `Stop()` was called; connections drain.
    Stopping,
    Stopped,
    Crashed,
}

impl NsqWorld {
    fn node_index(&self, name: &str) -> Result<u16, CommandError> {
        self.names.iter().position(|n| n == name).map(|i| i as u16).ok_or_else(|| CommandError::NotApplicable(format!("no nsqd named {}", echo(name))))
    }

    fn consumer_index(&self, name: &str) -> Result<usize, CommandError> {
        self.consumers.iter().position(|c| c.name == name).ok_or_else(|| CommandError::NotApplicable(format!("no NSQ consumer named {}", echo(name))))
    }

    /// The client closes connection `conn`: both links close (frames on
    /// them are lost) and, if its node is up, nsqd removes the client.
    /// Across a cut nsqd is not told: the client's close waits on the link
    /// behind what it wrote ([`super::beat`]). Returns whether it was open.
    pub(super) fn close_conn(&mut self, conn: u16, k: &mut Kit) -> bool {
        let c = &mut self.clients[usize::from(conn)];
        let (up, down) = (c.up, c.down);
        // What it had not read goes with the socket.
        c.inbox.clear();
        c.eof = false;
        let p = super::beat::pair(up);
        let b = &mut self.beats[p];
        let was = std::mem::replace(&mut b.cli_open, false);
        b.dial = None;
        if b.cut {
            b.deadline[1] = None;
            if !was {
                return false;
            }
            self.links[down as usize].close();
            if self.beats[p].srv_open {
                let now = k.queue.now();
                self.send(up, super::Frame::Bye { conn }, now, &mut k.rng, &mut k.queue);
            } else {
                self.links[up as usize].close();
            }
            return true;
        }
        if self.links[up as usize].state() == crate::net::LinkState::Closed {
            return false;
        }
        self.links[up as usize].close();
        self.links[down as usize].close();
        self.beats[p].srv_open = false;
        self.unsubscribe(conn, k);
        true
    }

    /// nsqd removes consumer connection `conn`'s client (if its node is
    /// up): an ephemeral channel left without consumers goes.
    pub(super) fn unsubscribe(&mut self, conn: u16, k: &mut Kit) {
        let c = &self.clients[usize::from(conn)];
        let node = c.node;
        if !self.down[usize::from(node)] {
            let spec = &self.consumers[c.consumer];
            let key = self.book.find_channel(node, &spec.topic, &spec.channel);
            // The last consumer of an ephemeral channel leaves: it goes.
            if let (Some(gone), Some(key)) = (self.nodes[usize::from(node)].unsubscribe(&spec.topic, &spec.channel, u64::from(conn)), key) {
                super::book::lost(&mut self.book, key, &gone.emptied, LossCause::EphemeralGone);
                let _ = self.book.retire_channel(key);
                if gone.delete_topic {
                    if let Some(t) = self.book.find_topic(node, &spec.topic) {
                        let _ = self.book.retire_topic(t);
                    }
                }
            }
            // An ephemeral channel (or topic) gone: UNREGISTER.
            self.lookupd_sync(node, k);
        }
    }

    /// Reopens connection `conn`'s links for a new connection (not across
    /// a cut: see [`NsqWorld::dial_waits`]).
    pub(super) fn reopen_conn(&mut self, conn: u16, k: &mut Kit) {
        let now = k.queue.now();
        let c = &self.clients[usize::from(conn)];
        let (up, down) = (c.up, c.down);
        let p = super::beat::pair(up);
        if self.beats[p].cut {
            return;
        }
        self.links[up as usize].open(now);
        self.links[down as usize].open(now);
        self.beat_dialed(p, now);
    }

    /// Drops the timers of consumer `ci` (its process is gone). A slot
    /// stays taken until its queued event comes (see
    /// [`NsqWorld::on_timer`]): freed now, a timer of the next library
    /// would take it and fire at the old timer's instant.
    fn cancel_timers(&mut self, ci: usize) {
        for t in &mut self.timers {
            if t.is_some_and(|(c, _)| usize::from(c) == ci) {
                *t = None;
            }
        }
    }
}

impl World {
    /// Applies an NSQ command (see the module docs).
    pub(crate) fn nsq_apply(&mut self, cmd: &Command) -> Result<(), CommandError> {
        let Some(nsq) = self.nsq.as_deref() else {
            return Err(CommandError::NotApplicable("this scenario has no nsq section".into()));
        };
        match cmd {
            Command::NsqdCrash { nsqd } | Command::NsqdStop { nsqd } => {
                let n = nsq.node_index(nsqd)?;
                if nsq.down[usize::from(n)] {
                    return Err(CommandError::NotApplicable(format!("{} is already down", echo(nsqd))));
                }
                self.node_down(n, matches!(cmd, Command::NsqdStop { .. }));
            }
            Command::NsqdRestart { nsqd } => {
                let n = nsq.node_index(nsqd)?;
                if !nsq.down[usize::from(n)] {
                    return Err(CommandError::NotApplicable(format!("{} is running", echo(nsqd))));
                }
                let nsq = self.nsq.as_deref_mut().expect("checked");
                nsq.down[usize::from(n)] = false;
                if nsq.scans[usize::from(n)].is_some() {
                    // A new process lists the channels it loaded.
                    nsq.scans[usize::from(n)] = Some(super::Scan::start(&nsq.nodes[usize::from(n)], self.kit.queue.now()));
                }
                self.kit.record(EventKind::NsqNodeRestart, NONE, NONE, None, i64::from(n));
                nsq.arm(n, &mut self.kit.queue);
                nsq.arm_sync(n, &mut self.kit);
                // It connects to its nsqlookupds again and registers.
                nsq.lookupd_node_up(n, &mut self.kit);
            }
            Command::NsqlookupdCrash { nsqlookupd } | Command::NsqlookupdRestart { nsqlookupd } => {
                let li = nsq.lookupd_index(nsqlookupd)?;
                let crash = matches!(cmd, Command::NsqlookupdCrash { .. });
                if nsq.lk.down[li] == crash {
                    let why = if crash { "is already down" } else { "is running" };
                    return Err(CommandError::NotApplicable(format!("{} {why}", echo(nsqlookupd))));
                }
                let nsq = self.nsq.as_deref_mut().expect("checked");
                if crash {
                    nsq.lookupd_crash(li, &mut self.kit);
                } else {
                    nsq.lookupd_restart(li, &mut self.kit);
                }
            }
            Command::ConsumerCrash { consumer } => {
                let ci = nsq.consumer_index(consumer)?;
                if !matches!(nsq.libs[ci].state, LibState::Running | LibState::Stopping) {
                    return Err(CommandError::NotApplicable(format!("consumer {} is not running", echo(consumer))));
                }
                self.consumer_down(ci, LibState::Crashed);
            }
            Command::ConsumerStop { consumer } => {
                let ci = nsq.consumer_index(consumer)?;
                if nsq.libs[ci].state != LibState::Running {
                    return Err(CommandError::NotApplicable(format!("consumer {} is not running", echo(consumer))));
                }
                let nsq = self.nsq.as_deref_mut().expect("checked");
                nsq.libs[ci].state = LibState::Stopping;
                self.kit.record(EventKind::NsqConsumerStop, NONE, nsq.libs[ci].incoming, None, 0);
                let a = nsq.libs[ci].client.stop(self.kit.queue.now());
                nsq.act(ci, a, &mut self.kit);
            }
            Command::ConsumerStart { consumer } => {
                let ci = nsq.consumer_index(consumer)?;
                if !matches!(nsq.libs[ci].state, LibState::Stopped | LibState::Crashed) {
                    return Err(CommandError::NotApplicable(format!("consumer {} is running", echo(consumer))));
                }
                self.consumer_up(ci)?;
            }
            Command::SetConsumer { consumer, max_in_flight, failure_rate } => {
                let ci = nsq.consumer_index(consumer)?;
                let max_rdy = crate::nsq::nsqd::NsqdOptions::default().max_rdy_count;
                if let Some(m) = *max_in_flight {
                    if m > max_rdy {
                        return Err(CommandError::OutOfRange { what: "max_in_flight", value: m, max: max_rdy });
                    }
                }
                if let Some(f) = *failure_rate {
                    if !(0.0..=1.0).contains(&f) {
                        return Err(CommandError::NotApplicable(format!("failure_rate is a share between 0 and 1, got {f}")));
                    }
                }
                let nsq = self.nsq.as_deref_mut().expect("checked");
                if let Some(f) = *failure_rate {
                    nsq.consumers[ci].failure_rate = f;
                }
                if let Some(m) = *max_in_flight {
                    nsq.consumers[ci].max_in_flight = m;
                    let a = nsq.libs[ci].client.change_max_in_flight(m, self.kit.queue.now());
                    nsq.act(ci, a, &mut self.kit);
                }
            }
            Command::CutLink { client, nsqd } | Command::HealLink { client, nsqd } => {
                let n = nsq.node_index(nsqd)?;
                let links = self.client_links(client, n)?;
                let p = super::beat::pair(links[0]);
                if matches!(cmd, Command::CutLink { .. }) {
                    let nsq = self.nsq.as_deref_mut().expect("checked");
                    nsq.cut_pair(p, &mut self.kit);
                } else {
                    self.heal_pair(p);
                }
            }
            Command::NsqTombstone { topic, nsqd } => {
                let n = nsq.node_index(nsqd)?;
                let now = self.kit.queue.now();
                let nsq = self.nsq.as_deref_mut().expect("checked");
                // Checks everything before it tombstones anything.
                nsq.lookupd_tombstone(topic, n, now)?;
            }
            Command::Nsq { action, nsqd, topic, channel } => {
                let n = nsq.node_index(nsqd)?;
                if nsq.down[usize::from(n)] {
                    return Err(CommandError::NotApplicable(format!("{} is down", echo(nsqd))));
                }
                self.nsq_admin(n, *action, topic, channel.as_deref())?;
            }
            _ => return Err(CommandError::NotApplicable("not an NSQ command".into())),
        }
        Ok(())
    }

    /// The links of `client`'s connection(s) to node `n`: a consumer's
    /// connection, or a goroutine's publishing connection.
    fn client_links(&self, client: &str, n: u16) -> Result<Vec<u32>, CommandError> {
        let nsq = self.nsq.as_deref().expect("an nsq world");
        if let Ok(ci) = nsq.consumer_index(client) {
            let conn = nsq.libs[ci].conns.iter().find(|(node, _)| *node == n).map(|(_, c)| *c);
            let Some(conn) = conn else {
                return Err(CommandError::NotApplicable(format!("consumer {} does not connect to {}", echo(client), echo(&nsq.names[usize::from(n)]))));
            };
            let c = &nsq.clients[usize::from(conn)];
            return Ok(vec![c.up, c.down]);
        }
        let g = self.go.goroutine_id(client)?;
        match nsq.conns.get(&(g, n)) {
            Some(&(up, down)) => Ok(vec![up, down]),
            None => Err(CommandError::NotApplicable(format!(
                "{} has no connection to {} yet (it opens at its first Publish there)",
                echo(client),
                echo(&nsq.names[usize::from(n)])
            ))),
        }
    }

    /// Node `n` crashes (or stops cleanly): see the module docs.
    fn node_down(&mut self, n: u16, clean: bool) {
        let now = self.kit.queue.now();
        let nsq = self.nsq.as_deref_mut().expect("an nsq world");
        if clean {
            for t in nsq.nodes[usize::from(n)].topics() {
                for c in t.channels() {
                    super::book::before_clean_stop(&mut nsq.book, n, c);
                }
            }
        }
        let node = &mut nsq.nodes[usize::from(n)];
        let shutdown = if clean { node.stop_clean() } else { node.crash() };
        // A clean stop loses only what has no disk (ephemeral).
        let cause = if clean { LossCause::EphemeralGone } else { LossCause::UncleanCrash };
        for (topic, s) in &shutdown {
            super::book::shutdown(&mut nsq.book, n, topic, s, cause);
            if nsq.nodes[usize::from(n)].topic(topic).is_none() {
                // An ephemeral topic is gone with the process.
                if let Some(t) = nsq.book.find_topic(n, topic) {
                    let _ = nsq.book.retire_topic(t);
                }
            }
        }
        nsq.down[usize::from(n)] = true;
        nsq.timer[usize::from(n)] = None;
        self.kit.record(if clean { EventKind::NsqNodeStop } else { EventKind::NsqNodeCrash }, NONE, NONE, None, i64::from(n));
        // Its nsqlookupd connections close: the lookupds drop its registrations.
        nsq.lookupd_node_down(n, &mut self.kit);
        // Consumer connections close; running libraries notice (across a
        // cut, later).
        for conn in 0..nsq.clients.len() as u16 {
            if nsq.clients[usize::from(conn)].node == n {
                nsq.srv_closes(conn, &mut self.kit);
            }
        }
        // Publishing connections close; a Publish waiting for the node
        // fails (across a cut, when the producer learns it).
        let producers: Vec<(u32, (u32, u32))> = nsq.conns.iter().filter(|((_, node), _)| *node == n).map(|(&(g, _), &l)| (g, l)).collect();
        let mut told = Vec::new();
        for (g, (up, down)) in producers {
            nsq.links[up as usize].close();
            nsq.links[down as usize].close();
            let b = &mut nsq.beats[super::beat::pair(up)];
            b.srv_open = false;
            b.deadline[0] = None;
            if !b.cut {
                b.cli_open = false;
                told.push(g);
            }
        }
        for g in told {
            self.publish_failed(g, n, now);
        }
    }

    /// Consumer `ci`'s process is gone (crash, or the end of a `Stop()`).
    pub(super) fn consumer_down(&mut self, ci: usize, state: LibState) {
        let nsq = self.nsq.as_deref_mut().expect("an nsq world");
        let conns: Vec<u16> = nsq.libs[ci].conns.iter().map(|(_, c)| *c).collect();
        for &conn in &conns {
            nsq.close_conn(conn, &mut self.kit);
        }
        nsq.cancel_timers(ci);
        nsq.libs[ci].state = state;
        let incoming = nsq.libs[ci].incoming;
        // The values its goroutines held are gone with them.
        nsq.owner.retain(|(conn, _, _)| !conns.contains(conn));
        if state == LibState::Crashed {
            self.kit.record(EventKind::NsqConsumerCrash, NONE, incoming, None, 0);
        }
        let spec = nsq.consumers[ci].clone();
        let mut groups: Vec<String> = (1..=conns.len()).map(|i| spec.reader(i)).collect();
        groups.push(spec.handler_group());
        for group in groups {
            let (go, k) = self.go_kit();
            let _ = go.set_count(k, &group, 0);
        }
        let nsq = self.nsq.as_deref().expect("an nsq world");
        let owner = &nsq.owner;
        self.kit.doomed.retain(|m| owner.contains_key(m));
    }

    /// Consumer `ci` starts again: new goroutines, a new library, `SUB` on
    /// every connection.
    fn consumer_up(&mut self, ci: usize) -> Result<(), CommandError> {
        let nsq = self.nsq.as_deref_mut().expect("an nsq world");
        let spec = nsq.consumers[ci].clone();
        let mut lib = super::consumer::Lib::new(&spec, nsq.libs[ci].incoming).map_err(|e| CommandError::NotApplicable(e.to_string()))?;
        lib.conns = std::mem::take(&mut nsq.libs[ci].conns);
        nsq.libs[ci] = lib;
        let conns: Vec<u16> = nsq.libs[ci].conns.iter().map(|(_, c)| *c).collect();
        for &conn in &conns {
            nsq.clients[usize::from(conn)].reader = None;
            nsq.reopen_conn(conn, &mut self.kit);
        }
        self.kit.record(EventKind::NsqConsumerStart, NONE, nsq.libs[ci].incoming, None, 0);
        let mut groups: Vec<(String, u32)> = (1..=conns.len()).map(|i| (spec.reader(i), 1)).collect();
        groups.push((spec.handler_group(), spec.handlers));
        for (group, count) in groups {
            let (go, k) = self.go_kit();
            go.set_count(k, &group, count)?;
        }
        let nsq = self.nsq.as_deref_mut().expect("an nsq world");
        nsq.start_lib(ci, &mut self.kit);
        Ok(())
    }

    /// nsqadmin's action on a topic or channel of node `n` (up).
    fn nsq_admin(&mut self, n: u16, action: NsqAction, topic: &str, channel: Option<&str>) -> Result<(), CommandError> {
        let now = self.kit.queue.now();
        let nsq = self.nsq.as_deref_mut().expect("an nsq world");
        let node = &mut nsq.nodes[usize::from(n)];
        let refused = |e: crate::nsq::NsqError| CommandError::NotApplicable(e.to_string());
        let missing_topic = || CommandError::NotApplicable(format!("no topic {} on {}", echo(topic), echo(&nsq.names[usize::from(n)])));
        // Check everything first: names, existence.
        crate::nsq::names::check_topic_name(topic).map_err(refused)?;
        if let Some(c) = channel {
            crate::nsq::names::check_channel_name(c).map_err(refused)?;
        }
        if action != NsqAction::Create {
            let t = node.topic(topic).ok_or_else(missing_topic)?;
            if let Some(c) = channel {
                if t.channel(c).is_none() {
                    return Err(CommandError::NotApplicable(format!("no channel {} in topic {}", echo(c), echo(topic))));
                }
            }
        }
        let mut closed = Vec::new();
        let book = &mut nsq.book;
        match (action, channel) {
            (NsqAction::Create, None) => {
                node.get_topic(topic).map_err(refused)?;
                book.topic(n, topic);
            }
            (NsqAction::Create, Some(c)) => {
                let t = node.get_topic(topic).map_err(refused)?;
                let (_, report) = t.get_channel(c, now, &mut self.kit.rng).map_err(refused)?;
                book.channel(n, topic, c);
                super::book::put(book, n, t, &report, None, &mut nsq.keys);
            }
            (NsqAction::Pause, None) => node.topic_mut(topic).ok_or_else(missing_topic)?.pause(),
            (NsqAction::Pause, Some(c)) => node.topic_mut(topic).and_then(|t| t.channel_mut(c)).ok_or_else(missing_topic)?.pause(),
            (NsqAction::Unpause, None) => {
                let t = node.topic_mut(topic).ok_or_else(missing_topic)?;
                let report = t.unpause(now, &mut self.kit.rng);
                super::book::put(book, n, t, &report, None, &mut nsq.keys);
            }
            (NsqAction::Unpause, Some(c)) => node.topic_mut(topic).and_then(|t| t.channel_mut(c)).ok_or_else(missing_topic)?.unpause(),
            (NsqAction::Empty, None) => {
                let (memory, disk) = node.topic_mut(topic).ok_or_else(missing_topic)?.empty();
                if let Some(t) = book.find_topic(n, topic) {
                    for m in memory.iter().chain(&disk) {
                        let _ = book.topic_lost(t, m.id, LossCause::Emptied);
                    }
                }
            }
            (NsqAction::Empty, Some(c)) => {
                let emptied = node.topic_mut(topic).and_then(|t| t.channel_mut(c)).ok_or_else(missing_topic)?.empty();
                let key = book.channel(n, topic, c);
                super::book::lost(book, key, &emptied, LossCause::Emptied);
            }
            (NsqAction::Delete, None) => {
                let gone = node.delete_topic(topic).map_err(refused)?;
                closed.extend(gone.channels.iter().flat_map(|(_, s)| s.closed_clients.iter().copied()));
                super::book::shutdown(book, n, topic, &gone, LossCause::Deleted);
                if let Some(t) = book.find_topic(n, topic) {
                    super::book::debug_ok(book.retire_topic(t));
                }
            }
            (NsqAction::Delete, Some(c)) => {
                let gone = node.delete_channel(topic, c).map_err(refused)?;
                closed.extend(gone.closed_clients.iter().copied());
                let key = book.channel(n, topic, c);
                super::book::lost(book, key, &gone.emptied, LossCause::Deleted);
                super::book::debug_ok(book.retire_channel(key));
                if gone.delete_topic {
                    if let Some(t) = book.find_topic(n, topic) {
                        super::book::debug_ok(book.retire_topic(t));
                    }
                }
            }
        }
        // nsqd closes the connections of a deleted channel's consumers.
        for client in closed {
            nsq.srv_closes(client as u16, &mut self.kit);
        }
        nsq.pump_topic(n, topic, now, &mut self.kit.rng, &mut self.kit.queue);
        // REGISTER / UNREGISTER what the action created or deleted.
        nsq.lookupd_sync(n, &mut self.kit);
        Ok(())
    }
}
