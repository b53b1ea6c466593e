//! Adding partitions to a topic live (`kafka_add_partitions`, what
//! `kafka-topics.sh --alter --partitions N` does).
//!
//! # Semantics
//! - Kafka only ever adds partitions: the new count must be larger. The
//!   new partitions start empty, with replicas placed as the topic's first
//!   ones were (round robin over the brokers) and their followers fetching.
//! - **Producers** spread over the new count once their client's metadata
//!   says it (its next background refresh, `metadata_refresh`, or a retry
//!   on the topic: [`super::metadata`]). The hash partitioner maps a key
//!   to `hash(key) mod n`, so most keys move to another partition, and a
//!   key's records produced before and after the change can be read out
//!   of order (the guarantees panel counts it).
//! - **Consumer groups** reading the topic rebalance: sarama's group
//!   leader notices the new count at its next partition check after its
//!   client's refresh (`loopCheckPartitionNumbers`), ends its session and
//!   joins again, and the plan hands out the new partitions. Each member
//!   gets claim goroutines for them (`<member>.claim<j>`) at once; they
//!   stay idle until a plan gives them a partition.
//! - **Partition consumers** (`ConsumePartition`) do not read the new
//!   partitions: the seed's consumer asked `Partitions()` once, at start.

use super::{Fetcher, PartState};
use crate::command::CommandError;
use crate::kafka::spec::{ProducerKind, ASYNC_LIBRARY, MAX_PARTITIONS};
use crate::time::echo;
use crate::world::World;
use std::rc::Rc;

impl World {
    /// `kafka_add_partitions`: checked completely, then applied.
    pub(in crate::world) fn kafka_add_partitions(&mut self, topic: &str, count: u32) -> Result<(), CommandError> {
        let Some(kw) = self.kafka.as_deref() else {
            return Err(CommandError::NotApplicable("this scenario has no kafka section".into()));
        };
        let Some((ti, t)) = kw.spec.topic(topic) else {
            return Err(CommandError::NotApplicable(format!("no Kafka topic named {}", echo(topic))));
        };
        let old = t.partitions;
        if count <= old {
            return Err(CommandError::NotApplicable(format!(
                "topic {} has {old} partitions: give a larger count (Kafka never removes partitions)",
                echo(topic)
            )));
        }
        if count > MAX_PARTITIONS {
            return Err(CommandError::OutOfRange { what: "partitions of a topic", value: u64::from(count), max: u64::from(MAX_PARTITIONS) });
        }
        let mut spec = kw.spec.clone();
        spec.topics[ti].partitions = count;
        if let Some(p) = spec.problems().into_iter().next() {
            return Err(CommandError::NotApplicable(format!("{}: {}", p.path, p.message)));
        }
        // The new claim goroutines of every member of every group reading
        // the topic, by (group, member, slot), checked before any change.
        let mut claims = Vec::new();
        for (gi, gs) in spec.groups.iter().enumerate() {
            if !gs.topics.iter().any(|x| x == topic) {
                continue;
            }
            let (from, to) = (kw.spec.group_slots(gs), spec.group_slots(gs));
            for m in 0..gs.members {
                for j in from..to {
                    let name = gs.claim(m + 1, j);
                    if self.go.goroutine_id(&name).is_ok() {
                        return Err(CommandError::NotApplicable(format!("a goroutine named {} already exists", echo(&name))));
                    }
                    claims.push((gi, m as usize, j));
                }
            }
        }
        // The async producers of the topic: one partition producer (its
        // input channel and its goroutine) per new partition.
        let producers: Vec<usize> = spec
            .producers
            .iter()
            .enumerate()
            .filter(|(_, p)| p.kind == ProducerKind::Async && p.topic.as_deref() == Some(topic))
            .map(|(i, _)| i)
            .collect();
        for &i in &producers {
            let ps = &spec.producers[i];
            for p in old..count {
                if self.go.chan_id(&ps.pp(p)).is_ok() || self.go.group_index(&ps.partition_goroutine(p, kw.spec.brokers).name).is_ok() {
                    return Err(CommandError::NotApplicable(format!("a channel or goroutine named {} already exists", echo(&ps.pp(p)))));
                }
            }
        }
        let stages = producers.len() * (count - old) as usize;
        let limits = crate::scenario::limits::MAX_GOROUTINES;
        let (max_groups, max_chans) = (crate::scenario::limits::MAX_GROUPS, crate::scenario::limits::MAX_CHANNELS);
        let more = claims.len() + stages;
        if self.go.alive_total() + more as u64 > limits || self.go.groups.len() + more > max_groups || self.go.chans.len() + stages > max_chans {
            return Err(CommandError::NotApplicable(format!(
                "{} more claim goroutines and {stages} more partition producers would pass the limits on goroutines ({limits}), goroutine groups ({max_groups}) and channels ({max_chans})",
                claims.len(),
            )));
        }
        let now = self.kit.queue.now();
        let kw = self.kafka.as_deref_mut().expect("checked");
        kw.spec = spec;
        // The partitions.
        for p in old..count {
            let mut ps = PartState::new(&kw.spec, ti, p, now);
            // A broker that is down does not lead the new partition.
            for b in ps.replicas.clone() {
                if !kw.broker_up(b) {
                    let _ = ps.repl.broker_failed(b);
                }
            }
            let key = kw.parts.len() as u32;
            kw.parts.push(ps);
            kw.topic_parts[ti].push(key);
            if kw.parts[key as usize].repl.leader().is_none() {
                kw.elect(key, &mut self.kit);
            }
            kw.start_followers(key, now, &mut self.kit);
        }
        // The groups: coordinator metadata, claim slots and goroutines.
        let mut names = self.go.kafka_names.as_deref().cloned().unwrap_or_default();
        let nconsumers = kw.spec.consumers.len();
        let mut spawn = Vec::new();
        for &(gi, m, j) in &claims {
            let gs = &kw.spec.groups[gi];
            let f = kw.fetchers.len() as u16;
            kw.fetchers.push(Fetcher::claim_slot(gs.initial, (nconsumers + gi) as u16, (gi as u16, m as u16)));
            kw.groups[gi].members[m].slots.push(f);
            names.fetchers.push((gs.member(m as u32 + 1), j));
            let work = kw.groups[gi].members[m].work.as_ref().unwrap_or(&gs.work);
            spawn.push(gs.claim_goroutine(m as u32 + 1, j, work));
        }
        // The coordinator's metadata (the next plan is made from fresh
        // metadata: sarama's leader refreshes it in `balance`).
        for (gi, gs) in kw.spec.groups.iter().enumerate() {
            if gs.topics.iter().any(|x| x == topic) {
                let _ = kw.groups[gi].coord.set_partitions(topic, count);
            }
        }
        kw.producers_refresh_later(now, &mut self.kit);
        self.go.kafka_names = Some(Rc::new(names));
        for spec in spawn {
            // Checked above: the names are free and the counts within the
            // limits the scenario's own validation allows.
            self.go.add_group(&mut self.kit, spec)?;
        }
        // The async producers: new partition producers, and the topic
        // producer's switch grown to the new count (its ops so far keep
        // their places: a goroutine parked in it stays where it is).
        for i in producers {
            let ps = kw.spec.producers[i].clone();
            for p in old..count {
                self.go.add_library_chan(ps.pp(p), ps.channel_buffer_size);
            }
            for p in old..count {
                self.go.add_library_group(&mut self.kit, ps.partition_goroutine(p, kw.spec.brokers), ASYNC_LIBRARY)?;
            }
            let topic_spec = ps.topic_goroutine(count);
            let prog = self.go.compile_spec(&topic_spec)?;
            let gi = self.go.group_index(&topic_spec.name)?;
            self.go.install_program(gi, topic_spec, prog);
        }
        // Each group leader's partition check will end its session: it
        // joins again, and the coordinator rebalances.
        self.kafka_partition_checks(ti, now);
        Ok(())
    }
}

impl Fetcher {
    /// A group member's claim slot, not assigned yet.
    pub(crate) fn claim_slot(initial: crate::kafka::spec::OffsetSpec, consumer: u16, member: (u16, u16)) -> Fetcher {
        Fetcher {
            part: 0,
            offset: None,
            initial,
            buffer: Default::default(),
            waiting: None,
            in_flight: false,
            stopped: false,
            consumed: 0,
            consumer,
            member: Some(member),
            active: false,
            session: 0,
            held: None,
            working: false,
            closed: false,
            sent: None,
            goroutine: None,
        }
    }
}
