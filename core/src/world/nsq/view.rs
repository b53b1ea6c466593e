//! nsqadmin's view of the NSQ part of a world: nodes, their topics and
//! channels with nsqd's counters (`/stats`), each channel's E2E processing
//! latency and its client connections.

use super::NsqWorld;
use crate::nsq::nsqd::channel::Channel;
use crate::observe::snapshot::{NsqChannelView, NsqClientView, NsqTopicView, NsqView, NsqdView};

impl NsqWorld {
    /// nsqadmin's view: nodes, their topics and channels with counters.
    pub(crate) fn view(&self) -> NsqView {
        NsqView {
            nodes: self
                .nodes
                .iter()
                .zip(&self.names)
                .enumerate()
                .map(|(i, (n, name))| NsqdView {
                    name: name.clone(),
                    expiry: if self.scans[i].is_some() { crate::nsq::spec::Expiry::Sampled } else { crate::nsq::spec::Expiry::Exact },
                    down: self.down[i],
                    topics: n
                        .topics()
                        .map(|t| {
                            let s = t.stats();
                            NsqTopicView {
                                name: t.name().to_string(),
                                depth: s.depth,
                                memory_depth: s.memory_depth,
                                backend_depth: s.backend_depth,
                                message_count: s.message_count,
                                paused: s.paused,
                                channels: t.channels().map(|c| self.channel_view(c)).collect(),
                            }
                        })
                        .collect(),
                })
                .collect(),
            guarantees: self.book.report(),
            lookupd: self.lookupd_view(),
        }
    }

    fn channel_view(&self, c: &Channel) -> NsqChannelView {
        let s = c.stats();
        let e2e = c.e2e_latency();
        let (p50, p99) = if e2e.count() > 0 {
            let (p50, p99) = e2e.p50_p99();
            (Some(p50), Some(p99))
        } else {
            (None, None)
        };
        NsqChannelView {
            name: c.name().to_string(),
            depth: s.depth,
            memory_depth: s.memory_depth,
            backend_depth: s.backend_depth,
            in_flight: s.in_flight_count,
            deferred: s.deferred_count,
            message_count: s.message_count,
            requeue_count: s.requeue_count,
            timeout_count: s.timeout_count,
            client_count: s.client_count,
            paused: s.paused,
            e2e_p50_us: p50,
            e2e_p99_us: p99,
            clients: c
                .clients()
                .map(|(id, cs)| NsqClientView {
                    id,
                    name: self.client_name(id),
                    ready_count: cs.ready_count,
                    in_flight_count: cs.in_flight_count,
                    message_count: cs.message_count,
                    finish_count: cs.finish_count,
                    requeue_count: cs.requeue_count,
                })
                .collect(),
        }
    }

    /// "worker conn2": the consumer of connection `id` and which of its
    /// connections it is, from 1 (as its reader goroutine `worker.conn2`).
    fn client_name(&self, id: u64) -> String {
        let conn = usize::try_from(id).ok().filter(|&i| i < self.clients.len());
        let Some((i, spec)) = conn.and_then(|i| self.consumers.get(self.clients[i].consumer).map(|s| (i, s))) else {
            return format!("client {id}");
        };
        let consumer = self.clients[i].consumer;
        let k = self.clients[..i].iter().filter(|c| c.consumer == consumer).count() + 1;
        format!("{} conn{k}", spec.name)
    }
}
