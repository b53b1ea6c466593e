//! nsqlookupd (nsqio/nsq v1.3, `nsqlookupd/registration_db.go`,
//! `lookup_protocol_v1.go`, `http.go`, `options.go`) as a plain state
//! machine. Several lookupds are independent [`Lookupd`] values.
//!
//! # Semantics
//! - Every nsqd keeps one TCP connection (a **peer**) to every lookupd,
//!   sends `IDENTIFY` (its address and ports: here its [`NodeId`]), then
//!   `REGISTER topic [channel]` for everything it has and `PING` every 15 s.
//! - The DB maps registrations `(category, topic, channel)` to producers
//!   keyed by peer. `REGISTER t c` adds the peer under `(channel, t, c)` and
//!   `(topic, t, "")`; `REGISTER t` only the latter. `UNREGISTER t c`
//!   removes it from the channel (and drops the key of an ephemeral channel
//!   left without producers); `UNREGISTER t` removes it from every channel
//!   of `t` and from `t` (dropping an ephemeral topic's key). Removing a
//!   producer otherwise leaves the key, so the topic/channel stays listed.
//! - IDENTIFY and PING set the peer's `last_update`. A dropped connection
//!   removes all of that peer's registrations at once (keys stay).
//! - `lookup(t)` (`/lookup?topic=t`): 404 `TOPIC_NOT_FOUND` without a topic
//!   key; else the channels of `t` and the producers of `t`, leaving out
//!   peers with `now - last_update > 300 s` (hidden, not removed) and
//!   producers tombstoned less than 45 s ago (`FilterByActive`).
//! - `/topic/tombstone?topic=t&node=n` marks n's producer entry under
//!   `(topic, t)` only; other topics of n and `/nodes` listing are
//!   unaffected. A reconnecting nsqd is a new peer, hence not tombstoned.
//! - Errors are nsqlookupd's: REGISTER/UNREGISTER before IDENTIFY, a second
//!   IDENTIFY, bad names are fatal: the connection closes, which removes the
//!   peer's registrations.
//!
//! # Simplifications
//! Peers, nodes and lookupds are small integers; PeerInfo's addresses,
//! ports, version and topology are the world's. Answers list producers by
//! peer id, not in Go's map order.

use crate::nsq::names::{is_ephemeral, is_valid_name};
use crate::time::{echo, SimDuration, SimTime};
use litemap::LiteMap;
use std::fmt;

/// An nsqd node (its broadcast address and ports).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u32);
/// One nsqlookupd instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LookupdId(pub u32);
/// One TCP connection from an nsqd to a lookupd (nsqlookupd keys producers
/// by the connection's remote address).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PeerId(pub u64);

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "nsqd-{}", self.0)
    }
}
impl fmt::Display for LookupdId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "nsqlookupd-{}", self.0)
    }
}
impl fmt::Display for PeerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "peer-{}", self.0)
    }
}

/// How often nsqd pings each lookupd (`nsqd/lookup.go`, 15 s ticker).
pub const PING_INTERVAL: SimDuration = SimDuration::from_secs(15);

/// nsqlookupd's options (`options.go` defaults).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LookupdOptions {
    /// `--inactive-producer-timeout` (300 s).
    pub inactive_producer_timeout: SimDuration,
    /// `--tombstone-lifetime` (45 s).
    pub tombstone_lifetime: SimDuration,
}

impl Default for LookupdOptions {
    fn default() -> Self {
        LookupdOptions {
            inactive_producer_timeout: SimDuration::from_secs(300),
            tombstone_lifetime: SimDuration::from_secs(45),
        }
    }
}

/// A registration's category.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    Client,
    Topic,
    Channel,
}

/// A registration key (`Registration{Category, Key, SubKey}`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Registration {
    pub category: Category,
    pub key: String,
    pub subkey: String,
}

impl Registration {
    pub fn new(category: Category, key: &str, subkey: &str) -> Self {
        Registration {
            category,
            key: key.to_string(),
            subkey: subkey.to_string(),
        }
    }
    /// `IsMatch`: `"*"` matches any key or subkey.
    pub fn is_match(&self, category: Category, key: &str, subkey: &str) -> bool {
        self.category == category
            && (key == "*" || self.key == key)
            && (subkey == "*" || self.subkey == subkey)
    }
}

/// What a lookupd knows of a peer after IDENTIFY (`PeerInfo`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerInfo {
    pub node: NodeId,
    /// IDENTIFY or the last PING.
    pub last_update: SimTime,
}

/// A producer entry under one registration (`Producer`): the peer, and
/// when it was tombstoned for this registration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Producer {
    pub peer: PeerId,
    pub tombstoned_at: Option<SimTime>,
}

impl Producer {
    /// `IsTombstoned(lifetime)`: tombstoned less than `lifetime` ago.
    pub fn is_tombstoned(&self, lifetime: SimDuration, now: SimTime) -> bool {
        matches!(self.tombstoned_at, Some(t) if now.since(t) < lifetime)
    }
}

/// The registration DB (`RegistrationDB`), deterministic: ordered maps.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegistrationDb {
    map: LiteMap<Registration, LiteMap<PeerId, Producer>>,
}

impl RegistrationDb {
    /// `AddRegistration`: the key, without producers.
    pub fn add_registration(&mut self, k: Registration) {
        self.map.entry(k).or_default();
    }
    /// `AddProducer`: true if the peer was not there (an existing entry,
    /// with its tombstone, is kept).
    pub fn add_producer(&mut self, k: Registration, peer: PeerId) -> bool {
        let producers = self.map.entry(k).or_default();
        if producers.contains_key(&peer) {
            return false;
        }
        producers.insert(
            peer,
            Producer {
                peer,
                tombstoned_at: None,
            },
        );
        true
    }
    /// `RemoveProducer`: (removed, producers left). The key stays.
    pub fn remove_producer(&mut self, k: &Registration, peer: PeerId) -> (bool, usize) {
        match self.map.get_mut(k) {
            None => (false, 0),
            Some(p) => {
                let removed = p.remove(&peer).is_some();
                (removed, p.len())
            }
        }
    }
    /// `RemoveRegistration`: the key and its producers.
    pub fn remove_registration(&mut self, k: &Registration) {
        self.map.remove(k);
    }
    /// `FindRegistrations` (`"*"` is a wildcard), in key order.
    pub fn find_registrations(
        &self,
        category: Category,
        key: &str,
        subkey: &str,
    ) -> Vec<Registration> {
        self.map
            .keys()
            .filter(|k| k.is_match(category, key, subkey))
            .cloned()
            .collect()
    }
    /// `FindProducers`: the producers of every matching key, each peer once
    /// (the first entry found, in key order).
    pub fn find_producers(&self, category: Category, key: &str, subkey: &str) -> Vec<Producer> {
        let mut seen: LiteMap<PeerId, Producer> = LiteMap::new();
        for (k, producers) in &self.map {
            if !k.is_match(category, key, subkey) {
                continue;
            }
            for (peer, p) in producers {
                seen.entry(*peer).or_insert(*p);
            }
        }
        seen.into_iter().map(|(_, p)| p).collect()
    }
    /// `LookupRegistrations`: every key this peer is a producer of.
    pub fn lookup_registrations(&self, peer: PeerId) -> Vec<Registration> {
        self.map
            .iter()
            .filter(|(_, p)| p.contains_key(&peer))
            .map(|(k, _)| k.clone())
            .collect()
    }
    /// Tombstone `peer`'s entry under `k` (`Producer.Tombstone`).
    pub fn tombstone(&mut self, k: &Registration, peer: PeerId, now: SimTime) -> bool {
        match self.map.get_mut(k).and_then(|p| p.get_mut(&peer)) {
            Some(p) => {
                p.tombstoned_at = Some(now);
                true
            }
            None => false,
        }
    }
}

/// A command or request nsqlookupd refuses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LookupdError {
    /// `E_INVALID client must IDENTIFY` (fatal).
    MustIdentify,
    /// `E_INVALID cannot IDENTIFY again` (fatal).
    AlreadyIdentified,
    /// `E_BAD_TOPIC` (fatal over TCP; HTTP 400 `INVALID_ARG_TOPIC`).
    BadTopic(String),
    /// `E_BAD_CHANNEL` (fatal over TCP; HTTP 400 `INVALID_ARG_CHANNEL`).
    BadChannel(String),
    /// No such connection (the world's bookkeeping, not nsqlookupd's).
    UnknownPeer(PeerId),
    /// The peer id is already connected.
    DuplicatePeer(PeerId),
    /// HTTP 404 `TOPIC_NOT_FOUND`.
    TopicNotFound(String),
    /// HTTP 404 `CHANNEL_NOT_FOUND`.
    ChannelNotFound(String),
}

impl LookupdError {
    /// Whether nsqlookupd closed the connection (`FatalClientErr`); the
    /// peer's registrations are then gone.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            LookupdError::MustIdentify
                | LookupdError::AlreadyIdentified
                | LookupdError::BadTopic(_)
                | LookupdError::BadChannel(_)
        )
    }
}

impl fmt::Display for LookupdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LookupdError::MustIdentify => f.write_str("E_INVALID client must IDENTIFY"),
            LookupdError::AlreadyIdentified => f.write_str("E_INVALID cannot IDENTIFY again"),
            LookupdError::BadTopic(t) => write!(f, "E_BAD_TOPIC topic name {} is not valid", echo(t)),
            LookupdError::BadChannel(c) => {
                write!(f, "E_BAD_CHANNEL channel name {} is not valid", echo(c))
            }
            LookupdError::UnknownPeer(p) => write!(f, "unknown connection {p}"),
            LookupdError::DuplicatePeer(p) => write!(f, "connection {p} already open"),
            LookupdError::TopicNotFound(_) => f.write_str("TOPIC_NOT_FOUND"),
            LookupdError::ChannelNotFound(_) => f.write_str("CHANNEL_NOT_FOUND"),
        }
    }
}

impl std::error::Error for LookupdError {}

/// The answer to `/lookup?topic=t`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LookupAnswer {
    pub channels: Vec<String>,
    /// The active, non-tombstoned producers, by peer id.
    pub producers: Vec<NodeId>,
}

/// One entry of `/nodes`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeEntry {
    pub peer: PeerId,
    pub node: NodeId,
    /// The node's topics with their tombstone flag.
    pub topics: Vec<(String, bool)>,
}

/// One nsqlookupd.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lookupd {
    pub opts: LookupdOptions,
    /// Open connections; `None` until IDENTIFY.
    peers: LiteMap<PeerId, Option<PeerInfo>>,
    db: RegistrationDb,
}

impl Lookupd {
    pub fn new(opts: LookupdOptions) -> Self {
        Lookupd {
            opts,
            ..Lookupd::default()
        }
    }
    pub fn db(&self) -> &RegistrationDb {
        &self.db
    }
    pub fn peer(&self, peer: PeerId) -> Option<PeerInfo> {
        self.peers.get(&peer).copied().flatten()
    }

    /// An nsqd opened a connection.
    pub fn on_connect(&mut self, peer: PeerId) -> Result<(), LookupdError> {
        if self.peers.contains_key(&peer) {
            return Err(LookupdError::DuplicatePeer(peer));
        }
        self.peers.insert(peer, None);
        Ok(())
    }

    /// The connection closed (or broke): every registration of the peer
    /// goes at once; the keys stay.
    pub fn on_disconnect(&mut self, peer: PeerId) -> Result<(), LookupdError> {
        let info = self
            .peers
            .remove(&peer)
            .ok_or(LookupdError::UnknownPeer(peer))?;
        if info.is_some() {
            for r in self.db.lookup_registrations(peer) {
                self.db.remove_producer(&r, peer);
            }
        }
        Ok(())
    }

    fn fatal(&mut self, peer: PeerId, e: LookupdError) -> LookupdError {
        let _ = self.on_disconnect(peer);
        e
    }

    fn identified(&mut self, peer: PeerId) -> Result<(), LookupdError> {
        match self.peers.get(&peer) {
            None => Err(LookupdError::UnknownPeer(peer)),
            Some(None) => Err(self.fatal(peer, LookupdError::MustIdentify)),
            Some(Some(_)) => Ok(()),
        }
    }

    /// `IDENTIFY`: the peer is nsqd `node`; `last_update = now`; registered
    /// under the `client` category.
    pub fn identify(
        &mut self,
        peer: PeerId,
        node: NodeId,
        now: SimTime,
    ) -> Result<(), LookupdError> {
        match self.peers.get(&peer) {
            None => Err(LookupdError::UnknownPeer(peer)),
            Some(Some(_)) => Err(self.fatal(peer, LookupdError::AlreadyIdentified)),
            Some(None) => {
                self.peers.insert(
                    peer,
                    Some(PeerInfo {
                        node,
                        last_update: now,
                    }),
                );
                self.db
                    .add_producer(Registration::new(Category::Client, "", ""), peer);
                Ok(())
            }
        }
    }

    /// `PING`: `last_update = now` (before IDENTIFY it does nothing).
    pub fn ping(&mut self, peer: PeerId, now: SimTime) -> Result<(), LookupdError> {
        match self.peers.get_mut(&peer) {
            None => Err(LookupdError::UnknownPeer(peer)),
            Some(info) => {
                if let Some(i) = info {
                    i.last_update = now;
                }
                Ok(())
            }
        }
    }

    fn check_names(
        &mut self,
        peer: PeerId,
        topic: &str,
        channel: Option<&str>,
    ) -> Result<(), LookupdError> {
        self.identified(peer)?;
        if !is_valid_name(topic) {
            return Err(self.fatal(peer, LookupdError::BadTopic(topic.to_string())));
        }
        if let Some(c) = channel {
            if !is_valid_name(c) {
                return Err(self.fatal(peer, LookupdError::BadChannel(c.to_string())));
            }
        }
        Ok(())
    }

    /// `REGISTER topic [channel]` (an empty channel means none).
    pub fn register(
        &mut self,
        peer: PeerId,
        topic: &str,
        channel: Option<&str>,
    ) -> Result<(), LookupdError> {
        let channel = channel.filter(|c| !c.is_empty());
        self.check_names(peer, topic, channel)?;
        if let Some(c) = channel {
            self.db
                .add_producer(Registration::new(Category::Channel, topic, c), peer);
        }
        self.db
            .add_producer(Registration::new(Category::Topic, topic, ""), peer);
        Ok(())
    }

    /// `UNREGISTER topic [channel]`.
    pub fn unregister(
        &mut self,
        peer: PeerId,
        topic: &str,
        channel: Option<&str>,
    ) -> Result<(), LookupdError> {
        let channel = channel.filter(|c| !c.is_empty());
        self.check_names(peer, topic, channel)?;
        match channel {
            Some(c) => {
                let key = Registration::new(Category::Channel, topic, c);
                let (_, left) = self.db.remove_producer(&key, peer);
                if left == 0 && is_ephemeral(c) {
                    self.db.remove_registration(&key);
                }
            }
            None => {
                for r in self.db.find_registrations(Category::Channel, topic, "*") {
                    self.db.remove_producer(&r, peer);
                }
                let key = Registration::new(Category::Topic, topic, "");
                let (_, left) = self.db.remove_producer(&key, peer);
                if left == 0 && is_ephemeral(topic) {
                    self.db.remove_registration(&key);
                }
            }
        }
        Ok(())
    }

    /// `FilterByActive(inactive, tombstone)` over producers.
    fn active(
        &self,
        producers: Vec<Producer>,
        tombstone: SimDuration,
        now: SimTime,
    ) -> Vec<Producer> {
        producers
            .into_iter()
            .filter(|p| {
                let Some(info) = self.peer(p.peer) else {
                    return false;
                };
                now.since(info.last_update) <= self.opts.inactive_producer_timeout
                    && !p.is_tombstoned(tombstone, now)
            })
            .collect()
    }

    /// `GET /lookup?topic=t`.
    pub fn lookup(&self, topic: &str, now: SimTime) -> Result<LookupAnswer, LookupdError> {
        if self
            .db
            .find_registrations(Category::Topic, topic, "")
            .is_empty()
        {
            return Err(LookupdError::TopicNotFound(topic.to_string()));
        }
        let channels = self.channels(topic);
        let producers = self.db.find_producers(Category::Topic, topic, "");
        let producers = self.active(producers, self.opts.tombstone_lifetime, now);
        let producers = producers
            .iter()
            .filter_map(|p| self.peer(p.peer).map(|i| i.node))
            .collect();
        Ok(LookupAnswer {
            channels,
            producers,
        })
    }

    /// `GET /topics`.
    pub fn topics(&self) -> Vec<String> {
        let t = self.db.find_registrations(Category::Topic, "*", "");
        t.into_iter().map(|r| r.key).collect()
    }

    /// `GET /channels?topic=t`.
    pub fn channels(&self, topic: &str) -> Vec<String> {
        let c = self.db.find_registrations(Category::Channel, topic, "*");
        c.into_iter().map(|r| r.subkey).collect()
    }

    /// `GET /nodes`: active peers (tombstones not filtered) with their
    /// topics and tombstone flags.
    pub fn nodes(&self, now: SimTime) -> Vec<NodeEntry> {
        let clients = self.db.find_producers(Category::Client, "", "");
        let clients = self.active(clients, SimDuration::ZERO, now);
        let life = self.opts.tombstone_lifetime;
        clients
            .into_iter()
            .filter_map(|p| {
                let info = self.peer(p.peer)?;
                let topics = self
                    .db
                    .lookup_registrations(p.peer)
                    .into_iter()
                    .filter(|r| r.category == Category::Topic)
                    .map(|r| {
                        let t = self
                            .db
                            .map
                            .get(&r)
                            .and_then(|m| m.get(&p.peer))
                            .is_some_and(|e| e.is_tombstoned(life, now));
                        (r.key, t)
                    })
                    .collect();
                Some(NodeEntry {
                    peer: p.peer,
                    node: info.node,
                    topics,
                })
            })
            .collect()
    }

    /// `POST /topic/create?topic=t`.
    pub fn create_topic(&mut self, topic: &str) -> Result<(), LookupdError> {
        if !is_valid_name(topic) {
            return Err(LookupdError::BadTopic(topic.to_string()));
        }
        self.db
            .add_registration(Registration::new(Category::Topic, topic, ""));
        Ok(())
    }

    /// `POST /topic/delete?topic=t`: the topic's channel and topic keys.
    pub fn delete_topic(&mut self, topic: &str) {
        for r in self.db.find_registrations(Category::Channel, topic, "*") {
            self.db.remove_registration(&r);
        }
        self.db
            .remove_registration(&Registration::new(Category::Topic, topic, ""));
    }

    /// `POST /channel/create?topic=t&channel=c`: both keys.
    pub fn create_channel(&mut self, topic: &str, channel: &str) -> Result<(), LookupdError> {
        if !is_valid_name(topic) {
            return Err(LookupdError::BadTopic(topic.to_string()));
        }
        if !is_valid_name(channel) {
            return Err(LookupdError::BadChannel(channel.to_string()));
        }
        self.db
            .add_registration(Registration::new(Category::Channel, topic, channel));
        self.db
            .add_registration(Registration::new(Category::Topic, topic, ""));
        Ok(())
    }

    /// `POST /channel/delete?topic=t&channel=c` (404 if unknown).
    pub fn delete_channel(&mut self, topic: &str, channel: &str) -> Result<(), LookupdError> {
        let key = Registration::new(Category::Channel, topic, channel);
        if !self.db.map.contains_key(&key) {
            return Err(LookupdError::ChannelNotFound(channel.to_string()));
        }
        self.db.remove_registration(&key);
        Ok(())
    }

    /// `POST /topic/tombstone?topic=t&node=n`: tombstone every producer of
    /// `t` that is node `n` (only under the topic key). Returns how many.
    pub fn tombstone_topic_producer(&mut self, topic: &str, node: NodeId, now: SimTime) -> usize {
        let key = Registration::new(Category::Topic, topic, "");
        let peers: Vec<PeerId> = self
            .db
            .find_producers(Category::Topic, topic, "")
            .into_iter()
            .filter(|p| self.peer(p.peer).map(|i| i.node) == Some(node))
            .map(|p| p.peer)
            .collect();
        peers
            .into_iter()
            .filter(|peer| self.db.tombstone(&key, *peer, now))
            .count()
    }
}
