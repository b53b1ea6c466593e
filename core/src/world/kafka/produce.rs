//! Producing: a goroutine's request, the leader's append, acks, retries;
//! and the followers' fetch loop that moves the high watermark (see the
//! module doc of `world::kafka` for the steps).

use super::{
    client, InFlight, KFrame, KTimer, KafkaError, KafkaWorld, Parked, PendingAck, RecInfo, ACK_TIMER, FETCH_MAX, FETCH_WAIT, FOLLOWER_TIMER, NET_READ_TIMEOUT, PRODUCE_TIMEOUT,
    RETRY_BACKOFF, RETRY_MAX,
};
use crate::gochan::channel::GoId;
use crate::gochan::runtime::{KAFKA_PRODUCE, KAFKA_WAIT};
use crate::kafka::replication::{Acks, BrokerId, IsrChange, ReplicationError};
use crate::observe::trace::{EventKind, NONE};
use crate::time::SimTime;
use crate::world::{Kit, World};

impl World {
    /// `g` asked to produce its held value with `producer` to `topic`.
    pub(in crate::world) fn kafka_produce(&mut self, g: GoId, producer: u16, topic: u16, now: SimTime) {
        let Some(kw) = self.kafka.as_deref_mut() else { return };
        let (value, born) = self.go.gs[g as usize].held.map_or((0, now), |m| {
            let msg = self.kit.ledger.msgs.get(m);
            (msg.value, msg.produced_at)
        });
        let part = kw.choose_partition(producer, topic, value, &mut self.kit);
        let ps = &mut kw.producers[usize::from(producer)];
        let key_n = ps.keys.map(|k| value.rem_euclid(i64::from(k.max(1))) as u32);
        ps.sent += 1;
        let rec = kw.recs.len() as u32;
        let producer_g = self.go.gs[g as usize].held.map_or(g, |m| self.kit.ledger.msgs.get(m).producer);
        kw.recs.push(RecInfo { producer: producer_g, key: key_n.unwrap_or(super::NO_KEY), value, at: born, part });
        kw.book.produced(rec);
        kw.in_flight.insert(g, InFlight { producer, part, rec, tries: 0, sent_at: now, leader: 0 });
        kw.client_producer.entry(client(g)).or_insert(producer);
        self.kafka_send_produce(g, now);
    }

    /// Sends `g`'s produce request (first try or a retry) to the leader.
    fn kafka_send_produce(&mut self, g: GoId, now: SimTime) {
        let Some(kw) = self.kafka.as_deref_mut() else { return };
        let Some(&fl) = kw.in_flight.get(&g) else { return };
        let acks = kw.producers[usize::from(fl.producer)].acks;
        // Its partition producer's leader: a zombie it still names, or the
        // one the metadata names.
        let leader = kw.zombie_route(fl.producer, fl.part).or_else(|| kw.parts[fl.part as usize].repl.leader().filter(|&b| kw.broker_up(b)));
        let acks_bits = match acks {
            Acks::None => 0,
            Acks::Leader => 1,
            Acks::All => 2,
        };
        self.go.gs[g as usize].wait = KAFKA_WAIT | KAFKA_PRODUCE | (acks_bits << crate::gochan::runtime::KAFKA_ACKS_SHIFT) | leader.unwrap_or(0);
        let Some(leader) = leader else {
            // No leader (an election found nobody): sarama's metadata says
            // LEADER_NOT_AVAILABLE. Or the metadata names a crashed broker
            // the controller has not fenced yet: the connection is refused.
            // It retries after its backoff.
            let e = if kw.parts[fl.part as usize].repl.leader().is_some() { KafkaError::NotLeader } else { KafkaError::LeaderNotAvailable };
            return self.kafka_produce_resp(g, fl.part, None, Err(e), now);
        };
        if let Some(f) = kw.in_flight.get_mut(&g) {
            f.sent_at = now;
            f.leader = leader;
        }
        kw.send(client(g), leader, KFrame::Produce { g, leader, part: fl.part, rec: fl.rec, acks, tries: fl.tries }, &mut self.kit);
        if acks != Acks::None {
            kw.read_deadline(&mut self.kit, client(g), leader, now, KTimer::ReadTimeout(g));
        }
        if acks == Acks::None {
            // acks=0: fire and forget, SendMessage returns offset -1 now.
            kw.in_flight.remove(&g);
            kw.producers[usize::from(fl.producer)].acked += 1;
            kw.book.sent_blind(fl.rec);
            let (go, k) = (&mut self.go, &mut self.kit);
            go.kafka_reply(k, g, true, -1, fl.part, now);
        }
    }

    /// The response to try `tries` of `g`'s produce request arrived (or,
    /// with `tries` `None`, an error was decided locally). An answer to an
    /// earlier try is dropped: that connection was closed.
    pub(super) fn kafka_produce_resp(&mut self, g: GoId, part: u32, tries: Option<u8>, result: Result<u64, KafkaError>, now: SimTime) {
        let Some(kw) = self.kafka.as_deref_mut() else { return };
        let Some(fl) = kw.in_flight.get(&g).copied().filter(|f| f.part == part && tries.is_none_or(|t| t == f.tries)) else { return };
        match result {
            Ok(offset) => {
                kw.in_flight.remove(&g);
                kw.producers[usize::from(fl.producer)].acked += 1;
                kw.book.acked(fl.rec, part, offset);
                let (go, k) = (&mut self.go, &mut self.kit);
                go.kafka_reply(k, g, true, offset as i64, part, now);
            }
            Err(_) if fl.tries < RETRY_MAX => {
                // sarama retries after `Retry.Backoff` (same partition, to
                // whoever leads it then). NOT_ENOUGH_REPLICAS_AFTER_APPEND
                // too (`handleSuccess`): its record is in the log already,
                // so a retry that is accepted writes it a second time.
                kw.in_flight.insert(g, InFlight { tries: fl.tries + 1, ..fl });
                kw.schedule(&mut self.kit, now + RETRY_BACKOFF, KTimer::Retry(g));
            }
            Err(e) => {
                kw.in_flight.remove(&g);
                kw.producers[usize::from(fl.producer)].failed += 1;
                kw.book.failed(fl.rec);
                let (go, k) = (&mut self.go, &mut self.kit);
                go.kafka_reply(k, g, false, e as i64, part, now);
            }
        }
    }

    /// A produce retry of `g` is due.
    pub(super) fn kafka_retry(&mut self, g: GoId, now: SimTime) {
        // sarama refreshes the topic's metadata before it looks up the
        // leader again.
        if let Some(kw) = self.kafka.as_deref_mut() {
            if let Some(fl) = kw.in_flight.get(&g).copied() {
                let topic = kw.topic_of_part(fl.part);
                kw.retry_refresh(fl.producer, topic, &mut self.kit);
                kw.forget_zombie(fl.producer, fl.part);
            }
        }
        self.kafka_send_produce(g, now);
    }

    /// `g`'s read deadline may have passed: no answer for
    /// `Net.ReadTimeout` since its request was written (a cut link). sarama
    /// closes the connection (what was on its way on it never arrives) and
    /// retries, or gives up after `Retry.Max`.
    pub(super) fn kafka_read_timeout(&mut self, g: GoId, now: SimTime) {
        let Some(kw) = self.kafka.as_deref_mut() else { return };
        let Some(fl) = kw.in_flight.get(&g).copied().filter(|f| f.leader != 0 && f.sent_at + NET_READ_TIMEOUT <= now) else { return };
        let last = fl.tries >= RETRY_MAX;
        self.kit.record(EventKind::KafkaReadTimeout, g, fl.part, None, i64::from(fl.leader) | i64::from(fl.tries + 1) << 16 | i64::from(last) << 24);
        self.kafka_produce_resp(g, fl.part, None, Err(KafkaError::NetTimeout), now);
    }
}

impl KafkaWorld {
    /// The partition (key) `producer`'s partitioner picks for `value` on
    /// `topic`: keyed `key-<value mod keys>` if the producer has keys.
    /// sarama's `partitionMessage`: a keyed hash (or Manual) chooses among
    /// all the partitions its metadata lists, the others among the
    /// writable ones (a leader named: `WritablePartitions`); none writable
    /// makes it refresh the topic's metadata first.
    pub(super) fn choose_partition(&mut self, producer: u16, topic: u16, value: i64, kit: &mut Kit) -> u32 {
        let t = usize::from(topic);
        let all = self.known_partitions(producer, topic);
        let ps = &self.producers[usize::from(producer)];
        let key = ps.keys.map(|k| format!("key-{}", value.rem_euclid(i64::from(k.max(1)))));
        let bytes = key.as_deref().map(str::as_bytes);
        let everything = if all >= 64 { u64::MAX } else { (1u64 << all) - 1 };
        let mut offline = if ps.partitioners[t].requires_consistency(bytes) { 0 } else { ps.offline[t] & everything };
        if offline == everything {
            self.metadata_refresh_for(producer, topic, kit);
            offline = self.producers[usize::from(producer)].offline[t] & everything;
            if offline == everything {
                // sarama fails the message with LEADER_NOT_AVAILABLE, no
                // retries; here it goes to a partition and is refused.
                offline = 0;
            }
        }
        let n = (all - offline.count_ones()) as i32;
        let manual = value.rem_euclid(i64::from(n)) as i32;
        let ps = &mut self.producers[usize::from(producer)];
        let choice = ps.partitioners[t].partition(bytes, manual, n, &mut kit.rng).unwrap_or(0) as u32;
        // The choice-th writable partition.
        let index = (0..all).filter(|&i| offline >> i & 1 == 0).nth(choice as usize).unwrap_or(0);
        self.part_key(t, index)
    }

    /// The topic (index) of partition key `part`.
    pub(super) fn topic_of_part(&self, part: u32) -> u16 {
        self.parts[part as usize].topic
    }

    /// A waiter's answer: a `SendMessage`'s response, or one partition of
    /// a held batch request.
    pub(super) fn answer(&mut self, leader: BrokerId, a: PendingAck, part: u32, result: Result<u64, KafkaError>, kit: &mut Kit) {
        if a.req != 0 {
            self.delayed_part(a.req, part, result, kit);
        } else {
            self.respond(leader, a.g, part, result, a.tries, kit);
        }
    }

    fn respond(&mut self, leader: BrokerId, g: GoId, part: u32, result: Result<u64, KafkaError>, tries: u8, kit: &mut Kit) {
        self.send(leader, client(g), KFrame::ProduceResp { g, part, result, tries }, kit);
    }

    /// A produce request arrived at `leader` (as the client saw it).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_produce(&mut self, g: GoId, leader: BrokerId, part: u32, rec: u32, acks: Acks, tries: u8, kit: &mut Kit) {
        let now = kit.queue.now();
        let record_bytes = self.spec.record_bytes;
        if !self.broker_up(leader) {
            if acks == Acks::None {
                self.book.unwritten(rec);
            }
            return;
        }
        if acks != Acks::None && self.in_flight.get(&g).is_none_or(|f| f.tries != tries) {
            // Its client timed out and closed the connection it came on
            // (a cut): a closed TCP connection delivers nothing more.
            return;
        }
        if self.is_zombie(part, leader) {
            // Fenced, it does not know: it takes the record as leader.
            let (offset, _) = self.zombie_append(part, &[rec], acks, g, tries, 0, kit);
            if acks == Acks::Leader {
                self.respond(leader, g, part, Ok(offset), tries, kit);
            }
            return;
        }
        let ps = &mut self.parts[part as usize];
        if ps.repl.leader() != Some(leader) {
            if acks == Acks::None {
                // Refused: the broker closes the connection and nobody
                // hears of it (acks=0 needs no leader election to fail).
                self.book.unwritten(rec);
            }
            return self.respond(leader, g, part, Err(KafkaError::NotLeader), tries, kit);
        }
        match ps.repl.append(acks, 1, now) {
            Err(ReplicationError::NotEnoughReplicas { .. }) => return self.respond(leader, g, part, Err(KafkaError::NotEnoughReplicas), tries, kit),
            Err(_) => return self.respond(leader, g, part, Err(KafkaError::NotLeader), tries, kit),
            Ok(range) => {
                let i = ps.slot(leader).expect("leader is a replica");
                let offset = ps.logs[i].append(record_bytes, now, u64::from(rec));
                debug_assert_eq!(offset, range.start);
                self.book.appended(rec, part, offset);
                match acks {
                    Acks::None => {}
                    Acks::Leader => self.respond(leader, g, part, Ok(offset), tries, kit),
                    Acks::All => {
                        if self.parts[part as usize].repl.is_committed(offset) {
                            self.respond(leader, g, part, Ok(offset), tries, kit);
                        } else {
                            self.parts[part as usize].pending.push(PendingAck { g, offset, deadline: now + PRODUCE_TIMEOUT, tries, req: 0 });
                            self.rearm(part, ACK_TIMER, Some(now + PRODUCE_TIMEOUT), kit);
                        }
                    }
                }
            }
        }
        // New data: held follower fetches are answered now.
        self.answer_followers(part, true, kit);
    }

    /// Answers acks=all requests the HW now covers.
    pub(super) fn complete_acks(&mut self, part: u32, kit: &mut Kit) {
        let ps = &mut self.parts[part as usize];
        let Some(leader) = ps.repl.leader() else { return };
        if ps.pending.is_empty() {
            return;
        }
        let hw = ps.repl.high_watermark();
        // Kafka's `checkEnoughReplicasReachOffset`: reached, but by fewer
        // in-sync replicas than `min.insync.replicas` (the ISR shrank after
        // the append): NOT_ENOUGH_REPLICAS_AFTER_APPEND.
        let short = ps.repl.isr_len() < ps.repl.config().min_insync;
        let mut done = std::mem::take(&mut self.ack_scratch);
        done.clear();
        done.extend(ps.pending.iter().copied().filter(|a| a.offset < hw));
        ps.pending.retain(|a| a.offset >= hw);
        for a in &done {
            let result = if short { Err(KafkaError::NotEnoughReplicasAfterAppend) } else { Ok(a.offset) };
            self.answer(leader, *a, part, result, kit);
        }
        self.ack_scratch = done;
    }

    /// acks=all requests past their deadline fail with REQUEST_TIMED_OUT.
    pub(super) fn ack_timeouts(&mut self, part: u32, kit: &mut Kit) {
        let now = kit.queue.now();
        let ps = &mut self.parts[part as usize];
        let Some(leader) = ps.repl.leader() else { return };
        let late: Vec<PendingAck> = ps.pending.iter().copied().filter(|a| a.deadline <= now).collect();
        ps.pending.retain(|a| a.deadline > now);
        for a in late {
            self.answer(leader, a, part, Err(KafkaError::RequestTimedOut), kit);
        }
    }

    /// A follower's fetch arrived at `leader`.
    pub(super) fn on_replica_fetch(&mut self, follower: BrokerId, leader: BrokerId, part: u32, offset: u64, epoch: u32, kit: &mut Kit) {
        let now = kit.queue.now();
        let live = self.broker_up(leader) && self.replicating(follower);
        let ps = &mut self.parts[part as usize];
        if ps.repl.leader() != Some(leader) || ps.repl.leader_epoch() != epoch || !live {
            // This loop ends here. If it is the current epoch's (its leader
            // went down), the next election starts a new one; a fetch of an
            // earlier epoch must not mark the loop that election started
            // as ended (a broker's rejoin would start a second one).
            if let (Some(i), true) = (ps.slot(follower), ps.repl.leader_epoch() == epoch) {
                ps.fetching[i] = false;
            }
            return;
        }
        let before_hw = ps.repl.high_watermark();
        if let Ok(out) = ps.repl.follower_fetch(follower, offset, now) {
            if let Some(IsrChange::Expanded(b)) = out.isr_change {
                kit.record(EventKind::KafkaIsr, NONE, part, None, i64::from(b));
            }
        }
        let hw_moved = self.parts[part as usize].repl.high_watermark() != before_hw;
        if hw_moved {
            self.complete_acks(part, kit);
        }
        let ps = &mut self.parts[part as usize];
        let leo = ps.repl.leader_leo().unwrap_or(0);
        if offset < leo {
            self.send_replica_data(follower, leader, part, offset, kit);
        } else {
            ps.parked_followers.push(Parked { who: follower, offset, epoch, since: now });
            self.rearm(part, FOLLOWER_TIMER, Some(now + FETCH_WAIT), kit);
        }
    }

    fn send_replica_data(&mut self, follower: BrokerId, leader: BrokerId, part: u32, offset: u64, kit: &mut Kit) {
        let mut recs = self.take_recs();
        let ps = &self.parts[part as usize];
        let epoch = ps.repl.leader_epoch();
        let Some(log) = ps.leader_log() else { return };
        let from = offset.max(log.log_start_offset());
        if let Ok(it) = log.read(from, FETCH_MAX) {
            recs.extend(it.map(|r| r.payload as u32));
        }
        self.send(leader, follower, KFrame::ReplicaData { follower, part, from, recs, epoch }, kit);
    }

    /// Held follower fetches: all of them when new data came (`all`),
    /// else those held for `replica.fetch.wait.max.ms`.
    pub(super) fn answer_followers(&mut self, part: u32, all: bool, kit: &mut Kit) {
        let now = kit.queue.now();
        let ps = &mut self.parts[part as usize];
        let Some(leader) = ps.repl.leader() else { return };
        if ps.parked_followers.is_empty() {
            return;
        }
        let mut due = std::mem::take(&mut self.parked_scratch);
        due.clear();
        due.extend(ps.parked_followers.iter().copied().filter(|p| all || p.since + FETCH_WAIT <= now));
        ps.parked_followers.retain(|p| !(all || p.since + FETCH_WAIT <= now));
        for p in &due {
            self.send_replica_data(p.who, leader, part, p.offset, kit);
        }
        self.parked_scratch = due;
    }

    pub(super) fn follower_wait_due(&mut self, part: u32, kit: &mut Kit) {
        self.answer_followers(part, false, kit);
    }

    /// Records arrived at `follower`: it appends them and fetches again.
    pub(super) fn on_replica_data(&mut self, follower: BrokerId, part: u32, from: u64, recs: &[u32], epoch: u32, kit: &mut Kit) {
        let now = kit.queue.now();
        let record_bytes = self.spec.record_bytes;
        if !self.replicating(follower) {
            return;
        }
        let ps = &mut self.parts[part as usize];
        let Some(i) = ps.slot(follower) else { return };
        // An answer of an earlier epoch (sent before an election, arriving
        // after it): that loop is over, and the election started this
        // follower's new one, which this answer must not end.
        let Some(leader) = ps.repl.leader().filter(|_| ps.repl.leader_epoch() == epoch) else { return };
        let log = &mut ps.logs[i];
        if from > log.leo() {
            // The leader deleted what the follower lacked (retention):
            // it restarts at the leader's log start.
            log.restart_at(from);
        }
        let skip = log.leo().saturating_sub(from) as usize;
        for &r in recs.iter().skip(skip) {
            log.append(record_bytes, now, u64::from(r));
        }
        let offset = log.leo();
        self.send(follower, leader, KFrame::ReplicaFetch { follower, leader, part, offset, epoch }, kit);
    }

    /// Kafka's ISR expiration check on every partition.
    pub(super) fn isr_check(&mut self, kit: &mut Kit) {
        let now = kit.queue.now();
        let mut changes = std::mem::take(&mut self.isr_scratch);
        for part in 0..self.parts.len() as u32 {
            let ps = &mut self.parts[part as usize];
            if ps.repl.leader().is_none() {
                continue;
            }
            if ps.repl.check_isr(now, &mut changes) > 0 {
                for c in &changes {
                    if let IsrChange::Shrunk(b) = c {
                        kit.record(EventKind::KafkaIsr, NONE, part, None, -i64::from(*b));
                    }
                }
                self.complete_acks(part, kit);
            }
        }
        self.isr_scratch = changes;
    }

    /// Retention on every partition's replicas; records deleted before any
    /// consumer read them are counted.
    pub(super) fn retention(&mut self, kit: &mut Kit) {
        let now = kit.queue.now();
        for part in 0..self.parts.len() {
            let hw = self.parts[part].repl.high_watermark();
            let leader = self.parts[part].repl.leader();
            for i in 0..self.parts[part].logs.len() {
                let before = self.parts[part].logs[i].log_start_offset();
                let n = self.parts[part].logs[i].apply_retention(now, hw);
                if n > 0 && leader == Some(self.parts[part].replicas[i]) {
                    let after = self.parts[part].logs[i].log_start_offset();
                    self.book.deleted(part as u32, before..after);
                    // Unread: at or above the lowest offset a consumer of
                    // the partition still had to read.
                    let need = self.fetchers.iter().filter(|f| f.part == part as u32 && !f.stopped).filter_map(|f| f.offset.map(|o| o - f.buffer.len() as u64)).min();
                    if let Some(o) = need.filter(|&o| o < after) {
                        self.book.deleted_unread(after - o.max(before));
                    }
                    kit.record(EventKind::KafkaLost, NONE, part as u32, None, n as i64);
                }
            }
        }
    }
}
