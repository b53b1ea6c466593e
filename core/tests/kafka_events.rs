//! What a Kafka world's events say about where they happened
//! (`EventView::kafka`: topic, partition, offset, broker) and the
//! `kafka_duplicate` event, which the page's record tokens and event log
//! are drawn from.

use queuelab::observe::trace::EventKind;
use queuelab::presets;
use queuelab::time::SimTime;
use queuelab::world::World;

/// `preset` run to `secs`, with a trace ring that keeps every event.
fn run(preset: &str, secs: u64) -> World {
    let mut s = presets::get(preset).expect("preset").scenario();
    s.trace_capacity = 200_000;
    let mut w = World::new(&s).expect("valid");
    w.run_until(SimTime::from_micros(secs * 1_000_000));
    w
}

/// kafka-rebalance: workers-1 crashes at 20.5 s; the new owner reads again
/// what it had not committed. One `kafka_duplicate` per record the book
/// counts as a duplicate, each naming a partition and an offset that was
/// fetched before by the same group.
#[test]
fn every_duplicate_the_book_counts_is_an_event_with_its_partition_and_offset() {
    let w = run("kafka-rebalance", 45);
    let events = w.events_since(0, 1_000_000);
    let dups: Vec<_> = events.iter().filter(|e| e.kind == EventKind::KafkaDuplicate).collect();
    let counted = w.snapshot().kafka.expect("kafka").guarantees.duplicates;
    assert!(counted > 0, "the preset reprocesses records");
    assert_eq!(dups.len() as u64, counted);
    for d in &dups {
        let place = d.kafka.as_ref().expect("a duplicate names its partition");
        let offset = place.offset.expect("and its offset");
        assert_eq!(place.topic, "events");
        assert!(d.text.contains("a duplicate"), "{}", d.text);
        // The same partition and offset were fetched earlier.
        let first = events.iter().position(|e| {
            e.kind == EventKind::KafkaFetched
                && e.kafka.as_ref().is_some_and(|p| p.partition == place.partition && p.offset == Some(offset))
        });
        let this = events.iter().position(|e| e.seq == d.seq).expect("in the list");
        assert!(first.is_some_and(|f| f < this), "offset {offset} of partition {} was read before", place.partition);
    }
}

/// Acks carry the offset; elections the new leader; Go events no Kafka place.
#[test]
fn acks_elections_and_go_events_carry_what_they_say() {
    let w = run("kafka-acks1-loss", 8);
    let events = w.events_since(0, 1_000_000);
    let acked = events.iter().find(|e| e.kind == EventKind::KafkaAcked).expect("an ack");
    let p = acked.kafka.as_ref().expect("an ack names its partition");
    assert_eq!((p.topic.as_str(), p.partition), ("events", 0));
    assert!(p.offset.is_some() && p.broker.is_none());
    let election = events.iter().find(|e| e.kind == EventKind::KafkaElection).expect("broker-1 dies at 5 s: an election");
    let b = election.kafka.as_ref().and_then(|p| p.broker).expect("the elected leader");
    assert!(election.text.contains(&format!("broker-{b} elected leader")), "{}", election.text);
    assert_ne!(b, 1, "not the dead broker");
    assert!(events.iter().filter(|e| e.kind == EventKind::Sleep).all(|e| e.kafka.is_none()));
}

/// What the page draws tokens from besides events: each producer lists
/// the goroutines that produce through it (a token starts at its card),
/// and a group says when it is between generations (its partitions go to
/// the released line): kafka-rebalance's join at 8 s, stable again after.
/// A member that has not started yet says so (it is not drawn as crashed).
#[test]
fn producers_name_their_goroutines_and_groups_say_when_they_rebalance() {
    let mut w = run("kafka-rebalance", 7);
    let s = w.snapshot();
    let k = s.kafka.as_ref().expect("kafka");
    let main = s.goroutines.iter().find(|g| g.name == "main").expect("main").id;
    assert_eq!(k.producers[0].goroutines, vec![main]);
    assert!(!k.groups[0].rebalancing && k.groups[0].state == "Stable", "{:?}", k.groups[0].state);
    // workers-3 starts at 8 s: before that it has not run (not a crash).
    let states: Vec<_> = k.groups[0].members.iter().map(|m| m.state.as_str()).collect();
    assert_eq!(states, ["running", "running", "not started"]);
    let mut seen = Vec::new();
    for ms in (7_000..12_000).step_by(5) {
        w.run_until(SimTime::from_micros(ms * 1_000));
        let s = w.snapshot();
        let g = &s.kafka.as_ref().expect("kafka").groups[0];
        assert_eq!(g.rebalancing, g.state.contains("Rebalance"), "{}", g.state);
        if seen.last() != Some(&g.rebalancing) {
            seen.push(g.rebalancing);
        }
    }
    assert_eq!(seen, [false, true, false], "stable, rebalancing, stable again");
}
