//! Goroutine programs: what a goroutine does, as a list of operations with a
//! program counter, so "what is this goroutine doing?" is always `ops[pc]`.
//!
//! Scenarios write programs as a tree of [`Stmt`] (JSON); [`compile`] turns
//! the tree into flat [`Op`]s with jumps, a Go-like listing for the UI (one
//! line per statement, each op mapped to its line), and for every pc the set
//! of channel and WaitGroup operations the goroutine may still perform (used
//! to prove goroutines stuck).
//!
//! # Values
//! A goroutine holds at most one value `v` (one variable, as in
//! `v := <-ch` / `ch <- v`):
//! - `send` (or a select's send case) offers `v` if the goroutine holds
//!   one, otherwise it produces a new message whose value is the
//!   goroutine's counter (`start`, `start+1`, ...). A completed send hands
//!   `v` over: the goroutine holds nothing after it.
//! - A select whose send case is *not* chosen (its `time.After` fired, or
//!   it took `default`) keeps `v`, as Go keeps it in its variable: a retry
//!   loop sends the same value again.
//! - `recv` (or a select's receive case) puts the received value in `v`.
//!   The value it replaces is finished ("processed") if it had been
//!   received; one that was never sent is dropped ("never sent").
//! - `drop` (`v = nil`) drops `v` on purpose: the `drop_when_full`
//!   producer's `default:` does this.

use crate::dist::Dist;
use crate::observe::trace::DropCause;
use serde::Serialize;

mod compile;
mod stmt;

pub use compile::*;
pub use stmt::*;

pub type ChanId = u32;
pub type WgId = u32;
pub type Pc = u32;

/// A compiled operation. Blocking ops keep `pc` on themselves while the
/// goroutine waits; the world advances `pc` when the op completes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Send { ch: ChanId },
    /// `on_closed`: where to jump when the channel is closed and drained
    /// (the end of a `range`); `None` for a plain receive.
    Recv { ch: ChanId, on_closed: Option<Pc> },
    Close { ch: ChanId },
    Work { dist: u16 },
    Sleep { dist: u16 },
    LoopInit { slot: u8, times: u64 },
    /// Decrement loop `slot`; jump to `to` while it is positive.
    LoopBack { slot: u8, to: Pc },
    Jump { to: Pc },
    Select { sel: u16 },
    WgAdd { wg: WgId, n: i64 },
    WgDone { wg: WgId },
    WgWait { wg: WgId },
    TakeDivisor,
    DropMultiples { skip_to: Pc },
    /// Drop the held value, for this cause.
    Drop { cause: DropCause },
    /// Publish the held value (or a new one) to nsqd `node`, topic
    /// `topics[topic]`, and wait for the response. `fresh`: a new logical
    /// message (else the same as the previous publish: a redundant pair);
    /// `settle`: the last publish of the value (it is then published, or
    /// dropped if every publish of it failed).
    Publish { node: u16, topic: u16, fresh: bool, settle: bool, batch: u16 },
    /// Wait for the next message on NSQ connection `conn`.
    NsqRead { conn: u16 },
    /// Skip the handler (to `skip_to`) if the world doomed the held
    /// message (attempts > MaxAttempts).
    NsqTake { skip_to: Pc },
    /// The handler returned: the world answers FIN or REQ.
    NsqFinish,
    /// Produce the held value (or a new one) with Kafka producer
    /// `producer` to topic `topic` (indexes of the `kafka` section) and
    /// wait for the response (a `SendMessage`): the value ends with it,
    /// acked, or dropped on an error.
    KafkaProduce { producer: u16, topic: u16 },
    /// The held message's journey ends here: acked, and no one asked for
    /// it on `Successes()`.
    KafkaSettle,
    /// Add the held message to async producer `producer`'s batch for
    /// broker `broker` (it leaves Go); waits only while the batch is full.
    KafkaBatchAdd { producer: u16, topic: u16, broker: u16 },
    /// Wait for the next produce response of `producer` from broker
    /// `broker` (the held value is its first message).
    KafkaResult { producer: u16, broker: u16 },
    /// The partitioner of async producer `producer` picks the held
    /// message's partition `p` on topic `topic`; the goroutine goes on at
    /// the next op + 2p: the send to that partition producer's input (each
    /// followed by a jump past the last), so partitions added later append
    /// cases without moving any op. `cases`: how many (the partitions).
    KafkaRoute { producer: u16, topic: u16, cases: u16 },
    /// Partition `index` (of topic `topic`)'s partition producer of async
    /// producer `producer` picks the broker producer `b` it sends to; the
    /// goroutine goes on at the next op + 2(b - 1): the send to that
    /// broker producer's input, as in `KafkaRoute`. `cases`: the brokers.
    KafkaLead { producer: u16, topic: u16, index: u16, cases: u16 },
    /// Go on to `on_err` if the held message's produce failed.
    KafkaOutcome { on_err: Pc },
    /// The broker producer for `broker` of async producer `producer` is
    /// returning a response: hold its next message and go back to `again`,
    /// or go on once the response has none left.
    KafkaNext { producer: u16, broker: u16, again: Pc },
    /// Wait for the next record of fetcher `fetcher`'s partition.
    KafkaFetch { fetcher: u16 },
    /// Mark the record fetcher `fetcher` handed over as consumed.
    KafkaMark { fetcher: u16 },
    End,
}

/// A compiled select case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaseKind {
    Send(ChanId),
    Recv(ChanId),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CompiledCase {
    pub kind: CaseKind,
    /// First op of the case body.
    pub target: Pc,
    /// For recv cases with `break_on_close`: where `ok == false` jumps.
    pub on_closed: Option<Pc>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CompiledSelect {
    pub cases: Vec<CompiledCase>,
    pub default: Option<Pc>,
    pub after: Option<(u16, Pc)>,
    pub line: u32,
}

/// Something a goroutine may still do that can unblock another one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Capability {
    Send(ChanId),
    Recv(ChanId),
    Close(ChanId),
    /// `wg.Done()` or `wg.Add(negative)`.
    WgDecrement(WgId),
}

/// A line of the Go-like listing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Line {
    pub indent: u8,
    pub text: String,
}

/// A compiled program.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    pub ops: Vec<Op>,
    pub dists: Vec<Dist>,
    pub selects: Vec<CompiledSelect>,
    pub lines: Vec<Line>,
    /// Listing line of each op.
    pub op_line: Vec<u32>,
    /// Loop counters the program needs.
    pub loop_slots: u8,
    /// No send anywhere: the goroutine is a sink (its receives are deliveries).
    pub is_sink: bool,
    /// For each pc, what the goroutine may still do from there (sorted).
    pub may: Vec<Vec<Capability>>,
    /// NSQ topic names the program publishes to (`Op::Publish` indexes it
    /// and `delays`).
    pub topics: Vec<String>,
    /// The DPUB delay of each `topics` entry (None: a plain PUB).
    pub delays: Vec<Option<crate::time::SimDuration>>,
    /// For each pc, where the goroutine goes on once the op there is done
    /// waiting (a work or sleep): `pc + 1`, or where the jumps from there
    /// lead (the end of a loop body goes straight back to its head, with no
    /// dispatch of the jump in between).
    pub resume: Vec<Pc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    struct N;
    impl Names for N {
        fn channel(&self, name: &str) -> Option<ChanId> {
            ["jobs", "done", "out"].iter().position(|n| *n == name).map(|i| i as u32)
        }
        fn waitgroup(&self, name: &str) -> Option<WgId> {
            (name == "wg").then_some(0)
        }
    }

    fn prog(json: &str) -> Result<Program, Vec<CompileError>> {
        let stmts: Vec<Stmt> = serde_json::from_str(json).unwrap();
        compile(&stmts, &N)
    }

    #[test]
    fn producer_compiles_to_loop_with_listing() {
        let p = prog(r#"[{"repeat":{"times":10,"body":[{"sleep":"100ms"},{"send":"jobs"}]}},{"close":"jobs"}]"#).unwrap();
        let text: Vec<_> = p.lines.iter().map(|l| format!("{}{}", "  ".repeat(l.indent as usize), l.text)).collect();
        assert_eq!(
            text,
            ["for i := 0; i < 10; i++ {", "  time.Sleep(100ms)", "  jobs <- v", "}", "close(jobs)", "return"]
        );
        assert!(!p.is_sink);
        assert_eq!(p.may[0], [Capability::Send(0), Capability::Close(0)]);
        let close_pc = p.ops.iter().position(|o| matches!(o, Op::Close { .. })).unwrap();
        assert_eq!(p.may[close_pc], [Capability::Close(0)]);
    }

    #[test]
    fn range_consumer_is_a_sink_and_range_exits_past_the_loop() {
        let p = prog(r#"[{"range":{"ch":"jobs","body":[{"work":"10ms"}]}},{"wg_done":"wg"}]"#).unwrap();
        assert!(p.is_sink);
        let Op::Recv { on_closed: Some(end), .. } = p.ops[0] else { panic!("{:?}", p.ops[0]) };
        assert_eq!(p.ops[end as usize], Op::WgDone { wg: 0 });
    }

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let errs = prog(r#"[{"send":"nope"},{"repeat":{"times":2,"body":[{"wg_wait":"wg2"}]}},{"forever":[{"close":"jobs"}]}]"#)
            .unwrap_err();
        let paths: Vec<_> = errs.iter().map(|e| (e.path.as_str(), e.message.as_str())).collect();
        assert_eq!(paths[0], ("[0]", "no channel named \"nope\""));
        assert_eq!(paths[1], ("[1].repeat.body[0]", "no WaitGroup named \"wg2\""));
        assert_eq!(paths[2].0, "[2]");
        assert!(paths[2].1.contains("never blocks or waits"));
    }

    #[test]
    fn select_with_timeout_and_break_on_close() {
        let p = prog(
            r#"[{"forever":[{"select":{"cases":[{"recv":"jobs","break_on_close":true,"body":[{"work":"5ms"}]}],"after":{"wait":"1s"}}}]},{"wg_done":"wg"}]"#,
        )
        .unwrap();
        let s = &p.selects[0];
        let brk = s.cases[0].on_closed.unwrap();
        let Op::Jump { to } = p.ops[brk as usize] else { panic!() };
        assert_eq!(p.ops[to as usize], Op::WgDone { wg: 0 });
        assert!(s.after.is_some());
        assert!(p.lines.iter().any(|l| l.text == "case <-time.After(1s):"));
    }

    #[test]
    fn non_blocking_loop_is_refused_but_a_waiting_one_is_fine() {
        assert!(prog(r#"[{"forever":[{"select":{"cases":[{"send":"jobs"}],"default":[]}}]}]"#).is_err());
        assert!(prog(r#"[{"forever":[{"select":{"cases":[{"send":"jobs"}],"default":[]}},{"sleep":"1ms"}]}]"#).is_ok());
    }

    #[test]
    fn loops_nested_too_deep_are_reported_once() {
        let mut json = r#"[{"send":"jobs"}]"#.to_string();
        for _ in 0..30 {
            json = format!(r#"[{{"forever":{json}}}]"#);
        }
        let errs = prog(&json).unwrap_err();
        assert_eq!(errs.iter().filter(|e| e.message.contains("nested deeper")).count(), 1, "{errs:?}");
    }

    #[test]
    fn repeat_zero_skips_body() {
        let p = prog(r#"[{"repeat":{"times":0,"body":[{"send":"jobs"}]}}]"#).unwrap();
        let Op::Jump { to } = p.ops[1] else { panic!() };
        assert_eq!(p.ops[to as usize], Op::End);
    }
}
