//! Broker faults: a crash and a restart (live commands); and the other
//! Kafka live commands (group members, retention, acks, a group handler's
//! work time).
//!
//! - **Handler work** (`kafka_group_work`): every claim goroutine of the
//!   group gets the new work time (its program recompiled, same shape);
//!   a handler busy with a record finishes it at the old pace. Slowing a
//!   group below the produce rate makes its lag grow.
//!
//! - **Crash**: the broker's connections close, so every frame on its way
//!   to it is lost and requests waiting for it fail (sarama retries them;
//!   a request to it is refused). What it wrote before it stopped still
//!   arrives (TCP delivers data written before the close): an answer to a
//!   produce request on its way (acks=1: the leader answered before any
//!   follower copied the record) reaches the producer, which counts the
//!   record acknowledged, whatever happens to it next; records on their
//!   way to a partition consumer reach it; records on their way to a
//!   follower are appended (its fetch loop then ends: its next fetch
//!   finds the broker gone); a heartbeat's answer or a join's assignment
//!   reaches its group member. A partition consumer whose fetch went to it
//!   and got no answer tries again after `Consumer.Retry.Backoff`;
//!   fetches to other brokers go on. A member whose heartbeat broke ends
//!   its session, one whose join broke calls `Consume` again after the
//!   backoff (`group_timeouts`). The crash is a process crash: its host
//!   closes the connections at once, so clients learn of it at once (a
//!   host that vanished would leave them waiting for `Net.ReadTimeout`).
//! - **Fence**: the controller notices only when the broker's session
//!   times out (`broker_session_timeout`, KRaft's
//!   `broker.session.timeout.ms`, 9 s; `0s` = at once). Until then the
//!   metadata still names it: the partitions it led have no working leader
//!   (produce requests fail and are retried, then fail; fetches are
//!   retried), and while it stays in an ISR the high watermark cannot
//!   pass what it had. Fenced, its replicas leave the ISR (Kafka keeps
//!   the last member), and the controller elects a new leader for each
//!   partition it led: the first live ISR member in replica order, or
//!   with `unclean_leader_election` the first live replica. The new
//!   leader keeps its whole log, including records whose copy reached it
//!   after the leader heard of its last fetch. Every record
//!   the new leader lacks is truncated on every replica: lost, with its
//!   cause (acked with acks=1 or 0 and never copied; committed but lost to
//!   an unclean election; never acked).
//! - **Stop** (a clean shutdown, `controlled.shutdown.enable`): the
//!   controller fences it first, as above but at once, while it still
//!   runs, so its partitions never lack a working leader; then it stops
//!   like a crash. Records it had that the new leader lacks (acks=1 or 0,
//!   not yet copied) are still truncated: a clean stop does not make
//!   acks=1 safe.
//! - **Cut from the controller** (`network`): the controller fences a
//!   running broker the same way when its session times out. Nobody tells
//!   the broker: it goes on as leader of what it led (`zombie`) and
//!   follows nothing until the link heals; then it registers again and
//!   comes back as after a restart. A broker restarted behind that cut
//!   stays fenced; a clean stop across it is refused.
//! - **Restart**: a broker back before its session timed out is fenced
//!   first (it registers as a new incarnation). Then each replica
//!   truncates to the high watermark and its fetch loop starts again (it
//!   rejoins the ISR once caught up); a partition that had no live replica
//!   elects one now.
//! - **Preferred leaders** (KRaft's `auto.leader.rebalance.enable`, on by
//!   default): while some partition is led by another than its preferred
//!   replica (the first of its replicas), the controller's balance runs
//!   `leader.imbalance.check.interval.seconds` (5 minutes) later and
//!   elects the preferred replica of each partition where it is up and in
//!   the ISR. The old leader steps down to follower: requests waiting at
//!   it are answered NOT_LEADER_OR_FOLLOWER, and its records beyond the
//!   new leader's log end are truncated.
//! - **Group coordinators**: a fenced broker's groups move to another
//!   broker, which loads them (`group_failover`).

use super::{KafkaError, KafkaWorld, KTimer, FENCED_RUNNING, PREFERRED_ELECTION};
use crate::command::{Command, CommandError};
use crate::kafka::replication::{Acks, BrokerId};
use crate::observe::trace::{EventKind, NONE};
use crate::world::{Kit, World};

impl World {
    pub(in crate::world) fn kafka_apply(&mut self, cmd: &Command) -> Result<(), CommandError> {
        let Some(kw) = self.kafka.as_deref_mut() else {
            return Err(CommandError::NotApplicable("this scenario has no kafka section".into()));
        };
        let now = self.kit.queue.now();
        match *cmd {
            Command::KafkaBrokerCrash { broker } | Command::KafkaBrokerStop { broker } => {
                kw.check_broker(broker, true)?;
                let clean = matches!(cmd, Command::KafkaBrokerStop { .. });
                if clean && kw.cuts.contains(&super::network::pair(broker, super::network::CONTROLLER)) {
                    return Err(CommandError::NotApplicable(format!(
                        "broker-{broker} cannot shut down cleanly: it is cut from the controller, which moves its leaderships first (crash it instead)"
                    )));
                }
                if clean {
                    // Controlled shutdown: leaderships move before it stops.
                    self.kit.record(EventKind::KafkaBrokerStop, NONE, NONE, None, i64::from(broker));
                    kw.fence(broker, false, &mut self.kit);
                }
                for (g, m) in kw.crash(broker, clean, &mut self.kit) {
                    self.kafka_session_end(g, m, now);
                }
                let Some(kw) = self.kafka.as_deref_mut() else { return Ok(()) };
                // Requests waiting for it fail now (their connection broke),
                // but for those whose answer it had written: it arrives.
                let (answered, answered_batches) = kw.answers_on_their_way(broker);
                let mut waiting: Vec<(u32, u32)> = Vec::new();
                for (&g, f) in kw.in_flight.iter() {
                    if !answered.contains(&(g, f.tries)) {
                        waiting.push((g, f.part));
                    }
                }
                for (g, part) in waiting {
                    if self.go.gs[g as usize].wait & 0xffff == broker {
                        self.kafka_produce_resp(g, part, None, Err(super::KafkaError::NotLeader), now);
                    }
                }
                let Some(kw) = self.kafka.as_deref_mut() else { return Ok(()) };
                kw.batches_lost_to(broker, &answered_batches, &mut self.kit);
                self.kafka_deliver_all(now);
                let Some(kw) = self.kafka.as_deref_mut() else { return Ok(()) };
                kw.fetches_lost_to(broker, &mut self.kit);
            }
            Command::KafkaBrokerRestart { broker } => {
                kw.check_broker(broker, false)?;
                kw.restart(broker, &mut self.kit);
            }
            Command::KafkaMember { ref group, member, action } => {
                use crate::command::KafkaMemberAction as A;
                let Some(g) = kw.spec.groups.iter().position(|x| &x.name == group) else {
                    return Err(CommandError::NotApplicable(format!("no consumer group named {}", crate::time::echo(group))));
                };
                let n = kw.groups[g].members.len() as u32;
                if member == 0 || member > n {
                    return Err(CommandError::NotApplicable(format!("group {} has members 1 to {n}, got {member}", crate::time::echo(group))));
                }
                let m = member as usize - 1;
                let up = kw.groups[g].members[m].up;
                match (action, up) {
                    (A::Start, true) => return Err(CommandError::NotApplicable(format!("{} is running", kw.groups[g].members[m].id))),
                    (A::Crash | A::Leave, false) => return Err(CommandError::NotApplicable(format!("{} is not running", kw.groups[g].members[m].id))),
                    _ => {}
                }
                self.kafka_member(g, m, action, now);
            }
            Command::KafkaRetention { ref topic, retention, retention_bytes } => {
                let Some((ti, _)) = kw.spec.topic(topic) else {
                    return Err(CommandError::NotApplicable(format!("no Kafka topic named {}", crate::time::echo(topic))));
                };
                if retention.is_none() && retention_bytes.is_none() {
                    return Err(CommandError::NotApplicable("give retention and/or retention_bytes".into()));
                }
                if retention == Some(crate::time::SimDuration::ZERO) {
                    return Err(CommandError::NotApplicable("retention must be longer than 0".into()));
                }
                // Partitions added later get it too.
                let t = &mut kw.spec.topics[ti];
                t.retention = retention.or(t.retention);
                t.retention_bytes = retention_bytes.or(t.retention_bytes);
                for ps in kw.parts.iter_mut().filter(|p| usize::from(p.topic) == ti) {
                    for log in &mut ps.logs {
                        let c = *log.config();
                        log.set_retention(retention.or(c.retention), retention_bytes.or(c.retention_bytes));
                    }
                }
            }
            Command::KafkaAcks { ref producer, acks } => {
                let Some(i) = kw.spec.producers.iter().position(|p| &p.name == producer) else {
                    return Err(CommandError::NotApplicable(format!("no Kafka producer named {}", crate::time::echo(producer))));
                };
                kw.producers[i].acks = acks.acks();
                kw.spec.producers[i].acks = acks;
            }
            Command::KafkaFlush { ref producer, flush, max_open_requests } => {
                let Some(i) = kw.spec.producers.iter().position(|p| &p.name == producer) else {
                    return Err(CommandError::NotApplicable(format!("no Kafka producer named {}", crate::time::echo(producer))));
                };
                if kw.spec.producers[i].kind != crate::kafka::spec::ProducerKind::Async {
                    return Err(CommandError::NotApplicable(format!("{} is a SyncProducer: it sends each message on its own (Flush settings are an AsyncProducer's)", crate::time::echo(producer))));
                }
                if let Some((field, m)) = flush.problems().into_iter().next() {
                    return Err(CommandError::NotApplicable(format!("flush.{field}: {m}")));
                }
                if let Some(m) = max_open_requests.and_then(crate::kafka::spec::max_open_requests_problem) {
                    return Err(CommandError::NotApplicable(format!("max_open_requests {m}")));
                }
                kw.spec.producers[i].flush = flush;
                if let Some(n) = max_open_requests {
                    kw.spec.producers[i].max_open_requests = n;
                }
                kw.reflush(i as u16, &mut self.kit);
                self.kafka_deliver_all(now);
            }
            Command::KafkaGroupWork { ref group, member, ref work } => {
                let Some(g) = kw.spec.groups.iter().position(|x| &x.name == group) else {
                    return Err(CommandError::NotApplicable(format!("no consumer group named {}", crate::time::echo(group))));
                };
                let gs = kw.spec.groups[g].clone();
                if let Some(m) = member.filter(|&m| m == 0 || m > gs.members) {
                    return Err(CommandError::NotApplicable(format!("group {} has members 1 to {}, not {m}", crate::time::echo(group), gs.members)));
                }
                // Every member's claim goroutines (or the one member's),
                // all checked before any changes.
                let slots = kw.spec.group_slots(&gs);
                let mut progs = Vec::new();
                for m in member.map_or(1..=gs.members, |m| m..=m) {
                    for j in 0..slots {
                        let spec = gs.claim_goroutine(m, j, work);
                        let (gi, prog) = self.go.recompile_same_shape(&spec.name, &spec)?;
                        progs.push((gi, spec, prog));
                    }
                }
                for (gi, spec, prog) in progs {
                    self.go.install_program(gi, spec, prog);
                }
                if let Some(kw) = self.kafka.as_deref_mut() {
                    match member {
                        Some(m) => kw.groups[g].members[m as usize - 1].work = Some(work.clone()),
                        None => {
                            kw.spec.groups[g].work = work.clone();
                            for ms in &mut kw.groups[g].members {
                                ms.work = None;
                            }
                        }
                    }
                }
            }
            Command::KafkaAddPartitions { ref topic, partitions } => self.kafka_add_partitions(topic, partitions)?,
            Command::KafkaCutLink { ref a, ref b } => {
                kw.cut_link(a, b, &mut self.kit)?;
                kw.cut_deadlines(&mut self.kit);
            }
            Command::KafkaHealLink { ref a, ref b } => kw.heal_link(a, b, &mut self.kit)?,
            Command::KafkaAssignor { ref group, assignor } => {
                let Some(g) = kw.spec.groups.iter().position(|x| &x.name == group) else {
                    return Err(CommandError::NotApplicable(format!("no consumer group named {}", crate::time::echo(group))));
                };
                kw.groups[g].coord.set_strategy(assignor.strategy());
                kw.spec.groups[g].assignor = assignor;
            }
            _ => return Err(CommandError::NotApplicable("not a Kafka command".into())),
        }
        Ok(())
    }
}

impl KafkaWorld {
    /// The produce answers broker `b` wrote before it stopped that are
    /// still on their way (they arrive; see the module docs): the
    /// goroutines whose `SendMessage` they answer, with the try they
    /// answer, and the batch requests.
    pub(super) fn answers_on_their_way(&self, b: BrokerId) -> (Vec<(crate::gochan::channel::GoId, u8)>, Vec<u32>) {
        let (mut sends, mut batches) = (Vec::new(), Vec::new());
        for (&(s, _), &l) in self.link_ids.iter() {
            if s != b {
                continue;
            }
            for f in self.links[l as usize].frames() {
                match *f {
                    super::KFrame::ProduceResp { g, tries, .. } => sends.push((g, tries)),
                    super::KFrame::BatchResp { req, .. } => batches.push(req),
                    _ => {}
                }
            }
        }
        (sends, batches)
    }

    /// Broker `b` crashed: each partition consumer whose fetch went to it
    /// and has no answer on its way (the request died with the
    /// connection, or was parked there) hears the connection break, and
    /// sarama's dispatcher tries again after `Consumer.Retry.Backoff` with
    /// the leader of then. An answer on its way arrives and is handled as
    /// any other; fetches to other brokers go on untouched.
    fn fetches_lost_to(&mut self, b: BrokerId, kit: &mut Kit) {
        let now = kit.queue.now();
        for f in 0..self.fetchers.len() {
            let fe = &self.fetchers[f];
            let (Some((_, leader)), true, false) = (fe.sent, fe.in_flight, fe.stopped) else { continue };
            if leader != b {
                continue;
            }
            let session = fe.session;
            let to = super::client(super::FETCHER_END + f as u32);
            let answered = self.link_ids.get(&(b, to)).is_some_and(|&l| {
                self.links[l as usize].frames().any(|fr| matches!(*fr, super::KFrame::FetchData { f: ff, session: s, .. } if usize::from(ff) == f && s == session))
            });
            if answered {
                continue;
            }
            let fe = &mut self.fetchers[f];
            fe.sent = None;
            self.schedule(kit, now + super::CONSUMER_RETRY, KTimer::FetchRetry(f as u16));
        }
    }

    fn check_broker(&self, broker: u32, must_be_up: bool) -> Result<(), CommandError> {
        if broker == 0 || broker > self.spec.brokers {
            return Err(CommandError::NotApplicable(format!("no broker-{broker}: the brokers are broker-1 to broker-{}", self.spec.brokers)));
        }
        match (must_be_up, self.broker_up(broker)) {
            (true, false) => Err(CommandError::NotApplicable(format!("broker-{broker} is already down"))),
            (false, true) => Err(CommandError::NotApplicable(format!("broker-{broker} is running"))),
            _ => Ok(()),
        }
    }

    fn close_links_of(&mut self, b: BrokerId, now: crate::time::SimTime) {
        let ids: Vec<(bool, u32)> = self.link_ids.iter().filter(|((s, d), _)| *s == b || *d == b).map(|(&(s, _), &l)| (s == b, l)).collect();
        for (from_b, l) in ids {
            let link = &mut self.links[l as usize];
            let lost = if from_b {
                // What it wrote before it stopped still arrives; of that,
                // the answers to produce, fetch and group requests; its
                // own requests (a follower's fetch) are dropped.
                link.retain(|f| match f {
                    super::KFrame::ProduceResp { .. } | super::KFrame::BatchResp { .. } | super::KFrame::FetchData { .. } | super::KFrame::ReplicaData { .. } => true,
                    super::KFrame::Group(f) => matches!(**f, super::group::GroupFrame::HeartbeatResp { .. } | super::group::GroupFrame::Assigned { .. }),
                    _ => false,
                })
            } else {
                let lost = link.close();
                link.open(now);
                lost
            };
            // An acks=0 request lost with the connection: its producer was
            // told it was sent, and nobody hears otherwise.
            for f in lost {
                match f {
                    super::KFrame::Produce { rec, acks: Acks::None, .. } => self.book.unwritten(rec),
                    super::KFrame::ProduceBatch { recs, acks: Acks::None, .. } => recs.iter().for_each(|&(_, rec)| self.book.unwritten(rec)),
                    _ => {}
                }
            }
        }
        // A cut outlives the crash.
        let cut: Vec<u32> = self.link_ids.iter().filter(|((s, d), _)| (*s == b || *d == b) && self.is_cut(*s, *d)).map(|(_, &l)| l).collect();
        for l in cut {
            self.links[l as usize].cut();
        }
    }

    /// Broker `b` stops: a crash, or after a controlled shutdown
    /// (`fenced`: the controller has already moved its leaderships).
    ///
    /// Returns the group members whose heartbeat it broke: their sessions
    /// end (the caller ends them).
    #[must_use]
    pub(super) fn crash(&mut self, b: BrokerId, fenced: bool, kit: &mut Kit) -> Vec<(usize, usize)> {
        let now = kit.queue.now();
        self.up[b as usize - 1] = false;
        self.close_links_of(b, now);
        if !fenced {
            kit.record(EventKind::KafkaBrokerCrash, NONE, NONE, None, i64::from(b));
        }
        let heartbeats_broken = self.group_requests_lost_to(b, kit);
        for part in 0..self.parts.len() as u32 {
            let ps = &mut self.parts[part as usize];
            let Some(i) = ps.slot(b) else { continue };
            // Its connections are gone: its own fetch loop, the fetches
            // parked at it and the acks=all requests waiting at it.
            ps.fetching[i] = false;
            ps.parked_followers.retain(|p| p.who != b);
            if ps.repl.leader() == Some(b) {
                ps.parked_followers.clear();
                ps.parked_fetches.clear();
                ps.pending.clear();
            }
        }
        // Fenced already (while it ran, cut from the controller), or its
        // session timing out already (the same cut): nothing new to time.
        let fenced_before = std::mem::take(&mut self.fenced_running[b as usize - 1]);
        if fenced_before {
            self.end_zombies(b, false, kit);
        }
        if !(fenced || fenced_before || self.fence_at[b as usize - 1].is_some()) {
            self.session_expires(b, kit);
        }
        heartbeats_broken
    }

    /// The controller hears no heartbeat from broker `b` from now on (it
    /// crashed, or its link to the controller was cut): it fences it when
    /// its session times out; until then the metadata still names it.
    pub(super) fn session_expires(&mut self, b: BrokerId, kit: &mut Kit) {
        let timeout = self.spec.broker_session_timeout.unwrap_or(crate::kafka::spec::DEFAULT_BROKER_SESSION_TIMEOUT);
        if timeout == crate::time::SimDuration::ZERO {
            return self.fence(b, true, kit);
        }
        let at = kit.queue.now() + timeout;
        self.fence_at[b as usize - 1] = Some(at);
        self.schedule(kit, at, KTimer::Fence(b));
    }

    /// Broker `b`'s link to the controller was cut. A running broker's
    /// session times out; one that is down is fenced already or will be.
    pub(super) fn controller_cut(&mut self, b: BrokerId, kit: &mut Kit) {
        if self.broker_up(b) && !self.fenced_running[b as usize - 1] && self.fence_at[b as usize - 1].is_none() {
            self.session_expires(b, kit);
        }
    }

    /// Broker `b`'s link to the controller healed. Its session had not
    /// timed out: the next heartbeat keeps it. It had (fenced while
    /// running): it registers again, hears which brokers lead now, and
    /// comes back as after a restart (each replica truncates to the high
    /// watermark and follows; it rejoins the ISR once caught up).
    pub(super) fn controller_healed(&mut self, b: BrokerId, kit: &mut Kit) {
        if !self.broker_up(b) {
            return;
        }
        self.fence_at[b as usize - 1] = None;
        if std::mem::take(&mut self.fenced_running[b as usize - 1]) {
            kit.record(EventKind::KafkaUnfenced, NONE, NONE, None, i64::from(b));
            self.end_zombies(b, true, kit);
            self.rejoin(b, kit);
        }
    }

    /// The controller fences broker `b` (crashed, or shutting down
    /// cleanly: `timed_out` false, no event of its own): its replicas leave
    /// the ISR (Kafka keeps the last member), and each partition it led
    /// elects a new leader.
    pub(super) fn fence(&mut self, b: BrokerId, timed_out: bool, kit: &mut Kit) {
        self.fence_at[b as usize - 1] = None;
        // Running, its session timed out: it is cut from the controller.
        let running = timed_out && self.broker_up(b);
        if timed_out {
            kit.record(EventKind::KafkaFenced, NONE, NONE, None, i64::from(b) | if running { FENCED_RUNNING } else { 0 });
        }
        if running {
            self.fenced_running[b as usize - 1] = true;
        }
        for part in 0..self.parts.len() as u32 {
            let ps = &mut self.parts[part as usize];
            let Some(i) = ps.slot(b) else { continue };
            let was_leader = ps.repl.leader() == Some(b);
            if running {
                // It stops following; where it led it goes on as leader
                // in its own mind (a zombie), and consumers' fetches
                // parked at it go to the new leader.
                ps.fetching[i] = false;
                ps.parked_followers.retain(|p| p.who != b);
                if was_leader {
                    let next = ps.logs[i].leo();
                    self.become_zombie(part, b, next);
                    self.dismiss_waiting(part, b, kit);
                }
            }
            let ps = &mut self.parts[part as usize];
            let _ = ps.repl.broker_failed(b);
            if was_leader {
                self.elect(part, kit);
            } else {
                // The HW may move (a smaller ISR).
                self.complete_acks(part, kit);
            }
        }
        // It led the offsets partition of the groups it coordinates.
        self.move_coordinators_from(b, kit);
    }

    /// The controller elects a leader for `part`; lost records are counted.
    pub(super) fn elect(&mut self, part: u32, kit: &mut Kit) {
        self.elect_as(part, false, kit);
    }

    /// What waits at `old`, the leader of `part` until now, is answered
    /// NOT_LEADER_OR_FOLLOWER (its clients retry at the new leader);
    /// followers' fetches parked at it are dropped (the election starts
    /// new fetch loops).
    fn dismiss_waiting(&mut self, part: u32, old: BrokerId, kit: &mut Kit) {
        let ps = &mut self.parts[part as usize];
        let pending = std::mem::take(&mut ps.pending);
        let fetches = std::mem::take(&mut ps.parked_fetches);
        ps.parked_followers.clear();
        for a in pending {
            self.answer(old, a, part, Err(KafkaError::NotLeader), kit);
        }
        for p in fetches {
            self.fetch_reply(old, p.who as u16, p.epoch, part, p.offset, Some(KafkaError::NotLeader), kit);
        }
    }

    /// An election; `preferred`: the automatic preferred-leader election
    /// (its event says so, with `PREFERRED_ELECTION` in `aux`).
    fn elect_as(&mut self, part: u32, preferred: bool, kit: &mut Kit) {
        let now = kit.queue.now();
        let unclean = self.spec.unclean_leader_election;
        let ps = &mut self.parts[part as usize];
        let old_hw = ps.repl.high_watermark();
        // The candidates' whole logs count, not what the leader knew.
        for (i, &b) in ps.replicas.iter().enumerate() {
            if ps.repl.is_live(b) == Ok(true) {
                let _ = ps.repl.learn_log_end(b, ps.logs[i].leo());
            }
        }
        let Ok(e) = ps.repl.elect(unclean, now) else {
            kit.record(EventKind::KafkaElection, NONE, part, None, 0);
            return;
        };
        let flag = if preferred { PREFERRED_ELECTION } else { 0 };
        kit.record(EventKind::KafkaElection, NONE, part, None, i64::from(e.leader) | flag);
        // Every replica keeps only what the new leader has.
        let new_leo = ps.repl.leader_leo().unwrap_or(0);
        let mut lost: Vec<(u64, u32)> = Vec::new();
        for i in 0..ps.logs.len() {
            let log = &mut ps.logs[i];
            if log.leo() > new_leo {
                if let Ok(it) = log.records_from(new_leo.max(log.log_start_offset())) {
                    for r in it {
                        if !lost.iter().any(|(o, _)| *o == r.offset) {
                            lost.push((r.offset, r.payload as u32));
                        }
                    }
                }
                let _ = log.truncate_to(new_leo);
            }
        }
        let n = lost.len();
        for (offset, rec) in lost {
            self.book.truncated(rec, part, offset, offset < old_hw && e.unclean);
        }
        if n > 0 {
            kit.record(EventKind::KafkaLost, NONE, part, None, n as i64);
        }
        // The old leader's followers' fetches parked at the partition end
        // with its epoch (a clean stop elects before the old leader stops:
        // they would be answered by the new leader, starting loops beside
        // the ones the election starts).
        let ps = &mut self.parts[part as usize];
        ps.parked_followers.clear();
        ps.fetching.iter_mut().for_each(|f| *f = false);
        self.start_followers(part, now, kit);
        self.maybe_schedule_balance(kit);
    }

    /// A partition led by another than its preferred replica (the first of
    /// its replicas).
    fn off_preferred(&self, part: u32) -> bool {
        let ps = &self.parts[part as usize];
        ps.repl.leader().is_some_and(|l| ps.replicas.first() != Some(&l))
    }

    /// KRaft's controller (`auto.leader.rebalance.enable`): while some
    /// partition is off its preferred leader, a balance is due
    /// `leader.imbalance.check.interval.seconds` later (KRaft balances
    /// every such partition; ZooKeeper mode's
    /// `leader.imbalance.per.broker.percentage` is not used by KRaft).
    /// Groups away from their home coordinator count too (the leader of
    /// their `__consumer_offsets` partition is off its preferred replica:
    /// `group_failover`).
    pub(super) fn maybe_schedule_balance(&mut self, kit: &mut Kit) {
        if !self.spec.auto_leader_rebalance || self.balance_at.is_some() {
            return;
        }
        if !(0..self.parts.len() as u32).any(|p| self.off_preferred(p)) && !(0..self.groups.len()).any(|g| self.group_off_home(g)) {
            return;
        }
        let every = self.spec.leader_imbalance_check_interval.unwrap_or(crate::kafka::spec::DEFAULT_LEADER_IMBALANCE_CHECK);
        let at = kit.queue.now() + every;
        self.balance_at = Some(at);
        self.schedule(kit, at, KTimer::LeaderBalance);
    }

    /// The balance: each partition off its preferred leader whose preferred
    /// replica is up and in the ISR elects it. The old leader steps down
    /// (it stays in the ISR and follows): what waits at it is answered
    /// NOT_LEADER_OR_FOLLOWER (its clients retry at the new leader), and
    /// what it has beyond the new leader's log end is truncated (acks=1
    /// records not copied yet are lost, as in Kafka). Then the next balance
    /// is scheduled if a partition is still off (its preferred replica down
    /// or behind).
    pub(super) fn leader_balance(&mut self, kit: &mut Kit) {
        // (`balance_at` stays set through the loop: the elections in it
        // schedule nothing; the next balance is decided after it.)
        for part in 0..self.parts.len() as u32 {
            if !self.off_preferred(part) {
                continue;
            }
            let ps = &self.parts[part as usize];
            let preferred = ps.replicas[0];
            if !self.broker_up(preferred) || ps.repl.in_isr(preferred) != Ok(true) || self.fence_at[preferred as usize - 1].is_some() {
                continue;
            }
            let old = ps.repl.leader().expect("off its preferred leader: led");
            self.dismiss_waiting(part, old, kit);
            self.elect_as(part, true, kit);
        }
        self.balance_coordinators(kit);
        self.balance_at = None;
        self.maybe_schedule_balance(kit);
    }

    pub(super) fn restart(&mut self, b: BrokerId, kit: &mut Kit) {
        if self.fence_at[b as usize - 1].is_some() {
            // It registers again before its old session timed out: the
            // controller fences the old incarnation first.
            self.fence(b, true, kit);
        }
        self.up[b as usize - 1] = true;
        kit.record(EventKind::KafkaBrokerRestart, NONE, NONE, None, i64::from(b));
        if self.cuts.contains(&super::network::pair(b, super::network::CONTROLLER)) {
            // It cannot register with the controller: it stays fenced
            // until that link heals.
            self.fenced_running[b as usize - 1] = true;
            return;
        }
        self.rejoin(b, kit);
    }

    /// Broker `b`, running and registered with the controller, takes its
    /// replicas back: each truncates to the high watermark and follows
    /// (rejoining the ISR once caught up); a partition with no live
    /// replica elects one now.
    fn rejoin(&mut self, b: BrokerId, kit: &mut Kit) {
        let now = kit.queue.now();
        self.adopt_orphans(b, kit);
        for part in 0..self.parts.len() as u32 {
            let ps = &mut self.parts[part as usize];
            let Some(i) = ps.slot(b) else { continue };
            if let Ok(leo) = ps.repl.broker_returned(b, now) {
                if ps.logs[i].leo() > leo {
                    let _ = ps.logs[i].truncate_to(leo);
                }
            }
            if ps.repl.leader().is_none() {
                self.elect(part, kit);
            } else {
                self.start_followers(part, now, kit);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::Scenario;
    use crate::time::SimTime;
    use crate::world::World;

    /// How many fetches partition consumer `f` has out: parked at a
    /// leader, or on a link either way.
    fn fetches_out(w: &World, f: u16) -> usize {
        let kw = w.kafka.as_deref().expect("kafka");
        let parked: usize = kw.parts.iter().map(|p| p.parked_fetches.iter().filter(|x| x.who == u32::from(f)).count()).sum();
        let on_links = kw.links.iter().flat_map(|l| l.frames()).filter(|fr| matches!(**fr, super::super::KFrame::Fetch { f: ff, .. } | super::super::KFrame::FetchData { f: ff, .. } if ff == f)).count();
        parked + on_links
    }

    /// How many fetch loops follower `b` of partition `part` has going in
    /// the current leader epoch (an earlier epoch's frames end their loop
    /// where they arrive): its fetches parked at the leader, and its
    /// fetches and their answers on the links.
    fn follower_loops(w: &World, part: u32, b: u32) -> usize {
        use super::super::KFrame::{ReplicaData, ReplicaFetch};
        let kw = w.kafka.as_deref().expect("kafka");
        let ps = &kw.parts[part as usize];
        let now = ps.repl.leader_epoch();
        let parked = ps.parked_followers.iter().filter(|x| x.who == b && x.epoch == now).count();
        let on_links = kw
            .links
            .iter()
            .flat_map(|l| l.frames())
            .filter(|fr| matches!(**fr, ReplicaFetch { follower, part: p, epoch, .. } | ReplicaData { follower, part: p, epoch, .. } if follower == b && p == part && epoch == now))
            .count();
        parked + on_links
    }

    /// Runs `w` to `until_ms`, checking every 50 ms that each replica of
    /// each partition has at most one fetch loop (`what` names the run).
    fn one_loop_each_until(w: &mut World, until_ms: u64, what: &str) {
        for t in (50..until_ms).step_by(50) {
            w.run_until(SimTime::from_micros(t * 1000));
            let kw = w.kafka.as_deref().expect("kafka");
            for part in 0..kw.parts.len() as u32 {
                for &b in &kw.parts[part as usize].replicas {
                    assert!(follower_loops(w, part, b) <= 1, "{what}, at {t} ms: broker-{b} follows partition {part} twice");
                }
            }
        }
    }

    /// Through stops, crashes, restarts and the leader balance's
    /// elections (`kafka-clean-stop`), every follower of every partition
    /// has at most one fetch loop: a fetch of an earlier epoch arriving
    /// after an election does not end the new loop's flag, so the next
    /// election does not start a second loop beside it.
    #[test]
    fn a_follower_never_has_two_fetch_loops() {
        let json = crate::presets::get("kafka-clean-stop").expect("preset").json;
        let mut w = World::from_json(json).expect("scenario");
        one_loop_each_until(&mut w, 24_000, "kafka-clean-stop");
    }

    /// The same after a preferred-leader election whose old leader still
    /// runs (follower fetches on their way to it arrive there, of the old
    /// epoch) and a later restart of another broker, whose rejoin starts
    /// the loops of followers that have none: a stale fetch must not have
    /// marked a live loop as ended. Several seeds, since whether a fetch is
    /// on its way at the election's instant is chance.
    #[test]
    fn a_stale_follower_fetch_does_not_end_the_new_loop() {
        for seed in 1..=12u64 {
            let v = serde_json::json!({
                "seed": seed, "stop_at": "20s",
                "kafka": { "brokers": 3, "latency": "exp(1ms)", "leader_imbalance_check_interval": "3s",
                           "topics": [{ "name": "events", "partitions": 3, "replication_factor": 3, "min_insync_replicas": 2 }],
                           "producers": [{ "name": "producer", "acks": "all", "partitioner": "round_robin" }] },
                "goroutines": [{ "name": "sender", "count": 4, "behavior": { "program": [
                    { "forever": [{ "sleep": "exp(2ms)" }, { "kafka_send": { "producer": "producer", "topic": "events" } }] } ] } }],
                "commands": [
                    { "at": "3s", "command": { "op": "kafka_broker_stop", "broker": 1 } },
                    { "at": "6s", "command": { "op": "kafka_broker_restart", "broker": 1 } },
                    { "at": "12s", "command": { "op": "kafka_broker_crash", "broker": 2 } },
                    { "at": "14s", "command": { "op": "kafka_broker_restart", "broker": 2 } }
                ]
            });
            let mut w = World::new(&Scenario::from_json(&v.to_string()).expect("valid")).expect("builds");
            one_loop_each_until(&mut w, 20_000, &format!("seed {seed}"));
        }
    }

    /// A crash touches only the fetches that went to the crashed broker:
    /// a partition consumer fetching from another broker keeps its one
    /// fetch (it used to be told to fetch again after the backoff, with
    /// its first fetch still parked: two out from then on).
    #[test]
    fn a_crash_leaves_fetches_to_other_brokers_alone() {
        let v = serde_json::json!({
            "seed": 5,
            "kafka": { "brokers": 2, "latency": "1ms",
                       "topics": [{ "name": "t", "partitions": 2, "replication_factor": 1 }],
                       "producers": [{ "name": "p", "acks": "local" }],
                       "consumers": [{ "name": "c", "topic": "t", "offset": "oldest" }] },
            "commands": [{ "at": "1s", "command": { "op": "kafka_broker_crash", "broker": 1 } }]
        });
        let mut w = World::new(&Scenario::from_json(&v.to_string()).expect("valid")).expect("builds");
        w.run_until(SimTime::from_micros(5_000_000));
        let kw = w.kafka.as_deref().expect("kafka");
        // The partition broker-2 leads, and its consumer.
        let part = kw.parts.iter().position(|p| p.repl.leader() == Some(2)).expect("broker-2 leads one") as u32;
        let f = kw.fetchers.iter().position(|fe| fe.part == part).expect("its consumer") as u16;
        assert_eq!(fetches_out(&w, f), 1);
    }
}
