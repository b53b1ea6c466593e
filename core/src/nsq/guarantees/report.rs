//! Reading the guarantees book: where a copy is, every copy, the losses
//! that never reached a channel, the per-channel report, and the
//! consistency check the tests and the fuzzer run after every event (the
//! report recounted from the records must equal the running counters).

use super::*;

impl Guarantees {
    /// Where a copy is (None: no such copy).
    pub fn place(&self, chan: ChanKey, id: MessageId) -> Option<Place> {
        self.copies.get(chan.0 as usize)?.get(id).map(|r| r.place)
    }

    /// `Some(TopicHeld)` while the topic holds the message.
    pub fn topic_place(&self, topic: TopicKey, id: MessageId) -> Option<Place> {
        self.held.get(&(topic, id)).map(|_| Place::TopicHeld)
    }

    /// Every copy ever made, by channel key and id.
    pub fn copies(&self) -> impl Iterator<Item = (ChanKey, MessageId, CopyInfo)> + '_ {
        self.all_copies().map(|(c, id, r)| {
            let info = CopyInfo {
                logical: r.logical,
                order: r.order,
                place: r.place,
                handled: r.handled,
                attempts: r.attempts,
            };
            (c, id, info)
        })
    }

    /// Every copy record, by channel key and id.
    pub(super) fn all_copies(&self) -> impl Iterator<Item = (ChanKey, MessageId, &CopyRec)> + '_ {
        self.copies
            .iter()
            .enumerate()
            .flat_map(|(c, m)| m.iter().map(move |(id, r)| (ChanKey(c as u32), id, r)))
    }

    /// Lost entries without a copy: (topic, channel, logical, order, cause).
    pub fn unreached(&self) -> impl Iterator<Item = (&str, &str, Logical, u64, LossCause)> + '_ {
        self.ghosts.iter().map(|g| {
            let lc = &self.lcs[g.lc as usize];
            (
                lc.topic.as_str(),
                lc.channel.as_str(),
                g.logical,
                g.order,
                g.cause,
            )
        })
    }

    /// The incremental counters, by (topic, channel).
    pub fn report(&self) -> Vec<ChannelGuarantees> {
        self.sorted_lcs()
            .map(|i| {
                let lc = &self.lcs[i as usize];
                lc.n.to_report(&lc.topic, &lc.channel)
            })
            .collect()
    }

    /// The same figures recomputed from the per-copy records (slow).
    pub fn recount(&self) -> Vec<ChannelGuarantees> {
        let (_, counters) = self.rebuild();
        self.sorted_lcs()
            .map(|i| {
                let lc = &self.lcs[i as usize];
                counters[i as usize].0.to_report(&lc.topic, &lc.channel)
            })
            .collect()
    }

    pub(super) fn sorted_lcs(&self) -> impl Iterator<Item = u32> + '_ {
        self.lc_index.values().flat_map(|m| m.values().copied())
    }

    /// Per logical channel: message records and (counters, max handled
    /// order), from the copies and lost entries alone.
    #[allow(clippy::type_complexity)]
    fn rebuild(&self) -> (Vec<SeqMap<MsgRec>>, Vec<(Counters, Option<u64>)>) {
        let mut msgs: Vec<SeqMap<MsgRec>> = (0..self.lcs.len()).map(|_| SeqMap::new()).collect();
        for (chan, _, r) in self.all_copies() {
            let lc = self.chans[chan.0 as usize].lc as usize;
            let slot = msgs[lc].slot_or_insert_with(r.logical.0, || MsgRec::new(r.order));
            let m = msgs[lc].at_mut(slot);
            if r.place.is_live() {
                m.live += 1;
            }
            if r.finished_once {
                m.finished += 1;
            }
            if let Place::Lost(_) = r.place {
                m.lost += 1;
            }
            if let Some((seq, c)) = r.last_loss {
                if m.last_loss.is_none_or(|(s, _)| seq > s) {
                    m.last_loss = Some((seq, c));
                }
            }
            m.handled += r.handled;
            if r.first_handled != 0 && (m.first_handled == 0 || r.first_handled < m.first_handled) {
                m.first_handled = r.first_handled;
            }
        }
        for g in &self.ghosts {
            let slot = msgs[g.lc as usize].slot_or_insert_with(g.logical.0, || MsgRec::new(g.order));
            let m = msgs[g.lc as usize].at_mut(slot);
            m.settle(Place::Lost(g.cause), g.seq);
        }
        let counters = msgs
            .iter()
            .map(|ms| {
                let mut n = Counters::default();
                let mut firsts = Vec::new();
                for (_, m) in ms.iter() {
                    n.published += 1;
                    if let Some(s) = n.slot(m.cat()) {
                        *s += 1;
                    }
                    if let Some(s) = n.hslot(m.handled) {
                        *s += 1;
                    }
                    if m.first_handled != 0 {
                        firsts.push((m.first_handled, m.order));
                    }
                }
                crate::cold_sort::sort(&mut firsts);
                let mut max = None;
                for (_, order) in firsts {
                    if max.is_some_and(|mx| mx > order) {
                        n.reordered += 1;
                    }
                    max = Some(max.map_or(order, |mx: u64| mx.max(order)));
                }
                (n, max)
            })
            .collect();
        (msgs, counters)
    }

    /// Every copy in exactly one place, the incremental records and
    /// counters equal to a recount, and finished + live + lost = published.
    pub fn check(&self) -> Result<(), String> {
        let (msgs, counters) = self.rebuild();
        let mut chan_live = vec![0u64; self.chans.len()];
        for (chan, id, r) in self.all_copies() {
            let c = self
                .chans
                .get(chan.0 as usize)
                .ok_or(format!("copy of unknown {chan:?}"))?;
            if r.place == Place::TopicHeld {
                return Err(format!("copy {chan:?}/{id} is TopicHeld"));
            }
            if r.place.is_live() {
                chan_live[chan.0 as usize] += 1;
            }
            if !c.retired && self.held.contains_key(&(c.topic, id)) {
                return Err(format!(
                    "{id} is both held by {:?} and in {chan:?}",
                    c.topic
                ));
            }
        }
        for (i, c) in self.chans.iter().enumerate() {
            if c.live != chan_live[i] {
                return Err(format!(
                    "channel {i}: live {} != {} copies",
                    c.live, chan_live[i]
                ));
            }
        }
        for (i, t) in self.topics.iter().enumerate() {
            let held = self
                .held
                .range((TopicKey(i as u32), 0)..=(TopicKey(i as u32), u64::MAX))
                .count();
            if t.held != held as u64 {
                return Err(format!("topic {}: held {} != {held}", t.name, t.held));
            }
        }
        for (i, lc) in self.lcs.iter().enumerate() {
            let name = format!("{}/{}", lc.topic, lc.channel);
            if lc.msgs != msgs[i] {
                return Err(format!("{name}: message records differ from a recount"));
            }
            if (lc.n, lc.max_handled_order) != counters[i] {
                return Err(format!(
                    "{name}: counters {:?} != recount {:?}",
                    lc.n, counters[i].0
                ));
            }
            let n = &lc.n;
            if n.finished + n.live + n.lost.iter().sum::<u64>() != n.published {
                return Err(format!("{name}: finished + live + lost != published"));
            }
            if n.handled_once + n.handled_more > n.published {
                return Err(format!("{name}: more handled than published"));
            }
        }
        Ok(())
    }
}
