//! sarama's sticky balance strategy (`NewBalanceStrategySticky`, KIP-54):
//! a balanced plan that keeps each member's previous partitions as far as
//! balance allows, so a rebalance moves only what it must; and its
//! cooperative variant (`NewBalanceStrategyCooperativeSticky`, KIP-429).
//!
//! # Cooperative-sticky (sarama `balance_strategy_cooperative_sticky.go`)
//! The same plan, computed from the partitions each member says it owns
//! (`OwnedPartitions` of its JoinGroup), then `adjustCooperativeAssignment`:
//! a partition that one member owns and the plan gives to another is left
//! out of the plan (withheld), so its owner revokes it first and a
//! follow-up rebalance hands it over. sarama's `ConsumerGroup` still
//! rebalances eagerly: every session ends before the member joins again
//! (`newSession` joins with no held assignment), so its members own
//! nothing when they join, nothing is withheld, and nothing is kept
//! either: in a sarama group cooperative-sticky deals a fresh balanced
//! plan every generation (the world's coordinator passes empty ownership
//! for it).
//!
//! # Semantics
//! 1. **Keep**: members, sorted by id, keep the partitions they owned
//!    before (their `owned`, sarama's user data) that still exist, that
//!    they still subscribe to and that no member before them kept.
//! 2. **Hand out** the rest, partitions with the fewest possible consumers
//!    first (then by topic and partition): each to the subscribed member
//!    with the fewest partitions (ties: the lowest id).
//! 3. **Balance**: while a member has at least two more partitions than
//!    another member subscribed to one of its topics, it gives one over,
//!    partitions it did not keep first. The plan is then *balanced* in
//!    sarama's sense (`verifyValidityAndBalance`): two members whose counts
//!    differ by more than one never share a topic the smaller one could
//!    take, and *sticky*: with the same subscriptions every member keeps
//!    `min(kept, final count)` of its previous partitions (with different
//!    ones, balance may cost a member a kept partition when it is the only
//!    one another member could take).
//!
//! # Differences from sarama
//! sarama's implementation (a port of Kafka's `AbstractStickyAssignor`)
//! reaches the same two properties by a different search, so on some
//! inputs it picks a different but equally balanced and sticky plan; its
//! own tests check the properties, not exact plans, and are ported below.
//! The previous generation a member's user data carries is not modelled:
//! a partition two members claim goes to the lower id. A member with
//! nothing is absent from the plan (idle), as for the other strategies.

use super::assignor::{add, Member, Plan};
use litemap::LiteMap;

/// The sticky plan (see the module doc). Inputs are validated by
/// [`super::assignor::plan`].
pub fn plan_sticky(members: &[Member], topics: &[(String, Vec<i32>)]) -> Plan {
    // Sets are maps to `()` here (sorted vectors: one small copy of code).
    let mut exists: LiteMap<(&str, i32), ()> = LiteMap::new();
    for (t, ps) in topics {
        for &p in ps {
            exists.insert((t.as_str(), p), ());
        }
    }
    let mut sorted: Vec<&Member> = members.iter().collect();
    crate::cold_sort::sort_by(&mut sorted, |a, b| a.id.cmp(&b.id));
    let subs: Vec<Vec<&str>> = sorted.iter().map(|m| m.topics.iter().map(String::as_str).collect()).collect();
    let n = sorted.len();
    // 1. Keep.
    let mut owns: Vec<Vec<(&str, i32)>> = vec![Vec::new(); n];
    let mut kept: Vec<Vec<(&str, i32)>> = vec![Vec::new(); n];
    let mut taken: LiteMap<(&str, i32), ()> = LiteMap::new();
    for (i, m) in sorted.iter().enumerate() {
        for (t, p) in &m.owned {
            let tp = (t.as_str(), *p);
            if exists.contains_key(&tp) && subs[i].contains(&tp.0) && taken.insert(tp, ()).is_none() {
                owns[i].push(tp);
                kept[i].push(tp);
            }
        }
    }
    // 2. Hand out the rest, the most constrained partitions first.
    let consumers = |t: &str| subs.iter().filter(|s| s.contains(&t)).count();
    let mut rest: Vec<(usize, &str, i32)> = exists.iter().filter(|(tp, _)| !taken.contains_key(*tp)).map(|(&(t, p), _)| (consumers(t), t, p)).collect();
    crate::cold_sort::sort(&mut rest);
    for (c, t, p) in rest {
        if c == 0 {
            continue; // nobody subscribes: unassigned
        }
        let i = (0..n).filter(|&i| subs[i].contains(&t)).min_by_key(|&i| (owns[i].len(), i)).expect("a subscriber");
        owns[i].push((t, p));
    }
    // 3. Balance: each move lowers the sum of squared counts, so it ends.
    loop {
        let mut mv = None;
        'find: for a in order_by_count_desc(&owns) {
            // What `a` did not keep first, then its highest partitions.
            let mut give: Vec<(&str, i32)> = owns[a].clone();
            crate::cold_sort::sort_by_key(&mut give, |tp| (kept[a].contains(tp), std::cmp::Reverse(*tp)));
            for tp in give {
                let to = (0..n).filter(|&b| b != a && subs[b].contains(&tp.0) && owns[b].len() + 1 < owns[a].len()).min_by_key(|&b| (owns[b].len(), b));
                if let Some(b) = to {
                    mv = Some((a, b, tp));
                    break 'find;
                }
            }
        }
        let Some((a, b, tp)) = mv else { break };
        owns[a].retain(|x| *x != tp);
        owns[b].push(tp);
    }
    let mut plan = Plan::new();
    for (i, m) in sorted.iter().enumerate() {
        let mut by_topic: LiteMap<&str, Vec<i32>> = LiteMap::new();
        for &(t, p) in &owns[i] {
            by_topic.entry(t).or_default().push(p);
        }
        for (t, mut ps) in by_topic {
            crate::cold_sort::sort(&mut ps);
            add(&mut plan, &m.id, t, &ps);
        }
    }
    plan
}

/// The cooperative-sticky plan: the sticky plan from what each member owns,
/// less the partitions that would move from one member to another (sarama's
/// `adjustCooperativeAssignment`).
pub fn plan_cooperative_sticky(members: &[Member], topics: &[(String, Vec<i32>)]) -> Plan {
    let mut plan = plan_sticky(members, topics);
    // A partition two members claim: the later one's claim counts (as a
    // map collected from the members in order).
    let mut owner: LiteMap<(&str, i32), &str> = LiteMap::new();
    for m in members {
        for (t, p) in &m.owned {
            owner.insert((t.as_str(), *p), m.id.as_str());
        }
    }
    let mut moving: LiteMap<(String, i32), ()> = LiteMap::new();
    for (id, ts) in plan.iter() {
        for (t, ps) in ts.iter() {
            for &p in ps {
                if owner.get(&(t.as_str(), p)).is_some_and(|o| o != id) {
                    moving.insert((t.clone(), p), ());
                }
            }
        }
    }
    for (_, ts) in plan.iter_mut() {
        for (t, ps) in ts.iter_mut() {
            ps.retain(|&p| !moving.contains_key(&(t.clone(), p)));
        }
        ts.retain(|_, ps| !ps.is_empty());
    }
    plan.retain(|_, ts| !ts.is_empty());
    plan
}

/// Member indexes, the most loaded first (ties: the lowest index).
fn order_by_count_desc(owns: &[Vec<(&str, i32)>]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..owns.len()).collect();
    crate::cold_sort::sort_by_key(&mut idx, |&i| (std::cmp::Reverse(owns[i].len()), i));
    idx
}

#[cfg(test)]
mod tests {
    //! Ported from IBM/sarama `balance_strategy_test.go`
    //! (`Test_stickyBalanceStrategy_Plan_*`, which check the plan with
    //! `verifyPlanIsBalancedAndSticky` / `verifyValidityAndBalance` /
    //! `verifyFullyBalanced`), plus a property test over random groups.
    use super::super::assignor::{plan, Strategy as Balance};
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn member(id: &str, topics: &[&str], owned: &Plan) -> Member {
        let mut m = Member::new(id, topics);
        m.owned = owned.get(id).map(|ts| ts.iter().flat_map(|(t, ps)| ps.iter().map(move |&p| (t.clone(), p))).collect()).unwrap_or_default();
        m
    }

    fn topics(ts: &[(&str, i32)]) -> Vec<(String, Vec<i32>)> {
        ts.iter().map(|&(t, n)| (t.to_string(), (0..n).collect())).collect()
    }

    fn sticky(members: &[Member], topics: &[(String, Vec<i32>)]) -> Plan {
        plan(Balance::Sticky, members, topics).expect("a plan")
    }

    fn count(plan: &Plan, id: &str) -> usize {
        plan.get(id).map_or(0, |ts| ts.values().map(Vec::len).sum())
    }

    /// sarama's `verifyValidityAndBalance`, on subscriptions (a member with
    /// nothing is absent from the plan here, so the size check is on the
    /// partitions: each existing subscribed partition exactly once).
    fn valid_and_balanced(members: &[Member], topics: &[(String, Vec<i32>)], plan: &Plan) {
        let mut seen = BTreeSet::new();
        for (id, ts) in plan {
            let m = members.iter().find(|m| &m.id == id).expect("a member");
            for (t, ps) in ts {
                assert!(m.topics.contains(t), "{id} got {t} it does not subscribe to");
                for &p in ps {
                    assert!(seen.insert((t.clone(), p)), "{t}-{p} assigned twice: {plan:?}");
                }
            }
        }
        for (t, ps) in topics {
            if members.iter().any(|m| m.topics.contains(t)) {
                for &p in ps {
                    assert!(seen.contains(&(t.clone(), p)), "{t}-{p} unassigned: {plan:?}");
                }
            }
        }
        for a in members {
            for b in members {
                if count(plan, &a.id) > count(plan, &b.id) + 1 {
                    let movable = plan[&a.id].keys().any(|t| b.topics.contains(t));
                    assert!(!movable, "a partition can move from {} ({}) to {} ({}): {plan:?}", a.id, count(plan, &a.id), b.id, count(plan, &b.id));
                }
            }
        }
    }

    /// Every member keeps `min(valid, final count)` of what it owned
    /// (valid: the partition exists and it still subscribes to its topic;
    /// previous assignments here never conflict). Holds when members share
    /// their subscriptions (the ported sarama cases that check
    /// stickiness).
    fn sticky_to(members: &[Member], topics: &[(String, Vec<i32>)], plan: &Plan) {
        for m in members {
            let now: BTreeSet<(String, i32)> = plan.get(&m.id).map(|ts| ts.iter().flat_map(|(t, ps)| ps.iter().map(move |&p| (t.clone(), p))).collect()).unwrap_or_default();
            let valid: BTreeSet<(String, i32)> = m
                .owned
                .iter()
                .filter(|(t, p)| m.topics.contains(t) && topics.iter().any(|(x, ps)| x == t && ps.contains(p)))
                .cloned()
                .collect();
            let still = valid.intersection(&now).count();
            assert_eq!(still, valid.len().min(now.len()), "{} kept {still} of {}: {plan:?}", m.id, valid.len());
        }
    }

    /// sarama's `verifyFullyBalanced`: counts differ by at most one.
    fn fully_balanced(plan: &Plan, members: &[Member]) {
        let counts: Vec<usize> = members.iter().map(|m| count(plan, &m.id)).collect();
        assert!(counts.iter().max().unwrap() - counts.iter().min().unwrap() <= 1, "{counts:?}: {plan:?}");
    }

    #[test]
    fn kip54_example_one() {
        // Test_stickyBalanceStrategy_Plan_KIP54_ExampleOne
        let all = ["topic1", "topic2", "topic3", "topic4"];
        let ts = topics(&[("topic1", 2), ("topic2", 2), ("topic3", 2), ("topic4", 2)]);
        let none = Plan::new();
        let ms: Vec<Member> = ["consumer1", "consumer2", "consumer3"].iter().map(|id| member(id, &all, &none)).collect();
        let p1 = sticky(&ms, &ts);
        valid_and_balanced(&ms, &ts, &p1);
        fully_balanced(&p1, &ms);
        let ms2: Vec<Member> = ["consumer2", "consumer3"].iter().map(|id| member(id, &all, &p1)).collect();
        let p2 = sticky(&ms2, &ts);
        valid_and_balanced(&ms2, &ts, &p2);
        sticky_to(&ms2, &ts, &p2);
        fully_balanced(&p2, &ms2);
    }

    #[test]
    fn kip54_example_two() {
        // Test_stickyBalanceStrategy_Plan_KIP54_ExampleTwo
        let ts = topics(&[("topic1", 1), ("topic2", 2), ("topic3", 3)]);
        let none = Plan::new();
        let ms = vec![member("consumer1", &["topic1"], &none), member("consumer2", &["topic1", "topic2"], &none), member("consumer3", &["topic1", "topic2", "topic3"], &none)];
        let p1 = sticky(&ms, &ts);
        valid_and_balanced(&ms, &ts, &p1);
        assert_eq!((p1.get("consumer1").and_then(|t| t.get("topic1")).map_or(0, Vec::len), p1.get("consumer2").and_then(|t| t.get("topic2")).map_or(0, Vec::len), p1.get("consumer3").and_then(|t| t.get("topic3")).map_or(0, Vec::len)), (1, 2, 3), "{p1:?}");
        let ms2 = vec![member("consumer2", &["topic1", "topic2"], &p1), member("consumer3", &["topic1", "topic2", "topic3"], &p1)];
        let p2 = sticky(&ms2, &ts);
        valid_and_balanced(&ms2, &ts, &p2);
        sticky_to(&ms2, &ts, &p2);
        fully_balanced(&p2, &ms2);
        assert_eq!((p2.get("consumer2").and_then(|t| t.get("topic1")).map_or(0, Vec::len), p2.get("consumer2").and_then(|t| t.get("topic2")).map_or(0, Vec::len), p2.get("consumer3").and_then(|t| t.get("topic3")).map_or(0, Vec::len)), (1, 2, 3), "{p2:?}");
    }

    #[test]
    fn kip54_example_three() {
        // Test_stickyBalanceStrategy_Plan_KIP54_ExampleThree
        let names = ["topic1", "topic2"];
        let ts = topics(&[("topic1", 2), ("topic2", 2)]);
        let none = Plan::new();
        let ms = vec![member("consumer1", &names, &none), member("consumer2", &names, &none)];
        let p1 = sticky(&ms, &ts);
        valid_and_balanced(&ms, &ts, &p1);
        let ms2 = vec![member("consumer1", &names, &none), member("consumer2", &names, &p1), member("consumer3", &names, &p1)];
        let p2 = sticky(&ms2, &ts);
        valid_and_balanced(&ms2, &ts, &p2);
        sticky_to(&ms2, &ts, &p2);
        fully_balanced(&p2, &ms2);
    }

    #[test]
    fn add_remove_consumer_one_topic() {
        // Test_stickyBalanceStrategy_Plan_AddRemoveConsumerOneTopic
        let ts = topics(&[("topic", 3)]);
        let none = Plan::new();
        let p1 = sticky(&[member("consumer1", &["topic"], &none)], &ts);
        assert_eq!(count(&p1, "consumer1"), 3);
        let ms2 = vec![member("consumer1", &["topic"], &p1), member("consumer2", &["topic"], &none)];
        let p2 = sticky(&ms2, &ts);
        valid_and_balanced(&ms2, &ts, &p2);
        sticky_to(&ms2, &ts, &p2);
        assert_eq!(count(&p2, "consumer1"), 2, "consumer1 gives up only one: {p2:?}");
        let ms3 = vec![member("consumer2", &["topic"], &p2)];
        let p3 = sticky(&ms3, &ts);
        valid_and_balanced(&ms3, &ts, &p3);
        sticky_to(&ms3, &ts, &p3);
    }

    #[test]
    fn poor_round_robin_assignment_scenario() {
        // Test_stickyBalanceStrategy_Plan_PoorRoundRobinAssignmentScenario:
        // topic<i> has i%2+1 partitions.
        let ts: Vec<(String, Vec<i32>)> = (1..=5).map(|i| (format!("topic{i}"), (0..i % 2 + 1).collect())).collect();
        let none = Plan::new();
        let five = ["topic1", "topic2", "topic3", "topic4", "topic5"];
        let odd = ["topic1", "topic3", "topic5"];
        let ms = vec![member("consumer1", &five, &none), member("consumer2", &odd, &none), member("consumer3", &odd, &none), member("consumer4", &five, &none)];
        let p = sticky(&ms, &ts);
        valid_and_balanced(&ms, &ts, &p);
    }

    #[test]
    fn reassignment_after_one_consumer_leaves() {
        // Test_stickyBalanceStrategy_Plan_ReassignmentAfterOneConsumerLeaves:
        // topic01..topic19 with i partitions, consumer i subscribes topics 1..=i.
        let ts: Vec<(String, Vec<i32>)> = (1..20).map(|i| (format!("topic{i:02}"), (0..i).collect())).collect();
        let names: Vec<String> = ts.iter().map(|(t, _)| t.clone()).collect();
        let none = Plan::new();
        let ms: Vec<Member> = (1..20)
            .map(|i| {
                let subs: Vec<&str> = names[..i].iter().map(String::as_str).collect();
                member(&format!("consumer{i:02}"), &subs, &none)
            })
            .collect();
        let p1 = sticky(&ms, &ts);
        valid_and_balanced(&ms, &ts, &p1);
        let ms2: Vec<Member> = ms.iter().filter(|m| m.id != "consumer10").map(|m| member(&m.id, &m.topics.iter().map(String::as_str).collect::<Vec<_>>(), &p1)).collect();
        let p2 = sticky(&ms2, &ts);
        valid_and_balanced(&ms2, &ts, &p2);
        sticky_to(&ms2, &ts, &p2);
    }

    #[test]
    fn same_subscriptions() {
        // Test_stickyBalanceStrategy_Plan_SameSubscriptions: topic01..topic14
        // with i partitions, consumer01..consumer08 on all; then consumer05 leaves.
        let ts: Vec<(String, Vec<i32>)> = (1..15).map(|i| (format!("topic{i:02}"), (0..i).collect())).collect();
        let all: Vec<&str> = ts.iter().map(|(t, _)| t.as_str()).collect();
        let none = Plan::new();
        let ms: Vec<Member> = (1..9).map(|i| member(&format!("consumer{i:02}"), &all, &none)).collect();
        let p1 = sticky(&ms, &ts);
        valid_and_balanced(&ms, &ts, &p1);
        fully_balanced(&p1, &ms);
        let ms2: Vec<Member> = (1..9).filter(|&i| i != 5).map(|i| member(&format!("consumer{i:02}"), &all, &p1)).collect();
        let p2 = sticky(&ms2, &ts);
        valid_and_balanced(&ms2, &ts, &p2);
        sticky_to(&ms2, &ts, &p2);
        fully_balanced(&p2, &ms2);
    }

    #[test]
    fn stickiness() {
        // Test_stickyBalanceStrategy_Plan_Stickiness: a consumer leaves;
        // the partitions of the others do not move.
        let ts = topics(&[("topic01", 3)]);
        let none = Plan::new();
        let ms: Vec<Member> = (1..=3).map(|i| member(&format!("consumer{i:02}"), &["topic01"], &none)).collect();
        let p1 = sticky(&ms, &ts);
        let ms2: Vec<Member> = [1, 3].iter().map(|i| member(&format!("consumer{i:02}"), &["topic01"], &p1)).collect();
        let p2 = sticky(&ms2, &ts);
        for m in &ms2 {
            for (t, ps) in &p1[&m.id] {
                for p in ps {
                    assert!(p2[&m.id][t].contains(p), "{} lost {t}-{p}: {p1:?} -> {p2:?}", m.id);
                }
            }
        }
    }

    #[test]
    fn assignment_updated_for_deleted_topic() {
        // Test_stickyBalanceStrategy_Plan_AssignmentUpdatedForDeletedTopic
        let ts = topics(&[("topic01", 1), ("topic03", 100)]);
        let ms = vec![member("consumer1", &["topic01", "topic02", "topic03"], &Plan::new())];
        let p = sticky(&ms, &ts);
        assert_eq!(count(&p, "consumer1"), 101);
        valid_and_balanced(&ms, &ts, &p);
    }

    fn groups() -> impl Strategy<Value = (Vec<Member>, Vec<(String, Vec<i32>)>)> {
        (1usize..7, 1usize..4, prop::collection::vec(0i32..6, 3), any::<u64>()).prop_map(|(n, nt, counts, seed)| {
            let ts: Vec<(String, Vec<i32>)> = (0..nt).map(|t| (format!("t{t}"), (0..counts[t]).collect())).collect();
            let mut x = seed;
            let mut next = move || {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x
            };
            let mut owned: BTreeSet<(String, i32)> = BTreeSet::new();
            let ms = (0..n)
                .map(|i| {
                    let topics: Vec<String> = ts.iter().filter(|_| next() % 3 != 0).map(|(t, _)| t.clone()).collect();
                    let mut m = Member { id: format!("m{i}"), topics, owned: Vec::new() };
                    // A previous assignment, without conflicts, maybe stale.
                    for (t, ps) in &ts {
                        for &p in ps.iter().chain([9].iter()) {
                            if next() % 4 == 0 && owned.insert((t.clone(), p)) {
                                m.owned.push((t.clone(), p));
                            }
                        }
                    }
                    m
                })
                .collect();
            (ms, ts)
        })
    }

    proptest! {
        #[test]
        fn every_plan_is_valid_balanced_and_sticky((ms, ts) in groups()) {
            let p = sticky(&ms, &ts);
            valid_and_balanced(&ms, &ts, &p);
            // With different subscriptions balance can cost a kept
            // partition (the only one another member could take); with
            // the same subscriptions it never does.
            if ms.iter().all(|m| m.topics == ms[0].topics) {
                sticky_to(&ms, &ts, &p);
            }
        }

        #[test]
        fn with_the_same_subscriptions_every_plan_is_sticky_and_fully_balanced((ms, ts) in groups()) {
            let all: Vec<String> = ts.iter().map(|(t, _)| t.clone()).collect();
            let ms: Vec<Member> = ms.into_iter().map(|m| Member { topics: all.clone(), ..m }).collect();
            let p = sticky(&ms, &ts);
            valid_and_balanced(&ms, &ts, &p);
            sticky_to(&ms, &ts, &p);
            fully_balanced(&p, &ms);
        }

        #[test]
        fn cooperative_sticky_hands_out_the_sticky_plan_less_what_changes_hands((ms, ts) in groups()) {
            let all = sticky(&ms, &ts);
            let coop = plan(Balance::CooperativeSticky, &ms, &ts).expect("a plan");
            let owner = |t: &str, p: i32| ms.iter().find(|m| m.owned.iter().any(|(ot, op)| ot == t && *op == p)).map(|m| m.id.clone());
            for (id, tps) in &all {
                for (t, ps) in tps {
                    for &p in ps {
                        let withheld = owner(t, p).is_some_and(|o| &o != id);
                        let given = coop.get(id).and_then(|x| x.get(t)).is_some_and(|x| x.contains(&p));
                        prop_assert_eq!(given, !withheld, "{}-{} for {}: {:?} vs {:?}", t, p, id, all, coop);
                    }
                }
            }
            // Nothing else: the cooperative plan is a part of the sticky one.
            for (id, tps) in &coop {
                for (t, ps) in tps {
                    for p in ps {
                        prop_assert!(all.get(id).and_then(|x| x.get(t)).is_some_and(|x| x.contains(p)));
                    }
                }
            }
        }
    }

    // Ported from IBM/sarama `balance_strategy_cooperative_sticky_test.go`
    // (`TestBalanceStrategyCooperativeSticky`, the subtests named below).

    fn owned(id: &str, ps: &[i32]) -> Member {
        let mut m = Member::new(id, &["t"]);
        m.owned = ps.iter().map(|&p| ("t".to_string(), p)).collect();
        m
    }

    fn parts(plan: &Plan, id: &str) -> Vec<i32> {
        plan.get(id).and_then(|ts| ts.get("t")).cloned().unwrap_or_default()
    }

    fn coop(members: &[Member], n: i32) -> Plan {
        plan(Balance::CooperativeSticky, members, &topics(&[("t", n)])).expect("a plan")
    }

    /// "advertises the protocol name java recognizes"
    #[test]
    fn cooperative_sticky_is_named_as_java_names_it() {
        assert_eq!(Balance::CooperativeSticky.name(), "cooperative-sticky");
    }

    /// "partitions changing hands are withheld then reassigned"
    #[test]
    fn cooperative_sticky_withholds_partitions_changing_hands_then_reassigns_them() {
        let p = coop(&[owned("m1", &[0, 1, 2, 3]), owned("m2", &[])], 4);
        assert_eq!(parts(&p, "m1").len(), 2, "m1 should retain 2 partitions: {p:?}");
        assert!(parts(&p, "m2").is_empty(), "m2 should get nothing until m1 has revoked: {p:?}");
        let retained = parts(&p, "m1");
        let p = coop(&[owned("m1", &retained), owned("m2", &[])], 4);
        assert_eq!(parts(&p, "m1"), retained, "m1 should keep its partitions across the rebalance");
        assert_eq!(parts(&p, "m2").len(), 2, "m2 should get the 2 freed partitions");
        let mut all = [parts(&p, "m1"), parts(&p, "m2")].concat();
        all.sort_unstable();
        assert_eq!(all, vec![0, 1, 2, 3]);
    }

    /// "unowned partitions are assigned immediately"
    #[test]
    fn cooperative_sticky_assigns_unowned_partitions_at_once() {
        assert_eq!(parts(&coop(&[owned("m1", &[])], 2), "m1"), vec![0, 1]);
    }

    /// "an unchanged assignment is left alone"
    #[test]
    fn cooperative_sticky_leaves_an_unchanged_assignment_alone() {
        let p = coop(&[owned("m1", &[0]), owned("m2", &[1])], 2);
        assert_eq!((parts(&p, "m1"), parts(&p, "m2")), (vec![0], vec![1]));
    }
}
