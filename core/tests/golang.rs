//! Go conformance: the semantics of Go's own channel tests (`test/chan/*.go`
//! and `test/closedchan.go` in the Go repository), ported to scenario
//! programs, in the spirit of crossbeam-channel's `tests/golang.rs`.
//!
//! Each test's doc comment names the Go test (or the rule of the Go spec /
//! `runtime/chan.go`, `runtime/select.go`) it follows. Go's tests check
//! themselves with `panic` inside the program; ours build a world, run it,
//! and assert on the trace, the snapshot and the run status. Out of scope:
//! `powser1.go`/`powser2.go` (rational arithmetic), `perm.go` (compile-time
//! channel direction), `zerosize.go` (zero-size element types; its
//! runtime-visible analogue, `len == 0` on unbuffered channels, is below),
//! `sieve2.go` (a heap-based sieve with dynamic goroutine creation).
//!
//! What a program can observe here: the values a goroutine receives
//! (`Received` events with the message's producer and value), which case a
//! select chose (`SelectChose`, `aux` = case index, -1 default, -2 timeout),
//! `ok == false` receives (`RecvClosed`), panics, and the deadlock report.

use queuelab::command::Command;
use queuelab::observe::snapshot::{RunStatus, Snapshot};
use queuelab::observe::trace::{EventKind, TraceEvent, NONE};
use queuelab::time::SimTime;
use queuelab::world::World;
use serde_json::{json, Value};

const GO_DEADLOCK: &str = "fatal error: all goroutines are asleep - deadlock!";

fn world(v: Value) -> World {
    World::from_json(&v.to_string()).unwrap_or_else(|e| panic!("scenario rejected: {e}\n{v:#}"))
}

fn ms(n: u64) -> SimTime {
    SimTime::from_micros(n * 1_000)
}

/// Runs until the program ends or `limit`.
fn run(w: &mut World, limit: SimTime) -> RunStatus {
    w.run_to_end(limit)
}

fn events(w: &World, kind: EventKind) -> Vec<TraceEvent> {
    w.trace().events().filter(|e| e.kind == kind).copied().collect()
}

/// The id of a goroutine by name (from the snapshot).
fn gid(s: &Snapshot, name: &str) -> u32 {
    s.goroutines.iter().find(|g| g.name == name).unwrap_or_else(|| panic!("no goroutine {name}")).id
}

/// The id of a channel by name.
fn cid(s: &Snapshot, name: &str) -> u32 {
    s.channels.iter().find(|c| c.name == name).unwrap_or_else(|| panic!("no channel {name}")).id
}

/// Labels (`producer#value`) of the receives that `keep` accepts, in order.
fn received_where(w: &World, keep: impl Fn(&TraceEvent) -> bool) -> Vec<String> {
    events(w, EventKind::Received)
        .iter()
        .filter(|e| keep(e))
        .map(|e| w.label_of(e.msg_producer, e.msg_value))
        .collect()
}

/// Labels received from channel `ch`, in order.
fn received_from(w: &World, ch: &str) -> Vec<String> {
    let c = cid(&w.snapshot(), ch);
    received_where(w, |e| e.ch == c)
}

/// Labels received by goroutine `g` (from any channel), in order.
fn received_by(w: &World, g: &str) -> Vec<String> {
    let g = gid(&w.snapshot(), g);
    received_where(w, |e| e.g == g)
}

/// The select choices (`aux`) of goroutine `g`, in order.
fn choices(w: &World, g: &str) -> Vec<i64> {
    let g = gid(&w.snapshot(), g);
    events(w, EventKind::SelectChose).iter().filter(|e| e.g == g).map(|e| e.aux).collect()
}

/// Values entering channel `ch` (a completed send: buffered, handed off,
/// or a parked sender's value taken / moved into the buffer), in order.
fn entered(w: &World, ch: &str) -> Vec<u64> {
    let c = cid(&w.snapshot(), ch);
    w.trace()
        .events()
        .filter(|e| e.ch == c && matches!(e.kind, EventKind::Buffered | EventKind::Handoff | EventKind::Unblocked))
        .map(|e| e.msg)
        .collect()
}

fn labels(v: &[(&str, i64)]) -> Vec<String> {
    v.iter().map(|(g, n)| format!("{g}#{n}")).collect()
}

// ---------------------------------------------------------------------------
// FIFO order: test/chan/fifo.go
// ---------------------------------------------------------------------------

/// `test/chan/fifo.go`, `AsynchFifo`: send 0..N-1 into a channel with
/// buffer N without blocking, then receive them in the same order.
#[test]
fn fifo_asynch_buffered_keeps_order_and_never_blocks() {
    const N: i64 = 10;
    let mut w = world(json!({
        "channels": [{"name": "ch", "capacity": N}],
        "goroutines": [
            {"name": "main", "behavior": {"program": [
                {"repeat": {"times": N, "body": [{"send": "ch"}]}},
                {"repeat": {"times": N, "body": [{"recv": "ch"}]}}
            ]}}
        ]
    }));
    assert_eq!(run(&mut w, ms(1000)), RunStatus::MainReturned, "{}", w.status_text());
    let want: Vec<(&str, i64)> = (0..N).map(|i| ("main", i)).collect();
    assert_eq!(received_from(&w, "ch"), labels(&want));
    assert!(events(&w, EventKind::BlockedSend).is_empty(), "a buffer of N holds N sends");
    assert_eq!(events(&w, EventKind::Buffered).len(), N as usize);
    assert_eq!(w.snapshot().channels[0].max_len, N as u32);
}

/// `test/chan/fifo.go`, `SynchFifo`: a chain of goroutines, each waiting for
/// its predecessor's signal before receiving from the unbuffered `ch`;
/// goroutine `i` must receive the `i`-th value sent.
#[test]
fn fifo_synch_chain_receives_in_send_order() {
    const N: usize = 10;
    let mut channels = vec![json!({"name": "ch"})];
    let mut gs = Vec::new();
    for i in 0..=N {
        channels.push(json!({"name": format!("in{i}")}));
    }
    for i in 0..N {
        gs.push(json!({"name": format!("chain{i}"), "behavior": {"program": [
            {"recv": format!("in{i}")},
            {"recv": "ch"},
            {"send": format!("in{}", i + 1)}
        ]}}));
    }
    gs.push(json!({"name": "feeder", "behavior": {"program": [
        {"repeat": {"times": N, "body": [{"send": "ch"}]}}
    ]}}));
    gs.push(json!({"name": "main", "behavior": {"program": [{"send": "in0"}, {"recv": format!("in{N}")}]}}));
    let mut w = world(json!({"channels": channels, "goroutines": gs}));
    assert_eq!(run(&mut w, ms(1000)), RunStatus::MainReturned, "{}", w.status_text());
    for i in 0..N {
        let got = received_by(&w, &format!("chain{i}"));
        // First the signal from in{i}, then value i from ch.
        assert_eq!(got.len(), 2, "chain{i}: {got:?}");
        assert_eq!(got[1], format!("feeder#{i}"), "chain{i} received out of order");
    }
}

/// `test/chan/fifo.go` with several senders on an unbuffered channel: each
/// sender's values arrive in its own order, and parked senders are served
/// first come, first served (`sendq` is FIFO), so three senders that keep
/// re-parking are served round-robin.
#[test]
fn fifo_parked_senders_are_served_first_come_first_served_unbuffered() {
    let mut w = world(json!({
        "channels": [{"name": "ch"}],
        "goroutines": [
            {"name": "p", "count": 3, "behavior": {"program": [
                {"repeat": {"times": 5, "body": [{"send": "ch"}]}}]}},
            {"name": "main", "behavior": {"program": [
                {"sleep": "10ms"},
                {"repeat": {"times": 15, "body": [{"recv": "ch"}, {"work": "1ms"}]}}]}}
        ]
    }));
    w.run_until(ms(5));
    let s = w.snapshot();
    let parked: Vec<_> = s.channels[0].sendq.iter().map(|x| x.name.as_str()).collect();
    assert_eq!(parked, ["p-1", "p-2", "p-3"], "parked in the order they blocked");
    assert_eq!(s.channels[0].len, 0, "len never counts parked senders (unbuffered: always 0)");
    assert_eq!(s.channels[0].cap, 0);
    assert_eq!(run(&mut w, ms(1000)), RunStatus::MainReturned, "{}", w.status_text());
    let want: Vec<String> = (0..5).flat_map(|v| (1..=3).map(move |p| format!("p-{p}#{v}"))).collect();
    assert_eq!(received_from(&w, "ch"), want);
}

/// `test/chan/fifo.go` on a buffered channel with parked senders
/// (`runtime/chan.go` `recv`): a receive from a full buffer takes the head
/// and moves the first parked sender's value to the tail, so the channel as
/// a whole stays FIFO and each sender's order is kept.
#[test]
fn fifo_full_buffer_moves_first_parked_sender_to_tail() {
    let mut w = world(json!({
        "channels": [{"name": "ch", "capacity": 2}],
        "goroutines": [
            {"name": "p", "count": 3, "behavior": {"program": [
                {"repeat": {"times": 5, "body": [{"send": "ch"}]}}]}},
            {"name": "main", "behavior": {"program": [
                {"sleep": "10ms"},
                {"repeat": {"times": 15, "body": [{"recv": "ch"}, {"work": "1ms"}]}}]}}
        ]
    }));
    w.run_until(ms(5));
    let s = w.snapshot();
    let buf: Vec<_> = s.channels[0].buffer.iter().map(|m| m.label.as_str()).collect();
    assert_eq!(buf, ["p-1#0", "p-1#1"]);
    let parked: Vec<_> = s.channels[0].sendq.iter().map(|x| x.label.as_deref().unwrap()).collect();
    assert_eq!(parked, ["p-1#2", "p-2#0", "p-3#0"]);
    assert_eq!(s.channels[0].len, 2, "len counts buffered items only");

    // The first receive frees a slot: p-1#2 moves in behind p-1#1.
    w.run_until(ms(10));
    let s = w.snapshot();
    let buf: Vec<_> = s.channels[0].buffer.iter().map(|m| m.label.as_str()).collect();
    assert_eq!(buf, ["p-1#1", "p-1#2"]);

    assert_eq!(run(&mut w, ms(1000)), RunStatus::MainReturned, "{}", w.status_text());
    let got = received_from(&w, "ch");
    assert_eq!(got[..5], labels(&[("p-1", 0), ("p-1", 1), ("p-1", 2), ("p-2", 0), ("p-3", 0)]));
    for p in 1..=3 {
        let mine: Vec<i64> = got
            .iter()
            .filter_map(|l| l.strip_prefix(&format!("p-{p}#")).map(|v| v.parse().unwrap()))
            .collect();
        assert_eq!(mine, [0, 1, 2, 3, 4], "p-{p}'s own order");
    }
    // The channel as a whole: values leave in the order they entered.
    let ids_out: Vec<u64> = events(&w, EventKind::Received).iter().map(|e| e.msg).collect();
    assert_eq!(entered(&w, "ch"), ids_out);
}

/// Go spec / `runtime/chan.go` `send`: a send with a receiver already
/// parked hands the value straight to the *first* parked receiver, skipping
/// the buffer even when the channel is buffered.
#[test]
fn send_hands_off_to_first_parked_receiver_skipping_the_buffer() {
    let mut w = world(json!({
        "channels": [{"name": "ch", "capacity": 3}],
        "goroutines": [
            {"name": "r", "count": 3, "behavior": {"program": [{"recv": "ch"}]}},
            {"name": "main", "behavior": {"program": [
                {"sleep": "1ms"},
                {"repeat": {"times": 3, "body": [{"send": "ch"}]}},
                {"sleep": "1ms"}]}}
        ]
    }));
    assert_eq!(run(&mut w, ms(100)), RunStatus::MainReturned, "{}", w.status_text());
    assert_eq!(events(&w, EventKind::Handoff).len(), 3);
    assert!(events(&w, EventKind::Buffered).is_empty(), "the buffer was skipped");
    for (i, r) in ["r-1", "r-2", "r-3"].iter().enumerate() {
        assert_eq!(received_by(&w, r), [format!("main#{i}")], "receivers served in parking order");
    }
    assert_eq!(w.snapshot().channels[0].max_len, 0);
}

// ---------------------------------------------------------------------------
// Non-blocking operations: test/chan/nonblock.go
// ---------------------------------------------------------------------------

fn one_select(channels: Value, others: Value, select: Value) -> World {
    let mut gs = others.as_array().cloned().unwrap_or_default();
    gs.push(json!({"name": "main", "behavior": {"program": [{"sleep": "1ms"}, {"select": select}, {"sleep": "1ms"}]}}));
    world(json!({"channels": channels, "goroutines": gs}))
}

/// `test/chan/nonblock.go`: a non-blocking receive (`select` with
/// `default`) on an empty channel, buffered or not, takes the default.
#[test]
fn nonblock_recv_on_empty_channel_takes_default() {
    for cap in [0, 1, 5] {
        let mut w = one_select(
            json!([{"name": "c", "capacity": cap}]),
            json!([]),
            json!({"cases": [{"recv": "c"}], "default": []}),
        );
        assert_eq!(run(&mut w, ms(100)), RunStatus::MainReturned);
        assert_eq!(choices(&w, "main"), [-1], "cap {cap}");
        assert!(events(&w, EventKind::BlockedSelect).is_empty());
    }
}

/// `test/chan/nonblock.go`: a non-blocking send on an unbuffered channel
/// with no receiver, or on a full buffer, takes the default (the value is
/// dropped, a modelled loss); with room, or with a parked receiver, it sends.
#[test]
fn nonblock_send_takes_default_only_when_it_would_block() {
    let send = json!({"cases": [{"send": "c"}], "default": []});
    // Unbuffered, nobody receiving.
    let mut w = one_select(json!([{"name": "c"}]), json!([]), send.clone());
    run(&mut w, ms(100));
    assert_eq!(choices(&w, "main"), [-1]);
    assert_eq!(w.snapshot().totals.dropped, 1);
    // Unbuffered, a receiver parked: the send completes by handoff.
    let mut w = one_select(
        json!([{"name": "c"}]),
        json!([{"name": "r", "behavior": {"program": [{"recv": "c"}]}}]),
        send.clone(),
    );
    assert_eq!(run(&mut w, ms(100)), RunStatus::MainReturned);
    assert_eq!(choices(&w, "main"), [0]);
    assert_eq!(received_by(&w, "r"), ["main#0"]);
    assert_eq!(events(&w, EventKind::Handoff).len(), 1);
    // Buffered with room, then full.
    let mut w = world(json!({
        "channels": [{"name": "c", "capacity": 1}],
        "goroutines": [{"name": "main", "behavior": {"program": [
            {"repeat": {"times": 2, "body": [{"select": send}, {"sleep": "1ms"}]}}]}}]
    }));
    assert_eq!(run(&mut w, ms(100)), RunStatus::MainReturned);
    assert_eq!(choices(&w, "main"), [0, -1]);
    let s = w.snapshot();
    assert_eq!((s.channels[0].len, s.totals.produced, s.totals.dropped), (1, 2, 1));
}

/// `test/chan/nonblock.go`: a non-blocking receive gets a parked sender's
/// value on an unbuffered channel, and a buffered value otherwise.
#[test]
fn nonblock_recv_takes_a_ready_value() {
    let recv = json!({"cases": [{"recv": "c"}], "default": []});
    for cap in [0, 2] {
        let mut w = one_select(
            json!([{"name": "c", "capacity": cap}]),
            json!([{"name": "s", "behavior": {"program": [{"send": "c"}]}}]),
            recv.clone(),
        );
        assert_eq!(run(&mut w, ms(100)), RunStatus::MainReturned);
        assert_eq!(choices(&w, "main"), [0], "cap {cap}");
        assert_eq!(received_by(&w, "main"), ["s#0"]);
    }
}

/// `test/closedchan.go` and `test/chan/select3.go` ("closed channel never
/// blocks"): a non-blocking receive on a closed, drained channel is ready
/// (`ok == false`), it does not take the default.
#[test]
fn nonblock_recv_on_closed_channel_is_ready_not_default() {
    let mut w = one_select(
        json!([{"name": "c", "capacity": 1}]),
        json!([{"name": "closer", "behavior": {"program": [{"close": "c"}]}}]),
        json!({"cases": [{"recv": "c"}], "default": []}),
    );
    assert_eq!(run(&mut w, ms(100)), RunStatus::MainReturned);
    assert_eq!(choices(&w, "main"), [0]);
    assert_eq!(events(&w, EventKind::RecvClosed).len(), 1);
}

/// `test/closedchan.go`: a non-blocking send on a closed channel panics
/// (the send case is "ready"; a default does not save it).
#[test]
fn nonblock_send_on_closed_channel_panics() {
    let mut w = one_select(
        json!([{"name": "c", "capacity": 1}]),
        json!([{"name": "closer", "behavior": {"program": [{"close": "c"}]}}]),
        json!({"cases": [{"send": "c"}], "default": []}),
    );
    assert_eq!(run(&mut w, ms(100)), RunStatus::Panicked);
    let p = w.panic_report().unwrap();
    assert_eq!((p.name.as_str(), p.message.as_str()), ("main", "send on closed channel"));
}

// ---------------------------------------------------------------------------
// Closed channels: test/closedchan.go
// ---------------------------------------------------------------------------

/// `test/closedchan.go`: receiving from a closed buffered channel first
/// drains the buffered values in order, then gives `ok == false` at once,
/// every time.
#[test]
fn closed_buffered_channel_drains_then_reports_not_ok() {
    let mut w = world(json!({
        "channels": [{"name": "c", "capacity": 3}],
        "goroutines": [
            {"name": "p", "behavior": {"program": [
                {"repeat": {"times": 3, "body": [{"send": "c"}]}}, {"close": "c"}]}},
            {"name": "main", "behavior": {"program": [
                {"sleep": "1ms"},
                {"repeat": {"times": 5, "body": [{"recv": "c"}]}}]}}
        ]
    }));
    assert_eq!(run(&mut w, ms(100)), RunStatus::MainReturned, "{}", w.status_text());
    assert_eq!(received_by(&w, "main"), ["p#0", "p#1", "p#2"]);
    let not_ok = events(&w, EventKind::RecvClosed);
    assert_eq!(not_ok.len(), 2, "receives 4 and 5 see ok == false");
    assert!(not_ok.iter().all(|e| e.time == ms(1)), "without blocking");
    // Every event of main's receives is after every received value.
    let last_value = events(&w, EventKind::Received).last().unwrap().seq;
    assert!(not_ok.iter().all(|e| e.seq > last_value));
}

/// `test/closedchan.go`: `for v := range c` over a closed buffered channel
/// yields the buffered values, then ends.
#[test]
fn range_over_closed_channel_drains_then_ends() {
    let mut w = world(json!({
        "channels": [{"name": "c", "capacity": 4}],
        "goroutines": [
            {"name": "p", "behavior": {"program": [
                {"repeat": {"times": 4, "body": [{"send": "c"}]}}, {"close": "c"}]}},
            {"name": "main", "behavior": {"program": [
                {"sleep": "1ms"}, {"range": {"ch": "c", "body": [{"work": "1ms"}]}}]}}
        ]
    }));
    assert_eq!(run(&mut w, ms(100)), RunStatus::MainReturned);
    assert_eq!(received_by(&w, "main"), ["p#0", "p#1", "p#2", "p#3"]);
    assert_eq!(w.now(), ms(5), "four 1ms works after the 1ms sleep, then the range ends");
}

/// `runtime/chan.go` `closechan`: close wakes *every* parked receiver, each
/// with `ok == false`.
#[test]
fn close_wakes_every_parked_receiver() {
    let mut w = world(json!({
        "channels": [{"name": "c"}],
        "waitgroups": ["wg"],
        "goroutines": [
            {"name": "r", "count": 4, "behavior": {"consumer": {"from": "c", "wg": "wg"}}},
            {"name": "closer", "behavior": {"program": [{"sleep": "7ms"}, {"close": "c"}]}},
            {"name": "main", "behavior": {"program": [{"wg_wait": "wg"}]}}
        ]
    }));
    w.run_until(ms(5));
    assert_eq!(w.snapshot().channels[0].recvq_len, 4);
    assert_eq!(run(&mut w, ms(100)), RunStatus::MainReturned, "{}", w.status_text());
    let woken = events(&w, EventKind::RecvClosed);
    assert_eq!(woken.len(), 4);
    assert!(woken.iter().all(|e| e.time == ms(7)));
    assert_eq!(w.now(), ms(7));
}

/// `test/closedchan.go` / Go spec: sending on a closed channel panics with
/// "send on closed channel", which crashes the whole program.
#[test]
fn send_on_closed_channel_panics() {
    let mut w = world(json!({
        "channels": [{"name": "c", "capacity": 2}],
        "goroutines": [
            {"name": "closer", "behavior": {"program": [{"close": "c"}]}},
            {"name": "main", "behavior": {"program": [{"sleep": "1ms"}, {"send": "c"}, {"sleep": "1ms"}]}}
        ]
    }));
    assert_eq!(run(&mut w, ms(100)), RunStatus::Panicked);
    let p = w.panic_report().unwrap();
    assert_eq!((p.name.as_str(), p.message.as_str(), p.at_us), ("main", "send on closed channel", 1_000));
    assert!(p.text.starts_with("panic: send on closed channel\n\ngoroutine 2 [running]:\nmain.main()\n\tc <- v"), "{}", p.text);
    let s = w.snapshot();
    assert_eq!(s.status_text, "panic: send on closed channel (in main)");
    assert_eq!((s.totals.produced, s.totals.dropped), (1, 1), "the value died with the goroutine");
    assert!(!w.step(), "a crashed program runs no further");
}

/// `runtime/chan.go` `closechan`: closing a channel with a parked sender
/// makes that sender panic.
#[test]
fn close_with_a_parked_sender_makes_it_panic() {
    let mut w = world(json!({
        "channels": [{"name": "c"}],
        "goroutines": [
            {"name": "s", "behavior": {"program": [{"send": "c"}]}},
            {"name": "main", "behavior": {"program": [{"sleep": "3ms"}, {"close": "c"}, {"sleep": "1ms"}]}}
        ]
    }));
    assert_eq!(run(&mut w, ms(100)), RunStatus::Panicked);
    let p = w.panic_report().unwrap();
    assert_eq!((p.name.as_str(), p.message.as_str(), p.at_us), ("s", "send on closed channel", 3_000));
}

/// `test/closedchan.go` / Go spec: closing a closed channel panics with
/// "close of closed channel"; the panic points at the `close` line.
#[test]
fn close_of_closed_channel_panics() {
    let mut w = world(json!({
        "channels": [{"name": "c"}],
        "goroutines": [{"name": "main", "behavior": {"program": [
            {"close": "c"}, {"sleep": "1ms"}, {"close": "c"}, {"sleep": "1ms"}]}}]
    }));
    assert_eq!(run(&mut w, ms(100)), RunStatus::Panicked);
    let p = w.panic_report().unwrap();
    assert_eq!((p.message.as_str(), p.at_us), ("close of closed channel", 1_000));
    assert!(p.text.contains("\n\tclose(c)\n"), "the trace shows the close line: {}", p.text);
    // And from outside (a live command), a double close is refused, not a panic.
    let mut w = world(json!({
        "channels": [{"name": "c"}],
        "goroutines": [{"name": "main", "behavior": {"program": [{"sleep": "1s"}]}}]
    }));
    w.apply(&Command::CloseChannel { channel: "c".into() }).unwrap();
    assert!(w.apply(&Command::CloseChannel { channel: "c".into() }).is_err());
    assert_eq!(w.status(), RunStatus::Running);
}

// ---------------------------------------------------------------------------
// select: test/chan/select.go, select3.go, select6.go, doubleselect.go
// ---------------------------------------------------------------------------

/// `test/chan/select.go` / Go spec ("a single one is chosen via a uniform
/// pseudo-random selection"): with two always-ready cases (two closed
/// channels), 10,000 selects choose each case 50% ± 3%.
#[test]
fn select_fairness_two_ready_receive_cases() {
    const N: u64 = 10_000;
    let mut w = world(json!({
        "seed": 42,
        "trace_capacity": 200_000,
        "channels": [{"name": "a"}, {"name": "b"}],
        "goroutines": [
            {"name": "closer", "behavior": {"program": [{"close": "a"}, {"close": "b"}]}},
            {"name": "main", "behavior": {"program": [
                {"sleep": "1ms"},
                {"repeat": {"times": N, "body": [{"select": {"cases": [{"recv": "a"}, {"recv": "b"}]}}]}}]}}
        ]
    }));
    assert_eq!(run(&mut w, ms(1000)), RunStatus::MainReturned, "{}", w.status_text());
    let c = choices(&w, "main");
    assert_eq!(c.len() as u64, N);
    let first = c.iter().filter(|&&x| x == 0).count() as f64 / N as f64;
    assert!((0.47..=0.53).contains(&first), "case 0 chosen {:.1}% of the time", first * 100.0);
    assert!(c.iter().all(|&x| x == 0 || x == 1));
}

/// `test/chan/select.go`: with two ready send cases (buffers with room),
/// each is chosen 50% ± 3%; with three ready cases, each 1/3 ± 3%.
#[test]
fn select_fairness_ready_send_cases() {
    const N: u64 = 10_000;
    let mut w = world(json!({
        "seed": 7,
        "channels": [{"name": "a", "capacity": N}, {"name": "b", "capacity": N}],
        "goroutines": [{"name": "main", "behavior": {"program": [
            {"repeat": {"times": N, "body": [{"select": {"cases": [{"send": "a"}, {"send": "b"}]}}]}}]}}]
    }));
    assert_eq!(run(&mut w, ms(1000)), RunStatus::MainReturned);
    let s = w.snapshot();
    let (a, b) = (s.channels[0].len as f64, s.channels[1].len as f64);
    assert_eq!(a + b, N as f64);
    assert!((0.47..=0.53).contains(&(a / N as f64)), "a got {a}, b got {b}");

    const M: u64 = 9_000;
    let mut w = world(json!({
        "seed": 8,
        "channels": [{"name": "a", "capacity": M}, {"name": "b", "capacity": M}, {"name": "c", "capacity": M}],
        "goroutines": [{"name": "main", "behavior": {"program": [
            {"repeat": {"times": M, "body": [{"select": {"cases": [{"send": "a"}, {"send": "b"}, {"send": "c"}]}}]}}]}}]
    }));
    assert_eq!(run(&mut w, ms(1000)), RunStatus::MainReturned);
    for c in &w.snapshot().channels {
        let share = f64::from(c.len) / M as f64;
        assert!((1.0 / 3.0 - 0.03..=1.0 / 3.0 + 0.03).contains(&share), "{} got {:.3}", c.name, share);
    }
}

/// Fairness depends on the world's seed, not on anything else: two seeds
/// give different choice sequences, one seed gives the same one twice.
#[test]
fn select_choices_come_from_the_seeded_rng() {
    let run_with = |seed: u64| {
        let mut w = world(json!({
            "seed": seed,
            "channels": [{"name": "a"}, {"name": "b"}],
            "goroutines": [
                {"name": "closer", "behavior": {"program": [{"close": "a"}, {"close": "b"}]}},
                {"name": "main", "behavior": {"program": [{"sleep": "1ms"},
                    {"repeat": {"times": 64, "body": [{"select": {"cases": [{"recv": "a"}, {"recv": "b"}]}}]}}]}}]
        }));
        run(&mut w, ms(100));
        choices(&w, "main")
    };
    assert_eq!(run_with(1), run_with(1));
    assert_ne!(run_with(1), run_with(2));
}

/// `test/chan/select3.go` ("select with only blocking cases blocks"; "with
/// a ready case never blocks"): a select whose cases cannot proceed parks on
/// all of them; the first counterparty wins and the other waits are
/// withdrawn from their channels.
#[test]
fn select_parks_on_every_case_and_withdraws_the_others() {
    let mut w = world(json!({
        "channels": [{"name": "a"}, {"name": "b"}, {"name": "c", "capacity": 1}],
        "goroutines": [
            {"name": "main", "behavior": {"program": [
                {"select": {"cases": [{"recv": "a"}, {"send": "b"}, {"recv": "c"}]}},
                {"sleep": "1ms"}]}},
            {"name": "late", "behavior": {"program": [{"sleep": "5ms"}, {"send": "a"}, {"sleep": "10ms"}]}}
        ]
    }));
    w.run_until(ms(1));
    let s = w.snapshot();
    assert_eq!(s.goroutines[0].state, queuelab::observe::snapshot::GState::BlockedSelect);
    assert_eq!(
        (s.channels[0].recvq_len, s.channels[1].sendq_len, s.channels[2].recvq_len),
        (1, 1, 1),
        "parked on all three channels at once"
    );
    w.run_until(ms(6));
    let s = w.snapshot();
    assert_eq!(
        (s.channels[0].recvq_len, s.channels[1].sendq_len, s.channels[2].recvq_len),
        (0, 0, 0),
        "every other wait withdrawn"
    );
    assert_eq!(choices(&w, "main"), [0]);
    assert_eq!(received_by(&w, "main"), ["late#0"]);
    // The value main offered on b was never sent: a modelled drop.
    assert_eq!(s.totals.dropped, 1);
    assert_eq!(s.totals.produced, s.totals.processed + s.totals.dropped + s.totals.live);
}

/// `test/chan/select3.go` / `runtime/select.go`: a select with
/// `time.After` takes the timeout case when nothing else is ready in time,
/// exactly at the deadline; a case that becomes ready first cancels the
/// timeout.
#[test]
fn select_with_timeout() {
    let prog = json!([
        {"repeat": {"times": 2, "body": [
            {"select": {"cases": [{"recv": "c"}], "after": {"wait": "50ms"}}}]}}
    ]);
    let mut w = world(json!({
        "channels": [{"name": "c"}],
        "goroutines": [
            {"name": "main", "behavior": {"program": prog}},
            {"name": "s", "behavior": {"program": [{"sleep": "20ms"}, {"send": "c"}]}}
        ]
    }));
    assert_eq!(run(&mut w, ms(1000)), RunStatus::MainReturned, "{}", w.status_text());
    // First select: the value at 20ms. Second: the timeout 50ms later.
    assert_eq!(choices(&w, "main"), [0, -2]);
    let times: Vec<SimTime> = events(&w, EventKind::SelectChose).iter().map(|e| e.time).collect();
    assert_eq!(times, [ms(20), ms(70)]);
    assert_eq!(w.now(), ms(70), "the first timeout was cancelled, not fired at 50ms");
}

/// `test/chan/select6.go` (Go issue 2075): a select that loses on one
/// channel must leave that channel's wait queue intact, so later waiters on
/// it are still woken.
#[test]
fn select6_failed_cases_leave_queues_intact() {
    let mut w = world(json!({
        "channels": [{"name": "c1"}, {"name": "c2"}, {"name": "c3"}, {"name": "bad", "capacity": 1}],
        "goroutines": [
            {"name": "g1", "behavior": {"program": [{"recv": "c1"}]}},
            {"name": "g2", "behavior": {"program": [
                {"select": {"cases": [
                    {"recv": "c1", "body": [{"send": "bad"}]},
                    {"recv": "c2", "body": [{"send": "c3"}]}]}},
                {"recv": "c1"}]}},
            {"name": "g3", "behavior": {"program": [{"send": "c2"}]}},
            {"name": "main", "behavior": {"program": [{"recv": "c3"}, {"send": "c1"}, {"send": "c1"}]}}
        ]
    }));
    assert_eq!(run(&mut w, ms(100)), RunStatus::MainReturned, "{}", w.status_text());
    assert_eq!(w.snapshot().channels[3].sent, 0, "the c1 case of g2's select never ran");
    // main forwards the value it received from c3 (g3#0) to the first
    // waiter on c1, g1; its second send makes a new value for g2.
    assert_eq!(received_by(&w, "g1"), ["g3#0"], "g1 was first in c1's queue");
    assert_eq!(received_by(&w, "g2"), ["g3#0", "main#0"]);
}

/// `test/chan/doubleselect.go`: two goroutines select-send on the same pair
/// of channels while two goroutines select-receive on the same pair and
/// forward to `out`; every value arrives exactly once.
#[test]
fn doubleselect_nothing_lost_or_duplicated() {
    const N: u64 = 300;
    let sender = json!({"program": [
        {"repeat": {"times": N, "body": [
            {"select": {"cases": [{"send": "c1"}, {"send": "c2"}]}},
            {"sleep": {"uniform": {"min": "0ms", "max": "2ms"}}}]}},
        {"wg_done": "senders"}]});
    let mux = json!({"program": [
        {"forever": [{"select": {"cases": [
            {"recv": "c1", "break_on_close": true, "body": [{"send": "out"}]},
            {"recv": "c2", "break_on_close": true, "body": [{"send": "out"}]}]}}]},
        {"wg_done": "muxes"}]});
    let mut w = world(json!({
        "seed": 3,
        "trace_capacity": 100_000,
        "channels": [{"name": "c1"}, {"name": "c2"}, {"name": "out"}],
        "waitgroups": ["senders", "muxes"],
        "goroutines": [
            {"name": "pre", "behavior": {"program": [{"wg_add": {"wg": "senders", "n": 2}}, {"wg_add": {"wg": "muxes", "n": 2}}]}},
            {"name": "sender", "count": 2, "behavior": sender},
            {"name": "mux", "count": 2, "behavior": mux},
            {"name": "closer1", "behavior": {"program": [{"wg_wait": "senders"}, {"close": "c1"}, {"close": "c2"}]}},
            {"name": "closer2", "behavior": {"closer": {"wait": "muxes", "close": "out"}}},
            {"name": "main", "behavior": {"program": [{"range": {"ch": "out", "body": [{"work": {"uniform": {"min": "0ms", "max": "1ms"}}}]}}]}}
        ]
    }));
    assert_eq!(run(&mut w, SimTime::from_micros(60_000_000)), RunStatus::MainReturned, "{}", w.status_text());
    let mut got = received_by(&w, "main");
    assert_eq!(got.len() as u64, 2 * N, "every value arrives");
    got.sort();
    let mut want: Vec<String> =
        (1..=2).flat_map(|s| (0..N).map(move |v| format!("sender-{s}#{v}"))).collect();
    want.sort();
    assert_eq!(got, want, "each exactly once");
    let s = w.snapshot();
    assert_eq!(s.totals.dropped, 0, "no select lost a value");
    // Both muxes and both channels did real work.
    for m in ["mux-1", "mux-2"] {
        assert!(received_by(&w, m).len() > 50, "{m} took part");
    }
    assert!(s.channels[0].received > 50 && s.channels[1].received > 50);
}

/// A select on both sides of one unbuffered channel cannot rendezvous with
/// itself (Go: `select { case c <- v: case <-c: }` alone blocks forever);
/// another goroutine's send completes its receive case.
#[test]
fn select_on_both_sides_of_one_channel() {
    let sel = json!({"select": {"cases": [{"send": "c"}, {"recv": "c"}]}});
    let mut w = world(json!({
        "channels": [{"name": "c"}],
        "goroutines": [{"name": "main", "behavior": {"program": [sel]}}]
    }));
    assert_eq!(run(&mut w, ms(100)), RunStatus::Deadlock);
    assert_eq!(w.deadlock().unwrap().go_message.as_deref(), Some(GO_DEADLOCK));

    let mut w = world(json!({
        "channels": [{"name": "c"}],
        "goroutines": [
            {"name": "main", "behavior": {"program": [sel, {"sleep": "1ms"}]}},
            {"name": "other", "behavior": {"program": [{"sleep": "2ms"}, {"send": "c"}]}}
        ]
    }));
    w.run_until(ms(1));
    let s = w.snapshot();
    assert_eq!((s.channels[0].sendq_len, s.channels[0].recvq_len), (1, 1), "parked on both sides");
    assert_eq!(run(&mut w, ms(100)), RunStatus::MainReturned, "{}", w.status_text());
    assert_eq!(choices(&w, "main"), [1]);
    assert_eq!(received_by(&w, "main"), ["other#0"]);
}

/// `runtime/chan.go` `closechan` with a select parked on both sides of the
/// channel: close wakes the receivers first and a select is woken once, so
/// the select completes its receive case with `ok == false` and does not
/// panic (its send wait is withdrawn, not failed).
#[test]
fn close_wakes_a_select_on_both_sides_through_its_receive_case() {
    let mut w = world(json!({
        "channels": [{"name": "c"}],
        "goroutines": [
            {"name": "main", "behavior": {"program": [
                {"select": {"cases": [{"recv": "c"}, {"send": "c"}]}}, {"sleep": "1ms"}]}},
            {"name": "closer", "behavior": {"program": [{"sleep": "1ms"}, {"close": "c"}]}}
        ]
    }));
    assert_eq!(run(&mut w, ms(100)), RunStatus::MainReturned, "{}", w.status_text());
    assert_eq!(choices(&w, "main"), [0]);
    assert_eq!(events(&w, EventKind::RecvClosed).len(), 1);
}

/// Growing a channel admits a select that waits with two send cases on it
/// once, not twice: one value enters the buffer, the select completes one
/// case (Go's select completes exactly one case).
#[test]
fn growing_capacity_admits_a_two_case_select_once() {
    let mut w = world(json!({
        "channels": [{"name": "c"}],
        "goroutines": [
            {"name": "main", "behavior": {"program": [
                {"select": {"cases": [{"send": "c"}, {"send": "c"}]}}, {"sleep": "1s"}]}},
            {"name": "idle", "behavior": {"program": [{"sleep": "1h"}]}}
        ]
    }));
    w.run_until(SimTime::from_micros(10));
    assert_eq!(w.snapshot().channels[0].sendq_len, 2);
    w.apply(&Command::SetCapacity { channel: "c".into(), capacity: 2 }).unwrap();
    let s = w.snapshot();
    assert_eq!((s.channels[0].len, s.channels[0].sendq_len), (1, 0));
    assert_eq!(s.totals.produced, 1);
    assert_eq!(s.totals.live, 1);
    assert_eq!(run(&mut w, ms(2000)), RunStatus::MainReturned, "{}", w.status_text());
    assert_eq!(choices(&w, "main"), [0]);
}

// ---------------------------------------------------------------------------
// Goroutine chains: test/chan/goroutines.go, sieve1.go
// ---------------------------------------------------------------------------

/// `test/chan/goroutines.go` (and the "daisy chain" of Go talks): N
/// goroutines threaded together by N+1 unbuffered channels, each doing
/// `left <- <-right`; main sends one value into the right end and receives
/// the very same message at the left end.
#[test]
fn daisy_chain_of_goroutines() {
    const N: usize = 100;
    let channels: Vec<Value> = (0..=N).map(|i| json!({"name": format!("c{i}")})).collect();
    let mut gs: Vec<Value> = (0..N)
        .map(|i| json!({"name": format!("g{i}"), "behavior": {"program": [
            {"recv": format!("c{}", i + 1)}, {"send": format!("c{i}")}]}}))
        .collect();
    gs.push(json!({"name": "main", "behavior": {"program": [{"send": format!("c{N}")}, {"recv": "c0"}]}}));
    let mut w = world(json!({"channels": channels, "goroutines": gs, "trace_capacity": 100_000}));
    assert_eq!(run(&mut w, ms(100)), RunStatus::MainReturned, "{}", w.status_text());
    assert_eq!(received_by(&w, "main"), ["main#0"]);
    assert_eq!(w.now(), SimTime::ZERO, "no goroutine waits on a timer");
    let recv = events(&w, EventKind::Received);
    assert_eq!(recv.len(), N + 1, "one hop per goroutine plus main");
    assert!(recv.iter().all(|e| e.msg == recv[0].msg), "one message went all the way");
    let s = w.snapshot();
    assert!(s.goroutines.iter().all(|g| g.state == queuelab::observe::snapshot::GState::Done || g.name == "main"));
    assert_eq!(s.totals.produced, 1);
}

/// `test/chan/sieve1.go`: the concurrent prime sieve. Ten daisy-chained
/// filters find the first ten primes; what passes all of them below 100 is
/// exactly the primes from 31 to 97.
#[test]
fn sieve_finds_the_primes() {
    const FILTERS: usize = 10;
    let channels: Vec<Value> = (0..=FILTERS).map(|i| json!({"name": format!("c{i}")})).collect();
    let mut gs = vec![json!({"name": "generate", "behavior": {"producer": {
        "to": "c0", "count": 99, "start": 2, "interval": "1ms", "close_when_done": true}}})];
    for i in 0..FILTERS {
        gs.push(json!({"name": format!("filter{i}"), "behavior": {"sieve_filter": {
            "from": format!("c{i}"), "to": format!("c{}", i + 1)}}}));
    }
    gs.push(json!({"name": "main", "behavior": {"program": [{"range": {"ch": format!("c{FILTERS}"), "body": []}}]}}));
    let mut w = world(json!({"channels": channels, "goroutines": gs, "trace_capacity": 100_000}));
    assert_eq!(run(&mut w, ms(10_000)), RunStatus::MainReturned, "{}", w.status_text());
    let primes: Vec<i64> = events(&w, EventKind::Prime).iter().map(|e| e.aux).collect();
    assert_eq!(primes, [2, 3, 5, 7, 11, 13, 17, 19, 23, 29]);
    let passed: Vec<String> = received_by(&w, "main");
    let want: Vec<String> =
        [31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97].iter().map(|p| format!("generate#{p}")).collect();
    assert_eq!(passed, want);
    let s = w.snapshot();
    assert_eq!(s.totals.produced, 99, "2..=100");
    assert_eq!(s.totals.filtered + 10 + 15, 99, "every number is a prime of a filter, passed, or filtered");
    assert_eq!(s.totals.produced, s.totals.processed + s.totals.filtered + s.totals.dropped + s.totals.live);
}

// ---------------------------------------------------------------------------
// WaitGroup: sync.WaitGroup semantics
// ---------------------------------------------------------------------------

/// `sync.WaitGroup`: `Done` without a matching `Add` panics with
/// "sync: negative WaitGroup counter", and the panic points at that line.
#[test]
fn waitgroup_negative_counter_panics() {
    let mut w = world(json!({
        "waitgroups": ["wg"],
        "goroutines": [{"name": "main", "behavior": {"program": [
            {"wg_add": {"wg": "wg", "n": 1}}, {"wg_done": "wg"}, {"wg_done": "wg"}, {"sleep": "1ms"}]}}]
    }));
    assert_eq!(run(&mut w, ms(100)), RunStatus::Panicked);
    let p = w.panic_report().unwrap();
    assert_eq!(p.message, "sync: negative WaitGroup counter");
    assert!(p.text.contains("\n\twg.Done()\n"), "{}", p.text);
    assert_eq!(w.snapshot().waitgroups[0].counter, -1);
    // Add(-n) past zero panics the same way.
    let mut w = world(json!({
        "waitgroups": ["wg"],
        "goroutines": [{"name": "main", "behavior": {"program": [{"wg_add": {"wg": "wg", "n": -2}}]}}]
    }));
    assert_eq!(run(&mut w, ms(100)), RunStatus::Panicked);
    assert_eq!(w.panic_report().unwrap().message, "sync: negative WaitGroup counter");
}

/// `sync.WaitGroup`: `Wait` returns once the counter reaches zero, for every
/// waiter, and at once if it is already zero.
#[test]
fn waitgroup_wait_releases_every_waiter_at_zero() {
    let mut w = world(json!({
        "waitgroups": ["wg"],
        "goroutines": [
            {"name": "worker", "count": 3, "behavior": {"program": [{"wg_add": {"wg": "wg", "n": 1}}, {"sleep": "5ms"}, {"wg_done": "wg"}]}},
            {"name": "waiter", "count": 2, "behavior": {"program": [{"wg_wait": "wg"}]}},
            {"name": "main", "behavior": {"program": [{"sleep": "1ms"}, {"wg_wait": "wg"}, {"wg_wait": "wg"}]}}
        ]
    }));
    assert_eq!(run(&mut w, ms(100)), RunStatus::MainReturned);
    assert_eq!(w.now(), ms(5));
    let s = w.snapshot();
    assert!(s.goroutines.iter().all(|g| g.state == queuelab::observe::snapshot::GState::Done));
}

// ---------------------------------------------------------------------------
// Deadlock: runtime/proc.go checkdead
// ---------------------------------------------------------------------------

/// `runtime/proc.go` `checkdead`: when every goroutine is blocked and no
/// timer is pending, Go prints "fatal error: all goroutines are asleep -
/// deadlock!" and exits. We report it the same way, with the wait-for list.
#[test]
fn deadlock_when_all_asleep_without_timers() {
    let mut w = world(json!({
        "channels": [{"name": "c"}, {"name": "d", "capacity": 1}],
        "waitgroups": ["wg"],
        "goroutines": [
            {"name": "r", "behavior": {"program": [{"recv": "c"}]}},
            {"name": "s", "behavior": {"program": [{"send": "d"}, {"send": "d"}]}},
            {"name": "sel", "behavior": {"program": [{"select": {"cases": [{"recv": "c"}, {"recv": "c"}]}}]}},
            {"name": "main", "behavior": {"program": [{"wg_add": {"wg": "wg", "n": 1}}, {"wg_wait": "wg"}]}}
        ]
    }));
    assert_eq!(run(&mut w, ms(100)), RunStatus::Deadlock);
    assert_eq!(w.now(), SimTime::ZERO);
    let d = w.deadlock().unwrap();
    assert_eq!(d.go_message.as_deref(), Some(GO_DEADLOCK));
    let stuck: Vec<(&str, &str)> = d.stuck.iter().map(|x| (x.name.as_str(), x.waits_on.as_str())).collect();
    assert_eq!(
        stuck,
        [("r", "receive from c"), ("s", "send on d"), ("sel", "select on <-c, <-c"), ("main", "wg.Wait()")]
    );
    assert_eq!(w.snapshot().status_text, GO_DEADLOCK);
}

/// `runtime/proc.go` `checkdead`: a pending timer (a sleeping goroutine)
/// hides the deadlock until it fires. Before that we report a *partial*
/// deadlock (never Go's message); after the sleeper returns, Go's verdict.
#[test]
fn a_pending_sleep_hides_gos_deadlock_verdict() {
    let mut w = world(json!({
        "channels": [{"name": "c"}],
        "goroutines": [
            {"name": "main", "behavior": {"program": [{"recv": "c"}]}},
            {"name": "sleeper", "behavior": {"program": [{"sleep": "5s"}]}}
        ]
    }));
    w.run_until(ms(2000));
    assert_eq!(w.status(), RunStatus::Running, "Go does not report while a timer is pending");
    let d = w.deadlock().expect("partial deadlock reported");
    assert_eq!(d.go_message, None);
    assert_eq!(d.stuck.iter().map(|x| x.name.as_str()).collect::<Vec<_>>(), ["main"]);
    assert!(w.snapshot().goroutines[0].stuck);
    assert_eq!(run(&mut w, ms(60_000)), RunStatus::Deadlock);
    assert_eq!(w.now(), ms(5000), "the verdict comes when the last timer is gone");
    assert_eq!(w.deadlock().unwrap().go_message.as_deref(), Some(GO_DEADLOCK));
}

/// Go never reports a partial deadlock: main blocked forever while another
/// goroutine keeps sleeping in a loop is silent in Go. We flag it, without
/// Go's message, and the run goes on.
#[test]
fn partial_deadlock_is_reported_but_not_as_gos_message() {
    let mut w = world(json!({
        "channels": [{"name": "c"}, {"name": "a"}, {"name": "b"}, {"name": "jobs", "capacity": 2}],
        "goroutines": [
            {"name": "main", "behavior": {"program": [{"recv": "c"}]}},
            // A waits for B and B waits for A: a cycle.
            {"name": "A", "behavior": {"program": [{"recv": "a"}, {"send": "b"}]}},
            {"name": "B", "behavior": {"program": [{"recv": "b"}, {"send": "a"}]}},
            {"name": "p", "behavior": {"producer": {"to": "jobs", "interval": "10ms"}}},
            {"name": "q", "behavior": {"consumer": {"from": "jobs", "work": "5ms"}}}
        ]
    }));
    w.run_until(ms(10_000));
    assert_eq!(w.status(), RunStatus::Running);
    let d = w.deadlock().expect("partial deadlock");
    assert_eq!(d.go_message, None);
    let stuck: Vec<(&str, &str)> = d.stuck.iter().map(|x| (x.name.as_str(), x.waits_on.as_str())).collect();
    assert_eq!(stuck, [("main", "receive from c"), ("A", "receive from a"), ("B", "receive from b")]);
    let s = w.snapshot();
    assert!(!s.goroutines.iter().find(|g| g.name == "q").unwrap().stuck, "q is only waiting for p");
    assert!(s.totals.delivered > 900, "the rest of the program keeps running");
}

/// The partial-deadlock analysis is conservative: a goroutine blocked on a
/// channel that some live goroutine may still send on is never flagged, even
/// if that send is far in the future.
#[test]
fn a_goroutine_that_will_be_released_is_never_flagged() {
    let mut w = world(json!({
        "channels": [{"name": "c"}],
        "goroutines": [
            {"name": "main", "behavior": {"program": [{"recv": "c"}]}},
            {"name": "late", "behavior": {"program": [{"sleep": "30s"}, {"send": "c"}]}}
        ]
    }));
    w.run_until(ms(29_000));
    assert!(w.deadlock().is_none(), "{:?}", w.deadlock());
    assert!(!w.snapshot().goroutines[0].stuck);
    assert_eq!(run(&mut w, ms(60_000)), RunStatus::MainReturned);
    assert_eq!(w.now(), ms(30_000));
}

/// The same for releases that come from a `close` or a `wg.Done()` far in
/// the future: consumers waiting on a channel that only a closer (itself
/// waiting on a WaitGroup of slow workers) will close are not stuck, nor is
/// the closer.
#[test]
fn goroutines_released_only_by_a_later_close_or_done_are_never_flagged() {
    let mut w = world(json!({
        "channels": [{"name": "jobs"}, {"name": "other", "capacity": 100}],
        "waitgroups": ["workers"],
        "goroutines": [
            {"name": "worker", "count": 2, "behavior": {"producer": {"to": "other", "count": 20, "interval": "100ms", "wg": "workers"}}},
            {"name": "closer", "behavior": {"closer": {"wait": "workers", "close": "jobs"}}},
            {"name": "consumer", "count": 2, "behavior": {"consumer": {"from": "jobs"}}}
        ]
    }));
    for t in (150..2000).step_by(100) {
        w.run_until(ms(t));
        assert!(w.deadlock().is_none(), "at {t}ms: {:?}", w.deadlock());
    }
    assert_eq!(run(&mut w, ms(60_000)), RunStatus::Finished, "{}", w.status_text());
    assert_eq!(w.now(), ms(2000));
    assert_eq!(events(&w, EventKind::RecvClosed).len(), 2, "both consumers released by the close");
}

/// A select with a `time.After` case has a timer pending: no Go verdict
/// while it waits (a consumer timing out on a channel nobody sends on).
#[test]
fn a_select_timeout_is_a_pending_timer() {
    let mut w = world(json!({
        "channels": [{"name": "c"}],
        "goroutines": [{"name": "main", "behavior": {"consumer": {"from": "c", "timeout": "100ms"}}}]
    }));
    w.run_until(ms(5_000));
    assert_eq!(w.status(), RunStatus::Running);
    assert!(w.deadlock().is_none(), "a goroutine that times out is not stuck");
    assert_eq!(choices(&w, "main").len(), 50, "timed out every 100ms");
    assert!(choices(&w, "main").iter().all(|&c| c == -2));
}

/// Goroutines that finish normally: the program ends when `main` returns
/// (Go exits, whatever others are doing), or when everyone returned.
#[test]
fn main_returning_ends_the_program() {
    let mut w = world(json!({
        "channels": [{"name": "c"}],
        "goroutines": [
            {"name": "forever", "behavior": {"program": [{"forever": [{"sleep": "1ms"}]}]}},
            {"name": "blocked", "behavior": {"program": [{"recv": "c"}]}},
            {"name": "main", "behavior": {"program": [{"sleep": "10ms"}]}}
        ]
    }));
    assert_eq!(run(&mut w, ms(1000)), RunStatus::MainReturned);
    assert_eq!(w.now(), ms(10));
    assert!(w.deadlock().is_none_or(|d| d.go_message.is_none()));
}

/// `NONE` is never a real goroutine or channel in a value-carrying event.
#[test]
fn value_events_name_their_goroutine_and_channel() {
    let mut w = world(json!({
        "channels": [{"name": "c", "capacity": 1}],
        "goroutines": [
            {"name": "p", "behavior": {"producer": {"to": "c", "count": 20, "interval": "1ms", "close_when_done": true}}},
            {"name": "main", "behavior": {"consumer": {"from": "c", "work": "2ms"}}}
        ]
    }));
    assert_eq!(run(&mut w, ms(1000)), RunStatus::MainReturned);
    for e in w.trace().events() {
        if matches!(e.kind, EventKind::Received | EventKind::Buffered | EventKind::Handoff) {
            assert!(e.g != NONE && e.ch != NONE && e.msg != 0, "{e:?}");
        }
    }
    assert_eq!(received_by(&w, "main").len(), 20);
}

// ---------------------------------------------------------------------------
// Fidelity cases found by running real Go programs beside their scenarios
// (issue 9, item 8). Each names the Go program it mirrors.
// ---------------------------------------------------------------------------

/// A producer that retries a send with a timeout keeps its value:
/// ```go
/// v := 0
/// for {
///     select {
///     case out <- v:
///         v++
///     case <-time.After(100 * time.Millisecond): // retry the same v
///     }
/// }
/// ```
/// with a consumer that takes one value every 250 ms. Go delivers 0, 1, 2:
/// when the timeout wins, `v` stays in its variable. (queuelab used to drop
/// the offered value and deliver #2, #3, #4.)
#[test]
fn a_select_send_that_times_out_keeps_its_value_for_the_retry() {
    let mut w = world(json!({
        "channels": [{"name": "out"}],
        "goroutines": [
            {"name": "producer", "behavior": {"program": [{"forever": [
                {"select": {"cases": [{"send": "out"}], "after": {"wait": "100ms"}}}]}]}},
            {"name": "main", "behavior": {"program": [{"repeat": {"times": 3, "body": [
                {"sleep": "250ms"}, {"recv": "out"}]}}]}}
        ]
    }));
    assert_eq!(run(&mut w, ms(10_000)), RunStatus::MainReturned, "{}", w.status_text());
    assert_eq!(received_by(&w, "main"), ["producer#0", "producer#1", "producer#2"]);
    assert_eq!(w.snapshot().totals.dropped, 0, "a timed-out send drops nothing");
    assert!(choices(&w, "producer").contains(&-2), "the timeout did fire in between");
}

/// The same with `default:` (a non-blocking send in a polling loop): the
/// value stays held until a send succeeds; dropping it is the program's
/// own `drop` (`v = nil`), as in the `drop_when_full` producer.
#[test]
fn a_select_send_that_takes_default_keeps_its_value_unless_the_program_drops_it() {
    let poll = |default: Value| {
        world(json!({
            "channels": [{"name": "out"}],
            "goroutines": [
                {"name": "producer", "behavior": {"program": [{"forever": [
                    {"select": {"cases": [{"send": "out"}], "default": default}}, {"sleep": "40ms"}]}]}},
                {"name": "main", "behavior": {"program": [{"repeat": {"times": 3, "body": [
                    {"sleep": "250ms"}, {"recv": "out"}]}}]}}
            ]
        }))
    };
    // An empty default: every value is delivered, in order.
    let mut keep = poll(json!([]));
    assert_eq!(run(&mut keep, ms(10_000)), RunStatus::MainReturned);
    assert_eq!(received_by(&keep, "main"), ["producer#0", "producer#1", "producer#2"]);
    // `default: v = nil`: each failed poll drops its value.
    let mut drop = poll(json!(["drop"]));
    assert_eq!(run(&mut drop, ms(10_000)), RunStatus::MainReturned);
    let got = received_by(&drop, "main");
    assert_eq!(got.len(), 3);
    assert_ne!(got, ["producer#0", "producer#1", "producer#2"], "dropped values are skipped");
    assert!(drop.snapshot().totals.dropped > 0);
}
