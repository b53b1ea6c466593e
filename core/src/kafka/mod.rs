//! Kafka as seen from the Go client sarama (SEMANTICS section 3), as pure
//! state machines: time is passed in, nothing here schedules or prints.
//! The world (issue 14) wires them to links, goroutines and the ledger.
//!
//! - [`log`]: one partition replica's log: offsets, segments, the log start
//!   offset, retention by time and bytes, truncation.
//! - [`replication`]: one partition across its replicas: leader, ISR, the
//!   high watermark, acks, elections (clean and unclean).
//! - [`producer::partitioner`]: sarama's partitioners.
//! - [`consumer::assignor`]: sarama's group balance strategies.
//! - [`group::coordinator`]: a consumer group on its coordinator: joins,
//!   rebalances, generations, heartbeats and session expiry, commits.

pub mod consumer;
pub mod group;
pub mod log;
pub mod producer;
pub mod replication;
pub mod spec;
