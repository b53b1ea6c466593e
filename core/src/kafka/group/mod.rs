//! Kafka's classic consumer-group coordinator as a sarama group sees it.
pub mod coordinator;
