//! `Playground`: one running world for the page.
//!
//! Semantics (all of it is core's; this file only converts):
//! - A playground holds a [`World`] built from a preset or scenario JSON.
//!   `advance(us)` runs every event up to `now + us` (see
//!   [`convert::micros`] for clamping); `step()` runs exactly one event or
//!   one due command. Once the program ends (deadlock, panic, exit) the clock
//!   stops and both do nothing.
//! - `command(cmd)` applies a live command now; a refused command throws and
//!   changes nothing. Applied commands are logged, so `scenario_json()`
//!   replays this exact run when loaded.
//! - `take_events(max)` returns each event once: those recorded since the
//!   previous call (older ones may have left the trace ring).
//! - The world lives in a core [`Timeline`]: `seek(t)`, `step_back()`,
//!   `step_visible()` and `fork()` move through its history (seek gives
//!   exactly the state of a straight run to `t`); `timeline()` describes it
//!   (present, frontier, marks). A command applied in the past forks.
//! - `reset()` restarts the user's *design* from t = 0: the loaded scenario
//!   with their edits folded in (core's `design`), same seed.
//!   `reset_with_seed(n)` does the same with another seed. `revert()`
//!   restarts the scenario as it was loaded, without the edits.
//! - `replay_to(t, max_events)` runs toward an absolute time in bounded
//!   slices (opening a shared link without freezing the page).
//! - `nsq_messages(topic, channel, figure, max)` and `nsq_message_life(msg)`
//!   read the NSQ guarantees book (core's `World::nsq_messages` and
//!   `World::nsq_message_life`): the messages behind a figure of the
//!   snapshot's `nsq.guarantees`, and one message's copies.

use crate::convert::{self, to_js};
use crate::errors;
use queuelab::command::Command;
use queuelab::presets;
use queuelab::scenario::Scenario;
use queuelab::time::SimTime;
use queuelab::timeline::Timeline;
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// One entry of `Playground.presets()`.
#[derive(Debug, Serialize)]
struct PresetInfo {
    name: &'static str,
    title: String,
    description: String,
    /// Which system it shows, for the picker's groups.
    system: presets::System,
}

/// Kernel events one `advance` call may apply (some 10-20 ms of work in a
/// browser), so a page frame stays short whatever the world and the speed.
const MAX_STEPS_PER_ADVANCE: u64 = 200_000;
/// Trace events one `advance` call may record (core's
/// `World::run_until_limited`). One kernel event can be a whole spin
/// budget of work (a goroutine going round its loop up to
/// `OP_BUDGET` = 10,000 times at one instant, e.g. a producer with a zero
/// interval that drops into a full channel: 200,000 kernel events were
/// 2 billion loop turns, minutes in Node); what a loop turn does is
/// recorded, so this bounds that work too. Busy ordinary worlds record
/// about 3 per kernel event (the `large` preset: 524,000 in 30 s, 168,000
/// kernel events), so they still meet `MAX_STEPS_PER_ADVANCE` first.
const MAX_TRACE_EVENTS_PER_ADVANCE: u64 = 1_000_000;

/// A running simulation for the page (see the module docs).
#[wasm_bindgen]
#[derive(Debug)]
pub struct Playground {
    tl: Timeline,
    /// The scenario as loaded (preset or JSON), for `revert`.
    original: Scenario,
    /// Sequence number of the first event `take_events` has not returned.
    next_event: u64,
}

#[wasm_bindgen]
impl Playground {
    /// Every preset, in the order the page lists them.
    #[wasm_bindgen(unchecked_return_type = "PresetInfo[]")]
    pub fn presets() -> Result<JsValue, JsError> {
        let list: Vec<PresetInfo> = presets::ALL
            .iter()
            .map(|p| {
                let s = p.scenario();
                PresetInfo { name: p.name, system: presets::System::of(&s), title: s.title, description: s.description }
            })
            .collect();
        to_js(&list)
    }

    /// The preset the page opens with.
    pub fn default_preset() -> String {
        presets::DEFAULT.to_owned()
    }

    /// A playground running a built-in preset; throws for an unknown name
    /// (or a value that is not a string).
    ///
    /// The string parameters are `JsValue`s checked by
    /// [`convert::string_arg`]: wasm-bindgen's `&str` glue traps on a
    /// non-string argument.
    pub fn from_preset(#[wasm_bindgen(unchecked_param_type = "string")] name: JsValue) -> Result<Playground, JsError> {
        let name = convert::string_arg(&name, convert::MAX_PRESET_NAME).map_err(|e| errors::preset_name(&e))?;
        let preset = presets::get(&name).ok_or_else(|| errors::js(&errors::unknown_preset(&name)))?;
        Playground::build(&preset.scenario())
    }

    /// A preset's scenario as JSON text, without building its world (compare
    /// mode edits it into B's); throws for an unknown name.
    pub fn preset_json(#[wasm_bindgen(unchecked_param_type = "string")] name: JsValue) -> Result<String, JsError> {
        let name = convert::string_arg(&name, convert::MAX_PRESET_NAME).map_err(|e| errors::preset_name(&e))?;
        let preset = presets::get(&name).ok_or_else(|| errors::js(&errors::unknown_preset(&name)))?;
        Ok(preset.json.to_owned())
    }

    /// A playground running scenario JSON; throws an `Error` whose message
    /// has one `path: problem` line per problem.
    pub fn from_json(#[wasm_bindgen(unchecked_param_type = "string")] json: JsValue) -> Result<Playground, JsError> {
        let json = convert::string_arg(&json, convert::MAX_JSON_UNITS).map_err(|e| errors::scenario_text(&e))?;
        let scenario = Scenario::from_json(&json).map_err(|e| errors::scenario(&e))?;
        Playground::build(&scenario)
    }

    /// Runs every event up to `now + virtual_micros` (NaN and negatives are
    /// 0; at most one hour per call), but at most `MAX_STEPS_PER_ADVANCE`
    /// kernel events and about `MAX_TRACE_EVENTS_PER_ADVANCE` trace events.
    /// Returns `true` if it got there, `false` if the world is too busy for
    /// that much virtual time in one call (the clock then stays at the last
    /// event; the outcome of the run does not change: core's
    /// `run_until_limited` may be split anywhere).
    pub fn advance(&mut self, virtual_micros: f64) -> bool {
        let target = self.tl.world().now() + convert::micros(virtual_micros);
        self.tl.run_until_limited(target, MAX_STEPS_PER_ADVANCE, MAX_TRACE_EVENTS_PER_ADVANCE)
    }

    /// Runs toward the absolute time `t_us` (clamped to the horizon), at
    /// most `max_events` kernel events (and a proportional number of trace
    /// events) in this call. Returns `true` once the world is at `t_us` (or
    /// ended). Used to open a shared link in slices.
    pub fn replay_to(&mut self, t_us: f64, max_events: f64) -> bool {
        let t = SimTime::from_micros(convert::time_floor(t_us));
        let max = convert::count(max_events).max(1) as u64;
        self.tl.run_until_limited(t, max, max.saturating_mul(5))
    }

    /// Runs to `now + virtual_micros` however many events it takes (for
    /// restoring a shared link at its exact time).
    pub fn advance_all(&mut self, virtual_micros: f64) {
        let t = self.tl.world().now() + convert::micros(virtual_micros);
        self.tl.run_until(t);
    }

    /// Applies exactly one event (or one due command); `false` if nothing
    /// is left to do.
    pub fn step(&mut self) -> bool {
        self.tl.step()
    }

    /// Moves on to just after the next visible change (an event that
    /// records something); returns how many events it recorded (0: nothing
    /// left to do).
    pub fn step_visible(&mut self) -> f64 {
        convert::number(self.tl.step_visible())
    }

    /// Goes back to just before the latest visible change; `false` at the
    /// start. The event log should be reloaded (`recent_events`).
    pub fn step_back(&mut self) -> bool {
        let moved = self.tl.step_back();
        self.rewound();
        moved
    }

    /// Goes to virtual time `t_us` (clamped between 0 and the furthest time
    /// reached): exactly the state of a straight run there. The event log
    /// should be reloaded (`recent_events`).
    pub fn seek(&mut self, t_us: f64) {
        self.tl.seek(SimTime::from_micros(convert::time_floor(t_us)));
        self.rewound();
    }

    /// Drops the future after the present (the user's later commands and
    /// the explored time beyond); `false` if the present is the frontier.
    pub fn fork(&mut self) -> bool {
        self.tl.fork()
    }

    /// The timeline: present, frontier, marks, checkpoints.
    #[wasm_bindgen(unchecked_return_type = "TimelineView")]
    pub fn timeline(&self) -> Result<JsValue, JsError> {
        to_js(&self.tl.view())
    }

    /// The newest `max` events up to the present, oldest first (after a
    /// seek: what the event log shows). `take_events` continues after them.
    #[wasm_bindgen(unchecked_return_type = "EventView[]")]
    pub fn recent_events(&mut self, max: f64) -> Result<JsValue, JsError> {
        let total = self.tl.world().trace().total();
        let events = self.tl.world().events_since(0, convert::count(max));
        self.next_event = total;
        to_js(&events)
    }

    /// The whole visible state, as a plain object.
    #[wasm_bindgen(unchecked_return_type = "Snapshot")]
    pub fn snapshot(&self) -> Result<JsValue, JsError> {
        to_js(&self.tl.world().snapshot())
    }

    /// Events recorded since the previous call, oldest first; only the
    /// newest `max` if there are more.
    #[wasm_bindgen(unchecked_return_type = "EventView[]")]
    pub fn take_events(&mut self, max: f64) -> Result<JsValue, JsError> {
        let events = self.tl.world().events_since(self.next_event, convert::count(max));
        self.next_event = self.tl.world().trace().total();
        to_js(&events)
    }

    /// Time-series samples taken after `t_us` (oldest first).
    #[wasm_bindgen(unchecked_return_type = "Sample[]")]
    pub fn series_since(&self, t_us: f64) -> Result<JsValue, JsError> {
        let after = queuelab::time::SimTime::from_micros(convert::time_floor(t_us));
        let samples: Vec<_> = self.tl.world().series().after(after).collect();
        to_js(&samples)
    }

    /// The Go-like program of a goroutine with its current line, or
    /// `undefined` if there is no such goroutine.
    #[wasm_bindgen(unchecked_return_type = "Listing | undefined")]
    pub fn listing(&self, goroutine: f64) -> Result<JsValue, JsError> {
        match convert::goroutine_id(goroutine).and_then(|g| self.tl.world().listing(g)) {
            Some(listing) => to_js(&listing),
            None => Ok(JsValue::UNDEFINED),
        }
    }

    /// The logical messages behind one figure of a channel's guarantees row
    /// (`topic`/`channel` as in `NsqView.guarantees`), in publish order, at
    /// most `max` (the earliest). Empty for an unknown row or a pure Go
    /// world; throws if `figure` is not a `GuaranteeFigure` or a name is not
    /// a string.
    #[wasm_bindgen(unchecked_return_type = "NsqMessageRef[]")]
    pub fn nsq_messages(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] topic: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] channel: JsValue,
        #[wasm_bindgen(unchecked_param_type = "GuaranteeFigure")] figure: JsValue,
        max: f64,
    ) -> Result<JsValue, JsError> {
        let topic = convert::string_arg(&topic, convert::MAX_NAME_UNITS).map_err(|e| errors::name_arg("topic", &e))?;
        let channel = convert::string_arg(&channel, convert::MAX_NAME_UNITS).map_err(|e| errors::name_arg("channel", &e))?;
        let figure = convert::figure(&figure).map_err(|m| errors::js(&m))?;
        to_js(&self.tl.world().nsq_messages(&topic, &channel, figure, convert::count(max)))
    }

    /// The life of message `msg` (an `NsqMessageRef.msg`) from the
    /// guarantees book: each channel copy's node, attempts, place and
    /// handlings; `undefined` if the book does not know it.
    #[wasm_bindgen(unchecked_return_type = "NsqMessageLife | undefined")]
    pub fn nsq_message_life(&self, msg: f64) -> Result<JsValue, JsError> {
        match convert::message_id(msg).and_then(|m| self.tl.world().nsq_message_life(m)) {
            Some(life) => to_js(&life),
            None => Ok(JsValue::UNDEFINED),
        }
    }

    /// The `NsqMessageRef.msg` of the message labelled `label`
    /// (`producer-1#7`: events, tokens and the stage show labels), or
    /// `undefined` if the guarantees book does not know it.
    #[wasm_bindgen(unchecked_return_type = "number | undefined")]
    pub fn nsq_find_message(&self, #[wasm_bindgen(unchecked_param_type = "string")] label: JsValue) -> Result<JsValue, JsError> {
        let label = convert::string_arg(&label, convert::MAX_NAME_UNITS).map_err(|e| errors::name_arg("label", &e))?;
        Ok(self.tl.world().nsq_find_message(&label).map_or(JsValue::UNDEFINED, |m| JsValue::from_f64(m as f64)))
    }

    /// The records behind Kafka guarantees figure `figure` (a
    /// `KafkaCounts` name that has a list), in production order: the
    /// earliest `max`, and how many in all; `undefined` for a world without
    /// Kafka (whatever `figure` is: a module without Kafka then has no code
    /// for the rest). Throws if `figure` names no listable figure.
    #[wasm_bindgen(unchecked_return_type = "KafkaRecordList | undefined")]
    pub fn kafka_records(&self, #[wasm_bindgen(unchecked_param_type = "KafkaRecordFigure")] figure: JsValue, max: f64) -> Result<JsValue, JsError> {
        if !self.tl.world().has_kafka() {
            return Ok(JsValue::UNDEFINED);
        }
        let figure = convert::kafka_figure(&figure).map_err(|m| errors::js(&m))?;
        match self.tl.world().kafka_records(figure, convert::count(max)) {
            Some(list) => to_js(&list),
            None => Ok(JsValue::UNDEFINED),
        }
    }

    /// Applies a live command (core's JSON form as a plain object). Throws
    /// if it is not a command or core refuses it; then nothing changes.
    /// Returns `true` if it forked (the present was behind the frontier: the
    /// later history was dropped).
    pub fn command(&mut self, #[wasm_bindgen(unchecked_param_type = "Command")] cmd: JsValue) -> Result<bool, JsError> {
        let cmd: Command = convert::command(&cmd).map_err(|e| errors::bad_command(&e))?;
        self.tl.apply(&cmd).map_err(|e| errors::refused(&e))
    }

    /// The current scenario with its seed and every applied command: loading
    /// it replays this exact run.
    pub fn scenario_json(&self) -> String {
        self.tl.scenario_with_log().to_json()
    }

    /// Restarts the user's design (the loaded scenario with their edits
    /// folded in) from t = 0 with the same seed.
    pub fn reset(&mut self) -> Result<(), JsError> {
        let design = self.tl.design();
        self.rebuild(&design)
    }

    /// Restarts the design with another seed (a whole number up to 2^53 - 1).
    pub fn reset_with_seed(&mut self, seed: f64) -> Result<(), JsError> {
        let mut design = self.tl.design();
        design.seed = convert::seed(seed).map_err(|m| errors::js(&m))?;
        self.rebuild(&design)
    }

    /// Restarts the scenario as it was loaded (no edits), with the current seed.
    pub fn revert(&mut self) -> Result<(), JsError> {
        let mut scenario = self.original.clone();
        scenario.seed = self.tl.world().scenario().seed;
        self.rebuild(&scenario)
    }

    /// Whether the user has edits that `reset` keeps and `revert` drops.
    #[wasm_bindgen(getter)]
    pub fn edited(&self) -> bool {
        let design = self.tl.design();
        design.goroutines != self.original.goroutines || design.channels != self.original.channels
    }

    /// Virtual time in microseconds.
    #[wasm_bindgen(getter)]
    pub fn time_us(&self) -> f64 {
        convert::number(self.tl.world().now().as_micros())
    }

    #[wasm_bindgen(getter)]
    pub fn seed(&self) -> f64 {
        convert::number(self.tl.world().scenario().seed)
    }

    /// Events processed so far.
    #[wasm_bindgen(getter)]
    pub fn steps(&self) -> f64 {
        convert::number(self.tl.world().steps())
    }

    /// Hex hash of every event so far (as in the snapshot).
    #[wasm_bindgen(getter)]
    pub fn trace_hash(&self) -> String {
        format!("{:016x}", self.tl.world().trace_hash())
    }
}

impl Playground {
    fn build(scenario: &Scenario) -> Result<Playground, JsError> {
        let tl = Timeline::new(scenario).map_err(|e| errors::scenario(&e))?;
        Ok(Playground { tl, original: scenario.clone(), next_event: 0 })
    }

    /// A fresh timeline from `scenario`, keeping `original` (for `revert`).
    fn rebuild(&mut self, scenario: &Scenario) -> Result<(), JsError> {
        self.tl = Timeline::new(scenario).map_err(|e| errors::scenario(&e))?;
        self.next_event = 0;
        Ok(())
    }

    /// After going back: `take_events` continues from the present.
    fn rewound(&mut self) {
        self.next_event = self.tl.world().trace().total();
    }
}
