//! Setting a producing goroutine's rate live (issue 14's "set its rate"):
//! a program that is one producing loop (`for { time.Sleep(d); send }`,
//! with a channel send, an NSQ `Publish` or a Kafka `SendMessage`) has `d`
//! as its send interval, shown in its group's view and changed by
//! `set_rates` as a producer template's interval is.

use queuelab::command::Command;
use queuelab::presets;
use queuelab::world::World;

#[path = "support/world.rs"]
mod world_support;
use world_support::ms;

fn kafka_sent(w: &World) -> u64 {
    w.snapshot().kafka.expect("kafka").producers.iter().map(|p| p.sent).sum()
}

#[test]
fn a_kafka_producing_loop_shows_its_interval_and_set_rates_changes_it() {
    let mut w = World::new(&presets::get("kafka-consumer-group").unwrap().scenario()).unwrap();
    w.run_until(ms(2_000));
    let s = w.snapshot();
    let main = s.groups.iter().find(|g| g.name == "main").expect("main");
    let before = main.interval.clone().expect("an interval");
    let sent = kafka_sent(&w);
    w.run_until(ms(4_000));
    let slow = kafka_sent(&w) - sent;
    w.apply(&Command::SetRates { group: "main".into(), interval: Some("1ms".parse().unwrap()), work: None }).expect("applies");
    let s = w.snapshot();
    assert_eq!(s.groups.iter().find(|g| g.name == "main").unwrap().interval.as_deref(), Some("1ms"), "was {before}");
    let sent = kafka_sent(&w);
    w.run_until(ms(6_000));
    let fast = kafka_sent(&w) - sent;
    // One SendMessage at a time: the ack's round trip bounds it too.
    assert!(fast > 3 * slow, "2 s at {before}: {slow} sent; at 1ms: {fast}");
}

#[test]
fn an_nsq_publishing_loop_shows_its_interval() {
    let w = World::new(&presets::get("nsq-single").unwrap().scenario()).unwrap();
    let s = w.snapshot();
    let g = s.groups.iter().find(|g| g.name == "producer").expect("producer");
    assert!(g.interval.is_some(), "{g:?}");
}

#[test]
fn a_program_that_is_not_a_producing_loop_has_no_interval_to_set() {
    let mut w = World::new(&presets::get("kafka-async-producer").unwrap().scenario()).unwrap();
    let e = w.apply(&Command::SetRates { group: "results".into(), interval: Some("1ms".parse().unwrap()), work: None }).unwrap_err();
    assert!(e.to_string().contains("results has no send interval"), "{e}");
}
