//! Checking a Kafka section beyond what serde checks: names, bounds,
//! references between brokers, topics, producers, consumers and groups.
//! Every problem is reported at once, each with its JSON path.

use super::*;

impl KafkaSpec {
    /// Everything serde cannot check; every problem at once.
    pub fn problems(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        let mut push = |path: String, message: String| out.push(Problem { path: format!("kafka.{path}"), message });
        if !(1..=MAX_BROKERS).contains(&self.brokers) {
            push("brokers".into(), format!("must be between 1 and {MAX_BROKERS}, got {}", self.brokers));
        }
        if self.broker_session_timeout.is_some_and(|d| d > MAX_BROKER_SESSION_TIMEOUT) {
            push("broker_session_timeout".into(), format!("must be at most {MAX_BROKER_SESSION_TIMEOUT}"));
        }
        if self.leader_imbalance_check_interval.is_some_and(|d| d < SimDuration::from_millis(100) || d > MAX_LEADER_IMBALANCE_CHECK) {
            push("leader_imbalance_check_interval".into(), format!("must be between 100ms and {MAX_LEADER_IMBALANCE_CHECK}"));
        }
        if self.metadata_refresh.is_some_and(|d| d < SimDuration::from_millis(100) || d > MAX_METADATA_REFRESH) {
            push("metadata_refresh".into(), format!("must be between 100ms and {MAX_METADATA_REFRESH}"));
        }
        if self.retention_check_interval.is_some_and(|d| d < SimDuration::from_millis(100)) {
            push("retention_check_interval".into(), "must be at least 100ms".into());
        }
        if !(1..=1_000_000).contains(&self.record_bytes) {
            push("record_bytes".into(), format!("must be between 1 and 1000000, got {}", self.record_bytes));
        }
        for (what, n) in [("topics", self.topics.len()), ("producers", self.producers.len()), ("consumers", self.consumers.len()), ("groups", self.groups.len())] {
            if n > MAX_ITEMS {
                push(what.into(), format!("at most {MAX_ITEMS}, got {n}"));
            }
        }
        let brokers = self.brokers.clamp(1, MAX_BROKERS);
        for (i, t) in self.topics.iter().enumerate() {
            if let Err(m) = check_name(&t.name, 249) {
                push(format!("topics[{i}].name"), m);
            } else if self.topics[..i].iter().any(|o| o.name == t.name) {
                push(format!("topics[{i}].name"), format!("duplicate topic {}", echo(&t.name)));
            }
            if !(1..=MAX_PARTITIONS).contains(&t.partitions) {
                push(format!("topics[{i}].partitions"), format!("must be between 1 and {MAX_PARTITIONS}, got {}", t.partitions));
            }
            if !(1..=brokers).contains(&t.replication_factor) {
                push(
                    format!("topics[{i}].replication_factor"),
                    format!("must be between 1 and the broker count {brokers}, got {}", t.replication_factor),
                );
            }
            if t.min_insync_replicas == 0 || t.min_insync_replicas > t.replication_factor.max(1) {
                push(
                    format!("topics[{i}].min_insync_replicas"),
                    format!("must be between 1 and the replication factor {}, got {}", t.replication_factor, t.min_insync_replicas),
                );
            }
            if t.segment_bytes == Some(0) {
                push(format!("topics[{i}].segment_bytes"), "must be at least 1".into());
            }
            if t.retention == Some(SimDuration::ZERO) {
                push(format!("topics[{i}].retention"), "must be longer than 0".into());
            }
        }
        let mut names: Vec<String> = Vec::new();
        let mut check_owner = |path: String, name: &str, out: &mut Vec<(String, String)>| {
            if let Err(m) = check_name(name, MAX_NAME) {
                out.push((path, m));
            } else if names.iter().any(|n| n == name) {
                out.push((path, format!("the name {} is used twice in the kafka section", echo(name))));
            }
            names.push(name.to_string());
        };
        let mut named = Vec::new();
        for (i, p) in self.producers.iter().enumerate() {
            check_owner(format!("producers[{i}].name"), &p.name, &mut named);
            match (p.kind, &p.topic) {
                (ProducerKind::Async, None) => named.push((format!("producers[{i}].topic"), "an async producer needs the topic of its messages".into())),
                (ProducerKind::Async, Some(t)) if self.topic(t).is_none() => {
                    named.push((format!("producers[{i}].topic"), format!("no topic named {}", echo(t))))
                }
                (ProducerKind::Sync, Some(_)) => {
                    named.push((format!("producers[{i}].topic"), "a sync producer takes its topic from each kafka_send".into()))
                }
                _ => {}
            }
            if p.channel_buffer_size > MAX_BUFFER {
                named.push((format!("producers[{i}].channel_buffer_size"), format!("at most {MAX_BUFFER}, got {}", p.channel_buffer_size)));
            }
            if p.keys == Some(0) {
                named.push((format!("producers[{i}].keys"), "must be at least 1 (leave it out for nil keys)".into()));
            }
            if p.kind == ProducerKind::Sync
                && (p.return_successes || !p.return_errors || p.channel_buffer_size != 256 || p.flush != FlushSpec::default() || p.max_open_requests != 5)
            {
                named.push((
                    format!("producers[{i}]"),
                    "return_successes, return_errors, channel_buffer_size, flush and max_open_requests are async producer settings (a SyncProducer sends one message at a time and returns both results by itself)".into(),
                ));
            }
            if let Some(m) = max_open_requests_problem(p.max_open_requests) {
                named.push((format!("producers[{i}].max_open_requests"), m));
            }
            for (field, m) in p.flush.problems() {
                named.push((format!("producers[{i}].flush.{field}"), m));
            }
        }
        for (i, c) in self.consumers.iter().enumerate() {
            check_owner(format!("consumers[{i}].name"), &c.name, &mut named);
            match self.topic(&c.topic) {
                None => named.push((format!("consumers[{i}].topic"), format!("no topic named {}", echo(&c.topic)))),
                Some((_, t)) => {
                    for &p in c.partitions.iter().flatten() {
                        if p >= t.partitions {
                            named.push((format!("consumers[{i}].partitions"), format!("topic {} has partitions 0 to {}, got {p}", echo(&t.name), t.partitions - 1)));
                        }
                    }
                    if c.partitions.as_ref().is_some_and(|ps| ps.iter().enumerate().any(|(j, p)| ps[..j].contains(p))) {
                        named.push((format!("consumers[{i}].partitions"), "a partition is listed twice (sarama: \"That topic/partition is already being consumed\")".into()));
                    }
                }
            }
            if c.channel_buffer_size > MAX_BUFFER {
                named.push((format!("consumers[{i}].channel_buffer_size"), format!("at most {MAX_BUFFER}, got {}", c.channel_buffer_size)));
            }
        }
        for (i, g) in self.groups.iter().enumerate() {
            check_owner(format!("groups[{i}].name"), &g.name, &mut named);
            if g.topics.is_empty() {
                named.push((format!("groups[{i}].topics"), "a group consumes at least one topic".into()));
            }
            for t in &g.topics {
                if self.topic(t).is_none() {
                    named.push((format!("groups[{i}].topics"), format!("no topic named {}", echo(t))));
                }
            }
            if !(1..=MAX_MEMBERS).contains(&g.members) {
                named.push((format!("groups[{i}].members"), format!("must be between 1 and {MAX_MEMBERS}, got {}", g.members)));
            }
            let session = g.session_timeout.unwrap_or(SimDuration::from_secs(10));
            let beat = g.heartbeat_interval.unwrap_or(SimDuration::from_secs(3));
            if beat >= session || beat == SimDuration::ZERO {
                named.push((format!("groups[{i}].heartbeat_interval"), format!("must be above 0 and below the session timeout {session} (sarama's Validate), got {beat}")));
            }
            if g.start_members.is_some_and(|n| n > g.members) {
                named.push((format!("groups[{i}].start_members"), format!("at most the member count {}, got {}", g.members, g.start_members.unwrap_or(0))));
            }
            if g.auto_commit_interval == Some(SimDuration::ZERO) {
                named.push((format!("groups[{i}].auto_commit_interval"), "must be longer than 0".into()));
            }
        }
        let claims: u64 = self.groups.iter().map(|g| u64::from(g.members.min(MAX_MEMBERS)) * u64::from(self.group_slots(g))).sum();
        if claims > u64::from(MAX_CLAIMS) {
            named.push(("groups".into(), format!("at most {MAX_CLAIMS} claim goroutines (members times the partitions of their topics), got {claims}")));
        }
        for (path, m) in named {
            push(path, m);
        }
        out
    }
}

/// Kafka's topic-name rule (also used for client names here): 1 to `max`
/// characters of `[a-zA-Z0-9._-]`, not `.` or `..`.
fn check_name(name: &str, max: usize) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= max
        && name != "."
        && name != ".."
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(format!("names are 1 to {max} characters of letters, digits, '.', '_' and '-', got {}", echo(name)))
    }
}
