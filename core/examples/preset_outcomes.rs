//! Prints how every preset ends (for eyeballing while writing presets).
use queuelab::presets::ALL;
use queuelab::time::SimTime;
use queuelab::world::World;

fn main() {
    for p in ALL {
        let mut w = World::new(&p.scenario()).unwrap();
        w.run_until(SimTime::from_micros(60_000_000));
        let s = w.snapshot();
        println!(
            "{:20} {:?} at {} | {} | produced {} delivered {} processed {} filtered {} dropped {} live {} | p50 {}us p99 {}us",
            p.name, s.status, s.time, s.status_text, s.totals.produced, s.totals.delivered, s.totals.processed,
            s.totals.filtered, s.totals.dropped, s.totals.live, s.delivery_latency.p50_us, s.delivery_latency.p99_us
        );
        if let Some(d) = &s.deadlock {
            for st in &d.stuck {
                println!("    stuck: {} waits on {}: {}", st.name, st.waits_on, st.why);
            }
        }
    }
}
