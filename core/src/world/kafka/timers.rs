//! The Kafka world's timers: one `Ev::Kafka(n)` event kind, the timer's
//! kind in the top byte of `n` ([`KTimer`]), and what each does when it
//! fires. A partition keeps at most one timer per waiting list (acks=all
//! deadlines, parked follower fetches, parked consumer fetches), set for
//! the oldest entry ([`KafkaWorld::rearm`]).

use super::*;

/// Timers of the Kafka world (`Ev::Kafka(n)`: kind in the top byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KTimer {
    /// A parked follower fetch of partition `part` may be due.
    FollowerWait(u32),
    /// A parked consumer fetch of partition `part` may be due.
    FetchWait(u32),
    /// acks=all deadlines of partition `part`.
    AckTimeout(u32),
    /// The ISR expiration check (all partitions).
    IsrCheck,
    /// Retention (all partitions).
    Retention,
    /// A produce retry of goroutine `g`.
    Retry(GoId),
    /// A fetcher's retry after an error.
    FetchRetry(u16),
    /// Group `g`'s coordinator deadline.
    Coordinator(u32),
    /// A member's heartbeat (`group << 8 | member`).
    Heartbeat(u32),
    /// A member's auto-commit tick (`group << 8 | member`).
    AutoCommit(u32),
    /// Goroutine `g`'s produce request may have passed its read deadline.
    ReadTimeout(GoId),
    /// Fetcher `f`'s fetch may have passed its read deadline.
    FetchTimeout(u16),
    /// A member's heartbeat may have passed its read deadline (key as for
    /// `Heartbeat`).
    HeartbeatTimeout(u32),
    /// A member's commit may have passed its read deadline (key as for
    /// `Heartbeat`).
    CommitTimeout(u32),
    /// An async producer's `Flush.Frequency` for one broker
    /// (`batch::flush_key`).
    Flush(u32),
    /// Records of a failed batch request go again.
    BatchRetry(u32),
    /// Batch request `req` may have passed its read deadline.
    BatchTimeout(u32),
    /// A member's JoinGroup may have passed its read deadline (key as for
    /// `Heartbeat`).
    JoinTimeout(u32),
    /// The controller fences broker `b` (its session timed out after a
    /// crash), if it is still due.
    Fence(u32),
    /// The controller's automatic preferred-leader election
    /// (`faults::leader_balance`).
    LeaderBalance,
    /// Producer `p`'s client refreshes its metadata, if still due.
    MetadataRefresh(u16),
    /// A group leader's partition-count check (key as for `Heartbeat`).
    PartitionCheck(u32),
    /// A member calls `Consume` again after a refused join (key as for
    /// `Heartbeat`; `group_failover`).
    JoinRetry(u32),
}

impl KTimer {
    pub(super) fn encode(self) -> u32 {
        let (k, v) = match self {
            KTimer::FollowerWait(p) => (0, p),
            KTimer::FetchWait(p) => (1, p),
            KTimer::AckTimeout(p) => (2, p),
            KTimer::IsrCheck => (3, 0),
            KTimer::Retention => (4, 0),
            KTimer::Retry(g) => (5, g),
            KTimer::FetchRetry(f) => (6, u32::from(f)),
            KTimer::Coordinator(g) => (7, g),
            KTimer::Heartbeat(m) => (8, m),
            KTimer::AutoCommit(m) => (9, m),
            KTimer::ReadTimeout(g) => (10, g),
            KTimer::FetchTimeout(f) => (11, u32::from(f)),
            KTimer::HeartbeatTimeout(m) => (12, m),
            KTimer::CommitTimeout(m) => (13, m),
            KTimer::Flush(k) => (14, k),
            KTimer::BatchRetry(r) => (15, r),
            KTimer::BatchTimeout(r) => (16, r),
            KTimer::JoinTimeout(m) => (17, m),
            KTimer::Fence(b) => (18, b),
            KTimer::LeaderBalance => (19, 0),
            KTimer::MetadataRefresh(p) => (20, u32::from(p)),
            KTimer::PartitionCheck(m) => (21, m),
            KTimer::JoinRetry(m) => (22, m),
        };
        (k << 24) | (v & 0x00ff_ffff)
    }
    fn decode(n: u32) -> KTimer {
        let v = n & 0x00ff_ffff;
        match n >> 24 {
            0 => KTimer::FollowerWait(v),
            1 => KTimer::FetchWait(v),
            2 => KTimer::AckTimeout(v),
            3 => KTimer::IsrCheck,
            4 => KTimer::Retention,
            5 => KTimer::Retry(v),
            6 => KTimer::FetchRetry(v as u16),
            7 => KTimer::Coordinator(v),
            8 => KTimer::Heartbeat(v),
            9 => KTimer::AutoCommit(v),
            10 => KTimer::ReadTimeout(v),
            11 => KTimer::FetchTimeout(v as u16),
            12 => KTimer::HeartbeatTimeout(v),
            13 => KTimer::CommitTimeout(v),
            14 => KTimer::Flush(v),
            15 => KTimer::BatchRetry(v),
            16 => KTimer::BatchTimeout(v),
            17 => KTimer::JoinTimeout(v),
            18 => KTimer::Fence(v),
            19 => KTimer::LeaderBalance,
            20 => KTimer::MetadataRefresh(v as u16),
            21 => KTimer::PartitionCheck(v),
            _ => KTimer::JoinRetry(v),
        }
    }
}


impl KafkaWorld {
    pub(crate) fn schedule(&self, kit: &mut Kit, at: SimTime, t: KTimer) {
        kit.queue.schedule(at, Ev::Kafka(t.encode()));
    }

    /// Sets partition `part`'s timer `which` for `at` (the oldest waiting
    /// entry's deadline) unless one is set already; a deadline not in the
    /// future is left alone (its entry could not be handled: no leader).
    pub(crate) fn rearm(&mut self, part: u32, which: usize, at: Option<SimTime>, kit: &mut Kit) {
        let ps = &mut self.parts[part as usize];
        let Some(at) = at.filter(|&at| at > kit.queue.now() && !ps.timers[which]) else { return };
        ps.timers[which] = true;
        let t = match which {
            ACK_TIMER => KTimer::AckTimeout(part),
            FOLLOWER_TIMER => KTimer::FollowerWait(part),
            _ => KTimer::FetchWait(part),
        };
        self.schedule(kit, at, t);
    }

}

impl World {
    /// A Kafka timer fired.
    pub(in crate::world) fn kafka_timer(&mut self, n: u32, now: SimTime) {
        let Some(kw) = self.kafka.as_deref_mut() else { return };
        match KTimer::decode(n) {
            KTimer::FollowerWait(p) => {
                kw.parts[p as usize].timers[FOLLOWER_TIMER] = false;
                kw.follower_wait_due(p, &mut self.kit);
                let next = kw.parts[p as usize].parked_followers.first().map(|w| w.since + FETCH_WAIT);
                kw.rearm(p, FOLLOWER_TIMER, next, &mut self.kit);
            }
            KTimer::FetchWait(p) => {
                kw.parts[p as usize].timers[FETCH_TIMER] = false;
                kw.fetch_wait_due(p, &mut self.kit);
                let next = kw.parts[p as usize].parked_fetches.first().map(|w| w.since + FETCH_WAIT);
                kw.rearm(p, FETCH_TIMER, next, &mut self.kit);
            }
            KTimer::AckTimeout(p) => {
                kw.parts[p as usize].timers[ACK_TIMER] = false;
                kw.ack_timeouts(p, &mut self.kit);
                let zombie_next = kw.zombie_timeouts(p, &mut self.kit);
                let next = kw.parts[p as usize].pending.first().map(|a| a.deadline).into_iter().chain(zombie_next).min();
                kw.rearm(p, ACK_TIMER, next, &mut self.kit);
            }
            KTimer::IsrCheck => {
                kw.isr_check(&mut self.kit);
                let lag = kw.spec.replica_lag_max.unwrap_or(crate::kafka::replication::DEFAULT_REPLICA_LAG_MAX);
                kw.schedule(&mut self.kit, now + SimDuration::from_micros(lag.as_micros() / 2), KTimer::IsrCheck);
            }
            KTimer::Retention => {
                kw.retention(&mut self.kit);
                let every = kw.spec.retention_check_interval.unwrap_or(RETENTION_CHECK);
                kw.schedule(&mut self.kit, now + every, KTimer::Retention);
            }
            KTimer::Retry(g) => self.kafka_retry(g, now),
            KTimer::FetchRetry(f) => {
                if let Some(fe) = kw.fetchers.get_mut(usize::from(f)) {
                    fe.in_flight = false;
                }
                self.kafka_fetch_next(f, now);
            }
            KTimer::Coordinator(g) => self.kafka_coordinator_due(g, now),
            KTimer::Heartbeat(key) => self.kafka_heartbeat(key, now),
            KTimer::AutoCommit(key) => self.kafka_auto_commit(key, now),
            KTimer::ReadTimeout(g) => self.kafka_read_timeout(g, now),
            KTimer::FetchTimeout(f) => self.kafka_fetch_timeout(f, now),
            KTimer::HeartbeatTimeout(key) => self.kafka_heartbeat_timeout(key, now),
            KTimer::CommitTimeout(key) => self.kafka_commit_timeout(key, now),
            KTimer::JoinTimeout(key) => self.kafka_join_timeout(key, now),
            KTimer::Flush(key) => {
                kw.flush_timer(key, &mut self.kit);
                self.kafka_deliver_all(now);
            }
            KTimer::BatchRetry(id) => {
                kw.batch_retry(id, &mut self.kit);
                self.kafka_deliver_all(now);
            }
            KTimer::BatchTimeout(req) => {
                kw.batch_timeout(req, &mut self.kit);
                self.kafka_deliver_all(now);
            }
            KTimer::Fence(b) => {
                if kw.fence_at.get(b as usize - 1).copied().flatten() == Some(now) {
                    kw.fence(b, true, &mut self.kit);
                    self.kafka_deliver_all(now);
                }
            }
            KTimer::LeaderBalance => {
                if kw.balance_at == Some(now) {
                    kw.leader_balance(&mut self.kit);
                    self.kafka_deliver_all(now);
                }
            }
            KTimer::MetadataRefresh(p) => kw.metadata_refresh(p, now, &mut self.kit),
            KTimer::PartitionCheck(key) => self.kafka_partition_check(key, now),
            KTimer::JoinRetry(key) => self.kafka_join_retry(key, now),
        }
        // acks=all answers or consumer data may be due after a timer.
        let _ = now;
    }
}
