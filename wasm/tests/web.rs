//! Browser tests of the exported API (`wasm-pack test --headless --chrome wasm`).
#![cfg(target_arch = "wasm32")]

use queuelab_wasm::Toy;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn get(v: &JsValue, key: &str) -> f64 {
    js_sys_get(v, key).as_f64().unwrap()
}

fn js_sys_get(v: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(v, &JsValue::from_str(key)).unwrap()
}

#[wasm_bindgen_test]
fn toy_advances_and_reports_counters() {
    let mut toy = Toy::new(3, 10_000, 30_000);
    toy.advance(1_000_000.0);
    let snap = toy.snapshot().unwrap();
    assert_eq!(get(&snap, "time_us"), 1_000_000.0);
    assert_eq!(get(&snap, "received"), 33.0);
    assert_eq!(get(&snap, "buffer_len"), 3.0);
    assert_eq!(js_sys_get(&snap, "producer_blocked"), JsValue::TRUE);
}
