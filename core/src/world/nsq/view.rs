//! nsqadmin's view of the NSQ part of a world: nodes, their topics and
//! channels with nsqd's counters (`/stats`), each channel's E2E processing
//! latency and its client connections; go-nsq's view of each consumer
//! (state, RDY, backoff, connections); the publishing goroutines'
//! connections; where each NSQ event happened; the messages behind a
//! guarantees figure and a message's life; the channels' time-series rows.
//!
//! Everything here reads the world and runs only when asked (a snapshot,
//! an event converted to its view, a sample): nothing is recorded for it
//! on the hot path, except who published each message (one record per
//! publish in the guarantees book).

use super::faults::LibState;
use super::{Conn, NsqWorld};
use crate::gochan::behavior::Behavior;
use crate::gochan::runtime::GoRuntime;
use crate::net::LinkState;
use crate::nsq::client::NodeId;
use crate::nsq::guarantees::{Figure, Logical, LossCause, MessageRow, Place, Standing};
use crate::nsq::nsqd::channel::Channel;
use crate::observe::snapshot::{
    GState, GoroutineView, NsqBackoffPhase, NsqBackoffView, NsqChannelView, NsqClientView, NsqConnState, NsqConnView, NsqConsumerState, NsqConsumerView, NsqCopyLife,
    NsqEventPlace, NsqMessageLife, NsqMessageRef, NsqPublisherConnView, NsqTopicView, NsqView, NsqdView,
};
use crate::observe::stats::{NsqCounters, NsqRows};
use crate::observe::trace::{EventKind, TraceEvent, NONE};
use crate::world::ledger::NSQ_COPY;
use crate::time::SimTime;
use crate::world::World;

impl NsqWorld {
    /// nsqadmin's view at `now`: nodes, their topics and channels with
    /// counters.
    pub(crate) fn view(&self, go: &GoRuntime, now: SimTime) -> NsqView {
        NsqView {
            nodes: self
                .nodes
                .iter()
                .zip(&self.names)
                .enumerate()
                .map(|(i, (n, name))| NsqdView {
                    name: name.clone(),
                    expiry: if self.scans[i].is_some() { crate::nsq::spec::Expiry::Sampled } else { crate::nsq::spec::Expiry::Exact },
                    down: self.down[i],
                    topics: n
                        .topics()
                        .map(|t| {
                            let s = t.stats();
                            NsqTopicView {
                                name: t.name().to_string(),
                                depth: s.depth,
                                memory_depth: s.memory_depth,
                                backend_depth: s.backend_depth,
                                message_count: s.message_count,
                                paused: s.paused,
                                channels: t.channels().map(|c| self.channel_view(c, now)).collect(),
                            }
                        })
                        .collect(),
                })
                .collect(),
            guarantees: self.book.report(),
            lookupd: self.lookupd_view(),
            consumers: (0..self.consumers.len()).map(|ci| self.consumer_view(ci)).collect(),
            publishers: self.publisher_views(go),
        }
    }

    /// Whether connection slot `c` was ever opened: a slot the library
    /// never opened (a node its lookups never named) is not a connection.
    fn slot_used(&self, c: &Conn) -> bool {
        let up = &self.links[c.up as usize];
        up.delivered > 0 || up.dropped > 0 || up.in_transit() > 0
    }

    /// Adds to the state text of each connection's reader goroutine what
    /// go-nsq's `readLoop` is doing: blocked handing a message over, it
    /// reads no frame (heartbeats included), or it will read nsqd's close
    /// once the message is taken; waiting on a connection that is closing
    /// or closed, what go-nsq waits for before it reconnects.
    pub(crate) fn annotate_readers(&self, goroutines: &mut [GoroutineView]) {
        for (ci, lib) in self.libs.iter().enumerate() {
            let running = lib.state == LibState::Running;
            for (i, &(node, conn)) in lib.conns.iter().enumerate() {
                let group = self.consumers[ci].reader(i + 1);
                let Some(gv) = goroutines.iter_mut().find(|gv| gv.group == group) else { continue };
                let c = &self.clients[usize::from(conn)];
                let nsqd = &self.names[usize::from(node)];
                let id = NodeId(u32::from(node));
                let note = match gv.state {
                    GState::BlockedSend if c.eof => {
                        let socket = match c.inbox.len() {
                            0 => String::new(),
                            1 => " and the 1 message still in its socket".to_string(),
                            n => format!(" and the {n} messages still in its socket"),
                        };
                        format!("{nsqd} has closed the connection: go-nsq reads EOF once a handler takes this message{socket}, and reconnects only after its handlers have answered every message of it")
                    }
                    GState::BlockedSend => format!("go-nsq reads no frame meanwhile, so {nsqd}'s heartbeats wait unanswered"),
                    GState::BlockedNet if running && !lib.client.is_connecting(id) => match lib.client.rdy().conn(id) {
                        Some(r) if r.closing => format!("the connection is closing: go-nsq waits until its handlers have answered the {} message(s) they hold from it, then reconnects", r.in_flight),
                        None if self.slot_used(c) => "the connection is closed: go-nsq reconnects on its own schedule (lookupd_poll_interval, or its next lookup)".to_string(),
                        _ => continue,
                    },
                    _ => continue,
                };
                gv.state_text.push_str("; ");
                gv.state_text.push_str(&note);
            }
        }
    }

    fn channel_view(&self, c: &Channel, now: SimTime) -> NsqChannelView {
        let s = c.stats();
        let (p50, p99) = e2e_p50_p99(c, now);
        NsqChannelView {
            name: c.name().to_string(),
            depth: s.depth,
            memory_depth: s.memory_depth,
            backend_depth: s.backend_depth,
            in_flight: s.in_flight_count,
            deferred: s.deferred_count,
            message_count: s.message_count,
            requeue_count: s.requeue_count,
            timeout_count: s.timeout_count,
            client_count: s.client_count,
            paused: s.paused,
            e2e_p50_us: p50,
            e2e_p99_us: p99,
            clients: c
                .clients()
                .map(|(id, cs)| NsqClientView {
                    id,
                    name: self.client_name(id),
                    ready_count: cs.ready_count,
                    in_flight_count: cs.in_flight_count,
                    message_count: cs.message_count,
                    finish_count: cs.finish_count,
                    requeue_count: cs.requeue_count,
                })
                .collect(),
        }
    }

    /// "worker conn2": the consumer of connection `id` and which of its
    /// connections it is, from 1 (as its reader goroutine `worker.conn2`).
    fn client_name(&self, id: u64) -> String {
        let conn = usize::try_from(id).ok().filter(|&i| i < self.clients.len());
        let Some((i, spec)) = conn.and_then(|i| self.consumers.get(self.clients[i].consumer).map(|s| (i, s))) else {
            return format!("client {id}");
        };
        let consumer = self.clients[i].consumer;
        let k = self.clients[..i].iter().filter(|c| c.consumer == consumer).count() + 1;
        format!("{} conn{k}", spec.name)
    }

    /// go-nsq's view of consumer `ci`. A crashed or stopped consumer has
    /// no library running: nothing in flight, no backoff, every connection
    /// closed (its counters are those of its last process).
    fn consumer_view(&self, ci: usize) -> NsqConsumerView {
        let spec = &self.consumers[ci];
        let lib = &self.libs[ci];
        let alive = matches!(lib.state, LibState::Running | LibState::Stopping);
        let rdy = lib.client.rdy();
        let backoff = lib.client.backoff();
        let stats = lib.client.stats();
        let connections = lib
            .conns
            .iter()
            .filter_map(|&(node, conn)| {
                let id = NodeId(u32::from(node));
                let c = &self.clients[usize::from(conn)];
                let connecting = alive && lib.client.is_connecting(id);
                let book = rdy.conn(id).filter(|_| alive);
                if !connecting && book.is_none() && !self.slot_used(c) {
                    return None;
                }
                let state = match book {
                    _ if connecting => NsqConnState::Connecting,
                    Some(r) if r.closing => NsqConnState::Closing,
                    Some(_) => NsqConnState::Open,
                    None => NsqConnState::Closed,
                };
                Some(NsqConnView {
                    nsqd: self.names[usize::from(node)].clone(),
                    state,
                    rdy: book.map_or(0, |r| r.rdy),
                    in_flight: book.map_or(0, |r| r.in_flight),
                    cut: self.is_cut(c.up, c.down),
                })
            })
            .collect::<Vec<_>>();
        let (level, phase, until_us) = match () {
            _ if !alive => (0, NsqBackoffPhase::None, None),
            _ if backoff.in_backoff_timeout() => (backoff.level(), NsqBackoffPhase::Waiting, backoff.resume_at().map(|t| t.as_micros())),
            _ if backoff.in_backoff() => (backoff.level(), NsqBackoffPhase::Probing, None),
            _ => (backoff.level(), NsqBackoffPhase::None, None),
        };
        NsqConsumerView {
            name: spec.name.clone(),
            topic: spec.topic.clone(),
            channel: spec.channel.clone(),
            state: match lib.state {
                LibState::Running => NsqConsumerState::Running,
                LibState::Stopping => NsqConsumerState::Stopping,
                LibState::Stopped => NsqConsumerState::Stopped,
                LibState::Crashed => NsqConsumerState::Crashed,
            },
            max_in_flight: rdy.max_in_flight(),
            in_flight: connections.iter().map(|c| c.in_flight).sum(),
            backoff: NsqBackoffView { level, phase, until_us },
            handler_group: spec.handler_group(),
            incoming: spec.incoming(),
            finished: stats.messages_finished,
            requeued: stats.messages_requeued,
            connections,
        }
    }

    /// Whether either direction of a connection is cut.
    fn is_cut(&self, up: u32, down: u32) -> bool {
        [up, down].iter().any(|&l| self.links[l as usize].state() == LinkState::Cut)
    }

    /// The publishing goroutines' connections (removed goroutines left
    /// out), by goroutine id, then node.
    fn publisher_views(&self, go: &GoRuntime) -> Vec<NsqPublisherConnView> {
        self.conns
            .iter()
            .filter_map(|(&(g, node), &(up, down))| {
                let gr = go.gs.get(g as usize).filter(|gr| gr.state != GState::Removed)?;
                Some(NsqPublisherConnView {
                    goroutine: gr.name.clone(),
                    group: go.groups.get(gr.group as usize).map_or_else(String::new, |x| x.spec.name.clone()),
                    nsqd: self.names[usize::from(node)].clone(),
                    cut: self.is_cut(up, down),
                    waiting: self.publishing.get(&g).is_some_and(|p| p.0 == node),
                })
            })
            .collect()
    }

    /// One row per channel of every node, in the view's order (the
    /// series' `nsq` part), at `now`.
    pub(crate) fn sample_rows(&self, out: &mut NsqRows<'_>, now: SimTime) {
        for (n, name) in self.nodes.iter().zip(&self.names) {
            for t in n.topics() {
                for c in t.channels() {
                    let s = c.stats();
                    let (p50, p99) = e2e_p50_p99(c, now);
                    let counters = NsqCounters {
                        memory_depth: s.memory_depth,
                        backend_depth: s.backend_depth,
                        in_flight: s.in_flight_count,
                        deferred: s.deferred_count,
                        requeue_count: s.requeue_count,
                        timeout_count: s.timeout_count,
                        finish_count: c.finish_count(),
                        e2e_p50_us: p50,
                        e2e_p99_us: p99,
                    };
                    out.push(name, t.name(), c.name(), counters);
                }
            }
        }
    }

    /// The name of node `n` ("" for none).
    fn node_name(&self, n: Option<u16>) -> &str {
        n.and_then(|n| self.names.get(usize::from(n))).map_or("", String::as_str)
    }

    /// Why a copy was lost, in words (`node`: where).
    fn loss_words(&self, cause: LossCause, node: Option<u16>) -> String {
        let at = match self.node_name(node) {
            "" => String::new(),
            n => format!(" on {n}"),
        };
        match cause {
            LossCause::UncleanCrash => match self.node_name(node) {
                "" => "lost: unclean crash".to_string(),
                n => format!("lost: unclean crash of {n}"),
            },
            LossCause::EphemeralOverflow => format!("lost: ephemeral queue full{at}"),
            LossCause::EphemeralGone => format!("lost: ephemeral channel gone with its last consumer{at}"),
            LossCause::Emptied => format!("lost: emptied{at}"),
            LossCause::Deleted => format!("lost: deleted{at}"),
            LossCause::MaxAttempts => "lost: FINed unhandled after MaxAttempts".to_string(),
            LossCause::PublishFailed => "lost: the publish failed (it never reached nsqd)".to_string(),
        }
    }

    /// What happened to a message in a channel, in words.
    fn row_detail(&self, r: &MessageRow) -> String {
        let handled = match r.handled {
            0 => "not handled yet".to_string(),
            1 => "handled once".to_string(),
            n => format!("handled {n} times"),
        };
        let mut text = match r.standing {
            Standing::Finished => format!("finished, {handled}"),
            Standing::Live => format!("live (queued, deferred or in flight), {handled}"),
            Standing::Lost(c) if r.handled == 0 => self.loss_words(c, r.lost_on),
            Standing::Lost(c) => format!("{}, {handled}", self.loss_words(c, r.lost_on)),
        };
        if r.reordered {
            text.push_str("; first handled after a later message");
        }
        text
    }

    /// Where a copy is, in words.
    fn place_words(&self, place: Place, node: Option<u16>) -> String {
        match place {
            Place::TopicHeld => "held by the topic (no channel yet, or paused)".to_string(),
            Place::Queued => "queued".to_string(),
            Place::Deferred => "deferred".to_string(),
            Place::InFlight { client, .. } => format!("in flight to {}", self.client_name(client)),
            Place::Finished => "finished".to_string(),
            Place::Lost(c) => self.loss_words(c, node),
        }
    }

    /// The consumer index of Go channel `ch` (its `incoming`).
    fn consumer_of_chan(&self, ch: u32) -> Option<usize> {
        (ch != NONE).then(|| self.libs.iter().position(|l| l.incoming == ch)).flatten()
    }

    /// Names consumer `ci` (and its topic and channel) in `p`.
    fn place_consumer(&self, ci: usize, p: &mut NsqEventPlace) {
        if let Some(spec) = self.consumers.get(ci) {
            p.client = Some(spec.name.clone());
            p.topic = Some(spec.topic.clone());
            p.channel = Some(spec.channel.clone());
        }
    }

    /// Node `aux & 0xffff`, the node of events that name one.
    /// The name of nsqlookupd `i`.
    fn lookupd_name(&self, i: usize) -> Option<String> {
        self.lk.names.get(i).cloned()
    }

    fn aux_node(&self, aux: i64) -> Option<String> {
        usize::try_from(aux & 0xffff).ok().and_then(|n| self.names.get(n)).cloned()
    }
}

/// A channel's E2E processing latency p50 and p99 in µs, over nsqd's
/// window at `now`; `None` while the window holds no FIN.
fn e2e_p50_p99(c: &Channel, now: SimTime) -> (Option<u64>, Option<u64>) {
    c.e2e().p50_p99(now).unzip()
}

impl World {
    /// Where an NSQ event happened, as far as the event says: the node
    /// from `aux` where the kind puts it there, the consumer (with its topic
    /// and channel) from its incoming channel or its reader and handler
    /// goroutines, the publishing goroutine, and for a copy's event the
    /// topic (and the channel, when only one channel of the node has the
    /// message) from the guarantees book. None for Go events.
    pub(in crate::world) fn nsq_event_place(&self, e: &TraceEvent) -> Option<NsqEventPlace> {
        use EventKind::*;
        let nsq = self.nsq.as_deref()?;
        let mut p = NsqEventPlace::default();
        let consumer_named = |name: &str| nsq.consumers.iter().position(|c| c.name == name);
        let behavior = |g: u32| self.go.gs.get(g as usize).and_then(|gr| self.go.groups.get(gr.group as usize)).map(|x| &x.spec.behavior);
        match e.kind {
            NsqPublish | NsqPublished | NsqPublishOk | NsqPublishFailed => {
                p.nsqd = nsq.aux_node(e.aux);
                self.place_publisher(e.g, &mut p);
            }
            NsqMessage => {
                if let Some(Behavior::NsqReader(r)) = behavior(e.g) {
                    if let Some(ci) = consumer_named(&r.consumer) {
                        nsq.place_consumer(ci, &mut p);
                    }
                    p.nsqd = Some(r.nsqd.clone());
                }
            }
            NsqFinish | NsqRequeue | NsqMaxAttempts => {
                if let Some(Behavior::NsqHandler(h)) = behavior(e.g) {
                    if let Some(ci) = consumer_named(&h.consumer) {
                        nsq.place_consumer(ci, &mut p);
                        // With one connection, the message came from it.
                        if let [(node, _)] = nsq.libs[ci].conns[..] {
                            p.nsqd = Some(nsq.names[usize::from(node)].clone());
                        }
                    }
                }
                // A lost answer names its node.
                if let Some(node) = e.lost_answer_node() {
                    p.lost = true;
                    p.nsqd = nsq.aux_node(i64::from(node));
                }
            }
            NsqTimeout => {
                p.nsqd = nsq.aux_node(e.aux);
                if e.msg & NSQ_COPY != 0 {
                    let node = u16::try_from(e.aux).ok();
                    let logical = Logical(e.msg & !NSQ_COPY);
                    let chans = nsq.book.channels_of(logical);
                    p.topic = chans.first().map(|(t, _)| t.to_string());
                    let here: Vec<&str> =
                        chans.iter().filter(|(t, c)| node.is_some_and(|n| nsq.book.find_channel(n, t, c).is_some())).map(|(_, c)| *c).collect();
                    if let [c] = here[..] {
                        p.channel = Some(c.to_string());
                    }
                }
            }
            NsqFinFailed | NsqReqFailed | NsqTouchFailed | NsqNodeCrash | NsqNodeStop | NsqNodeRestart | NsqRegister | NsqUnregister => {
                p.nsqd = nsq.aux_node(e.aux);
            }
            NsqBackoff | NsqBackoffOver | NsqConsumerCrash | NsqConsumerStop | NsqConsumerStart | NsqLookup => {
                if let Some(ci) = nsq.consumer_of_chan(e.ch) {
                    nsq.place_consumer(ci, &mut p);
                }
                if e.kind == NsqLookup {
                    p.lookupd = usize::try_from(e.aux >> 32).ok().and_then(|i| nsq.lookupd_name(i));
                    p.refused = e.aux & 0xffff_ffff == crate::observe::trace::LOOKUP_REFUSED;
                }
            }
            NsqConnClosed | NsqConnected | NsqDiscovered => {
                p.nsqd = nsq.aux_node(e.aux);
                if let Some(ci) = nsq.consumer_of_chan(e.ch) {
                    nsq.place_consumer(ci, &mut p);
                }
            }
            NsqLookupdCrash | NsqLookupdRestart => p.lookupd = usize::try_from(e.aux).ok().and_then(|i| nsq.lookupd_name(i)),
            NsqHeartbeatTimeout => {
                p.nsqd = nsq.aux_node(e.aux);
                match nsq.consumer_of_chan(e.ch) {
                    Some(ci) => nsq.place_consumer(ci, &mut p),
                    None => self.place_publisher(e.g, &mut p),
                }
            }
            _ => return None,
        }
        Some(p)
    }

    /// Names publishing goroutine `g` in `p`, with its topic when its
    /// program publishes to only one.
    fn place_publisher(&self, g: u32, p: &mut NsqEventPlace) {
        if let Some(gr) = self.go.gs.get(g as usize) {
            p.client = Some(gr.name.clone());
            if let [t] = &gr.prog.topics[..] {
                p.topic = Some(t.clone());
            }
        }
    }

    /// `producer#value` of a logical message, from its origin.
    fn nsq_label(&self, nsq: &NsqWorld, logical: Logical) -> String {
        match nsq.book.origin(logical) {
            Some(o) => self.go.label_of(o.producer, o.value),
            None => format!("message {}", logical.0),
        }
    }

    /// The logical messages behind `figure` of the guarantees row
    /// `topic`/`channel`, in publish order, at most `max` (the earliest);
    /// empty without such a row (or without NSQ).
    pub fn nsq_messages(&self, topic: &str, channel: &str, figure: Figure, max: usize) -> Vec<NsqMessageRef> {
        let Some(nsq) = self.nsq.as_deref() else { return Vec::new() };
        nsq.book
            .messages(topic, channel, figure, max)
            .iter()
            .map(|r| NsqMessageRef { msg: r.logical.0, label: self.nsq_label(nsq, r.logical), detail: nsq.row_detail(r) })
            .collect()
    }

    /// The publish sequence number of the message labelled `label`
    /// (`producer-1#7`, as events and the stage show it); the latest if
    /// that producer published the value more than once. `None` if the
    /// book knows no such message.
    pub fn nsq_find_message(&self, label: &str) -> Option<u64> {
        let nsq = self.nsq.as_deref()?;
        let (_, value) = label.rsplit_once('#')?;
        let value: i64 = value.parse().ok()?;
        nsq.book
            .with_value(value)
            .filter(|(_, o)| self.go.label_of(o.producer, o.value) == label)
            .map(|(l, _)| l.0)
            .last()
    }

    /// The life of message `msg` (its publish sequence number, as
    /// [`NsqMessageRef::msg`]): each channel copy's node, attempts, place
    /// and handlings. None if the book does not know it.
    pub fn nsq_message_life(&self, msg: u64) -> Option<NsqMessageLife> {
        let nsq = self.nsq.as_deref()?;
        let life = nsq.book.life(Logical(msg))?;
        Some(NsqMessageLife {
            msg,
            label: self.nsq_label(nsq, life.logical),
            topic: life.topic.unwrap_or_default(),
            published_us: life.origin.map_or(0, |o| o.at.as_micros()),
            copies: life
                .copies
                .iter()
                .map(|c| NsqCopyLife {
                    nsqd: nsq.node_name(c.node).to_string(),
                    channel: c.channel.clone(),
                    attempts: c.attempts,
                    place: nsq.place_words(c.place, c.node),
                    handled: c.handled,
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::command::Command;
    use crate::nsq::guarantees::Figure;
    use crate::observe::snapshot::{NsqBackoffPhase, NsqConnState, NsqConsumerState, NsqView};
    use crate::observe::trace::EventKind;
    use crate::time::SimTime;
    use crate::world::World;

    /// Two nodes; `worker` reads `events/jobs` from both, `slow` (msg
    /// timeout 1s, 2s of work) from nsqd-1 only; `producer` publishes to
    /// nsqd-1 every 50ms.
    const TWO: &str = r#"{
      "nsq": {
        "latency": "1ms",
        "nsqd": [{ "name": "nsqd-1", "msg_timeout": "1s" }, { "name": "nsqd-2" }],
        "consumers": [
          { "name": "worker", "topic": "events", "channel": "jobs", "nsqd": ["nsqd-1", "nsqd-2"], "max_in_flight": 4, "work": "5ms" },
          { "name": "slow", "topic": "events", "channel": "slow", "nsqd": ["nsqd-1"], "work": "2s" }
        ]
      },
      "goroutines": [{ "name": "producer", "behavior": { "program": [
        { "forever": [{ "sleep": "50ms" }, { "publish": { "nsqd": "nsqd-1", "topic": "events" } }] }
      ] } }]
    }"#;

    fn world(json: &str, ms: u64) -> World {
        let mut w = World::from_json(json).expect("valid");
        w.run_until(SimTime::from_micros(ms * 1000));
        w
    }

    fn nsq(w: &World) -> NsqView {
        w.snapshot().nsq.expect("an nsq world").into_inner()
    }

    fn cmd(w: &mut World, json: &str) {
        let c: Command = serde_json::from_str(json).expect("a command");
        w.apply(&c).expect("applies");
    }

    #[test]
    fn consumers_show_state_rdy_and_connections() {
        let mut w = world(TWO, 2_000);
        let v = nsq(&w);
        let names: Vec<&str> = v.consumers.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["worker", "slow"]);
        let c = &v.consumers[0];
        assert_eq!((c.topic.as_str(), c.channel.as_str(), c.state), ("events", "jobs", NsqConsumerState::Running));
        assert_eq!((c.handler_group.as_str(), c.incoming.as_str(), c.max_in_flight), ("worker.handler", "worker.incoming", 4));
        assert_eq!(c.backoff.phase, NsqBackoffPhase::None);
        assert!(c.finished > 0, "{c:?}");
        let nodes: Vec<(&str, NsqConnState, u64, bool)> = c.connections.iter().map(|x| (x.nsqd.as_str(), x.state, x.rdy, x.cut)).collect();
        assert_eq!(nodes, [("nsqd-1", NsqConnState::Open, 2, false), ("nsqd-2", NsqConnState::Open, 2, false)]);
        assert_eq!(c.in_flight, c.connections.iter().map(|x| x.in_flight).sum::<u64>());
        // The library's RDY is what nsqd was told.
        let jobs = v.nodes[0].topics[0].channels.iter().find(|x| x.name == "jobs").expect("jobs");
        assert_eq!(jobs.clients.iter().map(|x| x.ready_count).sum::<u64>(), 2);
        cmd(&mut w, r#"{"op":"cut_link","client":"worker","nsqd":"nsqd-2"}"#);
        let v = nsq(&w);
        assert_eq!(v.consumers[0].connections.iter().map(|x| x.cut).collect::<Vec<_>>(), [false, true]);
        cmd(&mut w, r#"{"op":"consumer_crash","consumer":"worker"}"#);
        let c = &nsq(&w).consumers[0];
        assert_eq!((c.state, c.in_flight), (NsqConsumerState::Crashed, 0));
        assert!(c.connections.iter().all(|x| x.state == NsqConnState::Closed && x.rdy == 0), "{c:?}");
    }

    #[test]
    fn a_failing_handler_shows_its_backoff() {
        let json = TWO.replace(r#""work": "5ms" }"#, r#""work": "5ms", "failure_rate": 1.0 }"#);
        let mut w = World::from_json(&json).expect("valid");
        let mut seen = std::collections::BTreeSet::new();
        for ms in (100..5_000).step_by(10) {
            w.run_until(SimTime::from_micros(ms * 1000));
            let b = nsq(&w).consumers[0].backoff.clone();
            match b.phase {
                NsqBackoffPhase::Waiting => assert!(b.until_us.is_some_and(|t| t >= w.now().as_micros()) && b.level > 0, "{b:?}"),
                NsqBackoffPhase::Probing => assert!(b.until_us.is_none() && b.level > 0, "{b:?}"),
                NsqBackoffPhase::None => assert_eq!((b.level, b.until_us), (0, None)),
            }
            seen.insert(format!("{:?}", b.phase));
        }
        assert!(seen.contains("Waiting") && seen.contains("Probing"), "{seen:?}");
        assert!(nsq(&w).consumers[0].requeued > 0);
    }

    #[test]
    fn publishers_show_their_connections() {
        let mut w = world(TWO, 500);
        let p = nsq(&w).publishers;
        assert_eq!(p.len(), 1);
        assert_eq!((p[0].goroutine.as_str(), p[0].group.as_str(), p[0].nsqd.as_str(), p[0].cut), ("producer", "producer", "nsqd-1", false));
        cmd(&mut w, r#"{"op":"cut_link","client":"producer","nsqd":"nsqd-1"}"#);
        w.run_until(SimTime::from_micros(700_000));
        let p = &nsq(&w).publishers[0];
        // Its next Publish waits behind the cut.
        assert!(p.cut && p.waiting, "{p:?}");
    }

    #[test]
    fn nsq_events_say_where_they_happened() {
        let w = world(TWO, 3_000);
        let events = w.events_since(0, usize::MAX);
        let place = |k: EventKind| events.iter().find(|e| e.kind == k).and_then(|e| e.nsq.clone()).unwrap_or_else(|| panic!("no {k:?} with a place"));
        let p = place(EventKind::NsqPublish);
        assert_eq!((p.nsqd.as_deref(), p.client.as_deref(), p.topic.as_deref(), p.channel), (Some("nsqd-1"), Some("producer"), Some("events"), None));
        let p = place(EventKind::NsqMessage);
        assert_eq!(p.topic.as_deref(), Some("events"));
        assert!(p.nsqd.is_some() && p.client.is_some() && p.channel.is_some(), "{p:?}");
        let p = place(EventKind::NsqFinish);
        assert_eq!(p.client.as_deref(), Some("worker"));
        let p = place(EventKind::NsqConnected);
        assert!(p.nsqd.is_some() && p.client.is_some(), "{p:?}");
        // `slow` takes 2s a message, its node times it out after 1s: the
        // book tells the topic; `jobs` has it too, so the channel stays
        // unnamed.
        let p = place(EventKind::NsqTimeout);
        assert_eq!((p.nsqd.as_deref(), p.topic.as_deref(), p.client), (Some("nsqd-1"), Some("events"), None));
        // Go events have none.
        assert!(events.iter().filter(|e| !format!("{:?}", e.kind).starts_with("Nsq")).all(|e| e.nsq.is_none()));
        assert!(events.iter().filter(|e| format!("{:?}", e.kind).starts_with("Nsq")).all(|e| e.nsq.is_some()));
    }

    #[test]
    fn a_lookup_says_which_lookupd_answered() {
        let w = world(crate::presets::get("nsq-cluster").expect("preset").json, 12_000);
        let lookups: Vec<_> = w.events_since(0, usize::MAX).into_iter().filter(|e| e.kind == EventKind::NsqLookup).collect();
        assert!(lookups.len() >= 2, "{lookups:?}");
        // The consumers poll their two lookupds in turn; each answer names the one that gave it.
        let named: std::collections::BTreeSet<_> = lookups.iter().filter_map(|e| e.nsq.as_ref().and_then(|p| p.lookupd.clone())).collect();
        assert_eq!(named.into_iter().collect::<Vec<_>>(), ["lookupd-1", "lookupd-2"]);
        for e in &lookups {
            let p = e.nsq.as_ref().expect("a place");
            let k = if p.lookupd.as_deref() == Some("lookupd-1") { 1 } else { 2 };
            assert!(e.text.contains(&format!(": lookupd-{k} answered the lookup: ")), "{}", e.text);
            assert!(p.client.is_some(), "{p:?}");
            assert!(!p.refused, "both lookupds are up: {}", e.text);
        }
        // Before any producer published, the answer is TOPIC_NOT_FOUND.
        assert!(lookups[0].text.ends_with("TOPIC_NOT_FOUND (no nsqd has the topic yet)"), "{}", lookups[0].text);
        assert!(lookups.iter().any(|e| e.text.ends_with("2 nsqd have the topic")), "{lookups:?}");
    }

    #[test]
    fn a_lookup_to_a_lookupd_that_is_down_says_it_was_refused() {
        let mut scenario: serde_json::Value = serde_json::from_str(crate::presets::get("nsq-cluster").expect("preset").json).expect("json");
        scenario["commands"] = serde_json::json!([{ "at": "1s", "command": { "op": "nsqlookupd_crash", "nsqlookupd": "lookupd-1" } }]);
        let w = world(&scenario.to_string(), 40_000);
        let lookups: Vec<_> = w.events_since(0, usize::MAX).into_iter().filter(|e| e.kind == EventKind::NsqLookup).collect();
        let (refused, answered): (Vec<_>, Vec<_>) = lookups.iter().partition(|e| e.nsq.as_ref().is_some_and(|p| p.refused));
        assert!(!refused.is_empty() && !answered.is_empty(), "{lookups:?}");
        for e in &refused {
            assert_eq!(e.nsq.as_ref().and_then(|p| p.lookupd.as_deref()), Some("lookupd-1"));
            assert!(e.text.ends_with("lookupd-1 refused the lookup: it is down"), "{}", e.text);
        }
        assert!(answered.iter().all(|e| e.t_us < 1_000_000 || e.nsq.as_ref().and_then(|p| p.lookupd.as_deref()) == Some("lookupd-2")));
    }

    #[test]
    fn samples_keep_every_channel_and_go_worlds_none() {
        let w = world(TWO, 3_000);
        let samples: Vec<_> = w.series().samples().collect();
        assert!(samples.len() > 10);
        let last = samples.last().and_then(|s| s.nsq.clone()).expect("nsq rows");
        let names: Vec<(&str, &str, &str)> = last.iter().map(|r| (r.nsqd.as_str(), r.topic.as_str(), r.channel.as_str())).collect();
        assert_eq!(names, [("nsqd-1", "events", "jobs"), ("nsqd-1", "events", "slow"), ("nsqd-2", "events", "jobs")]);
        let v = nsq(&w);
        let jobs = &v.nodes[0].topics[0].channels[0];
        assert_eq!((last[0].requeue_count, last[0].timeout_count, last[0].in_flight), (jobs.requeue_count, jobs.timeout_count, jobs.in_flight));
        assert!(last[1].timeout_count > 0, "{:?}", last[1]);
        // Cumulative: never decreasing.
        let fins: Vec<u64> = samples.iter().filter_map(|s| s.nsq.as_ref()).map(|r| r[0].finish_count).collect();
        assert!(fins.windows(2).all(|p| p[0] <= p[1]) && fins.last() > Some(&0), "{fins:?}");
        let go = world(r#"{"channels":[{"name":"c"}],"goroutines":[{"name":"p","behavior":{"producer":{"to":"c"}}},{"name":"k","behavior":{"consumer":{"from":"c"}}}]}"#, 1_000);
        assert!(go.series().samples().all(|s| s.nsq.is_none()));
        assert!(go.snapshot().nsq.is_none());
        assert!(go.events_since(0, 100).iter().all(|e| e.nsq.is_none()));
        assert!(go.nsq_messages("t", "c", Figure::Published, 10).is_empty() && go.nsq_message_life(1).is_none());
    }

    #[test]
    fn figures_list_their_messages_and_each_has_a_life() {
        let w = world(TWO, 3_000);
        let v = nsq(&w);
        let row = v.guarantees.iter().find(|r| r.channel == "jobs").expect("jobs row");
        let published = w.nsq_messages("events", "jobs", Figure::Published, usize::MAX);
        assert_eq!(published.len() as u64, row.published);
        assert_eq!(w.nsq_messages("events", "jobs", Figure::Finished, usize::MAX).len() as u64, row.finished);
        assert_eq!(w.nsq_messages("events", "jobs", Figure::Live, usize::MAX).len() as u64, row.live);
        let first = w.nsq_messages("events", "jobs", Figure::Finished, 2);
        assert_eq!(first.len(), 2);
        assert_eq!(first[0].label, "producer#0");
        assert!(first[0].detail.starts_with("finished, handled once"), "{:?}", first[0]);
        let life = w.nsq_message_life(first[0].msg).expect("a life");
        assert_eq!((life.label.as_str(), life.topic.as_str()), ("producer#0", "events"));
        assert!(life.published_us >= 50_000, "{life:?}");
        let jobs = life.copies.iter().find(|c| c.channel == "jobs").expect("its jobs copy");
        assert_eq!((jobs.nsqd.as_str(), jobs.place.as_str(), jobs.attempts, jobs.handled), ("nsqd-1", "finished", 1, 1));
        // `slow` times its messages out: redelivered, handled again.
        let slow = life.copies.iter().find(|c| c.channel == "slow").expect("its slow copy");
        assert!(slow.attempts >= 1, "{slow:?}");
        let dup = w.nsq_messages("events", "slow", Figure::HandledMoreThanOnce, 1);
        assert!(dup.iter().all(|m| m.detail.contains("times")), "{dup:?}");
        assert!(w.nsq_message_life(u64::MAX).is_none());
        assert!(w.nsq_messages("events", "nope", Figure::Published, 10).is_empty());
        // A label (as events and tokens show it) finds the same message.
        assert_eq!(w.nsq_find_message("producer#0"), Some(first[0].msg));
        assert_eq!(w.nsq_find_message(&first[1].label), Some(first[1].msg));
        for absent in ["producer#999999", "nobody#0", "producer", "#", "producer#x", ""] {
            assert_eq!(w.nsq_find_message(absent), None, "{absent}");
        }
    }
}
