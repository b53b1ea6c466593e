//! A channel's E2E processing latency, over nsqd's rolling window.
//!
//! Semantics (nsqd v1.3, `internal/quantile/quantile.go`; the channel's
//! `e2eProcessingLatencyStream`): every successful FIN records `now -
//! message timestamp`. nsqd keeps two streams and a mark, `lastMoveWindow`,
//! starting when the channel is created. Whenever an insert or a query
//! finds `now` more than half the window (`--e2e-processing-latency-window-time`,
//! 10 min, so 5 min) past the mark, the mark moves on by half a window and
//! the streams swap: the older one is cleared and takes the new samples
//! (repeated until the mark is within half a window of `now`). A query
//! reads both streams merged: the FINs of the current half window and of
//! the one before, so between 5 and 10 minutes of history.
//!
//! The model keeps each stream as a [`Latency`] histogram (buckets within
//! 3 %; nsqd's streams are approximate, targeted quantiles) and, after the
//! first move, their sum (what a query reads), so a query needs no
//! allocation and no `&mut`. A run shorter than half a window carries one
//! histogram, as before the window was modelled. nsqd computes these
//! percentiles only when `--e2e-processing-latency-percentile` is set (off
//! by default); the model always does.

use crate::observe::stats::Latency;
use crate::time::{SimDuration, SimTime};

/// nsqd's `--e2e-processing-latency-window-time` default.
pub const DEFAULT_E2E_WINDOW: SimDuration = SimDuration::from_secs(10 * 60);

/// Grouping power of the streams' histograms (buckets within 3 %).
const GROUPING: u8 = 5;

/// The two streams of nsqd's quantile window and the mark between them.
#[derive(Clone, Debug)]
pub struct E2eWindow {
    /// Half the window: how far the mark moves at a time.
    half: SimDuration,
    /// `lastMoveWindow`.
    mark: SimTime,
    /// The stream new FINs go to.
    current: Latency,
    /// After the first move: the other stream and the sum of both.
    older: Option<Box<Older>>,
}

#[derive(Clone, Debug)]
struct Older {
    previous: Latency,
    both: Latency,
}

impl E2eWindow {
    /// A channel's stream, created at `now`, over a window of `window`
    /// (at least 2 µs: half of it must be positive).
    pub fn new(now: SimTime, window: SimDuration) -> E2eWindow {
        let half = SimDuration::from_micros((window.as_micros() / 2).max(1));
        E2eWindow { half, mark: now, current: Latency::with_grouping(GROUPING), older: None }
    }

    /// How many times the mark moves to come within half a window of `now`.
    fn moves(&self, now: SimTime) -> u64 {
        let d = now.as_micros().saturating_sub(self.mark.as_micros());
        if d <= self.half.as_micros() {
            0
        } else {
            (d - 1) / self.half.as_micros()
        }
    }

    /// Records one FIN's latency at `now` (moving the window first).
    pub fn record(&mut self, now: SimTime, us: u64) {
        self.catch_up(now);
        self.current.record(us);
        if let Some(o) = self.older.as_deref_mut() {
            o.both.record(us);
        }
    }

    /// `moveWindow`, as many times as `now` needs.
    fn catch_up(&mut self, now: SimTime) {
        let k = self.moves(now);
        if k == 0 {
            return;
        }
        self.mark = self.mark.saturating_add(SimDuration::from_micros(k * self.half.as_micros()));
        match (k, self.older.as_deref_mut()) {
            // Both streams are older than the window: both cleared.
            (2.., Some(o)) => {
                self.current.reset();
                o.previous.reset();
                o.both.reset();
            }
            (2.., None) => self.current.reset(),
            // The current stream becomes the previous one; the cleared
            // previous one takes the new samples.
            (_, Some(o)) => {
                o.previous.reset();
                std::mem::swap(&mut self.current, &mut o.previous);
                o.both.copy_from(&o.previous);
            }
            (_, None) => {
                let previous = std::mem::replace(&mut self.current, Latency::with_grouping(GROUPING));
                let both = previous.clone();
                self.older = Some(Box::new(Older { previous, both }));
            }
        }
    }

    /// What a query at `now` reads (`QueryHandler`): both streams, or only
    /// the current one when the window would move once first, or nothing
    /// when it would move twice or more.
    fn at(&self, now: SimTime) -> Option<&Latency> {
        match self.moves(now) {
            0 => Some(self.older.as_deref().map_or(&self.current, |o| &o.both)),
            1 => Some(&self.current),
            _ => None,
        }
    }

    /// The number of FINs in the window at `now` (`Result.Count`).
    pub fn count(&self, now: SimTime) -> u64 {
        self.at(now).map_or(0, Latency::count)
    }

    /// The window's p50 and p99 at `now`, `None` when it holds no FIN.
    pub fn p50_p99(&self, now: SimTime) -> Option<(u64, u64)> {
        self.at(now).filter(|l| l.count() > 0).map(Latency::p50_p99)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn s(secs: u64) -> SimTime {
        SimTime::from_micros(secs * 1_000_000)
    }

    #[test]
    fn a_run_shorter_than_half_a_window_reads_every_fin() {
        let mut w = E2eWindow::new(s(0), DEFAULT_E2E_WINDOW);
        for i in 1..=100 {
            w.record(s(i), i * 1000);
        }
        assert_eq!(w.count(s(300)), 100);
        assert!(w.older.is_none(), "no second histogram before the first move");
        let (p50, p99) = w.p50_p99(s(300)).unwrap();
        assert!((49_000..=52_000).contains(&p50) && (98_000..=100_000).contains(&p99), "{p50} {p99}");
    }

    #[test]
    fn the_window_moves_by_half_at_a_time_as_nsqd_does() {
        // Window 10 min: the mark moves at 5 min, 10 min, ... (latencies
        // below 64 µs: exact buckets).
        let mut w = E2eWindow::new(s(0), DEFAULT_E2E_WINDOW);
        w.record(s(10), 10); // first half
        w.record(s(300), 20); // at the mark + half: not after it, no move
        assert_eq!(w.count(s(300)), 2);
        // Just after 5 min a query would move once: only the current stream is left.
        assert_eq!(w.count(s(301)), 2);
        w.record(s(400), 30); // moves: the first half is now the previous stream
        assert_eq!(w.count(s(400)), 3);
        assert_eq!(w.count(s(600)), 3);
        // After 10 min the first half is dropped; the second stays.
        assert_eq!(w.count(s(601)), 1);
        w.record(s(700), 40);
        assert_eq!(w.count(s(700)), 2);
        assert_eq!(w.p50_p99(s(700)), Some((30, 40)));
        // Idle for more than a whole window: nothing is left.
        assert_eq!(w.count(s(1_600)), 0);
        assert_eq!(w.p50_p99(s(1_600)), None);
        w.record(s(1_600), 50);
        assert_eq!(w.count(s(1_600)), 1);
        assert_eq!(w.p50_p99(s(1_600)), Some((50, 50)));
    }

    #[test]
    fn the_mark_starts_when_the_channel_is_created() {
        let mut w = E2eWindow::new(s(100), DEFAULT_E2E_WINDOW);
        w.record(s(150), 1_000);
        w.record(s(400), 1_000);
        // 400 s is within half a window of the mark (100 s): one stream still.
        assert!(w.older.is_none());
        w.record(s(401), 1_000);
        assert!(w.older.is_some());
        assert_eq!(w.count(s(401)), 3);
    }

    proptest! {
        /// The window agrees with a list of FINs, each kept with the mark
        /// it was recorded under, read by nsqd's rule: a query at `t` moves
        /// the mark as far as `t` needs and reads the FINs recorded under
        /// that mark or the one half a window before it; also for queries
        /// some time after the last FIN.
        #[test]
        fn agrees_with_a_list_of_fins(
            fins in prop::collection::vec((0u64..400_000_000, 1u64..100_000, 0u64..1_500_000_000), 1..150),
            window_s in 2u64..1_200,
        ) {
            let window = SimDuration::from_secs(window_s);
            let half = window.as_micros() / 2;
            let mark_at = |mark: u64, t: u64| if t > mark + half { mark + (t - mark - 1) / half * half } else { mark };
            let mut w = E2eWindow::new(s(0), window);
            let mut now = 0u64;
            let mut mark = 0u64;
            let mut list: Vec<(u64, u64)> = Vec::new(); // (mark when recorded, latency)
            for (gap, us, probe) in fins {
                now += gap;
                mark = mark_at(mark, now);
                w.record(SimTime::from_micros(now), us);
                list.push((mark, us));
                for t in [now, now + probe] {
                    let m = mark_at(mark, t);
                    let kept: Vec<u64> = list.iter().filter(|(at, _)| at + half >= m).map(|&(_, u)| u).collect();
                    prop_assert_eq!(w.count(SimTime::from_micros(t)), kept.len() as u64);
                    let mut h = Latency::with_grouping(GROUPING);
                    for &u in &kept {
                        h.record(u);
                    }
                    let expect = if kept.is_empty() { None } else { Some(h.p50_p99()) };
                    prop_assert_eq!(w.p50_p99(SimTime::from_micros(t)), expect);
                }
            }
        }
    }
}
