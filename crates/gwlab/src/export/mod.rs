//! The export bundle: a kind + Helm lab that installs Envoy Gateway, applies the user's manifests with
//! generated backends, and checks every prediction of the simulator against the real cluster.
//!
//! [`bundle`] builds the files from an [`ExportInput`] and a [`Versions`] set; [`zip()`] packs them
//! deterministically for a browser download. Everything is pure and builds for wasm32.

mod generated;
pub mod input;
mod install;
mod plan;
pub mod quote;
mod readme;
mod verify;
pub mod versions;
mod zip;

pub use input::{
    BackendService, BundleFile, Expected, ExportInput, GatewayInfo, ListenerInfo, Prediction,
    TargetPort,
};
pub use versions::{Versions, VERSION_SETS};
pub use zip::{zip, ZIP_ROOT};

/// A file name safe to put under `manifests/`: the characters `[A-Za-z0-9._-]` kept, others (including `/`)
/// turned into `-`, no leading dot, never `generated`, unique within the bundle.
fn safe_file_names(manifests: &[(String, String)]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
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
        while s.starts_with('.') {
            s.remove(0);
        }
        if s.is_empty() || s == "generated" {
            s = format!("manifest-{}.yaml", out.len() + 1);
        }
        let base = s.clone();
        let mut i = 2;
        while out.contains(&s) {
            s = format!("{i}-{base}");
            i += 1;
        }
        out.push(s);
    }
    out
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
