//! One partition replica's log (Kafka's `UnifiedLog`/`LocalLog`, SEMANTICS
//! 3.1, reference B1).
//!
//! # Semantics
//! - **append**: a record (size in bytes, timestamp, opaque payload id) gets
//!   the next offset, the log end offset (**LEO**), which then grows by one.
//!   Offsets are contiguous: `log_start_offset..leo`.
//! - **segments** (`segment.bytes`, default 1 GiB): the active (last)
//!   segment rolls when the next record would push it past `segment.bytes`;
//!   a record larger than `segment.bytes` sits alone in its segment.
//! - **retention** (`cleanup.policy=delete`): whole segments only, oldest
//!   first, never the active segment, and never a segment holding offsets at
//!   or above the high watermark (Kafka deletes only below the HW).
//!   By time (`retention.ms`, default 7 d): a segment goes when its newest
//!   record is older than `retention.ms`. By size (`retention.bytes`, -1 =
//!   unlimited, here `None`): oldest segments go while the total exceeds it.
//!   The **log start offset** jumps to the next remaining record.
//! - **read** (`from`, `max_records`): `OffsetOutOfRange` below the log start
//!   offset or above the LEO (Kafka's `OFFSET_OUT_OF_RANGE`); at the LEO it
//!   is empty.
//! - **truncate_to** (`offset`): drops every record at or above `offset`
//!   (a follower truncating on becoming follower, KIP-101). Below the log
//!   start offset the log is emptied and restarts there
//!   (`truncateFullyAndStartAt`).
//!
//! # Simplifications
//! - `segment.ms` rolls, indexes and compaction are not modelled.
//! - Retention is applied when the caller asks (`log.retention.check.interval.ms`).

use crate::chunked::Chunked;
use crate::time::{SimDuration, SimTime};
use std::fmt;

/// `segment.bytes` default: 1 GiB.
pub const DEFAULT_SEGMENT_BYTES: u64 = 1 << 30;
/// `retention.ms` default: 604 800 000 ms (168 h).
pub const DEFAULT_RETENTION: SimDuration = SimDuration::from_millis(604_800_000);

/// The per-topic log settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogConfig {
    /// `segment.bytes`.
    pub segment_bytes: u64,
    /// `retention.ms`; `None` is -1 (unlimited).
    pub retention: Option<SimDuration>,
    /// `retention.bytes`; `None` is -1 (unlimited, the default).
    pub retention_bytes: Option<u64>,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            segment_bytes: DEFAULT_SEGMENT_BYTES,
            retention: Some(DEFAULT_RETENTION),
            retention_bytes: None,
        }
    }
}

/// One record as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    pub offset: u64,
    pub size: u64,
    pub timestamp: SimTime,
    /// Opaque id of the payload (the ledger's message id).
    pub payload: u64,
}

/// Errors of the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogError {
    /// `OFFSET_OUT_OF_RANGE`: the offset is below the log start offset or
    /// above the log end offset.
    OffsetOutOfRange {
        offset: u64,
        log_start: u64,
        leo: u64,
    },
}

impl fmt::Display for LogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogError::OffsetOutOfRange {
                offset,
                log_start,
                leo,
            } => write!(
                f,
                "offset {offset} out of range (log start {log_start}, log end {leo})"
            ),
        }
    }
}

impl std::error::Error for LogError {}

/// One segment: contiguous records from `base_offset`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Segment {
    base_offset: u64,
    bytes: u64,
    /// Chunked: a long run's segment (1 GiB by default holds every record
    /// of a run) grows without copying itself.
    records: Chunked<Record>,
}

impl Segment {
    fn new(base_offset: u64) -> Self {
        Segment {
            base_offset,
            bytes: 0,
            records: Chunked::new(),
        }
    }
    fn next_offset(&self) -> u64 {
        self.base_offset + self.records.len() as u64
    }
}

/// One replica's log of one partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Log {
    config: LogConfig,
    /// Never empty; the last one is the active segment.
    segments: Vec<Segment>,
    log_start: u64,
    leo: u64,
    bytes: u64,
}

impl Log {
    pub fn new(config: LogConfig) -> Self {
        Log {
            config,
            segments: vec![Segment::new(0)],
            log_start: 0,
            leo: 0,
            bytes: 0,
        }
    }

    pub fn config(&self) -> &LogConfig {
        &self.config
    }
    /// Changes retention (`kafka-configs.sh --alter`); segments already
    /// written keep their size.
    pub fn set_retention(&mut self, retention: Option<SimDuration>, retention_bytes: Option<u64>) {
        self.config.retention = retention;
        self.config.retention_bytes = retention_bytes;
    }
    /// Log end offset: the next offset to write.
    pub fn leo(&self) -> u64 {
        self.leo
    }
    pub fn log_start_offset(&self) -> u64 {
        self.log_start
    }
    /// Total bytes of all records held.
    pub fn size_bytes(&self) -> u64 {
        self.bytes
    }
    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }
    pub fn len(&self) -> u64 {
        self.leo - self.log_start
    }
    pub fn is_empty(&self) -> bool {
        self.leo == self.log_start
    }

    /// Appends a record at the LEO and returns its offset.
    pub fn append(&mut self, size: u64, timestamp: SimTime, payload: u64) -> u64 {
        let offset = self.leo;
        let roll = {
            let active = self.active();
            !active.records.is_empty()
                && active.bytes.saturating_add(size) > self.config.segment_bytes
        };
        if roll {
            self.segments.push(Segment::new(offset));
        }
        let active = self.active_mut();
        active.records.push(Record {
            offset,
            size,
            timestamp,
            payload,
        });
        active.bytes = active.bytes.saturating_add(size);
        self.bytes = self.bytes.saturating_add(size);
        self.leo += 1;
        offset
    }

    /// The record at `offset`, if held.
    pub fn get(&self, offset: u64) -> Option<&Record> {
        if offset < self.log_start || offset >= self.leo {
            return None;
        }
        let i = self
            .segments
            .partition_point(|s| s.base_offset <= offset)
            .checked_sub(1)?;
        let seg = &self.segments[i];
        seg.records.get((offset - seg.base_offset) as usize)
    }

    /// Up to `max_records` records from `from`.
    pub fn read(
        &self,
        from: u64,
        max_records: usize,
    ) -> Result<impl Iterator<Item = &Record> + '_, LogError> {
        Ok(self.records_from(from)?.take(max_records))
    }

    /// Every record from `from` to the LEO (what a follower fetches).
    pub fn records_from(&self, from: u64) -> Result<impl Iterator<Item = &Record> + '_, LogError> {
        self.check_range(from)?;
        let i = self
            .segments
            .partition_point(|s| s.base_offset <= from)
            .saturating_sub(1);
        // Offsets are contiguous within a segment: start at `from`'s index
        // directly (no walk from the segment's base).
        let first = &self.segments[i];
        let skip = (from.saturating_sub(first.base_offset) as usize).min(first.records.len());
        Ok(first
            .records
            .iter_from(skip)
            .chain(self.segments[i + 1..].iter().flat_map(|s| s.records.iter())))
    }

    /// Drops every record at or above `offset` (KIP-101 truncation). Below
    /// the log start offset the log empties and restarts at `offset`.
    pub fn truncate_to(&mut self, offset: u64) -> Result<(), LogError> {
        if offset > self.leo {
            return Err(self.out_of_range(offset));
        }
        if offset < self.log_start {
            self.segments = vec![Segment::new(offset)];
            self.log_start = offset;
            self.leo = offset;
            self.bytes = 0;
            return Ok(());
        }
        while self.segments.len() > 1
            && self.active().base_offset >= offset
            && self.active().base_offset > self.log_start
        {
            let seg = self.segments.pop().expect("len > 1");
            self.bytes -= seg.bytes;
        }
        let active = self.active_mut();
        let keep = offset.saturating_sub(active.base_offset) as usize;
        let dropped: u64 = active.records.iter_from(keep).map(|r| r.size).sum();
        active.records.truncate(keep);
        active.bytes -= dropped;
        self.bytes -= dropped;
        self.leo = offset;
        Ok(())
    }

    /// Empties the log and starts it again at `offset` (a follower whose
    /// leader deleted what it lacked).
    pub fn restart_at(&mut self, offset: u64) {
        self.segments = vec![Segment::new(offset)];
        self.log_start = offset;
        self.leo = offset;
        self.bytes = 0;
    }

    /// Applies `retention.ms` and `retention.bytes` at `now`, deleting only
    /// segments wholly below `high_watermark`. Returns the number of records
    /// deleted; the log start offset moves past them.
    pub fn apply_retention(&mut self, now: SimTime, high_watermark: u64) -> u64 {
        let mut n = 0;
        while self.segments.len() > 1 {
            let seg = &self.segments[0];
            if seg.next_offset() > high_watermark {
                break;
            }
            let newest = seg
                .records
                .iter()
                .map(|r| r.timestamp)
                .max()
                .unwrap_or(SimTime::ZERO);
            let by_time = self.config.retention.is_some_and(|r| now.since(newest) > r);
            let by_size = self.config.retention_bytes.is_some_and(|b| self.bytes > b);
            if !(by_time || by_size) {
                break;
            }
            let seg = self.segments.remove(0);
            self.bytes -= seg.bytes;
            n += seg.records.len() as u64;
            self.log_start = self.segments[0].base_offset;
        }
        n
    }

    fn active(&self) -> &Segment {
        self.segments
            .last()
            .expect("a log always has an active segment")
    }
    fn active_mut(&mut self) -> &mut Segment {
        self.segments
            .last_mut()
            .expect("a log always has an active segment")
    }
    fn check_range(&self, offset: u64) -> Result<(), LogError> {
        if offset < self.log_start || offset > self.leo {
            Err(self.out_of_range(offset))
        } else {
            Ok(())
        }
    }
    fn out_of_range(&self, offset: u64) -> LogError {
        LogError::OffsetOutOfRange {
            offset,
            log_start: self.log_start,
            leo: self.leo,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn small(segment_bytes: u64) -> Log {
        Log::new(LogConfig {
            segment_bytes,
            retention: None,
            retention_bytes: None,
        })
    }
    fn t(s: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs(s)
    }

    /// SEMANTICS 3.1: offsets 0, 1, 2, ...; LEO = next offset to write.
    #[test]
    fn append_assigns_contiguous_offsets() {
        let mut log = Log::new(LogConfig::default());
        assert_eq!(log.append(10, t(0), 7), 0);
        assert_eq!(log.append(10, t(0), 8), 1);
        assert_eq!(log.leo(), 2);
        assert_eq!(log.get(1).unwrap().payload, 8);
    }

    /// Kafka docs `segment.bytes`: a segment rolls when the next record would exceed it.
    #[test]
    fn segment_rolls_on_size() {
        let mut log = small(100);
        for _ in 0..3 {
            log.append(40, t(0), 0);
        }
        assert_eq!(log.segment_count(), 2); // 40+40 | 40
        log.append(500, t(0), 0); // too large: alone in its own segment
        assert_eq!(log.segment_count(), 3);
    }

    /// Kafka docs `retention.ms`: whole segments whose newest record is older go;
    /// the active segment stays (reference B1).
    #[test]
    fn retention_by_time_deletes_whole_old_segments_not_active() {
        let mut log = Log::new(LogConfig {
            segment_bytes: 100,
            retention: Some(SimDuration::from_secs(10)),
            retention_bytes: None,
        });
        log.append(60, t(0), 0);
        log.append(60, t(1), 1);
        log.append(60, t(2), 2);
        assert_eq!(log.apply_retention(t(100), 3), 2);
        assert_eq!(log.log_start_offset(), 2);
        assert_eq!(log.leo(), 3);
        assert_eq!(
            log.apply_retention(t(1000), 3),
            0,
            "active segment never deleted"
        );
    }

    /// Kafka docs `retention.bytes`: oldest segments go while the total exceeds it.
    #[test]
    fn retention_by_bytes() {
        let mut log = Log::new(LogConfig {
            segment_bytes: 100,
            retention: None,
            retention_bytes: Some(150),
        });
        for i in 0..4 {
            log.append(60, t(i), i);
        }
        assert_eq!(log.apply_retention(t(0), 4), 2);
        assert_eq!(log.size_bytes(), 120);
        assert_eq!(log.log_start_offset(), 2);
    }

    /// Kafka deletes only segments below the high watermark.
    #[test]
    fn retention_stops_at_high_watermark() {
        let mut log = Log::new(LogConfig {
            segment_bytes: 10,
            retention: Some(SimDuration::ZERO),
            retention_bytes: None,
        });
        for i in 0..4 {
            log.append(10, t(0), i);
        }
        assert_eq!(log.apply_retention(t(5), 1), 1);
        assert_eq!(log.log_start_offset(), 1);
    }

    /// SEMANTICS 3.1: a read below the log start offset is "offset out of range".
    #[test]
    fn read_out_of_range() {
        let mut log = Log::new(LogConfig {
            segment_bytes: 10,
            retention: None,
            retention_bytes: Some(0),
        });
        for i in 0..3 {
            log.append(10, t(0), i);
        }
        log.apply_retention(t(0), 3);
        assert_eq!(log.log_start_offset(), 2);
        assert!(matches!(
            log.read(1, 10),
            Err(LogError::OffsetOutOfRange { .. })
        ));
        assert!(matches!(
            log.read(4, 10),
            Err(LogError::OffsetOutOfRange { .. })
        ));
        assert_eq!(log.read(3, 10).unwrap().count(), 0);
        let got: Vec<u64> = log.read(2, 10).unwrap().map(|r| r.payload).collect();
        assert_eq!(got, vec![2]);
        assert!(!LogError::OffsetOutOfRange {
            offset: 1,
            log_start: 2,
            leo: 3
        }
        .to_string()
        .is_empty());
    }

    /// KIP-101: a follower truncates its log to a given offset.
    #[test]
    fn truncate_drops_tail() {
        let mut log = small(25);
        for i in 0..6 {
            log.append(10, t(0), i);
        }
        log.truncate_to(3).unwrap();
        assert_eq!(log.leo(), 3);
        assert_eq!(log.size_bytes(), 30);
        assert_eq!(log.append(10, t(0), 99), 3);
        assert!(log.truncate_to(9).is_err());
    }

    proptest! {
        /// Offsets contiguous, log start <= LEO, size accounting exact.
        #[test]
        fn log_invariants(ops in proptest::collection::vec((0u8..4, 1u64..50, 0u64..20), 1..80)) {
            let mut log = Log::new(LogConfig {
                segment_bytes: 64,
                retention: Some(SimDuration::from_secs(5)),
                retention_bytes: Some(300),
            });
            let mut now = 0;
            for (op, size, arg) in ops {
                now += arg;
                match op {
                    0 | 1 => { log.append(size, t(now), size); }
                    2 => {
                        let hw = log.leo().saturating_sub(arg % 3).max(log.log_start_offset());
                        log.apply_retention(t(now), hw);
                        // log start <= HW <= LEO: retention never passes the HW.
                        prop_assert!(log.log_start_offset() <= hw && hw <= log.leo());
                    }
                    _ => { let _ = log.truncate_to(log.leo().saturating_sub(arg % 4)); }
                }
                prop_assert!(log.log_start_offset() <= log.leo());
                let offs: Vec<u64> = log.records_from(log.log_start_offset()).unwrap().map(|r| r.offset).collect();
                let want: Vec<u64> = (log.log_start_offset()..log.leo()).collect();
                prop_assert_eq!(offs, want);
                let bytes: u64 = log.records_from(log.log_start_offset()).unwrap().map(|r| r.size).sum();
                prop_assert_eq!(bytes, log.size_bytes());
            }
        }
    }
}
