//! `export`: write the kind + Helm lab bundle for a set of manifests.

use crate::input::read_paths;
use gwlab::export::{self, BundleFile, Versions};
use gwlab::Options;
use serde_json::Value;
use std::path::{Path, PathBuf};

pub struct Args {
    pub paths: Vec<PathBuf>,
    pub requests: Vec<String>,
    pub requests_from: Vec<PathBuf>,
    pub out: Option<PathBuf>,
    pub zip: Option<PathBuf>,
    pub force: bool,
    pub versions: String,
    pub eg_version: Option<String>,
    pub cert_manager_version: Option<String>,
    pub kind_image: Option<String>,
    pub echo_image: Option<String>,
    pub controller: Option<String>,
}

/// `'static` text for a version override (the program ends soon after).
fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn versions(args: &Args) -> Result<Versions, String> {
    let mut v = Versions::by_name(&args.versions).ok_or_else(|| {
        format!(
            "unknown version set `{}` (known: {})",
            args.versions,
            Versions::names().join(", ")
        )
    })?;
    if let Some(x) = &args.eg_version {
        v.envoy_gateway = leak(x.clone());
    }
    if let Some(x) = &args.cert_manager_version {
        v.cert_manager = leak(x.clone());
    }
    if let Some(x) = &args.kind_image {
        v.kind_node_image = leak(x.clone());
    }
    if let Some(x) = &args.echo_image {
        v.echo_image = leak(x.clone());
    }
    Ok(v)
}

/// The `request:` lines of an expectations file (top-level `requests` only).
fn requests_from(path: &Path) -> Result<Vec<String>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (text, bad) = gwlab::source::decode_bytes(&path.display().to_string(), &bytes);
    if let Some(d) = bad {
        return Err(d.render());
    }
    let (docs, diags) = gwlab::source::parse_stream(&text);
    if let Some((d, _)) = diags
        .iter()
        .find(|(d, _)| d.severity == gwlab::Severity::Error)
    {
        return Err(format!("{}: {}", path.display(), d.message));
    }
    let doc = docs
        .into_iter()
        .next()
        .map(|d| d.value)
        .unwrap_or(Value::Null);
    let mut out = Vec::new();
    for r in doc
        .get("requests")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        match r.get("request").and_then(Value::as_str) {
            Some(l) => out.push(l.to_string()),
            None => {
                return Err(format!(
                    "{}: every entry of `requests` needs a `request` line",
                    path.display()
                ))
            }
        }
    }
    Ok(out)
}

fn write_dir(files: &[BundleFile], out: &Path) -> Result<(), String> {
    for f in files {
        let p = out.join(&f.path);
        if let Some(dir) = p.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(&p, &f.contents).map_err(|e| format!("{}: {e}", p.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = if f.executable { 0o755 } else { 0o644 };
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode))
                .map_err(|e| format!("{}: {e}", p.display()))?;
        }
    }
    Ok(())
}

fn size(n: usize) -> String {
    if n < 1024 {
        format!("{n} bytes")
    } else {
        format!("{:.1} KiB", n as f64 / 1024.0)
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub fn run(args: Args) -> u8 {
    match run_inner(&args) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("gwlab: {e}");
            2
        }
    }
}

fn run_inner(args: &Args) -> Result<(), String> {
    if args.out.is_none() && args.zip.is_none() {
        return Err("nothing to write: give --out DIR, --zip FILE, or both".into());
    }
    let versions = versions(args)?;
    let mut lines: Vec<String> = args.requests.clone();
    for f in &args.requests_from {
        lines.extend(requests_from(f)?);
    }
    for l in &lines {
        if let Err(d) = gwlab::parse_request(l) {
            return Err(format!("`{l}`: {}", d.message));
        }
    }
    if let Some(out) = &args.out {
        let non_empty = std::fs::read_dir(out)
            .map(|mut d| d.next().is_some())
            .unwrap_or(false);
        if non_empty && !args.force {
            return Err(format!(
                "{} exists and is not empty; choose another directory or pass --force to overwrite",
                out.display()
            ));
        }
        if out.exists() && !out.is_dir() {
            return Err(format!("{} exists and is not a directory", out.display()));
        }
    }
    let loaded = read_paths(&args.paths)?;
    let opts = match &args.controller {
        Some(c) => Options {
            controller_name: c.clone(),
        },
        None => Options::default(),
    };
    let analysis = gwlab::analyze(&loaded.inputs, &opts);
    let ex = export::export(&analysis, &lines);
    let files = export::bundle(&ex.input, &versions);
    let total: usize = files.iter().map(|f| f.contents.len()).sum();

    if let Some(out) = &args.out {
        write_dir(&files, out)?;
        println!(
            "wrote {} ({}, scripts executable) to {}",
            plural(files.len(), "file", "files"),
            size(total),
            out.display()
        );
    }
    if let Some(z) = &args.zip {
        let bytes = export::zip(&files);
        if let Some(dir) = z.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(z, &bytes).map_err(|e| format!("{}: {e}", z.display()))?;
        println!(
            "wrote {} ({}, unpacks to {})",
            z.display(),
            size(bytes.len()),
            export::ZIP_ROOT.trim_end_matches('/')
        );
    }

    let input = &ex.input;
    println!(
        "versions: {} (kind {}, Envoy Gateway {}, cert-manager {}, echo {})",
        versions.name,
        versions.kind_node_image,
        versions.envoy_gateway,
        versions.cert_manager,
        versions.echo_image
    );
    let given = input
        .predictions
        .iter()
        .filter(|p| p.name.is_empty())
        .count();
    let probes = input.predictions.len() - given;
    let http = input
        .predictions
        .iter()
        .filter(|p| matches!(p.scheme.as_str(), "http" | "https"))
        .count();
    println!(
        "{}: {} given, {} from the routing table; verify.sh checks {} over HTTP(S), lists {} as simulator-only",
        plural(input.predictions.len(), "prediction", "predictions"),
        given,
        probes,
        http,
        input.predictions.len() - http
    );
    let generated_echo = input
        .backends
        .iter()
        .filter(|b| !b.has_workload && !b.selector.is_empty())
        .count();
    println!(
        "{}, {} ({} with a generated echo backend)",
        plural(input.gateways.len(), "Gateway", "Gateways"),
        plural(input.backends.len(), "backend Service", "backend Services"),
        generated_echo
    );
    if !input.missing_gateway_classes.is_empty() {
        println!(
            "generated GatewayClasses: {}",
            input.missing_gateway_classes.join(", ")
        );
    }
    if !input.missing_tls_secrets.is_empty() {
        let s: Vec<String> = input
            .missing_tls_secrets
            .iter()
            .map(|(ns, n, _)| format!("{ns}/{n}"))
            .collect();
        println!(
            "TLS Secrets issued by the lab CA (cert-manager): {}",
            s.join(", ")
        );
    } else if input.uses_cert_manager {
        println!("cert-manager is installed (the manifests use it)");
    }
    for n in &ex.notes {
        println!("not checked in the lab: {n}");
    }
    if analysis.has_errors() {
        eprintln!("note: the manifests have errors (run `gwlab check`); the lab reproduces them");
    }
    if let Some(out) = &args.out {
        println!(
            "next: cd {} && ./install.sh && ./verify.sh   (./cleanup.sh deletes the cluster)",
            out.display()
        );
    }
    Ok(())
}
