//! What a newcomer meets first: scenario directories check cleanly, one `--output` spelling,
//! counts in the right number, colour only when asked for or on a terminal, probes without
//! `--request`, and a version that names the commit.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn gwlab_with(args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gwlab"));
    cmd.args(args)
        .current_dir(repo_root())
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("gwlab runs");
    let mut input = child.stdin.take().expect("stdin");
    input
        .write_all(stdin.unwrap_or("").as_bytes())
        .expect("stdin written");
    drop(input);
    child.wait_with_output().expect("gwlab finishes")
}

fn gwlab(args: &[&str]) -> Output {
    gwlab_with(args, &[], None)
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn scenario_dirs() -> Vec<String> {
    let mut dirs: Vec<String> = std::fs::read_dir(repo_root().join("scenarios"))
        .expect("scenarios/")
        .flatten()
        .filter(|e| e.path().join("expect.yaml").is_file())
        .map(|e| format!("scenarios/{}/", e.file_name().to_string_lossy()))
        .collect();
    dirs.sort();
    dirs
}

/// A route whose parent Gateway does not exist: one object, one error, one warning (no backends),
/// one info (the defaults the API server fills in).
const ONE_BROKEN_ROUTE: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r, namespace: default}\nspec:\n  parentRefs: [{name: nope}]\n";

#[test]
fn every_scenario_directory_checks_cleanly_and_routes() {
    let dirs = scenario_dirs();
    assert!(
        dirs.len() >= 16,
        "expected the 16 scenarios, found {}",
        dirs.len()
    );
    for dir in &dirs {
        let o = gwlab(&["check", dir]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "gwlab check {dir}:\n{}",
            stderr(&o)
        );
        assert!(
            !stderr(&o).contains("missing apiVersion"),
            "gwlab check {dir} loaded expect.yaml:\n{}",
            stderr(&o)
        );
        let o = gwlab(&["route", dir]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "gwlab route {dir}:\n{}",
            stderr(&o)
        );
        assert!(
            stdout(&o).lines().count() >= 1 && stdout(&o).lines().all(|l| l.contains(" → ")),
            "gwlab route {dir}:\n{}",
            stdout(&o)
        );
    }
}

#[test]
fn verbose_mode_says_which_files_were_skipped() {
    let quiet = gwlab(&["check", "scenarios/01-minimal-http/"]);
    assert!(!stderr(&quiet).contains("skipped"), "{}", stderr(&quiet));
    let loud = gwlab(&["check", "-v", "scenarios/01-minimal-http/"]);
    assert!(
        stderr(&loud).contains(
            "skipped scenarios/01-minimal-http/expect.yaml: a `gwlab test` expectations file"
        ),
        "{}",
        stderr(&loud)
    );
}

#[test]
fn an_expectations_file_alone_is_not_a_set_of_manifests() {
    let o = gwlab(&["check", "scenarios/01-minimal-http/expect.yaml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no manifests to load"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("run it with `gwlab test`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn an_exported_bundle_checks_without_its_kind_config_and_expectations() {
    let dir = std::env::temp_dir().join(format!("gwlab-cli-bundle-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = dir.join("lab");
    let o = gwlab(&[
        "export",
        "scenarios/05-canary-90-10/",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(out.join("kind-config.yaml").is_file() && out.join("expect.yaml").is_file());
    let o = gwlab(&[
        "check",
        "-v",
        out.to_str().unwrap(),
        out.join("manifests").to_str().unwrap(),
    ]);
    let err = stderr(&o);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains("kind-config.yaml: a kind cluster configuration"),
        "{err}"
    );
    assert!(
        err.contains("expect.yaml: a `gwlab test` expectations file"),
        "{err}"
    );
}

#[test]
fn counts_are_singular_or_plural() {
    let one = gwlab_with(&["check", "-", "-o", "text"], &[], Some(ONE_BROKEN_ROUTE));
    assert_eq!(one.status.code(), Some(1));
    assert!(
        stdout(&one).ends_with("1 object, 1 error, 1 warning, 1 info\n"),
        "{}",
        stdout(&one)
    );
    let many = gwlab(&["check", "scenarios/01-minimal-http/"]);
    assert!(
        stderr(&many).ends_with("4 objects, 0 errors, 0 warnings, 2 infos\n"),
        "{}",
        stderr(&many)
    );
    let diff = gwlab(&[
        "diff",
        "scenarios/01-minimal-http/",
        "scenarios/01-minimal-http/",
    ]);
    assert_eq!(stdout(&diff), "0 of 1 request changed\n");
}

#[test]
fn output_json_is_spelled_the_same_on_every_command_and_json_is_a_hidden_alias() {
    let m = "scenarios/05-canary-90-10/";
    let commands: [Vec<&str>; 5] = [
        vec!["check", m],
        vec!["route", m, "-r", "GET http://canary.example.com/"],
        vec!["table", m],
        vec!["test", "scenarios/05-canary-90-10/expect.yaml"],
        vec!["diff", m, m],
    ];
    for args in &commands {
        let spelled = gwlab(&[args.as_slice(), &["--output", "json"]].concat());
        let value: serde_json::Value = serde_json::from_str(&stdout(&spelled))
            .unwrap_or_else(|e| panic!("{args:?} --output json: {e}"));
        assert!(value.is_object() || value.is_array());
        let alias = gwlab(&[args.as_slice(), &["--json"]].concat());
        assert_eq!(
            stdout(&alias),
            stdout(&spelled),
            "{args:?}: --json differs from --output json"
        );
        let yaml = gwlab(&[args.as_slice(), &["-o", "yaml"]].concat());
        assert_eq!(
            yaml.status.code(),
            spelled.status.code(),
            "{args:?} -o yaml: {}",
            stderr(&yaml)
        );
        assert!(
            !stdout(&yaml).trim_start().starts_with(['{', '[']),
            "{args:?} -o yaml printed JSON"
        );
        let help = stdout(&gwlab(&[args[0], "--help"]));
        assert!(
            help.contains("--output <FORMAT>") && !help.contains("--json"),
            "{} --help:\n{help}",
            args[0]
        );
    }
    assert_eq!(
        gwlab(&["table", m, "--json", "--output", "yaml"])
            .status
            .code(),
        Some(2),
        "--json and --output conflict"
    );
}

/// Every option line of `gwlab COMMAND -h` has a description after the flag.
#[test]
fn every_option_has_help_text() {
    let top = stdout(&gwlab(&["-h"]));
    let commands: Vec<String> = top
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next().map(String::from))
        .filter(|c| c != "help")
        .collect();
    assert!(commands.len() >= 8, "{top}");
    for c in &commands {
        let help = stdout(&gwlab(&[c, "-h"]));
        let entries = help
            .lines()
            .filter(|l| l.starts_with("  ") && l.trim_start().starts_with(['-', '<', '[']));
        for line in entries {
            let line = line.trim();
            let described = line
                .split_once("  ")
                .is_some_and(|(_, text)| !text.trim().is_empty() && !text.trim().starts_with('['));
            assert!(described, "gwlab {c}: `{line}` has no help text");
        }
    }
}

#[test]
fn colour_is_off_in_a_pipe_and_on_when_asked_for() {
    let args = ["check", "-", "-o", "text"];
    let plain = gwlab_with(&args, &[], Some(ONE_BROKEN_ROUTE));
    assert!(
        !stdout(&plain).contains('\x1b'),
        "a pipe gets no escape codes"
    );
    let always = gwlab_with(
        &[args.as_slice(), &["--color", "always"]].concat(),
        &[("NO_COLOR", "1")],
        Some(ONE_BROKEN_ROUTE),
    );
    assert!(
        stdout(&always).contains("\x1b[1;31merror[parent-not-found]\x1b[0m"),
        "{:?}",
        stdout(&always)
    );
    assert!(
        stdout(&always).contains("\x1b[1;33mwarning[no-backends]\x1b[0m"),
        "{:?}",
        stdout(&always)
    );
    let never = gwlab_with(
        &[args.as_slice(), &["--color", "never"]].concat(),
        &[],
        Some(ONE_BROKEN_ROUTE),
    );
    assert_eq!(stdout(&never), stdout(&plain));
    let test = gwlab(&[
        "test",
        "scenarios/01-minimal-http/expect.yaml",
        "--color",
        "always",
    ]);
    assert!(
        stdout(&test).contains("\x1b[32mok\x1b[0m"),
        "{:?}",
        stdout(&test)
    );
}

#[test]
fn route_without_requests_answers_the_routing_tables_probes() {
    let o = gwlab(&["route", "scenarios/05-canary-90-10/manifests.yaml"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let lines: Vec<String> = stdout(&o)
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(
        lines,
        [
            "GET http://canary.example.com/ -H 'x-canary: always' --gateway default/gw → default/checkout-v2:80",
            "GET http://canary.example.com/ --gateway default/gw → default/checkout-v1:80 (90.0%), default/checkout-v2:80 (10.0%)",
        ]
    );
    let json: serde_json::Value = serde_json::from_str(&stdout(&gwlab(&[
        "route",
        "scenarios/05-canary-90-10/",
        "-o",
        "json",
    ])))
    .expect("JSON");
    assert_eq!(json.as_array().map(Vec::len), Some(2));
    assert_eq!(json[0]["outcome"]["status"], 200);
}

#[test]
fn version_names_the_commit() {
    let o = gwlab(&["--version"]);
    let v = stdout(&o);
    let expected_commit = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(repo_root())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".to_string());
    assert_eq!(
        v,
        format!(
            "gwlab {} (commit {expected_commit})\n",
            env!("CARGO_PKG_VERSION")
        )
    );
}

#[test]
fn a_missing_corpus_says_where_gwlab_looked_and_how_to_point_it_elsewhere() {
    for (command, var) in [
        ("conformance", "GWLAB_CONFORMANCE_DIR"),
        ("goldens", "GWLAB_GOLDENS_DIR"),
    ] {
        let o = gwlab_with(&[command], &[(var, "/nonexistent/corpus")], None);
        assert_eq!(o.status.code(), Some(2), "gwlab {command}");
        let err = stderr(&o);
        assert!(
            err.contains("/nonexistent/corpus")
                && err.contains(var)
                && err.contains("docs/corpora.md"),
            "{err}"
        );
    }
}

/// A backendRef weight over the CRD's maximum: the API server refuses the route.
const OVERWEIGHT_ROUTE: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: eg}\nspec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: default}\nspec:\n  gatewayClassName: eg\n  listeners: [{name: http, port: 80, protocol: HTTP}]\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r, namespace: default}\nspec:\n  parentRefs: [{name: gw}]\n  rules:\n  - backendRefs: [{name: svc, port: 80, weight: 1000001}]\n---\napiVersion: v1\nkind: Service\nmetadata: {name: svc, namespace: default}\nspec: {ports: [{port: 80}]}\n";

fn codes(o: &Output) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter_map(|d| d["code"].as_str().map(String::from))
        .collect()
}

#[test]
fn api_validation_is_on_unless_switched_off() {
    let on = gwlab_with(&["check", "-", "-o", "json"], &[], Some(OVERWEIGHT_ROUTE));
    assert_eq!(on.status.code(), Some(1));
    let c = codes(&on);
    assert!(c.contains(&"api-rejected".to_string()), "{c:?}");
    assert!(c.contains(&"api-defaulted".to_string()), "{c:?}");
    let off = gwlab_with(
        &["check", "-", "-o", "json", "--no-api-validation"],
        &[],
        Some(OVERWEIGHT_ROUTE),
    );
    let c = codes(&off);
    assert!(
        !c.iter().any(|c| c.starts_with("api-")),
        "nothing refused or defaulted: {c:?}"
    );

    // The refused route routes nothing; read as written, it does.
    let table = gwlab_with(&["table", "-"], &[], Some(OVERWEIGHT_ROUTE));
    assert!(
        stdout(&table).contains("(no routes are programmed)"),
        "{}",
        stdout(&table)
    );
    let table = gwlab_with(
        &["table", "-", "--no-api-validation"],
        &[],
        Some(OVERWEIGHT_ROUTE),
    );
    assert!(
        stdout(&table).contains("HTTPRoute/default/r"),
        "{}",
        stdout(&table)
    );
    let request = ["-r", "GET http://any.example.com/"];
    let route = gwlab_with(
        &[&["route", "-"], &request[..]].concat(),
        &[],
        Some(OVERWEIGHT_ROUTE),
    );
    assert!(
        !stdout(&route).contains("route: HTTPRoute/default/r"),
        "{}",
        stdout(&route)
    );
    let route = gwlab_with(
        &[&["route", "-", "--no-api-validation"], &request[..]].concat(),
        &[],
        Some(OVERWEIGHT_ROUTE),
    );
    assert!(
        stdout(&route).contains("route: HTTPRoute/default/r"),
        "{}",
        stdout(&route)
    );

    // `test` and `diff` take the switch too: scenario 04 expects the API server to refuse a
    // header match type, which only holds with validation on.
    let expect = "scenarios/04-header-ab/expect.yaml";
    assert_eq!(gwlab(&["test", "-q", expect]).status.code(), Some(0));
    let unvalidated = gwlab(&["test", "-q", "--no-api-validation", expect]);
    assert_eq!(unvalidated.status.code(), Some(1));
    assert!(
        stdout(&unvalidated).contains("diagnostic api-rejected (error): not reported"),
        "{}",
        stdout(&unvalidated)
    );
    let m = "scenarios/01-minimal-http/";
    let diff = gwlab(&["diff", m, m, "--no-api-validation"]);
    assert_eq!(stdout(&diff), "0 of 1 request changed\n");
}
