//! End-to-end tests of the `queuelab` binary: every preset, JSON and trace
//! output, bad input, and every checked example in docs/scenarios.md.

use assert_cmd::Command;
use predicates::prelude::*;
use queuelab::presets;
use queuelab::scenario::{limits, Scenario};
use queuelab::time::SimTime;
use queuelab::world::World;
use serde_json::Value;
use std::path::Path;

fn queuelab() -> Command {
    Command::cargo_bin("queuelab").expect("binary built")
}

/// Runs `queuelab args...`, expecting success; returns stdout.
fn ok(args: &[&str]) -> String {
    let out = queuelab().args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "queuelab {args:?} failed: {stderr}");
    String::from_utf8(out.stdout).unwrap()
}

fn json(args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    let text = ok(&all);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

/// Asserts a bad-input failure: exit code 2, the message on stderr, nothing
/// on stdout, no Rust panic.
fn bad(args: &[&str], dir: &Path, message: &str) -> String {
    let assert = queuelab()
        .current_dir(dir)
        .args(args)
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains(message))
        .stderr(predicate::str::contains("panicked").not())
        .stderr(predicate::str::contains("RUST_BACKTRACE").not());
    String::from_utf8(assert.get_output().stderr.clone()).unwrap()
}

#[test]
fn every_preset_runs_to_its_expected_status() {
    // What each preset is about (see presets/*.json): the programs that end
    // do so when main returns; backpressure, select-timeout and large run forever.
    let expected = [
        ("backpressure", "running"),
        ("classic", "main_returned"),
        ("buffered", "main_returned"),
        ("wait-group", "main_returned"),
        ("pipeline", "main_returned"),
        ("forgotten-close", "deadlock"),
        ("close-while-sending", "panicked"),
        ("select-timeout", "running"),
        ("prime-sieve", "main_returned"),
        ("large", "running"),
        // NSQ consumers' readers wait on the network: these run on.
        ("nsq-single", "running"),
        ("nsq-multicast", "running"),
        ("nsq-load-balancing", "running"),
        ("nsq-slow-handler", "running"),
        ("nsq-failing-handler", "running"),
        ("nsq-poison", "running"),
        ("nsq-max-in-flight", "running"),
        ("nsq-touch", "running"),
        ("nsq-missed-heartbeats", "running"),
        ("nsq-deferred", "running"),
        ("nsq-consumer-crash", "running"),
        ("nsq-disk-overflow", "running"),
        ("nsq-ephemeral", "running"),
        ("nsq-crash", "running"),
        ("nsq-redundant-pair", "running"),
        ("nsq-cluster", "running"),
        // Kafka presets stop at their stop_at (a hung program too: sarama's
        // background goroutines keep Go from declaring a deadlock).
        ("kafka-sync-producer", "stopped"),
        ("kafka-partition-consumer", "stopped"),
        ("kafka-async-producer", "stopped"),
        ("kafka-async-hang", "stopped"),
        ("kafka-batching", "stopped"),
        ("kafka-consumer-group", "stopped"),
        ("kafka-rebalance", "stopped"),
        ("kafka-idle-members", "stopped"),
        ("kafka-acks1-loss", "stopped"),
        ("kafka-acks-all", "stopped"),
        ("kafka-unclean-election", "stopped"),
        ("kafka-clean-stop", "stopped"),
        ("kafka-slow-handler", "stopped"),
        ("kafka-join-timeout", "stopped"),
        ("kafka-retention", "stopped"),
        ("kafka-keys", "stopped"),
    ];
    assert_eq!(expected.len(), presets::ALL.len(), "a preset without an expectation");
    for (name, status) in expected {
        let text = ok(&["run", name]);
        assert!(text.contains(&format!("\nstatus      {status}")), "{name}: expected {status}:\n{text}");
        assert!(text.starts_with(&format!("scenario    {name}: ")), "{text}");
        assert!(text.contains("goroutines (") && text.contains("channels ("), "{text}");
        if status == "running" {
            assert!(text.contains("time limit reached: the program was still running at 1m"), "{text}");
        }
    }
}

#[test]
fn preset_message_counts_follow_from_the_programs() {
    let delivered = |name: &str| json(&["run", name])["totals"]["delivered"].as_u64().unwrap();
    assert_eq!(delivered("classic"), 10);
    assert_eq!(delivered("wait-group"), 3 * 20);
    assert_eq!(delivered("pipeline"), 100);
    // 2..49 through filters for 2, 3, 5, 7: the other primes below 50 reach main.
    let primes_below_50 = (2..50).filter(|n: &u64| (2..*n).all(|d| n % d != 0)).count() as u64;
    assert_eq!(delivered("prime-sieve"), primes_below_50 - 4);
}

#[test]
fn forgotten_close_prints_gos_verdict_and_the_stuck_goroutines() {
    let text = ok(&["run", "forgotten-close"]);
    assert!(text.contains("fatal error: all goroutines are asleep - deadlock!"), "{text}");
    for (who, waits_on) in
        [("consumer-1", "receive from jobs"), ("consumer-2", "receive from jobs"), ("main", "consumers.Wait()")]
    {
        assert!(
            text.lines().any(|l| l.trim_start().starts_with(who) && l.contains(waits_on) && l.contains("no goroutine left")),
            "no wait-for row for {who}:\n{text}"
        );
    }
}

#[test]
fn close_while_sending_prints_the_panic() {
    let text = ok(&["run", "close-while-sending"]);
    assert!(text.contains("status      panicked: panic: send on closed channel (in slow)"), "{text}");
    assert!(text.contains("panic in slow at"), "{text}");
    assert!(text.contains("  goroutine 2 [running]:"), "{text}");
}

#[test]
fn json_summary_has_every_field_and_matches_the_engine() {
    let v = json(&["run", "wait-group"]);
    for key in [
        "scenario", "title", "seed", "status", "status_text", "time_us", "time", "totals", "throughput_per_s",
        "delivery_latency", "processed_latency", "goroutines", "channels", "deadlock", "panic", "events_total",
        "events_kept", "trace_hash", "notices",
    ] {
        assert!(v.get(key).is_some(), "missing {key} in {v:#}");
    }
    for key in ["produced", "delivered", "processed", "filtered", "dropped", "live"] {
        assert!(v["totals"][key].is_u64(), "totals.{key}");
    }
    for key in ["p50_us", "p90_us", "p99_us", "max_us"] {
        assert!(v["delivery_latency"][key].is_u64(), "delivery_latency.{key}");
    }
    let g = &v["goroutines"][0];
    for key in [
        "name", "role", "state", "sent", "received", "blocked_send_pct", "blocked_recv_pct", "blocked_other_pct",
        "working_pct",
    ] {
        assert!(g.get(key).is_some(), "goroutines[0].{key}");
    }
    let c = &v["channels"][0];
    for key in ["name", "cap", "len", "closed", "sent", "received", "max_len"] {
        assert!(c.get(key).is_some(), "channels[0].{key}");
    }
    // The CLI prints what the engine computes, nothing of its own (compared
    // as text: parsing floats back may lose their last bit).
    let mut w = World::new(&presets::get("wait-group").unwrap().scenario()).unwrap();
    w.run_until(SimTime::from_micros(60_000_000));
    let stdout = ok(&["run", "wait-group", "--json"]);
    assert_eq!(stdout, serde_json::to_string_pretty(&w.summary()).unwrap() + "\n");
}

#[test]
fn seed_overrides_the_scenario_and_runs_are_deterministic() {
    let a = json(&["run", "wait-group", "--seed", "7"]);
    let b = json(&["run", "wait-group", "--seed", "7"]);
    let c = json(&["run", "wait-group"]);
    assert_eq!(a["seed"], 7);
    assert_eq!(c["seed"], 1);
    assert_eq!(a["trace_hash"], b["trace_hash"]);
    assert_ne!(a["trace_hash"], c["trace_hash"], "exponential intervals must depend on the seed");
}

#[test]
fn until_limits_the_run() {
    let v = json(&["run", "large", "--until", "1.5s"]);
    assert_eq!(v["status"], "running");
    assert_eq!(v["time_us"], 1_500_000);
    // A program that ends earlier is not stretched to the limit.
    let v = json(&["run", "classic", "--until", "1h"]);
    assert_eq!(v["status"], "main_returned");
    assert!(v["time_us"].as_u64().unwrap() < 3_600_000_000);
    // The scenario's stop_at is the default limit.
    let dir = tempfile::tempdir().unwrap();
    let mut s = presets::get("large").unwrap().scenario();
    s.stop_at = Some("250ms".parse().unwrap());
    let path = dir.path().join("large-stop.json");
    std::fs::write(&path, s.to_json()).unwrap();
    let v = json(&["run", path.to_str().unwrap()]);
    assert_eq!(v["status"], "stopped");
    assert_eq!(v["time_us"], 250_000);
}

#[test]
fn trace_writes_the_whole_run_as_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.jsonl");
    let p = path.to_str().unwrap();
    let text = ok(&["run", "wait-group", "--trace", p]);
    let v = json(&["run", "wait-group"]);
    let total = v["events_total"].as_u64().unwrap();
    assert!(text.contains(&format!("trace: wrote {total} events to {p}")), "{text}");
    let content = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<Value> = content.lines().map(|l| serde_json::from_str(l).expect("valid JSON line")).collect();
    assert_eq!(lines.len() as u64, total);
    for (i, e) in lines.iter().enumerate() {
        assert_eq!(e["seq"], i as u64, "events are in order with none missing");
        assert!(e["kind"].is_string() && e["text"].is_string() && e["t_us"].is_u64(), "{e}");
    }
    // Exactly the engine's own JSON-lines trace of the same run.
    let mut s = presets::get("wait-group").unwrap().scenario();
    s.trace_capacity = limits::MAX_TRACE;
    let mut w = World::new(&s).unwrap();
    w.run_until(SimTime::from_micros(60_000_000));
    assert_eq!(content, w.trace_jsonl());
    // Keeping the whole trace does not change the run.
    assert_eq!(format!("{:016x}", w.trace_hash()), v["trace_hash"].as_str().unwrap());
}

#[test]
fn trace_says_when_events_were_forgotten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.jsonl");
    // 50 producers and 50 consumers for 60s make more events than the trace keeps.
    let out = queuelab().args(["run", "large", "--json", "--trace", path.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).expect("stdout stays pure JSON");
    let total = v["events_total"].as_u64().unwrap();
    assert!(total > u64::from(limits::MAX_TRACE), "{total}");
    assert_eq!(v["events_kept"], limits::MAX_TRACE);
    let stderr = String::from_utf8(out.stderr).unwrap();
    let forgotten = total - u64::from(limits::MAX_TRACE);
    assert!(stderr.contains(&format!("the first {forgotten} of the run's {total} events were forgotten")), "{stderr}");
    let content = std::fs::read_to_string(&path).unwrap();
    assert_eq!(content.lines().count() as u64, u64::from(limits::MAX_TRACE));
    let first: Value = serde_json::from_str(content.lines().next().unwrap()).unwrap();
    assert_eq!(first["seq"], forgotten);
}

#[test]
fn presets_lists_every_preset_with_its_title() {
    let text = ok(&["presets"]);
    for p in presets::ALL {
        let s = p.scenario();
        assert!(text.lines().any(|l| l.starts_with(p.name) && l.ends_with(&s.title)), "{}:\n{text}", p.name);
        assert!(text.contains(&s.description));
    }
}

#[test]
fn a_scenario_file_runs() {
    let dir = tempfile::tempdir().unwrap();
    // A file shadows a preset of the same name.
    let s = Scenario::from_json(
        r#"{"name":"mine","channels":[{"name":"c","capacity":1}],"goroutines":[
            {"name":"p","behavior":{"producer":{"to":"c","count":3,"interval":"1ms","close_when_done":true}}},
            {"name":"main","behavior":{"consumer":{"from":"c"}}}]}"#,
    )
    .unwrap();
    std::fs::write(dir.path().join("classic"), s.to_json()).unwrap();
    let out = queuelab().current_dir(dir.path()).args(["run", "classic", "--json"]).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["scenario"], "mine");
    assert_eq!(v["totals"]["delivered"], 3);
}

#[test]
fn bad_input_exits_2_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let write = |name: &str, text: &[u8]| std::fs::write(d.join(name), text).unwrap();

    let e = bad(&["run", "nope.json"], d, "error: cannot read scenario file nope.json: ");
    assert!(e.contains("No such file") || e.contains("not find"), "{e}");

    let e = bad(&["run", "no-such-preset"], d, "error: no file and no preset named \"no-such-preset\"");
    let known = presets::ALL.iter().map(|p| p.name).collect::<Vec<_>>().join(", ");
    assert!(e.contains(&format!("known presets: {known}")), "{e}");

    write("syntax.json", br#"{"channels": [{"name": "jobs"}"#);
    bad(&["run", "syntax.json"], d, "error: scenario syntax.json is invalid (1 problem):\n  channels[0]: EOF while parsing a list at line 1 column 30");

    write("binary.json", &[0xff, 0xfe, 0x00]);
    bad(&["run", "binary.json"], d, "cannot read scenario file binary.json: not UTF-8 text");

    let mut huge = b"{\"name\": \"".to_vec();
    huge.resize(limits::MAX_JSON_BYTES + 10, b'x');
    write("huge.json", &huge);
    bad(
        &["run", "huge.json"],
        d,
        &format!(
            "error: scenario file huge.json is larger than 1 MiB (the limit for a scenario): {} bytes\n",
            limits::MAX_JSON_BYTES + 10
        ),
    );

    write(
        "invalid.json",
        br#"{"channels":[{"name":"jobs","capacity":2000000},{"name":"jobs"}],
            "goroutines":[{"name":"p","count":0,"behavior":{"producer":{"to":"jobs","wg":"wg"}}},
                          {"name":"c","behavior":{"consumer":{"from":"nope"}}}]}"#,
    );
    let e = bad(&["run", "invalid.json"], d, "error: scenario invalid.json is invalid (5 problems):");
    for line in [
        "  channels[0].capacity: must be between 0 and 1000000, got 2000000\n",
        "  channels[1].name: duplicate channel name \"jobs\"\n",
        "  goroutines[0].count: must be between 1 and 2000, got 0\n",
        "  goroutines[0].behavior: no WaitGroup named \"wg\"\n",
        "  goroutines[1].behavior: no channel named \"nope\"\n",
    ] {
        assert!(e.contains(line), "missing {line:?} in:\n{e}");
    }

    bad(&["run", "classic", "--until", "fast"], d, "expected a duration such as \"150ms\", got \"fast\"");
    bad(&["run", "classic", "--seed", "many"], d, "invalid value 'many' for '--seed <N>'");
    bad(&["run"], d, "<SCENARIO>");
    bad(&["frobnicate"], d, "unrecognized subcommand 'frobnicate'");

    // An unwritable trace path fails before anything runs.
    bad(&["run", "classic", "--trace", "no/such/dir/t.jsonl"], d, "cannot create trace file no/such/dir/t.jsonl:");
    // An invalid scenario does not create the trace file.
    bad(&["run", "invalid.json", "--trace", "t.jsonl"], d, "is invalid");
    assert!(!d.join("t.jsonl").exists());
}

/// Like [`bad`], but the command is killed after 20 s, so a regression that
/// blocks (a FIFO open, an endless read, an endless run) fails instead of
/// hanging the suite.
fn bad_quickly(args: &[&str], dir: &Path, message: &str) -> String {
    let out = queuelab()
        .current_dir(dir)
        .args(args)
        .timeout(std::time::Duration::from_secs(20))
        .output()
        .unwrap_or_else(|e| panic!("queuelab {args:?}: {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "queuelab {args:?} (killed after 20 s if no code): {stderr}");
    assert!(out.stdout.is_empty(), "queuelab {args:?} printed on stdout");
    assert!(stderr.contains(message), "queuelab {args:?}: {message:?} not in:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

/// Only regular files are read; anything else is refused from its `stat`,
/// before it is opened.
#[test]
fn what_is_not_a_regular_file_is_refused_without_opening_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    // A FIFO with no writer: opening it for reading would block forever.
    for name in ["pipe.json", "pipe"] {
        let status = std::process::Command::new("mkfifo").arg(d.join(name)).status().expect("mkfifo runs");
        assert!(status.success(), "mkfifo {name}");
        bad_quickly(
            &["run", name],
            d,
            &format!("error: scenario file {name} is not a regular file: it is a named pipe (FIFO); give a .json file\n"),
        );
    }

    // A device: /dev/zero never ends, and its metadata says 0 bytes.
    bad_quickly(
        &["run", "/dev/zero"],
        d,
        "error: scenario file /dev/zero is not a regular file: it is a character device; give a .json file\n",
    );

    // Directories, with or without .json; one named like a preset shadows it,
    // as a file does.
    for name in ["dir.json", "classic"] {
        std::fs::create_dir(d.join(name)).unwrap();
        bad_quickly(
            &["run", name],
            d,
            &format!("error: scenario file {name} is not a regular file: it is a directory; give a .json file\n"),
        );
    }

    // A symlink to a regular file is read; one to a FIFO is refused; a
    // dangling one is nothing, so its name is looked up as a preset.
    #[cfg(unix)]
    {
        use std::os::unix::fs::symlink;
        std::fs::write(d.join("real.json"), presets::get("classic").unwrap().json).unwrap();
        symlink(d.join("real.json"), d.join("link.json")).unwrap();
        assert!(ok_in(d, &["run", "link.json"]).starts_with("scenario    classic: "));
        symlink(d.join("pipe"), d.join("pipe-link.json")).unwrap();
        bad_quickly(&["run", "pipe-link.json"], d, "is not a regular file: it is a named pipe (FIFO)");
        symlink(d.join("gone"), d.join("wait-group")).unwrap();
        assert!(ok_in(d, &["run", "wait-group"]).starts_with("scenario    wait-group: "));
    }
}

/// Runs `queuelab args...` in `dir`, expecting success; returns stdout.
fn ok_in(dir: &Path, args: &[&str]) -> String {
    let out = queuelab().current_dir(dir).args(args).timeout(std::time::Duration::from_secs(60)).output().unwrap();
    assert!(out.status.success(), "queuelab {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// `--until` beyond 100 years is refused when parsed (core's `SimDuration`
/// limit), with core's message, instead of running (nearly) forever.
#[test]
fn until_beyond_the_horizon_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (until, preset) in
        [("18446744073709551615us", "classic"), ("5124095576h", "classic"), ("876000h1us", "large"), ("99999999999999999999h", "large")]
    {
        let e = bad_quickly(
            &["run", preset, "--until", until],
            dir.path(),
            &format!("duration too large: {until:?} is longer than 100 years (876000h), the longest a run can last"),
        );
        assert!(e.starts_with(&format!("error: invalid value '{until}' for '--until <DURATION>': ")), "{e}");
    }
    // The horizon itself is accepted (classic ends long before it).
    let v = json(&["run", "classic", "--until", "876000h"]);
    assert_eq!(v["status"], "main_returned");
}

/// A fenced block after `from`: (info string, body, index after the block).
fn next_block(lines: &[&str], from: usize) -> Option<(String, String, usize)> {
    let start = (from..lines.len()).find(|&i| lines[i].starts_with("```"))?;
    let info = lines[start].trim_start_matches('`').to_owned();
    let end = (start + 1..lines.len()).find(|&i| lines[i].starts_with("```"))?;
    Some((info, lines[start + 1..end].join("\n") + "\n", end + 1))
}

/// Every `<!-- check: ... -->` in docs/scenarios.md: complete examples must
/// run to the status they claim; error examples must print exactly the
/// output shown.
#[test]
fn docs_examples_are_real() {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/scenarios.md")).unwrap();
    let lines: Vec<&str> = doc.lines().collect();
    let dir = tempfile::tempdir().unwrap();
    let (mut runs, mut errors) = (0, 0);
    for (i, line) in lines.iter().enumerate() {
        let Some(check) = line.strip_prefix("<!-- check: ").and_then(|l| l.strip_suffix(" -->")) else { continue };
        let mut words = check.split_whitespace();
        match words.next() {
            Some("run") => {
                let status = words.next().and_then(|w| w.strip_prefix("status=")).expect("run status=...");
                let (info, body, _) = next_block(&lines, i + 1).expect("a json block");
                assert_eq!(info, "json", "line {}", i + 1);
                let path = dir.path().join(format!("example-{i}.json"));
                std::fs::write(&path, &body).unwrap();
                let v = json(&["run", path.to_str().unwrap()]);
                assert_eq!(v["status"], status, "example at line {}: {}", i + 1, v["status_text"]);
                runs += 1;
            }
            Some("error") => {
                let mut at = i + 1;
                if let Some(file) = words.next().and_then(|w| w.strip_prefix("file=")) {
                    let (info, body, next) = next_block(&lines, at).expect("a json block");
                    assert_eq!(info, "json");
                    std::fs::write(dir.path().join(file), body).unwrap();
                    at = next;
                }
                let (info, body, _) = next_block(&lines, at).expect("a text block");
                assert_eq!(info, "text");
                let (cmd, expected) = body.split_once('\n').unwrap();
                let args: Vec<&str> = cmd.strip_prefix("$ queuelab ").expect("$ queuelab ...").split_whitespace().collect();
                let out = queuelab().current_dir(dir.path()).args(&args).output().unwrap();
                assert_eq!(out.status.code(), Some(2), "{cmd}");
                assert_eq!(String::from_utf8(out.stderr).unwrap(), expected, "output of `{cmd}` (line {})", i + 1);
                errors += 1;
            }
            other => panic!("unknown check {other:?} at line {}", i + 1),
        }
    }
    assert!(runs >= 3 && errors >= 3, "checks found: {runs} runs, {errors} errors");
}

/// The example run pasted in the README is what the binary prints.
#[test]
fn readme_example_output_is_real() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md")).unwrap();
    let cmd = "$ cargo run -q -p queuelab-cli -- run wait-group\n";
    let start = readme.find(cmd).expect("README shows a queuelab run") + cmd.len();
    let end = start + readme[start..].find("```").expect("end of the example block");
    assert_eq!(ok(&["run", "wait-group"]), &readme[start..end]);
}

#[test]
fn an_nsq_scenario_prints_nsqadmins_counters() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/examples/nsq-publish.json");
    let out = ok(&["run", path]);
    assert!(out.contains("published to NSQ 100"), "{out}");
    assert!(out.contains("nsq topics and channels (nsqadmin's counters):"), "{out}");
    let row = out.lines().find(|l| l.contains("archive")).unwrap_or_else(|| panic!("{out}"));
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(&cells[..6], &["nsqd-1", "events", "archive", "100", "(40", "+"], "{row}");
    let v = json(&["run", path]);
    assert_eq!(v["totals"]["published"], 100);
    assert_eq!(v["nsq"]["nodes"][0]["topics"][0]["channels"][1]["name"], "metrics");
    assert_eq!(v["nsq"]["nodes"][0]["topics"][0]["channels"][1]["depth"], 100);
}

#[test]
fn an_nsq_consumer_slower_than_the_timeout_handles_messages_again() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/examples/nsq-consume.json");
    let v = json(&["run", path]);
    assert_eq!(v["totals"]["published"], 20);
    let processed = v["totals"]["processed"].as_u64().unwrap();
    assert!(processed > 20, "duplicates: {processed} handlings of 20 messages");
    let archive = &v["nsq"]["nodes"][0]["topics"][0]["channels"][0];
    assert_eq!(archive["name"], "archive");
    assert!(archive["timeout_count"].as_u64().unwrap() > 0, "{archive}");
    let names: Vec<&str> = v["goroutines"].as_array().unwrap().iter().map(|g| g["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["producer", "archiver.conn1", "archiver.handler"]);
}

/// The whitespace-separated cells of the table under the line that starts
/// with `title` (header first), up to the blank line.
fn table_after(out: &str, title: &str) -> Vec<Vec<String>> {
    let start = out.find(title).unwrap_or_else(|| panic!("no {title:?} in\n{out}"));
    out[start..]
        .lines()
        .skip(1)
        .take_while(|l| !l.is_empty())
        .map(|l| l.split_whitespace().map(str::to_owned).collect())
        .collect()
}

#[test]
fn nsq_presets_print_nsqadmins_channel_and_client_rows() {
    // nsq-single: one consumer connection, max_in_flight 1, every message
    // finished about 60ms after it was published.
    let out = ok(&["run", "nsq-single"]);
    let channels = table_after(&out, "nsq topics and channels (nsqadmin's counters):");
    let header = channels[0].join(" ");
    assert!(header.ends_with("messages connections e2e p50 e2e p99"), "{out}");
    let jobs = channels.iter().find(|r| r.get(2).is_some_and(|c| c == "jobs")).unwrap_or_else(|| panic!("{out}"));
    assert_eq!(jobs[12], "1", "one connection: {out}");
    assert!(jobs[13].ends_with("ms") && jobs[14].ends_with('s'), "e2e p50/p99: {out}");
    let clients = table_after(&out, "nsq clients (one row per connection):");
    assert_eq!(clients[0].join(" "), "nsqd topic channel client RDY in flight finished requeued messages");
    assert_eq!(clients.len(), 2, "{out}");
    assert_eq!(clients[1][..6], ["nsqd-1", "events", "jobs", "worker", "conn1", "1"], "{out}");
    let finished: u64 = clients[1][7].parse().unwrap();
    assert!(finished > 100, "{out}");
    let guarantees = table_after(&out, "nsq guarantees (per channel, over every node; messages, not copies):");
    assert_eq!(guarantees[0].join(" "), "topic channel published finished handled once duplicates lost reordered live");
    let row = &guarantees[1];
    assert_eq!(row[..2], ["events", "jobs"]);
    let n = |i: usize| -> u64 { row[i].parse().unwrap() };
    assert_eq!(n(3), finished, "every FIN accepted is a finished message: {out}");
    assert_eq!(n(3) + n(8), n(2), "finished + live = published (nothing lost): {out}");
    assert_eq!((n(5), &row[6][..], n(7)), (0, "0", 0), "no duplicates, losses or reordering with one handler: {out}");

    // The JSON has the same rows.
    let v = json(&["run", "nsq-single"]);
    let jobs = &v["nsq"]["nodes"][0]["topics"][0]["channels"][0];
    assert_eq!(jobs["clients"][0]["name"], "worker conn1");
    assert_eq!(jobs["clients"][0]["ready_count"], 1);
    assert_eq!(jobs["clients"][0]["finish_count"], finished);
    let p50 = jobs["e2e_p50_us"].as_u64().unwrap();
    assert!((10_000..1_000_000).contains(&p50), "{jobs}");
    assert!(jobs["e2e_p99_us"].as_u64().unwrap() >= p50, "{jobs}");
    assert_eq!(v["nsq"]["guarantees"][0]["finished"], finished);

    // nsq-slow-handler: the handler is slower than msg_timeout, so the
    // connection is sent far more messages than it finishes.
    let v = json(&["run", "nsq-slow-handler"]);
    let archive = &v["nsq"]["nodes"][0]["topics"][0]["channels"][0];
    let c = &archive["clients"][0];
    assert_eq!((c["name"].as_str(), c["ready_count"].as_u64()), (Some("archiver conn1"), Some(2)), "{archive}");
    let (sent, fin) = (c["message_count"].as_u64().unwrap(), c["finish_count"].as_u64().unwrap());
    assert!(fin > 0 && sent > 2 * fin, "{c}");
    assert_eq!(sent, archive["timeout_count"].as_u64().unwrap() + fin + c["in_flight_count"].as_u64().unwrap(), "{archive}");
    // Messages wait behind the backlog: seconds from publish to FIN.
    assert!(archive["e2e_p50_us"].as_u64().unwrap() > 1_000_000, "{archive}");
    let out = ok(&["run", "nsq-slow-handler"]);
    let clients = table_after(&out, "nsq clients (one row per connection):");
    assert_eq!(clients[1][..5], ["nsqd-1", "events", "archive", "archiver", "conn1"], "{out}");
    assert_eq!(clients[1][5..], [2, 2, fin, 0, sent].map(|n| n.to_string()), "{out}");
}
