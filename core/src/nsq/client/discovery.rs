//! go-nsq's lookupd polling (`consumer.go`: `ConnectToNSQLookupd`,
//! `lookupdLoop`, `nextLookupdEndpoint`, `queryLookupd`,
//! `DisconnectFromNSQLookupd`, the `lookupdRecheckChan` of `onConnClose`).
//!
//! # Semantics
//! - The first lookupd added triggers a lookup at once and starts the loop:
//!   a jitter wait of `rng.Float64() * LookupdPollJitter * interval`
//!   (truncated; 0-18 s with the defaults), then a ticker every
//!   `LookupdPollInterval`. Later lookupds only join the list.
//! - Each poll asks *one* lookupd: the list is walked round robin with an
//!   index that wraps (`nextLookupdEndpoint`). A failed query (any error,
//!   including a 404) asks the next one, 3 tries per poll.
//! - A recheck (a connection closed) polls at once once the ticker runs;
//!   during the jitter wait it is buffered (channel of 1) and done when the
//!   wait ends.
//! - The last lookupd cannot be removed.
//!
//! # Simplification
//! go-nsq starts the jitter wait after the first (synchronous) lookup
//! returns; the model starts it when the lookup is sent.

use super::{Action, ClientError, LookupdId, Timer};
use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime};

/// `queryLookupd` tries this many lookupds per poll.
pub const LOOKUPD_TRIES: u8 = 3;

/// Where `lookupdLoop` is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Poll {
    /// No lookupd yet.
    NotStarted,
    /// Waiting for the initial jitter.
    Jitter,
    /// The poll ticker runs.
    Ticking,
}

/// The lookupd list and the polling loop's state.
#[derive(Clone, Debug, PartialEq)]
pub struct Discovery {
    lookupds: Vec<LookupdId>,
    index: usize,
    poll: Poll,
    recheck_pending: bool,
    interval: SimDuration,
    jitter: f64,
}

impl Discovery {
    pub fn new(interval: SimDuration, jitter: f64) -> Self {
        Discovery {
            lookupds: Vec::new(),
            index: 0,
            poll: Poll::NotStarted,
            recheck_pending: false,
            interval,
            jitter,
        }
    }

    pub fn lookupds(&self) -> &[LookupdId] {
        &self.lookupds
    }
    pub fn poll(&self) -> Poll {
        self.poll
    }

    /// `ConnectToNSQLookupd` (after the consumer's own checks). A known
    /// lookupd is ignored.
    pub fn add(&mut self, lookupd: LookupdId, now: SimTime, rng: &mut SimRng) -> Vec<Action> {
        let mut out = Vec::new();
        if self.lookupds.contains(&lookupd) {
            return out;
        }
        self.lookupds.push(lookupd);
        if self.lookupds.len() == 1 {
            self.query(0, &mut out);
            let at = now + self.poll_jitter(rng);
            self.poll = Poll::Jitter;
            out.push(Action::At {
                at,
                timer: Timer::LookupdJitter,
            });
        }
        out
    }

    /// `DisconnectFromNSQLookupd`: refused for an unknown or the last one.
    pub fn remove(&mut self, lookupd: LookupdId) -> Result<(), ClientError> {
        let i = self
            .lookupds
            .iter()
            .position(|l| *l == lookupd)
            .ok_or(ClientError::UnknownLookupd(lookupd))?;
        if self.lookupds.len() == 1 {
            return Err(ClientError::LastLookupd(lookupd));
        }
        self.lookupds.remove(i);
        Ok(())
    }

    /// `rng.Float64() * LookupdPollJitter * LookupdPollInterval`, truncated.
    pub fn poll_jitter(&self, rng: &mut SimRng) -> SimDuration {
        let u = (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
        let span = self.interval.as_micros() as f64;
        SimDuration::from_micros((u * self.jitter * span) as u64)
    }

    /// `nextLookupdEndpoint` and the request.
    pub fn query(&mut self, attempt: u8, out: &mut Vec<Action>) {
        if self.lookupds.is_empty() {
            return;
        }
        if self.index >= self.lookupds.len() {
            self.index = 0;
        }
        let lookupd = self.lookupds[self.index];
        self.index = (self.index + 1) % self.lookupds.len();
        out.push(Action::QueryLookupd { lookupd, attempt });
    }

    /// A query failed: ask the next lookupd, up to 3 tries.
    pub fn on_failure(&mut self, attempt: u8, out: &mut Vec<Action>) {
        if attempt.saturating_add(1) < LOOKUPD_TRIES {
            self.query(attempt + 1, out);
        }
    }

    /// `lookupdRecheckChan <- 1` (a connection closed).
    pub fn recheck(&mut self, out: &mut Vec<Action>) {
        match self.poll {
            Poll::Ticking => self.query(0, out),
            Poll::Jitter => self.recheck_pending = true,
            Poll::NotStarted => {}
        }
    }

    /// The jitter wait is over: start the ticker (and do a buffered
    /// recheck).
    pub fn on_jitter_timer(&mut self, now: SimTime, out: &mut Vec<Action>) {
        if self.poll != Poll::Jitter {
            return;
        }
        self.poll = Poll::Ticking;
        out.push(Action::At {
            at: now + self.interval,
            timer: Timer::LookupdPoll,
        });
        if std::mem::take(&mut self.recheck_pending) {
            self.query(0, out);
        }
    }

    /// A tick of the poll ticker.
    pub fn on_poll_timer(&mut self, now: SimTime, out: &mut Vec<Action>) {
        if self.poll != Poll::Ticking {
            return;
        }
        self.query(0, out);
        out.push(Action::At {
            at: now + self.interval,
            timer: Timer::LookupdPoll,
        });
    }
}
