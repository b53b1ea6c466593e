//! Shared by the integration tests that `mod support;` it.
#![allow(dead_code)]

pub mod gen;
pub mod invariants;
