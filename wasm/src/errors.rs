//! Error messages for the JS side. Core's errors already say what is wrong
//! (a [`ScenarioError`] prints one `path: problem` per line, a
//! [`CommandError`] one sentence); this module only adds what core cannot
//! know about (a preset name typed into the page, a value that is not a
//! command at all) and wraps everything in `JsError`, which JS sees as an
//! `Error` whose `message` is that text.

use queuelab::command::CommandError;
use queuelab::presets;
use queuelab::scenario::ScenarioError;
use wasm_bindgen::{JsCast, JsError, JsValue};

/// `unknown preset "x" (known: classic, buffered, ...)`.
pub fn unknown_preset(name: &str) -> String {
    let known: Vec<&str> = presets::ALL.iter().map(|p| p.name).collect();
    format!("unknown preset {name:?} (known: {})", known.join(", "))
}

/// A value passed to `command()` that does not deserialize to a command:
/// `invalid command: unknown variant `explode`, expected one of ...`.
pub fn bad_command(e: serde_wasm_bindgen::Error) -> JsError {
    // The error is a JS `Error`; its Display would add an "Error: " prefix.
    let v = JsValue::from(e);
    let detail = match v.dyn_ref::<js_sys::Error>() {
        Some(err) => String::from(err.message()),
        None => v.as_string().unwrap_or_else(|| format!("{v:?}")),
    };
    JsError::new(&format!("invalid command: {detail}"))
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
        assert!(m.starts_with(r#"unknown preset "nope" (known: classic, buffered, "#), "{m}");
        for p in presets::ALL {
            assert!(m.contains(p.name), "{m} lacks {}", p.name);
        }
        // Quotes in hostile names are escaped, so the message stays one line.
        assert_eq!(unknown_preset("a\"\nb").lines().count(), 1);
    }
}
