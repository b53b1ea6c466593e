use super::*;
use crate::kafka::consumer::assignor::Strategy;
use proptest::prelude::*;

fn t(ms: u64) -> SimTime {
    SimTime::ZERO + SimDuration::from_millis(ms)
}
const S: u64 = 1000;

fn group(parts: &[(&str, u32)]) -> GroupCoordinator {
    let mut g = GroupCoordinator::new(GroupConfig::default());
    for &(topic, n) in parts {
        g.set_partitions(topic, n).unwrap();
    }
    g
}

/// `ids` join "T" at 0 s; the join phase ends at 3 s for one member, at
/// 6 s for more (they joined in the first window: one extension).
fn stable(ids: &[&str], parts: u32) -> GroupCoordinator {
    let mut g = group(&[("T", parts)]);
    let mut out = Vec::new();
    for id in ids {
        assert_eq!(g.join(t(0), id, &["T"], &mut out), Ok(JoinOutcome::Waiting));
    }
    let end = if ids.len() > 1 { 6 * S } else { 3 * S };
    g.tick(t(end - 1), &mut out);
    assert_eq!(g.state(), GroupState::PreparingRebalance);
    g.tick(t(end), &mut out);
    assert_eq!(g.state(), GroupState::Stable);
    assert_eq!(g.generation(), 1);
    g
}

fn assignment(g: &GroupCoordinator, id: &str) -> Vec<(String, i32)> {
    g.member(id).unwrap().assignment.clone()
}

fn tp(topic: &str, ps: &[i32]) -> Vec<(String, i32)> {
    ps.iter().map(|&p| (topic.to_string(), p)).collect()
}

fn join_reason(member: &str) -> RebalanceReason {
    RebalanceReason::Join {
        member: member.into(),
    }
}

/// `InitialDelayedJoin`: 3 s, extended by a window while new members
/// keep coming (generation 0 only), capped by the rebalance timeout.
#[test]
fn initial_delay_extends_and_is_capped() {
    let mut g = group(&[("T", 4)]);
    let mut out = Vec::new();
    g.join(t(0), "a", &["T"], &mut out).unwrap();
    assert_eq!(
        out,
        vec![GroupEvent::RebalanceStarted {
            generation: 0,
            reason: join_reason("a")
        }]
    );
    assert_eq!(g.next_deadline(), Some(t(3 * S)));
    g.join(t(S), "b", &["T"], &mut out).unwrap();
    out.clear();
    g.tick(t(3 * S), &mut out);
    assert!(out.is_empty());
    assert_eq!(g.next_deadline(), Some(t(6 * S)));
    g.join(t(5 * S), "c", &["T"], &mut out).unwrap();
    g.tick(t(6 * S), &mut out);
    assert_eq!(g.next_deadline(), Some(t(9 * S)));
    g.tick(t(9 * S), &mut out);
    assert_eq!(g.generation(), 1);
    assert_eq!(g.leader(), Some("a"));
    assert!(
        matches!(&out[0], GroupEvent::Assigned { generation: 1, assignments, .. } if assignments.len() == 3)
    );

    // Capped: rebalance timeout 7 s, joiners in every window.
    let mut g = GroupCoordinator::new(GroupConfig {
        rebalance_timeout: SimDuration::from_secs(7),
        ..Default::default()
    });
    g.set_partitions("T", 4).unwrap();
    for (ms, id) in [(0, "a"), (2 * S, "b"), (4 * S, "c"), (6_500, "d")] {
        g.tick(t(ms), &mut out);
        g.join(t(ms), id, &["T"], &mut out).unwrap();
    }
    assert_eq!(g.next_deadline(), Some(t(7 * S)));
    g.tick(t(7 * S), &mut out);
    assert_eq!((g.state(), g.member_count()), (GroupState::Stable, 4));

    // After the group was empty (generation > 0): one window, no extension.
    let mut g = stable(&["a"], 4);
    g.leave(t(4 * S), "a", &mut out).unwrap();
    assert_eq!((g.state(), g.generation()), (GroupState::Empty, 2));
    g.join(t(10 * S), "a", &["T"], &mut out).unwrap();
    g.join(t(11 * S), "b", &["T"], &mut out).unwrap();
    g.tick(t(13 * S), &mut out);
    assert_eq!((g.state(), g.generation()), (GroupState::Stable, 3));
}

/// A new member's join rebalances everyone: generation + 1, the first
/// member to join stays leader (not the lowest id), the plan covers all.
#[test]
fn new_member_rebalances_everyone_generation_and_leader() {
    let mut g = stable(&["z", "a"], 4);
    assert_eq!(g.leader(), Some("z"));
    assert_eq!(assignment(&g, "a"), tp("T", &[0, 1])); // range sorts ids
    let mut out = Vec::new();
    g.join(t(10 * S), "c", &["T"], &mut out).unwrap();
    assert_eq!(
        out,
        vec![GroupEvent::RebalanceStarted {
            generation: 1,
            reason: join_reason("c")
        }]
    );
    assert_eq!(g.state(), GroupState::PreparingRebalance);
    assert_eq!(
        g.join(t(11 * S), "z", &["T"], &mut out),
        Ok(JoinOutcome::Waiting)
    );
    assert_eq!(
        g.join(t(12 * S), "a", &["T"], &mut out),
        Ok(JoinOutcome::Completed { generation: 2 })
    );
    assert_eq!((g.generation(), g.leader()), (2, Some("z")));
    assert_eq!(assignment(&g, "a"), tp("T", &[0, 1]));
    assert_eq!(assignment(&g, "c"), tp("T", &[2]));
    assert_eq!(assignment(&g, "z"), tp("T", &[3]));
    assert_eq!(g.owner("T", 3), Some("z"));
    // The leader leaves: the member that joined next leads.
    g.leave(t(13 * S), "z", &mut out).unwrap();
    g.join(t(13 * S), "c", &["T"], &mut out).unwrap();
    g.join(t(13 * S), "a", &["T"], &mut out).unwrap();
    assert_eq!((g.generation(), g.leader()), (3, Some("a")));
}

/// Kafka `handleJoinGroup` in Stable: an unchanged follower gets the
/// current generation; the leader or a changed subscription rebalances.
#[test]
fn rejoin_of_known_member_in_stable() {
    let mut g = stable(&["a", "b"], 4);
    g.set_partitions("U", 1).unwrap();
    let mut out = Vec::new();
    assert_eq!(
        g.join(t(7 * S), "b", &["T"], &mut out),
        Ok(JoinOutcome::Current { generation: 1 })
    );
    assert!(out.is_empty());
    g.join(t(8 * S), "b", &["T", "U", "T"], &mut out).unwrap();
    assert_eq!(g.state(), GroupState::PreparingRebalance);
    g.join(t(8 * S), "a", &["T"], &mut out).unwrap();
    assert_eq!(g.member("b").unwrap().topics, vec!["T", "U"]);
    assert_eq!(
        assignment(&g, "b"),
        vec![("T".into(), 2), ("T".into(), 3), ("U".into(), 0)]
    );
    g.join(t(9 * S), "a", &["T"], &mut out).unwrap();
    assert_eq!(g.state(), GroupState::PreparingRebalance);
}

/// No heartbeat for 10 s: expired, removed, the rest rebalance; the last
/// member expiring empties the group (generation + 1, as Kafka).
#[test]
fn session_expiry_removes_and_rebalances() {
    let mut g = stable(&["a", "b"], 4);
    for s in [8, 11, 14] {
        g.heartbeat(t(s * S), "a", 1).unwrap();
    }
    assert_eq!(g.next_deadline(), Some(t(16 * S)));
    let mut out = Vec::new();
    g.tick(t(15_999), &mut out);
    assert!(out.is_empty());
    g.tick(t(16 * S), &mut out);
    assert_eq!(
        out,
        vec![
            GroupEvent::MemberExpired { member: "b".into() },
            GroupEvent::RebalanceStarted {
                generation: 1,
                reason: RebalanceReason::Expired { member: "b".into() }
            }
        ]
    );
    assert_eq!(
        g.heartbeat(t(16 * S), "b", 1),
        Err(GroupError::UnknownMemberId { member: "b".into() })
    );
    g.join(t(17 * S), "a", &["T"], &mut out).unwrap();
    assert_eq!(assignment(&g, "a"), tp("T", &[0, 1, 2, 3]));
    out.clear();
    g.tick(t(27 * S), &mut out);
    assert_eq!(out.last(), Some(&GroupEvent::GroupEmpty { generation: 3 }));
    assert_eq!(
        (g.state(), g.leader(), g.next_deadline()),
        (GroupState::Empty, None, None)
    );
}

#[test]
fn heartbeat_errors() {
    let mut g = stable(&["a", "b"], 2);
    assert_eq!(g.heartbeat(t(7 * S), "a", 1), Ok(()));
    assert_eq!(
        g.heartbeat(t(7 * S), "x", 1),
        Err(GroupError::UnknownMemberId { member: "x".into() })
    );
    assert_eq!(
        g.heartbeat(t(7 * S), "a", 0),
        Err(GroupError::IllegalGeneration {
            generation: 0,
            current: 1
        })
    );
    let mut out = Vec::new();
    g.join(t(8 * S), "c", &["T"], &mut out).unwrap();
    assert_eq!(
        g.heartbeat(t(9 * S), "a", 1),
        Err(GroupError::RebalanceInProgress)
    );
    // ... which still counts as a heartbeat.
    assert_eq!(g.member("a").unwrap().last_heartbeat, t(9 * S));
}

/// `DelayedJoin` expiry: who did not rejoin within the rebalance timeout
/// is removed, even if it kept heartbeating.
#[test]
fn member_not_rejoining_is_removed_at_rebalance_deadline() {
    let mut g = stable(&["a", "b"], 4);
    let mut out = Vec::new();
    g.join(t(7 * S), "c", &["T"], &mut out).unwrap();
    g.join(t(8 * S), "a", &["T"], &mut out).unwrap();
    let mut s = 9;
    while s < 67 {
        assert_eq!(
            g.heartbeat(t(s * S), "b", 1),
            Err(GroupError::RebalanceInProgress)
        );
        g.tick(t(s * S), &mut out);
        s += 3;
    }
    assert_eq!(g.next_deadline(), Some(t(67 * S)));
    out.clear();
    g.tick(t(67 * S), &mut out);
    assert_eq!(out[0], GroupEvent::MemberRemoved { member: "b".into() });
    assert!(
        matches!(&out[1], GroupEvent::Assigned { generation: 2, assignments, .. }
        if assignments.iter().map(|(m, _)| m.as_str()).collect::<Vec<_>>() == ["a", "c"])
    );
    assert_eq!(g.member("a").unwrap().last_heartbeat, t(67 * S));
}

#[test]
fn members_beyond_partition_count_idle() {
    let mut out = Vec::new();
    for strategy in [Strategy::Range, Strategy::RoundRobin] {
        let mut g = GroupCoordinator::new(GroupConfig {
            strategy,
            ..Default::default()
        });
        g.set_partitions("T", 2).unwrap();
        for id in ["a", "b", "c", "d"] {
            g.join(t(0), id, &["T"], &mut out).unwrap();
        }
        out.clear();
        g.tick(t(6 * S), &mut out);
        let GroupEvent::Assigned { assignments, .. } = &out[0] else {
            panic!("{out:?}")
        };
        let sizes: Vec<usize> = assignments.iter().map(|(_, a)| a.len()).collect();
        assert_eq!(sizes, [1, 1, 0, 0], "{strategy:?}");
        assert_eq!(
            (g.owner("T", 0), g.owner("T", 1), g.owner("T", 2)),
            (Some("a"), Some("b"), None)
        );
    }
}

/// Commits from the current generation only (also while preparing a
/// rebalance); offsets survive rebalances and an empty group.
#[test]
fn commits_by_generation_and_offsets_survive() {
    let mut g = stable(&["a", "b"], 2);
    let mut out = Vec::new();
    assert_eq!(g.commit(t(7 * S), "a", 1, "T", 0, 5), Ok(()));
    assert_eq!(g.committed("T", 0), Some(5));
    assert_eq!(
        g.commit(t(7 * S), "a", 0, "T", 0, 6),
        Err(GroupError::IllegalGeneration {
            generation: 0,
            current: 1
        })
    );
    assert_eq!(
        g.commit(t(7 * S), "x", 1, "T", 0, 6),
        Err(GroupError::UnknownMemberId { member: "x".into() })
    );
    assert_eq!(
        g.commit(t(7 * S), "a", 1, "U", 0, 6),
        Err(GroupError::UnknownTopic { topic: "U".into() })
    );
    assert_eq!(
        g.commit(t(7 * S), "a", 1, "T", 2, 6),
        Err(GroupError::UnknownPartition {
            topic: "T".into(),
            partition: 2
        })
    );
    g.join(t(8 * S), "c", &["T"], &mut out).unwrap();
    // Cleanup commit during the join phase, by the ending generation.
    assert_eq!(g.commit(t(9 * S), "b", 1, "T", 1, 9), Ok(()));
    assert_eq!(g.member("b").unwrap().last_heartbeat, t(9 * S));
    for id in ["a", "b", "c"] {
        g.join(t(10 * S), id, &["T"], &mut out).unwrap();
    }
    assert_eq!(g.generation(), 2);
    assert_eq!(
        g.commit(t(11 * S), "b", 1, "T", 1, 10),
        Err(GroupError::IllegalGeneration {
            generation: 1,
            current: 2
        })
    );
    for id in ["a", "b", "c"] {
        g.leave(t(12 * S), id, &mut out).unwrap();
    }
    assert_eq!(g.state(), GroupState::Empty);
    assert_eq!(
        (g.committed("T", 0), g.committed("T", 1)),
        (Some(5), Some(9))
    );
    assert_eq!(
        g.commit(t(12 * S), "a", 3, "T", 0, 1),
        Err(GroupError::UnknownMemberId { member: "a".into() })
    );
    g.join(t(13 * S), "d", &["T"], &mut out).unwrap();
    g.tick(t(16 * S), &mut out);
    assert_eq!(g.committed("T", 1), Some(9));
}

#[test]
fn bad_input_is_typed_error() {
    let mut g = group(&[("T", 2)]);
    let mut out = Vec::new();
    assert_eq!(
        g.join(t(0), "", &["T"], &mut out),
        Err(GroupError::InvalidMemberId)
    );
    assert_eq!(g.join(t(0), "a", &[], &mut out), Err(GroupError::NoTopics));
    assert_eq!(
        g.join(t(0), "a", &["T", "V"], &mut out),
        Err(GroupError::UnknownTopic { topic: "V".into() })
    );
    assert_eq!(
        g.leave(t(0), "a", &mut out),
        Err(GroupError::UnknownMemberId { member: "a".into() })
    );
    assert!(out.is_empty() && g.state() == GroupState::Empty);
    for n in [0, 1, u32::MAX] {
        assert_eq!(
            g.set_partitions("T", n),
            Err(GroupError::InvalidPartitionCount {
                topic: "T".into(),
                count: n
            })
        );
    }
    assert_eq!(g.set_partitions("T", 3), Ok(()));
    assert!(!GroupError::RebalanceInProgress.to_string().is_empty());
}

type Op = (u8, u8, u8, u64);

/// Replays `ops` and checks the invariants after every step; returns the
/// events and the final state.
fn replay(
    ops: &[Op],
    config: GroupConfig,
) -> Result<(Vec<GroupEvent>, GroupCoordinator), TestCaseError> {
    const IDS: [&str; 5] = ["m0", "m1", "m2", "m3", "m4"];
    let subs: [&[&str]; 3] = [&["a"], &["b"], &["a", "b"]];
    let mut g = GroupCoordinator::new(config);
    g.set_partitions("a", 3).unwrap();
    g.set_partitions("b", 2).unwrap();
    let (mut now, mut last_gen) = (0, 0);
    let (mut log, mut out) = (Vec::new(), Vec::new());
    for &(op, who, x, dt) in ops {
        now += dt;
        g.tick(t(now), &mut out);
        prop_assert!(g.next_deadline().is_none_or(|d| d > t(now)));
        let id = IDS[usize::from(who) % IDS.len()];
        let gen = g.generation().saturating_sub(u32::from(x % 4 == 0));
        match op % 5 {
            0 => {
                let _ = g.join(t(now), id, subs[usize::from(x) % 3], &mut out);
            }
            1 => {
                let _ = g.leave(t(now), id, &mut out);
            }
            2 | 3 => {
                let _ = g.heartbeat(t(now), id, gen);
            }
            _ => {
                let current = g.member(id).is_some() && gen == g.generation();
                let p = i32::from(x % 3);
                let r = g.commit(t(now), id, gen, "a", p, u64::from(x));
                prop_assert_eq!(r.is_ok(), current);
                if r.is_ok() {
                    prop_assert_eq!(g.committed("a", p), Some(u64::from(x)));
                }
            }
        }
        prop_assert!(g.generation() >= last_gen);
        last_gen = g.generation();
        for e in &out {
            if let GroupEvent::Assigned { assignments, .. } = e {
                let mut all: Vec<&(String, i32)> =
                    assignments.iter().flat_map(|(_, a)| a).collect();
                let n = all.len();
                all.sort();
                all.dedup();
                prop_assert_eq!(all.len(), n, "a partition owned twice");
            }
        }
        prop_assert_ne!(g.state(), GroupState::CompletingRebalance);
        prop_assert_eq!(g.leader().is_some(), g.member_count() > 0);
        if let Some(l) = g.leader() {
            prop_assert!(g.member(l).is_some());
        }
        match g.state() {
            GroupState::Empty => prop_assert_eq!(g.member_count(), 0),
            GroupState::Stable => {
                prop_assert!(g.member_count() > 0);
                let mut owned: Vec<(String, i32)> = Vec::new();
                for m in g.members() {
                    prop_assert_eq!(m.generation, g.generation());
                    for (topic, p) in &m.assignment {
                        prop_assert!(m.topics.contains(topic));
                        prop_assert_eq!(g.owner(topic, *p), Some(m.id.as_str()));
                        owned.push((topic.clone(), *p));
                    }
                }
                let mut want: Vec<(String, i32)> = Vec::new();
                for topic in ["a", "b"] {
                    if g.members().any(|m| m.topics.iter().any(|s| s == topic)) {
                        let n = g.partitions(topic).unwrap_or(0) as i32;
                        want.extend((0..n).map(|p| (topic.to_string(), p)));
                    }
                }
                owned.sort();
                prop_assert_eq!(owned, want, "every subscribed partition exactly once");
            }
            _ => {}
        }
        log.append(&mut out);
    }
    Ok((log, g))
}

proptest! {
    /// Random joins, leaves, heartbeats and commits at increasing times,
    /// either strategy, with the default or a 5 s rebalance timeout (so
    /// that heartbeating members miss the join phase and are removed).
    #[test]
    fn group_invariants(
        ops in proptest::collection::vec((0u8..5, 0u8..5, 0u8..=255, 0u64..8_000), 1..150),
        round_robin in any::<bool>(),
        short in any::<bool>(),
    ) {
        let mut config = GroupConfig::default();
        if round_robin {
            config.strategy = Strategy::RoundRobin;
        }
        if short {
            config.rebalance_timeout = SimDuration::from_secs(5);
        }
        let (log, g) = replay(&ops, config)?;
        let (log2, g2) = replay(&ops, config)?;
        prop_assert_eq!(log, log2);
        prop_assert_eq!(g, g2);
    }
}

/// A new coordinator loads a stable group as it was: same generation and
/// assignment, committed offsets kept, every session restarted at the load
/// (Kafka `onGroupLoaded`), so nobody expires for the time the old
/// coordinator was dead.
#[test]
fn load_keeps_a_stable_group_and_restarts_its_sessions() {
    let mut g = stable(&["a", "b"], 4);
    let mut out = Vec::new();
    g.commit(t(7 * S), "a", 1, "T", 0, 5).unwrap();
    let before = (assignment(&g, "a"), assignment(&g, "b"));
    // The old coordinator died at 8 s; the new one loads the group at 17 s.
    g.load(t(17 * S));
    assert_eq!((g.state(), g.generation(), g.leader()), (GroupState::Stable, 1, Some("a")));
    assert_eq!((assignment(&g, "a"), assignment(&g, "b")), before);
    assert_eq!(g.committed("T", 0), Some(5));
    assert_eq!(g.next_deadline(), Some(t(27 * S)));
    g.tick(t(26 * S), &mut out);
    assert!(out.is_empty());
    // A follower rejoining gets its generation back; the leader's rejoin rebalances.
    assert_eq!(g.join(t(18 * S), "b", &["T"], &mut out), Ok(JoinOutcome::Current { generation: 1 }));
    g.join(t(18 * S), "a", &["T"], &mut out).unwrap();
    assert_eq!(g.state(), GroupState::PreparingRebalance);
}

/// A join phase under way was never written: the loaded group is the last
/// stable generation, without the member that joined only in that phase.
/// A group that never completed a join phase loads empty.
#[test]
fn load_forgets_a_join_phase_under_way() {
    let mut g = stable(&["a", "b"], 4);
    let mut out = Vec::new();
    g.join(t(7 * S), "c", &["T"], &mut out).unwrap();
    assert_eq!(g.state(), GroupState::PreparingRebalance);
    g.load(t(9 * S));
    assert_eq!((g.state(), g.generation(), g.member_count()), (GroupState::Stable, 1, 2));
    assert!(g.member("c").is_none());
    assert_eq!(g.join_deadline(), None);

    let mut fresh = group(&[("T", 2)]);
    fresh.join(t(0), "a", &["T"], &mut out).unwrap();
    fresh.load(t(S));
    assert_eq!((fresh.state(), fresh.generation(), fresh.member_count(), fresh.next_deadline()), (GroupState::Empty, 0, 0, None));
}
