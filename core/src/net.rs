//! Network links between processes (a client and an nsqd, an nsqd and a
//! lookupd, a Kafka client and a broker): what a TCP connection does to the
//! frames sent over it.
//!
//! # Semantics
//! - **While up, a link is reliable and ordered.** A frame sent at `t`
//!   arrives at `t + latency`, where the latency is drawn from the link's
//!   distribution for each frame, but never before a frame sent earlier on
//!   the same link: TCP delivers a byte stream in order, so a fast frame
//!   waits behind a slow one (head-of-line blocking).
//! - **A cut link passes nothing**, in either direction, and neither side
//!   is told: frames already on their way and frames sent while cut wait
//!   (TCP retransmits them). Each side notices only through its own
//!   timeouts (nsqd closes a client it has not heard from for 60 s; a
//!   client misses heartbeats), as with real TCP.
//! - **Healing** a link sends every waiting frame on, in order, each with a
//!   fresh latency from the moment of healing.
//! - **Closing** the connection (either side gave up, or a process
//!   crashed) drops every frame still on the link; [`Link::close`] returns
//!   them so the ledger can say what was lost and why. A closed link
//!   carries nothing until it is opened again by a new connection.
//! - **The sender's close travels behind its data** ([`Link::send_close`]):
//!   TCP delivers what a side wrote before its FIN, so the frames already
//!   on the link still arrive, then the close frame; nothing more may be
//!   sent on it. (The receiver's side of the close is the world's: it
//!   calls [`Link::close`] when the close frame arrives.)
//!
//! # Simplifications
//! A link carries whole frames (no byte stream, no bandwidth, no window):
//! a frame's size never delays it. Latency is one draw per frame; the
//! in-order rule keeps a burst's frames in order.
//!
//! # How the world drives it
//! A link never holds the event queue. [`Link::send`] returns the instant
//! the frame should arrive if it is moving; the world schedules an arrival
//! event for that instant naming only the link (so an event stays small).
//! At that event the world calls [`Link::arrive`], which hands over the
//! oldest frame if it is due and `None` otherwise. Arrival times on a link
//! never decrease, so each frame is handed over by the first arrival event
//! at or after its time, which is its own or an earlier-scheduled one at
//! the same or a later instant, never before it is due; an event left over
//! from before a cut or a close finds nothing due and changes nothing.
//! [`Link::heal`] returns the new arrival instants of the frames that were
//! waiting, one event each.

use crate::dist::Dist;
use crate::rng::SimRng;
use crate::time::SimTime;
use std::collections::VecDeque;

/// Whether a link passes frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkState {
    Up,
    /// Cut: frames wait on the link, nobody is told.
    Cut,
    /// No connection: nothing is carried.
    Closed,
}

/// One frame on the link, with its arrival time while moving.
#[derive(Clone, Debug)]
struct OnLink<F> {
    /// When it arrives (`None` while the link is cut).
    at: Option<SimTime>,
    frame: F,
}

/// A connection's path between two processes, one direction. (A TCP
/// connection is two links, one per direction; cutting the network cuts
/// both.)
#[derive(Clone, Debug)]
pub struct Link<F> {
    latency: Dist,
    state: LinkState,
    /// Frames sent and not yet arrived, oldest first.
    frames: VecDeque<OnLink<F>>,
    /// Arrival time of the newest moving frame (the in-order floor).
    last_at: SimTime,
    /// Frames carried to the other end, in all.
    pub delivered: u64,
    /// Frames dropped when the connection closed, in all.
    pub dropped: u64,
    /// The sender has closed its end: its close frame is the last on the
    /// link, and nothing more is sent.
    closing: bool,
}

impl<F> Link<F> {
    /// An open link whose frames take `latency` each.
    pub fn new(latency: Dist) -> Link<F> {
        Link {
            latency,
            state: LinkState::Up,
            frames: VecDeque::new(),
            last_at: SimTime::ZERO,
            delivered: 0,
            dropped: 0,
            closing: false,
        }
    }

    pub fn state(&self) -> LinkState {
        self.state
    }

    /// Whether the sender's close is on the link ([`Link::send_close`]).
    pub fn closing(&self) -> bool {
        self.closing
    }

    /// Frames on the link now (moving or waiting).
    pub fn in_transit(&self) -> usize {
        self.frames.len()
    }

    /// The frames on the link, oldest first.
    pub fn frames(&self) -> impl Iterator<Item = &F> {
        self.frames.iter().map(|f| &f.frame)
    }

    /// Changes the latency for frames sent from now on.
    pub fn set_latency(&mut self, latency: Dist) {
        self.latency = latency;
    }

    /// The arrival of a frame sent now: a fresh latency, never before the
    /// frame ahead of it.
    fn arrival(&mut self, now: SimTime, rng: &mut SimRng) -> SimTime {
        let at = (now + self.latency.sample(rng, now)).max(self.last_at).max(now);
        self.last_at = at;
        at
    }

    /// Sends `frame` at `now`. Returns when it arrives if it is moving (the
    /// world schedules an arrival event then); `None` if it waits on a cut
    /// link. On a closed link the frame is refused and given back.
    pub fn send(&mut self, now: SimTime, frame: F, rng: &mut SimRng) -> Result<Option<SimTime>, F> {
        if self.state == LinkState::Closed || self.closing {
            return Err(frame);
        }
        let at = (self.state == LinkState::Up).then(|| self.arrival(now, rng));
        self.frames.push_back(OnLink { at, frame });
        Ok(at)
    }

    /// The sender closes its end at `now`: `frame` (its close) goes behind
    /// every frame on the link and arrives with the last of them (it takes
    /// no latency of its own), or at `now` if none is on the link. Nothing
    /// can be sent after it. Returns its arrival as [`Link::send`] does.
    pub fn send_close(&mut self, now: SimTime, frame: F) -> Result<Option<SimTime>, F> {
        if self.state == LinkState::Closed || self.closing {
            return Err(frame);
        }
        let at = (self.state == LinkState::Up).then(|| self.last_at.max(now));
        if let Some(at) = at {
            self.last_at = at;
        }
        self.frames.push_back(OnLink { at, frame });
        self.closing = true;
        Ok(at)
    }

    /// An arrival event of this link fired at `now`: the oldest frame if it
    /// is due, else `None` (a stale event).
    pub fn arrive(&mut self, now: SimTime) -> Option<F> {
        if self.state != LinkState::Up {
            return None;
        }
        if self.frames.front()?.at.is_none_or(|at| at > now) {
            return None;
        }
        self.delivered += 1;
        self.frames.pop_front().map(|f| f.frame)
    }

    /// Cuts the link: nothing passes until [`Link::heal`]. Pending arrival
    /// events go stale. Returns `false` if it was not up.
    pub fn cut(&mut self) -> bool {
        if self.state != LinkState::Up {
            return false;
        }
        self.state = LinkState::Cut;
        for f in self.frames.iter_mut() {
            f.at = None;
        }
        true
    }

    /// Heals a cut link at `now`: every waiting frame moves on, in order,
    /// each with a fresh latency. Returns their arrivals for the world to
    /// schedule (empty if the link was not cut).
    pub fn heal(&mut self, now: SimTime, rng: &mut SimRng) -> Vec<SimTime> {
        if self.state != LinkState::Cut {
            return Vec::new();
        }
        self.state = LinkState::Up;
        self.last_at = now;
        let mut out = Vec::with_capacity(self.frames.len());
        for i in 0..self.frames.len() {
            let at = self.arrival(now, rng);
            self.frames[i].at = Some(at);
            out.push(at);
        }
        out
    }

    /// Closes the connection: every frame still on the link is dropped and
    /// returned, oldest first. Pending arrival events go stale.
    pub fn close(&mut self) -> Vec<F> {
        self.state = LinkState::Closed;
        self.closing = false;
        self.retain(|_| false)
    }

    /// The sender's process stopped: of the frames on the link, those
    /// `keep` picks go on and arrive as sent (they were written before it
    /// stopped); the others are dropped and returned, oldest first. The
    /// link stays as it is. Their pending arrival events go stale.
    pub fn retain(&mut self, mut keep: impl FnMut(&F) -> bool) -> Vec<F> {
        let mut lost = Vec::new();
        let mut kept = VecDeque::with_capacity(self.frames.len());
        for f in self.frames.drain(..) {
            if keep(&f.frame) {
                kept.push_back(f);
            } else {
                lost.push(f.frame);
            }
        }
        self.frames = kept;
        self.dropped += lost.len() as u64;
        lost
    }

    /// Opens a closed link for a new connection (a cut one stays cut: the
    /// network is still down). Returns `false` if it was not closed.
    pub fn open(&mut self, now: SimTime) -> bool {
        if self.state != LinkState::Closed {
            return false;
        }
        self.state = LinkState::Up;
        self.last_at = now;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::SimDuration;
    use proptest::prelude::*;

    fn ms(x: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_millis(x)
    }

    fn constant(ms: u64) -> Dist {
        Dist::Constant(SimDuration::from_millis(ms))
    }

    #[test]
    fn frames_arrive_after_the_latency() {
        let mut rng = SimRng::new(1);
        let mut l: Link<&str> = Link::new(constant(5));
        let at = l.send(ms(10), "a", &mut rng).unwrap().unwrap();
        assert_eq!(at, ms(15));
        assert_eq!(l.arrive(ms(14)), None, "not yet");
        assert_eq!(l.arrive(ms(15)), Some("a"));
        assert_eq!(l.delivered, 1);
        assert_eq!(l.arrive(ms(15)), None, "once");
    }

    #[test]
    fn a_fast_frame_waits_behind_a_slow_one() {
        let mut rng = SimRng::new(1);
        let mut l: Link<u32> = Link::new(constant(50));
        let a = l.send(ms(0), 1, &mut rng).unwrap().unwrap();
        l.set_latency(constant(1));
        let b = l.send(ms(10), 2, &mut rng).unwrap().unwrap();
        assert_eq!(a, ms(50));
        assert_eq!(b, ms(50), "in order: not before the frame ahead");
    }

    #[test]
    fn a_cut_holds_frames_and_a_heal_sends_them_on_in_order() {
        let mut rng = SimRng::new(1);
        let mut l: Link<u32> = Link::new(constant(5));
        l.send(ms(0), 1, &mut rng).unwrap().unwrap();
        assert!(l.cut());
        assert_eq!(l.arrive(ms(5)), None, "stale: the link was cut");
        assert_eq!(l.send(ms(6), 2, &mut rng).unwrap(), None, "waits on the cut link");
        assert_eq!(l.in_transit(), 2);
        let arrivals = l.heal(ms(100), &mut rng);
        assert_eq!(arrivals.len(), 2);
        assert_eq!(arrivals[0], ms(105));
        assert!(arrivals[1] >= arrivals[0]);
        assert_eq!(l.arrive(arrivals[0]), Some(1));
        assert_eq!(l.arrive(arrivals[1]), Some(2));
        assert!(l.cut());
        assert!(!l.cut(), "already cut");
        assert_eq!(l.state(), LinkState::Cut);
    }

    #[test]
    fn closing_drops_and_returns_what_was_on_the_link() {
        let mut rng = SimRng::new(1);
        let mut l: Link<u32> = Link::new(constant(5));
        l.send(ms(0), 1, &mut rng).unwrap().unwrap();
        l.send(ms(1), 2, &mut rng).unwrap();
        assert_eq!(l.close(), vec![1, 2]);
        assert_eq!(l.dropped, 2);
        assert_eq!(l.arrive(ms(5)), None);
        assert_eq!(l.send(ms(2), 3, &mut rng), Err(3), "a closed link refuses");
        assert!(l.open(ms(3)));
        assert!(l.send(ms(3), 4, &mut rng).unwrap().is_some());
    }

    #[test]
    fn a_close_arrives_behind_the_frames_sent_before_it() {
        let mut rng = SimRng::new(1);
        let mut l: Link<u32> = Link::new(constant(50));
        assert_eq!(l.send(ms(0), 1, &mut rng).unwrap(), Some(ms(50)));
        assert_eq!(l.send_close(ms(10), 99), Ok(Some(ms(50))), "with the last frame, not before");
        assert!(l.closing());
        assert_eq!(l.send(ms(11), 2, &mut rng), Err(2), "nothing after the close");
        assert_eq!(l.send_close(ms(11), 98), Err(98), "one close");
        assert_eq!(l.arrive(ms(50)), Some(1));
        assert_eq!(l.arrive(ms(50)), Some(99));
        assert_eq!(l.close(), Vec::<u32>::new());
        assert!(!l.closing());
        assert!(l.open(ms(60)));
        // Nothing on the link: the close arrives at once.
        assert_eq!(l.send_close(ms(70), 97), Ok(Some(ms(70))));
        // Across a cut it waits with the rest, and a heal sends it on last.
        let mut l: Link<u32> = Link::new(constant(5));
        l.send(ms(0), 1, &mut rng).unwrap();
        assert!(l.cut());
        assert_eq!(l.send_close(ms(1), 99), Ok(None));
        let arrivals = l.heal(ms(100), &mut rng);
        assert_eq!(arrivals.len(), 2);
        assert_eq!(l.arrive(arrivals[1]), Some(1));
        assert_eq!(l.arrive(arrivals[1]), Some(99));
    }

    #[test]
    fn retain_keeps_some_frames_moving_and_drops_the_rest() {
        let mut rng = SimRng::new(1);
        let mut l: Link<u32> = Link::new(constant(5));
        let at: Vec<SimTime> = (1..=4).map(|i| l.send(ms(i), i as u32, &mut rng).unwrap().unwrap()).collect();
        assert_eq!(l.retain(|&f| f % 2 == 0), vec![1, 3]);
        assert_eq!(l.dropped, 2);
        assert_eq!(l.arrive(at[0]), None, "stale: frame 1 was dropped");
        assert_eq!(l.arrive(at[1]), Some(2));
        assert_eq!(l.arrive(at[3]), Some(4));
        assert_eq!(l.state(), LinkState::Up);
    }

    #[derive(Clone, Debug)]
    enum Op {
        Send,
        SendClose,
        Advance(u8),
        Cut,
        Heal,
        Close,
        Open,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => Just(Op::Send),
            1 => Just(Op::SendClose),
            4 => any::<u8>().prop_map(Op::Advance),
            1 => Just(Op::Cut),
            1 => Just(Op::Heal),
            1 => Just(Op::Close),
            1 => Just(Op::Open),
        ]
    }

    proptest! {
        /// Every frame sent is delivered exactly once, in send order, or
        /// dropped by a close; never both, never twice; never before it was
        /// sent plus the minimum latency (a sender's close: never before it
        /// was sent; "in order" puts it behind every frame sent before it).
        #[test]
        fn frames_arrive_once_in_order_or_are_dropped(ops in prop::collection::vec(op(), 0..200), seed in any::<u64>()) {
            let mut rng = SimRng::new(seed);
            let lat = Dist::Uniform { min: SimDuration::from_millis(1), max: SimDuration::from_millis(20) };
            let mut l: Link<u64> = Link::new(lat);
            let mut now = SimTime::ZERO;
            let mut events: Vec<SimTime> = Vec::new();
            let mut next = 0u64;
            let mut sent_at = std::collections::BTreeMap::new();
            let mut got = Vec::new();
            let mut dropped = Vec::new();
            let mut refused = 0u64;
            let mut closes = std::collections::BTreeSet::new();
            // The kernel fires every scheduled arrival in time order, stale or not.
            let deliver = |now: SimTime, l: &mut Link<u64>, events: &mut Vec<SimTime>, got: &mut Vec<(u64, SimTime)>| {
                events.sort();
                let (due, later): (Vec<_>, Vec<_>) = events.drain(..).partition(|&e| e <= now);
                *events = later;
                for at in due {
                    if let Some(f) = l.arrive(at) { got.push((f, at)); }
                }
            };
            for o in ops {
                match o {
                    Op::Send => {
                        sent_at.insert(next, now);
                        match l.send(now, next, &mut rng) {
                            Ok(Some(e)) => events.push(e),
                            Ok(None) => {}
                            Err(_) => refused += 1,
                        }
                        next += 1;
                    }
                    Op::SendClose => {
                        sent_at.insert(next, now);
                        match l.send_close(now, next) {
                            Ok(Some(e)) => { events.push(e); closes.insert(next); }
                            Ok(None) => { closes.insert(next); }
                            Err(_) => refused += 1,
                        }
                        next += 1;
                    }
                    Op::Advance(d) => {
                        now += SimDuration::from_millis(u64::from(d));
                        deliver(now, &mut l, &mut events, &mut got);
                    }
                    Op::Cut => { l.cut(); }
                    Op::Heal => { events.extend(l.heal(now, &mut rng)); }
                    Op::Close => { dropped.extend(l.close()); }
                    Op::Open => { l.open(now); }
                }
            }
            events.extend(l.heal(now, &mut rng));
            deliver(SimTime::MAX, &mut l, &mut events, &mut got);
            let ids: Vec<u64> = got.iter().map(|g| g.0).collect();
            let mut sorted = ids.clone();
            sorted.sort();
            prop_assert_eq!(&ids, &sorted, "in order");
            for (f, at) in &got {
                // A close takes no latency of its own (unless a heal sent it on).
                let min = if closes.contains(f) { SimDuration::ZERO } else { SimDuration::from_millis(1) };
                prop_assert!(*at >= sent_at[f] + min);
            }
            let mut all: Vec<u64> = ids.iter().chain(dropped.iter()).copied().collect();
            all.sort();
            all.dedup();
            prop_assert_eq!(all.len() as u64 + refused, next, "each frame arrived, was dropped or was refused, once");
            prop_assert_eq!(ids.len() + dropped.len() + l.in_transit(), (next - refused) as usize);
        }
    }
}
