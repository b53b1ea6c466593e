//! The book's keys: registering topics and channels per node (idempotent;
//! a retired key's names get a new key in the same logical channel, as
//! nsqd restarts a re-created topic's ids at 0), looking them up, and
//! retiring them (refused while they hold a live copy). See the module docs
//! of [`super`] ("Keys and memory").

use super::{BookError, ChanInfo, ChanKey, Counters, Guarantees, Lc, SeqMap, TopicInfo, TopicKey};
use litemap::LiteMap;

impl Guarantees {
    /// The current key of `topic` on `node` (a new one after a retire).
    pub fn topic(&mut self, node: u16, topic: &str) -> TopicKey {
        if let Some(&k) = self.topic_index.get(&node).and_then(|m| m.get(topic)) {
            return k;
        }
        let k = TopicKey(self.topics.len() as u32);
        self.topics.push(TopicInfo {
            node,
            name: topic.to_string(),
            retired: false,
            chans: LiteMap::new(),
            held: 0,
            lost: [0; 7],
        });
        self.topic_index
            .entry(node)
            .or_default()
            .insert(topic.to_string(), k);
        k
    }

    /// The current key of `channel` of `topic` on `node` (registers the
    /// topic too; a new key after a retire, same logical channel).
    pub fn channel(&mut self, node: u16, topic: &str, channel: &str) -> ChanKey {
        let t = self.topic(node, topic);
        if let Some(&k) = self.topics[t.0 as usize].chans.get(channel) {
            return k;
        }
        let lcs = &mut self.lcs;
        let by_chan = self.lc_index.entry(topic.to_string()).or_default();
        let lc = *by_chan.entry(channel.to_string()).or_insert_with(|| {
            lcs.push(Lc {
                topic: topic.to_string(),
                channel: channel.to_string(),
                msgs: SeqMap::new(),
                n: Counters::default(),
                max_handled_order: None,
            });
            (lcs.len() - 1) as u32
        });
        let k = ChanKey(self.chans.len() as u32);
        self.copies.push(SeqMap::new());
        self.chans.push(ChanInfo {
            topic: t,
            lc,
            retired: false,
            live: 0,
        });
        self.topics[t.0 as usize]
            .chans
            .insert(channel.to_string(), k);
        k
    }

    /// The current key of `channel` of `topic` on `node`, if registered.
    pub fn find_channel(&self, node: u16, topic: &str, channel: &str) -> Option<ChanKey> {
        let t = *self.topic_index.get(&node)?.get(topic)?;
        self.topics[t.0 as usize].chans.get(channel).copied()
    }

    /// Whether `chan` is a registered key not yet retired: then it is the
    /// current key of its names (what [`Guarantees::channel`] returns for
    /// them), so a caller may cache it and check it with this, O(1).
    pub fn is_current(&self, chan: ChanKey) -> bool {
        self.chans.get(chan.0 as usize).is_some_and(|c| !c.retired)
    }

    /// What [`Guarantees::channel`] returns, without looking the names up
    /// when `hint` is already their current key (checked in O(1) plus
    /// comparing the names).
    pub fn channel_hinted(&mut self, hint: Option<ChanKey>, node: u16, topic: &str, channel: &str) -> ChanKey {
        match hint {
            Some(k) if self.is_current(k) && self.channel_names(k) == Some((node, topic, channel)) => k,
            _ => self.channel(node, topic, channel),
        }
    }

    /// The current key of `topic` on `node`, if registered.
    pub fn find_topic(&self, node: u16, topic: &str) -> Option<TopicKey> {
        self.topic_index.get(&node)?.get(topic).copied()
    }

    /// The channel's node, topic name and channel name.
    pub fn channel_names(&self, chan: ChanKey) -> Option<(u16, &str, &str)> {
        let c = self.chans.get(chan.0 as usize)?;
        let t = &self.topics[c.topic.0 as usize];
        let lc = &self.lcs[c.lc as usize];
        Some((t.node, &t.name, &lc.channel))
    }

    /// A deleted (or vanished ephemeral) channel: later registrations of
    /// its names get a new key. Refused while it has live copies.
    pub fn retire_channel(&mut self, chan: ChanKey) -> Result<(), BookError> {
        let c = self.live_chan(chan)?;
        if c.live > 0 {
            return Err(BookError::StillLive { live: c.live });
        }
        let t = c.topic.0 as usize;
        let name = self.lcs[c.lc as usize].channel.clone();
        self.chans[chan.0 as usize].retired = true;
        self.topics[t].chans.remove(&name);
        Ok(())
    }

    /// A deleted topic: retires it and its channels. Refused while it holds
    /// a message or one of its channels a live copy.
    pub fn retire_topic(&mut self, topic: TopicKey) -> Result<(), BookError> {
        let t = self.live_topic(topic)?;
        let live = t.held
            + t.chans
                .values()
                .map(|c| self.chans[c.0 as usize].live)
                .sum::<u64>();
        if live > 0 {
            return Err(BookError::StillLive { live });
        }
        let t = &mut self.topics[topic.0 as usize];
        t.retired = true;
        for (_, c) in std::mem::take(&mut t.chans) {
            self.chans[c.0 as usize].retired = true;
        }
        if let Some(m) = self.topic_index.get_mut(&t.node) {
            m.remove(&t.name);
        }
        Ok(())
    }

    pub(super) fn live_topic(&self, topic: TopicKey) -> Result<&TopicInfo, BookError> {
        match self.topics.get(topic.0 as usize) {
            None => Err(BookError::UnknownTopic(topic)),
            Some(t) if t.retired => Err(BookError::RetiredTopic(topic)),
            Some(t) => Ok(t),
        }
    }

    pub(super) fn live_chan(&self, chan: ChanKey) -> Result<&ChanInfo, BookError> {
        match self.chans.get(chan.0 as usize) {
            None => Err(BookError::UnknownChannel(chan)),
            Some(c) if c.retired => Err(BookError::RetiredChannel(chan)),
            Some(c) => Ok(c),
        }
    }

    /// Logical channels known for a topic name.
    pub(super) fn lcs_of(&self, topic: &str) -> Vec<u32> {
        self.lc_index
            .get(topic)
            .map_or(Vec::new(), |m| m.values().copied().collect())
    }

    pub(super) fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }
}
