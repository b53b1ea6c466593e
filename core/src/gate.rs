//! Which systems this build of the engine has.
//!
//! Go channels are always in: NSQ's and Kafka's clients are Go programs. NSQ
//! and Kafka are cargo features (`nsq`, `kafka`, both on by default), so a
//! page that embeds only Go programs can load a WebAssembly module without
//! them (about half the bytes; see the README's "What an embed costs").
//!
//! A system's state is held in a [`Gated`] value. With the system's feature
//! on, `Gated<T, S>` is a `Box<T>`. With it off, it is an uninhabited type of size
//! zero: an `Option<Gated<..>>` is then always `None` and the compiler knows
//! it, so every line that only runs for that system (its engine, its views,
//! its serde code) is dead and left out of the build. No `#[cfg]` is needed
//! where a system is used or made: the only ones are here, on the live
//! commands (below) and in the preset list. Making a value of a missing
//! system is refused ([`Gated::new`] says which; [`Gated::some`] gives
//! `None`).
//!
//! Gated: the scenario's `nsq` and `kafka` sections, the world's systems, and
//! the NSQ and Kafka views of the snapshot, the samples and the summary.
//!
//! A scenario with a section for a system the build does not have is refused
//! when it is parsed, with a message that names the system
//! ([`Missing`]). So is a live command of such a system: its variants of
//! [`Command`](crate::command::Command) stay (every `match` keeps compiling)
//! but their serde code is left out (`cfg_attr(.., serde(skip))`, the other
//! place with a `#[cfg]`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::ops::{Deref, DerefMut};

/// No value: the slot of a system the build does not have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Absent {}

/// A system that may be left out of the build.
pub trait System: 'static {
    /// Its name in messages ("NSQ").
    const NAME: &'static str;
    /// What a `Gated<T, Self>` holds: a boxed `T` (a system's state is
    /// large and rarely there), or [`Absent`] without the feature.
    type Slot<T>;
    /// `t` in a slot, or `None` without the feature.
    fn wrap<T>(t: T) -> Option<Self::Slot<T>>;
    /// The value in a slot.
    fn get<T>(slot: &Self::Slot<T>) -> &T;
    /// The value in a slot, mutably.
    fn get_mut<T>(slot: &mut Self::Slot<T>) -> &mut T;
    /// The value in a slot, by value.
    fn into_inner<T>(slot: Self::Slot<T>) -> T;
}

macro_rules! system {
    ($ty:ident, $feature:literal, $name:literal) => {
        #[doc = concat!("The ", $name, " system (cargo feature `", $feature, "`).")]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct $ty;

        #[cfg(feature = $feature)]
        impl System for $ty {
            const NAME: &'static str = $name;
            type Slot<T> = Box<T>;
            fn wrap<T>(t: T) -> Option<Box<T>> {
                Some(Box::new(t))
            }
            fn get<T>(slot: &Box<T>) -> &T {
                slot
            }
            fn get_mut<T>(slot: &mut Box<T>) -> &mut T {
                slot
            }
            fn into_inner<T>(slot: Box<T>) -> T {
                *slot
            }
        }

        #[cfg(not(feature = $feature))]
        impl System for $ty {
            const NAME: &'static str = $name;
            type Slot<T> = Absent;
            fn wrap<T>(_: T) -> Option<Absent> {
                None
            }
            fn get<T>(slot: &Absent) -> &T {
                match *slot {}
            }
            fn get_mut<T>(slot: &mut Absent) -> &mut T {
                match *slot {}
            }
            fn into_inner<T>(slot: Absent) -> T {
                match slot {}
            }
        }
    };
}

system!(Nsq, "nsq", "NSQ");
system!(Kafka, "kafka", "Kafka");

/// Whether this build has system `S`.
pub fn has<S: System>() -> bool {
    S::wrap(()).is_some()
}

/// The systems this build has, for messages and for the page ("Go, NSQ, Kafka").
pub fn systems() -> Vec<&'static str> {
    let mut v = vec!["Go"];
    if has::<Nsq>() {
        v.push(Nsq::NAME);
    }
    if has::<Kafka>() {
        v.push(Kafka::NAME);
    }
    v
}

/// A value of system `S`: a `T` when the build has `S`, nothing otherwise.
pub struct Gated<T, S: System>(S::Slot<T>);

/// The error of making a value for a system the build does not have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Missing(pub &'static str);

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "this build of queuelab has no {} engine (it has {})", self.0, systems().join(", "))
    }
}

impl std::error::Error for Missing {}

impl<T, S: System> Gated<T, S> {
    /// `t`, or [`Missing`] when the build does not have `S`.
    pub fn new(t: T) -> Result<Self, Missing> {
        S::wrap(t).map(Gated).ok_or(Missing(S::NAME))
    }
    /// `Some(t)` in a gate; `None` when the build does not have `S` (a value
    /// of a system the build lacks is never made).
    pub fn some(t: T) -> Option<Self> {
        S::wrap(t).map(Gated)
    }
    /// The value.
    pub fn into_inner(self) -> T {
        S::into_inner(self.0)
    }
}

impl<T, S: System> Deref for Gated<T, S> {
    type Target = T;
    fn deref(&self) -> &T {
        S::get(&self.0)
    }
}

impl<T, S: System> DerefMut for Gated<T, S> {
    fn deref_mut(&mut self) -> &mut T {
        S::get_mut(&mut self.0)
    }
}

impl<T: Clone, S: System> Clone for Gated<T, S> {
    fn clone(&self) -> Self {
        Gated::new((**self).clone()).unwrap_or_else(|_| unreachable!())
    }
}

impl<T: fmt::Debug, S: System> fmt::Debug for Gated<T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

impl<T: PartialEq, S: System> PartialEq for Gated<T, S> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T: Serialize, S: System> Serialize for Gated<T, S> {
    fn serialize<Z: Serializer>(&self, s: Z) -> Result<Z::Ok, Z::Error> {
        (**self).serialize(s)
    }
}

impl<'de, T: Deserialize<'de>, S: System> Deserialize<'de> for Gated<T, S> {
    /// Without the system, the section is skipped and refused: its serde
    /// code is not in the build.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if has::<S>() {
            Gated::new(T::deserialize(d)?).map_err(serde::de::Error::custom)
        } else {
            serde::de::IgnoredAny::deserialize(d)?;
            Err(serde::de::Error::custom(Missing(S::NAME)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ops serde's parser knows in this build (from its "expected one
    /// of" list).
    fn known_ops() -> Vec<String> {
        let err = crate::command::Command::from_json(r#"{"op": "no_such_op"}"#).unwrap_err();
        let list = err.split("expected one of ").nth(1).unwrap_or_else(|| panic!("{err}"));
        list.split(", ").map(|x| x.trim_matches(|c: char| c == '`' || c == ' ').to_string()).collect()
    }

    /// Commands of a system the build lacks are not in its parser, and
    /// are refused with the gate's message; with the system, every one of
    /// them is a command the parser knows.
    #[test]
    fn a_command_of_a_missing_system_is_refused_by_the_gate() {
        let known = known_ops();
        assert!(known.iter().any(|o| o == "set_capacity"), "{known:?}");
        for op in crate::command::NSQ_OPS.iter().copied().chain(["kafka_broker_crash", "kafka_acks"]) {
            let nsq = !op.starts_with("kafka_");
            let present = if nsq { has::<Nsq>() } else { has::<Kafka>() };
            assert_eq!(known.iter().any(|o| o == op), present, "{op}");
            let err = crate::command::Command::from_json(&format!(r#"{{"op": "{op}"}}"#)).unwrap_err();
            let name = if nsq { "NSQ" } else { "Kafka" };
            assert_eq!(err.contains(&format!("no {name} engine")), !present, "{op}: {err}");
        }
        // Nothing of a missing system is left in the parser.
        assert!(has::<Kafka>() || !known.iter().any(|o| o.starts_with("kafka_")), "{known:?}");
        assert!(has::<Nsq>() || !known.iter().any(|o| !o.starts_with("kafka_") && (o.contains("nsq") || o.contains("consumer") || o.ends_with("_link"))), "{known:?}");
    }

    /// Go's commands, which every build has.
    const GO_OPS: [&str; 9] =
        ["add_goroutine", "remove_goroutine", "set_count", "set_rates", "set_capacity", "add_channel", "close_channel", "pause", "resume"];

    /// Every op the parser knows is one system's: Go's (listed above), NSQ's
    /// (`NSQ_OPS`, the list the gate refuses by) or Kafka's (`kafka_...`).
    /// With the test above, `NSQ_OPS` is exactly the NSQ ops in a build
    /// with NSQ: a new NSQ command left out of it fails here.
    #[test]
    fn every_op_belongs_to_one_system() {
        for op in known_ops() {
            let systems = [GO_OPS.contains(&op.as_str()), crate::command::NSQ_OPS.contains(&op.as_str()), op.starts_with("kafka_")];
            assert_eq!(
                systems.iter().filter(|&&b| b).count(),
                1,
                "{op}: list an NSQ command in command.rs's NSQ_OPS (a build without NSQ refuses it by that list), a Go one in GO_OPS here"
            );
        }
    }

    #[test]
    // Without the feature the `Ok` arm is dead (the value is uninhabited).
    #[allow(unreachable_code)]
    fn a_gated_value_is_the_value_with_the_feature_and_refused_without() {
        let n: Result<Gated<u32, Nsq>, Missing> = Gated::new(7);
        match n {
            Ok(v) => {
                assert!(has::<Nsq>());
                assert_eq!(*v, 7);
                let json = serde_json::to_string(&v).unwrap();
                assert_eq!(serde_json::from_str::<Gated<u32, Nsq>>(&json).unwrap(), v);
            }
            Err(e) => {
                assert!(!has::<Nsq>());
                assert!(e.to_string().starts_with("this build of queuelab has no NSQ engine"), "{e}");
                let err = serde_json::from_str::<Gated<u32, Nsq>>("{\"nsqd\": [1, 2]}").unwrap_err();
                assert!(err.to_string().contains("no NSQ engine"), "{err}");
                assert_eq!(std::mem::size_of::<Option<Gated<u64, Nsq>>>(), 0);
            }
        }
    }
}
