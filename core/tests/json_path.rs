//! `json_path::error_path` against `serde_path_to_error`, the crate it
//! replaced: on every preset, mutated so that it no longer parses (a
//! scalar of the wrong type, a misspelt key, a byte deleted or inserted),
//! both must name the same field path for the same data error (a wrong
//! type or value, an unknown or missing field). Syntax errors carry their
//! line and column; for those `error_path` must only not fail.
//!
//! serde_path_to_error is a dev-dependency only: it tracks the path while
//! parsing, which doubled the compiled deserializers in the wasm module.

use proptest::prelude::*;
use queuelab::json_path::error_path;
use queuelab::scenario::Scenario;

/// The reference: serde_path_to_error's path ("" at the top) and serde_json's error.
fn reference(text: &str) -> Option<(String, serde_json::Error)> {
    let de = &mut serde_json::Deserializer::from_str(text);
    let e = serde_path_to_error::deserialize::<_, Scenario>(de).err()?;
    let path = e.path().to_string();
    let path = if path == "." { String::new() } else { path };
    Some((path, e.into_inner()))
}

/// What the mutation does at byte `at` (moved back to a char boundary).
#[derive(Clone, Debug)]
enum Mutation {
    /// The scalar starting at or after `at` becomes this text.
    Scalar(&'static str),
    /// The key starting at or after `at` gets an `x` in front.
    Key,
    Delete,
    Insert(char),
}

fn mutate(text: &str, at: usize, m: &Mutation) -> String {
    let mut at = at % text.len().max(1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let mut s = text.to_owned();
    match m {
        Mutation::Delete => {
            if let Some(c) = s[at..].chars().next() {
                s.replace_range(at..at + c.len_utf8(), "");
            }
        }
        Mutation::Insert(c) => s.insert(at, *c),
        Mutation::Key => {
            // The next `"name":` from `at`.
            if let Some(k) = s[at..].find("\":").and_then(|e| s[..at + e].rfind('"')) {
                s.insert(k + 1, 'x');
            }
        }
        Mutation::Scalar(new) => {
            // The value after the next `": `.
            if let Some(v) = s[at..].find("\": ").map(|i| at + i + 3) {
                let rest = &s[v..];
                let len = if let Some(inner) = rest.strip_prefix('"') {
                    inner.find('"').map_or(0, |e| e + 2)
                } else {
                    rest.find([',', '}', ']', '\n']).unwrap_or(0)
                };
                if len > 0 && !rest.starts_with(['{', '[']) {
                    s.replace_range(v..v + len, new);
                }
            }
        }
    }
    s
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        prop::sample::select(vec!["\"fast\"", "-1", "1e30", "true", "null", "[]", "{}", "1.5", "\"\""]).prop_map(Mutation::Scalar),
        Just(Mutation::Key),
        Just(Mutation::Delete),
        prop::sample::select(vec!['{', '}', '[', ']', ',', ':', '"', '\\', 'x', '1', 'é']).prop_map(Mutation::Insert),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn same_path_as_serde_path_to_error(
        preset in 0..queuelab::presets::ALL.len(),
        at in 0usize..100_000,
        m in mutation(),
    ) {
        let text = mutate(queuelab::presets::ALL[preset].json, at, &m);
        if let Some((expected, e)) = reference(&text) {
            let got = error_path(&text, &e);
            // A syntax error says its line and column, and there the two
            // differ by design: between two members serde_path_to_error
            // says `?` where error_path names the member before.
            if e.classify() == serde_json::error::Category::Data {
                prop_assert_eq!(got, expected, "error: {} in\n{}", e, text);
            }
        }
    }
}

