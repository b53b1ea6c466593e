//! The snapshot: the whole visible state of a world, in words and numbers a
//! user understands, bounded in size (buffers and queues are capped at
//! [`MAX_LISTED`] entries; the full lengths are always given).

use super::stats::Percentiles;
use crate::gochan::behavior::Role;
use serde::Serialize;

/// Buffer items and queue entries listed per channel (lengths are exact).
pub const MAX_LISTED: usize = 64;

/// The state of a goroutine, for colour and icon.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GState {
    /// Ready to run its next operation at this instant.
    Runnable,
    Working,
    Sleeping,
    BlockedSend,
    BlockedRecv,
    BlockedSelect,
    BlockedWait,
    /// Waiting for a server's response over the network (go-nsq's
    /// `Publish`). Not asleep in Go's sense: the network will answer.
    BlockedNet,
    Done,
    Panicked,
    Removed,
}

impl GState {
    pub fn is_blocked(self) -> bool {
        matches!(self, GState::BlockedSend | GState::BlockedRecv | GState::BlockedSelect | GState::BlockedWait)
    }
    pub fn is_over(self) -> bool {
        matches!(self, GState::Done | GState::Panicked | GState::Removed)
    }
}

/// Overall status of the program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    /// Every goroutine returned.
    Finished,
    /// The goroutine called `main` returned: Go exits the whole program.
    MainReturned,
    /// Go's verdict: all goroutines are asleep, no timer pending.
    Deadlock,
    /// An unrecovered panic: Go crashes the whole program.
    Panicked,
    /// The scenario's `stop_at` was reached.
    Stopped,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Snapshot {
    pub time_us: u64,
    /// Virtual time, human form ("1.25s").
    pub time: String,
    pub status: RunStatus,
    /// One sentence about the status ("fatal error: all goroutines are asleep - deadlock!").
    pub status_text: String,
    pub goroutines: Vec<GoroutineView>,
    pub channels: Vec<ChannelView>,
    pub waitgroups: Vec<WaitGroupView>,
    /// Present when goroutines are provably stuck (Go's verdict or partial).
    pub deadlock: Option<DeadlockReport>,
    pub panic: Option<PanicReport>,
    pub totals: Totals,
    /// Produce → receive by a sink (a goroutine that never sends).
    pub delivery_latency: Percentiles,
    /// Produce → the sink finished with it.
    pub processed_latency: Percentiles,
    pub events_total: u64,
    /// Hex hash of every event so far: equal runs have equal hashes.
    pub trace_hash: String,
    /// Group names with their roles and editable parameters.
    pub groups: Vec<GroupView>,
    /// The NSQ nodes, topics and channels (absent in a pure Go world).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nsq: Option<crate::gate::Gated<NsqView, crate::gate::Nsq>>,
    /// Kafka brokers, partitions and clients (absent without Kafka).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kafka: Option<crate::gate::Gated<crate::world::KafkaView, crate::gate::Kafka>>,
    /// The scenario's timed commands that could not be applied so far, each
    /// with why ("command at 0s: no NSQ consumer named \"worker\""), in
    /// order; the run went on without them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<String>,
}

/// NSQ as nsqadmin shows it: nodes, their topics and channels.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NsqView {
    pub nodes: Vec<NsqdView>,
    /// What each channel did with the messages published to its topic
    /// (the guarantees book; empty until it is kept).
    pub guarantees: Vec<crate::nsq::guarantees::ChannelGuarantees>,
    /// What each nsqlookupd knows (absent without lookupds).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lookupd: Vec<NsqLookupdView>,
    /// go-nsq consumers as their library sees them, in scenario order.
    pub consumers: Vec<NsqConsumerView>,
    /// Publishing goroutines' connections to nodes (opened on first
    /// `Publish`), by goroutine id, then node.
    pub publishers: Vec<NsqPublisherConnView>,
}

/// Where an NSQ event happened, as far as the event says (`EventView::nsq`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct NsqEventPlace {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nsqd: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// The consumer, or the publishing goroutine (the names `cut_link`
    /// takes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// The nsqlookupd that answered (a lookup).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lookupd: Option<String>,
    /// A lookup that lookupd refused: it was down (`nsq_lookup` only).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub refused: bool,
    /// A `FIN` or `REQ` nsqd never gets: it had closed the connection
    /// (`nsq_finish`, `nsq_requeue` only).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub lost: bool,
}

/// Where a Kafka event happened (`EventView::kafka`): the partition its
/// `ch` names, and the offset or broker its `aux` carries for that kind.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct KafkaEventPlace {
    pub topic: String,
    /// The partition number within the topic.
    pub partition: u32,
    /// The record's offset (acked, fetched, duplicate, out of range).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// The broker the event is about (the elected leader; one joining or
    /// leaving the ISR).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broker: Option<u32>,
}

/// Where a go-nsq consumer's process stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NsqConsumerState {
    Running,
    /// `Stop()` was called; connections drain.
    Stopping,
    Stopped,
    Crashed,
}

/// A go-nsq consumer: its process state, RDY, backoff and connections.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NsqConsumerView {
    pub name: String,
    pub topic: String,
    pub channel: String,
    pub state: NsqConsumerState,
    pub max_in_flight: u64,
    /// Messages the library holds (delivered, not yet answered), over all
    /// connections.
    pub in_flight: u64,
    pub backoff: NsqBackoffView,
    /// The goroutine group of its handlers (`<name>.handler`).
    pub handler_group: String,
    /// The Go channel between its readers and handlers (go-nsq's
    /// `incomingMessages`).
    pub incoming: String,
    /// The library's counters since its process (re)started.
    pub finished: u64,
    pub requeued: u64,
    pub connections: Vec<NsqConnView>,
}

/// The phase of go-nsq's backoff state machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NsqBackoffPhase {
    /// Level 0: every connection has its RDY share.
    None,
    /// RDY 0 everywhere until the wait ends.
    Waiting,
    /// Level > 0 after the wait: RDY 1 on one connection.
    Probing,
}

/// go-nsq's backoff state.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NsqBackoffView {
    pub level: u32,
    pub phase: NsqBackoffPhase,
    /// When the wait ends (virtual µs), in `Waiting`.
    pub until_us: Option<u64>,
}

/// A consumer connection's state as the library sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NsqConnState {
    /// SUB sent, not answered.
    Connecting,
    Open,
    /// CLS sent (or the connection is closing): RDY can no longer change.
    Closing,
    /// Dropped; a retry may follow.
    Closed,
}

/// One consumer connection as the library sees it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NsqConnView {
    pub nsqd: String,
    pub state: NsqConnState,
    /// The RDY count the library last sent.
    pub rdy: u64,
    /// Messages the library holds from this connection.
    pub in_flight: u64,
    /// The network between the consumer and the node is cut.
    pub cut: bool,
}

/// A publishing goroutine's connection to a node.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NsqPublisherConnView {
    /// The goroutine's name ("producer-1").
    pub goroutine: String,
    /// Its group.
    pub group: String,
    pub nsqd: String,
    pub cut: bool,
    /// A `Publish` waits for this node's answer.
    pub waiting: bool,
}

/// One logical message behind a guarantees figure.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NsqMessageRef {
    /// Its publish sequence number (the guarantees book's logical id), for
    /// `nsq_message_life`.
    pub msg: u64,
    /// "producer-1#7" (every event about the message carries this label).
    pub label: String,
    /// What happened to it in this channel, in words.
    pub detail: String,
}

/// A message's life, from the guarantees book.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NsqMessageLife {
    pub msg: u64,
    pub label: String,
    pub topic: String,
    /// When its `Publish` was called (virtual µs).
    pub published_us: u64,
    pub copies: Vec<NsqCopyLife>,
}

/// One channel copy of a message.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NsqCopyLife {
    /// Empty for a publish that never reached a node.
    pub nsqd: String,
    /// Empty while the topic holds the message (no channel yet, or paused).
    pub channel: String,
    /// Deliveries so far.
    pub attempts: u16,
    /// Where the copy is now, in words.
    pub place: String,
    /// Times a handler started on it.
    pub handled: u32,
}

/// One nsqlookupd's registration DB.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NsqLookupdView {
    pub name: String,
    /// Crashed and not restarted: it knows nothing and refuses lookups.
    pub down: bool,
    /// The nsqd nodes connected and identified (`/nodes`, without the
    /// inactivity filter), in connection order.
    pub producers: Vec<String>,
    /// Every topic key (`/topics`) with its channels and producers.
    pub topics: Vec<NsqLookupdTopicView>,
}

/// A topic as one nsqlookupd knows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NsqLookupdTopicView {
    pub topic: String,
    /// Its channel keys (`/channels?topic=`).
    pub channels: Vec<String>,
    /// The nodes registered under the topic (before `/lookup`'s filters).
    pub producers: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NsqdView {
    pub name: String,
    /// How it expires in-flight and deferred messages (exact or sampled).
    pub expiry: crate::nsq::spec::Expiry,
    /// Crashed or stopped.
    pub down: bool,
    pub topics: Vec<NsqTopicView>,
}

/// A topic's counters (nsqadmin's vocabulary).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NsqTopicView {
    pub name: String,
    /// Messages the topic holds (no channel yet, or paused): memory + disk.
    pub depth: u64,
    pub memory_depth: u64,
    pub backend_depth: u64,
    pub message_count: u64,
    pub paused: bool,
    pub channels: Vec<NsqChannelView>,
}

/// A channel's counters (nsqadmin's vocabulary).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NsqChannelView {
    pub name: String,
    pub depth: u64,
    pub memory_depth: u64,
    pub backend_depth: u64,
    pub in_flight: u64,
    pub deferred: u64,
    pub message_count: u64,
    pub requeue_count: u64,
    pub timeout_count: u64,
    /// nsqadmin's "Connections".
    pub client_count: u64,
    pub paused: bool,
    /// E2E processing latency (publish -> FIN) percentiles, µs; None until
    /// a message was finished.
    pub e2e_p50_us: Option<u64>,
    pub e2e_p99_us: Option<u64>,
    /// The subscribed connections, in client id order.
    pub clients: Vec<NsqClientView>,
}

/// One consumer connection of a channel (nsqadmin's client row).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NsqClientView {
    /// Client id at the node.
    pub id: u64,
    /// The consumer and which of its connections: "worker conn1".
    pub name: String,
    /// RDY.
    pub ready_count: u64,
    pub in_flight_count: u64,
    /// Messages sent to it (deliveries, redeliveries included).
    pub message_count: u64,
    pub finish_count: u64,
    pub requeue_count: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GoroutineView {
    pub id: u32,
    pub name: String,
    pub group: String,
    pub role: Role,
    /// The client library that runs it (`sarama's AsyncProducer`), absent
    /// for the scenario's own code: such a goroutine can be paused but not
    /// removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub library: Option<&'static str>,
    /// It stands for a goroutine its library is not running now (a
    /// consumer group member's claim slot with no partition: sarama runs a
    /// `ConsumeClaim` per claimed partition): `state` is how the model parks
    /// it, `state_text` says why it is idle.
    #[serde(skip_serializing_if = "is_false")]
    pub idle: bool,
    pub state: GState,
    /// Plain words: "blocked on send to jobs for 1.2s: buffer full (3/3), no receiver waiting".
    pub state_text: String,
    /// A few words for a tight place (a card on the stage), where
    /// `state_text` has a short form: "retrying: leader down".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_short: Option<&'static str>,
    /// How long it has been in this state.
    pub state_for_us: u64,
    /// Channels it is blocked on or last used (for drawing arrows).
    pub channels: Vec<u32>,
    pub paused: bool,
    /// Provably blocked forever.
    pub stuck: bool,
    pub pc: u32,
    /// Listing line of the current operation.
    pub line: u32,
    /// Label of the value it holds (`producer#3`).
    pub held: Option<String>,
    pub sent: u64,
    pub received: u64,
    pub blocked_send_us: u64,
    pub blocked_recv_us: u64,
    pub blocked_other_us: u64,
    pub working_us: u64,
    pub sleeping_us: u64,
    /// Working time / lifetime, 0..1.
    pub utilization: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MessageView {
    pub id: u64,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WaiterView {
    pub goroutine: u32,
    pub name: String,
    /// For a parked sender: the value it offers.
    pub label: Option<String>,
    /// Parked through a `select`.
    pub select: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChannelView {
    pub id: u32,
    pub name: String,
    pub cap: u32,
    pub len: u32,
    pub closed: bool,
    /// Buffered values, head first (at most [`MAX_LISTED`]).
    pub buffer: Vec<MessageView>,
    pub sendq: Vec<WaiterView>,
    pub recvq: Vec<WaiterView>,
    pub sendq_len: u32,
    pub recvq_len: u32,
    pub sent: u64,
    pub received: u64,
    pub max_len: u32,
    /// Made by a client library (go-nsq's `incomingMessages`): not for
    /// live edits. Absent when false.
    #[serde(skip_serializing_if = "is_false")]
    pub library: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WaitGroupView {
    pub name: String,
    pub counter: i64,
    pub waiters: Vec<u32>,
}

/// One stuck goroutine and why nobody can release it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WaitFor {
    pub goroutine: u32,
    pub name: String,
    /// "send on jobs", "receive from jobs", "wg.Wait() on wg", "select on jobs, quit".
    pub waits_on: String,
    pub why: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DeadlockReport {
    /// Go's own message, when Go would print it (every goroutine asleep,
    /// no timer pending); `None` for a partial deadlock Go never reports.
    pub go_message: Option<String>,
    pub at_us: u64,
    pub stuck: Vec<WaitFor>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PanicReport {
    pub goroutine: u32,
    pub name: String,
    pub message: String,
    pub at_us: u64,
    /// As Go prints it: "panic: send on closed channel\n\ngoroutine 7 [running]: ...".
    pub text: String,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub produced: u64,
    /// Received by a sink.
    pub delivered: u64,
    pub processed: u64,
    pub filtered: u64,
    pub dropped: u64,
    /// Handed to NSQ by a `Publish` that returned OK (absent when 0: a
    /// pure Go world).
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub published: u64,
    /// Messages that exist now (buffered, held, offered by parked senders).
    pub live: u64,
    /// Of `live`: in channel buffers.
    pub buffered: u64,
    /// Of `live`: held by a sink that received it (delivered, being worked on).
    pub processing: u64,
    /// Of `live`: held by senders (made and not yet sent, offered by a parked
    /// send, or held by a stage between its receive and its send).
    pub in_transit: u64,
    pub blocked: u32,
    pub goroutines_alive: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GroupView {
    pub name: String,
    pub role: Role,
    /// The client library that runs the group, absent for the scenario's
    /// own: its count and timing cannot be changed by commands.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub library: Option<&'static str>,
    pub count: u32,
    /// Producer interval, human form, if the group has one.
    pub interval: Option<String>,
    /// Work time, human form, if the group has one.
    pub work: Option<String>,
    /// The group's behaviour, serialized as scenario JSON.
    pub behavior: crate::gochan::behavior::Behavior,
    /// A client library's group: the channels its program sends to, from
    /// the compiled program (the library's statements, such as sarama's
    /// partition switch, name no channel in `behavior`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sends: Vec<String>,
}

fn is_zero_u64(v: &u64) -> bool {
    *v == 0
}
