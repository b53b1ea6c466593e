//! The world's books: messages in flight, the trace and the statistics.
//!
//! Every message-level fact the executor establishes is written here, in
//! this order, and nowhere else:
//! - a send offers the goroutine's held message, or produces a new one
//!   (`Produced`, value = the goroutine's next value);
//! - a completed send records where it went (`Handoff`, `Buffered` or
//!   `Unblocked`, aux = the channel's `len` after it) and the hop;
//! - a receive makes the receiver hold the message (`Received`); a sink's
//!   receive counts as a delivery and records produce → receive latency;
//! - the next receive (or the end of the program) finishes the held
//!   message (`Processed`, aux = produce → processed latency) and frees it;
//! - a message lost to a modelled cause is `Dropped` with that cause.
//!
//! The ledger is a field of its own, apart from the goroutines, so the
//! executor can hold one goroutine (`&mut G`) while it writes the books:
//! no re-indexing of the goroutine table around every record.

use super::{Tally, G};
use crate::gochan::channel::{GoId, MsgRef};
use crate::observe::stats::Latency;
use crate::observe::trace::{DropCause, EventKind, Trace, TraceEvent, NONE};
use crate::time::SimTime;

use super::messages::Messages;

/// Marks the message id of an event about an NSQ copy at a node.
pub(crate) const NSQ_COPY: u64 = 1 << 63;

#[derive(Clone, Debug)]
pub(crate) struct Ledger {
    pub(crate) msgs: Messages,
    pub(crate) trace: Trace,
    pub(crate) tally: Tally,
    /// Produce → receive by a sink, over the run.
    pub(crate) delivery: Latency,
    /// Produce → processed, over the run.
    pub(crate) processed: Latency,
    /// Produce → receive since the last sample (the series' p50/p99).
    pub(crate) window: Latency,
    /// When a goroutine first blocked (and which): a timeline mark.
    pub(crate) first_block: Option<(SimTime, u32)>,
    /// When a deadlock (partial or whole) was first found: a timeline mark.
    pub(crate) first_deadlock: Option<SimTime>,
}

impl Ledger {
    pub(crate) fn new(trace_capacity: usize) -> Self {
        Ledger {
            msgs: Messages::default(),
            trace: Trace::new(trace_capacity),
            tally: Tally::default(),
            delivery: Latency::new(),
            processed: Latency::new(),
            // Cleared at every sample: a coarser table is cheaper to clear.
            window: Latency::with_grouping(5),
            first_block: None,
            first_deadlock: None,
        }
    }

    /// Records one trace event. Inlined: ~7 records per message, and the
    /// call overhead rivals the hash. The message's producer and value are
    /// read only when the ring keeps events (they are not hashed).
    #[inline(always)]
    pub(crate) fn record(&mut self, time: SimTime, kind: EventKind, g: u32, ch: u32, msg: Option<MsgRef>, aux: i64) {
        // `kind` is a constant at every (inlined) call site: these tests
        // vanish from all but the blocking and deadlock records.
        if matches!(kind, EventKind::BlockedSend | EventKind::BlockedRecv | EventKind::BlockedSelect | EventKind::BlockedWait)
            && self.first_block.is_none()
        {
            self.first_block = Some((time, g));
        }
        if kind == EventKind::Deadlock && self.first_deadlock.is_none() {
            self.first_deadlock = Some(time);
        }
        let id = msg.map_or(0, |m| self.msgs.get(m).id);
        let seq = self.trace.count(time, kind, g, ch, id, aux);
        if self.trace.keeps() {
            let (msg_producer, msg_value) = msg.map_or((NONE, 0), |m| {
                let m = self.msgs.get(m);
                (m.producer, m.value)
            });
            self.trace.keep(TraceEvent { seq, time, kind, g, ch, msg: id, msg_producer, msg_value, aux });
        }
    }

    /// Records an event about an NSQ message copy at a node (not a Go
    /// value): labelled by its publisher and value, identified by its
    /// publish sequence number (high bit set, apart from Go message ids).
    pub(crate) fn record_copy(&mut self, time: SimTime, kind: EventKind, producer: u32, value: i64, seq: u64, aux: i64) {
        self.record_label(time, kind, NONE, NONE, producer, value, seq | NSQ_COPY, aux);
    }

    /// Records an event about something that is not a Go value (an NSQ
    /// copy, a Kafka record) but carries one's label: its producer and
    /// value, identified by `id` (flagged apart from Go message ids).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn record_label(&mut self, time: SimTime, kind: EventKind, g: u32, ch: u32, producer: u32, value: i64, id: u64, aux: i64) {
        let seq = self.trace.count(time, kind, g, ch, id, aux);
        if self.trace.keeps() {
            self.trace.keep(TraceEvent { seq, time, kind, g, ch, msg: id, msg_producer: producer, msg_value: value, aux });
        }
    }

    /// The value a send by `g` offers: the held one, or a newly produced
    /// message.
    #[inline(always)]
    pub(crate) fn value_for_send(&mut self, gr: &mut G, g: GoId, now: SimTime) -> MsgRef {
        if let Some(m) = gr.held {
            return m;
        }
        let value = gr.next_value;
        // `start` is within ±2^53 (validated), so this cannot reach the end
        // of i64 in any run; saturating all the same (no wrap, ever).
        gr.next_value = value.saturating_add(1);
        let m = self.msgs.alloc(value, g, now);
        gr.held = Some(m);
        self.tally.produced += 1;
        self.record(now, EventKind::Produced, g, NONE, Some(m), 0);
        m
    }

    /// A completed send by `g` of `v` into `ch`, whose `len` is now `len`.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)] // inlined: each one is a register
    pub(crate) fn sent(&mut self, gr: &mut G, g: GoId, ch: u32, v: MsgRef, len: u32, kind: EventKind, now: SimTime) {
        gr.held = None;
        gr.c.sent += 1;
        self.msgs.hop(v, ch);
        self.record(now, kind, g, ch, Some(v), i64::from(len));
    }

    /// `g` received `v` from `ch`: it now holds `v`; a sink's receive is a
    /// delivery.
    #[inline(always)]
    pub(crate) fn received(&mut self, gr: &mut G, g: GoId, ch: u32, v: MsgRef, now: SimTime) {
        gr.held = Some(v);
        gr.c.received += 1;
        if gr.prog.is_sink {
            let lat = (now - self.msgs.get(v).produced_at).as_micros();
            self.tally.delivered += 1;
            self.delivery.record(lat);
            self.window.record(lat);
        }
        self.record(now, EventKind::Received, g, ch, Some(v), 0);
    }

    /// The message `g` holds is done with: a sink (or sieve filter)
    /// finished it. A value that was never sent (its producer offered it
    /// in a select that took another case, then received or returned) is
    /// not processed: it is dropped, never sent.
    #[inline(always)]
    pub(crate) fn finish_held(&mut self, gr: &mut G, g: GoId, now: SimTime) {
        if let Some(m) = gr.held.take() {
            if self.msgs.get(m).nhops == 0 {
                gr.held = Some(m);
                return self.drop_held(gr, g, DropCause::NotSent, now);
            }
            let lat = (now - self.msgs.get(m).produced_at).as_micros();
            self.tally.processed += 1;
            self.processed.record(lat);
            self.record(now, EventKind::Processed, g, NONE, Some(m), lat as i64);
            self.msgs.free(m);
        }
    }

    /// A message came in from NSQ (a consumer's connection reader got it):
    /// a new Go value, timed from its publish so latencies are end to end.
    pub(crate) fn arrived(&mut self, value: i64, producer: GoId, published: SimTime) -> MsgRef {
        self.tally.produced += 1;
        self.msgs.alloc(value, producer, published)
    }

    /// A handler finished message `m` (its `FIN` is on the way).
    pub(crate) fn finished_by(&mut self, m: MsgRef, g: GoId, now: SimTime) {
        let lat = (now - self.msgs.get(m).produced_at).as_micros();
        self.tally.processed += 1;
        self.processed.record(lat);
        self.record(now, EventKind::Processed, g, NONE, Some(m), lat as i64);
        self.msgs.free(m);
    }

    /// Message `m` left the Go world into NSQ (a `Publish` returned OK).
    pub(crate) fn published(&mut self, m: MsgRef) {
        self.tally.published += 1;
        self.msgs.free(m);
    }

    /// One of the extra values of `g`'s MPUB batch, at its answer: made,
    /// then published (`OK`) or dropped (an error).
    pub(crate) fn batch_extra(&mut self, value: i64, g: GoId, published: bool, now: SimTime) {
        let m = self.msgs.alloc(value, g, now);
        self.tally.produced += 1;
        self.record(now, EventKind::Produced, g, NONE, Some(m), 0);
        if published {
            self.tally.published += 1;
        } else {
            self.tally.dropped += 1;
            self.record(now, EventKind::Dropped, g, NONE, Some(m), DropCause::PublishFailed.aux());
        }
        self.msgs.free(m);
    }

    /// The message `g` holds is lost to `cause`.
    pub(crate) fn drop_held(&mut self, gr: &mut G, g: GoId, cause: DropCause, now: SimTime) {
        if let Some(m) = gr.held.take() {
            self.tally.dropped += 1;
            self.record(now, EventKind::Dropped, g, NONE, Some(m), cause.aux());
            self.msgs.free(m);
        }
    }
}
