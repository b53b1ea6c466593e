//! Virtual time: integer microseconds, never a wall clock.
//!
//! [`SimTime`] is an instant on the simulation clock (microseconds since the
//! world started); [`SimDuration`] is a span. Both are plain `u64`s, so time
//! arithmetic is exact and identical on every platform, natively and in wasm.
//!
//! Durations parse from and print to the human forms people type:
//! `"150ms"`, `"2s"`, `"1m30s"`, `"1.5s"`, `"250us"` (or `"250µs"`), `"1h"`.
//! Printing always round-trips: `d.to_string().parse() == Ok(d)`.
//!
//! # The end of time
//! No run lasts longer than [`SimDuration::HORIZON`] (100 years of virtual
//! time). Every duration that comes from input (a scenario, a command, the
//! CLI's `--until`) is refused beyond it when it is parsed, with a message
//! that says so; a world stops itself at the horizon. Together with the
//! 2^53 µs cap on samples (`dist`), every instant the engine computes stays
//! far below `u64::MAX`, so time arithmetic never saturates in practice and
//! an event that reschedules itself a positive delay later always lands
//! later (nothing can repeat "at the same instant forever" at the end of
//! the clock).

use std::fmt;
use std::ops::{Add, AddAssign, Sub};
use std::str::FromStr;

/// A span of virtual time in whole microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(u64);

/// An instant of virtual time: microseconds since the world started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(u64);

const MICROS_PER_MS: u64 = 1_000;
const MICROS_PER_S: u64 = 1_000_000;
const MICROS_PER_MIN: u64 = 60 * MICROS_PER_S;
const MICROS_PER_H: u64 = 60 * MICROS_PER_MIN;

impl SimDuration {
    pub const ZERO: SimDuration = SimDuration(0);
    pub const MAX: SimDuration = SimDuration(u64::MAX);
    /// The longest a run may last, and the longest duration input may give:
    /// 100 years of 365 days.
    pub const HORIZON: SimDuration = SimDuration(100 * 365 * 24 * MICROS_PER_H);

    pub const fn from_micros(us: u64) -> Self {
        SimDuration(us)
    }
    pub const fn from_millis(ms: u64) -> Self {
        SimDuration(ms.saturating_mul(MICROS_PER_MS))
    }
    pub const fn from_secs(s: u64) -> Self {
        SimDuration(s.saturating_mul(MICROS_PER_S))
    }
    pub const fn as_micros(self) -> u64 {
        self.0
    }
    /// Seconds as a float, for display and rates only (never for scheduling).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / MICROS_PER_S as f64
    }
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }
    pub const fn saturating_add(self, other: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(other.0))
    }
    pub const fn saturating_sub(self, other: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_sub(other.0))
    }
}

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);
    pub const MAX: SimTime = SimTime(u64::MAX);

    pub const fn from_micros(us: u64) -> Self {
        SimTime(us)
    }
    pub const fn as_micros(self) -> u64 {
        self.0
    }
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / MICROS_PER_S as f64
    }
    /// Time elapsed since `earlier` (zero if `earlier` is later).
    pub const fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
    pub const fn saturating_add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, d: SimDuration) -> SimTime {
        self.saturating_add(d)
    }
}
impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, d: SimDuration) {
        *self = *self + d;
    }
}
impl Sub<SimTime> for SimTime {
    type Output = SimDuration;
    fn sub(self, earlier: SimTime) -> SimDuration {
        self.since(earlier)
    }
}
impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, o: SimDuration) -> SimDuration {
        self.saturating_add(o)
    }
}
impl AddAssign for SimDuration {
    fn add_assign(&mut self, o: SimDuration) {
        *self = *self + o;
    }
}

/// Why a duration string was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DurationParseError {
    pub input: String,
    /// Well formed, but longer than [`SimDuration::HORIZON`].
    pub too_large: bool,
}

/// Echoed input is cut to this many characters (a 100 KB string in an
/// error message helps nobody).
pub const ECHO_MAX: usize = 40;

/// `input` quoted for an error message, cut to [`ECHO_MAX`] characters with
/// its length said when it is longer: `"aaaa…" (100000 bytes)`.
pub fn echo(input: &str) -> String {
    match input.char_indices().nth(ECHO_MAX) {
        None => format!("{input:?}"),
        Some((cut, _)) => format!("{:?}… ({} bytes)", &input[..cut], input.len()),
    }
}

impl fmt::Display for DurationParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.too_large {
            write!(
                f,
                "duration too large: {} is longer than {}, the longest a run can last",
                echo(&self.input),
                HORIZON_TEXT
            )
        } else {
            write!(f, "expected a duration such as \"150ms\", got {}", echo(&self.input))
        }
    }
}

/// [`SimDuration::HORIZON`] in words.
pub const HORIZON_TEXT: &str = "100 years (876000h)";

impl SimDuration {
    /// `Ok(d)` if `d` is within [`SimDuration::HORIZON`].
    pub fn within_horizon(d: u64) -> Option<SimDuration> {
        (d <= Self::HORIZON.0).then_some(SimDuration(d))
    }
}
impl std::error::Error for DurationParseError {}

impl FromStr for SimDuration {
    type Err = DurationParseError;

    /// Parses one or more `<number><unit>` parts (`h`, `m`, `s`, `ms`, `us`,
    /// `µs`); a part may have a decimal fraction. A bare `0` is allowed.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let err = || DurationParseError { input: input.to_owned(), too_large: false };
        let too_large = || DurationParseError { input: input.to_owned(), too_large: true };
        let s = input.trim();
        if s == "0" {
            return Ok(SimDuration::ZERO);
        }
        if s.is_empty() {
            return Err(err());
        }
        let bytes = s.as_bytes();
        let mut i = 0;
        let mut total: u64 = 0;
        while i < bytes.len() {
            let num_start = i;
            while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
                i += 1;
            }
            let number = &s[num_start..i];
            let unit_start = i;
            while i < bytes.len() && !(bytes[i].is_ascii_digit() || bytes[i] == b'.') {
                i += 1;
            }
            let unit = &s[unit_start..i];
            let scale = match unit {
                "h" => MICROS_PER_H,
                "m" => MICROS_PER_MIN,
                "s" => MICROS_PER_S,
                "ms" => MICROS_PER_MS,
                "us" | "µs" => 1,
                _ => return Err(err()),
            };
            let part = match scaled_decimal(number, scale) {
                Ok(p) => p,
                Err(Overflow) => return Err(too_large()),
                Err(Malformed) => return Err(err()),
            };
            total = total.checked_add(part).ok_or_else(too_large)?;
        }
        SimDuration::within_horizon(total).ok_or_else(too_large)
    }
}

/// Why a decimal part was refused.
enum PartError {
    /// Not a number, or a fraction finer than one microsecond.
    Malformed,
    /// A number, but too big for `u64` microseconds.
    Overflow,
}
use PartError::{Malformed, Overflow};

/// `number * scale` exactly, for a decimal string.
fn scaled_decimal(number: &str, scale: u64) -> Result<u64, PartError> {
    let (int_part, frac_part) = match number.split_once('.') {
        Some((a, b)) => (a, b),
        None => (number, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(Malformed);
    }
    if !int_part.bytes().all(|b| b.is_ascii_digit()) || !frac_part.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Malformed);
    }
    let int: u64 = if int_part.is_empty() { 0 } else { int_part.parse().map_err(|_| Overflow)? };
    let mut value = int.checked_mul(scale).ok_or(Overflow)?;
    let mut place = scale;
    for digit in frac_part.bytes() {
        if place % 10 != 0 {
            // Finer than a microsecond: only zeros are acceptable.
            if digit != b'0' {
                return Err(Malformed);
            }
            continue;
        }
        place /= 10;
        value = value.checked_add(u64::from(digit - b'0') * place).ok_or(Overflow)?;
    }
    Ok(value)
}

impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let us = self.0;
        if us == 0 {
            return f.write_str("0s");
        }
        if us < MICROS_PER_MS {
            return write!(f, "{us}us");
        }
        if us < MICROS_PER_S {
            return write_decimal(f, us, MICROS_PER_MS, "ms");
        }
        if us < MICROS_PER_MIN {
            return write_decimal(f, us, MICROS_PER_S, "s");
        }
        let h = us / MICROS_PER_H;
        let m = (us % MICROS_PER_H) / MICROS_PER_MIN;
        let rest = us % MICROS_PER_MIN;
        if h > 0 {
            write!(f, "{h}h")?;
        }
        if m > 0 {
            write!(f, "{m}m")?;
        }
        if rest > 0 {
            write_decimal(f, rest, MICROS_PER_S, "s")?;
        }
        Ok(())
    }
}

/// Writes `value / unit` with just the fractional digits needed to be exact.
fn write_decimal(f: &mut fmt::Formatter<'_>, value: u64, unit: u64, suffix: &str) -> fmt::Result {
    let whole = value / unit;
    let mut frac = value % unit;
    if frac == 0 {
        return write!(f, "{whole}{suffix}");
    }
    let mut width = unit.ilog10() as usize;
    while frac % 10 == 0 {
        frac /= 10;
        width -= 1;
    }
    write!(f, "{whole}.{frac:0width$}{suffix}")
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        SimDuration(self.0).fmt(f)
    }
}

impl serde::Serialize for SimDuration {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for SimDuration {
    /// Accepts a human string (`"150ms"`) or a plain integer of microseconds.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = SimDuration;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration such as \"150ms\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<SimDuration, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<SimDuration, E> {
                SimDuration::within_horizon(v).ok_or_else(|| {
                    E::custom(format!("duration too large: {v}us is longer than {HORIZON_TEXT}, the longest a run can last"))
                })
            }
            // Deserializers that see every integer as signed (serde-wasm-bindgen
            // for JS numbers) call this one.
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<SimDuration, E> {
                let v = u64::try_from(v).map_err(|_| E::custom(format!("expected a duration of at least 0, got {v}")))?;
                self.visit_u64(v)
            }
        }
        d.deserialize_any(V)
    }
}

impl serde::Serialize for SimTime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> SimDuration {
        s.parse().unwrap()
    }

    #[test]
    fn integers_are_microseconds_whether_signed_or_not() {
        use serde::de::IntoDeserializer;
        use serde::Deserialize;
        type E = serde::de::value::Error;
        let signed = SimDuration::deserialize(IntoDeserializer::<E>::into_deserializer(5_000i64));
        assert_eq!(signed, Ok(SimDuration::from_millis(5)));
        let unsigned = SimDuration::deserialize(IntoDeserializer::<E>::into_deserializer(5_000u64));
        assert_eq!(unsigned, Ok(SimDuration::from_millis(5)));
        let negative = SimDuration::deserialize(IntoDeserializer::<E>::into_deserializer(-1i64));
        assert_eq!(negative.unwrap_err().to_string(), "expected a duration of at least 0, got -1");
    }

    #[test]
    fn parses_common_forms() {
        assert_eq!(d("150ms"), SimDuration::from_millis(150));
        assert_eq!(d("2s"), SimDuration::from_secs(2));
        assert_eq!(d("1m30s"), SimDuration::from_secs(90));
        assert_eq!(d("1.5s"), SimDuration::from_millis(1500));
        assert_eq!(d("250us"), SimDuration::from_micros(250));
        assert_eq!(d("250µs"), SimDuration::from_micros(250));
        assert_eq!(d("1h"), SimDuration::from_secs(3600));
        assert_eq!(d("0"), SimDuration::ZERO);
        assert_eq!(d(".5ms"), SimDuration::from_micros(500));
    }

    #[test]
    fn refuses_garbage_with_the_input_in_the_message() {
        for bad in ["fast", "", "10", "1.2.3s", "-1s", "1x", "0.5us", "ms"] {
            let e = bad.parse::<SimDuration>().unwrap_err();
            assert_eq!(e.input, bad);
            assert!(e.to_string().contains("expected a duration such as \"150ms\""));
        }
    }

    #[test]
    fn durations_beyond_the_horizon_are_too_large_not_malformed() {
        assert_eq!(d("876000h"), SimDuration::HORIZON);
        for big in ["876000h1us", "9999999999999h", "99999999999999999999h", "18446744073709551615us", "1000000000000000000000s"] {
            let e = big.parse::<SimDuration>().unwrap_err();
            assert!(e.too_large, "{big}");
            assert_eq!(
                e.to_string(),
                format!("duration too large: {big:?} is longer than 100 years (876000h), the longest a run can last")
            );
        }
        use serde::de::IntoDeserializer;
        use serde::Deserialize;
        type E = serde::de::value::Error;
        let e = SimDuration::deserialize(IntoDeserializer::<E>::into_deserializer(u64::MAX)).unwrap_err();
        assert!(e.to_string().starts_with("duration too large: 18446744073709551615us"), "{e}");
    }

    #[test]
    fn echoed_input_is_cut_and_its_length_said() {
        let long = "x".repeat(100_000);
        let e = long.parse::<SimDuration>().unwrap_err().to_string();
        assert!(e.len() < 120, "{e}");
        assert!(e.ends_with(&format!("\"{}\"… (100000 bytes)", "x".repeat(ECHO_MAX))), "{e}");
        assert_eq!(echo("short"), "\"short\"");
    }

    #[test]
    fn prints_compactly_and_round_trips() {
        for (us, text) in [
            (0, "0s"),
            (250, "250us"),
            (1_500, "1.5ms"),
            (150_000, "150ms"),
            (1_200_000, "1.2s"),
            (90_000_000, "1m30s"),
            (3_600_000_000, "1h"),
            (3_661_000_001, "1h1m1.000001s"),
        ] {
            let dur = SimDuration::from_micros(us);
            assert_eq!(dur.to_string(), text);
            assert_eq!(d(text), dur);
        }
    }

    #[test]
    fn time_arithmetic_saturates() {
        let t = SimTime::from_micros(10);
        assert_eq!((t + SimDuration::from_micros(5)).as_micros(), 15);
        assert_eq!(SimTime::ZERO.since(t), SimDuration::ZERO);
        assert_eq!(SimTime::MAX + SimDuration::from_secs(1), SimTime::MAX);
    }
}
