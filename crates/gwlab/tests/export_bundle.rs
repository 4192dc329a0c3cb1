//! Snapshots of whole bundles, and the properties every bundle must have.

#[path = "export_fixtures/mod.rs"]
mod fixtures;

use gwlab::export::{bundle, zip, BundleFile, ExportInput, Versions, ZIP_ROOT};

fn render(files: &[BundleFile]) -> String {
    let mut out = String::new();
    for f in files {
        out.push_str(&format!(
            "===== {}{} =====\n",
            f.path,
            if f.executable { " (executable)" } else { "" }
        ));
        out.push_str(&f.contents);
        if !f.contents.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

fn snapshot(name: &str, input: &ExportInput) {
    let files = bundle(input, &Versions::default());
    insta::assert_snapshot!(name, render(&files));
}

#[test]
fn snapshot_plain_http() {
    snapshot("plain_http", &fixtures::plain_http());
}

#[test]
fn snapshot_tls_missing_secret() {
    snapshot("tls_missing_secret", &fixtures::tls_missing_secret());
}

#[test]
fn snapshot_canary() {
    snapshot("canary", &fixtures::canary());
}

#[test]
fn snapshot_merged_gateways() {
    snapshot("merged", &fixtures::merged());
}

fn get<'a>(files: &'a [BundleFile], path: &str) -> &'a str {
    &files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("{path} missing"))
        .contents
}

#[test]
fn file_list_and_order() {
    let files = bundle(&fixtures::tls_missing_secret(), &Versions::default());
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "README.md",
            "kind-config.yaml",
            "install.sh",
            "verify.sh",
            "cleanup.sh",
            "expect.yaml",
            "manifests/tls.yaml",
            "manifests/generated/namespaces.yaml",
            "manifests/generated/gatewayclasses.yaml",
            "manifests/generated/envoyproxies.yaml",
            "manifests/generated/lab-ca.yaml",
            "manifests/generated/certificates.yaml",
            "manifests/generated/backends.yaml",
        ]
    );
    let exec: Vec<&str> = files
        .iter()
        .filter(|f| f.executable)
        .map(|f| f.path.as_str())
        .collect();
    assert_eq!(exec, ["install.sh", "verify.sh", "cleanup.sh"]);
}

#[test]
fn user_manifests_are_verbatim() {
    for input in [
        fixtures::plain_http(),
        fixtures::canary(),
        fixtures::tls_missing_secret(),
    ] {
        let files = bundle(&input, &Versions::default());
        for (name, text) in &input.manifests {
            assert_eq!(get(&files, &format!("manifests/{name}")), text);
        }
        assert_eq!(get(&files, "expect.yaml"), input.expectations_yaml);
    }
}

#[test]
fn cert_manager_only_when_needed() {
    let plain = bundle(&fixtures::plain_http(), &Versions::default());
    assert!(!get(&plain, "install.sh").contains("cert-manager"));
    assert!(!get(&plain, "verify.sh").contains("need_ca\n"));
    let tls = bundle(&fixtures::tls_missing_secret(), &Versions::default());
    let install = get(&tls, "install.sh");
    assert!(install.contains("jetstack/cert-manager"));
    assert!(install.contains("--set=crds.enabled=true"));
    assert!(install.contains("--set=config.enableGatewayAPI=true"));
    assert!(get(&tls, "verify.sh").contains("--cacert \"$CACERT\""));
}

#[test]
fn nodeports_match_kind_port_mappings() {
    let files = bundle(&fixtures::canary(), &Versions::default());
    let kind = get(&files, "kind-config.yaml");
    let proxies = get(&files, "manifests/generated/envoyproxies.yaml");
    // Both Gateways listen on 80: distinct nodePorts, the second on a shifted host port.
    for (node, host) in [(30080, 80), (32767, 20080), (32766, 8080)] {
        assert!(
            kind.contains(&format!(
                "containerPort: {node}\n        hostPort: {host}\n"
            )),
            "{kind}"
        );
        assert!(
            proxies.contains(&format!("nodePort: {node}\n")),
            "{proxies}"
        );
    }
    let verify = get(&files, "verify.sh");
    assert!(
        verify.contains("--connect-to 'shop.example.com:80:127.0.0.1:20080'"),
        "{verify}"
    );
    assert!(verify.contains("--resolve 'shop.example.com:80:127.0.0.1'"));
}

#[test]
fn versions_are_one_table() {
    let current = Versions::default();
    assert_eq!(current.kind_node_image, "kindest/node:v1.36.1");
    assert_eq!(current.envoy_gateway, "v1.9.0");
    assert_eq!(
        current.echo_image,
        "registry.k8s.io/gateway-api/echo-basic:v1.5.1"
    );
    assert_eq!(current.gateway_api, "v1.6.1");
    let old = Versions::by_name("original-plan").unwrap();
    assert_eq!(
        (old.gateway_api, old.envoy_gateway, old.cert_manager),
        ("v1.2.1", "v1.4.0", "v1.16.2")
    );
    assert_eq!(Versions::names(), ["current", "original-plan"]);
    let files = bundle(&fixtures::tls_missing_secret(), &old);
    let install = get(&files, "install.sh");
    assert!(install.contains("EG_VERSION='v1.4.0'"));
    assert!(install.contains("CERT_MANAGER_VERSION='v1.16.2'"));
    assert!(install.contains("KIND_NODE_IMAGE='kindest/node:v1.32.2'"));
}

#[test]
fn bundle_and_zip_are_deterministic() {
    let input = fixtures::canary();
    let a = bundle(&input, &Versions::default());
    let b = bundle(&input, &Versions::default());
    assert_eq!(a, b);
    let za = zip(&a);
    assert_eq!(za, zip(&b));
    // The archive holds every file, under one folder, with the scripts executable.
    assert_eq!(&za[..4], b"PK\x03\x04");
    let eocd = za.len() - 22;
    assert_eq!(&za[eocd..eocd + 4], b"PK\x05\x06");
    assert_eq!(
        u16::from_le_bytes([za[eocd + 10], za[eocd + 11]]) as usize,
        a.len()
    );
    for f in &a {
        let name = format!("{ZIP_ROOT}{}", f.path);
        assert!(
            za.windows(name.len()).any(|w| w == name.as_bytes()),
            "{name} not in the zip"
        );
    }
}

#[test]
fn zip_extracts_with_unzip() {
    let Ok(status) = std::process::Command::new("unzip").arg("-v").output() else {
        eprintln!("unzip not installed: skipping the extraction check");
        return;
    };
    assert!(status.status.success());
    let files = bundle(&fixtures::tls_missing_secret(), &Versions::default());
    let dir = tempfile::tempdir().unwrap();
    let zpath = dir.path().join("lab.zip");
    std::fs::write(&zpath, zip(&files)).unwrap();
    let out = std::process::Command::new("unzip")
        .arg("-q")
        .arg(&zpath)
        .arg("-d")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in &files {
        let p = dir.path().join(ZIP_ROOT).join(&f.path);
        assert_eq!(std::fs::read_to_string(&p).unwrap(), f.contents);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode();
            assert_eq!(mode & 0o111 != 0, f.executable, "{}", f.path);
        }
    }
}

#[test]
fn readme_is_a_runbook() {
    let files = bundle(&fixtures::tls_missing_secret(), &Versions::default());
    let readme = get(&files, "README.md");
    for needle in [
        "## Prerequisites",
        "./install.sh",
        "./verify.sh",
        "./cleanup.sh",
        "## Troubleshooting by symptom",
        "Pending",
        "Route not attached",
        "**404**",
        "**500**",
        "**421 Misdirected Request**",
        "TLS handshake errors",
        "port-forward",
        "19000",
        "egctl config envoy-proxy",
        "## Teardown",
        "v1.9.0",
        "v1.19.1",
        "kindest/node:v1.36.1",
    ] {
        assert!(readme.contains(needle), "README lacks {needle:?}");
    }
}
