//! go-nsq consumer and nsqlookupd conformance: the real projects' tests
//! (nsqio/go-nsq v1.1 @326de60 `mock_test.go`, `consumer_test.go`,
//! `config_test.go`; nsqio/nsq v1.3 @3103474 `nsqlookupd/*_test.go`) ported
//! to the state machines, each citing the test it ports, plus SEMANTICS.md
//! §2.3-2.5 cases and property tests.
//!
//! Not ported, and why:
//! - go-nsq `TestConsumerTLS*`, `*Deflate`, `*Snappy`, `TestConsumerLookupdAuthorization`,
//!   `TestConfigSet`, `TestConfigValidate` (deflate level), `TestFullJitterBackoff`
//!   (its expected values come from Go's `math/rand` seeded with 99; the model
//!   draws from `SimRng`, so only the range is checked): wire, TLS, auth and
//!   Go-RNG specifics outside the model.
//! - go-nsq `consumerTest`'s connection checks (local address binding,
//!   connecting to 1.2.3.4) are the world's network; its message-count part
//!   is ported as `consumer_test_max_attempts_auto_fin`.
//! - nsqlookupd `http_test.go` (HTTP status codes, JSON shapes, `/info`,
//!   `/ping`) and `lookup_protocol_v1_test.go` (IOLoop framing): wire level;
//!   the semantic parts (REGISTER/UNREGISTER/lookup/tombstone) are covered
//!   by the `nsqlookupd_test.go` ports.

use proptest::prelude::*;
use queuelab::nsq::client::backoff::{exponential, Backoff, BackoffStrategy, Signal};
use queuelab::nsq::client::consumer::{Consumer, ConsumerConfig, HandlerOutcome, Taken};
use queuelab::nsq::client::rdy::{per_conn_max_in_flight, RdyBook};
use queuelab::nsq::client::{Action, ClientError, LookupdId, NodeId, Timer};
use queuelab::nsq::lookupd::{
    Category, Lookupd, LookupdError, LookupdOptions, PeerId, Registration,
};
use queuelab::rng::SimRng;
use queuelab::time::{SimDuration, SimTime};
use std::collections::{BTreeMap, BTreeSet};

fn ms(n: u64) -> SimDuration {
    SimDuration::from_millis(n)
}
fn secs(n: u64) -> SimDuration {
    SimDuration::from_secs(n)
}
fn at_ms(n: u64) -> SimTime {
    SimTime::ZERO + ms(n)
}

// ---------------------------------------------------------------------------
// A mock nsqd driving a Consumer, after go-nsq's mock_test.go `mockNSQD`:
// it plays a script of messages, each `delay` after the previous one, but
// only while the RDY it last received is > 0 (it counts RDY down per
// message, like the mock); otherwise it tries the same message again after
// the next instruction's delay. It records every command the consumer
// writes. `Exit` closes the connection.
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
enum Item {
    Msg(u64, &'static str),
    Exit,
}

#[derive(Debug)]
struct Mock {
    script: Vec<(u64, Item)>,
    idx: usize,
    rdy: u64,
    got: Vec<String>,
}

#[derive(Clone, Copy, Debug)]
enum Ev {
    Consumer(Timer),
    Script,
    External(fn(&mut Consumer, SimTime) -> Vec<Action>),
}

/// The handler of go-nsq's mock_test.go `testHandler`, by body.
fn test_handler(body: &str, attempts: u16) -> HandlerOutcome {
    match body {
        "requeue" => HandlerOutcome::Requeue(None),
        "requeue_no_backoff_1" if attempts > 1 => HandlerOutcome::Success,
        "requeue_no_backoff_1" => HandlerOutcome::RequeueWithoutBackoff(None),
        "bad" => HandlerOutcome::Error,
        _ => HandlerOutcome::Success,
    }
}

struct Sim {
    now: SimTime,
    seq: u64,
    rng: SimRng,
    consumer: Consumer,
    events: BTreeMap<(SimTime, u64), Ev>,
    node: NodeId,
    mock: Option<Mock>,
    /// Mocks that start listening when the current one exits.
    next: Vec<Mock>,
    finished: Vec<Vec<String>>,
    bodies: BTreeMap<u64, &'static str>,
}

impl Sim {
    fn new(config: ConsumerConfig, scripts: Vec<Vec<(u64, Item)>>) -> Sim {
        let (mut consumer, actions) = Consumer::new(config, SimTime::ZERO).unwrap();
        consumer.add_handlers(1).unwrap();
        let mut mocks: Vec<Mock> = scripts
            .into_iter()
            .map(|script| Mock {
                script,
                idx: 0,
                rdy: 0,
                got: Vec::new(),
            })
            .collect();
        mocks.reverse();
        let mock = mocks.pop();
        let mut sim = Sim {
            now: SimTime::ZERO,
            seq: 0,
            rng: SimRng::new(7),
            consumer,
            events: BTreeMap::new(),
            node: NodeId(1),
            mock,
            next: mocks,
            finished: Vec::new(),
            bodies: BTreeMap::new(),
        };
        sim.apply(actions);
        let a = sim.consumer.connect_to_nsqd(sim.node).unwrap();
        sim.apply(a);
        sim
    }

    fn schedule(&mut self, at: SimTime, ev: Ev) {
        self.seq += 1;
        self.events.insert((at, self.seq), ev);
    }

    fn apply(&mut self, actions: Vec<Action>) {
        for a in actions {
            self.apply_one(a);
        }
    }

    fn got(&mut self, line: String) {
        if let Some(m) = self.mock.as_mut() {
            m.got.push(line);
        }
    }

    fn apply_one(&mut self, a: Action) {
        let now = self.now;
        match a {
            Action::Rdy { count, .. } => {
                if let Some(m) = self.mock.as_mut() {
                    m.rdy = count;
                }
                self.got(format!("RDY {count}"));
            }
            Action::Fin { id, .. } => self.got(format!("FIN {id}")),
            Action::Req { id, delay, .. } => {
                self.got(format!("REQ {id} {}", delay.as_micros() / 1000))
            }
            Action::Touch { id, .. } => self.got(format!("TOUCH {id}")),
            Action::StartClose { .. } => self.got("CLS".to_string()),
            Action::Handle { conn, id, attempts } => {
                match self
                    .consumer
                    .take_message(conn, id, now, &mut self.rng)
                    .unwrap()
                {
                    Taken::Failed(a) => self.apply(a),
                    Taken::CallHandler => {
                        let outcome = test_handler(self.bodies[&id], attempts);
                        let a = self
                            .consumer
                            .on_handler_result(conn, id, outcome, now, &mut self.rng)
                            .unwrap();
                        self.apply(a);
                    }
                }
            }
            Action::Connect { node } => {
                if self.mock.is_some() {
                    self.got("IDENTIFY".to_string());
                    self.got("SUB test ch".to_string());
                    let a = self.consumer.on_connected(node, None, now).unwrap();
                    self.apply(a);
                    let first = self.mock.as_ref().map_or(0, |m| m.script[0].0);
                    self.schedule(now + ms(first), Ev::Script);
                } else {
                    let a = self.consumer.on_connect_failed(node, now).unwrap();
                    self.apply(a);
                }
            }
            Action::Close { conn } => {
                let a = self.consumer.on_conn_closed(conn, now).unwrap();
                self.apply(a);
            }
            Action::At { at, timer } => self.schedule(at, Ev::Consumer(timer)),
            Action::LogFailed { .. }
            | Action::QueryLookupd { .. }
            | Action::StopHandlers
            | Action::Exited => {}
        }
    }

    fn script_step(&mut self) {
        let Some(m) = self.mock.as_mut() else { return };
        let Some(&(_, item)) = m.script.get(m.idx) else {
            return;
        };
        let next_delay = m.script.get(m.idx + 1).map_or(0, |s| s.0);
        match item {
            Item::Exit => {
                // the mock closes the connection: go-nsq sees an IO error
                let m = self.mock.take().unwrap();
                self.finished.push(m.got);
                self.mock = self.next.pop();
                let a = self.consumer.close_conn(self.node).unwrap();
                self.apply(a);
            }
            Item::Msg(id, body) => {
                if m.rdy == 0 {
                    self.schedule(self.now + ms(next_delay), Ev::Script);
                    return;
                }
                m.rdy -= 1;
                m.idx += 1;
                self.bodies.insert(id, body);
                let a = self
                    .consumer
                    .on_message(self.node, id, 0, self.now)
                    .unwrap();
                self.schedule(self.now + ms(next_delay), Ev::Script);
                self.apply(a);
            }
        }
    }

    fn run_until(&mut self, end: SimTime) {
        while let Some((&(t, s), &ev)) = self.events.iter().next() {
            if t > end {
                break;
            }
            self.events.remove(&(t, s));
            self.now = t;
            match ev {
                Ev::Consumer(timer) => {
                    let a = self.consumer.on_timer(timer, t, &mut self.rng);
                    self.apply(a);
                }
                Ev::Script => self.script_step(),
                Ev::External(f) => {
                    let a = f(&mut self.consumer, t);
                    self.apply(a);
                }
            }
        }
    }
}

const GOOD: u64 = 1;
const BAD: u64 = 2;
const REQUEUE: u64 = 3;
const REQUEUE_NB: u64 = 4;

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

// go-nsq mock_test.go TestConsumerBackoff: MaxInFlight 5, BackoffMultiplier
// 10 ms; good x3, bad x2, good x2, every 20 ms.
#[test]
fn mock_test_consumer_backoff() {
    let config = ConsumerConfig {
        max_in_flight: 5,
        backoff_multiplier: ms(10),
        ..ConsumerConfig::default()
    };
    let script = vec![
        (20, Item::Msg(GOOD, "good")),
        (20, Item::Msg(GOOD, "good")),
        (20, Item::Msg(GOOD, "good")),
        (20, Item::Msg(BAD, "bad")),
        (20, Item::Msg(BAD, "bad")),
        (20, Item::Msg(GOOD, "good")),
        (20, Item::Msg(GOOD, "good")),
        (200, Item::Exit),
    ];
    let mut sim = Sim::new(config, vec![script]);
    sim.run_until(at_ms(1000));
    let expected = strs(&[
        "IDENTIFY",
        "SUB test ch",
        "RDY 5",
        "FIN 1",
        "FIN 1",
        "FIN 1",
        "RDY 0",
        "REQ 2 0",
        "RDY 1",
        "RDY 0",
        "REQ 2 0",
        "RDY 1",
        "RDY 0",
        "FIN 1",
        "RDY 1",
        "RDY 5",
        "FIN 1",
    ]);
    assert_eq!(sim.finished, vec![expected]);
    assert_eq!(sim.consumer.backoff().level(), 0);
}

// go-nsq mock_test.go TestConsumerRequeueNoBackoff: MaxInFlight 1.
#[test]
fn mock_test_consumer_requeue_no_backoff() {
    let config = ConsumerConfig {
        max_in_flight: 1,
        backoff_multiplier: ms(10),
        ..ConsumerConfig::default()
    };
    let script = vec![
        (20, Item::Msg(REQUEUE, "requeue")),
        (20, Item::Msg(REQUEUE_NB, "requeue_no_backoff_1")),
        (20, Item::Msg(GOOD, "good")),
        (100, Item::Exit),
    ];
    let mut sim = Sim::new(config, vec![script]);
    sim.run_until(at_ms(500));
    let expected = strs(&[
        "IDENTIFY",
        "SUB test ch",
        "RDY 1",
        "RDY 0",
        "REQ 3 0",
        "RDY 1",
        "RDY 0",
        "REQ 4 0",
        "RDY 1",
        "FIN 1",
    ]);
    assert_eq!(sim.finished, vec![expected]);
}

// go-nsq mock_test.go TestConsumerBackoffDisconnect: MaxInFlight 5,
// LookupdPollInterval and RDYRedistributeInterval 10 ms; the nsqd goes away
// while the consumer is at backoff level 1 holding RDY 1, comes back at the
// same address; the redistribution gives the new connection RDY 1 and the
// first success leaves backoff (RDY 5).
#[test]
fn mock_test_consumer_backoff_disconnect() {
    let config = ConsumerConfig {
        max_in_flight: 5,
        backoff_multiplier: ms(10),
        lookupd_poll_interval: ms(10),
        rdy_redistribute_interval: ms(10),
        ..ConsumerConfig::default()
    };
    let first = vec![
        (20, Item::Msg(GOOD, "good")),
        (20, Item::Msg(REQUEUE, "requeue")),
        (20, Item::Msg(REQUEUE, "requeue")),
        (20, Item::Msg(GOOD, "good")),
        (100, Item::Exit),
    ];
    let second = vec![
        (20, Item::Msg(GOOD, "good")),
        (20, Item::Msg(GOOD, "good")),
        (100, Item::Exit),
    ];
    let mut sim = Sim::new(config, vec![first, second]);
    sim.run_until(at_ms(1500));
    let expected1 = strs(&[
        "IDENTIFY",
        "SUB test ch",
        "RDY 5",
        "FIN 1",
        "RDY 0",
        "REQ 3 0",
        "RDY 1",
        "RDY 0",
        "REQ 3 0",
        "RDY 1",
        "RDY 0",
        "FIN 1",
        "RDY 1",
    ]);
    let expected2 = strs(&[
        "IDENTIFY",
        "SUB test ch",
        "RDY 1",
        "RDY 5",
        "FIN 1",
        "FIN 1",
    ]);
    assert_eq!(sim.finished, vec![expected1, expected2]);
}

// go-nsq mock_test.go TestConsumerPause: ChangeMaxInFlight(0) at 50 ms,
// back to 5 at 75 ms.
#[test]
fn mock_test_consumer_pause() {
    let config = ConsumerConfig {
        max_in_flight: 5,
        ..ConsumerConfig::default()
    };
    let script = vec![(20, Item::Msg(GOOD, "good")), (200, Item::Exit)];
    let mut sim = Sim::new(config, vec![script]);
    sim.schedule(
        at_ms(50),
        Ev::External(|c, now| c.change_max_in_flight(0, now)),
    );
    sim.schedule(
        at_ms(75),
        Ev::External(|c, now| c.change_max_in_flight(5, now)),
    );
    sim.run_until(at_ms(500));
    let expected = strs(&[
        "IDENTIFY",
        "SUB test ch",
        "RDY 5",
        "FIN 1",
        "RDY 0",
        "RDY 5",
    ]);
    assert_eq!(sim.finished, vec![expected]);
}

// ---------------------------------------------------------------------------
// RDY arithmetic (consumer.go perConnMaxInFlight / updateRDY; SEMANTICS §2.4)
// ---------------------------------------------------------------------------

fn rdys(c: &Consumer) -> Vec<u64> {
    c.rdy().conns().iter().map(|c| c.rdy).collect()
}

fn connect(c: &mut Consumer, node: u32, now: SimTime) -> Vec<Action> {
    let mut a = c.connect_to_nsqd(NodeId(node)).unwrap();
    a.extend(c.on_connected(NodeId(node), None, now).unwrap());
    a
}

fn consumer(max_in_flight: u64) -> Consumer {
    let config = ConsumerConfig {
        max_in_flight,
        ..ConsumerConfig::default()
    };
    let (mut c, _) = Consumer::new(config, SimTime::ZERO).unwrap();
    c.add_handlers(1).unwrap();
    c
}

#[test]
fn per_conn_max_in_flight_arithmetic() {
    assert_eq!(per_conn_max_in_flight(10, 3), 3);
    assert_eq!(per_conn_max_in_flight(0, 3), 0);
    assert_eq!(per_conn_max_in_flight(1, 3), 1);
    assert_eq!(per_conn_max_in_flight(5, 1), 5);
    assert_eq!(per_conn_max_in_flight(5, 0), 5);

    // 10 over 3 connections: 3 + 3 + 3 = 9; the older ones are lowered
    // before the new one gets its share (ConnectToNSQD).
    let mut c = consumer(10);
    assert_eq!(
        connect(&mut c, 1, SimTime::ZERO),
        vec![
            Action::Connect { node: NodeId(1) },
            Action::Rdy {
                conn: NodeId(1),
                count: 10
            }
        ]
    );
    connect(&mut c, 2, SimTime::ZERO);
    assert_eq!(rdys(&c), vec![5, 5]);
    let a = connect(&mut c, 3, SimTime::ZERO);
    assert_eq!(
        a[1..],
        [
            Action::Rdy {
                conn: NodeId(1),
                count: 3
            },
            Action::Rdy {
                conn: NodeId(2),
                count: 3
            },
            Action::Rdy {
                conn: NodeId(3),
                count: 3
            },
        ]
    );
    assert_eq!(c.rdy().total(), 9);

    // MaxInFlight 0 gives 0 everywhere
    let mut c = consumer(0);
    let a = connect(&mut c, 1, SimTime::ZERO);
    assert_eq!(a, vec![Action::Connect { node: NodeId(1) }]);
    assert_eq!(rdys(&c), vec![0]);
}

// go-nsq updateRDY: nsqd's max_rdy_count caps the value.
#[test]
fn rdy_capped_by_max_rdy_count() {
    let mut c = consumer(5000);
    c.connect_to_nsqd(NodeId(1)).unwrap();
    let a = c
        .on_connected(NodeId(1), Some(2500), SimTime::ZERO)
        .unwrap();
    assert_eq!(
        a,
        vec![Action::Rdy {
            conn: NodeId(1),
            count: 2500
        }]
    );
}

// SEMANTICS §2.4 starvation: MaxInFlight 1 over 3 connections: only the
// first gets RDY 1; the others are refused (a 5 s retry is armed) and get a
// share only from the 5 s redistribution, which takes RDY from the idle one
// and hands RDY 1 to one random connection.
#[test]
fn max_in_flight_below_conns_starves_until_redistribution() {
    let mut c = consumer(1);
    let mut rng = SimRng::new(3);
    connect(&mut c, 1, SimTime::ZERO);
    let a2 = connect(&mut c, 2, SimTime::ZERO);
    assert!(a2.contains(&Action::At {
        at: SimTime::ZERO + secs(5),
        timer: Timer::RdyRetry(NodeId(2))
    }));
    connect(&mut c, 3, SimTime::ZERO);
    assert_eq!(rdys(&c), vec![1, 0, 0]);
    let t = SimTime::ZERO + secs(5);
    let a = c.on_timer(Timer::Redistribute, t, &mut rng);
    assert_eq!(
        a[0],
        Action::Rdy {
            conn: NodeId(1),
            count: 0
        }
    );
    assert_eq!(c.rdy().total(), 1);
    assert_eq!(rdys(&c).iter().sum::<u64>(), 1);
    assert!(matches!(
        a.last(),
        Some(Action::At {
            timer: Timer::Redistribute,
            ..
        })
    ));
}

// go-nsq config.go defaults (SEMANTICS §2.4, reference nsq.md §4).
#[test]
fn config_defaults() {
    let c = ConsumerConfig::default();
    assert_eq!(c.max_in_flight, 1);
    assert_eq!(c.max_attempts, 5);
    assert_eq!(c.default_requeue_delay, secs(90));
    assert_eq!(c.max_requeue_delay, secs(15 * 60));
    assert_eq!(c.max_backoff_duration, secs(120));
    assert_eq!(c.backoff_multiplier, secs(1));
    assert_eq!(c.backoff_strategy, BackoffStrategy::Exponential);
    assert_eq!(c.lookupd_poll_interval, secs(60));
    assert_eq!(c.lookupd_poll_jitter, 0.3);
    assert_eq!(c.msg_timeout, secs(60));
    assert_eq!(c.low_rdy_idle_timeout, secs(10));
    assert_eq!(c.low_rdy_timeout, secs(30));
    assert_eq!(c.rdy_redistribute_interval, secs(5));
    assert!(c.validate().is_ok());
    let bad = ConsumerConfig {
        lookupd_poll_jitter: 1.5,
        ..ConsumerConfig::default()
    };
    assert_eq!(
        bad.validate(),
        Err(ClientError::InvalidConfig {
            field: "lookupd_poll_jitter"
        })
    );
    let bad = ConsumerConfig {
        rdy_redistribute_interval: secs(6),
        ..ConsumerConfig::default()
    };
    assert!(Consumer::new(bad, SimTime::ZERO).is_err());
}

// go-nsq config_test.go TestExponentialBackoff: Calculate(0, 1, 3, 5) with
// the default multiplier = 1 s, 2 s, 8 s, 32 s.
#[test]
fn config_test_exponential_backoff() {
    let b = Backoff::new(secs(1), secs(120), BackoffStrategy::Exponential);
    let mut rng = SimRng::new(1);
    let got: Vec<_> = [0, 1, 3, 5]
        .iter()
        .map(|&n| b.calculate(n, &mut rng))
        .collect();
    assert_eq!(got, vec![secs(1), secs(2), secs(8), secs(32)]);
    // config_test.go TestFullJitterBackoff, by range only (see module docs)
    let j = Backoff::new(secs(1), secs(120), BackoffStrategy::FullJitter);
    for n in [0, 1, 3, 5] {
        assert!(j.calculate(n, &mut rng) < exponential(secs(1), n));
    }
}

// SEMANTICS §2.4: with the defaults the waits are 2, 4, 8, 16, 32, 64 s and
// the level stops at 6 (128 s > 2 min); signals during a wait are ignored;
// each probe success lowers the level by one and the last gives the share
// back.
#[test]
fn backoff_levels_with_defaults() {
    let mut c = consumer(4);
    let mut rng = SimRng::new(9);
    let n = NodeId(1);
    connect(&mut c, 1, SimTime::ZERO);
    let mut now = SimTime::ZERO;
    let mut waits = Vec::new();
    for id in 0..8u64 {
        c.on_message(n, id, 1, now).unwrap();
        let a = c
            .on_handler_result(n, id, HandlerOutcome::Error, now, &mut rng)
            .unwrap();
        // RDY 0 (only the first time) comes before the REQ
        assert!(
            matches!(a.last(), Some(Action::Req { .. }))
                || matches!(a[a.len() - 2], Action::Req { .. })
        );
        waits.push(c.backoff().wait());
        // a second failure during the wait is ignored
        c.on_message(n, 100 + id, 1, now).unwrap();
        c.on_handler_result(n, 100 + id, HandlerOutcome::Error, now, &mut rng)
            .unwrap();
        now = c.backoff().resume_at().unwrap();
        let a = c.on_timer(Timer::Backoff, now, &mut rng);
        assert_eq!(a, vec![Action::Rdy { conn: n, count: 1 }]);
    }
    assert_eq!(waits, [2, 4, 8, 16, 32, 64, 64, 64].map(secs).to_vec());
    assert_eq!(c.backoff().level(), 6);
    for id in 0..6u64 {
        c.on_message(n, 200 + id, 1, now).unwrap();
        let a: Vec<Action> = c
            .on_handler_result(n, 200 + id, HandlerOutcome::Success, now, &mut rng)
            .unwrap()
            .into_iter()
            .filter(|a| !matches!(a, Action::At { .. }))
            .collect();
        if id < 5 {
            assert_eq!(
                a,
                vec![
                    Action::Rdy { conn: n, count: 0 },
                    Action::Fin {
                        conn: n,
                        id: 200 + id
                    }
                ]
            );
            now = c.backoff().resume_at().unwrap();
            c.on_timer(Timer::Backoff, now, &mut rng);
        } else {
            assert_eq!(
                a,
                vec![
                    Action::Rdy { conn: n, count: 4 },
                    Action::Fin { conn: n, id: 205 }
                ]
            );
        }
    }
    assert_eq!(c.backoff().level(), 0);
}

// SEMANTICS §2.4: REQ delay min(90 s * attempts, 15 min).
#[test]
fn requeue_delay_rule() {
    let c = consumer(1);
    assert_eq!(c.default_requeue_delay(1), secs(90));
    assert_eq!(c.default_requeue_delay(5), secs(450));
    assert_eq!(c.default_requeue_delay(10), secs(900));
    assert_eq!(c.default_requeue_delay(11), secs(900));
    assert_eq!(c.default_requeue_delay(0), SimDuration::ZERO);
}

// go-nsq consumer_test.go consumerTest (TestConsumer): with
// DefaultRequeueDelay 0 and MaxBackoffDuration 50 ms, "TOBEFAILED" is
// handled 5 times (attempts 1..5, each an error), the 6th delivery is FINed
// without calling the handler and LogFailedMessage runs once.
#[test]
fn consumer_test_max_attempts_auto_fin() {
    let config = ConsumerConfig {
        default_requeue_delay: SimDuration::ZERO,
        max_backoff_duration: ms(50),
        ..ConsumerConfig::default()
    };
    let (mut c, _) = Consumer::new(config, SimTime::ZERO).unwrap();
    c.add_handlers(1).unwrap();
    let mut rng = SimRng::new(1);
    let n = NodeId(1);
    connect(&mut c, 1, SimTime::ZERO);
    let mut handled = 0;
    let mut failed = 0;
    for attempts in 1..=6u16 {
        let now = SimTime::ZERO + secs(u64::from(attempts));
        c.on_message(n, 42, attempts, now).unwrap();
        match c.take_message(n, 42, now, &mut rng).unwrap() {
            Taken::CallHandler => {
                handled += 1;
                let a = c
                    .on_handler_result(n, 42, HandlerOutcome::Error, now, &mut rng)
                    .unwrap();
                assert!(a.contains(&Action::Req {
                    conn: n,
                    id: 42,
                    delay: SimDuration::ZERO
                }));
            }
            Taken::Failed(a) => {
                failed += 1;
                assert_eq!(
                    a[0],
                    Action::LogFailed {
                        conn: n,
                        id: 42,
                        attempts: 6
                    }
                );
                assert!(a.contains(&Action::Fin { conn: n, id: 42 }));
            }
        }
    }
    assert_eq!((handled, failed), (5, 1));
    let s = c.stats();
    assert_eq!(
        (
            s.messages_received,
            s.messages_requeued,
            s.messages_finished,
            s.messages_failed
        ),
        (6, 5, 1, 1)
    );
    // answering twice is refused
    assert_eq!(
        c.on_handler_result(n, 42, HandlerOutcome::Success, SimTime::ZERO, &mut rng),
        Err(ClientError::UnknownMessage { conn: n, id: 42 })
    );
}

// SEMANTICS §2.4 discovery: the first lookup at once, then after one jitter
// in [0, 30 % of 60 s) every 60 s, one lookupd in turn; new nsqds are
// connected, none is dropped when lookup stops listing it; a failed query
// tries the next lookupd (3 tries).
#[test]
fn discovery_round_robin_and_never_drops() {
    let mut c = consumer(2);
    let mut rng = SimRng::new(5);
    let a = c
        .connect_to_lookupd(LookupdId(1), SimTime::ZERO, &mut rng)
        .unwrap();
    assert_eq!(
        a[0],
        Action::QueryLookupd {
            lookupd: LookupdId(1),
            attempt: 0
        }
    );
    let Action::At {
        at: jitter_end,
        timer: Timer::LookupdJitter,
    } = a[1]
    else {
        panic!("{a:?}")
    };
    assert!(jitter_end < SimTime::ZERO + secs(18));
    assert!(c
        .connect_to_lookupd(LookupdId(2), SimTime::ZERO, &mut rng)
        .unwrap()
        .is_empty());

    let a = c.on_lookup_response(0, Ok(&[NodeId(1), NodeId(2)]));
    assert_eq!(
        a,
        vec![
            Action::Connect { node: NodeId(1) },
            Action::Connect { node: NodeId(2) }
        ]
    );
    c.on_connected(NodeId(1), None, SimTime::ZERO).unwrap();
    c.on_connected(NodeId(2), None, SimTime::ZERO).unwrap();

    let a = c.on_timer(Timer::LookupdJitter, jitter_end, &mut rng);
    assert_eq!(
        a,
        vec![Action::At {
            at: jitter_end + secs(60),
            timer: Timer::LookupdPoll
        }]
    );
    // nextLookupdEndpoint: the index wrapped to 0 while only lookupd 1 was
    // known, so the first poll asks lookupd 1 again, the next one lookupd 2
    let a = c.on_timer(Timer::LookupdPoll, jitter_end + secs(60), &mut rng);
    assert_eq!(
        a[0],
        Action::QueryLookupd {
            lookupd: LookupdId(1),
            attempt: 0
        }
    );
    assert!(c.on_lookup_response(0, Ok(&[NodeId(1)])).is_empty());
    let a = c.on_timer(Timer::LookupdPoll, jitter_end + secs(120), &mut rng);
    assert_eq!(
        a[0],
        Action::QueryLookupd {
            lookupd: LookupdId(2),
            attempt: 0
        }
    );
    // lookupd 2 only knows nsqd 3: connected; 1 and 2 are kept
    let a = c.on_lookup_response(0, Ok(&[NodeId(3)]));
    assert_eq!(a, vec![Action::Connect { node: NodeId(3) }]);
    c.on_connected(NodeId(3), None, SimTime::ZERO).unwrap();
    assert_eq!(c.connections(), vec![NodeId(1), NodeId(2), NodeId(3)]);
    // failures move on to the next lookupd, three tries in all
    let a = c.on_timer(Timer::LookupdPoll, jitter_end + secs(180), &mut rng);
    assert_eq!(
        a[0],
        Action::QueryLookupd {
            lookupd: LookupdId(1),
            attempt: 0
        }
    );
    assert_eq!(
        c.on_lookup_response(0, Err(())),
        vec![Action::QueryLookupd {
            lookupd: LookupdId(2),
            attempt: 1
        }]
    );
    assert_eq!(
        c.on_lookup_response(1, Err(())),
        vec![Action::QueryLookupd {
            lookupd: LookupdId(1),
            attempt: 2
        }]
    );
    assert!(c.on_lookup_response(2, Err(())).is_empty());
    // a closed connection triggers an immediate re-poll
    c.close_conn(NodeId(3)).unwrap();
    let a = c.on_conn_closed(NodeId(3), jitter_end + secs(190)).unwrap();
    assert_eq!(
        a,
        vec![Action::QueryLookupd {
            lookupd: LookupdId(2),
            attempt: 0
        }]
    );
    // the jitter is below 30 % of the interval for any seed
    for seed in 0..200 {
        let j = c.discovery().poll_jitter(&mut SimRng::new(seed));
        assert!(j < secs(18), "{j:?}");
    }
}

// Stop(): CLS everywhere, handlers stop once the last connection closes.
#[test]
fn stop_closes_then_stops_handlers() {
    let mut c = consumer(2);
    connect(&mut c, 1, SimTime::ZERO);
    let a = c.stop(SimTime::ZERO);
    assert_eq!(a[0], Action::StartClose { conn: NodeId(1) });
    assert_eq!(c.connect_to_nsqd(NodeId(9)), Err(ClientError::Stopped));
    assert_eq!(
        c.close_conn(NodeId(1)).unwrap(),
        vec![Action::Close { conn: NodeId(1) }]
    );
    assert_eq!(
        c.on_conn_closed(NodeId(1), SimTime::ZERO).unwrap(),
        vec![Action::StopHandlers]
    );
    assert_eq!(c.on_handler_exited(), vec![Action::Exited]);
    assert!(c.has_exited());
}

// ---------------------------------------------------------------------------
// nsqlookupd
// ---------------------------------------------------------------------------

fn lookupd_with(peer: u64, node: u32, now: SimTime, opts: LookupdOptions) -> Lookupd {
    let mut l = Lookupd::new(opts);
    l.on_connect(PeerId(peer)).unwrap();
    l.identify(PeerId(peer), NodeId(node), now).unwrap();
    l
}

// nsqlookupd registration_db_test.go TestRegistrationDB. The Go test uses
// free-form categories "c", "d", "t"; here "c" is Channel, "d" Client and
// "t" Topic. `FilterByActive` is reached through Lookupd::lookup, with
// lastUpdate set by IDENTIFY/PING times instead of assignments.
#[test]
fn registration_db_test() {
    let mut l = Lookupd::new(LookupdOptions {
        inactive_producer_timeout: secs(30),
        tombstone_lifetime: secs(30),
    });
    let t0 = SimTime::ZERO;
    for p in 1..=3 {
        l.on_connect(PeerId(p)).unwrap();
        l.identify(PeerId(p), NodeId(p as u32), t0).unwrap();
    }
    // the db itself: wildcard finds, de-duplicated producers
    let mut db = l.db().clone();
    db.add_producer(Registration::new(Category::Channel, "a", ""), PeerId(1));
    db.add_producer(Registration::new(Category::Channel, "a", ""), PeerId(2));
    db.add_producer(Registration::new(Category::Channel, "a", "b"), PeerId(2));
    db.add_producer(Registration::new(Category::Topic, "a", ""), PeerId(1));
    let r = db.find_registrations(Category::Channel, "*", "");
    assert_eq!(
        r.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(),
        vec!["a"]
    );
    assert_eq!(db.find_producers(Category::Topic, "*", "").len(), 1);
    assert_eq!(db.find_producers(Category::Channel, "*", "*").len(), 2);
    assert_eq!(db.find_producers(Category::Channel, "a", "").len(), 2);
    let p = db.find_producers(Category::Channel, "*", "b");
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].peer, PeerId(2));
    assert_eq!(db.find_registrations(Category::Channel, "b", "").len(), 0);
    assert_eq!(
        db.find_registrations(Category::Channel, "*", "b")[0].subkey,
        "b"
    );
    // removing producers leaves the keys; removing registrations drops them
    db.remove_producer(&Registration::new(Category::Channel, "a", ""), PeerId(1));
    assert_eq!(db.find_producers(Category::Channel, "*", "*").len(), 1);
    db.remove_producer(&Registration::new(Category::Channel, "a", ""), PeerId(2));
    db.remove_producer(&Registration::new(Category::Channel, "a", "b"), PeerId(2));
    assert_eq!(db.find_producers(Category::Channel, "*", "*").len(), 0);
    assert_eq!(db.find_registrations(Category::Channel, "*", "*").len(), 2);
    db.remove_registration(&Registration::new(Category::Channel, "a", ""));
    db.remove_registration(&Registration::new(Category::Channel, "a", "b"));
    assert_eq!(db.find_registrations(Category::Channel, "*", "*").len(), 0);

    // filter by active: everyone is 60 s old, then peer 2 pings
    l.register(PeerId(1), "a", None).unwrap();
    l.register(PeerId(2), "a", Some("b")).unwrap();
    let later = t0 + secs(60);
    assert!(l.lookup("a", later).unwrap().producers.is_empty());
    l.ping(PeerId(2), later).unwrap();
    assert_eq!(l.lookup("a", later).unwrap().producers, vec![NodeId(2)]);
    // tombstoning hides only that topic's entry
    l.ping(PeerId(1), later).unwrap();
    l.register(PeerId(1), "other", None).unwrap();
    assert_eq!(l.lookup("a", later).unwrap().producers.len(), 2);
    assert_eq!(l.tombstone_topic_producer("a", NodeId(1), later), 1);
    assert_eq!(l.lookup("a", later).unwrap().producers, vec![NodeId(2)]);
    // still retrievable from another registration (#148)
    assert_eq!(l.lookup("other", later).unwrap().producers, vec![NodeId(1)]);
    // at exactly 30 s neither limit is passed yet (`>` and `<`)
    assert_eq!(l.lookup("a", later + secs(30)).unwrap().producers.len(), 2);
    // a microsecond later both peers are inactive
    let after = later + secs(30) + SimDuration::from_micros(1);
    assert!(l.lookup("a", after).unwrap().producers.is_empty());
    // peer 1 pings: listed again, its tombstone has expired
    l.ping(PeerId(1), after).unwrap();
    assert_eq!(l.lookup("a", after).unwrap().producers, vec![NodeId(1)]);
}

// nsqlookupd_test.go TestBasicLookupd: register, lookup, and after the
// connection closes no producers but the topic and channel remain.
#[test]
fn nsqlookupd_test_basic_lookupd() {
    let mut l = lookupd_with(1, 7, SimTime::ZERO, LookupdOptions::default());
    assert!(l.topics().is_empty());
    l.register(PeerId(1), "connectmsg", Some("channel1"))
        .unwrap();
    assert_eq!(l.nodes(SimTime::ZERO).len(), 1);
    assert_eq!(l.topics(), vec!["connectmsg".to_string()]);
    let a = l.lookup("connectmsg", SimTime::ZERO).unwrap();
    assert_eq!(a.channels, vec!["channel1".to_string()]);
    assert_eq!(a.producers, vec![NodeId(7)]);
    l.on_disconnect(PeerId(1)).unwrap();
    let a = l.lookup("connectmsg", SimTime::ZERO).unwrap();
    assert_eq!(a.channels.len(), 1);
    assert!(a.producers.is_empty());
    assert_eq!(
        l.lookup("nope", SimTime::ZERO),
        Err(LookupdError::TopicNotFound("nope".into()))
    );
}

// nsqlookupd_test.go TestChannelUnregister: the channel key stays and the
// topic still lists the producer.
#[test]
fn nsqlookupd_test_channel_unregister() {
    let mut l = lookupd_with(1, 7, SimTime::ZERO, LookupdOptions::default());
    l.register(PeerId(1), "channel_unregister", Some("ch1"))
        .unwrap();
    l.unregister(PeerId(1), "channel_unregister", Some("ch1"))
        .unwrap();
    assert_eq!(
        l.db()
            .find_registrations(Category::Topic, "channel_unregister", "")
            .len(),
        1
    );
    assert_eq!(l.channels("channel_unregister").len(), 1);
    assert_eq!(
        l.lookup("channel_unregister", SimTime::ZERO)
            .unwrap()
            .producers
            .len(),
        1
    );
}

// nsqlookupd_test.go TestTombstoneRecover (TombstoneLifetime 50 ms).
#[test]
fn nsqlookupd_test_tombstone_recover() {
    let opts = LookupdOptions {
        tombstone_lifetime: ms(50),
        ..LookupdOptions::default()
    };
    let mut l = lookupd_with(1, 7, SimTime::ZERO, opts);
    l.register(PeerId(1), "tombstone_recover", Some("channel1"))
        .unwrap();
    l.register(PeerId(1), "tombstone_recover2", Some("channel2"))
        .unwrap();
    l.tombstone_topic_producer("tombstone_recover", NodeId(7), SimTime::ZERO);
    assert_eq!(
        l.lookup("tombstone_recover", SimTime::ZERO)
            .unwrap()
            .producers
            .len(),
        0
    );
    assert_eq!(
        l.lookup("tombstone_recover2", SimTime::ZERO)
            .unwrap()
            .producers
            .len(),
        1
    );
    assert_eq!(
        l.lookup("tombstone_recover", at_ms(75))
            .unwrap()
            .producers
            .len(),
        1
    );
}

// nsqlookupd_test.go TestTombstoneUnregister: after UNREGISTER the topic has
// no producer even once the tombstone expired (and is not a 404).
#[test]
fn nsqlookupd_test_tombstone_unregister() {
    let opts = LookupdOptions {
        tombstone_lifetime: ms(50),
        ..LookupdOptions::default()
    };
    let mut l = lookupd_with(1, 7, SimTime::ZERO, opts);
    l.register(PeerId(1), "tombstone_unregister", Some("channel1"))
        .unwrap();
    l.tombstone_topic_producer("tombstone_unregister", NodeId(7), SimTime::ZERO);
    assert_eq!(
        l.lookup("tombstone_unregister", SimTime::ZERO)
            .unwrap()
            .producers
            .len(),
        0
    );
    l.unregister(PeerId(1), "tombstone_unregister", None)
        .unwrap();
    assert_eq!(
        l.lookup("tombstone_unregister", at_ms(55))
            .unwrap()
            .producers
            .len(),
        0
    );
}

// nsqlookupd_test.go TestInactiveNodes (InactiveProducerTimeout 200 ms):
// /nodes lists the node, then not after 250 ms without a ping.
#[test]
fn nsqlookupd_test_inactive_nodes() {
    let opts = LookupdOptions {
        inactive_producer_timeout: ms(200),
        ..LookupdOptions::default()
    };
    let mut l = lookupd_with(1, 7, SimTime::ZERO, opts);
    l.register(PeerId(1), "inactive_nodes", Some("channel1"))
        .unwrap();
    let n = l.nodes(SimTime::ZERO);
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].topics, vec![("inactive_nodes".to_string(), false)]);
    assert!(l.nodes(at_ms(250)).is_empty());
}

// nsqlookupd_test.go TestTombstonedNodes: /nodes keeps a tombstoned node and
// flags the topic.
#[test]
fn nsqlookupd_test_tombstoned_nodes() {
    let mut l = lookupd_with(1, 7, SimTime::ZERO, LookupdOptions::default());
    l.register(PeerId(1), "inactive_nodes", Some("channel1"))
        .unwrap();
    assert_eq!(
        l.nodes(SimTime::ZERO)[0].topics,
        vec![("inactive_nodes".to_string(), false)]
    );
    l.tombstone_topic_producer("inactive_nodes", NodeId(7), SimTime::ZERO);
    let n = l.nodes(SimTime::ZERO);
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].topics, vec![("inactive_nodes".to_string(), true)]);
}

// lookup_protocol_v1.go: REGISTER before IDENTIFY and bad names are fatal
// (the connection closes and takes its registrations along).
#[test]
fn lookupd_protocol_errors_are_fatal() {
    let mut l = Lookupd::new(LookupdOptions::default());
    l.on_connect(PeerId(1)).unwrap();
    let e = l.register(PeerId(1), "t", None).unwrap_err();
    assert!(e.is_fatal());
    assert_eq!(
        l.ping(PeerId(1), SimTime::ZERO),
        Err(LookupdError::UnknownPeer(PeerId(1)))
    );
    let mut l = lookupd_with(2, 7, SimTime::ZERO, LookupdOptions::default());
    l.register(PeerId(2), "t", None).unwrap();
    assert_eq!(
        l.register(PeerId(2), "bad name", None),
        Err(LookupdError::BadTopic("bad name".into()))
    );
    assert!(l.lookup("t", SimTime::ZERO).unwrap().producers.is_empty());
    // ephemeral channel keys go with their last producer
    let mut l = lookupd_with(3, 7, SimTime::ZERO, LookupdOptions::default());
    l.register(PeerId(3), "t", Some("c#ephemeral")).unwrap();
    l.unregister(PeerId(3), "t", Some("c#ephemeral")).unwrap();
    assert!(l.channels("t").is_empty());
}

// ---------------------------------------------------------------------------
// Property tests
// ---------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Op {
    Connect(u32, u64),
    Close(u32),
    Message(u32, u8),
    Advance(u64),
    Redistribute,
    Backoff,
    Retry(u32),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..6u32, 1..8u64).prop_map(|(n, m)| Op::Connect(n, m)),
        (0..6u32).prop_map(Op::Close),
        (0..6u32, 0..4u8).prop_map(|(n, o)| Op::Message(n, o)),
        (0..20_000u64).prop_map(Op::Advance),
        Just(Op::Redistribute),
        Just(Op::Backoff),
        (0..6u32).prop_map(Op::Retry),
    ]
}

fn check_rdy(book: &RdyBook) -> Result<(), TestCaseError> {
    let sum: u64 = book.conns().iter().map(|c| c.rdy).sum();
    prop_assert_eq!(sum, book.total());
    prop_assert!(
        sum <= book.max_in_flight(),
        "sum {} > max {}",
        sum,
        book.max_in_flight()
    );
    for c in book.conns() {
        prop_assert!(c.rdy <= c.max_rdy, "{:?}", c);
    }
    Ok(())
}

proptest! {
    // RDY sums never exceed MaxInFlight, nor a connection's max-rdy-count,
    // for any sequence of connects, disconnects, messages, outcomes,
    // redistributions and timers.
    #[test]
    fn prop_rdy_within_limits(mif in 0..12u64, seed in any::<u64>(), ops in prop::collection::vec(op(), 0..120)) {
        let config = ConsumerConfig { max_in_flight: mif, backoff_multiplier: ms(100), ..ConsumerConfig::default() };
        let (mut c, _) = Consumer::new(config, SimTime::ZERO).unwrap();
        c.add_handlers(1).unwrap();
        let mut rng = SimRng::new(seed);
        let mut now = SimTime::ZERO;
        let mut next_id = 0u64;
        for op in ops {
            match op {
                Op::Connect(n, max) => {
                    if c.connect_to_nsqd(NodeId(n)).is_ok() {
                        c.on_connected(NodeId(n), Some(max), now).unwrap();
                    }
                }
                Op::Close(n) => {
                    if c.close_conn(NodeId(n)).is_ok() {
                        c.on_conn_closed(NodeId(n), now).unwrap();
                    }
                }
                Op::Message(n, o) => {
                    next_id += 1;
                    if c.on_message(NodeId(n), next_id, 1, now).is_ok() {
                        let outcome = [HandlerOutcome::Success, HandlerOutcome::Error, HandlerOutcome::RequeueWithoutBackoff(None), HandlerOutcome::Requeue(Some(SimDuration::ZERO))][o as usize];
                        c.on_handler_result(NodeId(n), next_id, outcome, now, &mut rng).unwrap();
                    }
                }
                Op::Advance(d) => now += ms(d),
                Op::Redistribute => { c.on_timer(Timer::Redistribute, now, &mut rng); }
                Op::Backoff => {
                    if let Some(at) = c.backoff().resume_at() {
                        now = now.max(at);
                        c.on_timer(Timer::Backoff, now, &mut rng);
                    }
                }
                Op::Retry(n) => {
                    let due = c.rdy().conn(NodeId(n)).and_then(|x| x.retry).map(|r| r.0);
                    if let Some(at) = due {
                        now = now.max(at);
                        c.on_timer(Timer::RdyRetry(NodeId(n)), now, &mut rng);
                    }
                }
            }
            check_rdy(c.rdy())?;
        }
    }

    // The backoff level stays within [0, floor(log2(max / multiplier))] and
    // returns to 0 after that many probe successes.
    #[test]
    fn prop_backoff_bounded_and_recovers(
        mult_ms in 1..2000u64, max_s in 0..300u64, seed in any::<u64>(),
        signals in prop::collection::vec(0..3u8, 0..80),
    ) {
        let mult = ms(mult_ms);
        let max = secs(max_s);
        let mut bound = 0u32;
        while exponential(mult, bound + 1) <= max { bound += 1; }
        let mut b = Backoff::new(mult, max, BackoffStrategy::Exponential);
        let mut book = RdyBook::new(3, secs(10), secs(30));
        book.add_conn(NodeId(1), 2500).unwrap();
        book.update_rdy(NodeId(1), 3, SimTime::ZERO, &mut Vec::new()).unwrap();
        let mut rng = SimRng::new(seed);
        let mut out = Vec::new();
        let mut now = SimTime::ZERO;
        for s in signals {
            let sig = [Signal::Backoff, Signal::Continue, Signal::Resume][s as usize];
            b.on_signal(sig, &mut book, now, &mut rng, &mut out);
            prop_assert!(b.level() <= bound, "level {} > {}", b.level(), bound);
            if let Some(at) = b.resume_at() {
                now = now.max(at);
                b.on_backoff_timer(&mut book, false, now, &mut rng, &mut out);
            }
        }
        let level = b.level();
        for _ in 0..level {
            b.on_signal(Signal::Resume, &mut book, now, &mut rng, &mut out);
            if let Some(at) = b.resume_at() {
                now = now.max(at);
                b.on_backoff_timer(&mut book, false, now, &mut rng, &mut out);
            }
        }
        prop_assert_eq!(b.level(), 0);
        prop_assert!(!b.in_backoff_timeout());
        prop_assert_eq!(book.conns()[0].rdy, 3);
    }
}

#[derive(Clone, Debug)]
enum LOp {
    Connect(u64, u32),
    Disconnect(u64),
    Register(u64, u8, bool),
    Unregister(u64, u8, bool),
    Ping(u64),
    Tombstone(u8, u32),
    Advance(u64),
}

fn lop() -> impl Strategy<Value = LOp> {
    prop_oneof![
        (0..6u64, 0..3u32).prop_map(|(p, n)| LOp::Connect(p, n)),
        (0..6u64).prop_map(LOp::Disconnect),
        (0..6u64, 0..3u8, any::<bool>()).prop_map(|(p, t, c)| LOp::Register(p, t, c)),
        (0..6u64, 0..3u8, any::<bool>()).prop_map(|(p, t, c)| LOp::Unregister(p, t, c)),
        (0..6u64).prop_map(LOp::Ping),
        (0..3u8, 0..3u32).prop_map(|(t, n)| LOp::Tombstone(t, n)),
        (0..120u64).prop_map(LOp::Advance),
    ]
}

proptest! {
    // lookup never lists a tombstoned topic/node pair within 45 s nor a node
    // inactive for more than 300 s; it lists exactly the registered,
    // active, untombstoned producers (an oracle kept beside the model).
    #[test]
    fn prop_lookup_hides_tombstoned_and_inactive(ops in prop::collection::vec(lop(), 0..150)) {
        let topics = ["t0", "t1", "t2"];
        let mut l = Lookupd::new(LookupdOptions::default());
        let mut now = SimTime::ZERO;
        // oracle: peer -> (node, last update); (topic, peer) -> tombstoned at
        let mut peers: BTreeMap<u64, (u32, SimTime)> = BTreeMap::new();
        let mut registered: BTreeMap<(u8, u64), Option<SimTime>> = BTreeMap::new();
        let mut known: BTreeSet<u8> = BTreeSet::new();
        for op in ops {
            match op {
                LOp::Connect(p, n) => {
                    if l.on_connect(PeerId(p)).is_ok() {
                        l.identify(PeerId(p), NodeId(n), now).unwrap();
                        peers.insert(p, (n, now));
                    }
                }
                LOp::Disconnect(p) => {
                    if l.on_disconnect(PeerId(p)).is_ok() {
                        peers.remove(&p);
                        registered.retain(|k, _| k.1 != p);
                    }
                }
                LOp::Register(p, t, ch) => {
                    let ch = if ch { Some("c") } else { None };
                    if l.register(PeerId(p), topics[t as usize], ch).is_ok() {
                        registered.entry((t, p)).or_insert(None);
                        known.insert(t);
                    }
                }
                LOp::Unregister(p, t, ch) => {
                    let ch = if ch { Some("c") } else { None };
                    if l.unregister(PeerId(p), topics[t as usize], ch).is_ok() && ch.is_none() {
                        registered.remove(&(t, p));
                    }
                }
                LOp::Ping(p) => {
                    if l.ping(PeerId(p), now).is_ok() {
                        if let Some(e) = peers.get_mut(&p) { e.1 = now; }
                    }
                }
                LOp::Tombstone(t, n) => {
                    l.tombstone_topic_producer(topics[t as usize], NodeId(n), now);
                    for ((tt, p), ts) in registered.iter_mut() {
                        if *tt == t && peers.get(p).map(|e| e.0) == Some(n) {
                            *ts = Some(now);
                        }
                    }
                }
                LOp::Advance(s) => now += secs(s),
            }
            for (ti, topic) in topics.iter().enumerate() {
                let ti = ti as u8;
                match l.lookup(topic, now) {
                    Err(_) => prop_assert!(!known.contains(&ti)),
                    Ok(a) => {
                        let expected: Vec<NodeId> = registered
                            .iter()
                            .filter(|((tt, _), _)| *tt == ti)
                            .filter_map(|((_, p), ts)| {
                                let (node, last) = peers[p];
                                let active = now.since(last) <= secs(300);
                                let hidden = ts.is_some_and(|t| now.since(t) < secs(45));
                                (active && !hidden).then_some(NodeId(node))
                            })
                            .collect();
                        prop_assert_eq!(a.producers, expected);
                    }
                }
            }
        }
    }
}

#[derive(Clone, Debug)]
enum AnyOp {
    Rdy(Op),
    Timer(u8, u32),
    Lookup(u8, bool, Vec<u32>),
    AddLookupd(u32),
    RemoveLookupd(u32),
    ChangeMaxInFlight(u64),
    Touch(u32, u64),
    Answer(u32, u64, u8),
    ConnectFailed(u32),
    Disconnect(u32),
    Stop,
    HandlerExited,
}

fn any_op() -> impl Strategy<Value = AnyOp> {
    prop_oneof![
        op().prop_map(AnyOp::Rdy),
        (0..7u8, 0..6u32).prop_map(|(t, n)| AnyOp::Timer(t, n)),
        (0..4u8, any::<bool>(), prop::collection::vec(0..6u32, 0..4))
            .prop_map(|(a, ok, v)| AnyOp::Lookup(a, ok, v)),
        (0..3u32).prop_map(AnyOp::AddLookupd),
        (0..3u32).prop_map(AnyOp::RemoveLookupd),
        (0..8u64).prop_map(AnyOp::ChangeMaxInFlight),
        (0..6u32, 0..50u64).prop_map(|(n, id)| AnyOp::Touch(n, id)),
        (0..6u32, 0..50u64, 0..5u8).prop_map(|(n, id, o)| AnyOp::Answer(n, id, o)),
        (0..6u32).prop_map(AnyOp::ConnectFailed),
        (0..6u32).prop_map(AnyOp::Disconnect),
        Just(AnyOp::Stop),
        Just(AnyOp::HandlerExited),
    ]
}

proptest! {
    // No input panics: any call in any order, stale or unknown timers,
    // unknown connections and messages, answers twice, lookups after stop.
    // Refusals are typed errors; the RDY total always equals the sum.
    #[test]
    fn prop_consumer_never_panics(mif in 0..6u64, seed in any::<u64>(), ops in prop::collection::vec(any_op(), 0..150)) {
        let config = ConsumerConfig { max_in_flight: mif, ..ConsumerConfig::default() };
        let (mut c, _) = Consumer::new(config, SimTime::ZERO).unwrap();
        let _ = c.add_handlers(2);
        let mut rng = SimRng::new(seed);
        let mut now = SimTime::ZERO;
        let mut next_id = 0u64;
        for op in ops {
            now += ms(7);
            match op {
                AnyOp::Rdy(Op::Connect(n, max)) => {
                    let _ = c.connect_to_nsqd(NodeId(n));
                    let _ = c.on_connected(NodeId(n), Some(max), now);
                }
                AnyOp::Rdy(Op::Close(n)) => {
                    let _ = c.close_conn(NodeId(n));
                    let _ = c.on_conn_closed(NodeId(n), now);
                }
                AnyOp::Rdy(Op::Message(n, _)) => {
                    next_id += 1;
                    let _ = c.on_message(NodeId(n), next_id % 50, 6, now);
                    let _ = c.take_message(NodeId(n), next_id % 50, now, &mut rng);
                }
                AnyOp::Rdy(Op::Advance(d)) => now += ms(d),
                AnyOp::Rdy(_) => { c.on_timer(Timer::Redistribute, now, &mut rng); }
                AnyOp::Timer(t, n) => {
                    let timer = [Timer::Backoff, Timer::RdyRetry(NodeId(n)), Timer::Redistribute,
                        Timer::LookupdJitter, Timer::LookupdPoll, Timer::Reconnect(NodeId(n)),
                        Timer::StopDeadline][t as usize];
                    c.on_timer(timer, now, &mut rng);
                }
                AnyOp::Lookup(a, ok, nodes) => {
                    let nodes: Vec<NodeId> = nodes.into_iter().map(NodeId).collect();
                    let answer = if ok { Ok(&nodes[..]) } else { Err(()) };
                    c.on_lookup_response(a, answer);
                }
                AnyOp::AddLookupd(l) => { let _ = c.connect_to_lookupd(LookupdId(l), now, &mut rng); }
                AnyOp::RemoveLookupd(l) => { let _ = c.disconnect_from_lookupd(LookupdId(l)); }
                AnyOp::ChangeMaxInFlight(n) => { c.change_max_in_flight(n, now); }
                AnyOp::Touch(n, id) => { let _ = c.touch(NodeId(n), id); }
                AnyOp::Answer(n, id, o) => {
                    let outcome = [HandlerOutcome::Success, HandlerOutcome::Error,
                        HandlerOutcome::Requeue(Some(secs(1))), HandlerOutcome::RequeueWithoutBackoff(None),
                        HandlerOutcome::NoAutoResponse][o as usize];
                    let _ = c.on_handler_result(NodeId(n), id, outcome, now, &mut rng);
                }
                AnyOp::ConnectFailed(n) => { let _ = c.on_connect_failed(NodeId(n), now); }
                AnyOp::Disconnect(n) => { let _ = c.disconnect_from_nsqd(NodeId(n)); }
                AnyOp::Stop => { c.stop(now); }
                AnyOp::HandlerExited => { c.on_handler_exited(); }
            }
            let sum: u64 = c.rdy().conns().iter().map(|x| x.rdy).sum();
            prop_assert_eq!(sum, c.rdy().total());
            let _ = c.clone();
        }
    }
}
