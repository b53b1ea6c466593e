//! The go-nsq consumer's backoff state machine (`consumer.go`:
//! `startStopContinueBackoff`, `backoff`, `resume`, `inBackoff`,
//! `inBackoffTimeout`; `config.go`: `ExponentialStrategy`,
//! `FullJitterStrategy`).
//!
//! # Semantics
//! State: a level (`backoffCounter`, n) and a wait (`backoffDuration`, > 0
//! while a resume timer runs). Signals come from the connections' write
//! loop: **backoff** (a REQ with backoff: handler error or `Requeue`),
//! **continue** (`RequeueWithoutBackoff`), **resume** (a FIN).
//! - A signal arriving during a wait is ignored.
//! - backoff: n + 1, but only if `Calculate(n + 1) <= MaxBackoffDuration`
//!   (exponential `multiplier * 2^(n+1)`; with the defaults 1 s and 2 min
//!   the level stops at 6, so the longest wait is 64 s).
//! - resume: n - 1 if n > 0. continue: n unchanged.
//! - Then, if the level just dropped to 0: every connection gets
//!   `perConnMaxInFlight` back. Else if n > 0 (whatever the signal): RDY 0
//!   on every connection and a wait of `min(Calculate(n),
//!   MaxBackoffDuration)`. Else nothing.
//! - When the wait ends (`resume`): `RDY 1` on one random connection
//!   (`next_u64() % conns`) and the wait is over. With no connection, or if
//!   that RDY is refused, wait 1 s more and try again. A stopped consumer
//!   just ends the wait.
//!
//! `FullJitterStrategy` draws `Calculate(n)` uniformly in
//! `[0, multiplier * 2^n)`, also for the `<= MaxBackoffDuration` test, as
//! go-nsq does. Durations saturate instead of overflowing.

use super::rdy::RdyBook;
use super::{Action, Timer};
use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime};

/// The wait after a resume that found no connection (`time.Second`).
pub const RESUME_RETRY: SimDuration = SimDuration::from_secs(1);

/// `Config.BackoffStrategy`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BackoffStrategy {
    /// `multiplier * 2^n` (the default).
    #[default]
    Exponential,
    /// Uniform in `[0, multiplier * 2^n)`.
    FullJitter,
}

/// A backoff signal (`backoffFlag`, `continueFlag`, `resumeFlag`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    Backoff,
    Continue,
    Resume,
}

/// What a signal did (for the caller's log; the RDY commands and the timer
/// are already in the action list).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackoffOutcome {
    /// A wait was running: the signal was ignored.
    Ignored,
    /// Level back to 0: every connection got its share back.
    Exited,
    /// RDY 0 everywhere and a wait of this long.
    Waiting(SimDuration),
    /// Level 0 and unchanged: nothing to do.
    Normal,
}

/// The backoff state of one consumer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backoff {
    counter: u32,
    /// `backoffDuration`: non-zero while a wait runs.
    duration: SimDuration,
    /// When the pending resume fires (Go's `time.AfterFunc`).
    resume_at: Option<SimTime>,
    multiplier: SimDuration,
    max_duration: SimDuration,
    strategy: BackoffStrategy,
}

impl Backoff {
    pub fn new(
        multiplier: SimDuration,
        max_duration: SimDuration,
        strategy: BackoffStrategy,
    ) -> Self {
        Backoff {
            counter: 0,
            duration: SimDuration::ZERO,
            resume_at: None,
            multiplier,
            max_duration,
            strategy,
        }
    }

    /// The backoff level n (`backoffCounter`).
    pub fn level(&self) -> u32 {
        self.counter
    }
    /// `inBackoff`: level > 0.
    pub fn in_backoff(&self) -> bool {
        self.counter > 0
    }
    /// `inBackoffTimeout`: a wait is running.
    pub fn in_backoff_timeout(&self) -> bool {
        !self.duration.is_zero()
    }
    /// The length of the running wait (zero if none).
    pub fn wait(&self) -> SimDuration {
        self.duration
    }
    /// When the pending resume fires.
    pub fn resume_at(&self) -> Option<SimTime> {
        self.resume_at
    }

    /// `BackoffStrategy.Calculate(attempt)`.
    pub fn calculate(&self, attempt: u32, rng: &mut SimRng) -> SimDuration {
        let d = exponential(self.multiplier, attempt);
        match self.strategy {
            BackoffStrategy::Exponential => d,
            BackoffStrategy::FullJitter => {
                if d.is_zero() {
                    SimDuration::ZERO
                } else {
                    SimDuration::from_micros(rng.next_u64() % d.as_micros())
                }
            }
        }
    }

    /// `startStopContinueBackoff(conn, signal)`.
    pub fn on_signal(
        &mut self,
        signal: Signal,
        book: &mut RdyBook,
        now: SimTime,
        rng: &mut SimRng,
        out: &mut Vec<Action>,
    ) -> BackoffOutcome {
        if self.in_backoff_timeout() {
            return BackoffOutcome::Ignored;
        }
        let mut updated = false;
        match signal {
            Signal::Resume => {
                if self.counter > 0 {
                    self.counter -= 1;
                    updated = true;
                }
            }
            Signal::Backoff => {
                let next = self.calculate(self.counter.saturating_add(1), rng);
                if next <= self.max_duration && self.counter < u32::MAX {
                    self.counter += 1;
                    updated = true;
                }
            }
            Signal::Continue => {}
        }

        if self.counter == 0 && updated {
            // exit backoff: every connection back to its share
            let count = book.per_conn_max_in_flight();
            let nodes: Vec<_> = book.conns().iter().map(|c| c.node).collect();
            for node in nodes {
                let _ = book.update_rdy(node, count, now, out);
            }
            BackoffOutcome::Exited
        } else if self.counter > 0 {
            // start or continue backoff
            let d = self.calculate(self.counter, rng).min(self.max_duration);
            // send RDY 0 immediately (to *all* connections)
            let nodes: Vec<_> = book.conns().iter().map(|c| c.node).collect();
            for node in nodes {
                let _ = book.update_rdy(node, 0, now, out);
            }
            self.backoff(d, now, out);
            BackoffOutcome::Waiting(d)
        } else {
            BackoffOutcome::Normal
        }
    }

    /// `backoff(d)`: start a wait of `d` and schedule the resume.
    fn backoff(&mut self, d: SimDuration, now: SimTime, out: &mut Vec<Action>) {
        self.duration = d;
        let at = now + d;
        self.resume_at = Some(at);
        out.push(Action::At {
            at,
            timer: Timer::Backoff,
        });
    }

    /// The wait is over (`resume`). `stopped`: the consumer is stopping.
    /// A call when no resume is due does nothing.
    pub fn on_backoff_timer(
        &mut self,
        book: &mut RdyBook,
        stopped: bool,
        now: SimTime,
        rng: &mut SimRng,
        out: &mut Vec<Action>,
    ) {
        match self.resume_at {
            Some(at) if at <= now => self.resume_at = None,
            _ => return,
        }
        if stopped {
            self.duration = SimDuration::ZERO;
            return;
        }
        // pick a random connection to test the waters
        let n = book.len() as u64;
        if n == 0 {
            self.backoff(RESUME_RETRY, now, out);
            return;
        }
        let idx = (rng.next_u64() % n) as usize;
        let Some(node) = book.conns().get(idx).map(|c| c.node) else {
            return;
        };
        // while in backoff only ever let 1 message at a time through
        if book.update_rdy(node, 1, now, out).is_err() {
            self.backoff(RESUME_RETRY, now, out);
            return;
        }
        self.duration = SimDuration::ZERO;
    }
}

/// `multiplier * 2^attempt`, saturating.
pub fn exponential(multiplier: SimDuration, attempt: u32) -> SimDuration {
    let factor = 1u64.checked_shl(attempt).unwrap_or(u64::MAX);
    SimDuration::from_micros(multiplier.as_micros().saturating_mul(factor))
}
