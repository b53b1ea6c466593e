//! sarama's consumer-group balance strategies (IBM/sarama
//! `balance_strategy.go`): the plan the group leader computes from the
//! members' subscriptions and the topics' partitions. Pure functions.
//!
//! # Semantics
//! - Input: members (id and subscribed topics) and topics (name and the
//!   list of partition ids, normally `0..n`; see [`topics_with_counts`]).
//!   Output: member -> topic -> partitions ([`Plan`]). As sarama's
//!   `BalanceStrategyPlan.Add`, a member that gets nothing is absent from
//!   the plan: it sits idle ([`idle_members`]). Each partition goes to
//!   exactly one subscribed member.
//! - [`Strategy::Range`] (`NewBalanceStrategyRange`, sarama's default):
//!   per topic, the members subscribed to it (ids sorted as strings,
//!   duplicates removed) each get a contiguous block of the topic's
//!   partitions in their given order: `P / M` each, and the first `P % M`
//!   members one more. Member `i` starts at `i * (P / M) + min(i, P % M)`.
//!   The same (lowest-sorting) members get the extras on every topic: skew.
//!   A subscribed topic that is not in the topic list gives nothing.
//! - [`Strategy::RoundRobin`] (`NewBalanceStrategyRoundRobin`): all
//!   partitions of all listed topics, sorted by the *string*
//!   `"topic-partition"` (so `t-10` comes before `t-2`), are dealt to the
//!   members sorted by id; a cursor walks the members cyclically, skipping
//!   members not subscribed to the partition's topic, and advances past the
//!   member that took it. No members or no topics is an error (sarama:
//!   "members and topics are not provided").
//!
//! # Deviations on bad input (sarama would misbehave)
//! - A listed topic nobody subscribes to makes sarama's round robin loop
//!   forever: here [`AssignError::NoSubscriber`].
//! - Members are a Go map there: a repeated member id here is
//!   [`AssignError::DuplicateMember`]. A negative or repeated partition id
//!   is [`AssignError::InvalidPartition`] / [`AssignError::DuplicatePartition`]
//!   (sarama would hand a repeated partition out twice).
//!
//! - [`Strategy::Sticky`] (`NewBalanceStrategySticky`): balanced, and each
//!   member keeps what it owned before as far as balance allows (its
//!   previous assignment is its `owned`, sarama's user data); see
//!   [`super::sticky`].
//!
//! # Not modelled
//! Cooperative-sticky (sarama ships it, but its group runs the eager
//! protocol).

use litemap::LiteMap;
use std::fmt;

/// member id -> topic -> partitions, in the order sarama appends them.
pub type Plan = LiteMap<String, LiteMap<String, Vec<i32>>>;

/// A group member's id and subscription (sarama's
/// `ConsumerGroupMemberMetadata.Topics`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub id: String,
    pub topics: Vec<String>,
    /// What it owned in the previous generation (sticky's user data;
    /// the other strategies ignore it).
    pub owned: Vec<(String, i32)>,
}

impl Member {
    pub fn new(id: &str, topics: &[&str]) -> Self {
        Member {
            id: id.to_string(),
            topics: topics.iter().map(|t| t.to_string()).collect(),
            owned: Vec::new(),
        }
    }
}

/// A balance strategy (`Config.Consumer.Group.Rebalance.GroupStrategies`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Strategy {
    /// `range`, sarama's default.
    #[default]
    Range,
    /// `roundrobin`.
    RoundRobin,
    /// `sticky`.
    Sticky,
    /// `cooperative-sticky` (KIP-429): the sticky plan, then partitions
    /// that would change hands are withheld until their owner gave them up
    /// ([`super::sticky::plan_cooperative_sticky`]).
    CooperativeSticky,
}

impl Strategy {
    /// The protocol name sarama announces in JoinGroup.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Range => "range",
            Strategy::RoundRobin => "roundrobin",
            Strategy::Sticky => "sticky",
            Strategy::CooperativeSticky => "cooperative-sticky",
        }
    }
}

/// Why no plan could be computed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AssignError {
    /// Round robin without members or topics (sarama's error).
    NoMembersOrTopics,
    /// Round robin: a listed topic no member subscribes to.
    NoSubscriber { topic: String },
    /// The same member id twice.
    DuplicateMember { member: String },
    /// The same topic listed twice.
    DuplicateTopic { topic: String },
    /// A partition id listed twice for one topic.
    DuplicatePartition { topic: String, partition: i32 },
    /// A negative partition id.
    InvalidPartition { topic: String, partition: i32 },
}

impl fmt::Display for AssignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AssignError::NoMembersOrTopics => write!(f, "members and topics are not provided"),
            AssignError::NoSubscriber { topic } => {
                write!(f, "no member subscribes to topic {topic:?}")
            }
            AssignError::DuplicateMember { member } => write!(f, "member {member:?} listed twice"),
            AssignError::DuplicateTopic { topic } => write!(f, "topic {topic:?} listed twice"),
            AssignError::DuplicatePartition { topic, partition } => {
                write!(f, "partition {partition} of topic {topic:?} listed twice")
            }
            AssignError::InvalidPartition { topic, partition } => {
                write!(f, "invalid partition {partition} of topic {topic:?}")
            }
        }
    }
}

impl std::error::Error for AssignError {}

/// Topics `name -> [0, 1, .., count-1]`, as sarama's group leader builds
/// them from metadata.
pub fn topics_with_counts(counts: &[(&str, u32)]) -> Vec<(String, Vec<i32>)> {
    counts
        .iter()
        .map(|&(t, n)| (t.to_string(), (0..n.min(i32::MAX as u32) as i32).collect()))
        .collect()
}

/// Members with no partition in `plan`, sorted by id (idle members).
pub fn idle_members<'a>(plan: &Plan, members: &'a [Member]) -> Vec<&'a str> {
    let mut idle: Vec<&str> = members
        .iter()
        .map(|m| m.id.as_str())
        .filter(|id| !plan.contains_key(*id))
        .collect();
    crate::cold_sort::sort(&mut idle);
    idle
}

/// The plan `strategy` computes for `members` and `topics` (name and
/// partition ids).
pub fn plan(
    strategy: Strategy,
    members: &[Member],
    topics: &[(String, Vec<i32>)],
) -> Result<Plan, AssignError> {
    validate(members, topics)?;
    match strategy {
        Strategy::Range => Ok(plan_range(members, topics)),
        Strategy::RoundRobin => plan_round_robin(members, topics),
        Strategy::Sticky => Ok(super::sticky::plan_sticky(members, topics)),
        Strategy::CooperativeSticky => Ok(super::sticky::plan_cooperative_sticky(members, topics)),
    }
}

fn validate(members: &[Member], topics: &[(String, Vec<i32>)]) -> Result<(), AssignError> {
    // Sets are maps to `()` here (sorted vectors: one small copy of code).
    let mut ids = LiteMap::new_vec();
    for m in members {
        if ids.insert(m.id.as_str(), ()).is_some() {
            return Err(AssignError::DuplicateMember {
                member: m.id.clone(),
            });
        }
    }
    let mut names = LiteMap::new_vec();
    for (t, parts) in topics {
        if names.insert(t.as_str(), ()).is_some() {
            return Err(AssignError::DuplicateTopic { topic: t.clone() });
        }
        let mut seen = LiteMap::new_vec();
        for &p in parts {
            if p < 0 {
                return Err(AssignError::InvalidPartition {
                    topic: t.clone(),
                    partition: p,
                });
            }
            if seen.insert(p, ()).is_some() {
                return Err(AssignError::DuplicatePartition {
                    topic: t.clone(),
                    partition: p,
                });
            }
        }
    }
    Ok(())
}

/// `BalanceStrategyPlan.Add`: nothing for an empty list.
pub(super) fn add(plan: &mut Plan, member: &str, topic: &str, partitions: &[i32]) {
    if partitions.is_empty() {
        return;
    }
    plan.entry(member.to_string())
        .or_default()
        .entry(topic.to_string())
        .or_default()
        .extend_from_slice(partitions);
}

fn plan_range(members: &[Member], topics: &[(String, Vec<i32>)]) -> Plan {
    // members by topic, each list sorted and de-duplicated (sarama `uniq`).
    let mut by_topic: LiteMap<&str, LiteMap<&str, ()>> = LiteMap::new();
    for m in members {
        for t in &m.topics {
            by_topic
                .entry(t.as_str())
                .or_default()
                .insert(m.id.as_str(), ());
        }
    }
    let mut plan = Plan::new();
    for (topic, ids) in by_topic {
        let Some((_, partitions)) = topics.iter().find(|(t, _)| t == topic) else {
            continue; // sarama: topics[topic] is nil, every block empty
        };
        let n_members = ids.len();
        let per = partitions.len() / n_members;
        let extra = partitions.len() % n_members;
        for (i, (id, ())) in ids.into_iter().enumerate() {
            let start = i * per + i.min(extra);
            let end = start + per + usize::from(i < extra);
            add(&mut plan, id, topic, &partitions[start..end]);
        }
    }
    plan
}

fn plan_round_robin(
    members: &[Member],
    topics: &[(String, Vec<i32>)],
) -> Result<Plan, AssignError> {
    if members.is_empty() || topics.is_empty() {
        return Err(AssignError::NoMembersOrTopics);
    }
    let mut sorted: Vec<(&Member, &[String])> = members.iter().map(|m| (m, m.topics.as_slice())).collect();
    crate::cold_sort::sort_by(&mut sorted, |a, b| a.0.id.cmp(&b.0.id));
    for (t, parts) in topics {
        if !parts.is_empty() && !sorted.iter().any(|(_, s)| s.contains(t)) {
            return Err(AssignError::NoSubscriber { topic: t.clone() });
        }
    }
    // sarama sorts by fmt.Sprintf("%s-%d"); partition ids are
    // non-negative and unique here, so the keys are distinct.
    let mut tps: Vec<(String, &str, i32)> = topics
        .iter()
        .flat_map(|(t, parts)| {
            parts
                .iter()
                .map(move |&p| (format!("{t}-{p}"), t.as_str(), p))
        })
        .collect();
    crate::cold_sort::sort(&mut tps);
    let mut plan = Plan::new();
    let n = sorted.len();
    let mut i = 0usize;
    for (_, topic, p) in tps {
        // Terminates: some member subscribes to `topic` (checked above).
        while !sorted[i % n].1.iter().any(|s| s == topic) {
            i += 1;
        }
        add(&mut plan, &sorted[i % n].0.id, topic, &[p]);
        i += 1;
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(ms: &[(&str, &[&str])]) -> Vec<Member> {
        ms.iter().map(|(id, ts)| Member::new(id, ts)).collect()
    }

    fn topics(ts: &[(&str, &[i32])]) -> Vec<(String, Vec<i32>)> {
        ts.iter()
            .map(|(t, ps)| (t.to_string(), ps.to_vec()))
            .collect()
    }

    type TopicParts<'a> = &'a [(&'a str, &'a [i32])];

    fn expected(e: &[(&str, TopicParts)]) -> Plan {
        e.iter()
            .map(|(m, ts)| {
                (
                    m.to_string(),
                    ts.iter()
                        .map(|(t, ps)| (t.to_string(), ps.to_vec()))
                        .collect(),
                )
            })
            .collect()
    }

    type Case<'a> = (
        &'a [(&'a str, &'a [&'a str])],
        TopicParts<'a>,
        &'a [(&'a str, TopicParts<'a>)],
    );

    fn check(strategy: Strategy, cases: &[Case]) {
        for (i, (ms, ts, want)) in cases.iter().enumerate() {
            let got = plan(strategy, &members(ms), &topics(ts)).unwrap();
            assert_eq!(got, expected(want), "{strategy:?} case {i}");
        }
    }

    /// balance_strategy_test.go TestBalanceStrategyRange (all six cases,
    /// in order) and its name check.
    #[test]
    fn balance_strategy_range() {
        assert_eq!(Strategy::Range.name(), "range");
        let t8: &[&str] = &["T1", "T1", "T1", "T1", "T1", "T1", "T1", "T1"];
        check(
            Strategy::Range,
            &[
                // 2 members, 2 topics, 4 partitions each
                (
                    &[("M1", &["T1", "T2"]), ("M2", &["T1", "T2"])],
                    &[("T1", &[0, 1, 2, 3]), ("T2", &[0, 1, 2, 3])],
                    &[
                        ("M1", &[("T1", &[0, 1]), ("T2", &[0, 1])]),
                        ("M2", &[("T1", &[2, 3]), ("T2", &[2, 3])]),
                    ],
                ),
                // ... (different member ids)
                (
                    &[("M3", &["T1", "T2"]), ("M4", &["T1", "T2"])],
                    &[("T1", &[0, 1, 2, 3]), ("T2", &[0, 1, 2, 3])],
                    &[
                        ("M3", &[("T1", &[0, 1]), ("T2", &[0, 1])]),
                        ("M4", &[("T1", &[2, 3]), ("T2", &[2, 3])]),
                    ],
                ),
                // 3 members, 1 topic, 1 partition each: M2, M3 idle
                (
                    &[("M1", &["T1"]), ("M2", &["T1"]), ("M3", &["T1"])],
                    &[("T1", &[0])],
                    &[("M1", &[("T1", &[0])])],
                ),
                // 2 members, 2 topics, 3 partitions each
                (
                    &[("M1", &["T1", "T2"]), ("M2", &["T1", "T2"])],
                    &[("T1", &[0, 1, 2]), ("T2", &[0, 1, 2])],
                    &[
                        ("M1", &[("T1", &[0, 1]), ("T2", &[0, 1])]),
                        ("M2", &[("T1", &[2]), ("T2", &[2])]),
                    ],
                ),
                // 2 members, 2 topics, different subscriptions
                (
                    &[("M1", &["T1"]), ("M2", &["T1", "T2"])],
                    &[("T1", &[0, 1]), ("T2", &[0, 1])],
                    &[
                        ("M1", &[("T1", &[0])]),
                        ("M2", &[("T1", &[1]), ("T2", &[0, 1])]),
                    ],
                ),
                // 2 members, 1 topic with duplicate assignments, 8 partitions
                (
                    &[("M1", t8), ("M2", t8)],
                    &[("T1", &[0, 1, 2, 3, 4, 5, 6, 7])],
                    &[
                        ("M1", &[("T1", &[0, 1, 2, 3])]),
                        ("M2", &[("T1", &[4, 5, 6, 7])]),
                    ],
                ),
            ],
        );
    }

    /// balance_strategy_test.go TestBalanceStrategyRoundRobin (all seven
    /// cases, in order) and its name check.
    #[test]
    fn balance_strategy_round_robin() {
        assert_eq!(Strategy::RoundRobin.name(), "roundrobin");
        let all: &[&str] = &["T1", "T2", "T3"];
        let tt: &[&str] = &["T1", "T2", "TT2"];
        check(
            Strategy::RoundRobin,
            &[
                (
                    &[("M1", all), ("M2", all)],
                    &[("T1", &[0]), ("T2", &[0]), ("T3", &[0])],
                    &[
                        ("M1", &[("T1", &[0]), ("T3", &[0])]),
                        ("M2", &[("T2", &[0])]),
                    ],
                ),
                (
                    &[("M1", all), ("M2", all)],
                    &[("T1", &[0]), ("T2", &[0, 1]), ("T3", &[0, 1, 2, 3])],
                    &[
                        ("M1", &[("T1", &[0]), ("T2", &[1]), ("T3", &[1, 3])]),
                        ("M2", &[("T2", &[0]), ("T3", &[0, 2])]),
                    ],
                ),
                (
                    &[("M1", &["T1"]), ("M2", &["T1"])],
                    &[("T1", &[0])],
                    &[("M1", &[("T1", &[0])])],
                ),
                (
                    &[("M1", all)],
                    &[("T1", &[0]), ("T2", &[0]), ("T3", &[0, 1, 2])],
                    &[("M1", &[("T1", &[0]), ("T2", &[0]), ("T3", &[0, 1, 2])])],
                ),
                (
                    &[("M1", all), ("M2", &["T1"])],
                    &[("T1", &[0]), ("T2", &[0]), ("T3", &[0])],
                    &[("M1", &[("T1", &[0]), ("T2", &[0]), ("T3", &[0])])],
                ),
                (
                    &[("M1", all), ("M2", &["T1", "T3"])],
                    &[("T1", &[0]), ("T2", &[0]), ("T3", &[0])],
                    &[
                        ("M1", &[("T1", &[0]), ("T2", &[0])]),
                        ("M2", &[("T3", &[0])]),
                    ],
                ),
                (
                    &[("M", tt), ("M2", tt), ("M3", tt)],
                    &[("T1", &[0]), ("T2", &[0]), ("TT2", &[0])],
                    &[
                        ("M", &[("T1", &[0])]),
                        ("M2", &[("T2", &[0])]),
                        ("M3", &[("TT2", &[0])]),
                    ],
                ),
            ],
        );
    }

    /// balance_strategy.go roundRobinBalancer.Plan: partitions sort as
    /// strings, so "T-10" and "T-11" come before "T-2".
    #[test]
    fn round_robin_sorts_partitions_as_strings() {
        let ms = members(&[("a", &["T"]), ("b", &["T"])]);
        let got = plan(Strategy::RoundRobin, &ms, &topics_with_counts(&[("T", 12)])).unwrap();
        // order: 0 1 10 11 2 3 4 5 6 7 8 9, dealt a b a b ...
        assert_eq!(*got.get("a").and_then(|t| t.get("T")).expect("assigned"), vec![0, 10, 2, 4, 6, 8]);
        assert_eq!(*got.get("b").and_then(|t| t.get("T")).expect("assigned"), vec![1, 11, 3, 5, 7, 9]);
    }

    /// balance_strategy.go NewBalanceStrategyRange doc example and the
    /// skew across topics: the first members get the extras everywhere;
    /// member ids sort as strings ("c10" < "c2").
    #[test]
    fn range_skew_and_string_order() {
        let ms = members(&[("c2", &["A", "B"]), ("c10", &["A", "B"])]);
        let got = plan(
            Strategy::Range,
            &ms,
            &topics_with_counts(&[("A", 3), ("B", 3)]),
        )
        .unwrap();
        assert_eq!(
            *got.get("c10").expect("a member"),
            *expected(&[("x", &[("A", &[0, 1]), ("B", &[0, 1])])]).get("x").expect("a member")
        );
        assert_eq!(*got.get("c2").and_then(|t| t.get("A")).expect("assigned"), vec![2]);
        let ms = members(&[("M1", &["T1", "T2"]), ("M2", &["T1", "T2"])]);
        let got = plan(
            Strategy::Range,
            &ms,
            &topics_with_counts(&[("T1", 6), ("T2", 6)]),
        )
        .unwrap();
        assert_eq!(*got.get("M1").and_then(|t| t.get("T1")).expect("assigned"), vec![0, 1, 2]);
        assert_eq!(*got.get("M2").and_then(|t| t.get("T2")).expect("assigned"), vec![3, 4, 5]);
    }

    /// Members beyond the partition count get nothing (idle), both ways.
    #[test]
    fn extra_members_are_idle() {
        let ms = members(&[
            ("m1", &["T"]),
            ("m2", &["T"]),
            ("m3", &["T"]),
            ("m4", &["T"]),
        ]);
        for s in [Strategy::Range, Strategy::RoundRobin] {
            let got = plan(s, &ms, &topics_with_counts(&[("T", 2)])).unwrap();
            assert_eq!(got.len(), 2, "{s:?}");
            assert_eq!(idle_members(&got, &ms), vec!["m3", "m4"], "{s:?}");
        }
    }

    /// Bad input gives typed errors, never a hang or a panic.
    #[test]
    fn bad_input_is_an_error() {
        let ms = members(&[("m1", &["T"])]);
        let t = topics_with_counts(&[("T", 2)]);
        assert_eq!(
            plan(Strategy::RoundRobin, &[], &t),
            Err(AssignError::NoMembersOrTopics)
        );
        assert_eq!(
            plan(Strategy::RoundRobin, &ms, &[]),
            Err(AssignError::NoMembersOrTopics)
        );
        // sarama's range gives an empty plan for the same input.
        assert_eq!(plan(Strategy::Range, &[], &t), Ok(Plan::new()));
        let t2 = topics_with_counts(&[("T", 2), ("U", 1)]);
        assert_eq!(
            plan(Strategy::RoundRobin, &ms, &t2),
            Err(AssignError::NoSubscriber { topic: "U".into() })
        );
        // Range just leaves an unsubscribed topic unassigned.
        assert_eq!(plan(Strategy::Range, &ms, &t2).unwrap().get("m1").expect("a member").len(), 1);
        let dup = members(&[("m1", &["T"]), ("m1", &["T"])]);
        assert_eq!(
            plan(Strategy::Range, &dup, &t),
            Err(AssignError::DuplicateMember {
                member: "m1".into()
            })
        );
        assert_eq!(
            plan(Strategy::Range, &ms, &topics(&[("T", &[0, 0])])),
            Err(AssignError::DuplicatePartition {
                topic: "T".into(),
                partition: 0
            })
        );
        assert_eq!(
            plan(Strategy::Range, &ms, &topics(&[("T", &[-1])])),
            Err(AssignError::InvalidPartition {
                topic: "T".into(),
                partition: -1
            })
        );
        assert_eq!(
            plan(Strategy::Range, &ms, &topics(&[("T", &[0]), ("T", &[1])])),
            Err(AssignError::DuplicateTopic { topic: "T".into() })
        );
        // A subscription to a topic that does not exist assigns nothing.
        let ghost = members(&[("m1", &["nope"])]);
        assert_eq!(plan(Strategy::Range, &ghost, &t), Ok(Plan::new()));
    }
}
