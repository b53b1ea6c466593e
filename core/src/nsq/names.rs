//! Topic and channel names (`internal/protocol/names.go`).
//!
//! # Semantics
//! A name is 1 to 64 bytes matching `^[.a-zA-Z0-9_-]+(#ephemeral)?$`; the
//! length limit counts the `#ephemeral` suffix. A name ending in
//! `#ephemeral` makes an ephemeral topic or channel: no disk queue, and it
//! disappears when its last consumer (channel) or channel (topic) goes.
//! Topic and channel names follow the same rule.

use super::NsqError;

/// The suffix that makes a topic or channel ephemeral.
pub const EPHEMERAL_SUFFIX: &str = "#ephemeral";
/// The longest valid name, in bytes.
pub const MAX_NAME_LEN: usize = 64;

/// nsqd's `isValidName`.
pub fn is_valid_name(name: &str) -> bool {
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return false;
    }
    let stem = name.strip_suffix(EPHEMERAL_SUFFIX).unwrap_or(name);
    !stem.is_empty()
        && stem
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Whether a (valid) name is ephemeral (nsqd: `strings.HasSuffix`).
pub fn is_ephemeral(name: &str) -> bool {
    name.ends_with(EPHEMERAL_SUFFIX)
}

/// `protocol.IsValidTopicName`, as a typed error (`E_BAD_TOPIC`).
pub fn check_topic_name(name: &str) -> Result<(), NsqError> {
    if is_valid_name(name) {
        Ok(())
    } else {
        Err(NsqError::BadTopic {
            name: name.to_string(),
        })
    }
}

/// `protocol.IsValidChannelName`, as a typed error (`E_BAD_CHANNEL`).
pub fn check_channel_name(name: &str) -> Result<(), NsqError> {
    if is_valid_name(name) {
        Ok(())
    } else {
        Err(NsqError::BadChannel {
            name: name.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // nsqd/protocol_v2_test.go: TestChannelTopicNames
    #[test]
    fn channel_topic_names() {
        assert!(is_valid_name("test"));
        assert!(is_valid_name("test-with_period."));
        assert!(is_valid_name("test#ephemeral"));
        assert!(!is_valid_name("test:ephemeral"));
    }

    // internal/protocol/names.go: the length rule and the regex's edges.
    #[test]
    fn length_and_suffix_edges() {
        assert!(!is_valid_name(""));
        assert!(!is_valid_name("#ephemeral"));
        assert!(!is_valid_name("a#ephemeral#ephemeral"));
        assert!(!is_valid_name("a#b"));
        assert!(!is_valid_name("caf\u{e9}"));
        assert!(is_valid_name(&"a".repeat(64)));
        assert!(!is_valid_name(&"a".repeat(65)));
        // the suffix counts towards the 64
        assert!(is_valid_name(&format!("{}#ephemeral", "a".repeat(54))));
        assert!(!is_valid_name(&format!("{}#ephemeral", "a".repeat(55))));
        assert!(is_ephemeral("x#ephemeral"));
        assert!(!is_ephemeral("x"));
        assert_eq!(check_topic_name("a b").unwrap_err().code(), "E_BAD_TOPIC");
        assert_eq!(check_channel_name("").unwrap_err().code(), "E_BAD_CHANNEL");
    }
}
