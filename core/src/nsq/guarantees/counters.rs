//! The counters of a logical channel and the record of each logical
//! message in it ([`Lc`]): every verb updates a message's record and moves
//! the channel's counters from the message's old categories to its new
//! ones, so a report is read off the counters without a scan.

use super::*;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Counters {
    pub(super) published: u64,
    pub(super) finished: u64,
    pub(super) handled_once: u64,
    pub(super) handled_more: u64,
    pub(super) lost: [u64; 7],
    pub(super) reordered: u64,
    pub(super) live: u64,
}

/// One logical message in one logical channel: its entries summed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct MsgRec {
    pub(super) order: u64,
    pub(super) live: u32,
    pub(super) finished: u32,
    pub(super) lost: u32,
    /// (event seq, cause) of the latest loss.
    pub(super) last_loss: Option<(u64, LossCause)>,
    pub(super) handled: u32,
    /// Event seq of the first handling, 0: none.
    pub(super) first_handled: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Cat {
    None,
    Finished,
    Live,
    Lost(LossCause),
}

impl MsgRec {
    pub(super) fn new(order: u64) -> MsgRec {
        MsgRec {
            order,
            ..MsgRec::default()
        }
    }
    pub(super) fn cat(&self) -> Cat {
        match self.last_loss {
            _ if self.finished > 0 => Cat::Finished,
            _ if self.live > 0 => Cat::Live,
            Some((_, c)) => Cat::Lost(c),
            None => Cat::None,
        }
    }
    pub(super) fn settle(&mut self, to: Place, seq: u64) {
        match to {
            Place::Finished => self.finished += 1,
            Place::Lost(c) => {
                self.lost += 1;
                if self.last_loss.is_none_or(|(s, _)| seq > s) {
                    self.last_loss = Some((seq, c));
                }
            }
            _ => self.live += 1,
        }
    }
}

impl Counters {
    pub(super) fn slot(&mut self, c: Cat) -> Option<&mut u64> {
        match c {
            Cat::None => None,
            Cat::Finished => Some(&mut self.finished),
            Cat::Live => Some(&mut self.live),
            Cat::Lost(c) => Some(&mut self.lost[c as usize]),
        }
    }
    pub(super) fn hslot(&mut self, handled: u32) -> Option<&mut u64> {
        match handled {
            0 => None,
            1 => Some(&mut self.handled_once),
            _ => Some(&mut self.handled_more),
        }
    }
    pub(super) fn to_report(self, topic: &str, channel: &str) -> ChannelGuarantees {
        ChannelGuarantees {
            topic: topic.to_string(),
            channel: channel.to_string(),
            published: self.published,
            finished: self.finished,
            handled_once: self.handled_once,
            handled_more_than_once: self.handled_more,
            lost: LossCause::ALL
                .iter()
                .map(|&c| (c, self.lost[c as usize]))
                .filter(|&(_, n)| n > 0)
                .collect(),
            reordered: self.reordered,
            live: self.live,
        }
    }
}

/// A logical channel: its messages and counters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Lc {
    pub(super) topic: String,
    pub(super) channel: String,
    /// By logical message.
    pub(super) msgs: SeqMap<MsgRec>,
    pub(super) n: Counters,
    /// Highest order among messages already handled at least once.
    pub(super) max_handled_order: Option<u64>,
}

impl Lc {
    pub(super) fn order_ok(&self, logical: Logical, order: u64) -> Result<(), BookError> {
        match self.msgs.get(logical.0) {
            Some(m) if m.order != order => Err(BookError::OrderMismatch {
                logical,
                order,
                expected: m.order,
            }),
            _ => Ok(()),
        }
    }

    /// Applies `f` to the message's record (created if new) and moves the
    /// counters from its old categories to its new ones.
    pub(super) fn update(&mut self, logical: Logical, order: u64, f: impl FnOnce(&mut MsgRec)) -> u32 {
        let slot = self.msgs.slot_or_insert_with(logical.0, || MsgRec::new(order));
        self.update_at(slot, f);
        slot
    }

    /// [`Lc::update`] of the message in `slot` of `msgs`.
    #[inline]
    pub(super) fn update_at(&mut self, slot: u32, f: impl FnOnce(&mut MsgRec)) {
        let m = self.msgs.at_mut(slot);
        let (c0, h0, fh0) = (m.cat(), m.handled, m.first_handled);
        f(m);
        let (c1, h1, fh1, order) = (m.cat(), m.handled, m.first_handled, m.order);
        if c0 != c1 {
            if c0 == Cat::None {
                self.n.published += 1;
            }
            if let Some(s) = self.n.slot(c0) {
                *s -= 1;
            }
            if let Some(s) = self.n.slot(c1) {
                *s += 1;
            }
        }
        if h0.min(2) != h1.min(2) {
            if let Some(s) = self.n.hslot(h0) {
                *s -= 1;
            }
            if let Some(s) = self.n.hslot(h1) {
                *s += 1;
            }
        }
        if fh0 == 0 && fh1 != 0 {
            if self.max_handled_order.is_some_and(|mx| mx > order) {
                self.n.reordered += 1;
            }
            self.max_handled_order = Some(self.max_handled_order.map_or(order, |mx| mx.max(order)));
        }
    }
}
