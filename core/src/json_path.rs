//! The field path of a position in a JSON text, for parse errors.
//!
//! A scenario that fails to parse names the field at fault as a path:
//! `goroutines[2].behavior.producer.interval: expected a duration ...`.
//! serde_json says *where* the error is (line and column, just after the
//! offending token); [`path_at`] reads the text up to there and says which
//! keys and indices enclose that point.
//!
//! For every data error (a wrong type or value, an unknown or missing
//! field) the path is the one `serde_path_to_error` gives (a property
//! test, `tests/json_path.rs`, compares both on mutated presets); a syntax
//! error carries its line and column, and between two members it names
//! the one before where that crate says `?`. The crate wraps every
//! deserializer to track the path as it goes, which doubles the compiled
//! deserializers: the wasm module was 22 KB gzip larger with it (636 KB
//! against 614 KB, measured 2026-12-05), about a fourteenth of what an
//! embed may cost. Reading the text again, once, after an error costs
//! nothing when there is none.
//!
//! - Inside an object, in a member's value, the path ends in its key; at
//!   an unknown field it ends in that key; at any other fault in a key
//!   (an unknown variant) or between members it ends at the object.
//! - An op-tagged command is read whole before its fields are converted
//!   (`op_tag`): an error in a field's value is reported just after the
//!   command's object closes, which names the command, as that crate does.
//! - Inside an array element it ends in `[i]`, that element's index;
//!   between elements it ends at the array.
//! - Keys are shown decoded (`"a\u0062"` is `ab`).
//! - A position past the end is the end; a malformed text gives the path
//!   of what was well-formed up to there.

/// One open object or array around the position.
enum Frame {
    /// An object: the byte range of the last key read (its quoted text)
    /// and whether its value has begun (a `:` was read).
    Object { key: Option<(usize, usize)>, in_value: bool },
    /// An array: the index of the current element, and whether that
    /// element has begun (anything but whitespace read since `[` or `,`).
    Array { index: usize, started: bool },
}

/// The path (`a.b[2].c`, empty at the top) of serde_json's error `e` in
/// the `text` it parsed.
pub fn error_path(text: &str, e: &serde_json::Error) -> String {
    let message = e.to_string();
    let fault = match e.classify() {
        serde_json::error::Category::Data if message.starts_with("unknown field") => Fault::UnknownField,
        serde_json::error::Category::Data if message.starts_with("missing field") => Fault::MissingField,
        serde_json::error::Category::Data if message.starts_with("invalid type: unit variant") => Fault::UnitVariant,
        serde_json::error::Category::Data if message.starts_with("invalid type: sequence") => Fault::Sequence,
        serde_json::error::Category::Data => Fault::Other,
        _ => Fault::Syntax,
    };
    path_at(text, e.line(), e.column(), fault)
}

/// What kind of error is at the position: it decides between paths the
/// text alone cannot tell apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The key just read is an unknown field: the path ends in it. (Any
    /// other error at a key, such as an unknown enum variant, is its
    /// object's.)
    UnknownField,
    /// A field missing from the object just closed: the path is that
    /// object's.
    MissingField,
    /// The string just read names an enum variant that needs a value
    /// (`"sleep"` where `{"sleep": "1s"}` belongs): the path ends in it.
    UnitVariant,
    /// Any other data error: a value of the wrong type or out of range.
    Other,
    /// An array where something else belongs (the array just opened, or
    /// the one about to open).
    Sequence,
    /// Not JSON (or cut short): the path of what encloses the position.
    Syntax,
}

/// The path (`a.b[2].c`, empty at the top) at serde_json's `line` and
/// `column` (1-based; `column` counts bytes up to and including the last
/// one read) in `text`, for an error of kind `fault`.
pub fn path_at(text: &str, line: usize, column: usize, fault: Fault) -> String {
    let end = offset(text, line, column);
    let b = text.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    // The string value (not key) that is the last thing read.
    let mut value: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < end {
        if !matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
            value = None;
            if let Some(Frame::Array { started, .. }) = stack.last_mut() {
                *started = b[i] != b']';
            }
        }
        match b[i] {
            b'"' => {
                let start = i;
                i += 1;
                while i < end && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                let mut e = (i + 1).min(b.len());
                while !text.is_char_boundary(e) {
                    e += 1;
                }
                match stack.last_mut() {
                    Some(Frame::Object { key, in_value: false }) => *key = Some((start, e)),
                    _ => value = Some((start, e)),
                }
            }
            b'{' => stack.push(Frame::Object { key: None, in_value: false }),
            b'[' => stack.push(Frame::Array { index: 0, started: false }),
            // A closer that does not match is the error itself: the parser
            // stopped there, inside what it did not close.
            b'}' if matches!(stack.last(), Some(Frame::Object { .. })) => {
                stack.pop();
            }
            b']' if matches!(stack.last(), Some(Frame::Array { .. })) => {
                stack.pop();
            }
            b':' => {
                if let Some(Frame::Object { in_value, .. }) = stack.last_mut() {
                    *in_value = true;
                }
            }
            b',' => match stack.last_mut() {
                Some(Frame::Object { key, in_value }) => {
                    *key = None;
                    *in_value = false;
                }
                Some(Frame::Array { index, started }) => {
                    *index += 1;
                    *started = false;
                }
                None => {}
            },
            _ => {}
        }
        i += 1;
    }
    // A wrong type is reported just before the token it peeked: an array
    // element that has not begun in the text has begun for the parser.
    // (An array reported as the wrong type was peeked, so an `[` follows,
    // or read, and then it is the array just opened.)
    if let (Some(Frame::Array { started, .. }), false) = (stack.last_mut(), fault == Fault::Syntax) {
        let next = b.get(end..).and_then(|rest| rest.iter().find(|c| !matches!(c, b' ' | b'\t' | b'\n' | b'\r')));
        *started |= next.is_some_and(|&c| c != b']' && (fault != Fault::Sequence || c == b'['));
    }
    if let (Some(v), Fault::UnitVariant) = (value, fault) {
        // The variant's name, as if it were the key of `{"name": ...}`.
        stack.push(Frame::Object { key: Some(v), in_value: true });
    }
    let mut path = String::new();
    for frame in &stack {
        match frame {
            Frame::Object { key: Some((s, e)), in_value } if *in_value || fault == Fault::UnknownField => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&key_text(&text[*s..*e]));
            }
            // No key yet, or a key that is not at fault: the object's path.
            Frame::Object { .. } => break,
            Frame::Array { index, started: true } => path.push_str(&format!("[{index}]")),
            // Between elements: the array's path.
            Frame::Array { started: false, .. } => break,
        }
    }
    path
}

/// A key's quoted text, decoded (as itself if it does not decode).
fn key_text(quoted: &str) -> String {
    if !quoted.contains('\\') {
        return quoted.trim_start_matches('"').trim_end_matches('"').to_owned();
    }
    serde_json::from_str::<String>(quoted).unwrap_or_else(|_| quoted.trim_matches('"').to_owned())
}

/// The byte offset just after serde_json's `line`:`column`, at most the
/// text's length.
fn offset(text: &str, line: usize, column: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match text[start..].find('\n') {
            Some(n) => start += n + 1,
            None => return text.len(),
        }
    }
    (start + column).min(text.len())
}

#[cfg(test)]
mod tests {
    use super::{path_at, Fault};

    /// The path at serde_json's error for `text` parsed as `T`.
    fn at<T: serde::de::DeserializeOwned + std::fmt::Debug>(text: &str) -> String {
        let e = serde_json::from_str::<T>(text).unwrap_err();
        super::error_path(text, &e)
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        n: u8,
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        items: Vec<Inner>,
    }

    #[test]
    fn paths_of_type_errors_unknown_and_missing_fields() {
        assert_eq!(at::<Outer>(r#"{"name": "x", "items": [{"n": 1}, {"n": 300}]}"#), "items[1].n");
        assert_eq!(at::<Outer>("{\"name\": \"x\",\n \"items\": [{\"n\": 1},\n {\"n\": \"a\"}]}"), "items[1].n");
        assert_eq!(at::<Outer>(r#"{"name": 5, "items": []}"#), "name");
        assert_eq!(at::<Outer>(r#"{"name": "x", "items": [{"m": 1}]}"#), "items[0].m");
        assert_eq!(at::<Outer>(r#"{"name": "x", "items": [{}]}"#), "items[0]");
        assert_eq!(at::<Outer>(r#"{"items": []}"#), "");
    }

    #[test]
    fn keys_with_escapes_and_brackets_inside_strings() {
        assert_eq!(at::<Outer>(r#"{"name": "a{[\"],", "items": [{"n\u0031": 1}]}"#), "items[0].n1");
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config { cases: 3000, failure_persistence: None, ..Default::default() })]
        /// Any text (JSON-ish characters and multi-byte ones), any position:
        /// a path, never a panic.
        #[test]
        fn any_text_any_position(text in "[{}\\[\\]\":,\\\\ a1é€\n]{0,40}", line in 0usize..6, column in 0usize..100, f in 0usize..6) {
            let fault = [Fault::UnknownField, Fault::MissingField, Fault::UnitVariant, Fault::Other, Fault::Sequence, Fault::Syntax][f];
            let _ = path_at(&text, line, column, fault);
        }
    }

    #[test]
    fn malformed_and_out_of_range_positions() {
        assert_eq!(path_at("", 1, 5, Fault::Other), "");
        assert_eq!(path_at("{\"a\": [1, 2", 9, 9, Fault::Other), "a[1]");
        assert_eq!(path_at("{\"a\\", 1, 99, Fault::Other), "");
        assert_eq!(path_at("{\"a\\", 1, 99, Fault::UnknownField), "a\\");
        assert_eq!(path_at("}}]]{", 1, 5, Fault::Other), "");
    }
}
