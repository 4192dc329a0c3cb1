//! The generated scripts: shellcheck and `bash -n` clean, verify.sh run against stub kubectl/curl (real jq),
//! and hostile manifest/request text that must never execute.

#[path = "export_fixtures/mod.rs"]
mod fixtures;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use gwlab::export::{bundle, BundleFile, ExportInput, Versions};
use serde_json::json;

fn stub_bin() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/export/bin")
        .canonicalize()
        .unwrap()
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .is_ok_and(|o| o.status.success())
}

fn write_bundle(files: &[BundleFile], dir: &Path) {
    for f in files {
        let p = dir.join(&f.path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, &f.contents).unwrap();
        #[cfg(unix)]
        if f.executable {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }
}

fn all_inputs() -> Vec<(&'static str, ExportInput)> {
    vec![
        ("plain_http", fixtures::plain_http()),
        ("tls_missing_secret", fixtures::tls_missing_secret()),
        ("canary", fixtures::canary()),
        ("merged", fixtures::merged()),
        ("hostile", fixtures::hostile()),
    ]
}

#[test]
fn scripts_pass_bash_n_and_shellcheck() {
    let shellcheck = have("shellcheck");
    if !shellcheck {
        println!(
            "NOTICE: shellcheck is not installed; only `bash -n` runs (CI installs shellcheck)"
        );
    }
    let mut checked = 0;
    for (name, input) in all_inputs() {
        for versions in [
            Versions::default(),
            Versions::by_name("original-plan").unwrap(),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let files = bundle(&input, &versions);
            write_bundle(&files, dir.path());
            for f in files.iter().filter(|f| f.path.ends_with(".sh")) {
                assert!(f.executable, "{name}: {} not executable", f.path);
                assert!(f.contents.starts_with("#!/usr/bin/env bash\n"));
                let p = dir.path().join(&f.path);
                let out = Command::new("bash").arg("-n").arg(&p).output().unwrap();
                assert!(
                    out.status.success(),
                    "{name} {}: bash -n: {}",
                    f.path,
                    String::from_utf8_lossy(&out.stderr)
                );
                if shellcheck {
                    let out = Command::new("shellcheck")
                        .arg("--severity=style")
                        .arg(&p)
                        .output()
                        .unwrap();
                    assert!(
                        out.status.success(),
                        "{name} {}: shellcheck:\n{}",
                        f.path,
                        String::from_utf8_lossy(&out.stdout)
                    );
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 5 * 2 * 3);
}

struct Lab {
    dir: tempfile::TempDir,
}

impl Lab {
    fn new(input: &ExportInput) -> Lab {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("lab")).unwrap();
        write_bundle(
            &bundle(input, &Versions::default()),
            &dir.path().join("lab"),
        );
        std::fs::write(dir.path().join("lab/ca.crt"), "stub CA\n").unwrap();
        Lab { dir }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Runs a bundle script with the stubs first on PATH.
    fn run(
        &self,
        script: &str,
        answers: serde_json::Value,
        endpoints: serde_json::Value,
    ) -> (String, Output) {
        self.run_with(script, answers, endpoints, 1)
    }

    fn run_with(
        &self,
        script: &str,
        answers: serde_json::Value,
        endpoints: serde_json::Value,
        retries: u32,
    ) -> (String, Output) {
        let root = self.root();
        std::fs::write(root.join("answers.json"), answers.to_string()).unwrap();
        std::fs::write(root.join("endpoints.json"), endpoints.to_string()).unwrap();
        let path = format!(
            "{}:{}",
            stub_bin().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let out = Command::new("bash")
            .arg(script)
            .current_dir(root.join("lab"))
            .env("PATH", path)
            .env("STUB_ANSWERS", root.join("answers.json"))
            .env("STUB_ENDPOINTS", root.join("endpoints.json"))
            .env("STUB_LOG", root.join("stub.log"))
            .env("STUB_STATE", root)
            .env("GWLAB_RETRIES", retries.to_string())
            .env("GWLAB_RETRY_DELAY", "0")
            .env("GWLAB_SAMPLES", "20")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        (stdout, out)
    }
}

fn need_jq() -> bool {
    if have("jq") {
        return true;
    }
    println!(
        "NOTICE: jq is not installed; skipping the verify.sh runs (scripts/setup.sh installs it)"
    );
    false
}

const WEB_POD: &str = "web-echo-5d9c8b7f6-abcde";

fn plain_answers() -> serde_json::Value {
    json!({
        "GET http://app.example.com/": {
            "status": 200, "pods": [WEB_POD], "namespace": "default",
            "add_headers": {"x-added": "v"}, "remove_headers": ["x-removed"], "response_headers": {"x-resp": "r"}
        },
        "GET http://app.example.com/old/page": {"status": 302, "response_headers": {"location": "http://app.example.com/new"}}
    })
}

#[test]
fn verify_passes_when_answers_match() {
    if !need_jq() {
        return;
    }
    let lab = Lab::new(&fixtures::plain_http());
    let (stdout, out) = lab.run(
        "verify.sh",
        plain_answers(),
        json!({"default/web": [WEB_POD]}),
    );
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout,
        "PASS the catch-all goes to web\nPASS old paths redirect\nPASS unknown host\n3 passed, 0 failed\n"
    );
    // The request went out with the exact Host and headers, no redirect following.
    let log = std::fs::read_to_string(lab.root().join("stub.log")).unwrap();
    assert!(log.contains(r#""--resolve","app.example.com:80:127.0.0.1","-H","x-removed: 1","--","http://app.example.com/"]"#), "{log}");
    assert!(!log.contains("\"-L\"") && !log.contains("--location"));
}

#[test]
fn verify_fails_naming_the_case() {
    if !need_jq() {
        return;
    }
    let lab = Lab::new(&fixtures::plain_http());
    let mut answers = plain_answers();
    // The wrong backend answers, with the wrong path, and the added header is missing.
    answers["GET http://app.example.com/"] = json!({
        "status": 200, "pods": ["other-echo-7f8d9c6b5-zzzzz"], "namespace": "default", "path": "/elsewhere",
        "remove_headers": ["x-removed"], "response_headers": {"x-resp": "r"}
    });
    let (stdout, out) = lab.run("verify.sh", answers, json!({"default/web": [WEB_POD]}));
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    assert_eq!(
        lines[0],
        "FAIL the catch-all goes to web: expected an answer from default/web, got pod other-echo-7f8d9c6b5-zzzzz \
         (Deployment other-echo); expected backend path '/', got '/elsewhere'; \
         expected request header x-added: 'v', got absent"
    );
    assert_eq!(
        &lines[1..],
        [
            "PASS old paths redirect",
            "PASS unknown host",
            "2 passed, 1 failed"
        ]
    );
    // A wrong status and a wrong Location are named too.
    let mut answers = plain_answers();
    answers["GET http://app.example.com/old/page"] =
        json!({"status": 301, "response_headers": {"location": "https://app.example.com/new"}});
    let (stdout, out) = lab.run("verify.sh", answers, json!({"default/web": [WEB_POD]}));
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout.contains(
        "FAIL old paths redirect: expected status 302, got 301; expected response header location: \
         'http://app.example.com/new', got 'https://app.example.com/new'\n"
    ), "{stdout}");
}

#[test]
fn verify_tls_uses_the_lab_ca_and_falls_back_to_deployment_names() {
    if !need_jq() {
        return;
    }
    let lab = Lab::new(&fixtures::tls_missing_secret());
    let answers = json!({
        "GET https://app.example.com/": {"status": 200, "pods": ["web-echo-66c7d8f9b4-q2w3e"], "namespace": "apps"},
        "GET http://app.example.com/x?y=1": {"status": 301, "response_headers": {"Location": "https://app.example.com/x?y=1"}}
    });
    // No EndpointSlices readable: the pod's Deployment (web-echo, generated for apps/web) decides.
    let (stdout, out) = lab.run("verify.sh", answers, json!({}));
    assert!(out.status.success(), "{stdout}");
    assert_eq!(
        stdout,
        "PASS GET https://app.example.com/\nPASS GET http://app.example.com/x?y=1\n\
         SKIP tls://other.example.com: tls:// requests are checked by the simulator only\n2 passed, 0 failed, 1 skipped\n"
    );
    let log = std::fs::read_to_string(lab.root().join("stub.log")).unwrap();
    let ca = lab.root().join("lab/ca.crt");
    assert!(
        log.contains(&format!(r#""--cacert","{}""#, ca.display())),
        "{log}"
    );
}

#[test]
fn verify_checks_distributions() {
    if !need_jq() {
        return;
    }
    let v1 = "web-v1-echo-6b8f7d9c5-aaaaa";
    let v2 = "web-v2-echo-5c9d8e7f6-bbbbb";
    let endpoints = json!({"default/web-v1": [v1], "default/web-v2": [v2]});
    let lab = Lab::new(&fixtures::canary());
    let mut nine_to_one = vec![v1; 9];
    nine_to_one.push(v2);
    let answers = |pods: Vec<&str>| {
        json!({
            "GET http://shop.example.com/": {"status": 200, "pods": pods, "namespace": "default"}
        })
    };
    let (stdout, out) = lab.run("verify.sh", answers(nine_to_one.clone()), endpoints.clone());
    // The header-matched request reaches the same stub key: it answers v1 or v2 by turn, so only the split
    // is asserted here.
    assert!(stdout.starts_with("PASS 90/10 split\n"), "{stdout}");
    assert!(
        stdout.contains("PASS second gateway\nPASS port 80 of the second gateway\n"),
        "{stdout}"
    );
    let _ = out;
    let (stdout, out) = lab.run("verify.sh", answers(vec![v1, v2]), endpoints);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout.starts_with(
            "FAIL 90/10 split: expected 90% (±27) from default/web-v1, got 50.0% (10 of 20); \
             expected 10% (±27) from default/web-v2, got 50.0% (10 of 20)\n"
        ),
        "{stdout}"
    );
}

fn find_pwned(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let p = entry.path();
        if entry
            .file_name()
            .to_string_lossy()
            .contains(fixtures::PWNED)
            && !p.ends_with("manifests")
        {
            // The user's hostile manifest file name is sanitized, so any file named like the marker is a breach.
            if !p.to_string_lossy().contains("/manifests/") {
                found.push(p.clone());
            }
        }
        if p.is_dir() {
            find_pwned(&p, found);
        }
    }
}

#[test]
fn hostile_text_is_never_executed() {
    if !need_jq() {
        return;
    }
    let input = fixtures::hostile();
    let lab = Lab::new(&input);
    // The user's file keeps its (sanitized) name; nothing named "pwned" may appear anywhere else.
    let (verify_out, out) = lab.run("verify.sh", json!({}), json!({}));
    assert_eq!(
        out.status.code(),
        Some(1),
        "{verify_out}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        verify_out.contains(
            "FAIL $(touch pwned)`touch pwned`'\"\n;touch pwned #: expected status 200, got 404"
        ),
        "{verify_out}"
    );
    let (install_out, out) = lab.run("install.sh", json!({}), json!({}));
    assert!(
        out.status.success(),
        "{install_out}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, out) = lab.run("cleanup.sh", json!({}), json!({}));
    assert!(out.status.success());
    let mut found = Vec::new();
    find_pwned(lab.root(), &mut found);
    assert!(found.is_empty(), "commands ran: {found:?}");
    // The hostile values reached curl and kubectl verbatim, as data.
    let log = std::fs::read_to_string(lab.root().join("stub.log")).unwrap();
    let args: Vec<Vec<String>> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let curl = args
        .iter()
        .find(|a| a[0] == "curl" && a.contains(&"-X".to_string()))
        .unwrap();
    assert!(curl.contains(&"POST$(touch pwned)".to_string()), "{curl:?}");
    assert!(curl
        .contains(&"x-$(touch pwned): $(touch pwned)`touch pwned`'\"\n;touch pwned #".to_string()));
    assert!(curl.contains(&"x-`touch pwned`;".to_string()));
    assert!(curl.contains(&"x-quote'\": a'b\"c\\d".to_string()));
    assert!(curl.contains(&"x-newline: line1\nline2 $(touch pwned)".to_string()));
    assert!(curl.contains(&"http://app.example.com/$(touch pwned)`touch pwned`'\"".to_string()));
    assert!(args
        .iter()
        .any(|a| a[0] == "kubectl" && a.contains(&"gw';touch pwned;'".to_string())));
    assert!(args
        .iter()
        .any(|a| a[0] == "kubectl" && a.contains(&"--namespace=ns$(touch pwned)".to_string())));
}

#[test]
fn the_marker_check_detects_execution() {
    // Negative control for hostile_text_is_never_executed: an unquoted expansion is caught.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("lab")).unwrap();
    let value = "$(touch pwned)";
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!("echo {value} >/dev/null"))
        .current_dir(dir.path().join("lab"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut found = Vec::new();
    find_pwned(dir.path(), &mut found);
    assert_eq!(found, [dir.path().join("lab/pwned")]);
}
