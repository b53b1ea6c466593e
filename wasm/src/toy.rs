//! The first end-to-end slice (`Toy`): kept only until the page switches to
//! [`crate::Playground`]; it goes away together with `core/src/toy.rs`.

use queuelab::time::SimDuration;
use queuelab::toy::ToySim;
use wasm_bindgen::prelude::*;

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
        self.sim.advance(crate::convert::micros(micros));
    }

    /// The current counters as a plain JS object.
    pub fn snapshot(&self) -> Result<JsValue, JsError> {
        crate::convert::to_js(&self.sim.snapshot())
    }
}
