//! nsqlookupd in the world: every nsqd's connection to every lookupd, the
//! registrations it sends, and go-nsq's lookups (`ConnectToNSQLookupds`).
//! The lookupds themselves are [`Lookupd`] state machines
//! (`crate::nsq::lookupd`); this file carries what they hear and say over
//! links, with the scenario's latency per frame.
//!
//! # nsqd's side (`nsqd/lookup.go`)
//! - At the start of the run and at each restart, a node opens a new
//!   connection to every lookupd (a new peer), sends `IDENTIFY`, then
//!   `REGISTER topic channel` for each channel it has and `REGISTER topic`
//!   for each topic without channels, in name order.
//! - Afterwards it sends `REGISTER topic` when a topic is created,
//!   `REGISTER topic channel` when a channel is created (PUB and SUB create
//!   them, so does the operator), `UNREGISTER topic channel` when a channel
//!   goes (operator delete, last client of an ephemeral channel), and
//!   `UNREGISTER topic` then `UNREGISTER topic channel` for each of its
//!   channels when a topic goes (`Topic.exit`, then `Channel.Delete`).
//! - `PING` every 15 s on each connection (which keeps `last_update`
//!   fresh: lookup hides producers silent for 300 s).
//! - A crash or a clean stop closes the connections: each lookupd drops
//!   every registration of that peer at once (frames on the way are lost).
//! - Every send goes through `lookupPeer.Command` (`nsqd/lookup_peer.go`):
//!   on a closed connection it dials first (refused while the lookupd is
//!   down) and, once connected, its connect callback sends `IDENTIFY` and
//!   `REGISTER`s everything the node has again. When a lookupd dies, nsqd
//!   does not notice until its next command (the 15 s `PING`, or a
//!   `REGISTER`) fails on the dead connection and closes it; the command
//!   after that dials. So a restarted lookupd hears again from each node
//!   at the node's second command after the crash (within 30 s when
//!   nothing else changes), not at its first.
//! - When a topic is created on a node (PUB or SUB), nsqd first creates the
//!   non-ephemeral channels the lookupds know for it (`NSQD.GetTopic` asks
//!   every lookupd's `/channels`), so a producer's messages already have
//!   the consumers' channels even before their SUB.
//!
//! # go-nsq's side
//! [`Action::QueryLookupd`](crate::nsq::client::Action) sends
//! `GET /lookup?topic=` to that lookupd over the consumer's link to it; the
//! lookupd answers at arrival (`Lookupd::lookup`: producers active in the
//! last 300 s, not tombstoned); the answer goes to the library
//! (`on_lookup_response`), whose `Connect`s open the consumer's slot to
//! each named node (`SUB` goes out). A 404 `TOPIC_NOT_FOUND` is a failed
//! query: the library asks the next lookupd (3 tries per poll). So is a
//! query to a lookupd that is down: its host answers the connection
//! attempt with a refusal, one round trip.
//!
//! # A lookupd's crash and restart
//! nsqlookupd keeps everything in memory: a crash loses every
//! registration, and it starts again empty. The consumers' connections to
//! nsqd nodes do not depend on it and stay; their lookups to it fail and go
//! to the next lookupd; nsqd nodes register again as above. Losing one
//! lookupd of several stops nothing (SEMANTICS 2.5). A clean stop is no
//! different for a process that keeps nothing on disk, so there is one
//! command for both.
//!
//! # Simplifications
//! - A lookupd learns of a closed nsqd connection at once (no FIN latency);
//!   it opens its side of a connection when the IDENTIFY arrives.
//! - nsqd's pre-creation of channels reads the lookupds' state directly
//!   (no HTTP round trip; real nsqd blocks on it).
//! - An HTTP lookup is one request frame and one answer frame over a link
//!   per consumer and lookupd (no connection setup, no 1 min timeout): a
//!   lookupd that is down refuses at once, one that runs always answers.
//! - nsqd notices a dead lookupd connection when it sends, without the
//!   round trip of the failed read; after a reconnect, the callback's
//!   `REGISTER`s carry everything and the command that dialled adds
//!   nothing, so the model does not send it again.
//! - Registrations are found by comparing what a node has with what it
//!   last announced, right after each PUB, SUB, operator action and closed
//!   consumer connection, and again before each PING (so a change made
//!   elsewhere reaches the lookupds within 15 s at the latest).

use super::{Frame, NsqWorld};
use crate::nsq::client::{Action, LookupdId, NodeId};
use crate::nsq::lookupd::{Category, Lookupd, LookupdOptions, PeerId, PING_INTERVAL};
use crate::nsq::names::is_ephemeral;
use crate::nsq::spec::NsqSpec;
use crate::observe::snapshot::{NsqLookupdTopicView, NsqLookupdView};
use crate::observe::trace::{EventKind, LOOKUP_REFUSED, NONE};
use crate::rng::SimRng;
use crate::time::SimTime;
use crate::world::{Ev, Kit};
use litemap::LiteMap;
use std::collections::BTreeSet;

/// What travels between nsqds, consumers and lookupds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum LookupdFrame {
    /// nsqd -> lookupd on peer slot `peer` (`node * lookupds + lookupd`).
    Identify { peer: u32 },
    Register { peer: u32, topic: String, channel: Option<String> },
    Unregister { peer: u32, topic: String, channel: Option<String> },
    Ping { peer: u32 },
    /// Consumer -> lookupd: `GET /lookup?topic=<its topic>`.
    Query { consumer: u16, lookupd: u16, attempt: u8, epoch: u32 },
    /// Lookupd -> consumer: the producers, or why there are none.
    Answer { consumer: u16, lookupd: u16, attempt: u8, epoch: u32, producers: Result<Vec<u32>, LookupFailed> },
}

/// Why a lookup gave no producers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LookupFailed {
    /// 404 `TOPIC_NOT_FOUND`: no node registered the topic.
    TopicNotFound,
    /// The lookupd is down: the connection was refused.
    Refused,
}

/// One nsqd's connection to one lookupd.
#[derive(Clone, Debug)]
struct Peer {
    /// Links (nsqd -> lookupd, back); `u32::MAX` before the first connect.
    up: u32,
    down: u32,
    /// The connection's id while it is open.
    id: Option<PeerId>,
    /// The lookupd died under an open connection, and nsqd has not noticed
    /// yet: its next command fails on it and closes it.
    dead: bool,
}

/// The lookupds of a world and every node's connections to them.
#[derive(Clone, Debug)]
pub(crate) struct Lookupds {
    pub(super) names: Vec<String>,
    dbs: Vec<Lookupd>,
    /// `node * dbs.len() + lookupd`.
    peers: Vec<Peer>,
    next_peer: u64,
    /// What each node last announced: topic -> channels (sorted, as nsqd
    /// lists them).
    announced: Vec<LiteMap<String, Vec<String>>>,
    /// Each node's next PING (stale ping events are ignored).
    ping_at: Vec<Option<SimTime>>,
    /// A consumer's links to a lookupd: (consumer, lookupd) -> (up, down).
    queries: LiteMap<(u16, u16), (u32, u32)>,
    /// Each consumer's library generation: answers to an earlier library
    /// (before a crash or stop) are dropped.
    epoch: Vec<u32>,
    /// Which lookupds are down (crashed, not restarted).
    pub(super) down: Vec<bool>,
}

impl Lookupds {
    pub(crate) fn new(spec: &NsqSpec) -> Lookupds {
        let (n, l) = (spec.nsqd.len(), spec.nsqlookupd.len());
        Lookupds {
            names: spec.nsqlookupd.iter().map(|l| l.name.clone()).collect(),
            dbs: vec![Lookupd::new(LookupdOptions::default()); l],
            peers: vec![Peer { up: u32::MAX, down: u32::MAX, id: None, dead: false }; n * l],
            next_peer: 0,
            announced: vec![LiteMap::new(); n],
            ping_at: vec![None; n],
            queries: LiteMap::new(),
            epoch: vec![0; spec.consumers.len()],
            down: vec![false; l],
        }
    }

    fn is_empty(&self) -> bool {
        self.dbs.is_empty()
    }
}

/// What [`NsqWorld::lk_command`] found before a command to a lookupd.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PeerCommand {
    Open,
    Dialled,
    Failed,
}

/// The aux of a registration event: node and lookupd.
fn reg_aux(node: u16, l: usize) -> i64 {
    i64::from(node) + 65536 * l as i64
}

impl NsqWorld {
    fn lk_send(&mut self, link: u32, f: LookupdFrame, k: &mut Kit) {
        let now = k.queue.now();
        self.send(link, Frame::Lookupd(Box::new(f)), now, &mut k.rng, &mut k.queue);
    }

    /// At the start: every node connects to every lookupd.
    pub(super) fn lookupd_open(&mut self, k: &mut Kit) {
        for n in 0..self.nodes.len() as u16 {
            self.lookupd_node_up(n, k);
        }
    }

    /// Node `n` is up (start, restart): it dials every lookupd
    /// (`lookupPeer.Command(nil)`), which IDENTIFYs and REGISTERs
    /// everything it has where the dial goes through; its ping ticker
    /// starts.
    pub(super) fn lookupd_node_up(&mut self, n: u16, k: &mut Kit) {
        if self.lk.is_empty() || self.down[usize::from(n)] {
            return;
        }
        let mut have: LiteMap<String, Vec<String>> = LiteMap::new();
        for t in self.nodes[usize::from(n)].topics() {
            have.insert(t.name().to_string(), t.channels().map(|c| c.name().to_string()).collect());
        }
        self.lk.announced[usize::from(n)] = have;
        for li in 0..self.lk.dbs.len() {
            self.lk_command(n, li, k);
        }
        let at = k.queue.now() + PING_INTERVAL;
        self.lk.ping_at[usize::from(n)] = Some(at);
        k.queue.schedule(at, Ev::NsqLookupdPing(u32::from(n)));
    }

    /// nsqd's `lookupPeer.Command` on node `n`'s connection to lookupd
    /// `li`, before the command itself goes: `Open` if it may go on the
    /// open connection, `Dialled` if it dialled and the connect callback
    /// sent IDENTIFY and a REGISTER of everything the node announced,
    /// `Failed` if the command fails (a dead connection, which closes now,
    /// or a refused dial).
    fn lk_command(&mut self, n: u16, li: usize, k: &mut Kit) -> PeerCommand {
        let slot = usize::from(n) * self.lk.dbs.len() + li;
        let peer = &mut self.lk.peers[slot];
        if peer.id.is_some() {
            return PeerCommand::Open;
        }
        if std::mem::take(&mut peer.dead) || self.lk.down[li] {
            return PeerCommand::Failed;
        }
        if peer.up == u32::MAX {
            let (up, down) = self.new_link_pair(n);
            self.lk.peers[slot].up = up;
            self.lk.peers[slot].down = down;
        }
        let now = k.queue.now();
        let (up, down) = (self.lk.peers[slot].up, self.lk.peers[slot].down);
        self.links[up as usize].open(now);
        self.links[down as usize].open(now);
        self.lk.next_peer += 1;
        self.lk.peers[slot].id = Some(PeerId(self.lk.next_peer));
        let peer = slot as u32;
        self.lk_send(up, LookupdFrame::Identify { peer }, k);
        // A topic without channels registers alone, one with channels as
        // its channels; topics and channels come in name order.
        let mut regs: Vec<(String, Option<String>)> = Vec::new();
        for (t, chans) in &self.lk.announced[usize::from(n)] {
            if chans.is_empty() {
                regs.push((t.clone(), None));
            }
            regs.extend(chans.iter().map(|c| (t.clone(), Some(c.clone()))));
        }
        for (topic, channel) in regs {
            self.lk_send(up, LookupdFrame::Register { peer, topic, channel }, k);
        }
        PeerCommand::Dialled
    }

    /// Node `n` crashed or stopped: its lookupd connections close, and each
    /// lookupd drops its registrations.
    pub(super) fn lookupd_node_down(&mut self, n: u16, k: &mut Kit) {
        let l = self.lk.dbs.len();
        self.lk.ping_at[usize::from(n)] = None;
        for li in 0..l {
            let slot = usize::from(n) * l + li;
            self.lk.peers[slot].dead = false;
            let Some(id) = self.lk.peers[slot].id.take() else { continue };
            let (up, down) = (self.lk.peers[slot].up, self.lk.peers[slot].down);
            self.links[up as usize].close();
            self.links[down as usize].close();
            // It may not have identified yet (the IDENTIFY was on its way).
            if self.lk.dbs[li].on_disconnect(id).is_ok() {
                k.record(EventKind::NsqUnregister, NONE, NONE, None, reg_aux(n, li));
            }
        }
    }

    /// The ping ticker of node `n`.
    pub(crate) fn lookupd_ping(&mut self, n: u32, k: &mut Kit) {
        let i = n as usize;
        let now = k.queue.now();
        if self.lk.ping_at.get(i).copied().flatten() != Some(now) || self.down[i] {
            return;
        }
        self.lookupd_sync(n as u16, k);
        let l = self.lk.dbs.len();
        for li in 0..l {
            let slot = i * l + li;
            if self.lk_command(n as u16, li, k) != PeerCommand::Failed {
                let up = self.lk.peers[slot].up;
                self.lk_send(up, LookupdFrame::Ping { peer: slot as u32 }, k);
            }
        }
        let at = now + PING_INTERVAL;
        self.lk.ping_at[i] = Some(at);
        k.queue.schedule(at, Ev::NsqLookupdPing(n));
    }

    /// After a PUB created `topic` on node `n` (cheap when it was known).
    pub(super) fn lookupd_sync_topic(&mut self, n: u16, topic: &str, k: &mut Kit) {
        if !self.lk.is_empty() && !self.lk.announced[usize::from(n)].contains_key(topic) {
            self.lookupd_sync(n, k);
        }
    }

    /// After a SUB created `channel` of `topic` on node `n`.
    pub(super) fn lookupd_sync_channel(&mut self, n: u16, topic: &str, channel: &str, k: &mut Kit) {
        if !self.lk.is_empty() && self.lk.announced[usize::from(n)].get(topic).is_none_or(|c| c.binary_search_by(|x| x.as_str().cmp(channel)).is_err()) {
            self.lookupd_sync(n, k);
        }
    }

    /// Node `n` tells its lookupds what changed since it last did
    /// (REGISTER / UNREGISTER, in nsqd's order; see the module docs).
    pub(super) fn lookupd_sync(&mut self, n: u16, k: &mut Kit) {
        if self.lk.is_empty() || self.down[usize::from(n)] {
            return;
        }
        let mut now_has: LiteMap<String, Vec<String>> = LiteMap::new();
        for t in self.nodes[usize::from(n)].topics() {
            now_has.insert(t.name().to_string(), t.channels().map(|c| c.name().to_string()).collect());
        }
        let before = &self.lk.announced[usize::from(n)];
        if *before == now_has {
            return;
        }
        let mut frames: Vec<(bool, String, Option<String>)> = Vec::new();
        for (t, chans) in before {
            match now_has.get(t) {
                None => {
                    frames.push((false, t.clone(), None));
                    frames.extend(chans.iter().map(|c| (false, t.clone(), Some(c.clone()))));
                }
                Some(now_chans) => frames.extend(chans.iter().filter(|c| now_chans.binary_search(c).is_err()).map(|c| (false, t.clone(), Some(c.clone())))),
            }
        }
        for (t, chans) in &now_has {
            let old = before.get(t);
            if old.is_none() {
                frames.push((true, t.clone(), None));
            }
            for c in chans {
                if old.is_none_or(|o| o.binary_search(c).is_err()) {
                    frames.push((true, t.clone(), Some(c.clone())));
                }
            }
        }
        self.lk.announced[usize::from(n)] = now_has;
        let l = self.lk.dbs.len();
        for li in 0..l {
            let slot = usize::from(n) * l + li;
            let up = self.lk.peers[slot].up;
            let peer = slot as u32;
            for (reg, topic, channel) in &frames {
                match self.lk_command(n, li, k) {
                    PeerCommand::Open => {}
                    PeerCommand::Failed => continue,
                    // The callback registered what the node has now.
                    PeerCommand::Dialled => break,
                }
                let (topic, channel) = (topic.clone(), channel.clone());
                let f = if *reg { LookupdFrame::Register { peer, topic, channel } } else { LookupdFrame::Unregister { peer, topic, channel } };
                self.lk_send(up, f, k);
            }
        }
    }

    /// Before a PUB or SUB on node `n` creates `topic`: nsqd's `GetTopic`
    /// first creates the (non-ephemeral) channels the lookupds know.
    pub(super) fn lookupd_precreate(&mut self, n: u16, topic: &str, now: SimTime, rng: &mut SimRng) {
        if self.lk.is_empty() || self.nodes[usize::from(n)].topic(topic).is_some() {
            return;
        }
        let known: BTreeSet<String> = self.lk.dbs.iter().flat_map(|d| d.channels(topic)).filter(|c| !is_ephemeral(c)).collect();
        if known.is_empty() {
            return;
        }
        let NsqWorld { nodes, book, keys, .. } = self;
        let Ok(t) = nodes[usize::from(n)].get_topic(topic) else { return };
        book.topic(n, topic);
        for c in &known {
            if let Ok((_, report)) = t.get_channel(c, now, rng) {
                book.channel(n, topic, c);
                super::book::put(book, n, t, &report, None, keys);
            }
        }
    }

    /// Consumer `ci`'s library starts: `ConnectToNSQLookupd` for each of
    /// its lookupds (the first one looks up at once).
    pub(super) fn lookupd_start(&mut self, ci: usize, k: &mut Kit) {
        self.lk.epoch[ci] = self.lk.epoch[ci].wrapping_add(1);
        if self.consumers[ci].lookupd.is_empty() {
            return;
        }
        // The slots of nodes it does not list stay closed until a lookup
        // names their node (a crash of such a node closes nothing).
        let listed = self.consumers[ci].nsqd.len();
        let slots: Vec<u16> = self.libs[ci].conns.iter().skip(listed).map(|(_, c)| *c).collect();
        for c in slots {
            let (up, down) = (self.clients[usize::from(c)].up, self.clients[usize::from(c)].down);
            self.links[up as usize].close();
            self.links[down as usize].close();
        }
        let names = self.consumers[ci].lookupd.clone();
        for name in names {
            let Some(l) = self.lk.names.iter().position(|n| *n == name) else { continue };
            let now = k.queue.now();
            if let Ok(a) = self.libs[ci].client.connect_to_lookupd(LookupdId(l as u32), now, &mut k.rng) {
                self.act(ci, a, k);
            }
        }
    }

    /// The library's `GET /lookup?topic=` to `lookupd`.
    pub(super) fn lookupd_query(&mut self, ci: usize, lookupd: LookupdId, attempt: u8, k: &mut Kit) {
        let l = lookupd.0 as u16;
        if usize::from(l) >= self.lk.dbs.len() {
            return;
        }
        let key = (ci as u16, l);
        let up = match self.lk.queries.get(&key) {
            Some(&(up, _)) => up,
            None => {
                let pair = self.new_link_pair(0);
                self.lk.queries.insert(key, pair);
                pair.0
            }
        };
        let epoch = self.lk.epoch[ci];
        self.lk_send(up, LookupdFrame::Query { consumer: ci as u16, lookupd: l, attempt, epoch }, k);
    }

    /// A lookupd frame arrived.
    pub(super) fn lookupd_arrival(&mut self, f: LookupdFrame, k: &mut Kit) {
        let now = k.queue.now();
        let l = self.lk.dbs.len().max(1);
        let register = matches!(f, LookupdFrame::Register { .. });
        match f {
            LookupdFrame::Identify { peer } => {
                let (node, li) = ((peer as usize / l) as u16, peer as usize % l);
                if let Some(id) = self.lk.peers[peer as usize].id {
                    let db = &mut self.lk.dbs[li];
                    let ok = db.on_connect(id).and_then(|_| db.identify(id, NodeId(u32::from(node)), now));
                    debug_assert!(ok.is_ok(), "{ok:?}");
                }
            }
            LookupdFrame::Register { peer, topic, channel } | LookupdFrame::Unregister { peer, topic, channel } => {
                let (node, li) = ((peer as usize / l) as u16, peer as usize % l);
                // Frames of a closed connection were dropped with it.
                let Some(id) = self.lk.peers[peer as usize].id else { return };
                let db = &mut self.lk.dbs[li];
                let ok = if register { db.register(id, &topic, channel.as_deref()) } else { db.unregister(id, &topic, channel.as_deref()) };
                debug_assert!(ok.is_ok(), "{ok:?}");
                let kind = if register { EventKind::NsqRegister } else { EventKind::NsqUnregister };
                k.record(kind, NONE, NONE, None, reg_aux(node, li));
            }
            LookupdFrame::Ping { peer } => {
                if let Some(id) = self.lk.peers[peer as usize].id {
                    let _ = self.lk.dbs[peer as usize % l].ping(id, now);
                }
            }
            LookupdFrame::Query { consumer, lookupd, attempt, epoch } => {
                let topic = &self.consumers[usize::from(consumer)].topic;
                let producers = if self.lk.down[usize::from(lookupd)] {
                    Err(LookupFailed::Refused)
                } else {
                    self.lk.dbs[usize::from(lookupd)].lookup(topic, now).map(|a| a.producers.iter().map(|n| n.0).collect()).map_err(|_| LookupFailed::TopicNotFound)
                };
                let down = self.lk.queries[&(consumer, lookupd)].1;
                self.lk_send(down, LookupdFrame::Answer { consumer, lookupd, attempt, epoch, producers }, k);
            }
            LookupdFrame::Answer { consumer, lookupd, attempt, epoch, producers } => {
                let ci = usize::from(consumer);
                let running = matches!(self.libs[ci].state, super::faults::LibState::Running | super::faults::LibState::Stopping);
                if !running || epoch != self.lk.epoch[ci] {
                    return;
                }
                let incoming = self.libs[ci].incoming;
                let nodes: Vec<NodeId> = producers.iter().flatten().map(|n| NodeId(*n)).collect();
                let answer = producers.as_ref().map(|_| nodes.as_slice()).map_err(|_| ());
                // aux: which lookupd answered (high 32 bits) and 1 + how many
                // nodes it named (0: TOPIC_NOT_FOUND, LOOKUP_REFUSED: down).
                let named = match &producers {
                    Ok(p) => p.len() as i64 + 1,
                    Err(LookupFailed::TopicNotFound) => 0,
                    Err(LookupFailed::Refused) => LOOKUP_REFUSED,
                };
                k.record(EventKind::NsqLookup, NONE, incoming, None, (i64::from(lookupd) << 32) | named);
                let a = self.libs[ci].client.on_lookup_response(attempt, answer);
                for act in &a {
                    if let Action::Connect { node } = act {
                        k.record(EventKind::NsqDiscovered, NONE, incoming, None, i64::from(node.0));
                    }
                }
                self.act(ci, a, k);
            }
        }
    }

    /// Lookupd `li` crashes: it forgets every registration, its
    /// connections die (frames on them are lost; each node notices at its
    /// next command), and lookups to it are refused until it restarts.
    pub(super) fn lookupd_crash(&mut self, li: usize, k: &mut Kit) {
        self.lk.down[li] = true;
        let l = self.lk.dbs.len();
        for n in 0..self.nodes.len() {
            let peer = &mut self.lk.peers[n * l + li];
            if peer.id.take().is_some() {
                peer.dead = true;
                let (up, down) = (peer.up, peer.down);
                self.links[up as usize].close();
                self.links[down as usize].close();
            }
        }
        self.lk.dbs[li] = Lookupd::new(LookupdOptions::default());
        k.record(EventKind::NsqLookupdCrash, NONE, NONE, None, li as i64);
    }

    /// Lookupd `li` starts again, empty: the nodes register again as their
    /// next commands dial it.
    pub(super) fn lookupd_restart(&mut self, li: usize, k: &mut Kit) {
        self.lk.down[li] = false;
        k.record(EventKind::NsqLookupdRestart, NONE, NONE, None, li as i64);
    }

    /// The index of lookupd `name`.
    pub(super) fn lookupd_index(&self, name: &str) -> Result<usize, crate::command::CommandError> {
        self.lk.names.iter().position(|n| n == name).ok_or_else(|| crate::command::CommandError::NotApplicable(format!("no nsqlookupd named {}", crate::time::echo(name))))
    }

    /// What each lookupd knows, for the snapshot.
    pub(super) fn lookupd_view(&self) -> Vec<NsqLookupdView> {
        let node_name = |n: NodeId| self.names.get(n.0 as usize).cloned().unwrap_or_else(|| n.to_string());
        self.lk
            .dbs
            .iter()
            .zip(&self.lk.names)
            .zip(&self.lk.down)
            .map(|((d, name), &down)| {
                let names_of = |ps: Vec<crate::nsq::lookupd::Producer>| ps.iter().filter_map(|p| d.peer(p.peer)).map(|i| node_name(i.node)).collect::<Vec<_>>();
                NsqLookupdView {
                    name: name.clone(),
                    down,
                    producers: names_of(d.db().find_producers(Category::Client, "", "")),
                    topics: d
                        .topics()
                        .into_iter()
                        .map(|t| NsqLookupdTopicView {
                            channels: d.channels(&t),
                            producers: names_of(d.db().find_producers(Category::Topic, &t, "")),
                            topic: t,
                        })
                        .collect(),
                }
            })
            .collect()
    }

    /// nsqadmin's "tombstone topic producer": `/topic/tombstone?topic=&node=`
    /// on every lookupd (checked first: lookupds exist and one of them
    /// knows the topic). Returns the producer entries tombstoned.
    pub(super) fn lookupd_tombstone(&mut self, topic: &str, node: u16, now: SimTime) -> Result<usize, crate::command::CommandError> {
        use crate::command::CommandError;
        if self.lk.is_empty() {
            return Err(CommandError::NotApplicable("this scenario has no nsqlookupd to tombstone on".into()));
        }
        crate::nsq::names::check_topic_name(topic).map_err(|e| CommandError::NotApplicable(e.to_string()))?;
        if !self.lk.dbs.iter().any(|d| d.topics().iter().any(|t| t == topic)) {
            return Err(CommandError::NotApplicable(format!("no nsqlookupd knows topic {}", crate::time::echo(topic))));
        }
        Ok(self.lk.dbs.iter_mut().map(|d| d.tombstone_topic_producer(topic, NodeId(u32::from(node)), now)).sum())
    }

    /// The answer lookupd `l` would give to `/lookup?topic=` now (tests).
    pub(super) fn lookupd_lookup(&self, l: &str, topic: &str, now: SimTime) -> Option<Vec<String>> {
        let i = self.lk.names.iter().position(|n| n == l)?;
        let a = self.lk.dbs[i].lookup(topic, now).ok()?;
        Some(a.producers.iter().map(|n| self.names[n.0 as usize].clone()).collect())
    }
}

impl crate::world::World {
    /// `/lookup?topic=` on nsqlookupd `lookupd` now: the nodes it lists
    /// (`None`: 404 TOPIC_NOT_FOUND, or no such lookupd). For tests.
    #[doc(hidden)]
    pub fn nsq_lookup(&self, lookupd: &str, topic: &str) -> Option<Vec<String>> {
        self.nsq.as_ref()?.lookupd_lookup(lookupd, topic, self.now())
    }

    /// The nodes consumer `name`'s library is connected to (SUB answered),
    /// oldest first. For tests.
    #[doc(hidden)]
    pub fn nsq_consumer_nodes(&self, name: &str) -> Vec<String> {
        let Some(nsq) = self.nsq.as_ref() else { return Vec::new() };
        let Some(ci) = nsq.consumers.iter().position(|c| c.name == name) else { return Vec::new() };
        nsq.libs[ci].client.connections().iter().map(|n| nsq.names[n.0 as usize].clone()).collect()
    }
}
