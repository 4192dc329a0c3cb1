//! The export bundle: a kind + Helm lab that installs Envoy Gateway, applies the user's manifests with
//! generated backends, and checks every prediction of the simulator against the real cluster.
//!
//! [`bundle`] builds the files from an [`ExportInput`] and a [`Versions`] set; [`zip()`] packs them
//! deterministically for a browser download. Everything is pure and builds for wasm32.

mod from_analysis;
mod generated;
pub mod input;
mod install;
mod plan;
pub mod quote;
mod readme;
mod verify;
pub mod versions;
mod zip;

pub use from_analysis::{export, export_input, export_zip, Export};
pub use input::{
    BackendService, BundleFile, Expected, ExportInput, GatewayInfo, ListenerInfo, Prediction,
    TargetPort,
};
pub use versions::{check_controller_name, check_image, check_version, Versions, VERSION_SETS};
pub use zip::{zip, ZIP_ROOT};

/// The longest file name (in bytes) the bundle gives a user's file, well under the 255 bytes file systems allow.
const MAX_FILE_NAME: usize = 100;

/// Names under `manifests/` the bundle keeps for itself (compared without regard to case).
const RESERVED_NAMES: &[&str] = &["generated"];

/// File names for the user's manifests under `manifests/`, one per manifest, from a scheme that no user text can
/// steer out of that folder or onto another file:
///
/// - only `[A-Za-z0-9._-]` is kept, every other character (separators `/` and `\` included) becomes `-`;
/// - leading `.` and `-` are dropped (no hidden files, no `..`, nothing a tool reads as an option), and so are
///   trailing dots (which Windows drops when unpacking);
/// - at most [`MAX_FILE_NAME`] bytes;
/// - never a reserved name (`generated`, the bundle's own folder), and no two names equal when case is ignored,
///   so the bundle unpacks to the same files on case-insensitive file systems: a clash gets a `2-`, `3-`, …
///   prefix (or `manifest-N.yaml` when nothing is left of the name).
fn safe_file_names(manifests: &[(String, String)]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut taken: std::collections::BTreeSet<String> =
        RESERVED_NAMES.iter().map(|n| n.to_string()).collect();
    for (name, _) in manifests {
        let mut s: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        s = s.trim_start_matches(['.', '-']).to_string();
        s.truncate(MAX_FILE_NAME);
        s = s.trim_end_matches('.').to_string();
        if s.is_empty() || RESERVED_NAMES.contains(&s.to_ascii_lowercase().as_str()) {
            s = format!("manifest-{}.yaml", out.len() + 1);
        }
        let base = s.clone();
        let mut i = 2;
        while taken.contains(&s.to_ascii_lowercase()) {
            s = format!("{i}-{base}");
            i += 1;
        }
        taken.insert(s.to_ascii_lowercase());
        out.push(s);
    }
    out
}

/// The most requests one bundle's verify.sh sends. A routing table can multiply hostnames by matches into
/// hundreds of thousands of rows; past this cap the bundle keeps the first cases (the given request lines come
/// first), says how many it left out in verify.sh's output and the runbook, and stays a few megabytes at most.
pub const MAX_VERIFY_CASES: usize = 2_000;

/// The note a bundle carries when the cap cuts its verify list (or the export already left requests out).
fn cap_note(input: &ExportInput) -> Option<String> {
    let total = input.predictions.len() + input.requests_left_out;
    let kept = input.predictions.len().min(MAX_VERIFY_CASES);
    (kept < total).then(|| {
        format!(
            "verify.sh checks {kept} of {total} requests: a bundle checks at most {MAX_VERIFY_CASES}, so the other {} \
             are left out (export fewer routes, or name the requests to check with --request)",
            total - kept
        )
    })
}

/// The shell lines that stop `script` with `status` unless `$CLUSTER` (from GWLAB_CLUSTER) is a plain kind
/// cluster name, so it can never be read as an option of kind, kubectl or helm.
fn check_cluster(script: &str, status: u8) -> String {
    format!(
        "case \"$CLUSTER\" in\n  '' | [!a-z0-9]* | *[!a-z0-9.-]*)\n    printf '{script}: GWLAB_CLUSTER must be lower-case letters, digits, dots and dashes, starting with a letter or digit\\n' >&2\n    exit {status}\n    ;;\nesac"
    )
}

fn file(path: &str, contents: String, executable: bool) -> BundleFile {
    BundleFile {
        path: path.to_string(),
        contents,
        executable,
    }
}

/// Builds the lab bundle. The order of the files is fixed: README.md, kind-config.yaml, install.sh, verify.sh,
/// cleanup.sh, expect.yaml, the user's manifests in load order, then the generated manifests.
pub fn bundle(input: &ExportInput, versions: &Versions) -> Vec<BundleFile> {
    let plan = plan::plan(input);
    let user_files = safe_file_names(&input.manifests);
    let mut files = vec![
        file(
            "README.md",
            readme::readme(input, &plan, versions, &user_files),
            false,
        ),
        file(
            "kind-config.yaml",
            install::kind_config(&plan, versions),
            false,
        ),
        file(
            "install.sh",
            install::install_sh(input, &plan, versions, &user_files),
            true,
        ),
        file("verify.sh", verify::verify_sh(input, &plan), true),
        file("cleanup.sh", install::cleanup_sh(), true),
    ];
    let expect = if input.expectations_yaml.trim().is_empty() {
        "# No expectations were exported.\nrequests: []\n".to_string()
    } else {
        input.expectations_yaml.clone()
    };
    files.push(file("expect.yaml", expect, false));
    for (name, (_, text)) in user_files.iter().zip(&input.manifests) {
        files.push(file(&format!("manifests/{name}"), text.clone(), false));
    }
    let namespaces = generated::namespaces(input);
    if !namespaces.is_empty() {
        files.push(file(
            "manifests/generated/namespaces.yaml",
            generated::namespaces_yaml(&namespaces),
            false,
        ));
    }
    if !input.missing_gateway_classes.is_empty() {
        files.push(file(
            "manifests/generated/gatewayclasses.yaml",
            generated::gatewayclasses_yaml(&input.missing_gateway_classes),
            false,
        ));
    }
    if plan.planes.iter().any(|p| p.generated_proxy) {
        files.push(file(
            "manifests/generated/envoyproxies.yaml",
            generated::envoyproxies_yaml(&plan),
            false,
        ));
    }
    if plan.cert_manager && !input.missing_tls_secrets.is_empty() {
        files.push(file(
            "manifests/generated/lab-ca.yaml",
            generated::lab_ca_yaml(),
            false,
        ));
        files.push(file(
            "manifests/generated/certificates.yaml",
            generated::certificates_yaml(input),
            false,
        ));
    }
    if !plan.echoes.is_empty() {
        files.push(file(
            "manifests/generated/backends.yaml",
            generated::backends_yaml(&plan, versions),
            false,
        ));
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(given: &[&str]) -> Vec<String> {
        let manifests: Vec<(String, String)> = given
            .iter()
            .map(|n| (n.to_string(), String::new()))
            .collect();
        safe_file_names(&manifests)
    }

    #[test]
    fn file_names_cannot_leave_the_folder_or_clash() {
        assert_eq!(
            names(&[
                "app.yaml",
                "App.YAML",
                "GENERATED",
                "generated",
                "../../etc/passwd",
                "..",
                "-rf",
                "--kubeconfig=x.yaml"
            ]),
            [
                "app.yaml",
                "2-App.YAML",
                "manifest-3.yaml",
                "manifest-4.yaml",
                "etc-passwd",
                "manifest-6.yaml",
                "rf",
                "kubeconfig-x.yaml",
            ]
        );
        assert_eq!(
            names(&["a\\b/c d\u{2028}.yaml", "x.", "tail..."]),
            ["a-b-c-d-.yaml", "x", "tail"]
        );
        assert_eq!(
            names(&["a.yaml", "2-a.yaml", "A.yaml"]),
            ["a.yaml", "2-a.yaml", "3-A.yaml"]
        );
        let long = names(&[&"x".repeat(300)]);
        assert_eq!(long[0].len(), MAX_FILE_NAME);
    }

    #[test]
    fn every_name_is_safe_and_unique_without_case() {
        let given = [
            "A",
            "a",
            "a",
            "GENERATED",
            ".hidden",
            "-x",
            "x/y",
            "",
            "manifest-5.yaml",
            "ÄÖ.yaml",
            "äö.yaml",
        ];
        let out = names(&given);
        let mut seen = std::collections::BTreeSet::new();
        for n in &out {
            assert!(
                !n.is_empty() && !n.starts_with(['.', '-']) && !n.ends_with('.'),
                "{n}"
            );
            assert!(
                n.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')),
                "{n}"
            );
            assert!(seen.insert(n.to_ascii_lowercase()), "{n} clashes: {out:?}");
            assert_ne!(n.to_ascii_lowercase(), "generated");
        }
    }

    #[test]
    fn cap_note_only_past_the_cap() {
        let mut input = ExportInput {
            predictions: vec![Prediction::default(); MAX_VERIFY_CASES],
            ..Default::default()
        };
        assert_eq!(cap_note(&input), None);
        input.predictions.push(Prediction::default());
        assert_eq!(
            cap_note(&input).as_deref(),
            Some(
                "verify.sh checks 2000 of 2001 requests: a bundle checks at most 2000, so the other 1 are left out \
                 (export fewer routes, or name the requests to check with --request)"
            )
        );
        input.predictions.truncate(10);
        input.requests_left_out = 5;
        assert!(cap_note(&input)
            .unwrap()
            .starts_with("verify.sh checks 10 of 15 requests"));
    }
}
