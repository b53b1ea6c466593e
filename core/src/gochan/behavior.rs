//! Behaviour templates: the goroutines people mean when they say "producer"
//! or "worker pool", expanded to plain [`Stmt`] programs.
//!
//! | template | Go it stands for |
//! |---|---|
//! | `producer` | `for i := 0; i < count; i++ { time.Sleep(interval); to <- v }` then optional `close(to)`, `wg.Done()`; with `drop_when_full` the send is `select { case to <- v: default: v = nil /* dropped */ }` |
//! | `consumer` | `for v := range from { process(v) }` then `wg.Done()`; with `timeout` a `select` on `<-from` and `<-time.After(timeout)` |
//! | `stage` | `for v := range from { process(v); to <- v }` then optional `close(to)`, `wg.Done()` (a worker pool is a stage with `count > 1`) |
//! | `closer` | `wg.Wait(); close(ch)` |
//! | `sieve_filter` | `prime := <-from; for v := range from { if v%prime != 0 { to <- v } }` then `close(to)` |
//! | `program` | any statement list (see [`Stmt`]) |
//!
//! A template with `wg` also does `wg.Add(1)` *before* the goroutine starts
//! (as `main` does before `go f()`), so `wg.Wait()` cannot slip through early.

use super::program::{AfterCase, SelectCase, SelectStmt, Stmt};
use crate::dist::Dist;
use crate::time::SimDuration;
use serde::{Deserialize, Serialize};

fn default_interval() -> Dist {
    Dist::Constant(SimDuration::from_millis(100))
}
fn is_false(b: &bool) -> bool {
    !*b
}
fn is_zero(v: &i64) -> bool {
    *v == 0
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Producer {
    pub to: String,
    /// Wait before each send.
    #[serde(default = "default_interval")]
    pub interval: Dist,
    /// How many values to send; absent means forever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// First value (labels read `name#value`); later values count up.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub start: i64,
    #[serde(default, skip_serializing_if = "is_false")]
    pub close_when_done: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wg: Option<String>,
    /// Non-blocking send: `select` with `default` drops the value when full.
    #[serde(default, skip_serializing_if = "is_false")]
    pub drop_when_full: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Consumer {
    pub from: String,
    /// Processing time per value.
    #[serde(default)]
    pub work: Dist,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wg: Option<String>,
    /// Give up waiting after this long (a `time.After` case), then wait again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Dist>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    pub from: String,
    pub to: String,
    #[serde(default)]
    pub work: Dist,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wg: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub close_when_done: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Closer {
    pub wait: String,
    pub close: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SieveFilter {
    pub from: String,
    pub to: String,
}

/// What a goroutine (group) does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Behavior {
    Producer(Producer),
    Consumer(Consumer),
    Stage(Stage),
    Closer(Closer),
    SieveFilter(SieveFilter),
    Program(Vec<Stmt>),
    /// go-nsq's `conn.readLoop` for one connection of a consumer of the
    /// scenario's `nsq` section: `for { m := read(conn); incoming <- m }`.
    /// Made by the world from the `nsq` section, never written in a
    /// scenario.
    #[serde(skip_deserializing)]
    NsqReader(NsqReader),
    /// A go-nsq handler goroutine (`AddConcurrentHandlers`):
    /// `for m := range incoming { process(m); m.Finish() }`. Made by the
    /// world from the `nsq` section.
    #[serde(skip_deserializing)]
    NsqHandler(NsqHandler),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NsqReader {
    pub consumer: String,
    pub nsqd: String,
    /// The channel it pushes into (`<consumer>.incoming`).
    pub to: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NsqHandler {
    pub consumer: String,
    pub from: String,
    #[serde(default)]
    pub work: Dist,
}

/// The role a template plays, for drawing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Producer,
    Consumer,
    Stage,
    Closer,
    Filter,
    Custom,
}

/// The pause of a program that is one producing loop, `for { time.Sleep(d);
/// send }` (or `for i := 0; i < n; i++ { ... }`), where the send is a
/// channel send, an NSQ `Publish` or a Kafka `SendMessage`: `d` is its send
/// interval, which `set_rates` changes as a producer template's.
fn loop_interval(program: &mut [Stmt]) -> Option<&mut Dist> {
    let [Stmt::Forever(body) | Stmt::Repeat { body, .. }] = program else { return None };
    match body.as_mut_slice() {
        [Stmt::Sleep(d), Stmt::Send(_) | Stmt::Publish(_) | Stmt::KafkaSend(_)] => Some(d),
        _ => None,
    }
}

impl Behavior {
    pub fn role(&self) -> Role {
        match self {
            Behavior::Producer(_) => Role::Producer,
            Behavior::Consumer(_) => Role::Consumer,
            Behavior::Stage(_) => Role::Stage,
            Behavior::Closer(_) => Role::Closer,
            Behavior::SieveFilter(_) => Role::Filter,
            Behavior::Program(_) => Role::Custom,
            Behavior::NsqReader(_) => Role::Producer,
            Behavior::NsqHandler(_) => Role::Consumer,
        }
    }

    /// The WaitGroup that gets `Add(1)` before each instance starts.
    pub fn spawn_wg(&self) -> Option<&str> {
        match self {
            Behavior::Producer(p) => p.wg.as_deref(),
            Behavior::Consumer(c) => c.wg.as_deref(),
            Behavior::Stage(s) => s.wg.as_deref(),
            _ => None,
        }
    }

    /// First value a new message gets.
    pub fn start_value(&self) -> i64 {
        match self {
            Behavior::Producer(p) => p.start,
            _ => 0,
        }
    }

    /// The pacing distribution (producer interval), if any: a producer
    /// template's `interval`, or the pause of a program that is a producing
    /// loop ([`loop_interval`]).
    pub fn interval_mut(&mut self) -> Option<&mut Dist> {
        match self {
            Behavior::Producer(p) => Some(&mut p.interval),
            Behavior::Program(p) => loop_interval(p),
            _ => None,
        }
    }

    /// The work-time distribution (consumer, stage), if any.
    pub fn work_mut(&mut self) -> Option<&mut Dist> {
        match self {
            Behavior::Consumer(c) => Some(&mut c.work),
            Behavior::Stage(s) => Some(&mut s.work),
            Behavior::NsqHandler(h) => Some(&mut h.work),
            _ => None,
        }
    }

    /// Expands the template to a program.
    pub fn program(&self) -> Vec<Stmt> {
        match self {
            Behavior::Program(p) => p.clone(),
            Behavior::Producer(p) => {
                let send = if p.drop_when_full {
                    Stmt::Select(SelectStmt {
                        cases: vec![SelectCase { send: Some(p.to.clone()), recv: None, body: vec![], break_on_close: false }],
                        default: Some(vec![Stmt::Drop]),
                        after: None,
                    })
                } else {
                    Stmt::Send(p.to.clone())
                };
                // Sleep is always present (even 0s) so a live rate edit keeps
                // the program's layout and every goroutine's pc valid.
                let body = vec![Stmt::Sleep(p.interval.clone()), send];
                let mut prog = vec![match p.count {
                    Some(times) => Stmt::Repeat { times, body },
                    None => Stmt::Forever(body),
                }];
                if p.close_when_done {
                    prog.push(Stmt::Close(p.to.clone()));
                }
                prog.extend(p.wg.clone().map(Stmt::WgDone));
                prog
            }
            Behavior::Consumer(c) => {
                let work = work_stmts(&c.work);
                let mut prog = match &c.timeout {
                    None => vec![Stmt::Range { ch: c.from.clone(), body: work }],
                    Some(t) => vec![Stmt::Forever(vec![Stmt::Select(SelectStmt {
                        cases: vec![SelectCase { send: None, recv: Some(c.from.clone()), body: work, break_on_close: true }],
                        default: None,
                        after: Some(AfterCase { wait: t.clone(), body: vec![] }),
                    })])],
                };
                prog.extend(c.wg.clone().map(Stmt::WgDone));
                prog
            }
            Behavior::Stage(s) => {
                let mut body = work_stmts(&s.work);
                body.push(Stmt::Send(s.to.clone()));
                let mut prog = vec![Stmt::Range { ch: s.from.clone(), body }];
                if s.close_when_done {
                    prog.push(Stmt::Close(s.to.clone()));
                }
                prog.extend(s.wg.clone().map(Stmt::WgDone));
                prog
            }
            Behavior::Closer(c) => vec![Stmt::WgWait(c.wait.clone()), Stmt::Close(c.close.clone())],
            Behavior::NsqReader(r) => vec![Stmt::Forever(vec![
                Stmt::NsqRead { consumer: r.consumer.clone(), nsqd: r.nsqd.clone() },
                Stmt::Send(r.to.clone()),
            ])],
            Behavior::NsqHandler(h) => {
                let mut body = vec![Stmt::NsqTake];
                body.extend(work_stmts(&h.work));
                body.push(Stmt::NsqFinish);
                vec![Stmt::Range { ch: h.from.clone(), body }]
            }
            Behavior::SieveFilter(f) => vec![
                Stmt::Recv(f.from.clone()),
                Stmt::TakeDivisor,
                Stmt::Range { ch: f.from.clone(), body: vec![Stmt::DropMultiples, Stmt::Send(f.to.clone())] },
                Stmt::Close(f.to.clone()),
            ],
        }
    }
}

/// Work is always present (even 0s) so live edits keep the layout.
fn work_stmts(d: &Dist) -> Vec<Stmt> {
    vec![Stmt::Work(d.clone())]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn program(json: &str) -> Behavior {
        Behavior::Program(serde_json::from_str(json).expect("a program"))
    }

    #[test]
    fn a_producing_loop_program_has_its_pause_as_interval() {
        for json in [
            r#"[{"forever": [{"sleep": "50ms"}, {"kafka_send": {"producer": "p", "topic": "t"}}]}]"#,
            r#"[{"repeat": {"times": 9, "body": [{"sleep": "50ms"}, {"publish": {"nsqd": "nsqd-1", "topic": "t"}}]}}]"#,
            r#"[{"forever": [{"sleep": "50ms"}, {"send": "jobs"}]}]"#,
        ] {
            let mut b = program(json);
            assert_eq!(b.interval_mut().map(|d| d.to_string()), Some("50ms".to_string()), "{json}");
            *b.interval_mut().unwrap() = "5ms".parse().unwrap();
            let Behavior::Program(p) = &b else { unreachable!() };
            let text = serde_json::to_string(p).unwrap();
            assert!(text.contains("\"sleep\":\"5ms\""), "{text}");
        }
    }

    #[test]
    fn other_programs_have_no_interval() {
        for json in [
            r#"[{"forever": [{"send": "jobs"}, {"sleep": "50ms"}]}]"#,
            r#"[{"forever": [{"sleep": "50ms"}, {"recv": "jobs"}]}]"#,
            r#"[{"forever": [{"sleep": "50ms"}, {"send": "a"}, {"send": "b"}]}]"#,
            r#"[{"sleep": "1s"}, {"forever": [{"sleep": "50ms"}, {"send": "jobs"}]}]"#,
            r#"[{"range": {"ch": "jobs", "body": [{"sleep": "50ms"}, {"send": "out"}]}}]"#,
        ] {
            assert!(program(json).interval_mut().is_none(), "{json}");
        }
    }
}
