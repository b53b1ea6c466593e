//! The user's design: a scenario with their live edits folded in, to
//! restart from time 0.
//!
//! # Semantics
//! Edits that change what the system *is* become part of the scenario:
//! - `add_goroutine` adds its group;
//! - `set_count` sets the group's count, `remove_goroutine` lowers its
//!   group's count by one (a group brought to 0 has no instance at the
//!   start; if the scenario format cannot say that, the group is left out);
//! - `set_rates` changes the group's interval or work time;
//! - for an NSQ consumer's handler group, `set_count` and `set_rates` change
//!   the consumer's `handlers` and `work`;
//! - `kafka_group_work` changes the Kafka consumer group's `work`;
//! - `set_capacity` changes the channel's capacity, `add_channel` adds one.
//!
//! Edits that are moments of a run rather than the design (`close_channel`,
//! `pause`, `resume`) are not carried over: restarting the design starts
//! from a system nobody has touched yet. Commands that came with the
//! scenario (its timed log) stay as they are. Edits that no longer apply
//! (a group removed since) are skipped; the result is always a valid
//! scenario when the base is.

use crate::command::Command;
use crate::scenario::Scenario;

/// The NSQ consumer whose handler group is `group`.
fn nsq_consumer<'a>(s: &'a mut Scenario, group: &str) -> Option<&'a mut crate::nsq::spec::ConsumerSpec> {
    s.nsq.as_mut()?.consumers.iter_mut().find(|c| c.handler_group() == group)
}

/// `base` with `edits` folded in (see the module docs).
pub fn fold(base: &Scenario, edits: &[Command]) -> Scenario {
    let mut s = base.clone();
    for cmd in edits {
        match cmd {
            Command::AddGoroutine { spec } => {
                if !s.goroutines.iter().any(|g| g.name == spec.name) {
                    s.goroutines.push(spec.clone());
                }
            }
            Command::SetCount { group, count } => {
                if let Some(g) = s.goroutines.iter_mut().find(|g| &g.name == group) {
                    g.count = *count;
                } else if let Some(c) = nsq_consumer(&mut s, group) {
                    // An NSQ consumer's handlers (at least one: a consumer
                    // is made with its handlers).
                    c.handlers = (*count).max(1);
                }
            }
            Command::RemoveGoroutine { goroutine } => {
                if let Some(g) = s
                    .goroutines
                    .iter_mut()
                    .find(|g| Scenario::instance_names(&g.name, g.count).any(|n| &n == goroutine))
                {
                    g.count = g.count.saturating_sub(1);
                }
            }
            Command::SetRates { group, interval, work } => {
                if let Some(g) = s.goroutines.iter_mut().find(|g| &g.name == group) {
                    if let (Some(d), Some(slot)) = (interval, g.behavior.interval_mut()) {
                        *slot = d.clone();
                    }
                    if let (Some(d), Some(slot)) = (work, g.behavior.work_mut()) {
                        *slot = d.clone();
                    }
                } else if let (Some(d), Some(c)) = (work, nsq_consumer(&mut s, group)) {
                    c.work = d.clone();
                }
            }
            Command::SetCapacity { channel, capacity } => {
                if let Some(c) = s.channels.iter_mut().find(|c| &c.name == channel) {
                    c.capacity = *capacity;
                }
            }
            Command::AddChannel { name, capacity } => {
                if !s.channels.iter().any(|c| &c.name == name) {
                    s.channels.push(crate::scenario::ChannelSpec { name: name.clone(), capacity: *capacity });
                }
            }
            Command::SetConsumer { consumer, max_in_flight, failure_rate } => {
                if let Some(c) = s.nsq.as_mut().and_then(|n| n.consumers.iter_mut().find(|c| c.name == *consumer)) {
                    if let Some(m) = max_in_flight {
                        c.max_in_flight = *m;
                    }
                    if let Some(f) = failure_rate {
                        c.failure_rate = *f;
                    }
                }
            }
            // One member's work is not a field of the scenario: the commands keep it.
            Command::KafkaGroupWork { member: Some(_), .. } => {}
            Command::KafkaGroupWork { group, member: None, work } => {
                if let Some(g) = s.kafka.as_mut().and_then(|k| k.groups.iter_mut().find(|g| &g.name == group)) {
                    g.work = work.clone();
                }
            }
            Command::KafkaAssignor { group, assignor } => {
                if let Some(g) = s.kafka.as_mut().and_then(|k| k.groups.iter_mut().find(|g| &g.name == group)) {
                    g.assignor = *assignor;
                }
            }
            Command::KafkaFlush { producer, flush, max_open_requests } => {
                if let Some(p) = s.kafka.as_mut().and_then(|k| k.producers.iter_mut().find(|p| &p.name == producer)) {
                    p.flush = *flush;
                    if let Some(n) = max_open_requests {
                        p.max_open_requests = *n;
                    }
                }
            }
            Command::KafkaAddPartitions { topic, partitions } => {
                if let Some(t) = s.kafka.as_mut().and_then(|k| k.topics.iter_mut().find(|t| &t.name == topic)) {
                    t.partitions = *partitions;
                }
            }
            Command::CloseChannel { .. } | Command::Pause { .. } | Command::Resume { .. } => {}
            // Faults and operator actions are events of a run, not design.
            Command::NsqdCrash { .. }
            | Command::NsqdStop { .. }
            | Command::NsqdRestart { .. }
            | Command::NsqlookupdCrash { .. }
            | Command::NsqlookupdRestart { .. }
            | Command::Nsq { .. }
            | Command::ConsumerCrash { .. }
            | Command::ConsumerStop { .. }
            | Command::ConsumerStart { .. }
            | Command::CutLink { .. }
            | Command::HealLink { .. }
            | Command::NsqTombstone { .. }
            | Command::KafkaBrokerCrash { .. }
            | Command::KafkaBrokerStop { .. }
            | Command::KafkaBrokerRestart { .. }
            | Command::KafkaMember { .. }
            | Command::KafkaRetention { .. }
            | Command::KafkaAcks { .. }
            | Command::KafkaCutLink { .. }
            | Command::KafkaHealLink { .. } => {}
        }
    }
    if s.validate().is_err() {
        // A group at count 0 where the format wants at least one instance.
        s.goroutines.retain(|g| g.count > 0);
    }
    if s.validate().is_err() {
        return base.clone();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets;

    fn base() -> Scenario {
        presets::get("buffered").unwrap().scenario()
    }

    #[test]
    fn capacity_count_and_added_groups_become_the_design() {
        let b = base();
        let ch = b.channels[0].name.clone();
        let consumer = b.goroutines.iter().find(|g| g.name != "main").unwrap().clone();
        let mut extra = consumer.clone();
        extra.name = "helper".into();
        let s = fold(
            &b,
            &[
                Command::SetCapacity { channel: ch.clone(), capacity: 50 },
                Command::AddGoroutine { spec: extra },
                Command::SetCount { group: consumer.name.clone(), count: 3 },
                Command::Pause { goroutine: "helper".into() },
            ],
        );
        assert_eq!(s.channels[0].capacity, 50);
        assert!(s.goroutines.iter().any(|g| g.name == "helper"));
        assert_eq!(s.goroutines.iter().find(|g| g.name == consumer.name).unwrap().count, 3);
        assert!(s.validate().is_ok());
        assert_eq!(s.commands, b.commands, "the scenario's own log stays, the edits are not replayed");
    }

    #[test]
    fn removing_the_last_instance_leaves_a_valid_scenario() {
        let b = base();
        let g = b.goroutines.iter().find(|g| g.name != "main").unwrap().clone();
        let names: Vec<String> = Scenario::instance_names(&g.name, g.count).collect();
        let edits: Vec<Command> = names.iter().map(|n| Command::RemoveGoroutine { goroutine: n.clone() }).collect();
        let s = fold(&b, &edits);
        assert!(s.validate().is_ok());
    }

    #[test]
    fn edits_that_no_longer_apply_are_skipped() {
        let b = base();
        let s = fold(&b, &[Command::SetCapacity { channel: "nope".into(), capacity: 1 }]);
        assert_eq!(s, b);
    }
}
