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
    /// Validate and default objects as the API server would (off with `--no-api-validation`).
    pub api_server: bool,
}

/// `'static` text for a version override (the program ends soon after).
fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// A flag's value checked with `check`; the error names the flag and says what it must look like.
fn checked(
    flag: &str,
    value: &str,
    check: fn(&str) -> Result<(), String>,
) -> Result<&'static str, String> {
    check(value).map_err(|why| format!("--{flag} `{}`: {why}", export::quote::inline(value)))?;
    Ok(leak(value.to_string()))
}

/// The version set with the flags' overrides. Every override lands in the scripts, the YAML and the runbook,
/// so each is checked against a strict pattern first.
fn versions(args: &Args) -> Result<Versions, String> {
    let mut v = Versions::by_name(&args.versions).ok_or_else(|| {
        format!(
            "unknown version set `{}` (known: {})",
            args.versions,
            Versions::names().join(", ")
        )
    })?;
    if let Some(x) = &args.eg_version {
        v.envoy_gateway = checked("eg-version", x, export::check_version)?;
    }
    if let Some(x) = &args.cert_manager_version {
        v.cert_manager = checked("cert-manager-version", x, export::check_version)?;
    }
    if let Some(x) = &args.kind_image {
        v.kind_node_image = checked("kind-image", x, export::check_image)?;
    }
    if let Some(x) = &args.echo_image {
        v.echo_image = checked("echo-image", x, export::check_image)?;
    }
    v.check()?;
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

/// Refuses `path` when it is a symbolic link: the bundle is only ever written to real files and folders, so a
/// link planted in the output folder (or given as the zip file) cannot redirect a write outside it.
fn refuse_symlink(path: &Path) -> Result<(), String> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Err(format!(
            "{} is a symbolic link; the export never writes through links (remove it or choose another directory)",
            path.display()
        )),
        _ => Ok(()),
    }
}

/// Creates `rel`'s folders under `root` one component at a time, refusing any that is a symbolic link.
fn create_dirs(root: &Path, rel: &Path) -> Result<(), String> {
    let mut dir = root.to_path_buf();
    for part in rel.components() {
        dir.push(part);
        refuse_symlink(&dir)?;
        match std::fs::create_dir(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => {}
            Err(e) => return Err(format!("{}: {e}", dir.display())),
        }
    }
    Ok(())
}

/// Writes `contents` to a new file at `path` with `mode`. An existing regular file is removed first; the new one
/// is created with create-new semantics (`O_CREAT | O_EXCL`), which fails rather than follow a link that
/// appears at `path` in the meantime.
fn write_new_file(path: &Path, contents: &[u8], executable: bool) -> Result<(), String> {
    use std::io::Write;
    let err = |e: std::io::Error| format!("{}: {e}", path.display());
    refuse_symlink(path)?;
    if let Ok(m) = std::fs::symlink_metadata(path) {
        if m.is_dir() {
            return Err(format!("{} is a directory", path.display()));
        }
        std::fs::remove_file(path).map_err(err)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if executable { 0o755 } else { 0o644 });
    }
    let mut file = options.open(path).map_err(err)?;
    file.write_all(contents).map_err(err)?;
    #[cfg(unix)]
    {
        // The umask may have narrowed the mode given at creation; set it on the open file, not through the path.
        use std::os::unix::fs::PermissionsExt;
        let mode = if executable { 0o755 } else { 0o644 };
        file.set_permissions(std::fs::Permissions::from_mode(mode))
            .map_err(err)?;
    }
    #[cfg(not(unix))]
    let _ = executable;
    Ok(())
}

/// Writes the bundle under `out`, never through a symbolic link: `out` itself, each folder on the way to a file
/// and each file are checked, and files are created anew.
fn write_dir(files: &[BundleFile], out: &Path) -> Result<(), String> {
    // First every path the bundle will touch, so a planted link stops the export before anything is written.
    refuse_symlink(out)?;
    for f in files {
        let rel = Path::new(&f.path);
        if rel
            .components()
            .any(|c| !matches!(c, std::path::Component::Normal(_)))
        {
            return Err(format!("refusing the bundle path `{}`", f.path));
        }
        let mut p = out.to_path_buf();
        for part in rel.components() {
            p.push(part);
            refuse_symlink(&p)?;
        }
    }
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    for f in files {
        let rel = Path::new(&f.path);
        if let Some(dir) = rel.parent() {
            create_dirs(out, dir)?;
        }
        write_new_file(&out.join(rel), f.contents.as_bytes(), f.executable)?;
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
        refuse_symlink(out)?;
        if out.exists() && !out.is_dir() {
            return Err(format!("{} exists and is not a directory", out.display()));
        }
    }
    let loaded = read_paths(&args.paths)?;
    let opts = match &args.controller {
        Some(c) => {
            checked("controller", c, export::check_controller_name)?;
            Options {
                controller_name: c.clone(),
            }
        }
        None => Options::default(),
    };
    let load = crate::commands::load_options(args.api_server);
    let analysis = gwlab::analyze_with(&loaded.inputs, &opts, &load);
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
        write_new_file(z, &bytes, false)?;
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
