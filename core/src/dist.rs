//! Distributions of durations: how long a producer waits between items, how
//! long a consumer works on one.
//!
//! | JSON | meaning |
//! |---|---|
//! | `"100ms"` or `{"constant": "100ms"}` | always 100 ms |
//! | `{"uniform": {"min": "50ms", "max": "150ms"}}` | uniform on `[min, max]` (whole µs) |
//! | `{"exponential": {"mean": "100ms"}}` | exponential (Poisson arrivals) |
//! | `{"normal": {"mean": "100ms", "stddev": "20ms"}}` | normal, clamped at 0 |
//! | `{"lognormal": {"mean": "100ms", "stddev": "50ms"}}` | log-normal with that mean and stddev |
//! | `{"bursts": {"on": "1s", "off": "2s", "interval": <dist>}}` | `interval` during on-windows, nothing during off-windows |
//!
//! The same distributions have a one-line text form, accepted wherever a
//! duration string is (scenario JSON, live `set_rates` commands, the page's
//! rate editors) and printed by `Display`, so what the page shows can be
//! edited and sent back as is:
//!
//! | text | same as |
//! |---|---|
//! | `150ms`, `constant(150ms)` | `"150ms"` |
//! | `uniform(50ms..150ms)`, `uniform(50ms, 150ms)` | `{"uniform": {"min": "50ms", "max": "150ms"}}` |
//! | `exp(100ms)`, `exp(mean 100ms)`, `exponential(100ms)` | `{"exponential": {"mean": "100ms"}}` |
//! | `normal(100ms ± 20ms)`, `normal(100ms +- 20ms)`, `normal(100ms, 20ms)` | `{"normal": ...}` |
//! | `lognormal(100ms ± 50ms)` (same separators) | `{"lognormal": ...}` |
//! | `bursts(exp(40ms) for 1s, off 1.5s)` | `{"bursts": {"on": "1s", "off": "1.5s", "interval": ...}}` |
//!
//! Samples are whole microseconds. Bursts are anchored at time zero: the
//! on-windows are `[k(on+off), k(on+off)+on)`; a sample that would land in an
//! off-window is moved to the start of the next on-window. Every sample
//! draws from the world's [`SimRng`], so a seed fixes every sample.
//! Exponential and normal draws use `rand_distr`'s ziggurat (`Exp1`,
//! `StandardNormal`): table lookups and plain IEEE arithmetic, the same bits
//! natively and in wasm, and no logarithm on the common path (the inverse
//! transform `-mean * ln(u)` cost a long-latency `ln` per draw). See
//! [`crate::rng`] for the one rare step that uses platform math.

use crate::rng::SimRng;
use crate::time::{echo, SimDuration, SimTime};
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A distribution of durations.
#[derive(Clone, Debug, PartialEq)]
pub enum Dist {
    Constant(SimDuration),
    Uniform { min: SimDuration, max: SimDuration },
    Exponential { mean: SimDuration },
    Normal { mean: SimDuration, stddev: SimDuration },
    LogNormal { mean: SimDuration, stddev: SimDuration },
    Bursts { on: SimDuration, off: SimDuration, interval: Box<Dist> },
}

impl Default for Dist {
    fn default() -> Self {
        Dist::Constant(SimDuration::ZERO)
    }
}

/// Samples longer than this (about 285 years) are cut to it.
const MAX_SAMPLE_US: f64 = (1u64 << 53) as f64;

/// Rounds a sample in µs to whole µs: negative and NaN give 0, huge values
/// [`MAX_SAMPLE_US`]. Clamping first lets the conversion be the cheap
/// signed one (`f64 as u64` needs a long saturating sequence on x86_64).
#[inline(always)]
fn to_us(x: f64) -> SimDuration {
    let x = if x > 0.0 { x.min(MAX_SAMPLE_US) } else { 0.0 };
    SimDuration::from_micros((x + 0.5) as i64 as u64)
}

impl Dist {
    /// Draws the delay from `now` until the next event.
    ///
    /// Inlined into the executor (two draws per message on the reference
    /// model): the common distributions are a few instructions, the rare
    /// ones are out of line.
    #[inline(always)]
    pub fn sample(&self, rng: &mut SimRng, now: SimTime) -> SimDuration {
        match self {
            Dist::Constant(d) => *d,
            Dist::Exponential { mean } => to_us(mean.as_micros() as f64 * rng.exp1()),
            Dist::Bursts { on, off, interval } => Self::sample_bursts(*on, *off, interval, rng, now),
            _ => self.sample_plain(rng),
        }
    }

    /// A sample of a distribution that does not depend on the time.
    #[inline(never)]
    fn sample_plain(&self, rng: &mut SimRng) -> SimDuration {
        match self {
            Dist::Constant(d) => *d,
            Dist::Uniform { min, max } => {
                SimDuration::from_micros(rng.between(min.as_micros(), max.as_micros()))
            }
            Dist::Exponential { mean } => to_us(mean.as_micros() as f64 * rng.exp1()),
            Dist::Normal { mean, stddev } => {
                to_us(mean.as_micros() as f64 + stddev.as_micros() as f64 * rng.standard_normal())
            }
            Dist::LogNormal { mean, stddev } => {
                let m = mean.as_micros() as f64;
                if m <= 0.0 {
                    return SimDuration::ZERO;
                }
                let s = stddev.as_micros() as f64;
                let sigma2 = libm::log1p((s * s) / (m * m));
                let mu = libm::log(m) - sigma2 / 2.0;
                to_us(libm::exp(mu + libm::sqrt(sigma2) * rng.standard_normal()))
            }
            // `check` refuses bursts inside bursts.
            Dist::Bursts { interval, .. } => interval.sample_plain(rng),
        }
    }

    /// Bursts: `interval`'s sample, moved out of an off-window.
    #[inline(never)]
    fn sample_bursts(on: SimDuration, off: SimDuration, interval: &Dist, rng: &mut SimRng, now: SimTime) -> SimDuration {
        let d = interval.sample_plain(rng);
        let period = on.as_micros().saturating_add(off.as_micros());
        if period == 0 || off.is_zero() {
            return d;
        }
        let t = now.as_micros().saturating_add(d.as_micros());
        let phase = t % period;
        let at = if phase < on.as_micros() { t } else { t - phase + period };
        SimDuration::from_micros(at - now.as_micros())
    }

    /// The long-run mean, for display and rate summaries.
    pub fn mean(&self) -> SimDuration {
        match self {
            Dist::Constant(d) => *d,
            Dist::Uniform { min, max } => SimDuration::from_micros((min.as_micros() + max.as_micros()) / 2),
            Dist::Exponential { mean } | Dist::Normal { mean, .. } | Dist::LogNormal { mean, .. } => *mean,
            Dist::Bursts { on, off, interval } => {
                // Average spacing stretched by the off fraction.
                let period = on.as_micros() + off.as_micros();
                if on.is_zero() {
                    return SimDuration::MAX;
                }
                let m = interval.mean().as_micros() as f64 * period as f64 / on.as_micros() as f64;
                to_us(m)
            }
        }
    }

    /// Checks parameters that parse but make no sense.
    pub fn check(&self) -> Result<(), String> {
        match self {
            Dist::Uniform { min, max } if min > max => {
                Err(format!("uniform: min ({min}) must not exceed max ({max})"))
            }
            Dist::Bursts { on, .. } if on.is_zero() => Err("bursts: `on` must be longer than 0s".into()),
            Dist::Bursts { interval, .. } => match **interval {
                Dist::Bursts { .. } => Err("bursts: `interval` cannot itself be bursts".into()),
                ref inner => inner.check(),
            },
            _ => Ok(()),
        }
    }

    /// Whether every sample is zero (a loop paced only by this never waits).
    pub fn is_zero(&self) -> bool {
        match self {
            Dist::Constant(d) => d.is_zero(),
            Dist::Uniform { max, .. } => max.is_zero(),
            Dist::Exponential { mean } | Dist::Normal { mean, .. } | Dist::LogNormal { mean, .. } => {
                mean.is_zero()
            }
            Dist::Bursts { off, interval, .. } => off.is_zero() && interval.is_zero(),
        }
    }
}

impl fmt::Display for Dist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dist::Constant(d) => write!(f, "{d}"),
            Dist::Uniform { min, max } => write!(f, "uniform({min}..{max})"),
            Dist::Exponential { mean } => write!(f, "exp(mean {mean})"),
            Dist::Normal { mean, stddev } => write!(f, "normal({mean} ± {stddev})"),
            Dist::LogNormal { mean, stddev } => write!(f, "lognormal({mean} ± {stddev})"),
            Dist::Bursts { on, off, interval } => write!(f, "bursts({interval} for {on}, off {off})"),
        }
    }
}

/// Examples shown when a distribution's text form is not understood.
const TEXT_FORMS: &str = r#""150ms", "exp(100ms)", "uniform(50ms..150ms)", "normal(100ms ± 20ms)", "lognormal(100ms ± 50ms)" or "bursts(exp(40ms) for 1s, off 1.5s)""#;

impl std::str::FromStr for Dist {
    type Err = String;

    /// Parses the text form (see the module docs): a plain duration, or
    /// `kind(arguments)`. A plain word that is no duration keeps the
    /// duration error (`expected a duration such as "150ms", got "fast"`).
    fn from_str(input: &str) -> Result<Dist, String> {
        let s = input.trim();
        let Some(open) = s.find('(') else {
            return input.parse().map(Dist::Constant).map_err(|e: crate::time::DurationParseError| e.to_string());
        };
        let bad = || format!("expected a distribution such as {TEXT_FORMS}, got {}", echo(input));
        let Some(inner) = s.strip_suffix(')') else { return Err(bad()) };
        let kind = s[..open].trim().to_ascii_lowercase();
        let args = inner[open + 1..].trim();
        let dur = |text: &str| -> Result<SimDuration, String> {
            text.trim().parse::<SimDuration>().map_err(|e| format!("{kind}(...): {e}"))
        };
        // Splits `a <sep> b` at the first separator found (in the order given).
        let pair = |seps: &[&str]| -> Result<(SimDuration, SimDuration), String> {
            for sep in seps {
                if let Some((a, b)) = args.split_once(sep) {
                    return Ok((dur(a)?, dur(b)?));
                }
            }
            let quoted: Vec<String> = seps.iter().map(|s| format!("\"{s}\"")).collect();
            Err(format!("{kind}(...): expected two durations separated by {}, got {}", quoted.join(" or "), echo(args)))
        };
        let dist = match kind.as_str() {
            "constant" => Dist::Constant(dur(args)?),
            "exp" | "exponential" => {
                let mean = args.strip_prefix("mean").unwrap_or(args);
                Dist::Exponential { mean: dur(mean)? }
            }
            "uniform" => {
                let (min, max) = pair(&["..", ","])?;
                Dist::Uniform { min, max }
            }
            "normal" | "lognormal" => {
                let (mean, stddev) = pair(&["±", "+-", ","])?;
                if kind == "normal" {
                    Dist::Normal { mean, stddev }
                } else {
                    Dist::LogNormal { mean, stddev }
                }
            }
            "bursts" => {
                let form = || format!("bursts(...): expected \"bursts(<interval> for <on>, off <off>)\", got {}", echo(input));
                let (interval, rest) = args.rsplit_once(" for ").ok_or_else(form)?;
                let (on, off) = rest.split_once(',').ok_or_else(form)?;
                let off = off.trim().strip_prefix("off").ok_or_else(form)?;
                let interval: Dist = interval.parse()?;
                Dist::Bursts { on: dur(on)?, off: dur(off)?, interval: Box::new(interval) }
            }
            _ => return Err(bad()),
        };
        dist.check()?;
        Ok(dist)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MinMax {
    min: SimDuration,
    max: SimDuration,
}
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Mean {
    mean: SimDuration,
}
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MeanStd {
    mean: SimDuration,
    stddev: SimDuration,
}
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BurstsRepr {
    on: SimDuration,
    off: SimDuration,
    interval: Dist,
}

impl Serialize for Dist {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        if let Dist::Constant(d) = self {
            return d.serialize(s);
        }
        let mut m = s.serialize_map(Some(1))?;
        match self {
            Dist::Constant(_) => unreachable!(),
            Dist::Uniform { min, max } => m.serialize_entry("uniform", &MinMax { min: *min, max: *max })?,
            Dist::Exponential { mean } => m.serialize_entry("exponential", &Mean { mean: *mean })?,
            Dist::Normal { mean, stddev } => {
                m.serialize_entry("normal", &MeanStd { mean: *mean, stddev: *stddev })?
            }
            Dist::LogNormal { mean, stddev } => {
                m.serialize_entry("lognormal", &MeanStd { mean: *mean, stddev: *stddev })?
            }
            Dist::Bursts { on, off, interval } => m.serialize_entry(
                "bursts",
                &BurstsRepr { on: *on, off: *off, interval: (**interval).clone() },
            )?,
        }
        m.end()
    }
}

const KINDS: &[&str] = &["constant", "uniform", "exponential", "normal", "lognormal", "bursts"];

impl<'de> Deserialize<'de> for Dist {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Dist;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration such as \"150ms\" or a distribution such as {\"exponential\": {\"mean\": \"100ms\"}}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Dist, E> {
                v.parse().map_err(E::custom)
            }
            // Integers are microseconds, checked as any duration is (at
            // least 0, at most the horizon): `SimDuration`'s own rules.
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Dist, E> {
                SimDuration::deserialize(de::value::U64Deserializer::<E>::new(v)).map(Dist::Constant)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Dist, E> {
                SimDuration::deserialize(de::value::I64Deserializer::<E>::new(v)).map(Dist::Constant)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Dist, A::Error> {
                let Some(kind) = map.next_key::<String>()? else {
                    return Err(de::Error::custom(format!("expected one of {KINDS:?}, got an empty object")));
                };
                let dist = match kind.as_str() {
                    "constant" => Dist::Constant(map.next_value()?),
                    "uniform" => {
                        let r: MinMax = map.next_value()?;
                        Dist::Uniform { min: r.min, max: r.max }
                    }
                    "exponential" => Dist::Exponential { mean: map.next_value::<Mean>()?.mean },
                    "normal" => {
                        let r: MeanStd = map.next_value()?;
                        Dist::Normal { mean: r.mean, stddev: r.stddev }
                    }
                    "lognormal" => {
                        let r: MeanStd = map.next_value()?;
                        Dist::LogNormal { mean: r.mean, stddev: r.stddev }
                    }
                    "bursts" => {
                        let r: BurstsRepr = map.next_value()?;
                        Dist::Bursts { on: r.on, off: r.off, interval: Box::new(r.interval) }
                    }
                    other => return Err(de::Error::unknown_variant(other, KINDS)),
                };
                if let Some(extra) = map.next_key::<String>()? {
                    return Err(de::Error::custom(format!(
                        "a distribution has exactly one kind, got a second key {}", echo(&extra)
                    )));
                }
                Ok(dist)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Dist, String> {
        serde_json::from_str(s).map_err(|e| e.to_string())
    }

    #[test]
    fn signed_integers_are_microseconds() {
        use serde::de::IntoDeserializer;
        type E = serde::de::value::Error;
        let d = Dist::deserialize(IntoDeserializer::<E>::into_deserializer(5_000i64));
        assert_eq!(d, Ok(Dist::Constant(SimDuration::from_millis(5))));
        let neg = Dist::deserialize(IntoDeserializer::<E>::into_deserializer(-5i64));
        assert_eq!(neg.unwrap_err().to_string(), "expected a duration of at least 0, got -5");
        assert_eq!(parse("-5"), Err("expected a duration of at least 0, got -5 at line 1 column 2".into()));
    }

    #[test]
    fn json_forms_round_trip() {
        for text in [
            r#""100ms""#,
            r#"{"uniform":{"min":"50ms","max":"150ms"}}"#,
            r#"{"exponential":{"mean":"10ms"}}"#,
            r#"{"normal":{"mean":"10ms","stddev":"2ms"}}"#,
            r#"{"lognormal":{"mean":"10ms","stddev":"5ms"}}"#,
            r#"{"bursts":{"on":"1s","off":"2s","interval":"10ms"}}"#,
        ] {
            let d = parse(text).unwrap();
            assert_eq!(serde_json::to_string(&d).unwrap(), text);
        }
        assert_eq!(parse(r#"{"constant":"5ms"}"#).unwrap(), Dist::Constant(SimDuration::from_millis(5)));
    }

    #[test]
    fn bad_json_says_what_was_expected() {
        assert!(parse(r#""fast""#).unwrap_err().contains(r#"expected a duration such as "150ms", got "fast""#));
        assert!(parse(r#"{"poisson":{"mean":"1s"}}"#).unwrap_err().contains("unknown variant `poisson`"));
        assert!(parse(r#"{"exponential":{"mean":"1s","x":1}}"#).unwrap_err().contains("unknown field"));
        assert!(parse(r#"{"exponential":{"mean":"1s"},"uniform":{}}"#).unwrap_err().contains("second key"));
        assert!(parse("true").unwrap_err().contains("expected a duration"));
    }

    #[test]
    fn sample_means_are_close() {
        let mut rng = SimRng::new(3);
        let ms = SimDuration::from_millis;
        for d in [
            Dist::Uniform { min: ms(50), max: ms(150) },
            Dist::Exponential { mean: ms(100) },
            Dist::Normal { mean: ms(100), stddev: ms(10) },
            Dist::LogNormal { mean: ms(100), stddev: ms(50) },
        ] {
            let n = 20_000;
            let sum: u64 = (0..n).map(|_| d.sample(&mut rng, SimTime::ZERO).as_micros()).sum();
            let mean = sum as f64 / n as f64;
            assert!((mean - 100_000.0).abs() < 3_000.0, "{d}: mean {mean}");
        }
    }

    #[test]
    fn exponential_and_normal_have_the_right_shape() {
        // Beyond the mean: tail and spread, not just the mean (20,000
        // draws: the standard error of a fraction near 0.5 is 0.0035).
        let mut rng = SimRng::new(11);
        let ms = SimDuration::from_millis;
        let n = 20_000;
        let frac = |d: &Dist, rng: &mut SimRng, keep: &dyn Fn(u64) -> bool| {
            (0..n).filter(|_| keep(d.sample(rng, SimTime::ZERO).as_micros())).count() as f64 / n as f64
        };
        let exp = Dist::Exponential { mean: ms(100) };
        let above_2_means = frac(&exp, &mut rng, &|x| x > 200_000);
        assert!((above_2_means - (-2.0f64).exp()).abs() < 0.012, "P(X > 2 mean) = {above_2_means}");
        let below_tenth = frac(&exp, &mut rng, &|x| x < 10_000);
        assert!((below_tenth - (1.0 - (-0.1f64).exp())).abs() < 0.012, "P(X < mean/10) = {below_tenth}");
        let normal = Dist::Normal { mean: ms(100), stddev: ms(10) };
        let within_1sd = frac(&normal, &mut rng, &|x| (90_000..=110_000).contains(&x));
        assert!((within_1sd - 0.6827).abs() < 0.015, "P(|X - mean| <= sd) = {within_1sd}");
        let beyond_2sd = frac(&normal, &mut rng, &|x| !(80_000..=120_000).contains(&x));
        assert!((beyond_2sd - 0.0455).abs() < 0.008, "P(|X - mean| > 2 sd) = {beyond_2sd}");
    }

    #[test]
    fn normal_is_clamped_at_zero() {
        let mut rng = SimRng::new(9);
        let d = Dist::Normal { mean: SimDuration::from_micros(1), stddev: SimDuration::from_millis(10) };
        for _ in 0..1000 {
            let _ = d.sample(&mut rng, SimTime::ZERO); // never underflows or panics
        }
    }

    #[test]
    fn bursts_never_land_in_off_windows() {
        let mut rng = SimRng::new(1);
        let d = Dist::Bursts {
            on: SimDuration::from_secs(1),
            off: SimDuration::from_secs(2),
            interval: Box::new(Dist::Exponential { mean: SimDuration::from_millis(100) }),
        };
        let mut now = SimTime::ZERO;
        for _ in 0..2000 {
            now += d.sample(&mut rng, now);
            assert!(now.as_micros() % 3_000_000 < 1_000_000, "at {now}");
        }
    }

    #[test]
    fn text_form_round_trips_through_display() {
        let ms = SimDuration::from_millis;
        for d in [
            Dist::Constant(ms(150)),
            Dist::Uniform { min: ms(50), max: ms(150) },
            Dist::Exponential { mean: SimDuration::from_micros(1_500) },
            Dist::Normal { mean: ms(100), stddev: ms(20) },
            Dist::LogNormal { mean: ms(300), stddev: ms(150) },
            Dist::Bursts { on: ms(1000), off: ms(1500), interval: Box::new(Dist::Exponential { mean: ms(40) }) },
        ] {
            let text = d.to_string();
            assert_eq!(text.parse::<Dist>(), Ok(d.clone()), "{text}");
            // And as a JSON string, as a live `set_rates` command sends it.
            assert_eq!(parse(&serde_json::to_string(&text).unwrap()), Ok(d), "{text}");
        }
    }

    #[test]
    fn text_form_shorthands() {
        let ms = SimDuration::from_millis;
        let p = |t: &str| t.parse::<Dist>();
        assert_eq!(p("exp(100ms)"), Ok(Dist::Exponential { mean: ms(100) }));
        assert_eq!(p(" Exponential( 2s ) "), Ok(Dist::Exponential { mean: ms(2000) }));
        assert_eq!(p("uniform(50ms, 150ms)"), Ok(Dist::Uniform { min: ms(50), max: ms(150) }));
        assert_eq!(p("normal(100ms +- 20ms)"), Ok(Dist::Normal { mean: ms(100), stddev: ms(20) }));
        assert_eq!(p("lognormal(1s, 500ms)"), Ok(Dist::LogNormal { mean: ms(1000), stddev: ms(500) }));
        assert_eq!(p("constant(5ms)"), Ok(Dist::Constant(ms(5))));
        assert_eq!(
            p("bursts(20ms for 1s, off 2s)"),
            Ok(Dist::Bursts { on: ms(1000), off: ms(2000), interval: Box::new(Dist::Constant(ms(20))) })
        );
    }

    #[test]
    fn text_form_errors_say_what_was_expected() {
        let p = |t: &str| t.parse::<Dist>().unwrap_err();
        assert_eq!(p("fast"), r#"expected a duration such as "150ms", got "fast""#);
        assert!(p("poisson(1s)").contains(r#"expected a distribution such as "150ms", "exp(100ms)""#), "{}", p("poisson(1s)"));
        assert!(p("poisson(1s)").ends_with(r#"got "poisson(1s)""#));
        assert!(p("exp(100ms").contains("expected a distribution"));
        assert_eq!(p("exp(fast)"), r#"exp(...): expected a duration such as "150ms", got "fast""#);
        assert!(p("uniform(5ms)").contains(r#"two durations separated by ".." or ",""#));
        assert!(p("normal(5ms)").contains(r#"separated by "±" or "+-" or ",", got "5ms""#), "{}", p("normal(5ms)"));
        assert!(p("uniform(150ms..50ms)").contains("must not exceed max"));
        assert!(p("bursts(20ms, 1s)").contains("bursts(<interval> for <on>, off <off>)"));
        assert!(p("bursts(bursts(1ms for 1s, off 1s) for 1s, off 1s)").contains("cannot itself be bursts"));
        assert!(p("bursts(1ms for 0s, off 1s)").contains("longer than 0s"));
        // Through JSON the message is the same.
        assert!(parse(r#""exp(fast)""#).unwrap_err().contains(r#"exp(...): expected a duration such as "150ms", got "fast""#));
    }

    #[test]
    fn check_refuses_nonsense() {
        let ms = SimDuration::from_millis;
        assert!(Dist::Uniform { min: ms(5), max: ms(1) }.check().is_err());
        assert!(Dist::Bursts { on: ms(0), off: ms(1), interval: Box::new(Dist::Constant(ms(1))) }.check().is_err());
        assert!(Dist::Exponential { mean: ms(1) }.check().is_ok());
    }
}
