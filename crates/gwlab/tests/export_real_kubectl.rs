//! The generated install.sh, verify.sh and cleanup.sh run with the real kubectl against a bundle whose names,
//! namespaces, hostnames, header names and values are option-like (`--kubeconfig=manifests/in.yaml`, `-n`,
//! `--server=…`), shell-like (`$(touch …)`, backticks, quotes) and YAML-breaking (U+2028, U+0085, `\r`). The
//! first document of the first manifest is a kubeconfig whose user runs an `exec` plugin that writes a marker
//! file: kubectl would run it if any name reached its option parser as `--kubeconfig=manifests/in.yaml`.
//!
//! kubectl needs no cluster for this: it parses its options and loads its kubeconfig before it dials (the test's
//! kubeconfig points at a closed port). kind, helm, docker and curl are argument recorders
//! (`tests/export/argv-bin`). The test asserts that no marker is written, that nothing outside the bundle is
//! written, and that every kubectl and curl call ends its options with `--` before user-derived operands (or
//! carries them inside a `--flag=VALUE` word).
//!
//! Without kubectl (or jq, which verify.sh needs) the test prints a SKIP line, and fails when `CI=true`.

#[path = "export_fixtures/mod.rs"]
mod fixtures;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use gwlab::export::quote::must_escape;
use gwlab::export::{
    bundle, BackendService, BundleFile, Expected, ExportInput, GatewayInfo, Prediction, TargetPort,
    Versions,
};

/// A tool the test runs for real: its path, or None after printing a SKIP line (a failure when `CI=true`).
fn required_tool(name: &str, preferred: &str) -> Option<PathBuf> {
    let found = if Path::new(preferred).is_file() {
        Some(PathBuf::from(preferred))
    } else {
        Command::new("sh")
            .arg("-c")
            .arg(format!("command -v {name}"))
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
    };
    if found.is_none() {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!(
                "CI=true but {name} is not installed: the real-kubectl export test cannot run \
                 (install kubectl, e.g. Debian's kubernetes-client, and jq)"
            );
        }
        // Straight to the process's stderr, past the test harness's capture, so the skip shows in the output.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "SKIP export_real_kubectl: {name} is not installed (CI=true makes this a failure)"
        );
    }
    found
}

fn recorders() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/export/argv-bin")
        .canonicalize()
        .unwrap()
}

/// The kubeconfig the scripts use: context `kind-gwlab` pointing at a closed port, a plain token.
const LAB_KUBECONFIG: &str = "apiVersion: v1
kind: Config
clusters:
- name: lab
  cluster: {server: \"https://127.0.0.1:9\"}
users:
- name: lab
  user: {token: not-a-secret}
contexts:
- name: kind-gwlab
  context: {cluster: lab, user: lab}
current-context: kind-gwlab
";

/// A kubeconfig whose only context (named like the lab's, so `--context` cannot save the day) runs an exec
/// credential plugin that creates `marker`; then an ordinary object, so the file is also a manifest.
fn hostile_kubeconfig(marker: &Path) -> String {
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: evil
  cluster: {{server: \"https://127.0.0.1:9\"}}
users:
- name: evil
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: sh
      args: [\"-c\", \"touch {}\"]
      interactiveMode: Never
contexts:
- name: kind-gwlab
  context: {{cluster: evil, user: evil}}
current-context: kind-gwlab
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: innocent
",
        marker.display()
    )
}

const OPTION_LIKE: &[&str] = &[
    "--kubeconfig=manifests/in.yaml",
    "-n",
    "--server=https://127.0.0.1:9",
];

/// Names of every kind: option-like, shell-like (each command would create a file named `pwned…` under
/// `root`), and YAML-breaking.
fn hostile_names(root: &Path) -> Vec<String> {
    let r = root.display();
    let mut names: Vec<String> = OPTION_LIKE.iter().map(|s| s.to_string()).collect();
    names.extend([
        format!("$(touch {r}/pwned-dollar)"),
        format!("`touch {r}/pwned-backtick`"),
        format!("q'\"$(touch {r}/pwned-quote)'\""),
        "ls\u{2028}extraMounts: [{hostPath: /, containerPath: /host}]".to_string(),
        "nel\u{85}  extraMounts: []".to_string(),
        "cr\r\n- role: control-plane".to_string(),
        "bidi\u{202e}lmay.".to_string(),
    ]);
    names
}

fn s(x: &str) -> String {
    x.to_string()
}

fn hostile_input(root: &Path, marker: &Path) -> ExportInput {
    let names = hostile_names(root);
    let r = root.display();
    let mut input = ExportInput {
        manifests: vec![
            (s("in.yaml"), hostile_kubeconfig(marker)),
            (
                s("--kubeconfig=manifests/in.yaml"),
                s("# option-like file name\n"),
            ),
        ],
        namespaces: names.clone(),
        missing_gateway_classes: names.clone(),
        uses_cert_manager: true,
        expectations_yaml: s("requests: []\n"),
        ..Default::default()
    };
    for (i, name) in names.iter().enumerate() {
        let ns = &names[(i + 1) % names.len()];
        input.gateways.push(GatewayInfo {
            namespace: ns.clone(),
            name: name.clone(),
            class_name: name.clone(),
            listeners: vec![fixtures::listener(name, 80 + i as u16, "HTTP", Some(name))],
            // Every other Gateway names an EnvoyProxy of the user's, so both patch commands run.
            envoy_proxy: (i % 2 == 1).then(|| (name.clone(), ns.clone())),
            merged: false,
        });
        input.backends.push(BackendService {
            namespace: ns.clone(),
            name: name.clone(),
            ports: vec![(80, TargetPort::Name(name.clone()))],
            selector: vec![(name.clone(), name.clone())],
            has_workload: false,
        });
        input.missing_tls_secrets.push((
            ns.clone(),
            name.clone(),
            vec![name.clone(), s("$CACERT")],
        ));
    }
    let evil = format!("$(touch {r}/pwned-value)`touch {r}/pwned-value2`");
    for (i, name) in names.iter().enumerate() {
        let ns = &names[(i + 1) % names.len()];
        input.predictions.push(Prediction {
            name: name.clone(),
            request_line: name.clone(),
            method: if i == 0 { s("$CACERT") } else { name.clone() },
            scheme: s("http"),
            host: name.clone(),
            port: 80 + i as u16,
            path: format!("/{name}"),
            headers: vec![
                (s("-H"), s("$CACERT")),
                (s("--config"), s("/etc/passwd")),
                (name.clone(), evil.clone()),
            ],
            expect: Expected {
                backend: Some((ns.clone(), name.clone())),
                backend_path: Some(name.clone()),
                request_headers: vec![(name.clone(), evil.clone())],
                location: Some(evil.clone()),
                ..Default::default()
            },
            ..Default::default()
        });
    }
    // HTTPS through the lab CA to a host literally named `$CACERT`, checked as a traffic split.
    input.predictions.push(Prediction {
        name: s("$CACERT"),
        request_line: s("GET https://$CACERT/"),
        method: s("GET"),
        scheme: s("https"),
        host: s("--kubeconfig=manifests/in.yaml"),
        sni: Some(s("$CACERT")),
        port: 443,
        path: s("/$CACERT"),
        expect: Expected {
            distribution: Some(vec![((names[1].clone(), names[0].clone()), 100.0)]),
            ..Default::default()
        },
        ..Default::default()
    });
    input
}

fn write_bundle(files: &[BundleFile], dir: &Path) {
    for f in files {
        let p = dir.join(&f.path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, &f.contents).unwrap();
        if f.executable {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }
}

/// Every file under `dir`, relative to it (folders not listed).
fn tree(dir: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if std::fs::symlink_metadata(&p).unwrap().is_dir() {
                stack.push(p);
            } else {
                out.insert(p.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out
}

/// The recorded calls: each as its argument list (program name first).
fn calls(log: &Path) -> Vec<Vec<String>> {
    let bytes = std::fs::read(log).unwrap_or_default();
    let text = String::from_utf8(bytes).unwrap();
    let mut fields = text.split('\0');
    let mut out = Vec::new();
    while let Some(count) = fields.next().filter(|c| !c.is_empty()) {
        let n: usize = count.parse().unwrap();
        out.push((0..n).map(|_| fields.next().unwrap().to_string()).collect());
    }
    out
}

/// kubectl words the scripts may put before `--`: subcommands and their fixed resource kinds.
const KUBECTL_WORDS: &[&str] = &[
    "apply",
    "cluster-info",
    "endpointslices",
    "get",
    "patch",
    "rollout",
    "secret",
    "status",
    "version",
    "wait",
];
/// kubectl options the scripts may pass, always as one `--name` or `--name=VALUE` word.
const KUBECTL_FLAGS: &[&str] = &[
    "all",
    "all-namespaces",
    "client",
    "context",
    "filename",
    "for",
    "namespace",
    "output",
    "patch",
    "selector",
    "timeout",
    "type",
];

/// Why a kubectl call could let a user-derived word reach the option parser, if it could.
fn kubectl_argv_problem(argv: &[String]) -> Option<String> {
    let options_end = argv.iter().position(|a| a == "--").unwrap_or(argv.len());
    for a in &argv[1..options_end] {
        let allowed = match a.strip_prefix("--") {
            Some(flag) => KUBECTL_FLAGS.contains(&flag.split('=').next().unwrap()),
            None => KUBECTL_WORDS.contains(&a.as_str()),
        };
        if !allowed {
            return Some(format!(
                "`{a}` before `--` is not one of the script's own words"
            ));
        }
    }
    None
}

/// curl options the scripts pass, with whether each takes a value (the next argument, taken verbatim).
const CURL_OPTIONS: &[(&str, bool)] = &[
    ("-sS", false),
    ("--noproxy", true),
    ("--globoff", false),
    ("--path-as-is", false),
    ("--connect-timeout", true),
    ("--max-time", true),
    ("-o", true),
    ("-D", true),
    ("-w", true),
    ("-X", true),
    ("--head", false),
    ("--resolve", true),
    ("--connect-to", true),
    ("--cacert", true),
    ("--insecure", false),
    ("-H", true),
];

fn curl_argv_problem(argv: &[String]) -> Option<String> {
    let mut i = 1;
    while i < argv.len() {
        let a = &argv[i];
        if a == "--" {
            return (argv.len() != i + 2)
                .then(|| format!("{} operands after `--`", argv.len() - i - 1));
        }
        match CURL_OPTIONS.iter().find(|(o, _)| o == a) {
            Some((_, takes_value)) => i += if *takes_value { 2 } else { 1 },
            None => return Some(format!("`{a}` in an option position")),
        }
    }
    Some("no `--` before the URL".into())
}

struct Sandbox {
    _dir: tempfile::TempDir,
    root: PathBuf,
    lab: PathBuf,
    marker: PathBuf,
    log: PathBuf,
    kubectl: PathBuf,
}

impl Sandbox {
    fn new(kubectl: PathBuf) -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        for sub in ["lab", "home", "tmp"] {
            std::fs::create_dir(root.join(sub)).unwrap();
        }
        std::fs::write(root.join("kubeconfig"), LAB_KUBECONFIG).unwrap();
        Sandbox {
            lab: root.join("lab"),
            marker: root.join("exec-plugin-ran"),
            log: root.join("argv.log"),
            _dir: dir,
            root,
            kubectl,
        }
    }

    fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.current_dir(&self.lab)
            .env_clear()
            .env(
                "PATH",
                format!("{}:/usr/local/bin:/usr/bin:/bin", recorders().display()),
            )
            .env("HOME", self.root.join("home"))
            .env("TMPDIR", self.root.join("tmp"))
            .env("KUBECONFIG", self.root.join("kubeconfig"))
            .env("REAL_KUBECTL", &self.kubectl)
            .env("ARGV_LOG", &self.log)
            .env("FAIL_PATTERN", "--for=condition=(Programmed|Accepted)")
            .env("GWLAB_RETRIES", "1")
            .env("GWLAB_RETRY_DELAY", "0")
            .env("GWLAB_SAMPLES", "2");
        c
    }

    fn run(&self, script: &str) -> (Option<i32>, String) {
        let out = self.command("bash").arg(script).output().unwrap();
        let text = format!(
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), text)
    }

    /// Files outside the bundle, leaving out the call log and kubectl's own cache under HOME.
    fn outside_bundle(&self) -> BTreeSet<String> {
        tree(&self.root)
            .into_iter()
            .filter(|p| {
                !p.starts_with("lab/") && p != "argv.log" && !p.starts_with("home/.kube/cache/")
            })
            .collect()
    }
}

#[test]
fn generated_scripts_never_hand_user_text_to_an_option_parser() {
    let Some(kubectl) = required_tool("kubectl", "/usr/bin/kubectl") else {
        return;
    };
    if required_tool("jq", "/usr/bin/jq").is_none() {
        return;
    }
    let sb = Sandbox::new(kubectl);
    let input = hostile_input(&sb.root, &sb.marker);
    let files = bundle(&input, &Versions::default());
    write_bundle(&files, &sb.lab);
    let before = sb.outside_bundle();

    let (status, install) = sb.run("install.sh");
    assert_eq!(status, Some(0), "install.sh:\n{install}");
    assert!(
        install.contains("is not Programmed"),
        "the failure branches ran:\n{install}"
    );
    // install.sh leaves an empty ca.crt without a cluster; verify.sh needs one to send the HTTPS case.
    std::fs::write(sb.lab.join("ca.crt"), "stand-in CA\n").unwrap();
    let (status, verify) = sb.run("verify.sh");
    assert_eq!(
        status,
        Some(1),
        "every case fails against the 404 stand-in:\n{verify}"
    );
    assert!(verify.contains(" passed, "), "{verify}");
    let (status, cleanup) = sb.run("cleanup.sh");
    assert_eq!(status, Some(0), "{cleanup}");

    // Nothing ran: no exec plugin, no command substitution, and no file appeared outside the bundle.
    assert!(
        !sb.marker.exists(),
        "kubectl ran the manifest's exec plugin"
    );
    let pwned: Vec<String> = tree(&sb.root)
        .into_iter()
        .filter(|p| p.contains("pwned"))
        .collect();
    assert!(pwned.is_empty(), "commands from names ran: {pwned:?}");
    assert_eq!(
        sb.outside_bundle(),
        before,
        "files written outside the bundle"
    );
    let expected: BTreeSet<String> = files.iter().map(|f| f.path.clone()).collect();
    assert_eq!(
        tree(&sb.lab),
        expected,
        "the bundle folder holds only the bundle (cleanup.sh removes ca.crt)"
    );
    assert!(
        tree(&sb.root.join("tmp")).is_empty(),
        "verify.sh removes its temporary folder"
    );

    // Every call kept user text away from the option parsers.
    let calls = calls(&sb.log);
    let kubectl_calls: Vec<&Vec<String>> = calls.iter().filter(|c| c[0] == "kubectl").collect();
    let curl_calls: Vec<&Vec<String>> = calls.iter().filter(|c| c[0] == "curl").collect();
    assert!(
        kubectl_calls.len() > 50,
        "{} kubectl calls",
        kubectl_calls.len()
    );
    assert_eq!(
        curl_calls.len(),
        hostile_names(&sb.root).len() + 2,
        "one per case, two samples for the split"
    );
    for c in &kubectl_calls {
        assert_eq!(kubectl_argv_problem(c), None, "{c:?}");
    }
    for c in &curl_calls {
        assert_eq!(curl_argv_problem(c), None, "{c:?}");
    }
    for c in calls.iter().filter(|c| c[0] == "kind" || c[0] == "helm") {
        // kind and helm only ever see the scripts' own words and the checked versions.
        assert!(
            !c.iter()
                .any(|a| a.contains("kubeconfig") || a.contains("pwned")),
            "{c:?}"
        );
    }
    // The hostile names did reach kubectl, as operands after `--` or inside `--flag=VALUE` words.
    let operand = |word: &str| {
        kubectl_calls.iter().any(|c| {
            let end = c.iter().position(|a| a == "--").unwrap_or(c.len());
            c[end..].iter().any(|a| a == word)
        })
    };
    for name in OPTION_LIKE {
        for operand_word in [
            format!("gateway/{name}"),
            format!("gatewayclass/{name}"),
            format!("certificate/{name}"),
        ] {
            assert!(operand(&operand_word), "no call on {operand_word}");
        }
        assert!(
            kubectl_calls
                .iter()
                .any(|c| c.contains(&format!("--namespace={name}"))),
            "--namespace={name}"
        );
    }
    // The patches name the Gateways (generated EnvoyProxies) and the user's EnvoyProxy as bare operands.
    assert!(
        operand(OPTION_LIKE[0]) && operand(OPTION_LIKE[2]),
        "gateway patches"
    );
    assert!(kubectl_calls
        .iter()
        .any(|c| c.ends_with(&["envoyproxy".to_string(), OPTION_LIKE[2].to_string()])));
    assert!(kubectl_calls
        .iter()
        .any(|c| c.contains(&"--filename=manifests/kubeconfig-manifests-in.yaml".to_string())));
    // `$CACERT` as a method, a header and a host stays those characters; the CA path is the bundle's.
    let first = curl_calls[0];
    assert_eq!(
        first[first.iter().position(|a| a == "-X").unwrap() + 1],
        "$CACERT"
    );
    assert!(first.contains(&"-H: $CACERT".to_string()), "{first:?}");
    assert!(
        first.contains(&"--config: /etc/passwd".to_string()),
        "{first:?}"
    );
    let https = curl_calls.last().unwrap();
    assert_eq!(
        https.last().unwrap(),
        "https://$CACERT/$CACERT",
        "{https:?}"
    );
    let ca = https[https.iter().position(|a| a == "--cacert").unwrap() + 1].clone();
    assert_eq!(Path::new(&ca), sb.lab.join("ca.crt"));

    // The names could break no YAML the bundle generated: no raw line break but LF, no control or hidden
    // character, and kind-config.yaml's control-plane node has only its two keys.
    for f in files.iter().filter(|f| {
        f.path.ends_with(".yaml") && f.path != "expect.yaml" && !is_user_manifest(&f.path)
            || f.path == "README.md"
    }) {
        if let Some(c) = f.contents.chars().find(|c| *c != '\n' && must_escape(*c)) {
            panic!("{} holds a raw U+{:04X}", f.path, c as u32);
        }
    }
    let kind = &files
        .iter()
        .find(|f| f.path == "kind-config.yaml")
        .unwrap()
        .contents;
    let (docs, diags) = gwlab::source::parse_stream(kind);
    assert!(diags.is_empty(), "{diags:?}");
    let nodes = docs[0].value["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 3);
    let keys: BTreeSet<&str> = nodes[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, BTreeSet::from(["extraPortMappings", "role"]));

    // Negative control: the planted kubeconfig does run its plugin when kubectl is handed it as an option.
    let out = sb
        .command(sb.kubectl.to_str().unwrap())
        .args([
            "--context=kind-gwlab",
            "--kubeconfig=manifests/in.yaml",
            "get",
            "pods",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        sb.marker.exists(),
        "the exec plugin should have run: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn is_user_manifest(path: &str) -> bool {
    path.starts_with("manifests/") && !path.starts_with("manifests/generated/")
}

#[test]
fn the_argv_checks_catch_the_old_forms() {
    let argv = |words: &[&str]| words.iter().map(|w| w.to_string()).collect::<Vec<_>>();
    // What install.sh used to run: the name in an option position.
    let old = argv(&[
        "kubectl",
        "--context",
        "kind-gwlab",
        "patch",
        "gateway",
        "-n",
        "default",
        "--kubeconfig=manifests/in.yaml",
    ]);
    assert!(kubectl_argv_problem(&old).is_some());
    let new = argv(&[
        "kubectl",
        "--context=kind-gwlab",
        "patch",
        "--namespace=-n",
        "--type=merge",
        "--patch={}",
        "--",
        "gateway",
        "--kubeconfig=manifests/in.yaml",
    ]);
    assert_eq!(kubectl_argv_problem(&new), None);
    assert!(curl_argv_problem(&argv(&["curl", "-X", "GET", "http://a/"])).is_some());
    assert!(curl_argv_problem(&argv(&[
        "curl",
        "-X",
        "GET",
        "--config",
        "x",
        "--",
        "http://a/"
    ]))
    .is_some());
    assert_eq!(
        curl_argv_problem(&argv(&["curl", "-X", "--config", "--", "http://a/"])),
        None
    );
}
