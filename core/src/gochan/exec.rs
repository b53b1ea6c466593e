//! Executing goroutine programs: one op after another until the goroutine
//! blocks, starts working or sleeping, or returns. Zero-time operations run
//! back to back at the same instant; a goroutine woken by another one runs
//! at the same instant, after the events already scheduled for it (FIFO).

use super::runtime::{schedule_for, GoRuntime, KAFKA_FETCH, KAFKA_LEAD, KAFKA_NEXT, KAFKA_PRODUCE, KAFKA_RESULT, KAFKA_ROOM, KAFKA_ROUTE, KAFKA_WAIT, NSQ_READ};
use crate::world::{Ev, Kit, Syscall, OP_BUDGET, SPIN_YIELD};
use crate::gochan::channel::{GoId, MsgRef, RecvOutcome, SendOutcome, Waiter};
use crate::gochan::program::{CaseKind, Op};
use crate::observe::snapshot::{GState, PanicReport, RunStatus};
use crate::observe::trace::{DropCause, EventKind, NONE};
use crate::time::SimTime;

impl GoRuntime {
    /// Runs goroutine `g` from its pc until it waits.
    pub(crate) fn run_goroutine(&mut self, k: &mut Kit, g: GoId, now: SimTime) {
        let gi = g as usize;
        if self.gs[gi].state.is_over() {
            return;
        }
        if !k.run.is_running() {
            return;
        }
        // Pausing is a command, never an op: it cannot change mid-run.
        if self.gs[gi].paused {
            self.gs[gi].deferred_run = true;
            self.set_state(g, GState::Runnable, now);
            return;
        }
        self.run_ops(k, g, now);
    }

    /// Runs `g`'s ops from its pc until it waits (`g` is running, not
    /// paused, and the program goes on).
    ///
    /// # The spin guard
    /// Each goroutine has a budget of [`OP_BUDGET`] *steps* per instant of
    /// virtual time: starting to run is a step, and so is every turn of a
    /// loop (a jump back). The budget belongs to the goroutine and the
    /// instant, not to this call, so goroutines that block and wake each
    /// other at one instant spend it as surely as one that loops alone. A
    /// goroutine with no step left yields: it runs again
    /// [`SPIN_YIELD`](SPIN_YIELD) later. See [`World`]'s progress
    /// guarantee.
    #[inline(never)]
    fn run_ops(&mut self, k: &mut Kit, g: GoId, now: SimTime) {
        let gr = &mut self.gs[g as usize];
        if gr.budget_at != now {
            gr.budget_at = now;
            gr.budget = OP_BUDGET;
        }
        let mut budget = gr.budget;
        // Starting to run is a step.
        if self.spend(k, g, &mut budget, now) {
            self.run_loop(k, g, now, &mut budget);
        }
        self.gs[g as usize].budget = budget;
    }

    /// [`World::run_ops`]' loop, with the instant's budget in a register.
    #[inline(always)]
    fn run_loop(&mut self, k: &mut Kit, g: GoId, now: SimTime, budget: &mut u32) {
        let gi = g as usize;
        let prog = self.gs[gi].prog.clone();
        // The program is immutable behind its `Rc`: borrowing its slices
        // once keeps their pointers in registers across the loop.
        let (ops, dists) = (&prog.ops[..], &prog.dists[..]);
        // The pc lives in a register while the goroutine runs (every change
        // is also stored, so callees see it); reloading it from memory
        // after each store would sit on the dispatch's critical path.
        let mut pc = self.gs[gi].pc;
        loop {
            // Every op that can end the program (a panic, `main` returning)
            // returns right after, so the program is still running here.
            debug_assert!(k.run.is_running());
            debug_assert_eq!(pc, self.gs[gi].pc);
            match ops[pc as usize] {
                // The hot ops hold the goroutine (`gr`) and the channel while
                // they write the books, instead of indexing the tables again
                // around every record.
                Op::Send { ch } => {
                    let gr = &mut self.gs[gi];
                    let v = k.ledger.value_for_send(gr, g, now);
                    let chan = &mut self.chans[ch as usize];
                    match chan.try_send(v) {
                        SendOutcome::Closed => return self.panic(k, g, "send on closed channel", now),
                        SendOutcome::HandedOff(r) => {
                            k.ledger.sent(gr, g, ch, v, chan.len(), EventKind::Handoff, now);
                            pc += 1;
                            gr.pc = pc;
                            self.deliver_to_parked(k, r, ch, Some(v), now);
                        }
                        SendOutcome::Buffered => {
                            k.ledger.sent(gr, g, ch, v, chan.len(), EventKind::Buffered, now);
                            pc += 1;
                            gr.pc = pc;
                        }
                        SendOutcome::WouldBlock => {
                            chan.park_sender(Waiter { g, case: 0, value: Some(v) });
                            gr.wait = ch;
                            gr.enter(GState::BlockedSend, now);
                            k.ledger.record(now, EventKind::BlockedSend, g, ch, Some(v), 0);
                            return;
                        }
                    }
                }
                Op::Recv { ch, on_closed } => {
                    let gr = &mut self.gs[gi];
                    k.ledger.finish_held(gr, g, now);
                    let chan = &mut self.chans[ch as usize];
                    match chan.try_recv() {
                        RecvOutcome::Got { value, from_sender, .. } => {
                            k.ledger.received(gr, g, ch, value, now);
                            pc += 1;
                            gr.pc = pc;
                            if let Some(s) = from_sender {
                                self.release_parked_sender(k, s, ch, now);
                            }
                        }
                        RecvOutcome::Closed => {
                            k.ledger.record(now, EventKind::RecvClosed, g, ch, None, 0);
                            pc = on_closed.unwrap_or(pc + 1);
                            gr.pc = pc;
                        }
                        RecvOutcome::WouldBlock => {
                            chan.park_receiver(Waiter { g, case: 0, value: None });
                            gr.wait = ch;
                            gr.enter(GState::BlockedRecv, now);
                            k.ledger.record(now, EventKind::BlockedRecv, g, ch, None, 0);
                            return;
                        }
                    }
                }
                Op::Work { dist } | Op::Sleep { dist } => {
                    let d = dists[dist as usize].sample(&mut k.rng, now);
                    let gr = &mut self.gs[gi];
                    if d.is_zero() {
                        pc += 1;
                        gr.pc = pc;
                        continue;
                    }
                    let working = matches!(ops[pc as usize], Op::Work { .. });
                    gr.until = now + d;
                    if working {
                        gr.enter(GState::Working, now);
                        k.ledger.record(now, EventKind::WorkStart, g, NONE, gr.held, d.as_micros() as i64);
                    } else {
                        gr.enter(GState::Sleeping, now);
                        k.ledger.record(now, EventKind::Sleep, g, NONE, None, d.as_micros() as i64);
                    }
                    schedule_for(&mut k.queue, &mut self.g_pending, gr, now + d, Ev::Wake(g));
                    return;
                }
                // Each turn of a loop jumps back once (a `LoopBack`, a
                // `Jump`, or a rare op such as a select or `continue`): only
                // those turns spend the budget, so a goroutine that spins at
                // one instant yields after `OP_BUDGET` turns.
                Op::LoopInit { slot, times } => {
                    let gr = &mut self.gs[gi];
                    gr.loops[slot as usize] = times;
                    pc += 1;
                    gr.pc = pc;
                }
                Op::LoopBack { slot, to } => {
                    if !self.spend(k, g, budget, now) {
                        return;
                    }
                    let gr = &mut self.gs[gi];
                    let c = &mut gr.loops[slot as usize];
                    *c = c.saturating_sub(1);
                    pc = if *c > 0 { to } else { pc + 1 };
                    gr.pc = pc;
                }
                Op::Jump { to } => {
                    if to <= pc && !self.spend(k, g, budget, now) {
                        return;
                    }
                    pc = to;
                    self.gs[gi].pc = pc;
                }
                // The rare ops live out of line: a smaller loop keeps the hot
                // ops' values in registers.
                op => {
                    if !self.run_cold_op(k, g, op, now) {
                        return;
                    }
                    let from = pc;
                    pc = self.gs[gi].pc;
                    if pc <= from && !self.spend(k, g, budget, now) {
                        return;
                    }
                }
            }
        }
    }

    /// Spends one step of `g`'s budget for this instant. With none
    /// left, `g` yields (it runs again [`SPIN_YIELD`](SPIN_YIELD) later)
    /// and this returns `false`.
    #[inline(always)]
    fn spend(&mut self, k: &mut Kit, g: GoId, budget: &mut u32, now: SimTime) -> bool {
        if *budget == 0 {
            k.record(EventKind::Yield, g, NONE, None, 0);
            self.set_state(g, GState::Runnable, now);
            self.schedule_g(k, g, now + SPIN_YIELD, Ev::Run(g));
            return false;
        }
        *budget -= 1;
        true
    }

    /// The ops other than send, receive, work, sleep and loops, for
    /// [`World::run_goroutine`]. Returns whether the goroutine goes on.
    #[inline(never)]
    fn run_cold_op(&mut self, k: &mut Kit, g: GoId, op: Op, now: SimTime) -> bool {
        let gi = g as usize;
        match op {
            Op::Close { ch } => {
                // pc moves on only after the close succeeded, so a
                // panic ("close of closed channel") points at this line.
                if !self.close_channel(k, ch, Some(g), now) {
                    return false;
                }
                self.gs[gi].pc += 1;
            }
            Op::Select { sel } => {
                if !self.select(k, g, sel, now) {
                    return false;
                }
            }
            Op::WgAdd { wg, n } => {
                if !self.wg_add(k, wg, n, g, now) {
                    return false;
                }
                self.gs[gi].pc += 1;
            }
            Op::WgDone { wg } => {
                if !self.wg_add(k, wg, -1, g, now) {
                    return false;
                }
                self.gs[gi].pc += 1;
            }
            Op::WgWait { wg } => {
                if self.wgs[wg as usize].counter == 0 {
                    self.gs[gi].pc += 1;
                } else {
                    self.wgs[wg as usize].waiters.push(g);
                    self.gs[gi].wait = wg;
                    self.set_state(g, GState::BlockedWait, now);
                    k.record(EventKind::BlockedWait, g, NONE, None, i64::from(wg));
                    return false;
                }
            }
            Op::TakeDivisor => {
                if let Some(m) = self.gs[gi].held {
                    let value = k.ledger.msgs.get(m).value;
                    self.gs[gi].divisor = value;
                    k.record(EventKind::Prime, g, NONE, Some(m), value);
                }
                self.finish_held(k, g);
                self.gs[gi].pc += 1;
            }
            Op::DropMultiples { skip_to } => {
                let divisor = self.gs[gi].divisor;
                match self.gs[gi].held {
                    // `wrapping_rem`: Go's `%` never overflows (the spec:
                    // `math.MinInt64 % -1 == 0`); Rust's `%` panics there.
                    Some(m) if divisor != 0 && k.ledger.msgs.get(m).value.wrapping_rem(divisor) == 0 => {
                        self.gs[gi].held = None;
                        k.ledger.tally.filtered += 1;
                        k.record(EventKind::Filtered, g, NONE, Some(m), divisor);
                        k.ledger.msgs.free(m);
                        self.gs[gi].pc = skip_to;
                    }
                    _ => self.gs[gi].pc += 1,
                }
            }
            Op::Drop { cause } => {
                self.drop_held(k, g, cause);
                self.gs[gi].pc += 1;
            }
            Op::Publish { node, topic, fresh, settle, batch } => {
                // The pc moves on when the response comes back
                // (`net_reply`); until then the goroutine holds its value.
                let v = self.value_to_send(k, g);
                // An MPUB's other values: the next ones (they enter the
                // ledger with the answer).
                let extra_from = self.gs[gi].next_value;
                if batch > 1 {
                    self.gs[gi].next_value = extra_from.saturating_add(i64::from(batch) - 1);
                }
                self.gs[gi].wait = u32::from(node);
                self.set_state(g, GState::BlockedNet, now);
                k.record(EventKind::NsqPublish, g, NONE, Some(v), i64::from(node));
                k.syscalls.push(Syscall::Publish { g, node, topic, fresh, settle, batch, extra_from });
                return false;
            }
            Op::NsqRead { conn } => {
                // What it held was pushed into `incoming` already; anything
                // else is finished, as a receive would.
                self.finish_held(k, g);
                self.gs[gi].wait = NSQ_READ | u32::from(conn);
                self.set_state(g, GState::BlockedNet, now);
                k.syscalls.push(Syscall::NsqRead { g, conn });
                return false;
            }
            Op::NsqTake { skip_to } => {
                // The world marked the messages to fail unhandled when it
                // handed them over (rare: a linear scan of a short list).
                match self.gs[gi].held {
                    Some(m) if k.doomed.contains(&m) => {
                        k.doomed.retain(|d| *d != m);
                        self.gs[gi].held = None;
                        k.syscalls.push(Syscall::NsqAnswer { g, msg: m, handled: false });
                        self.gs[gi].pc = skip_to;
                    }
                    Some(m) => {
                        // The handler starts on it (the world counts the
                        // handling and starts its TOUCH ticks).
                        k.syscalls.push(Syscall::NsqTake { g, msg: m });
                        self.gs[gi].pc += 1;
                    }
                    None => self.gs[gi].pc += 1,
                }
            }
            Op::NsqFinish => {
                // go-nsq writes FIN (or REQ) and goes on: the world decides
                // the handler's result, sends the answer and records it.
                if let Some(m) = self.gs[gi].held.take() {
                    k.syscalls.push(Syscall::NsqAnswer { g, msg: m, handled: true });
                }
                self.gs[gi].pc += 1;
            }
            Op::KafkaProduce { producer, topic, .. } => {
                // The pc moves on when the response comes back
                // (`kafka_reply`); until then the goroutine holds its value.
                let v = self.value_to_send(k, g);
                self.gs[gi].wait = KAFKA_WAIT | KAFKA_PRODUCE;
                self.set_state(g, GState::BlockedNet, now);
                k.record(EventKind::KafkaSend, g, NONE, Some(v), i64::from(producer));
                k.syscalls.push(Syscall::KafkaProduce { g, producer, topic });
                return false;
            }
            Op::KafkaBatchAdd { producer, topic, broker } => {
                // The world adds it to the batch and lets the stage go on
                // (`kafka_added`), at once unless the batch is full.
                let v = self.value_to_send(k, g);
                self.gs[gi].wait = KAFKA_WAIT | KAFKA_ROOM;
                self.set_state(g, GState::BlockedNet, now);
                k.record(EventKind::KafkaSend, g, NONE, Some(v), i64::from(producer));
                k.syscalls.push(Syscall::KafkaBatchAdd { g, producer, topic, broker });
                return false;
            }
            Op::KafkaRoute { producer, topic, .. } => {
                // The world's partitioner picks the partition and the
                // goroutine goes on at that case (`kafka_routed`), at once.
                self.gs[gi].wait = KAFKA_WAIT | KAFKA_ROUTE;
                self.set_state(g, GState::BlockedNet, now);
                k.syscalls.push(Syscall::KafkaRoute { g, producer, topic });
                return false;
            }
            Op::KafkaLead { producer, topic, index, .. } => {
                // The world names the broker producer it goes to and the
                // goroutine goes on at that case (`kafka_routed`), at once.
                self.gs[gi].wait = KAFKA_WAIT | KAFKA_LEAD;
                self.set_state(g, GState::BlockedNet, now);
                k.syscalls.push(Syscall::KafkaLead { g, producer, topic, index });
                return false;
            }
            Op::KafkaResult { producer, broker } => {
                // What it held went into `responses` already.
                self.finish_held(k, g);
                self.gs[gi].wait = KAFKA_WAIT | KAFKA_RESULT;
                self.set_state(g, GState::BlockedNet, now);
                k.syscalls.push(Syscall::KafkaResult { g, producer, broker });
                return false;
            }
            Op::KafkaNext { producer, broker, .. } => {
                // The world hands over the response's next message, or
                // lets the goroutine go on (`kafka_next`), at once.
                self.finish_held(k, g);
                self.gs[gi].wait = KAFKA_WAIT | KAFKA_NEXT;
                self.set_state(g, GState::BlockedNet, now);
                k.syscalls.push(Syscall::KafkaNext { g, producer, broker });
                return false;
            }
            Op::KafkaOutcome { on_err } => match self.gs[gi].held {
                Some(m) if k.failed_produce.contains(&m) => {
                    k.failed_produce.retain(|d| *d != m);
                    self.gs[gi].pc = on_err;
                }
                _ => self.gs[gi].pc += 1,
            },
            Op::KafkaSettle => {
                if let Some(m) = self.gs[gi].held.take() {
                    k.ledger.published(m);
                }
                self.gs[gi].pc += 1;
            }
            Op::KafkaFetch { fetcher } => {
                // What it held went into `Messages()` already.
                self.finish_held(k, g);
                self.gs[gi].wait = KAFKA_WAIT | KAFKA_FETCH;
                self.set_state(g, GState::BlockedNet, now);
                k.syscalls.push(Syscall::KafkaFetch { g, fetcher });
                return false;
            }
            Op::KafkaMark { fetcher } => {
                // `ConsumeClaim` is done with the record: marked, and its
                // Go journey ends (handled).
                k.syscalls.push(Syscall::KafkaMark { g, fetcher });
                if let Some(m) = self.gs[gi].held.take() {
                    k.ledger.finished_by(m, g, now);
                }
                self.gs[gi].pc += 1;
            }
            Op::End => {
                self.finish_held(k, g);
                self.set_state(g, GState::Done, now);
                k.record(EventKind::Finished, g, NONE, None, 0);
                if self.gs[gi].name == "main" {
                    self.end(k, RunStatus::MainReturned, now);
                }
                return false;
            }
            Op::Send { .. } | Op::Recv { .. } | Op::Work { .. } | Op::Sleep { .. } | Op::LoopInit { .. } | Op::LoopBack { .. } | Op::Jump { .. } => {
                unreachable!("run_goroutine runs the hot ops itself")
            }
        }
        true
    }

    /// The value a send by `g` offers (see [`Ledger::value_for_send`]).
    fn value_to_send(&mut self, k: &mut Kit, g: GoId) -> MsgRef {
        let now = k.queue.now();
        k.ledger.value_for_send(&mut self.gs[g as usize], g, now)
    }

    /// Bookkeeping for a completed send by `g` of `v` into `ch`.
    fn sent(&mut self, k: &mut Kit, g: GoId, ch: u32, v: MsgRef, kind: EventKind) {
        let (now, len) = (k.queue.now(), self.chans[ch as usize].len());
        k.ledger.sent(&mut self.gs[g as usize], g, ch, v, len, kind, now);
    }

    /// Bookkeeping for `g` receiving `v` from `ch`: it now holds `v`.
    fn received(&mut self, k: &mut Kit, g: GoId, ch: u32, v: MsgRef, now: SimTime) {
        k.ledger.received(&mut self.gs[g as usize], g, ch, v, now);
    }

    /// The held value is done with: a sink (or sieve filter) finished it.
    pub(crate) fn finish_held(&mut self, k: &mut Kit, g: GoId) {
        let now = k.queue.now();
        k.ledger.finish_held(&mut self.gs[g as usize], g, now);
    }

    pub(crate) fn drop_held(&mut self, k: &mut Kit, g: GoId, cause: DropCause) {
        let now = k.queue.now();
        k.ledger.drop_held(&mut self.gs[g as usize], g, cause, now);
    }

    /// A parked receiver `w` gets `value` from `ch` (`None`: closed).
    fn deliver_to_parked(&mut self, k: &mut Kit, w: Waiter, ch: u32, value: Option<MsgRef>, now: SimTime) {
        let g = w.g;
        let gi = g as usize;
        // A select may wait twice on one channel; close wakes it only once.
        if !matches!(self.gs[gi].state, GState::BlockedRecv | GState::BlockedSelect) {
            return;
        }
        let prog = self.gs[gi].prog.clone();
        if self.gs[gi].state == GState::BlockedSelect {
            self.end_select_wait(k, g);
            let sel = match prog.ops[self.gs[gi].pc as usize] {
                Op::Select { sel } => sel,
                _ => unreachable!("a select waiter sits on a select op"),
            };
            let case = prog.selects[sel as usize].cases[w.case as usize];
            // A receive replaces the held value (a goroutine holds one): a
            // value the select offered on a send case and did not send is
            // lost with it.
            self.drop_held(k, g, DropCause::NotSent);
            k.record(EventKind::SelectChose, g, ch, None, i64::from(w.case));
            self.gs[gi].pc = match (value, case.on_closed) {
                (None, Some(t)) => t,
                _ => case.target,
            };
        } else {
            self.gs[gi].pc = match (value, prog.ops[self.gs[gi].pc as usize]) {
                (None, Op::Recv { on_closed: Some(t), .. }) => t,
                _ => self.gs[gi].pc + 1,
            };
        }
        match value {
            Some(v) => self.received(k, g, ch, v, now),
            None => k.record(EventKind::RecvClosed, g, ch, None, 0),
        }
        self.make_runnable(k, g, now);
    }

    /// A parked sender `s` on `ch` completed its send (its value was taken
    /// directly or moved into the buffer).
    pub(crate) fn release_parked_sender(&mut self, k: &mut Kit, s: Waiter, ch: u32, now: SimTime) {
        let g = s.g;
        let gi = g as usize;
        if self.gs[gi].state == GState::BlockedSelect {
            self.end_select_wait(k, g);
            let prog = self.gs[gi].prog.clone();
            let Op::Select { sel } = prog.ops[self.gs[gi].pc as usize] else {
                unreachable!("a select waiter sits on a select op")
            };
            k.record(EventKind::SelectChose, g, ch, None, i64::from(s.case));
            self.gs[gi].pc = prog.selects[sel as usize].cases[s.case as usize].target;
        } else {
            self.gs[gi].pc += 1;
        }
        let v = s.value.expect("a parked sender offers a value");
        self.sent(k, g, ch, v, EventKind::Unblocked);
        self.make_runnable(k, g, now);
    }

    fn make_runnable(&mut self, k: &mut Kit, g: GoId, now: SimTime) {
        self.set_state(g, GState::Runnable, now);
        self.schedule_g(k, g, now, Ev::Run(g));
    }

    /// Withdraws a parked select from every channel it waits on and cancels
    /// its timeout: one O(1) unlink per case (the case that completed has
    /// left its queue already; its ticket is stale and changes nothing).
    fn end_select_wait(&mut self, k: &mut Kit, g: GoId) {
        self.cancel_g(k, g);
        let mut parked = std::mem::take(&mut self.gs[g as usize].parked);
        for &(ch, send, t) in &parked {
            self.chans[ch as usize].withdraw_one(send, t);
        }
        parked.clear();
        self.gs[g as usize].parked = parked;
    }

    /// Evaluates a select. Returns `true` if the goroutine goes on running.
    fn select(&mut self, k: &mut Kit, g: GoId, sel: u16, now: SimTime) -> bool {
        let gi = g as usize;
        let prog = self.gs[gi].prog.clone();
        let s = &prog.selects[sel as usize];
        let has_send = s.cases.iter().any(|c| matches!(c.kind, CaseKind::Send(_)));
        if has_send {
            self.value_to_send(k, g);
        } else {
            self.finish_held(k, g);
        }
        let mut ready = std::mem::take(&mut self.scratch_cases);
        ready.clear();
        for (i, c) in s.cases.iter().enumerate() {
            let ok = match c.kind {
                CaseKind::Send(ch) => self.chans[ch as usize].can_send(),
                CaseKind::Recv(ch) => self.chans[ch as usize].can_recv(),
            };
            if ok {
                ready.push(i as u16);
            }
        }
        let pick = match ready.len() {
            0 => None,
            1 => Some(ready[0]),
            n => Some(ready[k.rng.below(n as u64) as usize]),
        };
        self.scratch_cases = ready;
        if let Some(i) = pick {
            let case = s.cases[i as usize];
            k.record(EventKind::SelectChose, g, NONE, None, i64::from(i));
            match case.kind {
                CaseKind::Send(ch) => {
                    let v = self.gs[gi].held.expect("send value prepared");
                    match self.chans[ch as usize].try_send(v) {
                        SendOutcome::Closed => {
                            self.panic(k, g, "send on closed channel", now);
                            return false;
                        }
                        SendOutcome::HandedOff(r) => {
                            self.sent(k, g, ch, v, EventKind::Handoff);
                            self.gs[gi].pc = case.target;
                            self.deliver_to_parked(k, r, ch, Some(v), now);
                        }
                        SendOutcome::Buffered => {
                            self.sent(k, g, ch, v, EventKind::Buffered);
                            self.gs[gi].pc = case.target;
                        }
                        SendOutcome::WouldBlock => unreachable!("case was ready"),
                    }
                }
                CaseKind::Recv(ch) => {
                    // As above: the receive replaces an unsent offered value.
                    self.drop_held(k, g, DropCause::NotSent);
                    match self.chans[ch as usize].try_recv() {
                        RecvOutcome::Got { value, from_sender, .. } => {
                            self.received(k, g, ch, value, now);
                            self.gs[gi].pc = case.target;
                            if let Some(sw) = from_sender {
                                self.release_parked_sender(k, sw, ch, now);
                            }
                        }
                        RecvOutcome::Closed => {
                            k.record(EventKind::RecvClosed, g, ch, None, 0);
                            self.gs[gi].pc = case.on_closed.unwrap_or(case.target);
                        }
                        RecvOutcome::WouldBlock => unreachable!("case was ready"),
                    }
                }
            }
            return true;
        }
        if let Some(target) = s.default {
            // The offered value stays held, as in Go it stays in its
            // variable: dropping it is the program's own `drop`.
            k.record(EventKind::SelectChose, g, NONE, None, -1);
            self.gs[gi].pc = target;
            return true;
        }
        // Park on every case at once, keeping each wait's ticket.
        let offered = self.gs[gi].held;
        let mut parked = std::mem::take(&mut self.gs[gi].parked);
        parked.clear();
        for (i, c) in s.cases.iter().enumerate() {
            parked.push(match c.kind {
                CaseKind::Send(ch) => (ch, true, self.chans[ch as usize].park_sender(Waiter { g, case: i as u16, value: offered })),
                CaseKind::Recv(ch) => (ch, false, self.chans[ch as usize].park_receiver(Waiter { g, case: i as u16, value: None })),
            });
        }
        self.gs[gi].parked = parked;
        if let Some((d, _)) = s.after {
            let wait = prog.dists[d as usize].sample(&mut k.rng, now);
            self.gs[gi].until = now + wait;
            self.schedule_g(k, g, now + wait, Ev::SelectTimeout(g));
        }
        self.set_state(g, GState::BlockedSelect, now);
        k.record(EventKind::BlockedSelect, g, NONE, offered, 0);
        false
    }

    /// A select's `time.After` fired: it takes the timeout case.
    pub(crate) fn select_timeout(&mut self, k: &mut Kit, g: GoId, now: SimTime) {
        let gi = g as usize;
        if self.gs[gi].state != GState::BlockedSelect {
            return;
        }
        self.end_select_wait(k, g);
        let prog = self.gs[gi].prog.clone();
        let Op::Select { sel } = prog.ops[self.gs[gi].pc as usize] else { return };
        let Some((_, target)) = prog.selects[sel as usize].after else { return };
        // An offered value stays held: a retry sends the same one.
        k.record(EventKind::SelectChose, g, NONE, None, -2);
        self.gs[gi].pc = target;
        self.set_state(g, GState::Runnable, now);
        self.run_goroutine(k, g, now);
    }

    /// Work or sleep finished. Inlined into the event dispatch: half the
    /// events are wakes.
    #[inline(always)]
    pub(crate) fn wake(&mut self, k: &mut Kit, g: GoId, now: SimTime) {
        let gr = &mut self.gs[g as usize];
        match gr.state {
            GState::Working => k.ledger.record(now, EventKind::WorkEnd, g, NONE, gr.held, 0),
            GState::Sleeping => {}
            _ => return,
        }
        gr.pc = gr.prog.resume[gr.pc as usize];
        gr.enter(GState::Runnable, now);
        // A wake pops only while the program runs, and the goroutine was
        // working or sleeping: only a pause can hold it back.
        if gr.paused {
            return self.run_goroutine(k, g, now);
        }
        self.run_ops(k, g, now);
    }

    /// `close(ch)` by `by` (or by a live command when `None`). Returns
    /// `false` if the program crashed (double close, or a parked sender).
    pub(crate) fn close_channel(&mut self, k: &mut Kit, ch: u32, by: Option<GoId>, now: SimTime) -> bool {
        let mut receivers = std::mem::take(&mut self.scratch_waiters);
        let mut senders = std::mem::take(&mut self.scratch_waiters2);
        receivers.clear();
        senders.clear();
        let closed = self.chans[ch as usize].close(&mut receivers, &mut senders);
        let result = match closed {
            Err(_) => {
                if let Some(g) = by {
                    self.panic(k, g, "close of closed channel", now);
                }
                false
            }
            Ok(()) => {
                k.record(EventKind::Closed, by.unwrap_or(NONE), ch, None, 0);
                for r in receivers.iter() {
                    self.deliver_to_parked(k, *r, ch, None, now);
                }
                // Every parked sender panics; the first one crashes the
                // program. A select parked on both sides of this channel was
                // already woken through its receive case above (Go's
                // closechan releases receivers first and wakes a select
                // once), so its send wait does not panic.
                let first = senders
                    .iter()
                    .find(|s| matches!(self.gs[s.g as usize].state, GState::BlockedSend | GState::BlockedSelect));
                match first {
                    Some(s) => {
                        let g = s.g;
                        self.panic(k, g, "send on closed channel", now);
                        false
                    }
                    None => true,
                }
            }
        };
        self.scratch_waiters = receivers;
        self.scratch_waiters2 = senders;
        result
    }

    /// `wg.Add(n)` by `g`. Returns `false` if it panicked.
    ///
    /// Go keeps the counter in 32 bits (`sync.WaitGroup`'s state word): a
    /// counter pushed past `MaxInt32` wraps negative there and panics with
    /// "negative WaitGroup counter". The model checks instead of wrapping
    /// and panics with Go's message and the reason.
    fn wg_add(&mut self, k: &mut Kit, wg: u32, n: i64, g: GoId, now: SimTime) -> bool {
        let w = &mut self.wgs[wg as usize];
        w.counter = w.counter.saturating_add(n);
        let counter = w.counter;
        k.record(if n < 0 { EventKind::WgDone } else { EventKind::WgAdd }, g, NONE, None, counter);
        if counter < 0 {
            self.panic(k, g, "sync: negative WaitGroup counter", now);
            return false;
        }
        if counter > i64::from(i32::MAX) {
            self.panic(k, g, "sync: negative WaitGroup counter (the 32-bit counter overflowed and wrapped)", now);
            return false;
        }
        if counter == 0 {
            let waiters = std::mem::take(&mut self.wgs[wg as usize].waiters);
            for w in waiters {
                self.gs[w as usize].pc += 1;
                k.record(EventKind::Unblocked, w, NONE, None, i64::from(wg));
                self.make_runnable(k, w, now);
            }
        }
        true
    }

    /// `g` leaves every channel's wait queues (a removed or panicked
    /// goroutine); the values it offered there stay its own (held).
    pub(crate) fn withdraw_everywhere(&mut self, g: GoId) {
        let mut offered = std::mem::take(&mut self.scratch_msgs);
        for c in self.chans.iter_mut() {
            c.withdraw(g, &mut offered);
        }
        offered.clear();
        self.scratch_msgs = offered;
        self.gs[g as usize].parked.clear();
    }

    /// An unrecovered panic in `g`: Go crashes the whole program.
    pub(crate) fn panic(&mut self, k: &mut Kit, g: GoId, message: &str, now: SimTime) {
        let gi = g as usize;
        self.cancel_g(k, g);
        let id = g + 1;
        let name = self.gs[gi].name.clone();
        let line = self.gs[gi].prog.op_line[self.gs[gi].pc as usize] as usize;
        let code = self.gs[gi].prog.lines.get(line).map(|l| l.text.clone()).unwrap_or_default();
        k.record(EventKind::Panicked, g, NONE, None, 0);
        // A select that panics on one case (its send channel was closed)
        // no longer waits on its other channels.
        self.withdraw_everywhere(g);
        self.drop_held(k, g, DropCause::Panicked);
        self.set_state(g, GState::Panicked, now);
        // A goroutine that panicked is not stuck (a sender flagged stuck
        // panics when its channel is closed): drop it from the report.
        self.gs[gi].stuck = false;
        if let Some(d) = &mut k.run.deadlock {
            d.stuck.retain(|w| w.goroutine != g);
        }
        if k.run.deadlock.as_ref().is_some_and(|d| d.stuck.is_empty()) {
            k.run.deadlock = None;
        }
        k.run.panic = Some(PanicReport {
            goroutine: g,
            name: name.clone(),
            message: message.to_owned(),
            at_us: now.as_micros(),
            text: format!("panic: {message}\n\ngoroutine {id} [running]:\nmain.{name}()\n\t{code}\nexit status 2"),
        });
        self.end(k, RunStatus::Panicked, now);
    }
}
