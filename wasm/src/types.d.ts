// Types of the plain JS objects that cross the Playground API. They mirror
// core's serde types field for field (wasm/tests/native_types.rs checks the
// field names against real serialized snapshots, events, samples and listings).
// Durations are microseconds in numbers named `*_us`; human durations are
// strings such as "150ms" or "1m30s".

/** A duration: a human string ("150ms", "2s", "1m30s") or whole microseconds. */
export type Duration = string | number;

/** A distribution of durations (core `dist::Dist`). */
export type Dist =
  | Duration
  | { constant: Duration }
  | { uniform: { min: Duration; max: Duration } }
  | { exponential: { mean: Duration } }
  | { normal: { mean: Duration; stddev: Duration } }
  | { lognormal: { mean: Duration; stddev: Duration } }
  | { bursts: { on: Duration; off: Duration; interval: Dist } };

/** One statement of a goroutine program (core `gochan::program::Stmt`). */
export type Stmt =
  | { send: string }
  | { recv: string }
  | { close: string }
  | { work: Dist }
  | { sleep: Dist }
  | { repeat: { times: number; body: Stmt[] } }
  | { forever: Stmt[] }
  | { range: { ch: string; body: Stmt[] } }
  | { select: SelectStmt }
  | { wg_add: { wg: string; n: number } }
  | { wg_done: string }
  | { wg_wait: string }
  /** go-nsq `Publish` to one node, or to each of a list (a redundant pair: one logical message); `batch`: `MultiPublish` of that many values. */
  | { publish: { nsqd: string | string[]; topic: string; delay?: Duration; batch?: number } }
  | "take_divisor"
  | "drop_multiples"
  | "break"
  /** `v = nil`: drop the held value. */
  | "drop";

export interface SelectStmt {
  cases: SelectCase[];
  /** Present (even empty) makes the select non-blocking. */
  default?: Stmt[];
  after?: { wait: Dist; body?: Stmt[] };
}

/** Exactly one of `send` / `recv`. */
export interface SelectCase {
  send?: string;
  recv?: string;
  body?: Stmt[];
  break_on_close?: boolean;
}

export interface ProducerSpec {
  to: string;
  interval?: Dist;
  /** Absent: forever. */
  count?: number;
  start?: number;
  close_when_done?: boolean;
  wg?: string;
  drop_when_full?: boolean;
}

export interface ConsumerSpec {
  from: string;
  work?: Dist;
  wg?: string;
  timeout?: Dist;
}

export interface StageSpec {
  from: string;
  to: string;
  work?: Dist;
  wg?: string;
  close_when_done?: boolean;
}

/** What a goroutine group does (core `gochan::behavior::Behavior`). */
export type Behavior =
  | { producer: ProducerSpec }
  | { consumer: ConsumerSpec }
  | { stage: StageSpec }
  | { closer: { wait: string; close: string } }
  | { sieve_filter: { from: string; to: string } }
  | { program: Stmt[] };

/** A goroutine group: one goroutine `name`, or `name-1`..`name-N` when count > 1. */
export interface GoroutineSpec {
  name: string;
  count?: number;
  behavior: Behavior;
}

/** A live command (core `command::Command`); `command()` throws if it is refused. */
export type Command =
  | { op: "add_goroutine"; spec: GoroutineSpec }
  | { op: "remove_goroutine"; goroutine: string }
  | { op: "set_count"; group: string; count: number }
  | { op: "set_rates"; group: string; interval?: Dist; work?: Dist }
  | { op: "set_capacity"; channel: string; capacity: number }
  | { op: "add_channel"; name: string; capacity?: number }
  | { op: "close_channel"; channel: string }
  | { op: "pause"; goroutine: string }
  | { op: "resume"; goroutine: string }
  | { op: "nsqd_crash"; nsqd: string }
  | { op: "nsqd_stop"; nsqd: string }
  | { op: "nsqd_restart"; nsqd: string }
  | { op: "nsqlookupd_crash"; nsqlookupd: string }
  | { op: "nsqlookupd_restart"; nsqlookupd: string }
  | { op: "nsq"; action: NsqAction; nsqd: string; topic: string; channel?: string }
  | { op: "consumer_crash"; consumer: string }
  | { op: "consumer_stop"; consumer: string }
  | { op: "consumer_start"; consumer: string }
  | { op: "set_consumer"; consumer: string; max_in_flight?: number; failure_rate?: number }
  | { op: "cut_link"; client: string; nsqd: string }
  | { op: "heal_link"; client: string; nsqd: string }
  | { op: "nsq_tombstone"; topic: string; nsqd: string }
  | { op: "kafka_broker_crash"; broker: number }
  | { op: "kafka_broker_stop"; broker: number }
  | { op: "kafka_broker_restart"; broker: number }
  | { op: "kafka_member"; group: string; member: number; action: KafkaMemberAction }
  | { op: "kafka_retention"; topic: string; retention?: string; retention_bytes?: number }
  | { op: "kafka_acks"; producer: string; acks: KafkaAcks }
  | { op: "kafka_flush"; producer: string; flush?: KafkaFlush; max_open_requests?: number }
  | { op: "kafka_group_work"; group: string; member?: number; work: Dist }
  | { op: "kafka_cut_link"; a: string; b: string }
  | { op: "kafka_heal_link"; a: string; b: string }
  | { op: "kafka_assignor"; group: string; assignor: KafkaAssignor }
  | { op: "kafka_add_partitions"; topic: string; partitions: number };

/** An async producer's sarama Producer.Flush settings (all 0: every message at once). */
export interface KafkaFlush {
  /** Flush.Messages: send once the batch has this many. */
  messages?: number;
  /** Flush.Bytes: send once the batch has this many bytes. */
  bytes?: number;
  /** Flush.Frequency: send what there is this long after the batch's first message. */
  frequency?: string;
  /** Flush.MaxMessages: at most this many per request (the stage waits for room beyond). */
  max_messages?: number;
}

/** sarama's balance strategies the model has (BalanceStrategyRange, BalanceStrategyRoundRobin, BalanceStrategySticky). */
export type KafkaAssignor = "range" | "roundrobin" | "sticky" | "cooperative_sticky";

/** sarama's RequiredAcks: NoResponse, WaitForLocal, WaitForAll. */
export type KafkaAcks = "none" | "local" | "all";

/** What happens to a consumer group member (`kafka_member`). */
export type KafkaMemberAction = "start" | "crash" | "leave";

/** nsqadmin's actions on a topic or channel. */
export type NsqAction = "create" | "pause" | "unpause" | "empty" | "delete";

export interface TimedCommand {
  at: Duration;
  /** Events run before it applied (live edits record it for exact replay). */
  step?: number;
  command: Command;
}

/** A scenario as `scenario_json()` returns it and `from_json()` takes it. */
export interface Scenario {
  name?: string;
  title?: string;
  description?: string;
  seed?: number;
  sample_interval?: Duration;
  stop_at?: Duration;
  trace_capacity?: number;
  channels?: { name: string; capacity?: number }[];
  waitgroups?: string[];
  goroutines?: GoroutineSpec[];
  /** NSQ nodes (goroutines reach them with the `publish` statement). */
  nsq?: {
    latency?: Dist;
    nsqd: {
      name: string;
      mem_queue_size?: number;
      msg_timeout?: Duration;
      topics?: { name: string; channels?: string[] }[];
    }[];
    /** nsqlookupd instances (names unique across nsqd and nsqlookupd; at most 8). */
    nsqlookupd?: { name: string }[];
    /** go-nsq consumers (each is Go: an incoming channel, readers, handlers). */
    consumers?: {
      name: string;
      topic: string;
      channel: string;
      /** ConnectToNSQDs (a consumer lists nsqd, lookupd or both). */
      nsqd?: string[];
      /** ConnectToNSQLookupds: discovers nodes by polling these. */
      lookupd?: string[];
      max_in_flight?: number;
      handlers?: number;
      work?: Dist;
    }[];
  };
  commands?: TimedCommand[];
}

export interface PresetInfo {
  name: string;
  title: string;
  description: string;
  /** Which system it shows, for the picker's groups. */
  system: "go" | "nsq" | "kafka";
}

export type RunStatus = "running" | "finished" | "main_returned" | "deadlock" | "panicked" | "stopped";

export type GoroutineState =
  | "runnable"
  | "working"
  | "sleeping"
  | "blocked_send"
  | "blocked_recv"
  | "blocked_select"
  | "blocked_wait"
  | "blocked_net"
  | "done"
  | "panicked";

export type Role = "producer" | "consumer" | "stage" | "closer" | "filter" | "custom";

export interface GoroutineView {
  id: number;
  name: string;
  group: string;
  role: Role;
  /** The client library that runs it ("sarama's AsyncProducer"), absent for the
   *  scenario's own code: it can be paused but not removed. */
  library?: string;
  /** It stands for a goroutine its library is not running now (a group
   *  member's claim slot with no partition); `state_text` says why. */
  idle?: boolean;
  state: GoroutineState;
  /** Plain words: "blocked on send to jobs for 1.2s: buffer full (3/3) and no receiver waiting". */
  state_text: string;
  /** A few words for a tight place, where state_text has a short form ("retrying: leader down"). */
  state_short?: string;
  state_for_us: number;
  /** Channel ids it is blocked on. */
  channels: number[];
  paused: boolean;
  /** Provably blocked forever. */
  stuck: boolean;
  pc: number;
  /** Listing line of the current operation. */
  line: number;
  /** Label of the value it holds ("producer#3"). */
  held: string | null;
  sent: number;
  received: number;
  blocked_send_us: number;
  blocked_recv_us: number;
  blocked_other_us: number;
  working_us: number;
  sleeping_us: number;
  /** Working time / lifetime, 0..1. */
  utilization: number;
}

export interface MessageView {
  id: number;
  label: string;
}

export interface WaiterView {
  goroutine: number;
  name: string;
  /** For a parked sender: the value it offers. */
  label: string | null;
  /** Parked through a select. */
  select: boolean;
}

export interface ChannelView {
  id: number;
  name: string;
  cap: number;
  len: number;
  closed: boolean;
  /** Buffered values, head first (at most 64; `len` is exact). */
  buffer: MessageView[];
  /** Parked senders, FIFO (at most 64; `sendq_len` is exact). */
  sendq: WaiterView[];
  /** Parked receivers, FIFO (at most 64; `recvq_len` is exact). */
  recvq: WaiterView[];
  sendq_len: number;
  recvq_len: number;
  sent: number;
  received: number;
  max_len: number;
  /** Made by a client library (go-nsq's incomingMessages): not for live edits. */
  library?: boolean;
}

export interface WaitGroupView {
  name: string;
  counter: number;
  /** Goroutine ids blocked in Wait(). */
  waiters: number[];
}

export interface WaitFor {
  goroutine: number;
  name: string;
  /** "send on jobs", "receive from jobs", "wg.Wait() on wg", "select on jobs, quit". */
  waits_on: string;
  why: string;
}

export interface DeadlockReport {
  /** Go's own message when Go would print it; null for a partial deadlock. */
  go_message: string | null;
  at_us: number;
  stuck: WaitFor[];
}

export interface PanicReport {
  goroutine: number;
  name: string;
  message: string;
  at_us: number;
  /** As Go prints it: "panic: send on closed channel\n\ngoroutine 7 [running]: ...". */
  text: string;
}

export interface Totals {
  produced: number;
  delivered: number;
  processed: number;
  filtered: number;
  dropped: number;
  /** Handed to NSQ by a Publish that returned OK (absent when 0). */
  published?: number;
  live: number;
  /** Of live: in channel buffers. */
  buffered: number;
  /** Of live: held by a sink that received it (delivered, being worked on). */
  processing: number;
  /** Of live: held by senders (made, not yet sent; offered by a parked send; held by a stage). */
  in_transit: number;
  blocked: number;
  goroutines_alive: number;
}

export interface Percentiles {
  count: number;
  p50_us: number;
  p90_us: number;
  p99_us: number;
  max_us: number;
  mean_us: number;
}

export interface GroupView {
  name: string;
  role: Role;
  /** The client library that runs the group, absent for the scenario's own:
   *  set_count and set_rates refuse it. */
  library?: string;
  count: number;
  /** Producer interval in human form ("exp(mean 20ms)"), if the group has one. */
  interval: string | null;
  /** Work time in human form, if the group has one. */
  work: string | null;
  behavior: Behavior;
  /** A client library's group: the channels its compiled program sends to
   *  (its statements, such as sarama's partition switch, name none). */
  sends?: string[];
}

/** Everything the page draws (core `observe::snapshot::Snapshot`). */
export interface Snapshot {
  time_us: number;
  /** Virtual time, human form ("1.25s"). */
  time: string;
  status: RunStatus;
  status_text: string;
  goroutines: GoroutineView[];
  channels: ChannelView[];
  waitgroups: WaitGroupView[];
  deadlock: DeadlockReport | null;
  panic: PanicReport | null;
  totals: Totals;
  delivery_latency: Percentiles;
  processed_latency: Percentiles;
  events_total: number;
  /** Hex hash of every event so far: equal runs have equal hashes. */
  trace_hash: string;
  groups: GroupView[];
  /** NSQ nodes, topics and channels (absent in a pure Go world). */
  nsq?: NsqView;
  /** Kafka brokers, partitions and sarama clients (absent without Kafka). */
  kafka?: KafkaView;
  /** The scenario's timed commands that could not be applied, each with why (absent when none). */
  notices?: string[];
}

/** The Kafka part of a snapshot (core/src/world/kafka/view.rs). */
export interface KafkaView {
  brokers: KafkaBrokerView[];
  /** Each topic's configuration now (partition count, retention). */
  topics: KafkaTopicView[];
  partitions: KafkaPartitionView[];
  producers: KafkaProducerView[];
  /** Partition consumers, one row per partition read. */
  consumers: KafkaConsumerView[];
  groups: KafkaGroupView[];
  guarantees: KafkaCounts;
  unclean_leader_election: boolean;
  /** The controller's preferred-leader balance (auto.leader.rebalance.enable): how long after a partition lost its preferred leader it runs, in µs; absent when off. */
  leader_balance_every_us?: number;
  /** When the next balance runs (some partition is off its preferred leader), in µs of virtual time. */
  leader_balance_at_us?: number;
  /** Every client's Metadata.RefreshFrequency (metadata_refresh), in µs. */
  metadata_refresh_us: number;
  /** Network cuts in place: pairs of process names (broker-N, a producer, a partition consumer, a group member). */
  cuts: [string, string][];
  /** acks=all produces waiting at their leaders for the high watermark: what a blocked sender waits for. */
  ack_waits: KafkaAckWait[];
  /** Where the model simplifies Kafka and sarama, in words. */
  simplifications: string[];
}

/** A topic's configuration now (kafka-configs.sh --describe). */
export interface KafkaTopicView {
  name: string;
  partitions: number;
  /** retention.ms as a duration ("7d" by default). */
  retention: string;
  /** retention.bytes per partition (null: unlimited). */
  retention_bytes: number | null;
}

/** An acks=all produce waiting at its leader for the high watermark. */
export interface KafkaAckWait {
  /** The goroutine blocked in SendMessage (or sarama's producer goroutine). */
  goroutine: number;
  /** The producer (of the scenario's kafka section) it produces with. */
  producer: string;
  topic: string;
  partition: number;
  offset: number;
  /** The leader's broker id: it has the record. */
  leader: number;
  /** The in-sync followers whose log does not reach the record yet (empty: the HW is about to pass it). */
  missing: number[];
}

export interface KafkaBrokerView {
  id: number;
  name: string;
  up: boolean;
  /** Crashed, or cut from the controller, and not fenced yet: when the controller fences it (its session times out), in µs of virtual time. */
  fenced_at_us?: number;
  /** Partitions it leads (a crashed broker leads until it is fenced). */
  leads: number;
  /** Fenced while it runs (cut from the controller): it leads, follows and replicates nothing until the link heals. */
  fenced?: boolean;
}

export interface KafkaPartitionView {
  topic: string;
  partition: number;
  /** Broker id of the leader (null: none, every replica down). */
  leader: number | null;
  replicas: number[];
  isr: number[];
  /** Replicas whose broker is up. */
  live: number[];
  log_start: number;
  high_watermark: number;
  log_end: number;
  /** Each replica's log end offset, in replica order. */
  replica_leo: number[];
  leader_epoch: number;
  /** A broker fenced while it runs (cut from the controller) that still acts as this partition's leader, unaware: a zombie. */
  zombie?: number;
  /** Records the zombie took (acknowledged with acks=1 or 0, or waiting for acks=all): lost when it registers again. */
  zombie_records?: number;
}

export interface KafkaProducerView {
  name: string;
  kind: string;
  acks: string;
  sent: number;
  acked: number;
  failed: number;
  /** The goroutines that have produced through it (a SyncProducer's callers, an AsyncProducer's broker stage). */
  goroutines: number[];
  /** An async producer's Flush settings in words ("at once", "Frequency 100ms", "Messages 10, MaxMessages 2"); "one message per SendMessage" for a sync producer. */
  flush: string;
  /** An async producer's Net.MaxOpenRequests (null for a sync producer). */
  max_open_requests: number | null;
  /** Produce requests an async producer wrote (its batches). */
  requests: number;
  /** Records those requests carried. */
  requested: number;
  /** Records waiting in its batches now. */
  batched: number;
  /** Its requests written and not answered now. */
  open_requests: number;
  /** Per topic (in the order of topics), the partition count its client's metadata says: what it spreads new records over. */
  known_partitions: number[];
  /** The partitions ("topic-n") its client's metadata says have no leader (random and round-robin partitioners skip them). */
  offline_partitions: string[];
  /** Its client's next metadata refresh while its metadata is behind (fewer partitions than a topic has, or some offline), in µs. */
  refresh_at_us: number | null;
}

export interface KafkaConsumerView {
  name: string;
  topic: string;
  partition: number;
  /** The next offset it fetches (null before its first fetch). */
  offset: number | null;
  high_watermark: number;
  lag: number;
  consumed: number;
  /** Shut down by OFFSET_OUT_OF_RANGE. */
  stopped: boolean;
}

export interface KafkaGroupView {
  name: string;
  generation: number;
  state: string;
  /** Between generations (PreparingRebalance or CompletingRebalance). */
  rebalancing: boolean;
  rebalances: number;
  /** The coordinator's broker id; 0: none (no registered broker could load the group). `state` is CoordinatorNotAvailable while it is down or there is none. */
  coordinator: number;
  assignor: string;
  members: KafkaMemberView[];
  /** kafka-consumer-groups.sh --describe rows. */
  rows: KafkaGroupRow[];
}

export interface KafkaMemberView {
  id: string;
  /** running, joining, rebalancing, idle, down, not started, stopped (Consume returned), zombie (removed by the coordinator, still processing: cut from it) */
  state: string;
  /** Its partitions in this session ("topic-p"). */
  partitions: string[];
  /** The generation of its session as it knows it (a zombie's is older than the group's); null out of a session. */
  generation: number | null;
  /** Marked but not yet committed: ["topic-p", next offset]. */
  marked: [string, number][];
  consumed: number;
  /** Its own handler work per record, set by kafka_group_work with a member (null: the group's). */
  work: string | null;
}

export interface KafkaGroupRow {
  topic: string;
  partition: number;
  /** The committed offset (null: none yet). */
  current_offset: number | null;
  log_end_offset: number;
  lag: number | null;
  consumer_id: string | null;
}

export interface KafkaCounts {
  produced: number;
  sending: number;
  acked: number;
  failed: number;
  lost_after_ack: number;
  lost_unclean: number;
  lost_unacked: number;
  /** acks=0 records reported sent and never written: their request died with the leader's connection, or the broker refused it. */
  lost_unwritten: number;
  /** The four lost_* causes together: gone for good once the producer took them on. */
  lost: number;
  deleted_by_retention: number;
  consumed: number;
  duplicates: number;
  skipped: number;
  /** Keyed records read after a later record of the same key from the same producing goroutine (per consumer). */
  out_of_order: number;
}

/**
 * A Kafka guarantees figure that lists its records (`kafka_records`).
 * `consumed` lists the records read at least once (the figure counts every
 * read), `duplicates` the records some consumer read more than once (the
 * figure counts the reads after the first). `deleted_by_retention`,
 * `skipped` and `out_of_order` are counts without a list.
 */
export type KafkaRecordFigure = "produced" | "sending" | "acked" | "failed" | "lost_after_ack" | "lost_unclean" | "lost_unacked" | "lost_unwritten" | "consumed" | "duplicates";

/** The records behind a figure (`kafka_records`): the earliest `max` in production order, of `total`. */
export interface KafkaRecordList {
  total: number;
  records: KafkaRecordRef[];
}

export interface KafkaRecordRef {
  /** Its number in production order (from 0). */
  rec: number;
  /** "main#17": the Go value it carries (events and tokens name it so). */
  label: string;
  /** Where it is or was (topic-p@offset), its state, and which consumer read it how often, in words. */
  detail: string;
}

export interface NsqView {
  nodes: NsqdView[];
  /** What each channel did with the messages published to its topic (empty until the book is kept). */
  guarantees: ChannelGuarantees[];
  /** What each nsqlookupd knows (absent without lookupds). */
  lookupd?: NsqLookupdView[];
  /** go-nsq consumers as their library sees them, in scenario order. */
  consumers: NsqConsumerView[];
  /** Publishing goroutines' connections to nodes (opened on first Publish). */
  publishers: NsqPublisherConnView[];
}

/** A go-nsq consumer: its process state, RDY, backoff and connections. */
export interface NsqConsumerView {
  name: string;
  topic: string;
  channel: string;
  /** "stopping": Stop() called, connections drain. */
  state: "running" | "stopping" | "stopped" | "crashed";
  max_in_flight: number;
  /** Messages the library holds (delivered, not yet answered), over all connections. */
  in_flight: number;
  backoff: NsqBackoffView;
  /** The goroutine group of its handlers (`<name>.handler`). */
  handler_group: string;
  /** The Go channel between its readers and handlers (go-nsq's incomingMessages). */
  incoming: string;
  /** The library's counters since its process (re)started. */
  finished: number;
  requeued: number;
  /**
   * Its connection slots, in connection order; a slot the library never
   * opened (a node its lookups never named) is left out. A crashed or
   * stopped consumer has no library running: every connection "closed",
   * nothing in flight, backoff "none".
   */
  connections: NsqConnView[];
}

/** go-nsq's backoff state machine. */
export interface NsqBackoffView {
  level: number;
  /** "none": every connection has its RDY share; "waiting": RDY 0 everywhere until `until_us`; "probing": RDY 1 on one connection. */
  phase: "none" | "waiting" | "probing";
  /** When the wait ends (virtual µs), in "waiting". */
  until_us: number | null;
}

/** One consumer connection as the library sees it. */
export interface NsqConnView {
  nsqd: string;
  /** "connecting": SUB sent, not answered; "closing": CLS sent; "closed": dropped, a retry may follow. */
  state: "connecting" | "open" | "closing" | "closed";
  /** The RDY count the library last sent. */
  rdy: number;
  /** Messages the library holds from this connection. */
  in_flight: number;
  /** The network between the consumer and the node is cut. */
  cut: boolean;
}

/** A publishing goroutine's connection to a node (removed goroutines left out), by goroutine id, then node. */
export interface NsqPublisherConnView {
  /** The goroutine's name ("producer-1"). */
  goroutine: string;
  /** Its group. */
  group: string;
  nsqd: string;
  cut: boolean;
  /** A Publish waiting for this node's answer. */
  waiting: boolean;
}

/** Which figure of a channel's guarantees `nsq_messages` lists. */
export type GuaranteeFigure = "published" | "finished" | "handled_once" | "handled_more_than_once" | "lost" | "reordered" | "live";

/** One logical message behind a guarantees figure (`nsq_messages`, publish order, the earliest `max`). */
export interface NsqMessageRef {
  /**
   * Its publish sequence number (the guarantees book's logical id), for
   * `nsq_message_life`. Not `EventView.msg`: the publisher's, the node's and
   * each consumer's events about one message carry different ids (each
   * delivery is a new Go value); they share its `label`.
   */
  msg: number;
  /** "producer-1#7" (the `label` of every event about it). */
  label: string;
  /** What happened to it in this channel, in words ("handled 2 times", "lost: unclean crash of nsqd-1"). */
  detail: string;
}

/** A message's life in every channel of its topic, from the guarantees book (`nsq_message_life`). */
export interface NsqMessageLife {
  msg: number;
  label: string;
  topic: string;
  /** When its `Publish` was called. */
  published_us: number;
  /** By node, then channel. */
  copies: NsqCopyLife[];
}

/** One channel copy of a message (or an entry without a copy: held by its topic, or lost before it reached a channel). */
export interface NsqCopyLife {
  /** "" for a publish that never reached a node. */
  nsqd: string;
  /** "" while the topic holds the message (no channel yet, or the topic paused). */
  channel: string;
  /** Deliveries so far (nsqd's attempts at the latest delivery). */
  attempts: number;
  /** Where the copy is now, in words ("in flight to worker conn1", "finished", "lost: unclean crash of nsqd-1"). */
  place: string;
  /** Times the handler started on it. */
  handled: number;
}

/** One nsqlookupd's registration DB. */
export interface NsqLookupdView {
  name: string;
  /** Crashed and not restarted: it knows nothing and refuses lookups. */
  down: boolean;
  /** nsqd nodes connected and identified, in connection order. */
  producers: string[];
  topics: NsqLookupdTopicView[];
}

/** A topic as one nsqlookupd knows it. */
export interface NsqLookupdTopicView {
  topic: string;
  channels: string[];
  /** Nodes registered under the topic (before /lookup's filters). */
  producers: string[];
}

export interface NsqdView {
  name: string;
  /** When in-flight and deferred messages expire: at their deadline, or at nsqd's 100 ms scan. */
  expiry: "exact" | "sampled";
  /** Crashed or stopped. */
  down: boolean;
  topics: NsqTopicView[];
}

/** A topic's counters in nsqadmin's vocabulary. */
export interface NsqTopicView {
  name: string;
  /** Messages the topic holds (no channel yet, or paused): memory + disk. */
  depth: number;
  memory_depth: number;
  backend_depth: number;
  message_count: number;
  paused: boolean;
  channels: NsqChannelView[];
}

/** A channel's counters in nsqadmin's vocabulary. */
export interface NsqChannelView {
  name: string;
  depth: number;
  memory_depth: number;
  backend_depth: number;
  in_flight: number;
  deferred: number;
  message_count: number;
  requeue_count: number;
  timeout_count: number;
  /** nsqadmin's "Connections". */
  client_count: number;
  paused: boolean;
  /** E2E processing latency (publish -> FIN) percentiles in µs; null until a FIN. */
  e2e_p50_us: number | null;
  e2e_p99_us: number | null;
  /** The subscribed connections, in client id order. */
  clients: NsqClientView[];
}

/** One consumer connection of a channel (nsqadmin's client row). */
export interface NsqClientView {
  /** Client id at the node. */
  id: number;
  /** The consumer and which of its connections: "worker conn1". */
  name: string;
  /** RDY. */
  ready_count: number;
  in_flight_count: number;
  /** Messages sent to it, redeliveries included. */
  message_count: number;
  finish_count: number;
  requeue_count: number;
}

/** Why a message was lost. */
export type LossCause =
  | "unclean_crash"
  | "ephemeral_overflow"
  | "ephemeral_gone"
  | "emptied"
  | "deleted"
  | "max_attempts"
  | "publish_failed";

/** What one channel (over every node) did with the messages published to its topic. */
export interface ChannelGuarantees {
  topic: string;
  channel: string;
  published: number;
  finished: number;
  handled_once: number;
  /** Duplicates. */
  handled_more_than_once: number;
  /** Messages lost, by cause: [cause, count] pairs. */
  lost: [LossCause, number][];
  reordered: number;
  /** Still queued, deferred or in flight somewhere. */
  live: number;
}

export type EventKind =
  | "produced"
  | "handoff"
  | "buffered"
  | "received"
  | "recv_closed"
  | "blocked_send"
  | "blocked_recv"
  | "blocked_select"
  | "blocked_wait"
  | "unblocked"
  | "select_chose"
  | "work_start"
  | "work_end"
  | "sleep"
  | "closed"
  | "panicked"
  | "dropped"
  | "processed"
  | "filtered"
  | "prime"
  | "wg_add"
  | "wg_done"
  | "finished"
  | "deadlock"
  | "spawned"
  | "removed"
  | "paused"
  | "resumed"
  | "capacity"
  | "yield"
  | "nsq_publish"
  | "nsq_published"
  | "nsq_publish_ok"
  | "nsq_message"
  | "nsq_finish"
  | "nsq_timeout"
  | "nsq_fin_failed"
  | "nsq_requeue"
  | "nsq_req_failed"
  | "nsq_max_attempts"
  | "nsq_backoff"
  | "nsq_backoff_over"
  | "nsq_node_crash"
  | "nsq_node_stop"
  | "nsq_node_restart"
  | "nsq_conn_closed"
  | "nsq_connected"
  | "nsq_consumer_crash"
  | "nsq_consumer_stop"
  | "nsq_consumer_start"
  | "nsq_publish_failed"
  | "nsq_touch_failed"
  | "nsq_register"
  | "nsq_unregister"
  | "nsq_lookup"
  | "nsq_discovered"
  | "nsq_heartbeat_timeout"
  | "kafka_send"
  | "kafka_acked"
  | "kafka_send_failed"
  | "kafka_fetched"
  | "kafka_broker_crash"
  | "kafka_broker_restart"
  | "kafka_fenced"
  | "kafka_broker_stop"
  | "kafka_election"
  | "kafka_isr"
  | "kafka_lost"
  | "kafka_group"
  | "kafka_out_of_range"
  | "kafka_duplicate"
  | "kafka_read_timeout"
  | "kafka_metadata"
  | "kafka_unfenced"
  | "nsq_lookupd_crash"
  | "nsq_lookupd_restart";

export interface EventView {
  seq: number;
  t_us: number;
  kind: EventKind;
  goroutine: number | null;
  channel: number | null;
  msg: number | null;
  label: string | null;
  /** Plain words: "producer sent producer#3 to jobs (buffered, 2 queued)". */
  text: string;
  /** For NSQ events, where it happened, as far as the event says (absent for Go events). */
  nsq?: NsqEventPlace;
  /** For Kafka events about a partition: which one, and the offset or broker the event carries. */
  kafka?: KafkaEventPlace;
}

/** The partition a Kafka event is about (`kafka_acked`, `kafka_fetched`, `kafka_duplicate`, `kafka_election`, ...). */
export interface KafkaEventPlace {
  topic: string;
  /** The partition number within the topic. */
  partition: number;
  /** The record's offset (acked, fetched, duplicate, out of range). */
  offset?: number;
  /** The elected leader, or the broker joining or leaving the ISR. */
  broker?: number;
}

/**
 * Where an NSQ event happened. `nsqd` where the kind names the node; the
 * consumer (with its topic and channel) from its incoming channel, reader or
 * handler goroutines; for a node-side copy event (`nsq_timeout`) the topic,
 * and the channel when only one channel of that node has the message. (Such
 * an event's `msg` is 2^63 + the publish sequence number, beyond a JS
 * number's precision: use its `label`.)
 */
export interface NsqEventPlace {
  nsqd?: string;
  topic?: string;
  channel?: string;
  /** The consumer, or the publishing goroutine (the names `cut_link` takes). */
  client?: string;
  /** The nsqlookupd that answered (`nsq_lookup`). */
  lookupd?: string;
  /** A lookup that lookupd refused: it was down (`nsq_lookup`; absent when false). */
  refused?: true;
  /** A `FIN` or `REQ` nsqd never gets: it had closed the connection (`nsq_finish`, `nsq_requeue`; absent when false). */
  lost?: true;
}

export interface Sample {
  t_us: number;
  /** `len` of each channel, in channel order. */
  lens: number[];
  /** Deliveries per second of virtual time over the interval. */
  throughput: number;
  p50_us: number;
  p99_us: number;
  blocked: number;
  /** Per NSQ channel (every node's, in view order); absent in a pure Go world. */
  nsq?: NsqChannelSample[];
  /** The Kafka system at the sample; absent in a world without Kafka. */
  kafka?: KafkaSample;
}

/** Kafka at a sample. Counts are cumulative since the start (the page derives rates). */
export interface KafkaSample {
  /** Records handed to sarama by producers. */
  produced: number;
  /** Of those, acknowledged to their producer. */
  acked: number;
  /** Records handed to consumers' code (all consumers and groups). */
  consumed: number;
  partitions: KafkaPartitionSample[];
  /** Every consumer group, in scenario order. */
  groups: KafkaLagSample[];
  /** Every partition consumer, in scenario order. */
  consumers: KafkaLagSample[];
}

export interface KafkaPartitionSample {
  topic: string;
  partition: number;
  log_start: number;
  log_end_offset: number;
  high_watermark: number;
}

/** A consumer group (or partition consumer) at a sample. Lag = high watermark - committed offset (kafka-consumer-groups.sh). */
export interface KafkaLagSample {
  name: string;
  /** Sum over its partitions that have a lag; null before any commit. */
  lag: number | null;
  /** Cumulative records handed to its handlers. */
  consumed: number;
  /** Produce call to handler receipt over the sample interval; null when nothing was received in it. */
  e2e_p50_us: number | null;
  e2e_p99_us: number | null;
  partitions: KafkaOffsetSample[];
}

/** A group's committed offset (or a partition consumer's position) on one partition. */
export interface KafkaOffsetSample {
  topic: string;
  partition: number;
  offset: number | null;
  lag: number | null;
}

/** One NSQ channel at a sample: gauges, and cumulative counters (the page derives rates). Counters are the channel's own: they start again at 0 when a deleted (or ephemeral) channel is made anew. */
export interface NsqChannelSample {
  nsqd: string;
  topic: string;
  channel: string;
  memory_depth: number;
  backend_depth: number;
  in_flight: number;
  deferred: number;
  /** Cumulative. */
  requeue_count: number;
  /** Cumulative. */
  timeout_count: number;
  /** Cumulative FINs. */
  finish_count: number;
  /** Since the channel was created; null before the first FIN. */
  e2e_p50_us: number | null;
  e2e_p99_us: number | null;
}

export interface ListingLine {
  indent: number;
  text: string;
}

export interface Listing {
  goroutine: number;
  name: string;
  lines: ListingLine[];
  /** Index into `lines` of the current operation. */
  current: number;
}

export type MarkKind = "command" | "first_block" | "deadlock" | "ended";

/** A point of interest on the timeline (core's `timeline::Mark`). */
export interface Mark {
  t_us: number;
  kind: MarkKind;
  text: string;
}

/** The timeline (core's `timeline::TimelineView`). */
export interface TimelineView {
  /** The present. */
  now_us: number;
  /** The furthest time reached. */
  end_us: number;
  /** The present is behind the furthest time (playing replays history). */
  behind: boolean;
  marks: Mark[];
  checkpoints: number;
  /** Kernel events between checkpoints: at most this many are replayed by a seek. */
  interval: number;
  /** Memory the checkpoints take, about (bytes). */
  checkpoint_bytes: number;
}
