//! The NSQ part of a world: the nsqd nodes of the scenario's `nsq`
//! section, the network links between clients and nodes, and what crosses
//! them. The world routes here the Go runtime's requests (a goroutine's
//! `Publish`) and the arrivals of frames, and lends the kit for each.
//!
//! # A publish, step by step
//! 1. The goroutine runs `Publish`: it makes (or takes) its value, enters
//!    `BlockedNet` and asks for the publish ([`Syscall::Publish`]).
//! 2. The world sends `PUB` over the goroutine's connection to the node
//!    (one connection per goroutine and node, opened on first use; one
//!    latency draw per frame, in order).
//! 3. At arrival the node puts the message into the topic, which copies it
//!    to each channel (or keeps it when the topic has none), and sends
//!    `OK` back.
//! 4. At `OK`'s arrival the `Publish` returns: the value's Go journey ends
//!    ("published") and the goroutine runs on.

use super::{Ev, Syscall, World};
use crate::dist::Dist;
use crate::gochan::channel::GoId;
use crate::net::Link;
use crate::nsq::message::Body;
use crate::nsq::nsqd::Nsqd;
use crate::nsq::spec::NsqSpec;
use crate::observe::snapshot::{NsqChannelView, NsqTopicView, NsqView, NsqdView};
use crate::observe::trace::{EventKind, NONE};
use crate::time::SimTime;
use std::collections::BTreeMap;

/// What travels on a link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Frame {
    /// `PUB <topic>` from goroutine `g` with its value (`topic` indexes the
    /// goroutine's program's topic names).
    Pub { g: GoId, topic: u16, value: i64 },
    /// The node's `OK` to `g`'s `PUB`.
    PubOk { g: GoId },
}

/// The NSQ system of a world.
#[derive(Clone, Debug)]
pub(crate) struct NsqWorld {
    latency: Dist,
    pub(crate) nodes: Vec<Nsqd>,
    pub(crate) names: Vec<String>,
    links: Vec<Link<Frame>>,
    /// The node each link leads to or comes from.
    link_node: Vec<u16>,
    /// A goroutine's connection to a node: (link to the node, link back).
    conns: BTreeMap<(GoId, u16), (u32, u32)>,
}

impl NsqWorld {
    /// The nodes of `spec`, with the topics and channels it creates.
    pub(crate) fn new(spec: &NsqSpec, rng: &mut crate::rng::SimRng) -> NsqWorld {
        let nodes = spec
            .nsqd
            .iter()
            .map(|n| {
                let mut node = Nsqd::new(n.options());
                for t in &n.topics {
                    // Names were checked with the scenario.
                    if let Ok(topic) = node.get_topic(&t.name) {
                        for c in &t.channels {
                            let _ = topic.get_channel(c, SimTime::ZERO, rng);
                        }
                    }
                }
                node
            })
            .collect();
        NsqWorld {
            latency: spec.latency.clone(),
            nodes,
            names: spec.nsqd.iter().map(|n| n.name.clone()).collect(),
            links: Vec::new(),
            link_node: Vec::new(),
            conns: BTreeMap::new(),
        }
    }

    /// `g`'s connection to `node`, opened on first use.
    fn conn(&mut self, g: GoId, node: u16) -> (u32, u32) {
        if let Some(&c) = self.conns.get(&(g, node)) {
            return c;
        }
        let up = self.links.len() as u32;
        self.links.push(Link::new(self.latency.clone()));
        self.links.push(Link::new(self.latency.clone()));
        self.link_node.extend([node, node]);
        let c = (up, up + 1);
        self.conns.insert((g, node), c);
        c
    }

    /// Bytes held on the heap, roughly (for the timeline's memory budget).
    pub(crate) fn approx_bytes(&self) -> usize {
        let per_message = 96;
        let queued: u64 = self
            .nodes
            .iter()
            .flat_map(|n| n.topics())
            .map(|t| t.depth() + t.channels().map(|c| c.depth() + c.stats().in_flight_count + c.stats().deferred_count).sum::<u64>())
            .sum();
        queued as usize * per_message + self.links.iter().map(|l| l.in_transit() * 48 + 64).sum::<usize>()
    }

    /// nsqadmin's view: nodes, their topics and channels with counters.
    pub(crate) fn view(&self) -> NsqView {
        NsqView {
            nodes: self
                .nodes
                .iter()
                .zip(&self.names)
                .map(|(n, name)| NsqdView {
                    name: name.clone(),
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
                                channels: t
                                    .channels()
                                    .map(|c| {
                                        let s = c.stats();
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
                                        }
                                    })
                                    .collect(),
                            }
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

impl World {
    /// Carries out the requests the Go runtime made during the event just
    /// handled.
    pub(super) fn run_syscalls(&mut self, now: SimTime) {
        let mut calls = std::mem::take(&mut self.kit.syscalls);
        for call in calls.drain(..) {
            match call {
                Syscall::Publish { g, node, topic } => {
                    let Some(nsq) = self.nsq.as_deref_mut() else { continue };
                    let value = self.go.gs[g as usize].held.map_or(0, |m| self.kit.ledger.msgs.get(m).value);
                    let (up, _) = nsq.conn(g, node);
                    if let Ok(Some(at)) = nsq.links[up as usize].send(now, Frame::Pub { g, topic, value }, &mut self.kit.rng) {
                        self.kit.queue.schedule(at, Ev::Net(up));
                    }
                }
            }
        }
        // Keep the buffer's allocation (no allocation per event once warm).
        if self.kit.syscalls.is_empty() {
            self.kit.syscalls = calls;
        }
    }

    /// A frame may have arrived on `link`.
    pub(super) fn net_arrival(&mut self, link: u32, now: SimTime) {
        let Some(nsq) = self.nsq.as_deref_mut() else { return };
        let Some(frame) = nsq.links[link as usize].arrive(now) else { return };
        let node = nsq.link_node[link as usize];
        match frame {
            Frame::Pub { g, topic, value } => {
                let name = self.go.gs[g as usize].prog.topics.get(usize::from(topic)).cloned().unwrap_or_default();
                let held = self.go.gs[g as usize].held;
                // Topic names were checked when the program was compiled,
                // so nsqd accepts the PUB.
                let accepted = nsq.nodes[usize::from(node)].publish(&name, Body { producer: g, value: value as u64 }, now).is_ok();
                debug_assert!(accepted, "a checked topic name is accepted");
                self.kit.ledger.record(now, EventKind::NsqPublished, g, NONE, held, i64::from(node));
                let (_, down) = nsq.conn(g, node);
                if let Ok(Some(at)) = nsq.links[down as usize].send(now, Frame::PubOk { g }, &mut self.kit.rng) {
                    self.kit.queue.schedule(at, Ev::Net(down));
                }
            }
            Frame::PubOk { g } => {
                let (go, k) = self.go_kit();
                go.net_reply(k, g, u32::from(node), now);
            }
        }
    }

    /// The NSQ section of the snapshot, if the world has one.
    pub(super) fn nsq_view(&self) -> Option<NsqView> {
        self.nsq.as_ref().map(|n| n.view())
    }
}
