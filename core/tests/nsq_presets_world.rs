//! The NSQ presets about delivery guarantees do what their descriptions
//! say: TOUCH prevents timeouts, DPUB and REQ delays wait in the deferred
//! queue and a clean restart drops them, a crashed consumer's messages are
//! redelivered as duplicates, a memory queue overflowing to disk reorders,
//! an ephemeral channel drops and vanishes, an unclean crash loses memory
//! and a clean stop loses nothing. The guarantees book is checked against
//! nsqd's queues all along.

use queuelab::nsq::guarantees::{ChannelGuarantees, LossCause};
use queuelab::observe::snapshot::{NsqChannelView, NsqView};
use queuelab::observe::trace::EventKind;
use queuelab::time::{SimDuration, SimTime};
use queuelab::world::World;

fn preset_world(name: &str) -> World {
    let p = queuelab::presets::get(name).expect("a preset");
    World::new(&p.scenario()).expect("builds")
}

/// Runs to `ms`, checking the guarantees book every 50 events.
fn run_checked(w: &mut World, ms: u64) {
    let end = SimTime::ZERO + SimDuration::from_millis(ms);
    let mut n = 0u64;
    while w.is_running() && !w.run_until_bounded(end, 50) {
        n += 1;
        w.check_nsq_book().unwrap_or_else(|e| panic!("at {} (batch {n}): {e}", w.now()));
    }
    w.check_nsq_book().unwrap_or_else(|e| panic!("at {}: {e}", w.now()));
}

fn nsq(w: &World) -> NsqView {
    w.snapshot().nsq.expect("nsq").into_inner()
}

fn channel(v: &NsqView, name: &str) -> NsqChannelView {
    v.nodes[0].topics.iter().flat_map(|t| &t.channels).find(|c| c.name == name).unwrap_or_else(|| panic!("no channel {name}")).clone()
}

fn guarantees(v: &NsqView, name: &str) -> ChannelGuarantees {
    v.guarantees.iter().find(|g| g.channel == name).unwrap_or_else(|| panic!("no guarantees for {name}")).clone()
}

fn lost(g: &ChannelGuarantees, cause: LossCause) -> u64 {
    g.lost.iter().find(|(c, _)| *c == cause).map_or(0, |(_, n)| *n)
}

fn count(w: &World, k: EventKind) -> usize {
    w.trace().events().filter(|e| e.kind == k).count()
}

/// nsqd `protocol_v2_test.go` TestTouch: TOUCH resets the deadline.
#[test]
fn touching_prevents_timeouts_and_duplicates() {
    let mut slow = preset_world("nsq-slow-handler");
    run_checked(&mut slow, 20_000);
    let g = guarantees(&nsq(&slow), "archive");
    assert!(g.handled_more_than_once > 0, "without TOUCH the slow handler handles messages twice");
    let mut w = preset_world("nsq-touch");
    run_checked(&mut w, 20_000);
    let v = nsq(&w);
    let g = guarantees(&v, "archive");
    assert!(g.finished > 20);
    assert!(g.handled_more_than_once < slow_dupes(&slow) / 4, "TOUCH keeps the handled messages in flight: {g:?}");
}

/// go-nsq `conn.go` `readLoop` answers a heartbeat only when it reads it,
/// and blocks in `OnMessage` while every handler is busy; nsqd
/// `protocol_v2.go` `IOLoop` closes a client it hears nothing from for 60 s
/// (go-nsq issue #204 "how to handle with slow consumer?", PR #348). The
/// preset's consumer never gets a FIN through; with max_in_flight 1 (no
/// more in flight than handlers) the same handler is fine.
#[test]
fn a_blocked_reader_misses_heartbeats_and_nsqd_drops_the_consumer() {
    let mut w = preset_world("nsq-missed-heartbeats");
    run_checked(&mut w, 600_000);
    let drops: Vec<_> = w.trace().events().filter(|e| e.kind == EventKind::NsqHeartbeatTimeout).map(|e| (e.time, e.aux >> 16)).collect();
    // Each round: 60 s of silence, then go-nsq reads EOF only after the
    // handler took the message its reader held, reconnects only after the
    // handler answered that one too (~80 s), and a minute later.
    assert!(drops.len() >= 3, "dropped about every 3.7 minutes: {drops:?}");
    assert!(drops.iter().all(|&(_, side)| side == 2), "nsqd's side, the reader blocked: {drops:?}");
    let first = drops[0].0.as_micros();
    assert!((60_000_000..61_000_000).contains(&first), "60 s after the first RDY: {drops:?}");
    let g = guarantees(&nsq(&w), "archive");
    assert_eq!(g.finished, 0, "no FIN gets through: {g:?}");
    assert!(g.handled_once >= 6, "the handler works all along: {g:?}");
    assert!(count(&w, EventKind::NsqTimeout) >= 2, "messages time out after 5 min and go again");

    let p = queuelab::presets::get("nsq-missed-heartbeats").expect("a preset");
    let json = p.json.replace(r#""max_in_flight": 2"#, r#""max_in_flight": 1"#);
    assert_ne!(json, p.json);
    let mut fixed = World::new(&queuelab::scenario::Scenario::from_json(&json).expect("valid")).expect("builds");
    run_checked(&mut fixed, 600_000);
    assert_eq!(count(&fixed, EventKind::NsqHeartbeatTimeout), 0);
    let g = guarantees(&nsq(&fixed), "archive");
    assert!(g.finished >= 6 && g.handled_more_than_once == 0, "{g:?}");
}

fn slow_dupes(w: &World) -> u64 {
    guarantees(&nsq(w), "archive").handled_more_than_once
}

/// nsqd `protocol_v2_test.go` TestDPUB and `channel.go` flush: DPUB copies
/// wait deferred; a clean stop writes them to disk without their delay.
#[test]
fn deferred_messages_wait_and_a_clean_restart_drops_the_delay() {
    let mut w = preset_world("nsq-deferred");
    run_checked(&mut w, 2_500);
    let ch = channel(&nsq(&w), "jobs");
    assert!(ch.deferred > 10, "DPUB 3s: nothing delivered yet, all deferred: {ch:?}");
    assert_eq!(ch.message_count, ch.deferred + ch.depth + ch.in_flight, "{ch:?}");
    assert_eq!(guarantees(&nsq(&w), "jobs").finished, 0);
    run_checked(&mut w, 5_999);
    let before = channel(&nsq(&w), "jobs").deferred;
    assert!(before > 10);
    run_checked(&mut w, 6_001);
    assert_eq!(channel(&nsq(&w), "jobs").deferred, 0, "the clean stop wrote them to disk, without their delay");
    run_checked(&mut w, 12_000);
    let g = guarantees(&nsq(&w), "jobs");
    // Only the publishes sent while the node was down are lost.
    assert!(g.lost.iter().all(|(c, _)| *c == LossCause::PublishFailed), "a clean stop loses nothing: {g:?}");
    assert!(count(&w, EventKind::NsqRequeue) > 0);
}

/// go-nsq: a crashed consumer's in-flight messages time out at nsqd and
/// are redelivered; the ones it was handling are handled twice.
#[test]
fn a_consumer_crash_makes_duplicates_and_loses_nothing() {
    let mut w = preset_world("nsq-consumer-crash");
    run_checked(&mut w, 12_000);
    let v = nsq(&w);
    let g = guarantees(&v, "jobs");
    assert!(g.handled_more_than_once > 0, "{g:?}");
    assert_eq!(g.lost, vec![], "{g:?}");
    assert!(channel(&v, "jobs").timeout_count > 0);
    assert_eq!(count(&w, EventKind::NsqConsumerCrash), 1);
    assert_eq!(count(&w, EventKind::NsqConsumerStart), 1);
}

/// nsqd `diskqueue` + `channel.go` messagePump: memory and disk are read at
/// random, so order is lost.
#[test]
fn overflowing_to_disk_reorders() {
    let mut w = preset_world("nsq-disk-overflow");
    run_checked(&mut w, 30_000);
    let v = nsq(&w);
    let ch = channel(&v, "jobs");
    assert!(ch.backend_depth > 0 && ch.memory_depth <= 5, "{ch:?}");
    let g = guarantees(&v, "jobs");
    assert!(g.reordered > 5, "{g:?}");
    assert_eq!(g.handled_more_than_once, 0);
}

/// nsqd `channel_test.go` TestChannelEmptyConsumer / ephemeral channels:
/// overflow is dropped; the channel goes with its last consumer.
#[test]
fn an_ephemeral_channel_drops_and_vanishes() {
    let mut w = preset_world("nsq-ephemeral");
    run_checked(&mut w, 7_900);
    let v = nsq(&w);
    let live = guarantees(&v, "live#ephemeral");
    assert!(lost(&live, LossCause::EphemeralOverflow) > 10, "{live:?}");
    let archive = guarantees(&v, "archive");
    assert_eq!(archive.lost, vec![], "the durable channel keeps everything");
    assert!(channel(&v, "archive").backend_depth > 0, "it overflows to disk");
    run_checked(&mut w, 10_000);
    let v = nsq(&w);
    assert!(v.nodes[0].topics[0].channels.iter().all(|c| c.name != "live#ephemeral"), "gone with its last consumer");
    let live = guarantees(&v, "live#ephemeral");
    assert_eq!(live.live, 0);
}

/// nsqd: an unclean crash loses memory; a clean stop loses nothing.
#[test]
fn an_unclean_crash_loses_and_a_clean_stop_does_not() {
    let mut w = preset_world("nsq-crash");
    run_checked(&mut w, 3_999);
    assert_eq!(guarantees(&nsq(&w), "jobs").lost, vec![]);
    run_checked(&mut w, 4_001);
    let crashed = lost(&guarantees(&nsq(&w), "jobs"), LossCause::UncleanCrash);
    assert!(crashed > 5, "the backlog in memory is lost");
    run_checked(&mut w, 9_999);
    assert!(count(&w, EventKind::NsqPublishFailed) > 5, "publishes while it was down failed");
    let g = guarantees(&nsq(&w), "jobs");
    let before = (lost(&g, LossCause::UncleanCrash), g.lost.len());
    run_checked(&mut w, 16_000);
    let g = guarantees(&nsq(&w), "jobs");
    assert_eq!((lost(&g, LossCause::UncleanCrash), g.lost.len()), before, "the clean stop lost nothing more: {g:?}");
    assert!(g.finished > 100);
}

/// SEMANTICS 2.7's mitigation, the redundant pair: every message is
/// published to two nsqds (one logical message); an unclean crash of one
/// loses its copies, but the other's remain: the book (counting by logical
/// message) shows duplicates and no loss.
#[test]
fn a_redundant_pair_shows_duplicates_and_no_loss() {
    let mut w = preset_world("nsq-redundant-pair");
    run_checked(&mut w, 4_999);
    let g = guarantees(&nsq(&w), "jobs");
    assert_eq!(g.lost, vec![]);
    assert!(g.handled_more_than_once > 40, "each copy handled once per node: {g:?}");
    // Logical messages: one per value published, whatever the copies.
    let published = w.snapshot().totals.published;
    assert!(g.published.abs_diff(published) <= 2, "book {} vs published values {published}", g.published);
    run_checked(&mut w, 5_001);
    let crashed = nsq(&w).nodes[0].topics[0].channels[0].clone();
    assert_eq!(crashed.depth, 0, "nsqd-a lost its memory");
    run_checked(&mut w, 7_999);
    assert!(count(&w, EventKind::NsqPublishFailed) > 5, "publishes to nsqd-a failed while it was down");
    assert_eq!(w.snapshot().totals.dropped, 0, "yet every value was published (to nsqd-b)");
    run_checked(&mut w, 20_000);
    let g = guarantees(&nsq(&w), "jobs");
    assert_eq!(g.lost, vec![], "no logical message lost: {g:?}");
    assert!(g.handled_more_than_once > g.handled_once, "mostly duplicates: {g:?}");
    assert_eq!(g.finished + g.live, g.published);
    let totals = w.snapshot().totals;
    assert_eq!(totals.dropped, 0);
}

/// A `publish` to a list of nodes names each node once, and only nodes of
/// the scenario.
#[test]
fn a_redundant_publish_checks_its_nodes() {
    let scenario = |nodes: &str| {
        format!(
            r#"{{"name":"x","seed":1,"nsq":{{"nsqd":[{{"name":"a"}},{{"name":"b"}}]}},
            "goroutines":[{{"name":"p","behavior":{{"program":[{{"publish":{{"nsqd":{nodes},"topic":"t"}}}}]}}}}]}}"#
        )
    };
    for bad in [r#"["a","a"]"#, r#"["a","nope"]"#, "[]"] {
        let built = queuelab::scenario::Scenario::from_json(&scenario(bad)).map_err(|e| e.to_string()).and_then(|s| World::new(&s).map(|_| ()).map_err(|e| e.to_string()));
        assert!(built.is_err(), "{bad}");
    }
    let mut w = World::from_json(&scenario(r#"["a","b"]"#)).expect("valid");
    w.run_until(SimTime::ZERO + SimDuration::from_millis(100));
    let v = nsq(&w);
    assert_eq!(v.nodes.iter().map(|n| n.topics[0].message_count).collect::<Vec<_>>(), [1, 1], "one PUB to each");
    assert_eq!(w.snapshot().totals.published, 1, "one value");
}

/// go-nsq counts a message in flight when its `readLoop` reads the frame
/// (conn.go, `readLoop`: `messagesInFlight + 1`, then `OnMessage` blocks on
/// the unbuffered `incomingMessages`). In nsq-slow-handler the one handler
/// is slower than the message timeout: nsqd keeps delivering as copies time
/// out, and those frames wait in the socket behind the blocked reader. The
/// client counts only what it read: the message its handler works on and the
/// one its reader holds, however many wait unread.
#[test]
fn a_slow_consumer_counts_in_flight_what_its_reader_read_not_the_socket() {
    let mut w = preset_world("nsq-slow-handler");
    for step in 1..=200u64 {
        w.run_until(SimTime::ZERO + SimDuration::from_millis(50 * step));
        let v = nsq(&w);
        let c = &v.consumers[0];
        assert!(c.in_flight <= 2, "at {}: the client counts {} in flight (one handler + the reader)", w.now(), c.in_flight);
        let received = c.connections.iter().map(|cn| cn.in_flight).sum::<u64>();
        assert_eq!(received, c.in_flight);
    }
}
