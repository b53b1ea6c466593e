//! Conversions between JS values and core types.
//!
//! JS numbers are `f64`; every conversion here is total: NaN, infinities,
//! negative and fractional values are clamped or refused with a message,
//! never a panic. Rust values go to JS as plain objects (maps become objects,
//! `None` becomes `null`, integers become numbers).

use queuelab::command::Command;
use queuelab::scenario::limits;
use queuelab::time::SimDuration;
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// The most virtual time one `advance` call runs: one hour. Larger requests
/// (including `Infinity`) are clamped, so a stray huge value cannot hang the
/// page on a program that never ends.
pub const MAX_ADVANCE_US: u64 = 3_600_000_000;

/// Largest integer a JS number holds exactly (2^53 - 1).
pub const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// Virtual microseconds to advance: NaN and negatives are 0, fractions are
/// truncated, anything above [`MAX_ADVANCE_US`] (or infinite) is clamped to it.
pub fn micros(x: f64) -> SimDuration {
    let us = if x.is_nan() || x <= 0.0 {
        0
    } else if x >= MAX_ADVANCE_US as f64 {
        MAX_ADVANCE_US
    } else {
        x as u64
    };
    SimDuration::from_micros(us)
}

/// A count (`take_events(max)`): NaN and negatives are 0, huge is unbounded.
pub fn count(x: f64) -> usize {
    if x.is_nan() || x <= 0.0 {
        0
    } else {
        // `as` saturates at usize::MAX for huge values and +Infinity.
        x as usize
    }
}

/// A time in microseconds used as a lower bound (`series_since(t_us)`):
/// NaN and negatives mean "from the start".
pub fn time_floor(x: f64) -> u64 {
    if x.is_nan() || x <= 0.0 {
        0
    } else {
        x as u64
    }
}

/// A goroutine id: only a whole number in `0..=u32::MAX` names one.
pub fn goroutine_id(x: f64) -> Option<u32> {
    (x.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&x)).then_some(x as u32)
}

/// A seed: a whole number in `0..=2^53-1` (what a JS number holds exactly).
pub fn seed(x: f64) -> Result<u64, String> {
    if x.fract() == 0.0 && (0.0..=MAX_SAFE_INTEGER).contains(&x) {
        Ok(x as u64)
    } else {
        Err(format!("seed must be a whole number between 0 and {MAX_SAFE_INTEGER}, got {x}"))
    }
}

/// A `u64` as a JS number (exact up to 2^53; seeds and counts beyond that
/// are rounded, which only affects display).
pub fn number(x: u64) -> f64 {
    x as f64
}

/// Longest topic or channel name `nsq_messages` looks up: nsqd's limit is
/// 64 characters, so a longer one names nothing (refused before it is
/// copied into wasm memory).
pub const MAX_NAME_UNITS: u32 = 1_000;

/// A message id (`nsq_message_life`): only a whole number in
/// `0..=2^53-1` names one.
pub fn message_id(x: f64) -> Option<u64> {
    (x.fract() == 0.0 && (0.0..=MAX_SAFE_INTEGER).contains(&x)).then_some(x as u64)
}

/// A `GuaranteeFigure` ("published", "finished", "handled_once",
/// "handled_more_than_once", "lost", "reordered", "live").
pub fn figure(v: &JsValue) -> Result<queuelab::nsq::guarantees::Figure, String> {
    let expected = "published, finished, handled_once, handled_more_than_once, lost, reordered or live";
    let s = string_arg(v, 100).map_err(|e| match e {
        StringArgError::NotAString(what) => format!("figure must be a string ({expected}), got {what}"),
        StringArgError::TooLong(_) => format!("figure must be one of {expected}"),
    })?;
    figure_named(&s).ok_or_else(|| format!("figure must be one of {expected}, got {:?}", s))
}

/// The figure named `s` (its JSON name).
pub fn figure_named(s: &str) -> Option<queuelab::nsq::guarantees::Figure> {
    use serde::de::{value::StrDeserializer, Deserialize};
    queuelab::nsq::guarantees::Figure::deserialize(StrDeserializer::<serde::de::value::Error>::new(s)).ok()
}

/// A `KafkaRecordFigure`: a Kafka guarantees figure that lists records.
pub fn kafka_figure(v: &JsValue) -> Result<queuelab::world::KafkaRecordFigure, String> {
    use queuelab::world::KafkaRecordFigure;
    let expected = KafkaRecordFigure::NAMES;
    let s = string_arg(v, 100).map_err(|e| match e {
        StringArgError::NotAString(what) => format!("figure must be a string ({expected}), got {what}"),
        StringArgError::TooLong(_) => format!("figure must be one of {expected}"),
    })?;
    KafkaRecordFigure::named(&s).ok_or_else(|| format!("figure must be one of {expected} (the others are counts without a list), got {s:?}"))
}

/// Longest string `from_preset` looks up (every preset name is far
/// shorter); a longer one is refused before it is copied into wasm memory.
pub const MAX_PRESET_NAME: u32 = 100;

/// Longest scenario or command JSON taken, in UTF-16 code units (what a JS
/// string's `length` counts): core's limit in bytes, which no text over this
/// many code units can meet, so a longer string is refused before it is
/// copied into wasm memory.
pub const MAX_JSON_UNITS: u32 = limits::MAX_JSON_BYTES as u32;

/// Why a JS value is not an acceptable string argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StringArgError {
    /// Not a string: what it is instead ("a number", "null", "an object", ...).
    NotAString(&'static str),
    /// A string of this many UTF-16 code units, over the limit.
    TooLong(u32),
}

/// A JS value that must be a string, as a Rust string.
///
/// wasm-bindgen's own `&str` parameters trust their argument: a number, an
/// object, a Symbol or a BigInt passed as a string makes its glue call the
/// allocator with a bogus length and pointer (`memory access out of bounds`
/// or `unreachable` traps, and a corrupted heap). A `JsValue` parameter
/// checked here costs nothing and throws a clear message instead. The
/// length is checked before the string is copied into wasm memory.
pub fn string_arg(v: &JsValue, max_units: u32) -> Result<String, StringArgError> {
    let s = v.dyn_ref::<js_sys::JsString>().ok_or_else(|| StringArgError::NotAString(type_name(v)))?;
    let units = s.length();
    if units > max_units {
        return Err(StringArgError::TooLong(units));
    }
    Ok(String::from(s))
}

/// What a JS value is, in words, for messages ("a number", "null", "an
/// array", ...). Reads nothing but `typeof` and `Array.isArray`, so no
/// getter or Proxy trap runs.
pub fn type_name(v: &JsValue) -> &'static str {
    if v.is_null() {
        return "null";
    }
    if v.is_undefined() {
        return "undefined";
    }
    if v.is_string() {
        return "a string";
    }
    if v.is_bigint() {
        return "a BigInt";
    }
    if v.is_symbol() {
        return "a Symbol";
    }
    if v.is_function() {
        return "a function";
    }
    if v.as_bool().is_some() {
        return "a boolean";
    }
    if v.as_f64().is_some() {
        return "a number";
    }
    if js_sys::Array::is_array(v) {
        return "an array";
    }
    "an object"
}

/// The message of a thrown JS value (an `Error`'s `message`, or a thrown
/// string), read without letting a hostile value throw again: the
/// `message` property is read with `Reflect.get` inside a catch.
pub fn thrown_message(e: &JsValue) -> String {
    if let Some(s) = e.as_string() {
        return s;
    }
    if e.is_object() || e.is_function() {
        if let Some(m) = js_sys::Reflect::get(e, &JsValue::from_str("message")).ok().and_then(|m| m.as_string()) {
            return m;
        }
    }
    format!("{} was thrown", type_name(e))
}

/// A live command from its plain-object form (core's JSON form).
///
/// The value goes through `JSON.stringify` (inside a catch) and then
/// serde_json, not serde-wasm-bindgen: reading a JS object field by field
/// from Rust runs its getters and Proxy traps while the playground is
/// borrowed, and one that throws (or calls back into the playground) would
/// unwind through wasm and leave it borrowed for ever ("recursive use of an
/// object detected" on every later call); serde-wasm-bindgen also recurses
/// without a limit, so a deeply nested object overflowed the wasm stack (a
/// `memory access out of bounds` trap). `JSON.stringify` turns every such
/// throw into an error here, and serde_json stops at 128 levels of nesting.
/// `Err` is the message after "invalid command: ".
pub fn command(v: &JsValue) -> Result<Command, String> {
    let text = js_sys::JSON::stringify(v).map_err(|e| thrown_message(&e))?;
    let text = match string_arg(&text, MAX_JSON_UNITS) {
        Ok(text) => text,
        // JSON.stringify gives undefined for undefined, functions and Symbols.
        Err(StringArgError::NotAString(_)) => {
            return Err(format!(
                "expected a command object such as {{\"op\": \"pause\", \"goroutine\": \"worker-1\"}}, got {}",
                type_name(v)
            ))
        }
        Err(StringArgError::TooLong(units)) => {
            return Err(format!("its JSON is {units} characters long, more than the limit of {MAX_JSON_UNITS}"))
        }
    };
    // The position is in JSON this module made, not in anything the caller
    // wrote: core leaves it out. (Core's parser, not serde_json::from_str
    // here: one compiled copy of the command deserializers, shared with the
    // scenario's `commands`.)
    Command::from_json(&text)
}

/// Serializes a core value to a plain JS value, exactly as its JSON form:
/// objects (not `Map`s), `null` for `None`, numbers for every integer (exact
/// up to 2^53).
///
/// It goes through one JSON string and the browser's `JSON.parse` rather than
/// building the object field by field with serde-wasm-bindgen: for the
/// `large` preset's snapshot (100 goroutines, 41 KiB of JSON) that is about a
/// quarter of the time (0.35-0.55 ms instead of 1.4-2.3 ms per call in
/// headless Chromium, release build; `snapshot_cost_on_the_large_preset` in
/// `tests/web.rs` prints both), because every field set by serde-wasm-bindgen
/// crosses the wasm/JS boundary.
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsError> {
    let text = serde_json::to_string(value).map_err(|e| JsError::new(&format!("internal error converting to JSON: {e}")))?;
    js_sys::JSON::parse(&text).map_err(|_| JsError::new("internal error: JSON.parse refused the engine's output"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advance_values_are_clamped() {
        assert_eq!(micros(f64::NAN).as_micros(), 0);
        assert_eq!(micros(-5.0).as_micros(), 0);
        assert_eq!(micros(f64::NEG_INFINITY).as_micros(), 0);
        assert_eq!(micros(1500.9).as_micros(), 1500);
        assert_eq!(micros(1e300).as_micros(), MAX_ADVANCE_US);
        assert_eq!(micros(f64::INFINITY).as_micros(), MAX_ADVANCE_US);
        assert_eq!(micros(MAX_ADVANCE_US as f64 - 1.0).as_micros(), MAX_ADVANCE_US - 1);
    }

    #[test]
    fn counts_and_floors() {
        assert_eq!(count(f64::NAN), 0);
        assert_eq!(count(-1.0), 0);
        assert_eq!(count(3.7), 3);
        assert_eq!(count(f64::INFINITY), usize::MAX);
        assert_eq!(time_floor(-10.0), 0);
        assert_eq!(time_floor(f64::NAN), 0);
        assert_eq!(time_floor(250_000.0), 250_000);
    }

    #[test]
    fn goroutine_ids_must_be_whole_and_in_range() {
        assert_eq!(goroutine_id(3.0), Some(3));
        assert_eq!(goroutine_id(0.0), Some(0));
        assert_eq!(goroutine_id(3.5), None);
        assert_eq!(goroutine_id(-1.0), None);
        assert_eq!(goroutine_id(f64::NAN), None);
        assert_eq!(goroutine_id(f64::INFINITY), None);
        assert_eq!(goroutine_id(4_294_967_296.0), None);
    }

    #[test]
    fn message_ids_must_be_exact_js_integers() {
        assert_eq!(message_id(7.0), Some(7));
        assert_eq!(message_id(0.0), Some(0));
        assert_eq!(message_id(MAX_SAFE_INTEGER), Some(9_007_199_254_740_991));
        for bad in [-1.0, 1.5, f64::NAN, f64::INFINITY, MAX_SAFE_INTEGER + 2.0] {
            assert_eq!(message_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn figures_are_named_as_in_json() {
        use queuelab::nsq::guarantees::Figure;
        assert_eq!(figure_named("handled_more_than_once"), Some(Figure::HandledMoreThanOnce));
        assert_eq!(figure_named("live"), Some(Figure::Live));
        assert_eq!(figure_named("Live"), None);
        assert_eq!(figure_named(""), None);
    }

    #[test]
    fn seeds_must_be_exact_js_integers() {
        assert_eq!(seed(42.0), Ok(42));
        assert_eq!(seed(MAX_SAFE_INTEGER), Ok(9_007_199_254_740_991));
        assert!(seed(MAX_SAFE_INTEGER + 2.0).is_err());
        assert!(seed(-1.0).is_err());
        assert!(seed(1.5).unwrap_err().contains("whole number"));
        assert!(seed(f64::NAN).is_err());
    }
}
