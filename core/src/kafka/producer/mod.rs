//! sarama's producer side.
pub mod partitioner;
