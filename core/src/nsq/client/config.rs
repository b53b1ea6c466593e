//! The consumer's `Config` (go-nsq `config.go`): the fields the model
//! uses, with go-nsq's defaults and its `min`/`max` validation.

use super::backoff::BackoffStrategy;
use super::ClientError;
use crate::time::SimDuration;

/// The consumer's `Config` (the fields the model uses), go-nsq defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct ConsumerConfig {
    /// `max_in_flight` (1).
    pub max_in_flight: u64,
    /// `max_attempts` (5; 0 = unlimited).
    pub max_attempts: u16,
    /// `default_requeue_delay` (90 s, 0-60 min).
    pub default_requeue_delay: SimDuration,
    /// `max_requeue_delay` (15 min, 0-60 min).
    pub max_requeue_delay: SimDuration,
    /// `backoff_strategy` (exponential).
    pub backoff_strategy: BackoffStrategy,
    /// `backoff_multiplier` (1 s, 0-60 min).
    pub backoff_multiplier: SimDuration,
    /// `max_backoff_duration` (2 min, 0-60 min).
    pub max_backoff_duration: SimDuration,
    /// `lookupd_poll_interval` (60 s, 10 ms-5 min).
    pub lookupd_poll_interval: SimDuration,
    /// `lookupd_poll_jitter` (0.3, 0-1).
    pub lookupd_poll_jitter: f64,
    /// `msg_timeout` sent in IDENTIFY. go-nsq's default is 0, "nsqd's
    /// default", which is 60 s; the model keeps the effective 60 s.
    pub msg_timeout: SimDuration,
    /// `low_rdy_idle_timeout` (10 s, 1 s-5 min).
    pub low_rdy_idle_timeout: SimDuration,
    /// `low_rdy_timeout` (30 s, 1 s-5 min).
    pub low_rdy_timeout: SimDuration,
    /// `rdy_redistribute_interval` (5 s, 1 ms-5 s).
    pub rdy_redistribute_interval: SimDuration,
}

impl Default for ConsumerConfig {
    fn default() -> Self {
        ConsumerConfig {
            max_in_flight: 1,
            max_attempts: 5,
            default_requeue_delay: SimDuration::from_secs(90),
            max_requeue_delay: SimDuration::from_secs(15 * 60),
            backoff_strategy: BackoffStrategy::Exponential,
            backoff_multiplier: SimDuration::from_secs(1),
            max_backoff_duration: SimDuration::from_secs(2 * 60),
            lookupd_poll_interval: SimDuration::from_secs(60),
            lookupd_poll_jitter: 0.3,
            msg_timeout: SimDuration::from_secs(60),
            low_rdy_idle_timeout: SimDuration::from_secs(10),
            low_rdy_timeout: SimDuration::from_secs(30),
            rdy_redistribute_interval: SimDuration::from_secs(5),
        }
    }
}

impl ConsumerConfig {
    /// `Config.Validate`: the `min`/`max` tags of the fields above.
    pub fn validate(&self) -> Result<(), ClientError> {
        let s = SimDuration::from_secs;
        let ms = SimDuration::from_millis;
        let checks: [(&'static str, SimDuration, SimDuration, SimDuration); 9] = [
            (
                "default_requeue_delay",
                self.default_requeue_delay,
                SimDuration::ZERO,
                s(3600),
            ),
            (
                "max_requeue_delay",
                self.max_requeue_delay,
                SimDuration::ZERO,
                s(3600),
            ),
            (
                "backoff_multiplier",
                self.backoff_multiplier,
                SimDuration::ZERO,
                s(3600),
            ),
            (
                "max_backoff_duration",
                self.max_backoff_duration,
                SimDuration::ZERO,
                s(3600),
            ),
            (
                "lookupd_poll_interval",
                self.lookupd_poll_interval,
                ms(10),
                s(300),
            ),
            (
                "low_rdy_idle_timeout",
                self.low_rdy_idle_timeout,
                s(1),
                s(300),
            ),
            ("low_rdy_timeout", self.low_rdy_timeout, s(1), s(300)),
            (
                "rdy_redistribute_interval",
                self.rdy_redistribute_interval,
                ms(1),
                s(5),
            ),
            (
                "msg_timeout",
                self.msg_timeout,
                SimDuration::ZERO,
                SimDuration::HORIZON,
            ),
        ];
        for (field, v, lo, hi) in checks {
            if v < lo || v > hi {
                return Err(ClientError::InvalidConfig { field });
            }
        }
        let j = self.lookupd_poll_jitter;
        if !(0.0..=1.0).contains(&j) {
            return Err(ClientError::InvalidConfig {
                field: "lookupd_poll_jitter",
            });
        }
        Ok(())
    }
}
