//! Error messages for the JS side. Core's errors already say what is wrong
//! (a [`ScenarioError`] prints one `path: problem` per line, a
//! [`CommandError`] one sentence); this module only adds what core cannot
//! know about (a preset name typed into the page, a value that is not a
//! command at all) and wraps everything in `JsError`, which JS sees as an
//! `Error` whose `message` is that text.

use crate::convert::StringArgError;
use queuelab::command::CommandError;
use queuelab::presets;
use queuelab::scenario::{limits, ScenarioError};
use wasm_bindgen::JsError;

/// `unknown preset "x" (known: backpressure, classic, ...)`.
pub fn unknown_preset(name: &str) -> String {
    let known: Vec<&str> = presets::ALL.iter().map(|p| p.name).collect();
    format!("unknown preset {name:?} (known: {})", known.join(", "))
}

/// A value passed to `command()` that does not deserialize to a command:
/// `invalid command: unknown variant `explode`, expected one of ...`.
pub fn bad_command(detail: &str) -> JsError {
    JsError::new(&format!("invalid command: {detail}"))
}

/// A `from_preset` argument that cannot name a preset.
pub fn preset_name(e: &StringArgError) -> JsError {
    match e {
        StringArgError::NotAString(what) => {
            JsError::new(&format!("from_preset expects a preset name (a string), got {what}"))
        }
        StringArgError::TooLong(units) => {
            let known: Vec<&str> = presets::ALL.iter().map(|p| p.name).collect();
            JsError::new(&format!("unknown preset: a name of {units} characters (known: {})", known.join(", ")))
        }
    }
}

/// A `from_json` argument that is not scenario JSON text.
pub fn scenario_text(e: &StringArgError) -> JsError {
    match e {
        StringArgError::NotAString(what) => JsError::new(&format!(
            "from_json expects scenario JSON text (a string), got {what}; pass JSON.stringify(scenario)"
        )),
        StringArgError::TooLong(units) => JsError::new(&format!(
            "scenario too large: {units} characters, more than the limit of {} bytes",
            limits::MAX_JSON_BYTES
        )),
    }
}

/// A topic or channel argument that is not a name (`nsq_messages`).
pub fn name_arg(what: &str, e: &StringArgError) -> JsError {
    match e {
        StringArgError::NotAString(got) => JsError::new(&format!("{what} must be a string, got {got}")),
        StringArgError::TooLong(units) => JsError::new(&format!("{what} name too long: {units} characters (nsqd allows 64)")),
    }
}

/// A command core refused (nothing changed): core's sentence as is, so the
/// page can show it next to the control.
pub fn refused(e: &CommandError) -> JsError {
    JsError::new(&e.to_string())
}

pub fn scenario(e: &ScenarioError) -> JsError {
    JsError::new(&e.to_string())
}

pub fn js(message: &str) -> JsError {
    JsError::new(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_preset_lists_every_known_name_in_page_order() {
        let m = unknown_preset("nope");
        assert!(m.starts_with(r#"unknown preset "nope" (known: backpressure, classic, buffered, "#), "{m}");
        for p in presets::ALL {
            assert!(m.contains(p.name), "{m} lacks {}", p.name);
        }
        // Quotes in hostile names are escaped, so the message stays one line.
        assert_eq!(unknown_preset("a\"\nb").lines().count(), 1);
    }
}
