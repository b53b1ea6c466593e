//! sarama's consumer side.
pub mod assignor;
pub mod sticky;
