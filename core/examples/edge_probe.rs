use queuelab::time::SimTime;
use queuelab::world::World;
fn main() {
    let cases = [
        // select on the same channel twice (send + recv), alone: Go deadlock
        r#"{"channels":[{"name":"c"}],"goroutines":[{"name":"g","behavior":{"program":[{"select":{"cases":[{"send":"c"},{"recv":"c"}]}}]}}]}"#,
        // two recv cases on one channel, closed by another goroutine
        r#"{"channels":[{"name":"c"}],"goroutines":[{"name":"g","behavior":{"program":[{"select":{"cases":[{"recv":"c"},{"recv":"c"}]}}]}},{"name":"k","behavior":{"program":[{"sleep":"1ms"},{"close":"c"}]}}]}"#,
        // select with only a timeout
        r#"{"channels":[],"goroutines":[{"name":"g","behavior":{"program":[{"select":{"cases":[],"after":{"wait":"5ms"}}}]}}]}"#,
        // empty program
        r#"{"goroutines":[{"name":"g","behavior":{"program":[]}}]}"#,
        // nothing at all
        r#"{}"#,
        // negative waitgroup
        r#"{"waitgroups":["wg"],"goroutines":[{"name":"g","behavior":{"program":[{"wg_done":"wg"}]}}]}"#,
        // close of closed
        r#"{"channels":[{"name":"c"}],"goroutines":[{"name":"g","behavior":{"program":[{"close":"c"},{"close":"c"}]}}]}"#,
        // huge repeat with sleep
        r#"{"channels":[{"name":"c","capacity":1000000}],"goroutines":[{"name":"g","behavior":{"program":[{"repeat":{"times":18446744073709551615,"body":[{"send":"c"}]}}]}}]}"#,
    ];
    for c in cases {
        match World::from_json(c) {
            Err(e) => println!("ERR {e}"),
            Ok(mut w) => {
                w.run_until(SimTime::from_micros(2_000_000));
                let s = w.snapshot();
                println!("{:?} {} at {} events {} | {:?}", s.status, s.status_text, s.time, s.events_total, s.deadlock.map(|d| d.stuck.iter().map(|x| format!("{}:{}", x.name, x.waits_on)).collect::<Vec<_>>()));
            }
        }
    }
}
