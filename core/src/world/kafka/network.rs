//! Network cuts between Kafka processes (`kafka_cut_link`,
//! `kafka_heal_link`).
//!
//! # Semantics
//! A cut separates two processes in both directions, as a network
//! partition does to a TCP connection ([`crate::net`]): frames already on
//! the way and frames sent meanwhile wait, and neither side is told. A
//! process is a broker, a producer (every goroutine producing through it),
//! a partition consumer (its fetchers) or a group member (its group
//! traffic and its claims' fetches). One side is a broker: clients talk
//! only to brokers. What follows is each side's own timeouts, as in Kafka:
//! - **follower / leader**: the follower's fetches wait; once it has not
//!   caught up for `replica.lag.time.max.ms` the leader drops it from the
//!   ISR and the high watermark moves on without it (so acks=all needs
//!   `min.insync.replicas` of what is left). Healed, it catches up and
//!   rejoins the ISR.
//! - **member / coordinator**: heartbeats and commits wait; after the
//!   session timeout the coordinator removes the member and rebalances,
//!   while the member goes on processing what it fetched (a zombie). Its
//!   heartbeat gets no answer: after `Net.ReadTimeout` (30 s) sarama closes
//!   the connection and writes the next one at once, up to
//!   `Metadata.Retry.Max` (3) more times; after the fourth timeout (about
//!   2 minutes in) the heartbeat loop ends the session itself: the claims
//!   stop, `Cleanup`, and `Consume` joins again. Healed within that time,
//!   the heartbeat waiting at the cut learns the member is out; healed
//!   later, the join waiting at the cut gets through; either way it joins
//!   again. A join too gets no answer for 30 s across the cut: `Consume`
//!   returns the i/o timeout and the member's loop joins again, every
//!   30 s, until one of them is written into a healed network (or healed
//!   in time).
//! - **consumer or member / leader**: fetches wait and lag grows; after
//!   sarama's `Net.ReadTimeout` (30 s) without an answer the fetch fails
//!   with an i/o timeout, the connection closes (its answer never
//!   arrives) and the partition consumer fetches again, from the leader of
//!   then, after `Consumer.Retry.Backoff` (2 s): across a lasting cut, one
//!   timeout every 32 s. Healed, the next fetch goes through.
//! - **producer / leader**: sarama's `Net.ReadTimeout` (30 s): a request
//!   with no answer 30 s after it was written fails with an i/o timeout,
//!   the connection closes (what was on its way on it, either direction,
//!   never arrives) and the request is tried again after `Retry.Backoff`
//!   (100 ms), up to `Retry.Max` (3) times; then producing the record
//!   fails (`SendMessage` returns the error). A retry written into the cut
//!   waits the same 30 s (sarama's `Net.DialTimeout` is 30 s too). A cut
//!   healed in time: the request goes on.
//! - **broker / controller** (`controller`, KRaft's controller quorum as
//!   one process; only brokers talk to it): the broker's heartbeats
//!   (`broker.heartbeat.interval.ms`) stop arriving; the controller fences
//!   it when its session times out (`broker_session_timeout`, 9 s, from the
//!   cut), as it would a crashed broker: its replicas leave every ISR and
//!   the partitions it led elect new leaders (KIP-631). A fenced replica
//!   cannot rejoin an ISR (KIP-841). The broker is not told: it goes on
//!   as leader of those partitions for the producers that still reach it,
//!   a zombie (`zombie`). Healed before then, the session goes on and
//!   nothing happens; healed after, the broker registers again (event
//!   `kafka_unfenced`), truncates what it took as a zombie (lost),
//!   follows and rejoins the ISR once caught up. A broker restarted while the cut
//!   lasts cannot register: it stays fenced until the heal. A clean stop
//!   needs the controller: refused across the cut (crash it instead). So a
//!   broker cut from everyone loses its leaderships, and clients that time
//!   out on it retry at the new leaders; one cut from everyone but the
//!   controller keeps them.
//! - A cut outlives a crash: a broker that restarts behind a cut is still
//!   cut off.
//!
//! # Simplifications
//! The links carry no heartbeat frames: the session is timed from the
//! cut. A fenced broker stops following at once (it would go on fetching
//! from the leaders it knew, and stay out of their ISR). For the zombie's
//! own simplifications see `zombie`.

use super::group::{member_end, member_timer};
use super::{client, KTimer, KafkaWorld, FETCHER_END, NET_READ_TIMEOUT};
use crate::time::SimTime;
use crate::command::CommandError;
use crate::time::echo;
use crate::world::{Ev, Kit};

/// Process codes: brokers are 1 to 16; goroutine endpoints (`client(g)`)
/// and member endpoints are their own codes; these two ranges name
/// producers and partition consumers.
const PRODUCER: u32 = 4_000_000;
const CONSUMER: u32 = 3_000_000;
/// First fetcher endpoint (`client(FETCHER_END + f)`).
const FETCHER: u32 = 1_001_000;
/// Last broker number.
const MAX_BROKER: u32 = 999;
/// The controller (KRaft's quorum, as one process): only brokers talk to it.
pub(super) const CONTROLLER: u32 = 5_000_000;

/// A cut between two processes, the smaller code first.
pub(crate) fn pair(a: u32, b: u32) -> (u32, u32) {
    (a.min(b), a.max(b))
}

impl KafkaWorld {
    /// The process endpoint `end` belongs to.
    fn proc_of(&self, end: u32) -> u32 {
        if (1000..FETCHER).contains(&end) {
            return self.client_producer.get(&end).map_or(end, |&p| PRODUCER + u32::from(p));
        }
        if (FETCHER..2_000_000).contains(&end) {
            let Some(fe) = self.fetchers.get((end - FETCHER) as usize) else { return end };
            return match fe.member {
                Some((g, m)) => member_end(usize::from(g), usize::from(m)),
                None => CONSUMER + u32::from(fe.consumer),
            };
        }
        end
    }

    /// Whether the link from `src` to `dst` crosses a cut.
    pub(super) fn is_cut(&self, src: u32, dst: u32) -> bool {
        !self.cuts.is_empty() && self.cuts.contains(&pair(self.proc_of(src), self.proc_of(dst)))
    }

    /// The links between the two processes of `p`, both directions.
    fn links_between(&self, p: (u32, u32)) -> Vec<u32> {
        self.link_ids.iter().filter(|((s, d), _)| pair(self.proc_of(*s), self.proc_of(*d)) == p).map(|(_, &l)| l).collect()
    }

    /// The process named `name`: `broker-N`, a producer, a partition
    /// consumer or a group member.
    fn proc_named(&self, name: &str) -> Result<u32, CommandError> {
        if name == "controller" {
            return Ok(CONTROLLER);
        }
        if let Some(n) = name.strip_prefix("broker-").and_then(|n| n.parse::<u32>().ok()) {
            if n >= 1 && n <= self.spec.brokers {
                return Ok(n);
            }
        }
        if let Some(i) = self.spec.producers.iter().position(|p| p.name == name) {
            return Ok(PRODUCER + i as u32);
        }
        if let Some(i) = self.spec.consumers.iter().position(|c| c.name == name) {
            return Ok(CONSUMER + i as u32);
        }
        for (g, gs) in self.groups.iter().enumerate() {
            if let Some(m) = gs.members.iter().position(|m| m.id == name) {
                return Ok(member_end(g, m));
            }
        }
        Err(CommandError::NotApplicable(format!(
            "no Kafka process named {}: name a broker (broker-1 to broker-{}), the controller, a producer, a partition consumer or a group member",
            echo(name),
            self.spec.brokers
        )))
    }

    /// The name of process `p` (for the view).
    pub(super) fn proc_name(&self, p: u32) -> String {
        if p <= MAX_BROKER {
            return format!("broker-{p}");
        }
        if p == CONTROLLER {
            return "controller".into();
        }
        if p >= PRODUCER {
            return self.spec.producers.get((p - PRODUCER) as usize).map_or_else(String::new, |x| x.name.clone());
        }
        if p >= CONSUMER {
            return self.spec.consumers.get((p - CONSUMER) as usize).map_or_else(String::new, |x| x.name.clone());
        }
        // A member's endpoint (cuts name only brokers, producers, partition
        // consumers and members).
        let Some(k) = p.checked_sub(2_000_000) else { return String::new() };
        let (g, m) = ((k / 256) as usize, (k % 256) as usize);
        self.groups.get(g).and_then(|gs| gs.members.get(m)).map_or_else(String::new, |x| x.id.clone())
    }

    /// Checks a cut or heal of `a` and `b` and returns its pair.
    fn cut_pair(&self, a: &str, b: &str) -> Result<(u32, u32), CommandError> {
        let (pa, pb) = (self.proc_named(a)?, self.proc_named(b)?);
        if pa == pb {
            return Err(CommandError::NotApplicable(format!("{} cannot be cut from itself", echo(a))));
        }
        if pa > MAX_BROKER && pb > MAX_BROKER && (pa == CONTROLLER || pb == CONTROLLER) {
            return Err(CommandError::NotApplicable(format!("{} and {} do not talk to each other: only brokers talk to the controller", echo(a), echo(b))));
        }
        if pa > MAX_BROKER && pb > MAX_BROKER {
            return Err(CommandError::NotApplicable(format!(
                "{} and {} do not talk to each other: clients talk only to brokers, so one side must be a broker",
                echo(a),
                echo(b)
            )));
        }
        Ok(pair(pa, pb))
    }

    /// `kafka_cut_link`: every link between the two processes, now and
    /// later, passes nothing until healed.
    pub(super) fn cut_link(&mut self, a: &str, b: &str, kit: &mut Kit) -> Result<(), CommandError> {
        let p = self.cut_pair(a, b)?;
        if self.cuts.contains(&p) {
            return Err(CommandError::NotApplicable(format!("the link {} - {} is already cut", echo(a), echo(b))));
        }
        self.cuts.push(p);
        if p.1 == CONTROLLER {
            self.controller_cut(p.0, kit);
        }
        let ids = self.links_between(p);
        for l in ids {
            self.links[l as usize].cut();
        }
        Ok(())
    }

    /// `kafka_heal_link`: the waiting frames move on, each with a fresh
    /// latency.
    pub(super) fn heal_link(&mut self, a: &str, b: &str, kit: &mut Kit) -> Result<(), CommandError> {
        let p = self.cut_pair(a, b)?;
        let Some(i) = self.cuts.iter().position(|c| *c == p) else {
            return Err(CommandError::NotApplicable(format!("the link {} - {} is not cut", echo(a), echo(b))));
        };
        let ids = self.links_between(p);
        self.cuts.remove(i);
        if p.1 == CONTROLLER {
            self.controller_healed(p.0, kit);
        }
        let now = kit.queue.now();
        for l in ids {
            for at in self.links[l as usize].heal(now, &mut kit.rng) {
                kit.queue.schedule(at, Ev::KafkaNet(l));
            }
        }
        Ok(())
    }

    /// A request from endpoint `from` to `to`, written at `written_at`,
    /// gets its read deadline (`Net.ReadTimeout` later, not before now)
    /// if the link between them is cut: only then can its answer fail to
    /// come. Timers are set for nothing else, so runs without cuts are as
    /// they were.
    pub(crate) fn read_deadline(&self, kit: &mut Kit, from: u32, to: u32, written_at: SimTime, t: KTimer) {
        if self.is_cut(from, to) {
            self.schedule(kit, (written_at + NET_READ_TIMEOUT).max(kit.queue.now()), t);
        }
    }

    /// A cut was made: every request waiting for an answer across it (a
    /// producer's, a fetch, a member's heartbeat or commit) gets its read
    /// deadline.
    pub(super) fn cut_deadlines(&self, kit: &mut Kit) {
        for (&g, fl) in &self.in_flight {
            if fl.leader != 0 {
                self.read_deadline(kit, client(g), fl.leader, fl.sent_at, KTimer::ReadTimeout(g));
            }
        }
        self.batch_cut_deadlines(kit);
        for (f, fe) in self.fetchers.iter().enumerate() {
            if let Some((at, leader)) = fe.sent {
                self.read_deadline(kit, client(FETCHER_END + f as u32), leader, at, KTimer::FetchTimeout(f as u16));
            }
        }
        for (g, gs) in self.groups.iter().enumerate() {
            for (m, ms) in gs.members.iter().enumerate().filter(|(_, ms)| ms.up) {
                let key = member_timer(g, m, ms.life);
                if let Some((at, _)) = ms.hb {
                    self.read_deadline(kit, member_end(g, m), gs.broker, at, KTimer::HeartbeatTimeout(key));
                }
                if let Some((at, _)) = ms.commit_out {
                    self.read_deadline(kit, member_end(g, m), gs.broker, at, KTimer::CommitTimeout(key));
                }
            }
        }
    }

    /// The cuts by name, for the view.
    pub(super) fn cut_names(&self) -> Vec<[String; 2]> {
        self.cuts.iter().map(|&(a, b)| [self.proc_name(a), self.proc_name(b)]).collect()
    }
}
