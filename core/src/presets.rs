//! Built-in scenarios: the JSON files in the repository's `presets/` folder,
//! compiled in so the CLI, the tests and the page share one copy.

use crate::scenario::Scenario;

/// A built-in scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Preset {
    pub name: &'static str,
    pub json: &'static str,
}

/// The presets of each system; a system the build does not have
/// (`crate::gate`) brings none, so its JSON is not in the build either.
macro_rules! presets {
    (go: [$($go:literal),* $(,)?], nsq: [$($nsq:literal),* $(,)?], kafka: [$($kafka:literal),* $(,)?] $(,)?) => {
        &[
            $(Preset { name: $go, json: include_str!(concat!("../../presets/", $go, ".json")) },)*
            $(#[cfg(feature = "nsq")] Preset { name: $nsq, json: include_str!(concat!("../../presets/", $nsq, ".json")) },)*
            $(#[cfg(feature = "kafka")] Preset { name: $kafka, json: include_str!(concat!("../../presets/", $kafka, ".json")) },)*
        ]
    };
}

/// Every preset this build has, in the order the page lists them (a preset's
/// name starts with its system: `nsq-`, `kafka-`; the page picks the engine
/// module by it). A `static`, not a `const`:
/// a `const` is copied into every crate that uses it, and the wasm module held
/// the presets' JSON twice (52 KB).
pub static ALL: &[Preset] = presets![
    go: [
        "backpressure",
        "classic",
        "buffered",
        "wait-group",
        "pipeline",
        "forgotten-close",
        "close-while-sending",
        "select-timeout",
        "prime-sieve",
        "large",
    ],
    nsq: [
        "nsq-single",
        "nsq-multicast",
        "nsq-load-balancing",
        "nsq-cluster",
        "nsq-slow-handler",
        "nsq-failing-handler",
        "nsq-poison",
        "nsq-max-in-flight",
        "nsq-touch",
        "nsq-missed-heartbeats",
        "nsq-deferred",
        "nsq-consumer-crash",
        "nsq-disk-overflow",
        "nsq-ephemeral",
        "nsq-crash",
        "nsq-redundant-pair",
    ],
    kafka: [
        "kafka-sync-producer",
        "kafka-partition-consumer",
        "kafka-async-producer",
        "kafka-async-hang",
        "kafka-batching",
        "kafka-consumer-group",
        "kafka-rebalance",
        "kafka-idle-members",
        "kafka-acks1-loss",
        "kafka-acks-all",
        "kafka-unclean-election",
        "kafka-clean-stop",
        "kafka-slow-handler",
        "kafka-join-timeout",
        "kafka-retention",
        "kafka-keys",
    ],
];

/// The preset the page opens with.
/// It keeps running and shows a lesson at once (a full buffer blocks its
/// senders), where the shorter programs end within seconds.
pub const DEFAULT: &str = "backpressure";

impl Preset {
    /// The parsed scenario (presets are tested to be valid).
    pub fn scenario(&self) -> Scenario {
        Scenario::from_json(self.json).unwrap_or_else(|e| panic!("preset {} is invalid: {e}", self.name))
    }
}

/// Which system a scenario shows (the page groups its presets by it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum System {
    /// Go channels only.
    Go,
    /// An `nsq` section: nsqd nodes, consumers (and Go around them).
    Nsq,
    /// A `kafka` section: brokers, sarama clients (and Go around them).
    Kafka,
}

impl System {
    /// The system `s` shows: NSQ when it has an `nsq` section.
    pub fn of(s: &Scenario) -> System {
        if s.nsq.is_some() {
            System::Nsq
        } else if s.kafka.is_some() {
            System::Kafka
        } else {
            System::Go
        }
    }
}

/// Finds a preset by name.
pub fn get(name: &str) -> Option<&'static Preset> {
    ALL.iter().find(|p| p.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_is_valid_and_named_after_its_file() {
        for p in ALL {
            let s = p.scenario();
            assert_eq!(s.name, p.name);
            assert!(!s.title.is_empty() && !s.description.is_empty(), "{}", p.name);
        }
        assert!(get(DEFAULT).is_some());
    }

    #[test]
    fn nsq_and_kafka_presets_are_theirs_and_the_rest_go() {
        for p in ALL {
            let want = if p.name.starts_with("nsq-") {
                System::Nsq
            } else if p.name.starts_with("kafka-") {
                System::Kafka
            } else {
                System::Go
            };
            assert_eq!(System::of(&p.scenario()), want, "{}", p.name);
        }
        assert_eq!(serde_json::to_value(System::Nsq).unwrap(), "nsq");
        assert_eq!(serde_json::to_value(System::Go).unwrap(), "go");
    }
}
