//! What each frame does when it arrives over an NSQ link: at nsqd (PUB,
//! SUB, RDY, FIN, REQ, TOUCH, CLS, a connection's end) and at a client
//! (OK, a message, a refusal, the close). A frame to a node that is down
//! is refused as the host's reset would refuse it.

use super::*;

impl World {
    /// A frame may have arrived on `link`.
    pub(in crate::world) fn net_arrival(&mut self, link: u32, now: SimTime) {
        let Some(nsq) = self.nsq.as_deref_mut() else { return };
        let Some(frame) = nsq.links[link as usize].arrive(now) else { return };
        let frame = match frame {
            Frame::Lookupd(f) => return nsq.lookupd_arrival(*f, &mut self.kit),
            f => f,
        };
        let node = nsq.link_node[link as usize];
        // What each side last heard (its read deadline; see `beat`).
        nsq.beats[beat::pair(link)].heard[link as usize % 2] = now;
        let (rng, queue) = (&mut self.kit.rng, &mut self.kit.queue);
        if nsq.down[usize::from(node)] && link % 2 == 0 {
            // A frame to a node that is down: a new connection is refused
            // (the host answers with a reset); anything else was on a
            // connection that is gone.
            match frame {
                Frame::Pub { g, .. } => {
                    let (_, down) = nsq.conn(g, node);
                    nsq.send(down, Frame::PubRefused { g }, now, rng, queue);
                }
                Frame::Sub { conn } => {
                    let down = nsq.clients[usize::from(conn)].down;
                    nsq.send(down, Frame::SubRefused { conn }, now, rng, queue);
                }
                _ => {}
            }
            return;
        }
        match frame {
            Frame::Cls { conn } => {
                let NsqWorld { nodes, consumers, clients, .. } = &mut *nsq;
                let spec = &consumers[clients[usize::from(conn)].consumer];
                if let Some(ch) = nodes[usize::from(node)].topic_mut(&spec.topic).and_then(|t| t.channel_mut(&spec.channel)) {
                    // nsqd's CLS: the client is closing, nothing more is sent.
                    let _ = ch.ready(u64::from(conn), 0);
                }
                let down = nsq.clients[usize::from(conn)].down;
                nsq.send(down, Frame::CloseWait { conn }, now, rng, queue);
            }
            Frame::CloseWait { conn } => nsq.on_close_wait(conn, &mut self.kit),
            Frame::Bye { conn } => nsq.srv_drop(conn, &mut self.kit),
            Frame::Eof { conn } => {
                nsq.links[link as usize].close();
                nsq.srv_eof(conn, &mut self.kit);
            }
            Frame::SubRefused { conn } => nsq.on_refused(conn, &mut self.kit),
            Frame::PubRefused { g } => self.publish_failed(g, node, now),
            Frame::Sub { conn } => {
                let ci = nsq.clients[usize::from(conn)].consumer;
                nsq.beat_accepted(beat::pair(link), now);
                let (t, c) = (nsq.consumers[ci].topic.clone(), nsq.consumers[ci].channel.clone());
                nsq.lookupd_precreate(node, &t, now, rng);
                let spec = &nsq.consumers[ci];
                // Names were checked with the scenario: nsqd accepts. A new
                // channel takes the topic's backlog.
                if let Ok(report) = nsq.nodes[usize::from(node)].subscribe(&spec.topic, &spec.channel, u64::from(conn), spec.msg_timeout, now, rng) {
                    nsq.book_put(node, &spec.topic.clone(), &report, None);
                }
                let down = nsq.clients[usize::from(conn)].down;
                nsq.send(down, Frame::SubOk { conn }, now, rng, queue);
                nsq.lookupd_sync_channel(node, &t, &c, &mut self.kit);
                if nsq.clients[usize::from(conn)].reader.is_none() {
                    // Its reader is still busy with an earlier connection's
                    // message: it reads nothing of this one yet.
                    nsq.watch_reader(conn, &mut self.kit);
                }
            }
            Frame::SubOk { conn } => {
                let max_rdy = nsq.nodes[usize::from(node)].options().max_rdy_count;
                nsq.on_subscribed(conn, max_rdy, &mut self.kit);
            }
            Frame::Rdy { conn, count } => {
                let NsqWorld { nodes, consumers, clients, links, book, .. } = nsq;
                let spec = &consumers[clients[usize::from(conn)].consumer];
                if let Some(ch) = nodes[usize::from(node)].topic_mut(&spec.topic).and_then(|t| t.channel_mut(&spec.channel)) {
                    let _ = ch.ready(u64::from(conn), count as i64);
                    push_ready(node, ch, clients, links, book, now, rng, queue);
                }
                nsq.arm(node, queue);
            }
            Frame::Msg { conn, msg } => {
                // In the socket until the reader goroutine reads it (hand_over).
                nsq.clients[usize::from(conn)].inbox.push_back((now, msg));
                self.hand_over(conn, now, true);
            }
            Frame::Touch { conn, id } => {
                let NsqWorld { nodes, consumers, clients, .. } = &mut *nsq;
                let spec = &consumers[clients[usize::from(conn)].consumer];
                if let Some(ch) = nodes[usize::from(node)].topic_mut(&spec.topic).and_then(|t| t.channel_mut(&spec.channel)) {
                    if ch.touch(u64::from(conn), id, now).is_err() {
                        self.kit.ledger.record(now, EventKind::NsqTouchFailed, NONE, NONE, None, i64::from(node));
                    }
                }
            }
            Frame::Req { conn, id, delay } => {
                let NsqWorld { nodes, consumers, clients, links, book, .. } = nsq;
                let spec = &consumers[clients[usize::from(conn)].consumer];
                if let Some(ch) = nodes[usize::from(node)].topic_mut(&spec.topic).and_then(|t| t.channel_mut(&spec.channel)) {
                    match ch.requeue(u64::from(conn), id, delay, now) {
                        Err(_) => self.kit.ledger.record(now, EventKind::NsqReqFailed, NONE, NONE, None, i64::from(node)),
                        Ok(r) => {
                            let key = clients[usize::from(conn)].chan_key(book, &spec.topic, &spec.channel);
                            match r {
                                Requeued::Queued(stored) => {
                                    book::debug_ok(book.requeued(key, id));
                                    if stored == Stored::Dropped {
                                        book::debug_ok(book.lost(key, id, LossCause::EphemeralOverflow));
                                    }
                                }
                                Requeued::Deferred { .. } => book::debug_ok(book.deferred(key, id)),
                            }
                        }
                    }
                    push_ready(node, ch, clients, links, book, now, rng, queue);
                }
                nsq.arm(node, queue);
            }
            Frame::Fin { conn, id, unhandled } => {
                let NsqWorld { nodes, consumers, clients, links, book, .. } = nsq;
                let spec = &consumers[clients[usize::from(conn)].consumer];
                if let Some(ch) = nodes[usize::from(node)].topic_mut(&spec.topic).and_then(|t| t.channel_mut(&spec.channel)) {
                    if ch.finish(u64::from(conn), id, now).is_err() {
                        self.kit.ledger.record(now, EventKind::NsqFinFailed, NONE, NONE, None, i64::from(node));
                    } else {
                        let key = clients[usize::from(conn)].chan_key(book, &spec.topic, &spec.channel);
                        // go-nsq's FIN after MaxAttempts: nsqd forgets it,
                        // but it was never handled.
                        book::debug_ok(if unhandled { book.lost(key, id, LossCause::MaxAttempts) } else { book.finished(key, id) });
                    }
                    push_ready(node, ch, clients, links, book, now, rng, queue);
                }
                nsq.arm(node, queue);
            }
            Frame::Pub { g, topic, value, seq, batch, extra_from } => {
                let prog = &self.go.gs[g as usize].prog;
                let name = prog.topics.get(usize::from(topic)).map_or("", |t| t.as_str());
                let held = self.go.gs[g as usize].held;
                nsq.beat_accepted(beat::pair(link), now);
                // Topic names were checked when the program was compiled,
                // so nsqd accepts the PUB.
                nsq.lookupd_precreate(node, name, now, rng);
                // (MPUB: nsqd queues the batch's messages in order.)
                for i in 0..u64::from(batch.max(1)) {
                    let value = if i == 0 { value } else { extra_from.saturating_add(i as i64 - 1) };
                    let body = Body { producer: g, value: value as u64, seq: seq + i };
                    let mut report = std::mem::take(&mut nsq.put_report);
                    let put = match prog.delays.get(usize::from(topic)).copied().flatten() {
                        // The delay was checked (0 to 1h) with the program.
                        Some(d) => nsq.nodes[usize::from(node)].deferred_publish(name, body, (d.as_micros() / 1000) as i64, now).map(|r| report = r),
                        None => nsq.nodes[usize::from(node)].publish_into(name, body, now, &mut report),
                    };
                    debug_assert!(put.is_ok(), "a checked topic name is accepted");
                    if put.is_ok() {
                        nsq.book_put(node, name, &report, Some(seq + i));
                    }
                    nsq.put_report = report;
                    self.kit.ledger.record(now, EventKind::NsqPublished, g, NONE, if i == 0 { held } else { None }, i64::from(node));
                }
                let (_, down) = nsq.conn(g, node);
                nsq.send(down, Frame::PubOk { g }, now, rng, queue);
                nsq.pump_topic(node, name, now, rng, queue);
                nsq.lookupd_sync_topic(node, name, &mut self.kit);
            }
            Frame::PubOk { g } => {
                nsq.publishing.remove(&g);
                if let Some((batch, extra_from)) = nsq.batches.remove(&g) {
                    // MPUB's OK: the batch's other values are published.
                    for i in 0..i64::from(batch) - 1 {
                        self.kit.ledger.batch_extra(extra_from.saturating_add(i), g, true, now);
                    }
                }
                if let Some(r) = nsq.redundant.get_mut(&g) {
                    r.2 = true;
                    if !r.1 {
                        let (go, k) = self.go_kit();
                        return go.net_reply_keep(k, g, u32::from(node), true, now);
                    }
                    nsq.redundant.remove(&g);
                }
                let (go, k) = self.go_kit();
                go.net_reply(k, g, u32::from(node), now);
            }
            // Handled above.
            Frame::Lookupd(_) => {}
        }
    }
}
