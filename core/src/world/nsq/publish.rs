//! A `Publish` that failed (the node refused the connection, or the
//! connection closed under it): the guarantees book counts the message
//! lost if it never reached a topic, and the goroutine gets its error; a
//! redundant publish (a list of nodes) goes on to the next node, or counts
//! as published through an earlier one; an MPUB batch fails whole.

use crate::gochan::channel::GoId;
use crate::nsq::guarantees::Logical;
use crate::time::SimTime;
use crate::world::World;

impl World {
    /// `g`'s `Publish` to `node` failed (refused, or the connection
    /// closed): the book counts the message lost if it never reached a
    /// topic; the goroutine gets its error.
    pub(super) fn publish_failed(&mut self, g: GoId, node: u16, now: SimTime) {
        let Some(nsq) = self.nsq.as_deref_mut() else { return };
        if let Some(&(n, topic, seq)) = nsq.publishing.get(&g) {
            if n == node {
                nsq.publishing.remove(&g);
                let name = self.go.gs[g as usize].prog.topics.get(usize::from(topic)).map_or("", |t| t.as_str());
                let _ = nsq.book.publish_failed(name, Logical(seq), seq);
                if let Some((batch, extra_from)) = nsq.batches.remove(&g) {
                    // MPUB: every message of the batch failed.
                    for i in 1..u64::from(batch) {
                        let _ = nsq.book.publish_failed(name, Logical(seq + i), seq + i);
                        self.kit.ledger.batch_extra(extra_from.saturating_add(i as i64 - 1), g, false, now);
                    }
                }
            }
        }
        // A redundant publish: the value goes on to the next node, or was
        // published through an earlier one.
        let waiting = self.go.gs[g as usize].state == crate::observe::snapshot::GState::BlockedNet && self.go.gs[g as usize].wait == u32::from(node);
        if let Some(&(_, settle, ok)) = nsq.redundant.get(&g).filter(|_| waiting) {
            if settle {
                nsq.redundant.remove(&g);
            }
            let (go, k) = self.go_kit();
            return match (settle, ok) {
                (false, _) => go.net_reply_keep(k, g, u32::from(node), false, now),
                (true, true) => go.net_fail_published(k, g, u32::from(node), now),
                (true, false) => go.net_fail(k, g, u32::from(node), now),
            };
        }
        let (go, k) = self.go_kit();
        go.net_fail(k, g, u32::from(node), now);
    }
}
