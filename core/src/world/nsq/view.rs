//! nsqadmin's view of the NSQ part of a world: nodes, their topics and
//! channels with nsqd's counters (`/stats`).

use super::NsqWorld;
use crate::observe::snapshot::{NsqChannelView, NsqTopicView, NsqView, NsqdView};

impl NsqWorld {
    /// nsqadmin's view: nodes, their topics and channels with counters.
    pub(crate) fn view(&self) -> NsqView {
        NsqView {
            nodes: self
                .nodes
                .iter()
                .zip(&self.names)
                .map(|(n, name)| NsqdView {
                    name: name.clone(),
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
                                channels: t
                                    .channels()
                                    .map(|c| {
                                        let s = c.stats();
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
                                        }
                                    })
                                    .collect(),
                            }
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}
