//! `gwlab export` end to end: the bundle directory, the zip, and the bundle's expect.yaml passing `gwlab test`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn gwlab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gwlab"))
        .args(args)
        .output()
        .unwrap()
}

fn repo(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
        .display()
        .to_string()
}

/// A fresh, empty directory under the system temp dir.
fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("gwlab-cli-export-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn export_writes_a_bundle_and_a_zip() {
    let dir = temp_dir("canary");
    let out = dir.join("lab");
    let zip = dir.join("lab.zip");
    let o = gwlab(&[
        "export",
        &repo("scenarios/05-canary-90-10/manifests.yaml"),
        "--requests-from",
        &repo("scenarios/05-canary-90-10/expect.yaml"),
        "--request",
        "GET http://canary.example.com/other",
        "--out",
        out.to_str().unwrap(),
        "--zip",
        zip.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("wrote 9 files"), "{stdout}");
    assert!(stdout.contains("versions: current"), "{stdout}");
    assert!(
        stdout.contains("6 predictions: 4 given, 2 from the routing table"),
        "{stdout}"
    );
    for f in [
        "README.md",
        "kind-config.yaml",
        "install.sh",
        "verify.sh",
        "cleanup.sh",
        "expect.yaml",
        "manifests/manifests.yaml",
        "manifests/generated/backends.yaml",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in ["install.sh", "verify.sh", "cleanup.sh"] {
            let mode = std::fs::metadata(out.join(f)).unwrap().permissions().mode();
            assert_eq!(mode & 0o111, 0o111, "{f} is not executable");
        }
        let mode = std::fs::metadata(out.join("README.md"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0);
    }
    let bytes = std::fs::read(&zip).unwrap();
    assert_eq!(&bytes[..4], b"PK\x03\x04");
    let verify = std::fs::read_to_string(out.join("verify.sh")).unwrap();
    assert!(verify.contains("expect_share 'default' 'checkout-v1' 90"));

    // The bundle's own expectations pass against the simulator.
    let t = gwlab(&["test", out.join("expect.yaml").to_str().unwrap()]);
    assert!(t.status.success(), "{}", text(&t));
    assert!(
        String::from_utf8_lossy(&t.stdout).contains("6 passed, 0 failed"),
        "{}",
        text(&t)
    );

    // A second export into the same directory needs --force; the zip is byte-identical.
    let again = gwlab(&[
        "export",
        &repo("scenarios/05-canary-90-10/manifests.yaml"),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
    assert!(text(&again).contains("--force"));
    let zip2 = dir.join("again.zip");
    let o = gwlab(&[
        "export",
        &repo("scenarios/05-canary-90-10/manifests.yaml"),
        "--requests-from",
        &repo("scenarios/05-canary-90-10/expect.yaml"),
        "-r",
        "GET http://canary.example.com/other",
        "--zip",
        zip2.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(bytes, std::fs::read(&zip2).unwrap());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn export_versions_and_overrides() {
    let dir = temp_dir("versions");
    let out = dir.join("lab");
    let o = gwlab(&[
        "export",
        &repo("scenarios/08-tls-edge/manifests.yaml"),
        "--out",
        out.to_str().unwrap(),
        "--versions",
        "original-plan",
        "--eg-version",
        "v1.4.9",
        "--kind-image",
        "kindest/node:v1.33.0",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("versions: original-plan (kind kindest/node:v1.33.0, Envoy Gateway v1.4.9"),
        "{stdout}"
    );
    assert!(stdout.contains("cert-manager is installed"), "{stdout}");
    let install = std::fs::read_to_string(out.join("install.sh")).unwrap();
    assert!(
        install.contains("v1.4.9"),
        "the override reaches install.sh"
    );
    let kind = std::fs::read_to_string(out.join("kind-config.yaml")).unwrap();
    assert!(kind.contains("kindest/node:v1.33.0") || install.contains("kindest/node:v1.33.0"));
    let t = gwlab(&["test", out.join("expect.yaml").to_str().unwrap()]);
    assert!(t.status.success(), "{}", text(&t));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn export_usage_errors() {
    let m = repo("scenarios/01-minimal-http/manifests.yaml");
    let o = gwlab(&["export", &m]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "no --out and no --zip: {}",
        text(&o)
    );
    let dir = temp_dir("usage");
    let out = dir.join("lab");
    let o = gwlab(&[
        "export",
        &m,
        "--out",
        out.to_str().unwrap(),
        "--versions",
        "ancient",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("current"), "{}", text(&o));
    let o = gwlab(&[
        "export",
        &m,
        "--out",
        out.to_str().unwrap(),
        "-r",
        "FETCH nowhere",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(!out.exists(), "nothing is written on a usage error");
    let o = gwlab(&[
        "export",
        &repo("scenarios/does-not-exist.yaml"),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn flags_that_land_in_files_are_checked() {
    let m = repo("scenarios/01-minimal-http/manifests.yaml");
    let dir = temp_dir("flags");
    let out = dir.join("lab");
    let cases: &[(&str, &str)] = &[
        (
            "--kind-image",
            "kindest/node:v1\u{2028}  extraMounts: [{hostPath: /, containerPath: /host}]",
        ),
        ("--kind-image", "--config=/etc/passwd"),
        ("--echo-image", "echo:$(touch pwned)"),
        ("--eg-version", "v1.9.0\n--set=x"),
        ("--cert-manager-version", "latest"),
        ("--controller", "example.com/a b"),
    ];
    for (flag, value) in cases {
        let o = gwlab(&[
            "export",
            &m,
            "--out",
            out.to_str().unwrap(),
            &format!("{flag}={value}"),
        ]);
        assert_eq!(o.status.code(), Some(2), "{flag} {value:?}: {}", text(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(&format!("gwlab: {flag} `")), "{flag}: {err}");
        assert!(
            !err.contains('\u{2028}') && err.lines().count() == 1,
            "the value is shown escaped: {err:?}"
        );
        assert!(!out.exists(), "nothing is written when a flag is refused");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(unix)]
#[test]
fn force_never_writes_through_a_symlink() {
    let m = repo("scenarios/01-minimal-http/manifests.yaml");
    let dir = temp_dir("symlink");
    let out = dir.join("lab");
    let outside = dir.join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("victim"), "keep me\n").unwrap();
    let o = gwlab(&["export", &m, "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));

    // A link in place of a bundle file, pointing outside the output folder.
    std::fs::remove_file(out.join("install.sh")).unwrap();
    std::os::unix::fs::symlink(outside.join("victim"), out.join("install.sh")).unwrap();
    let o = gwlab(&["export", &m, "--out", out.to_str().unwrap(), "--force"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("install.sh is a symbolic link"),
        "{}",
        text(&o)
    );
    assert_eq!(
        std::fs::read_to_string(outside.join("victim")).unwrap(),
        "keep me\n"
    );

    // A link in place of a bundle folder.
    std::fs::remove_file(out.join("install.sh")).unwrap();
    std::fs::remove_dir_all(out.join("manifests")).unwrap();
    std::os::unix::fs::symlink(&outside, out.join("manifests")).unwrap();
    let o = gwlab(&["export", &m, "--out", out.to_str().unwrap(), "--force"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("manifests is a symbolic link"),
        "{}",
        text(&o)
    );
    let mut names: Vec<String> = std::fs::read_dir(&outside)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["victim"],
        "nothing was written into the link's target"
    );

    // The output folder itself as a link, and the zip file as a link.
    let linked = dir.join("linked");
    std::os::unix::fs::symlink(&outside, &linked).unwrap();
    let o = gwlab(&["export", &m, "--out", linked.to_str().unwrap(), "--force"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let zip = dir.join("lab.zip");
    std::os::unix::fs::symlink(outside.join("victim"), &zip).unwrap();
    let o = gwlab(&["export", &m, "--zip", zip.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert_eq!(
        std::fs::read_to_string(outside.join("victim")).unwrap(),
        "keep me\n"
    );

    // Without links, --force rewrites the bundle (a regular file in the way is replaced, not written through).
    std::fs::remove_file(out.join("manifests")).unwrap();
    let o = gwlab(&["export", &m, "--out", out.to_str().unwrap(), "--force"]);
    assert!(o.status.success(), "{}", text(&o));
    let install = std::fs::metadata(out.join("install.sh")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(install.permissions().mode() & 0o777, 0o755);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A Gateway named like a kubectl option is refused as the API server would refuse it, so the
/// export never sees it: no generated script, runbook or configuration names it, and only the
/// copy of the user's own manifest (which `kubectl apply` refuses in turn) still holds it.
#[test]
fn an_object_the_api_server_refuses_never_reaches_the_bundle() {
    let dir = temp_dir("refused");
    std::fs::create_dir_all(&dir).unwrap();
    let manifest = dir.join("in.yaml");
    let evil = "--kubeconfig=manifests/in.yaml";
    std::fs::write(
        &manifest,
        format!(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {{name: eg}}\nspec: {{controllerName: gateway.envoyproxy.io/gatewayclass-controller}}\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: \"{evil}\", namespace: default}}\nspec:\n  gatewayClassName: eg\n  listeners: [{{name: http, port: 80, protocol: HTTP}}]\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: gw, namespace: default}}\nspec:\n  gatewayClassName: eg\n  listeners: [{{name: http, port: 80, protocol: HTTP}}]\n"
        ),
    )
    .unwrap();
    let check = gwlab(&["check", manifest.to_str().unwrap(), "-o", "json"]);
    assert_eq!(check.status.code(), Some(1), "{}", text(&check));
    let report: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
    let refusals: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "api-rejected")
        .filter_map(|d| d["object"].as_str())
        .collect();
    assert_eq!(refusals, [format!("Gateway/default/{evil}")]);

    let out = dir.join("lab");
    let o = gwlab(&[
        "export",
        manifest.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("1 Gateway,"),
        "only the valid Gateway is exported: {}",
        text(&o)
    );
    let mut files = vec![out.clone()];
    let mut holding = Vec::new();
    while let Some(p) = files.pop() {
        if p.is_dir() {
            files.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
        } else if std::fs::read_to_string(&p).unwrap().contains("kubeconfig=") {
            holding.push(p.strip_prefix(&out).unwrap().display().to_string());
        }
    }
    assert_eq!(holding, ["manifests/in.yaml"]);
    let install = std::fs::read_to_string(out.join("install.sh")).unwrap();
    assert!(
        install.contains("-- gateway 'gw'"),
        "the valid Gateway is patched"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
