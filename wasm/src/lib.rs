//! The wasm-bindgen adapter: converts types between JS and the engine in
//! `queuelab` and does nothing else. All behaviour lives in core.

use queuelab::time::SimDuration;
use queuelab::toy::ToySim;
use wasm_bindgen::prelude::*;

/// Installs the panic hook so a Rust panic shows its message in the console.
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

/// The first end-to-end slice: producer -> bounded buffer -> consumer.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Toy {
    sim: ToySim,
}

#[wasm_bindgen]
impl Toy {
    #[wasm_bindgen(constructor)]
    pub fn new(capacity: u32, produce_every_us: u32, consume_every_us: u32) -> Toy {
        Toy {
            sim: ToySim::new(
                capacity,
                SimDuration::from_micros(u64::from(produce_every_us)),
                SimDuration::from_micros(u64::from(consume_every_us)),
            ),
        }
    }

    /// Advances virtual time by `micros`, running every event due.
    pub fn advance(&mut self, micros: f64) {
        let us = if micros.is_finite() && micros > 0.0 { micros as u64 } else { 0 };
        self.sim.advance(SimDuration::from_micros(us));
    }

    /// The current counters as a plain JS object.
    pub fn snapshot(&self) -> Result<JsValue, JsError> {
        serde_wasm_bindgen::to_value(&self.sim.snapshot()).map_err(|e| JsError::new(&e.to_string()))
    }
}
