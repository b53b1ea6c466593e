//! The wasm-bindgen adapter: converts types between JS and the engine in
//! `queuelab` and does nothing else. All behaviour lives in core.
//!
//! - [`Playground`]: one running world for the page (presets, scenario JSON,
//!   advance/step, snapshot, events, series, listings, live commands,
//!   share/replay, reset).
//! - [`convert`]: total conversions of JS numbers and serde values.
//! - [`errors`]: the messages JS sees in thrown `Error`s.
//! - `types.d.ts`: the TypeScript interfaces of every object crossing the
//!   boundary, appended to the generated `queuelab_wasm.d.ts`.

pub mod convert;
pub mod errors;
mod playground;

pub use playground::Playground;

use wasm_bindgen::prelude::*;

/// The TypeScript types of the objects `Playground` takes and returns.
pub const TS_TYPES: &str = include_str!("types.d.ts");

#[wasm_bindgen(typescript_custom_section)]
const TS_APPEND: &str = TS_TYPES;

/// Installs the panic hook so a Rust panic shows its message in the console.
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}
