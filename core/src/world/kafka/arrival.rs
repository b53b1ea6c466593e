//! What travels between Kafka clients and brokers ([`KFrame`]) and what
//! each frame does when it arrives: produce requests and their answers,
//! replica fetches, consumer fetches and the group protocol.

use super::{group, KafkaError};
use crate::gochan::channel::GoId;
use crate::kafka::replication::{Acks, BrokerId};
use crate::time::SimTime;
use crate::world::World;

/// What travels between processes. Endpoints: broker `b` is `b` (from 1);
/// a client is [`client`] of its goroutine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum KFrame {
    /// A produce request of one record (`rec`) for partition `part`, try
    /// `tries` (0 first) of the goroutine's request.
    Produce { g: GoId, leader: BrokerId, part: u32, rec: u32, acks: Acks, tries: u8 },
    /// The answer: the offset, or an error code.
    ProduceResp { g: GoId, part: u32, result: Result<u64, KafkaError>, tries: u8 },
    /// An async producer's request `req` from its stage goroutine: records
    /// (partition, record id), grouped by partition ([`batch`]).
    ProduceBatch { req: u32, stage: GoId, leader: BrokerId, acks: Acks, recs: Vec<(u32, u32)> },
    /// The answer: per partition its base offset, or an error.
    BatchResp { req: u32, results: Vec<(u32, Result<u64, KafkaError>)> },
    /// A follower's fetch from offset `offset`.
    ReplicaFetch { follower: BrokerId, leader: BrokerId, part: u32, offset: u64, epoch: u32 },
    /// The leader's answer: records (ids) from `from`.
    ReplicaData { follower: BrokerId, part: u32, from: u64, recs: Vec<u32>, epoch: u32 },
    /// A consumer fetch of fetcher `f` from `offset`.
    Fetch { f: u16, session: u32, leader: BrokerId, part: u32, offset: u64 },
    /// The answer: records (ids) from `from`, or an error.
    FetchData { f: u16, session: u32, part: u32, from: u64, recs: Vec<u32>, error: Option<KafkaError> },
    /// Group protocol, member -> coordinator and back ([`group`]).
    Group(Box<group::GroupFrame>),
}

impl World {
    /// A frame may have arrived on Kafka link `l`.
    pub(in crate::world) fn kafka_arrival(&mut self, l: u32, now: SimTime) {
        let Some(kw) = self.kafka.as_deref_mut() else { return };
        let Some(frame) = kw.links.get_mut(l as usize).and_then(|link| link.arrive(now)) else { return };
        match frame {
            KFrame::Produce { g, leader, part, rec, acks, tries } => {
                let kw = self.kafka.as_deref_mut().expect("checked");
                kw.on_produce(g, leader, part, rec, acks, tries, &mut self.kit);
                self.kafka_wake_fetches(part, now);
            }
            KFrame::ProduceResp { g, part, result, tries } => self.kafka_produce_resp(g, part, Some(tries), result, now),
            KFrame::ProduceBatch { req, stage, leader, acks, recs } => {
                let kw = self.kafka.as_deref_mut().expect("checked");
                kw.on_produce_batch(req, stage, leader, acks, &recs, &mut self.kit);
                let mut last = u32::MAX;
                for &(part, _) in &recs {
                    if part != last {
                        self.kafka_wake_fetches(part, now);
                        last = part;
                    }
                }
                if let Some(kw) = self.kafka.as_deref_mut() {
                    kw.batch_lists.pairs.give(recs);
                }
            }
            KFrame::BatchResp { req, results } => {
                let kw = self.kafka.as_deref_mut().expect("checked");
                kw.batch_resp(req, results, &mut self.kit);
                self.kafka_deliver_all(now);
            }
            KFrame::ReplicaFetch { follower, leader, part, offset, epoch } => {
                let kw = self.kafka.as_deref_mut().expect("checked");
                kw.on_replica_fetch(follower, leader, part, offset, epoch, &mut self.kit);
                self.kafka_wake_fetches(part, now);
            }
            KFrame::ReplicaData { follower, part, from, recs, epoch } => {
                let kw = self.kafka.as_deref_mut().expect("checked");
                kw.on_replica_data(follower, part, from, &recs, epoch, &mut self.kit);
                kw.give_recs(recs);
            }
            KFrame::Fetch { f, session, leader, part, offset } => {
                let kw = self.kafka.as_deref_mut().expect("checked");
                kw.on_fetch(f, session, leader, part, offset, &mut self.kit);
            }
            KFrame::FetchData { f, session, part, from, recs, error } => {
                self.kafka_fetch_data(f, session, part, from, &recs, error, now);
                if let Some(kw) = self.kafka.as_deref_mut() {
                    kw.give_recs(recs);
                }
            }
            KFrame::Group(frame) => self.kafka_group_frame(*frame, now),
        }
    }
}
