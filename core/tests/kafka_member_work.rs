//! One slow member (`kafka_group_work` with a `member`): only that
//! member's handlers take the new time per record, so only the lag of the
//! partitions it owns grows while the other members keep up; a group-wide
//! change afterwards applies to every member again; a member number
//! outside the group is refused and changes nothing; the shared link
//! replays it.

use queuelab::command::Command;
use queuelab::presets;
use queuelab::scenario::Scenario;
use queuelab::world::{KafkaView, World};

#[path = "support/world.rs"]
mod world_support;
use world_support::ms;

fn work(group: &str, member: Option<u32>, w: &str) -> Command {
    Command::KafkaGroupWork { group: group.into(), member, work: w.parse().expect("a duration") }
}

/// Per member of group 0: (its partitions' total lag, its own work).
fn per_member(k: &KafkaView) -> Vec<(String, u64, Option<String>)> {
    let g = &k.groups[0];
    g.members
        .iter()
        .map(|m| {
            let lag = g.rows.iter().filter(|r| r.consumer_id.as_deref() == Some(m.id.as_str())).filter_map(|r| r.lag).sum();
            (m.id.clone(), lag, m.work.clone())
        })
        .collect()
}

#[test]
fn a_slow_member_lags_alone_and_a_group_wide_change_reaches_it_again() {
    // kafka-consumer-group: ~100 records/s over three members of two partitions each, 20 ms per record.
    let mut w = World::new(&presets::get("kafka-consumer-group").unwrap().scenario()).unwrap();
    w.run_until(ms(8_000));
    w.apply(&work("workers", Some(2), "200ms")).expect("applies");
    w.run_until(ms(20_000));
    let s = w.snapshot();
    let k = s.kafka.as_ref().expect("kafka");
    let m = per_member(k);
    assert_eq!(m.iter().map(|(_, _, w)| w.as_deref()).collect::<Vec<_>>(), [None, Some("200ms"), None], "{m:?}");
    // workers-2 handles 5 records/s against ~33 arriving on its partitions: its lag grows; the others keep up
    // (their lag is what arrived since the last auto-commit, 1 s).
    assert!(m[1].1 > 200, "{m:?}");
    assert!(m[0].1 < 60 && m[2].1 < 60, "{m:?}");
    // Its handlers' listing says so; another member's does not.
    let listing = |name: &str| {
        let g = s.goroutines.iter().position(|g| g.name == name).expect(name);
        serde_json::to_string(&w.listing(g as u32).expect("listing")).unwrap()
    };
    assert!(listing("workers-2.claim0").contains("takes 200ms"));
    assert!(!listing("workers-1.claim0").contains("takes 200ms"));
    // A group-wide change reaches every member, workers-2 included.
    w.apply(&work("workers", None, "5ms")).expect("applies");
    w.run_until(ms(40_000));
    let s = w.snapshot();
    let m = per_member(s.kafka.as_ref().expect("kafka"));
    assert!(m.iter().all(|(_, lag, w)| *lag < 60 && w.is_none()), "{m:?}");
}

#[test]
fn a_member_outside_the_group_is_refused_and_the_shared_link_replays_a_slow_one() {
    let mut w = World::new(&presets::get("kafka-consumer-group").unwrap().scenario()).unwrap();
    w.run_until(ms(5_000));
    let (hash, snap) = (w.trace_hash(), w.snapshot());
    for m in [0, 4] {
        let e = w.apply(&work("workers", Some(m), "5ms")).unwrap_err();
        assert_eq!(e.to_string(), format!("group \"workers\" has members 1 to 3, not {m}"));
    }
    assert_eq!(w.trace_hash(), hash);
    assert!(w.snapshot() == snap);
    w.apply(&work("workers", Some(3), "150ms")).expect("applies");
    w.run_until(ms(15_000));
    let mut r = World::new(&Scenario::from_json(&w.scenario_with_log().to_json()).unwrap()).unwrap();
    r.run_until(ms(15_000));
    assert_eq!(r.trace_hash(), w.trace_hash());
    // The command as JSON names the member.
    let json = serde_json::to_string(&work("workers", Some(3), "150ms")).unwrap();
    assert_eq!(json, r#"{"op":"kafka_group_work","group":"workers","member":3,"work":"150ms"}"#);
}
