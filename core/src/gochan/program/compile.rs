//! The compiler from a [`Stmt`] tree to flat [`Op`]s with jumps, a Go-like
//! listing (one line per statement, each op mapped to its line), and for
//! every pc the channel and WaitGroup operations the goroutine may still
//! perform (what the stuck analysis proves goroutines stuck with).

use super::*;

/// Maximum loop nesting (loop counters are a fixed array per goroutine).
pub const MAX_LOOP_DEPTH: usize = 8;
/// Maximum number of ops in one compiled program.
pub const MAX_OPS: usize = 4096;

/// A compile problem: `path` is relative to the program (`[2].body[0]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileError {
    pub path: String,
    pub message: String,
}

/// Resolves names to ids while compiling.
pub trait Names {
    fn channel(&self, name: &str) -> Option<ChanId>;
    fn waitgroup(&self, name: &str) -> Option<WgId>;
    /// The index of nsqd node `name` in the scenario's `nsq` section.
    fn nsqd(&self, _name: &str) -> Option<u32> {
        None
    }
    /// The index of `consumer`'s connection to `nsqd`.
    fn nsq_conn(&self, _consumer: &str, _nsqd: &str) -> Option<u32> {
        None
    }
    /// The scenario's Kafka names (producers, topics, fetchers).
    fn kafka(&self) -> Option<&crate::kafka::spec::KafkaNames> {
        None
    }
}

struct Compiler<'a> {
    names: &'a dyn Names,
    p: Program,
    errors: Vec<CompileError>,
    /// Open loops: (slot, break fixups, continue target fixups).
    loops: Vec<LoopCtx>,
    /// Whether the current innermost loop body has an op that waits.
    waits: Vec<bool>,
    /// Compiling the `default:` body of a select that has a send case: a
    /// `drop` there is "no room".
    in_send_default: bool,
}

struct LoopCtx {
    breaks: Vec<usize>,
    continues: Vec<usize>,
}

/// Compiles a statement tree. All problems are reported, each with a path.
pub fn compile(stmts: &[Stmt], names: &dyn Names) -> Result<Program, Vec<CompileError>> {
    let mut c = Compiler {
        names,
        p: Program {
            ops: Vec::new(),
            dists: Vec::new(),
            selects: Vec::new(),
            lines: Vec::new(),
            op_line: Vec::new(),
            loop_slots: 0,
            is_sink: true,
            may: Vec::new(),
            topics: Vec::new(),
            delays: Vec::new(),
            resume: Vec::new(),
        },
        errors: Vec::new(),
        loops: Vec::new(),
        waits: vec![false],
        in_send_default: false,
    };
    c.block(stmts, "", 0);
    c.emit_line(Op::End, 0, "return");
    if c.p.ops.len() > MAX_OPS {
        c.err("", format!("program too large: {} operations (limit {MAX_OPS})", c.p.ops.len()));
    }
    if !c.errors.is_empty() {
        return Err(c.errors);
    }
    c.p.is_sink = !c.p.ops.iter().any(|op| matches!(op, Op::Send { .. } | Op::Publish { .. } | Op::KafkaProduce { .. } | Op::KafkaBatchAdd { .. }))
        && !c.p.selects.iter().any(|s| s.cases.iter().any(|k| matches!(k.kind, CaseKind::Send(_))));
    c.p.may = reachability(&c.p);
    c.p.resume = resume_points(&c.p.ops);
    Ok(c.p)
}

/// [`Program::resume`]: `pc + 1`, through every jump from there. A cycle
/// of jumps (an empty `for {}`) stops at a jump, which then runs as an op.
fn resume_points(ops: &[Op]) -> Vec<Pc> {
    (0..ops.len())
        .map(|pc| {
            let mut next = pc + 1;
            for _ in 0..ops.len() {
                match ops.get(next) {
                    Some(Op::Jump { to }) => next = *to as usize,
                    _ => break,
                }
            }
            next as Pc
        })
        .collect()
}

impl Compiler<'_> {
    /// `SendMessage`: the producer must be a sync one of the scenario.
    fn kafka_send(&mut self, k: &KafkaSendStmt, path: &str, ind: u8) {
        let names = self.names.kafka();
        let producer = match names.and_then(|n| n.producer(&k.producer)) {
            Some((i, false)) => i,
            Some((_, true)) => {
                self.err(&format!("{path}.kafka_send.producer"), format!("{} is an async producer: send to {}.input instead", crate::time::echo(&k.producer), k.producer));
                0
            }
            None => {
                self.err(&format!("{path}.kafka_send.producer"), format!("no Kafka producer named {} (the scenario's kafka.producers lists them)", crate::time::echo(&k.producer)));
                0
            }
        };
        let topic = names.and_then(|n| n.topic(&k.topic)).unwrap_or_else(|| {
            self.err(&format!("{path}.kafka_send.topic"), format!("no Kafka topic named {}", crate::time::echo(&k.topic)));
            0
        });
        let op = Op::KafkaProduce { producer: producer as u16, topic: topic as u16 };
        self.emit_line(op, ind, &format!("partition, offset, err := {}.SendMessage(&sarama.ProducerMessage{{Topic: {:?}, Value: v}}) // waits for the ack", k.producer, k.topic));
        self.mark_waits();
    }

    /// An async producer's stage (its index, topic and the channel ids of
    /// `Successes()` / `Errors()` when returned), or a compile error.
    fn async_stage(&mut self, producer: &str, path: &str) -> Option<(usize, usize, Option<u32>, Option<u32>)> {
        let stage = self.names.kafka().and_then(|n| n.async_stage(producer));
        if stage.is_none() {
            self.err(path, format!("no async producer named {}", crate::time::echo(producer)));
        }
        stage
    }

    fn kafka_batch_add(&mut self, producer: &str, broker: u32, path: &str, ind: u8) {
        let Some((p, topic, _, _)) = self.async_stage(producer, path) else { return };
        let broker = broker.min(u32::from(u16::MAX)) as u16;
        self.emit_line(Op::KafkaBatchAdd { producer: p as u16, topic: topic as u16, broker }, ind, "bp.accumulatingBatch.add(v) // sent per Flush; waits only while the batch is full");
    }

    fn kafka_route(&mut self, producer: &str, partitions: u32, path: &str, ind: u8) {
        let Some((p, topic, _, _)) = self.async_stage(producer, path) else { return };
        let cases = partitions.min(u32::from(u16::MAX)) as u16;
        self.emit_line(Op::KafkaRoute { producer: p as u16, topic: topic as u16, cases }, ind, "tp.partitionMessage(v) // the partitioner sets v.Partition");
        self.line(ind, "switch v.Partition { // tp.handlers[v.Partition] <- v".into());
        self.switch_sends(path, ind, (0..u32::from(cases)).map(|i| (i, format!("{producer}.pp{i}"), format!("partition producer {i}, buffered Producer.ChannelBufferSize"))));
    }

    fn kafka_lead(&mut self, producer: &str, partition: u32, brokers: u32, path: &str, ind: u8) {
        let Some((p, topic, _, _)) = self.async_stage(producer, path) else { return };
        let cases = brokers.min(u32::from(u16::MAX)) as u16;
        let index = partition.min(u32::from(u16::MAX)) as u16;
        self.emit_line(
            Op::KafkaLead { producer: p as u16, topic: topic as u16, index, cases },
            ind,
            "pp.updateLeaderIfBrokerProducerIsNil(v) // the leader's broker producer; kept until a retry comes back",
        );
        self.line(ind, "switch pp.leader { // pp.brokerProducer.input <- v".into());
        self.switch_sends(path, ind, (1..=u32::from(cases)).map(|b| (b, format!("{producer}.bp{b}"), format!("broker-{b}'s broker producer, unbuffered"))));
    }

    /// A `switch` whose cases `(label, channel, comment)` each send the
    /// held value on their channel and jump past the last: case `i` starts
    /// at the next op + 2i.
    fn switch_sends(&mut self, path: &str, ind: u8, cases: impl Iterator<Item = (u32, String, String)>) {
        let mut jumps = Vec::new();
        for (label, name, comment) in cases {
            let ch = self.chan(path, &name);
            let l = self.line(ind + 1, format!("case {label}: {name} <- v // {comment}"));
            self.emit(Op::Send { ch }, l);
            jumps.push(self.emit(Op::Jump { to: 0 }, l));
        }
        self.line(ind, "}".into());
        let end = self.pc();
        for j in jumps {
            self.patch(j, end);
        }
    }

    fn kafka_result(&mut self, producer: &str, broker: u32, path: &str, ind: u8) {
        let Some((p, _, _, _)) = self.async_stage(producer, path) else { return };
        let broker = broker.min(u32::from(u16::MAX)) as u16;
        self.emit_line(Op::KafkaResult { producer: p as u16, broker }, ind, "v := <-pending // the next produce response, handed over whole");
        self.mark_waits();
    }

    fn kafka_return(&mut self, producer: &str, broker: u32, path: &str, ind: u8) {
        let Some((p, _, succ, errs)) = self.async_stage(producer, path) else { return };
        self.line(ind, "for _, msg := range v.set.msgs { // bp.handleResponse(v): each message of the response in turn".into());
        let ind = ind + 1;
        let outcome = self.emit_line(Op::KafkaOutcome { on_err: 0 }, ind, "if msg.err == nil {");
        let ind = ind + 1;
        match succ {
            Some(ch) => {
                self.emit_line(Op::Send { ch }, ind, &format!("{producer}.successes <- msg // Return.Successes"));
            }
            None => {
                self.emit_line(Op::KafkaSettle, ind, "// acked (Return.Successes is off: nobody is told)");
            }
        }
        let jump = self.emit_line(Op::Jump { to: 0 }, ind - 1, "} else {");
        let err_at = self.pc();
        match errs {
            Some(ch) => {
                self.emit_line(Op::Send { ch }, ind, &format!("{producer}.errors <- &ProducerError{{msg, err}} // Return.Errors"));
            }
            None => {
                self.emit_line(Op::Drop { cause: DropCause::ProduceFailed }, ind, "// failed (Return.Errors is off: only logged)");
            }
        }
        self.line(ind - 1, "}".into());
        let end = self.pc();
        let broker = broker.min(u32::from(u16::MAX)) as u16;
        self.emit_line(Op::KafkaNext { producer: p as u16, broker, again: outcome as Pc }, ind - 2, "} // the next message of the response, if any");
        self.p.ops[outcome] = Op::KafkaOutcome { on_err: err_at };
        self.p.ops[jump] = Op::Jump { to: end };
    }

    fn err(&mut self, path: &str, message: String) {
        self.errors.push(CompileError { path: path.to_owned(), message });
    }

    fn pc(&self) -> Pc {
        self.p.ops.len() as Pc
    }

    fn line(&mut self, indent: u8, text: String) -> u32 {
        self.p.lines.push(Line { indent, text });
        (self.p.lines.len() - 1) as u32
    }

    fn emit(&mut self, op: Op, line: u32) -> usize {
        self.p.ops.push(op);
        self.p.op_line.push(line);
        self.p.ops.len() - 1
    }

    fn emit_line(&mut self, op: Op, indent: u8, text: &str) -> usize {
        let l = self.line(indent, text.to_owned());
        self.emit(op, l)
    }

    fn chan(&mut self, path: &str, name: &str) -> ChanId {
        self.names.channel(name).unwrap_or_else(|| {
            self.err(path, format!("no channel named {}", crate::time::echo(name)));
            0
        })
    }

    fn wg(&mut self, path: &str, name: &str) -> WgId {
        self.names.waitgroup(name).unwrap_or_else(|| {
            self.err(path, format!("no WaitGroup named {}", crate::time::echo(name)));
            0
        })
    }

    fn dist(&mut self, path: &str, d: &Dist) -> u16 {
        if let Err(m) = d.check() {
            self.err(path, m);
        }
        self.p.dists.push(d.clone());
        (self.p.dists.len() - 1) as u16
    }

    fn mark_waits(&mut self) {
        if let Some(w) = self.waits.last_mut() {
            *w = true;
        }
    }

    fn block(&mut self, stmts: &[Stmt], path: &str, indent: u8) {
        for (i, s) in stmts.iter().enumerate() {
            self.stmt(s, &format!("{path}[{i}]"), indent);
        }
    }

    fn open_loop(&mut self, path: &str) -> u8 {
        // Said once, at the first loop too deep (not once per deeper loop).
        if self.loops.len() == MAX_LOOP_DEPTH {
            self.err(path, format!("loops nested deeper than {MAX_LOOP_DEPTH}"));
        }
        let slot = self.loops.len() as u8;
        self.p.loop_slots = self.p.loop_slots.max(slot + 1);
        self.loops.push(LoopCtx { breaks: Vec::new(), continues: Vec::new() });
        self.waits.push(false);
        slot
    }

    /// Closes a loop: patches `break`s to `end` and `continue`s to `cont`.
    fn close_loop(&mut self, path: &str, cont: Pc, end: Pc) {
        let ctx = self.loops.pop().expect("open loop");
        for at in ctx.breaks {
            self.patch(at, end);
        }
        for at in ctx.continues {
            self.patch(at, cont);
        }
        let waited = self.waits.pop().unwrap_or(true);
        if !waited {
            self.err(
                path,
                "this loop never blocks or waits (no send, receive, blocking select, sleep or work): \
                 it would spin forever at one instant"
                    .into(),
            );
        }
        // A loop that waits makes the enclosing body wait too.
        self.mark_waits();
    }

    fn patch(&mut self, at: usize, to: Pc) {
        match &mut self.p.ops[at] {
            Op::Jump { to: t } | Op::DropMultiples { skip_to: t } | Op::NsqTake { skip_to: t } => *t = to,
            Op::Recv { on_closed: Some(t), .. } => *t = to,
            _ => {}
        }
    }

    fn stmt(&mut self, s: &Stmt, path: &str, ind: u8) {
        match s {
            Stmt::Send(ch) => {
                let id = self.chan(path, ch);
                self.emit_line(Op::Send { ch: id }, ind, &format!("{ch} <- v"));
                self.mark_waits();
            }
            Stmt::Recv(ch) => {
                let id = self.chan(path, ch);
                self.emit_line(Op::Recv { ch: id, on_closed: None }, ind, &format!("v := <-{ch}"));
                self.mark_waits();
            }
            Stmt::Close(ch) => {
                let id = self.chan(path, ch);
                self.emit_line(Op::Close { ch: id }, ind, &format!("close({ch})"));
            }
            Stmt::Work(d) => {
                let i = self.dist(&format!("{path}.work"), d);
                self.emit_line(Op::Work { dist: i }, ind, &format!("process(v) // takes {d}"));
                if !d.is_zero() {
                    self.mark_waits();
                }
            }
            Stmt::Sleep(d) => {
                let i = self.dist(&format!("{path}.sleep"), d);
                self.emit_line(Op::Sleep { dist: i }, ind, &format!("time.Sleep({d})"));
                if !d.is_zero() {
                    self.mark_waits();
                }
            }
            Stmt::Repeat { times, body } => {
                let slot = self.open_loop(path);
                let var = (b'i' + slot) as char;
                let l = self.line(ind, format!("for {var} := 0; {var} < {times}; {var}++ {{"));
                self.emit(Op::LoopInit { slot, times: *times }, l);
                // Skip the body entirely when times == 0.
                let guard = self.emit(Op::Jump { to: 0 }, l);
                let body_start = self.pc();
                self.block(body, &format!("{path}.repeat.body"), ind + 1);
                let cont = self.pc();
                let close = self.line(ind, "}".into());
                self.emit(Op::LoopBack { slot, to: body_start }, close);
                let end = self.pc();
                self.patch(guard, if *times == 0 { end } else { body_start });
                self.close_loop(path, cont, end);
            }
            Stmt::Forever(body) => {
                self.open_loop(path);
                let l = self.line(ind, "for {".into());
                let start = self.pc();
                self.block(body, &format!("{path}.forever"), ind + 1);
                let _ = l;
                let close = self.line(ind, "}".into());
                // An empty forever body still needs an op for its back-edge.
                let back = self.emit(Op::Jump { to: start }, close);
                let end = self.pc();
                self.close_loop(path, back as Pc, end);
                // The loop header line shows the first op of the body.
            }
            Stmt::Range { ch, body } => {
                let id = self.chan(&format!("{path}.range.ch"), ch);
                self.open_loop(path);
                let head = self.emit_line(Op::Recv { ch: id, on_closed: Some(0) }, ind, &format!("for v := range {ch} {{"));
                self.mark_waits();
                self.block(body, &format!("{path}.range.body"), ind + 1);
                let close = self.line(ind, "}".into());
                self.emit(Op::Jump { to: head as Pc }, close);
                let end = self.pc();
                self.patch(head, end);
                self.close_loop(path, head as Pc, end);
            }
            Stmt::Select(sel) => self.select(sel, path, ind),
            Stmt::WgAdd { wg, n } => {
                let id = self.wg(path, wg);
                if i32::try_from(*n).is_err() {
                    self.err(
                        &format!("{path}.wg_add.n"),
                        format!("must be between {} and {} (a WaitGroup's counter is 32 bits), got {n}", i32::MIN, i32::MAX),
                    );
                }
                self.emit_line(Op::WgAdd { wg: id, n: *n }, ind, &format!("{wg}.Add({n})"));
            }
            Stmt::WgDone(wg) => {
                let id = self.wg(path, wg);
                self.emit_line(Op::WgDone { wg: id }, ind, &format!("{wg}.Done()"));
            }
            Stmt::WgWait(wg) => {
                let id = self.wg(path, wg);
                self.emit_line(Op::WgWait { wg: id }, ind, &format!("{wg}.Wait()"));
                self.mark_waits();
            }
            Stmt::TakeDivisor => {
                self.emit_line(Op::TakeDivisor, ind, "prime := v // print(prime)");
            }
            Stmt::DropMultiples => {
                if self.loops.is_empty() {
                    self.err(path, "drop_multiples must be inside a loop".into());
                }
                let at = self.emit_line(Op::DropMultiples { skip_to: 0 }, ind, "if v%prime == 0 { continue }");
                if let Some(l) = self.loops.last_mut() {
                    l.continues.push(at);
                }
            }
            Stmt::Publish(p) => {
                let names = p.nsqd.names();
                if names.is_empty() {
                    self.err(&format!("{path}.publish.nsqd"), "a publish needs at least one nsqd".into());
                }
                let mut nodes = Vec::with_capacity(names.len());
                for (i, n) in names.iter().enumerate() {
                    if names[..i].contains(n) {
                        self.err(&format!("{path}.publish.nsqd"), format!("nsqd {} is listed twice", crate::time::echo(n)));
                    }
                    nodes.push(self.names.nsqd(n).unwrap_or_else(|| {
                        self.err(&format!("{path}.publish.nsqd"), format!("no nsqd named {} (the scenario's nsq.nsqd lists the nodes)", crate::time::echo(n)));
                        0
                    }));
                }
                if let Err(e) = crate::nsq::names::check_topic_name(&p.topic) {
                    self.err(&format!("{path}.publish.topic"), e.to_string());
                }
                if let Some(d) = p.delay {
                    if d > crate::time::SimDuration::from_secs(3600) {
                        self.err(&format!("{path}.publish.delay"), format!("a DPUB delay is at most 1h (nsqd's max-req-timeout), got {d}"));
                    }
                }
                let topic = match self.p.topics.iter().zip(&self.p.delays).position(|(t, d)| *t == p.topic && *d == p.delay) {
                    Some(i) => i,
                    None => {
                        self.p.topics.push(p.topic.clone());
                        self.p.delays.push(p.delay);
                        self.p.topics.len() - 1
                    }
                };
                let batch = p.batch.unwrap_or(1);
                if !(1..=MAX_BATCH).contains(&batch) {
                    self.err(&format!("{path}.publish.batch"), format!("a batch is 1 to {MAX_BATCH} messages, got {batch}"));
                } else if batch > 1 && (nodes.len() > 1 || p.delay.is_some()) {
                    self.err(&format!("{path}.publish.batch"), "MPUB goes to one node and has no delay".into());
                }
                let batch = batch.clamp(1, MAX_BATCH) as u16;
                let last = nodes.len().saturating_sub(1);
                for (i, node) in nodes.into_iter().enumerate() {
                    let op = Op::Publish { node: node as u16, topic: topic.min(usize::from(u16::MAX)) as u16, fresh: i == 0, settle: i == last, batch };
                    let name = &names[i];
                    let line = match p.delay {
                        Some(d) => format!("producer.DeferredPublish({:?}, {d}, v) // to {name}, waits for its response", p.topic),
                        None if batch > 1 => format!("producer.MultiPublish({:?}, batch) // {batch} values to {name}, one response", p.topic),
                        None => format!("producer.Publish({:?}, v) // to {name}, waits for its response", p.topic),
                    };
                    self.emit_line(op, ind, &line);
                    self.mark_waits();
                }
            }
            Stmt::NsqRead { consumer, nsqd } => {
                let conn = self.names.nsq_conn(consumer, nsqd).unwrap_or_else(|| {
                    self.err(path, format!("no connection of consumer {} to {}", crate::time::echo(consumer), crate::time::echo(nsqd)));
                    0
                });
                self.emit_line(Op::NsqRead { conn: conn as u16 }, ind, &format!("m := readMessage(conn) // from {nsqd}"));
                self.mark_waits();
            }
            Stmt::NsqTake => {
                let at = self.emit_line(Op::NsqTake { skip_to: 0 }, ind, "if m.Attempts > MaxAttempts { m.Finish(); continue }");
                if let Some(l) = self.loops.last_mut() {
                    l.continues.push(at);
                }
            }
            Stmt::NsqFinish => {
                self.emit_line(Op::NsqFinish, ind, "err := h.HandleMessage(m) // then FIN, or REQ on error");
            }
            Stmt::KafkaSend(k) => self.kafka_send(k, path, ind),
            Stmt::KafkaBatchAdd { producer, broker } => self.kafka_batch_add(producer, *broker, path, ind),
            Stmt::KafkaReturn { producer, broker } => self.kafka_return(producer, *broker, path, ind),
            Stmt::KafkaResult { producer, broker } => self.kafka_result(producer, *broker, path, ind),
            Stmt::KafkaRoute { producer, partitions } => self.kafka_route(producer, *partitions, path, ind),
            Stmt::KafkaLead { producer, partition, brokers } => self.kafka_lead(producer, *partition, *brokers, path, ind),
            Stmt::KafkaFetch { consumer, partition } => {
                let f = self.names.kafka().and_then(|k| k.fetcher(consumer, *partition)).unwrap_or_else(|| {
                    self.err(path, format!("no partition consumer {} of partition {partition}", crate::time::echo(consumer)));
                    0
                });
                let text = if consumer.contains('-') && self.names.kafka().is_some_and(|k| k.is_member(consumer)) {
                    "v := <-claim.Messages() // waits for a record of its claimed partition".to_string()
                } else {
                    format!("v := pc.fetch() // partition {partition}: waits for a record below the high watermark")
                };
                self.emit_line(Op::KafkaFetch { fetcher: f as u16 }, ind, &text);
                self.mark_waits();
            }
            Stmt::KafkaMark { consumer, partition } => {
                let f = self.names.kafka().and_then(|k| k.fetcher(consumer, *partition)).unwrap_or_else(|| {
                    self.err(path, format!("no claim {partition} of group member {}", crate::time::echo(consumer)));
                    0
                });
                self.emit_line(Op::KafkaMark { fetcher: f as u16 }, ind, "session.MarkMessage(v, \"\") // committed with the next auto-commit");
            }
            Stmt::Drop => {
                let (cause, text) = if self.in_send_default {
                    (DropCause::SelectDefault, "v = nil // no room: dropped")
                } else {
                    (DropCause::Discarded, "v = nil // dropped")
                };
                self.emit_line(Op::Drop { cause }, ind, text);
            }
            Stmt::Break => {
                if self.loops.is_empty() {
                    self.err(path, "break outside a loop".into());
                }
                let at = self.emit_line(Op::Jump { to: 0 }, ind, "break");
                if let Some(l) = self.loops.last_mut() {
                    l.breaks.push(at);
                }
            }
        }
    }

    fn select(&mut self, sel: &SelectStmt, path: &str, ind: u8) {
        let outer_send_default = std::mem::replace(&mut self.in_send_default, false);
        self.select_inner(sel, path, ind);
        self.in_send_default = outer_send_default;
    }

    fn select_inner(&mut self, sel: &SelectStmt, path: &str, ind: u8) {
        let path = format!("{path}.select");
        if sel.cases.is_empty() && sel.after.is_none() && sel.default.is_none() {
            self.err(&path, "an empty select blocks forever; give it at least one case".into());
        }
        let head_line = self.line(ind, "select {".into());
        let idx = self.p.selects.len() as u16;
        self.p.selects.push(CompiledSelect { cases: Vec::new(), default: None, after: None, line: head_line });
        self.emit(Op::Select { sel: idx }, head_line);
        if sel.default.is_none() {
            self.mark_waits();
        }
        let mut ends = Vec::new();
        let mut cases = Vec::new();
        for (i, case) in sel.cases.iter().enumerate() {
            let cpath = format!("{path}.cases[{i}]");
            let (kind, text) = match (&case.send, &case.recv) {
                (Some(ch), None) => (CaseKind::Send(self.chan(&cpath, ch)), format!("case {ch} <- v:")),
                (None, Some(ch)) => (CaseKind::Recv(self.chan(&cpath, ch)), format!("case v, ok := <-{ch}:")),
                _ => {
                    self.err(&cpath, "a case needs exactly one of \"send\" or \"recv\"".into());
                    (CaseKind::Recv(0), String::new())
                }
            };
            if case.break_on_close && matches!(kind, CaseKind::Send(_)) {
                self.err(&cpath, "break_on_close applies to recv cases only".into());
            }
            if case.break_on_close && self.loops.is_empty() {
                self.err(&cpath, "break_on_close needs an enclosing loop".into());
            }
            let l = self.line(ind, text);
            let target = self.pc();
            let mut on_closed = None;
            if case.break_on_close {
                // A jump op placed first in the body would run on ok==true too,
                // so the break target is recorded in the case and patched below.
                let at = self.emit(Op::Jump { to: 0 }, l);
                if let Some(lp) = self.loops.last_mut() {
                    lp.breaks.push(at);
                }
                on_closed = Some(at as Pc);
            }
            let body_start = self.pc();
            self.block(&case.body, &format!("{cpath}.body"), ind + 1);
            ends.push(self.emit(Op::Jump { to: 0 }, l));
            cases.push(CompiledCase { kind, target: if on_closed.is_some() { body_start } else { target }, on_closed });
        }
        let mut after = None;
        if let Some(a) = &sel.after {
            let apath = format!("{path}.after");
            let d = self.dist(&format!("{apath}.wait"), &a.wait);
            let l = self.line(ind, format!("case <-time.After({}):", a.wait));
            let target = self.pc();
            self.block(&a.body, &format!("{apath}.body"), ind + 1);
            ends.push(self.emit(Op::Jump { to: 0 }, l));
            after = Some((d, target));
        }
        let mut default = None;
        if let Some(body) = &sel.default {
            let l = self.line(ind, "default:".into());
            let target = self.pc();
            self.in_send_default = sel.cases.iter().any(|c| c.send.is_some());
            self.block(body, &format!("{path}.default"), ind + 1);
            self.in_send_default = false;
            ends.push(self.emit(Op::Jump { to: 0 }, l));
            default = Some(target);
        }
        self.line(ind, "}".into());
        let end = self.pc();
        for at in ends {
            self.patch(at, end);
        }
        let s = &mut self.p.selects[idx as usize];
        s.cases = cases;
        s.after = after;
        s.default = default;
    }
}

/// Successor pcs of `pc` in the control-flow graph.
fn successors(p: &Program, pc: usize, out: &mut Vec<usize>) {
    let next = pc + 1;
    match p.ops[pc] {
        Op::End => {}
        Op::Jump { to } => out.push(to as usize),
        Op::LoopBack { to, .. } => out.extend([to as usize, next]),
        Op::Recv { on_closed: Some(t), .. } => out.extend([next, t as usize]),
        Op::DropMultiples { skip_to } | Op::NsqTake { skip_to } | Op::KafkaOutcome { on_err: skip_to } | Op::KafkaNext { again: skip_to, .. } => out.extend([next, skip_to as usize]),
        // Each case of the partition switch: its send, then a jump on.
        Op::KafkaRoute { cases, .. } | Op::KafkaLead { cases, .. } => out.extend((0..usize::from(cases)).map(|i| next + 2 * i)),
        Op::Select { sel } => {
            let s = &p.selects[sel as usize];
            for c in &s.cases {
                out.push(c.target as usize);
                if let Some(t) = c.on_closed {
                    out.push(t as usize);
                }
            }
            out.extend(s.default.map(|t| t as usize));
            out.extend(s.after.map(|(_, t)| t as usize));
        }
        _ => out.push(next),
    }
}

fn capabilities(p: &Program, pc: usize, out: &mut Vec<Capability>) {
    match p.ops[pc] {
        Op::Send { ch } => out.push(Capability::Send(ch)),
        Op::Recv { ch, .. } => out.push(Capability::Recv(ch)),
        Op::Close { ch } => out.push(Capability::Close(ch)),
        Op::WgDone { wg } => out.push(Capability::WgDecrement(wg)),
        Op::WgAdd { wg, n } if n < 0 => out.push(Capability::WgDecrement(wg)),
        Op::Select { sel } => {
            for c in &p.selects[sel as usize].cases {
                out.push(match c.kind {
                    CaseKind::Send(ch) => Capability::Send(ch),
                    CaseKind::Recv(ch) => Capability::Recv(ch),
                });
            }
        }
        _ => {}
    }
}

/// For each pc, the capabilities reachable from it (including itself).
fn reachability(p: &Program) -> Vec<Vec<Capability>> {
    let n = p.ops.len();
    let mut result = Vec::with_capacity(n);
    let mut seen = vec![false; n];
    let mut stack = Vec::new();
    let mut succ = Vec::new();
    for start in 0..n {
        seen.iter_mut().for_each(|s| *s = false);
        let mut caps = Vec::new();
        stack.push(start);
        seen[start] = true;
        while let Some(pc) = stack.pop() {
            capabilities(p, pc, &mut caps);
            succ.clear();
            successors(p, pc, &mut succ);
            for &s in &succ {
                if s < n && !seen[s] {
                    seen[s] = true;
                    stack.push(s);
                }
            }
        }
        crate::cold_sort::sort(&mut caps);
        caps.dedup();
        result.push(caps);
    }
    result
}

#[cfg(test)]
mod resume_tests {
    use super::*;

    #[test]
    fn resume_follows_jumps_and_stops_in_a_cycle_of_jumps() {
        let ops = [
            Op::Recv { ch: 0, on_closed: Some(4) }, // 0
            Op::Work { dist: 0 },                   // 1: then the jump at 2, back to 0
            Op::Jump { to: 0 },                     // 2
            Op::Jump { to: 3 },                     // 3: a jump to itself
            Op::Sleep { dist: 0 },                  // 4: then the cycle at 3
            Op::Jump { to: 3 },                     // 5
            Op::End,                                // 6
        ];
        let r = resume_points(&ops);
        assert_eq!(r[1], 0, "the end of a range body resumes at the receive");
        assert_eq!(r[0], 1);
        assert_eq!(r[4], 3, "a cycle of jumps is left to run as ops");
        assert_eq!(r[6], 7, "past the end stays past the end");
    }
}
