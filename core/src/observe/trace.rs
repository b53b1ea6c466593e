//! The event trace: everything that happened, as small `Copy` records.
//!
//! Semantics: every event gets a sequence number and is folded into a
//! running 64-bit hash (FNV-1a over its fields), so two runs are identical
//! iff their hashes and counts match, however long they ran. Only the last
//! `capacity` events are kept (a ring), so long runs use bounded memory;
//! `capacity == 0` keeps none but still hashes. Recording allocates nothing
//! once the ring is full.

use crate::time::SimTime;
use serde::Serialize;
use std::collections::VecDeque;

/// "No goroutine / channel" in an event field.
pub const NONE: u32 = u32::MAX;

/// What happened. `repr(u8)` (the discriminant is hashed as a `u64` whose
/// value fits a byte; see `Trace::record`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum EventKind {
    /// A goroutine made a new message (value counter).
    Produced,
    /// A send went straight to a parked receiver (buffer skipped).
    Handoff,
    /// A send appended to the buffer.
    Buffered,
    /// A receive took a value.
    Received,
    /// A receive found the channel closed and drained (`ok == false`).
    RecvClosed,
    BlockedSend,
    BlockedRecv,
    BlockedSelect,
    BlockedWait,
    /// A parked goroutine was woken (its operation completed).
    Unblocked,
    /// A select picked a case (`aux` = case index; -1 default, -2 timeout).
    SelectChose,
    WorkStart,
    WorkEnd,
    Sleep,
    Closed,
    Panicked,
    /// A message was lost (`aux` = [`DropCause`]).
    Dropped,
    /// A message was finished by a sink (end of its journey).
    Processed,
    /// A sieve filter discarded a multiple of its prime.
    Filtered,
    /// A sieve filter took its prime.
    Prime,
    WgAdd,
    WgDone,
    /// A goroutine returned.
    Finished,
    /// Go's verdict or a partial deadlock (`aux` = number stuck).
    Deadlock,
    Spawned,
    Removed,
    Paused,
    Resumed,
    /// A channel's capacity changed (`aux` = new capacity).
    Capacity,
    /// A goroutine spun too long at one instant and was forced to yield.
    Yield,
}

/// Why a message was dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DropCause {
    /// A non-blocking send (`select` with `default`) found no room.
    SelectDefault,
    /// The goroutine holding it was removed.
    Removed,
    /// The goroutine holding it panicked.
    Panicked,
    /// A select completed another case while a value was ready to send.
    NotSent,
}

impl DropCause {
    pub fn from_aux(aux: i64) -> DropCause {
        match aux {
            0 => DropCause::SelectDefault,
            1 => DropCause::Removed,
            2 => DropCause::Panicked,
            _ => DropCause::NotSent,
        }
    }
    pub fn aux(self) -> i64 {
        self as i64
    }
    pub fn describe(self) -> &'static str {
        match self {
            DropCause::SelectDefault => "non-blocking send found no room (select default)",
            DropCause::Removed => "its goroutine was removed",
            DropCause::Panicked => "its goroutine panicked",
            DropCause::NotSent => "select took another case",
        }
    }
}

/// One event. Messages are identified by id and by `(producer, value)`,
/// which together give the label `producer#value`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceEvent {
    pub seq: u64,
    pub time: SimTime,
    pub kind: EventKind,
    pub g: u32,
    pub ch: u32,
    /// Message id (0 = none).
    pub msg: u64,
    pub msg_producer: u32,
    pub msg_value: i64,
    pub aux: i64,
}

/// Bounded ring of events plus a running hash of all of them.
#[derive(Clone, Debug)]
pub struct Trace {
    ring: VecDeque<TraceEvent>,
    capacity: usize,
    total: u64,
    hash: u64,
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// `FNV_POW[k]` = `FNV_PRIME^k` (wrapping), for k = 0..=8.
const FNV_POW: [u64; 9] = {
    let mut p = [1u64; 9];
    let mut k = 1;
    while k < 9 {
        p[k] = p[k - 1].wrapping_mul(FNV_PRIME);
        k += 1;
    }
    p
};

/// Four `0xff` bytes (a `NONE` goroutine or channel) folded into a hash
/// whose low byte is `l` add `FNV_FF4[l]` to `h * FNV_PRIME^4`: xoring
/// `0xff` into `h` adds `255 - 2l`, so each step is `h' = (h + 255 - 2l) * P`
/// and only the low byte (which evolves on its own) decides what is added.
const FNV_FF4: [u64; 256] = {
    let mut t = [0u64; 256];
    let mut l0 = 0;
    while l0 < 256 {
        let (mut acc, mut l) = (0u64, l0 as u64);
        let mut i = 0;
        while i < 4 {
            let e = 255u64.wrapping_sub(2 * l);
            acc = acc.wrapping_add(e).wrapping_mul(FNV_PRIME);
            l = ((l ^ 0xff).wrapping_mul(FNV_PRIME)) & 0xff;
            i += 1;
        }
        t[l0] = acc;
        l0 += 1;
    }
    t
};

/// [`fold`] for the 4 little-endian bytes of a `u32`, with a shortcut for
/// `NONE` (`u32::MAX`).
#[inline(always)]
fn fold_u32(h: u64, x: u32) -> u64 {
    if x == NONE {
        return h.wrapping_mul(FNV_POW[4]).wrapping_add(FNV_FF4[(h & 0xff) as usize]);
    }
    let significant = (32 - x.leading_zeros() as usize).div_ceil(8);
    if significant == 0 {
        return h.wrapping_mul(FNV_POW[4]);
    }
    let (mut h, mut x) = (h, u64::from(x));
    for _ in 1..significant {
        h = (h ^ (x & 0xff)).wrapping_mul(FNV_PRIME);
        x >>= 8;
    }
    // The last non-zero byte and the zero bytes above it in one multiply.
    (h ^ x).wrapping_mul(FNV_POW[5 - significant])
}

/// Folds the 8 little-endian bytes of `x` into `h`, FNV-1a byte by byte
/// (`h = (h ^ byte) * FNV_PRIME`), exactly as a plain byte loop does
/// (`fold_bytes` in the tests checks it), but faster: the hash is a serial
/// chain of xor+multiply (4 cycles a byte) and most fields are small
/// numbers whose high bytes are zero. Xoring a zero byte changes nothing,
/// so the last non-zero byte and the `k` zero bytes above it are one
/// xor and one multiplication by `FNV_PRIME^(k+1)`: a value of `s`
/// significant bytes costs `s` steps instead of 8.
#[inline(always)]
fn fold(mut h: u64, mut x: u64) -> u64 {
    // Bytes up to and including the highest non-zero one (0 for x == 0).
    let significant = (64 - x.leading_zeros() as usize).div_ceil(8);
    if significant == 0 {
        return h.wrapping_mul(FNV_POW[8]);
    }
    for _ in 1..significant {
        h = (h ^ (x & 0xff)).wrapping_mul(FNV_PRIME);
        x >>= 8;
    }
    (h ^ x).wrapping_mul(FNV_POW[9 - significant])
}

/// [`fold`] of a value below 256 (one byte, then seven zero bytes).
#[inline(always)]
fn fold_byte(h: u64, b: u8) -> u64 {
    (h ^ u64::from(b)).wrapping_mul(FNV_POW[8])
}

impl Trace {
    pub fn new(capacity: usize) -> Self {
        Trace { ring: VecDeque::with_capacity(capacity.min(1 << 16)), capacity, total: 0, hash: FNV_OFFSET }
    }

    /// Records an event (its `seq` is assigned here) and returns the seq.
    #[inline]
    pub fn record(&mut self, mut ev: TraceEvent) -> u64 {
        ev.seq = self.total;
        self.total += 1;
        let mut h = self.hash;
        h = fold(h, ev.time.as_micros());
        h = fold_byte(h, ev.kind as u8); // `repr(u8)`: the same as `as u64`
        // The word `g | ch << 32`, as its two little-endian halves.
        h = fold_u32(fold_u32(h, ev.g), ev.ch);
        h = fold(h, ev.msg);
        h = fold(h, ev.msg_value as u64);
        h = fold(h, ev.aux as u64);
        self.hash = h;
        if self.capacity > 0 {
            if self.ring.len() == self.capacity {
                self.ring.pop_front();
            }
            self.ring.push_back(ev);
        }
        ev.seq
    }

    /// Events recorded so far (including forgotten ones).
    pub fn total(&self) -> u64 {
        self.total
    }
    /// Hash of every event recorded so far.
    pub fn hash(&self) -> u64 {
        self.hash
    }
    pub fn capacity(&self) -> usize {
        self.capacity
    }
    /// Kept events, oldest first.
    pub fn events(&self) -> impl DoubleEndedIterator<Item = &TraceEvent> + ExactSizeIterator {
        self.ring.iter()
    }
    /// Kept events with `seq >= from`, oldest first.
    pub fn since(&self, from: u64) -> impl DoubleEndedIterator<Item = &TraceEvent> {
        let first = self.ring.front().map_or(self.total, |e| e.seq);
        let skip = from.saturating_sub(first) as usize;
        self.ring.iter().skip(skip)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(t: u64) -> TraceEvent {
        TraceEvent {
            seq: 0,
            time: SimTime::from_micros(t),
            kind: EventKind::Produced,
            g: 1,
            ch: NONE,
            msg: t,
            msg_producer: 1,
            msg_value: 0,
            aux: 0,
        }
    }

    /// The definition: FNV-1a over the 8 little-endian bytes.
    fn fold_bytes(mut h: u64, x: u64) -> u64 {
        for b in x.to_le_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(FNV_PRIME);
        }
        h
    }

    #[test]
    fn fast_fold_equals_the_byte_loop() {
        let mut words = vec![0, 1, 0xff, 0x100, u64::MAX, u64::from(NONE), u64::from(NONE) << 32, 1 << 63, (-1i64) as u64, (-2i64) as u64];
        // Every byte width, with zero bytes inside, plus a pseudo-random spread.
        for k in 0..64 {
            words.push(1 << k);
            words.push((1u64 << k).wrapping_sub(1));
            words.push((1u64 << k) | 1);
        }
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            words.push(x >> (x % 64));
        }
        for k in 0..256 {
            words.push(k);
            words.push(u64::from(NONE) | (k << 32));
            words.push(k | (u64::from(NONE) << 32));
        }
        // The NONE table, from every low byte.
        for l in 0..256u64 {
            let h = (FNV_OFFSET & !0xff) | l;
            let want = fold_bytes(h, u64::from(NONE) << 32);
            assert_eq!(fold_u32(h.wrapping_mul(FNV_POW[4]), NONE), want, "low byte {l}");
        }
        let mut h = FNV_OFFSET;
        for &w in &words {
            assert_eq!(fold(h, w), fold_bytes(h, w), "word {w:#x} from {h:#x}");
            if w < 256 {
                assert_eq!(fold_byte(h, w as u8), fold_bytes(h, w), "byte {w:#x} from {h:#x}");
            }
            let halves = fold_u32(fold_u32(h, w as u32), (w >> 32) as u32);
            assert_eq!(halves, fold_bytes(h, w), "halves of {w:#x} from {h:#x}");
            h = fold_bytes(h, w);
        }
    }

    #[test]
    fn hash_of_a_known_event_is_pinned() {
        // FNV-1a of the six little-endian words, computed with the byte loop.
        let mut t = Trace::new(0);
        let e = TraceEvent { aux: -1, ch: NONE, ..ev(1_234_567) };
        t.record(e);
        let mut h = FNV_OFFSET;
        for w in [1_234_567, EventKind::Produced as u64, 1 | (u64::from(NONE) << 32), 1_234_567, 0, u64::MAX] {
            h = fold_bytes(h, w);
        }
        assert_eq!(t.hash(), h);
    }

    #[test]
    fn ring_keeps_the_newest_and_hash_covers_all() {
        let mut a = Trace::new(3);
        let mut b = Trace::new(0);
        for t in 0..10 {
            a.record(ev(t));
            b.record(ev(t));
        }
        assert_eq!(a.events().map(|e| e.seq).collect::<Vec<_>>(), [7, 8, 9]);
        assert_eq!(a.hash(), b.hash(), "the hash does not depend on the ring size");
        assert_eq!(a.since(8).map(|e| e.seq).collect::<Vec<_>>(), [8, 9]);
        assert_eq!(a.since(0).count(), 3);
        assert_eq!(a.since(10).count(), 0);
        let mut c = Trace::new(3);
        for t in (0..10).rev() {
            c.record(ev(t));
        }
        assert_ne!(c.hash(), a.hash(), "order matters");
    }
}
