//! The page's queries on the guarantees book (read-only; linear in the
//! book's size): who published a message, the messages behind a figure of
//! a [`ChannelGuarantees`] row, and one message's life in every channel.
//! The book's semantics are the parent module's.

use super::*;

/// Who published a logical message, and when (the page labels it
/// `producer#value`). The book only keeps it; see [`Guarantees::set_origin`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Origin {
    /// The publishing goroutine.
    pub producer: u32,
    pub value: i64,
    /// When its `Publish` was called.
    pub at: SimTime,
}

/// One figure of a [`ChannelGuarantees`] row: which messages
/// [`Guarantees::messages`] lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Figure {
    Published,
    Finished,
    HandledOnce,
    HandledMoreThanOnce,
    Lost,
    Reordered,
    Live,
}

/// Where a logical message stands in one logical channel (the split of
/// `published`: finished, else live, else lost to its latest cause).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    Finished,
    Live,
    Lost(LossCause),
}

/// One logical message behind a figure (see [`Guarantees::messages`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MessageRow {
    pub logical: Logical,
    pub order: u64,
    pub standing: Standing,
    /// Handlings over all its copies in the channel.
    pub handled: u32,
    /// First handled after a later-published message was.
    pub reordered: bool,
    /// For a lost message: the node where its latest loss happened (None:
    /// the publish never reached a node).
    pub lost_on: Option<u16>,
}

/// One entry of a message's life (see [`Guarantees::life`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyLife {
    /// The node (None: a publish that never reached one).
    pub node: Option<u16>,
    /// The channel name; empty while the topic holds the message.
    pub channel: String,
    /// `TopicHeld` while the topic holds it; a lost entry without a copy
    /// is `Lost`.
    pub place: Place,
    /// nsqd's attempts at the latest delivery.
    pub attempts: u16,
    /// Handlings of this copy.
    pub handled: u32,
}

/// Everything the book knows of one logical message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageLife {
    pub logical: Logical,
    /// Its topic name, if any record names one.
    pub topic: Option<String>,
    pub origin: Option<Origin>,
    /// Its copies (and topic-held and lost-without-a-copy entries), by
    /// node, then channel name.
    pub copies: Vec<CopyLife>,
}

impl Guarantees {
    // ---- the page's queries (read-only; linear in the book's size) --------

    /// Notes who published `logical` and when (kept for the whole run, one
    /// record per message; the figures do not depend on it).
    pub fn set_origin(&mut self, logical: Logical, origin: Origin) {
        self.origins.insert(logical.0, origin);
    }

    /// Who published `logical`, if noted.
    pub fn origin(&self, logical: Logical) -> Option<Origin> {
        self.origins.get(logical.0).copied()
    }

    /// The messages published with value `value`, with their origins, in
    /// publish order (a label names a producer and a value: the caller
    /// picks the producer).
    pub fn with_value(&self, value: i64) -> impl Iterator<Item = (Logical, Origin)> + '_ {
        self.origins.iter().filter(move |(_, o)| o.value == value).map(|(l, o)| (Logical(l), *o))
    }

    /// The logical messages behind `figure` of the `topic`/`channel` row, in
    /// publish order (by `order`), at most `max` (the earliest). Empty for
    /// an unknown channel. `Lost` lists every lost message, whatever the
    /// cause; `Published` lists them all.
    pub fn messages(&self, topic: &str, channel: &str, figure: Figure, max: usize) -> Vec<MessageRow> {
        let Some(&lc) = self.lc_index.get(topic).and_then(|m| m.get(channel)) else {
            return Vec::new();
        };
        let l = &self.lcs[lc as usize];
        let reordered = reordered_in(&l.msgs);
        let mut rows: Vec<MessageRow> = l
            .msgs
            .iter()
            .filter_map(|(logical, m)| {
                let logical = Logical(logical);
                let standing = match m.cat() {
                    Cat::None => return None,
                    Cat::Finished => Standing::Finished,
                    Cat::Live => Standing::Live,
                    Cat::Lost(c) => Standing::Lost(c),
                };
                let row = MessageRow {
                    logical,
                    order: m.order,
                    standing,
                    handled: m.handled,
                    reordered: reordered.contains(&logical),
                    lost_on: None,
                };
                let keep = match figure {
                    Figure::Published => true,
                    Figure::Finished => standing == Standing::Finished,
                    Figure::Live => standing == Standing::Live,
                    Figure::Lost => matches!(standing, Standing::Lost(_)),
                    Figure::HandledOnce => m.handled == 1,
                    Figure::HandledMoreThanOnce => m.handled > 1,
                    Figure::Reordered => row.reordered,
                };
                keep.then_some(row)
            })
            .collect();
        crate::cold_sort::sort_by_key(&mut rows, |r| (r.order, r.logical));
        rows.truncate(max);
        // Where each lost one was lost last: the entry with its latest loss.
        let wanted: BTreeMap<Logical, u64> = rows
            .iter()
            .filter(|r| matches!(r.standing, Standing::Lost(_)))
            .filter_map(|r| l.msgs.get(r.logical.0).and_then(|m| m.last_loss).map(|(seq, _)| (r.logical, seq)))
            .collect();
        if !wanted.is_empty() {
            let mut found = BTreeMap::new();
            for (chan, _, r) in self.all_copies() {
                let c = &self.chans[chan.0 as usize];
                if c.lc == lc && r.last_loss.is_some_and(|(seq, _)| wanted.get(&r.logical) == Some(&seq)) {
                    found.insert(r.logical, Some(self.topics[c.topic.0 as usize].node));
                }
            }
            for g in self.ghosts.iter().filter(|g| g.lc == lc) {
                if wanted.get(&g.logical) == Some(&g.seq) {
                    found.insert(g.logical, g.node);
                }
            }
            for r in &mut rows {
                r.lost_on = found.get(&r.logical).copied().flatten();
            }
        }
        rows
    }

    /// The logical channels (topic, channel) with an entry for `logical`.
    pub fn channels_of(&self, logical: Logical) -> Vec<(&str, &str)> {
        self.sorted_lcs()
            .map(|i| &self.lcs[i as usize])
            .filter(|lc| lc.msgs.contains_key(logical.0))
            .map(|lc| (lc.topic.as_str(), lc.channel.as_str()))
            .collect()
    }

    /// Everything the book knows of `logical`: its origin, and each of its
    /// copies with node, channel, place, attempts and handlings (plus the
    /// topic-held and lost-without-a-copy entries). None if the book never
    /// heard of it.
    pub fn life(&self, logical: Logical) -> Option<MessageLife> {
        let mut topic = None;
        let mut copies = Vec::new();
        for (chan, _, r) in self.all_copies().filter(|(_, _, r)| r.logical == logical) {
            let c = &self.chans[chan.0 as usize];
            let t = &self.topics[c.topic.0 as usize];
            topic.get_or_insert_with(|| t.name.clone());
            copies.push(CopyLife {
                node: Some(t.node),
                channel: self.lcs[c.lc as usize].channel.clone(),
                place: r.place,
                attempts: r.attempts,
                handled: r.handled,
            });
        }
        for (&(tk, _), _) in self.held.iter().filter(|(_, h)| h.logical == logical) {
            let t = &self.topics[tk.0 as usize];
            topic.get_or_insert_with(|| t.name.clone());
            copies.push(CopyLife { node: Some(t.node), channel: String::new(), place: Place::TopicHeld, attempts: 0, handled: 0 });
        }
        for g in self.ghosts.iter().filter(|g| g.logical == logical) {
            let lc = &self.lcs[g.lc as usize];
            topic.get_or_insert_with(|| lc.topic.clone());
            copies.push(CopyLife { node: g.node, channel: lc.channel.clone(), place: Place::Lost(g.cause), attempts: 0, handled: 0 });
        }
        let origin = self.origin(logical);
        if copies.is_empty() && origin.is_none() {
            return None;
        }
        crate::cold_sort::sort_by(&mut copies, |a, b| (a.node, &a.channel).cmp(&(b.node, &b.channel)));
        Some(MessageLife { logical, topic, origin, copies })
    }
}

/// The messages of one logical channel first handled after a
/// later-published one was (the `reordered` figure, message by message).
fn reordered_in(msgs: &SeqMap<MsgRec>) -> std::collections::BTreeSet<Logical> {
    let mut firsts: Vec<(u64, u64, Logical)> =
        msgs.iter().filter(|(_, m)| m.first_handled != 0).map(|(l, m)| (m.first_handled, m.order, Logical(l))).collect();
    crate::cold_sort::sort(&mut firsts);
    let mut max: Option<u64> = None;
    let mut out = std::collections::BTreeSet::new();
    for (_, order, l) in firsts {
        if max.is_some_and(|mx| mx > order) {
            out.insert(l);
        }
        max = Some(max.map_or(order, |mx| mx.max(order)));
    }
    out
}
