//! A zombie leader: a broker the controller fenced while it ran (its link
//! to the controller is cut), still acting as leader of the partitions it
//! led, because nobody told it.
//!
//! # Semantics
//! - **Fenced, it does not know.** The controller elects new leaders for
//!   its partitions (`faults::fence`), but the broker hears nothing of it:
//!   it takes produce requests for the partitions it led as before, at the
//!   offsets its own log goes on with. acks=0 and acks=1 requests are
//!   answered at once (the producer is told its record is written); an
//!   acks=all request waits for followers that no longer fetch from it
//!   (they follow the new leader), and the ISR it would shrink needs the
//!   controller, so the request times out after `Producer.Timeout` (10 s,
//!   REQUEST_TIMED_OUT) and the producer retries. Requests that were
//!   waiting at it for acks=all wait on the same way.
//! - **Who writes to it.** A sarama producer (a SyncProducer is an
//!   AsyncProducer inside) sends a partition's records to the broker its
//!   partition producer looked up, and looks it up again only on a retry
//!   (`partitionProducer.updateLeader`). So every producer that can still
//!   reach the zombie goes on writing to it, until a request fails: a
//!   retry goes to the new leader. The producer is never told that its
//!   acknowledged records are gone.
//! - **Its end.** When its link to the controller heals it registers
//!   again, hears who leads, and truncates what it took as a zombie: those
//!   records are lost (acknowledged with acks=1 or 0: lost after an ack;
//!   acks=all: never acknowledged, and the producer wrote them again at the
//!   new leader). Requests still waiting at it are answered
//!   NOT_LEADER_OR_FOLLOWER. A zombie that crashes loses them the same
//!   way (it truncates them when it restarts).
//!
//! # Simplifications
//! - Consumers learn the new leader at once (sarama's partition consumers
//!   would go on fetching from the zombie, and get nothing new).
//! - The producer's metadata refreshes learn the truth (sarama may ask the
//!   zombie, whose own metadata is stale).

use super::{KafkaError, KafkaWorld, PendingAck, ACK_TIMER, PRODUCE_TIMEOUT};
use crate::kafka::replication::{Acks, BrokerId};
use crate::observe::trace::{EventKind, NONE};
use crate::world::Kit;

/// What a zombie leader holds of one partition.
#[derive(Clone, Debug)]
pub(crate) struct Zombie {
    pub(crate) broker: BrokerId,
    /// The next offset it gives (its own log end).
    pub(crate) next: u64,
    /// What it took as a zombie: (offset, record).
    pub(crate) recs: Vec<(u64, u32)>,
    /// The SyncProducers (bit per producer) whose partition producer still
    /// sends to it (an async producer's is its batcher's `leads`).
    believers: u16,
    /// acks=all requests waiting at it (they time out).
    pending: Vec<PendingAck>,
}

impl KafkaWorld {
    /// Broker `b`, running, was fenced: it goes on as leader of `part`
    /// (whose log ended at `next` before the election) in its own mind;
    /// what waits at it for acks=all waits on.
    pub(super) fn become_zombie(&mut self, part: u32, b: BrokerId, next: u64) {
        let ps = &mut self.parts[part as usize];
        let pending = std::mem::take(&mut ps.pending);
        ps.zombie = Some(Box::new(Zombie { broker: b, next, recs: Vec::new(), believers: u16::MAX, pending }));
    }

    /// The zombie leader producer `p` (a SyncProducer) sends `part`'s
    /// records to, if its partition producer still names one.
    pub(super) fn zombie_route(&self, p: u16, part: u32) -> Option<BrokerId> {
        let z = self.parts[part as usize].zombie.as_deref()?;
        (z.believers & 1 << p != 0).then_some(z.broker)
    }

    /// Producer `p` retries on `part`: it looks the leader up again.
    pub(super) fn forget_zombie(&mut self, p: u16, part: u32) {
        if let Some(z) = self.parts[part as usize].zombie.as_deref_mut() {
            z.believers &= !(1 << p);
        }
    }

    /// Whether `b` is the zombie leader of `part`.
    pub(super) fn is_zombie(&self, part: u32, b: BrokerId) -> bool {
        self.parts[part as usize].zombie.as_deref().is_some_and(|z| z.broker == b)
    }

    /// The zombie of `part` appends `recs` (answering for goroutine `g`,
    /// try `tries`, batch request `req`, 0 for a `SendMessage`); returns the
    /// first offset, and whether the answer waits (acks=all).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn zombie_append(&mut self, part: u32, recs: &[u32], acks: Acks, g: crate::gochan::channel::GoId, tries: u8, req: u32, kit: &mut Kit) -> (u64, bool) {
        let now = kit.queue.now();
        let Some(z) = self.parts[part as usize].zombie.as_deref_mut() else { return (0, false) };
        let first = z.next;
        for &rec in recs {
            z.recs.push((z.next, rec));
            self.book.appended(rec, part, z.next);
            z.next += 1;
        }
        if acks != Acks::All {
            return (first, false);
        }
        let deadline = now + PRODUCE_TIMEOUT;
        z.pending.push(PendingAck { g, offset: z.next - 1, deadline, tries, req });
        self.rearm(part, ACK_TIMER, Some(deadline), kit);
        (first, true)
    }

    /// acks=all requests at the zombie of `part` past their deadline fail
    /// with REQUEST_TIMED_OUT; returns the next deadline.
    pub(super) fn zombie_timeouts(&mut self, part: u32, kit: &mut Kit) -> Option<crate::time::SimTime> {
        let now = kit.queue.now();
        let z = self.parts[part as usize].zombie.as_deref_mut()?;
        let b = z.broker;
        let late: Vec<PendingAck> = z.pending.iter().copied().filter(|a| a.deadline <= now).collect();
        z.pending.retain(|a| a.deadline > now);
        let next = z.pending.first().map(|a| a.deadline);
        for a in late {
            self.answer(b, a, part, Err(KafkaError::RequestTimedOut), kit);
        }
        next
    }

    /// Broker `b` is a zombie no more: it registers again (`heal`: requests
    /// waiting at it are answered NOT_LEADER_OR_FOLLOWER) or it crashed
    /// (its connections are gone). What it took as a zombie is lost.
    pub(super) fn end_zombies(&mut self, b: BrokerId, heal: bool, kit: &mut Kit) {
        for part in 0..self.parts.len() as u32 {
            if !self.is_zombie(part, b) {
                continue;
            }
            let z = self.parts[part as usize].zombie.take().expect("checked");
            for &(offset, rec) in &z.recs {
                self.book.truncated(rec, part, offset, false);
            }
            if !z.recs.is_empty() {
                kit.record(EventKind::KafkaLost, NONE, part, None, z.recs.len() as i64);
            }
            if heal {
                for a in z.pending {
                    self.answer(b, a, part, Err(KafkaError::NotLeader), kit);
                }
            }
        }
    }
}
