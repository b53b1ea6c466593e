//! sarama's consumer side.
pub mod assignor;
