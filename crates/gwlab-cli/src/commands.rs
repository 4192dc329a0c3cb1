//! `check`, `route`, `table`, `test` and `diff`.

use crate::input::{read_paths, Loaded};
use crate::style::{self, Stream, Tone};
use crate::{render, Format};
use gwlab::route::{Outcome, ShareOutcome};
use gwlab::{Analysis, Options, Severity};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// The manifests a command loads and how (`--controller`, `--verbose`, `--no-api-validation`).
pub struct Source<'a> {
    pub paths: &'a [PathBuf],
    pub controller: Option<String>,
    pub verbose: bool,
    /// Validate and default objects as the API server would (off with `--no-api-validation`).
    pub api_server: bool,
}

/// How objects are loaded: as the API server would admit them, unless `api_server` is off.
pub fn load_options(api_server: bool) -> gwlab::model::LoadOptions {
    gwlab::model::LoadOptions {
        api_server,
        ..Default::default()
    }
}

fn options(controller: Option<String>) -> Options {
    match controller {
        Some(c) => Options { controller_name: c },
        None => Options::default(),
    }
}

/// Says which files were skipped as not being manifests: always for a file the user named (they
/// may have meant it), in verbose mode for files found in a directory.
fn report_skipped(loaded: &Loaded, verbose: bool) {
    for s in loaded.skipped.iter().filter(|s| s.named || verbose) {
        eprintln!("gwlab: skipped {}: {}", s.file, s.what.describe());
    }
}

fn load(source: &Source) -> Result<(Loaded, Analysis), u8> {
    let loaded = read_paths(source.paths).map_err(|e| {
        eprintln!("gwlab: {e}");
        2
    })?;
    report_skipped(&loaded, source.verbose);
    let mut a = gwlab::analyze_with(
        &loaded.inputs,
        &options(source.controller.clone()),
        &load_options(source.api_server),
    );
    a.diagnostics
        .splice(0..0, loaded.diagnostics.iter().cloned());
    Ok((loaded, a))
}

/// `1 object`, `2 objects`, `0 errors`.
pub fn count(n: usize, singular: &str, plural: &str) -> String {
    format!("{n} {}", if n == 1 { singular } else { plural })
}

/// Pretty JSON or YAML of a serialisable value.
fn print_data(v: &Value, format: Format) {
    match format {
        Format::Yaml => print!("{}", gwlab::emit::to_yaml(v)),
        _ => println!("{}", serde_json::to_string_pretty(v).unwrap_or_default()),
    }
}

fn severity_tone(s: Severity) -> Tone {
    match s {
        Severity::Error => Tone::Error,
        Severity::Warning => Tone::Warning,
        Severity::Info => Tone::Info,
    }
}

fn print_diagnostics(a: &Analysis, stream: Stream) {
    for d in &a.diagnostics {
        let label = format!("{}[{}]", d.severity.as_str(), d.code);
        let s = style::paint_first(
            &render::diagnostic(d, &a.model.files),
            &label,
            severity_tone(d.severity),
            stream,
        );
        match stream {
            Stream::Stderr => eprintln!("{s}"),
            Stream::Stdout => println!("{s}"),
        }
    }
}

fn counts_line(a: &Analysis) -> String {
    let n = |s: Severity| a.diagnostics.iter().filter(|d| d.severity == s).count();
    [
        count(a.model.objects.len(), "object", "objects"),
        count(n(Severity::Error), "error", "errors"),
        count(n(Severity::Warning), "warning", "warnings"),
        count(n(Severity::Info), "info", "infos"),
    ]
    .join(", ")
}

fn status_docs(a: &Analysis) -> Vec<Value> {
    a.resolved
        .statuses
        .iter()
        .map(|s| {
            let mut m = serde_json::Map::new();
            m.insert("kind".into(), json!(s.kind));
            if !s.namespace.is_empty() {
                m.insert("namespace".into(), json!(s.namespace));
            }
            m.insert("name".into(), json!(s.name));
            m.insert("status".into(), s.status.value().clone());
            Value::Object(m)
        })
        .collect()
}

pub fn check(source: &Source, output: Format) -> u8 {
    let (_, a) = match load(source) {
        Ok(x) => x,
        Err(c) => return c,
    };
    match output {
        Format::Json => {
            let v = json!({"statuses": status_docs(&a), "diagnostics": a.diagnostics});
            println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        }
        Format::Text => {
            for s in &a.resolved.statuses {
                print!(
                    "{}",
                    render::status_human(&s.kind, &s.namespace, &s.name, &s.status)
                );
            }
            if !a.resolved.statuses.is_empty() {
                println!();
            }
            print_diagnostics(&a, Stream::Stdout);
            println!("{}", counts_line(&a));
        }
        Format::Yaml => {
            print!("{}", gwlab::emit::to_yaml_stream(&status_docs(&a)));
            print_diagnostics(&a, Stream::Stderr);
            eprintln!("{}", counts_line(&a));
        }
    }
    u8::from(a.has_errors())
}

fn parse_requests(lines: &[String]) -> Result<Vec<gwlab::Request>, u8> {
    let mut out = Vec::new();
    for l in lines {
        match gwlab::parse_request(l) {
            Ok(r) => out.push(r),
            Err(d) => {
                eprintln!("gwlab: {}", d.render());
                return Err(2);
            }
        }
    }
    Ok(out)
}

fn outcome_human(line: &str, o: &Outcome) -> String {
    let mut s = format!("{line}\n  → {}\n", gwlab_corpus::testfile::summarize(o));
    if let Some(l) = &o.listener {
        s.push_str(&format!("  listener: {l}\n"));
    }
    if let Some((r, i)) = &o.route {
        s.push_str(&format!("  route: {r} rule {i}\n"));
    }
    for share in &o.shares {
        if let ShareOutcome::Backend {
            namespace,
            name,
            port,
            path,
            host,
            headers,
            tls,
            ..
        } = &share.outcome
        {
            s.push_str(&format!(
                "  {:.1}% → {namespace}/{name}:{port}  {host}{path}\n",
                share.fraction * 100.0
            ));
            for (k, v) in headers.iter() {
                s.push_str(&format!("      {k}: {v}\n"));
            }
            if let Some(t) = tls {
                s.push_str(&format!(
                    "      TLS to backend: SNI {} (CA {}, policy {})\n",
                    t.sni, t.ca, t.policy
                ));
            }
        }
    }
    for (k, v) in &o.response_headers {
        s.push_str(&format!("  response header {k}: {v}\n"));
    }
    for k in &o.removed_response_headers {
        s.push_str(&format!("  response header {k} removed\n"));
    }
    for (m, p) in &o.mirrors {
        s.push_str(&format!("  mirrored to {m} ({p}%)\n"));
    }
    if !o.trace.is_empty() {
        s.push_str("  trace:\n");
        for t in &o.trace {
            s.push_str(&format!("    [{}] {}\n", t.stage, t.message));
        }
    }
    s
}

/// The routing table's probes, each once, in table order: what `route` answers without `--request`.
fn table_probes(a: &Analysis) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    a.routing_table()
        .into_iter()
        .filter_map(|row| row.probe)
        .filter(|p| seen.insert(p.clone()))
        .collect()
}

pub fn route(source: &Source, requests: &[String], output: Format) -> u8 {
    let given = match parse_requests(requests) {
        Ok(r) => r,
        Err(c) => return c,
    };
    let (_, a) = match load(source) {
        Ok(x) => x,
        Err(c) => return c,
    };
    let probing = requests.is_empty();
    let (lines, reqs) = if probing {
        let lines = table_probes(&a);
        let reqs = lines
            .iter()
            .filter_map(|l| gwlab::parse_request(l).ok())
            .collect::<Vec<_>>();
        if reqs.len() != lines.len() {
            eprintln!("gwlab: a routing-table probe could not be parsed; this is a bug");
            return 2;
        }
        (lines, reqs)
    } else {
        (requests.to_vec(), given)
    };
    // Probes are answered without traces: a large configuration has thousands of rows, and the
    // one-line answers do not show the trace.
    let answer = |r: &gwlab::Request| if probing { a.route_fast(r) } else { a.route(r) };
    let results: Vec<(String, Outcome)> = lines.into_iter().zip(reqs.iter().map(answer)).collect();
    match output {
        Format::Text if probing => print_probe_lines(&results),
        Format::Text => {
            for (line, o) in &results {
                println!("{}", outcome_human(line, o));
            }
        }
        Format::Json | Format::Yaml => {
            let v: Vec<Value> = results
                .iter()
                .map(|(l, o)| json!({"request": l, "outcome": o}))
                .collect();
            print_data(&Value::Array(v), output);
        }
    }
    if output == Format::Text && a.has_errors() {
        eprintln!("note: the manifests have errors (run `gwlab check`)");
    }
    0
}

/// One line per probe: the request, then its outcome, aligned.
fn print_probe_lines(results: &[(String, Outcome)]) {
    if results.is_empty() {
        println!("(no routes are programmed)");
        return;
    }
    let width = results
        .iter()
        .map(|(l, _)| l.chars().count())
        .max()
        .unwrap_or(0);
    for (line, o) in results {
        println!("{line:<width$}  → {}", gwlab_corpus::testfile::summarize(o));
    }
}

pub fn table(source: &Source, output: Format) -> u8 {
    let (_, a) = match load(source) {
        Ok(x) => x,
        Err(c) => return c,
    };
    let rows = a.routing_table();
    match output {
        Format::Json | Format::Yaml => {
            print_data(&serde_json::to_value(&rows).unwrap_or(Value::Null), output)
        }
        Format::Text => {
            let header = ["LISTENER", "HOST", "MATCH", "ROUTE", "ACTION"];
            let cells: Vec<[String; 5]> = rows
                .iter()
                .map(|r| {
                    [
                        format!("{} :{}", r.listener, r.port),
                        r.hostname.clone(),
                        r.matches.clone(),
                        format!("{} #{}", r.route, r.rule),
                        format!(
                            "{}{}",
                            r.action,
                            if r.shadowed { "  (shadowed)" } else { "" }
                        ),
                    ]
                })
                .collect();
            let mut w = header.map(|h| h.chars().count());
            for c in &cells {
                for i in 0..5 {
                    w[i] = w[i].max(c[i].chars().count());
                }
            }
            let line = |c: [&str; 5]| {
                let mut s = String::new();
                for i in 0..5 {
                    if i == 4 {
                        s.push_str(c[i]);
                    } else {
                        s.push_str(&format!("{:<width$}  ", c[i], width = w[i]));
                    }
                }
                s
            };
            println!("{}", line(header));
            for c in &cells {
                println!("{}", line([&c[0], &c[1], &c[2], &c[3], &c[4]]));
            }
            if rows.is_empty() {
                println!("(no routes are programmed)");
            }
        }
    }
    0
}

pub fn test(files: &[PathBuf], quiet: bool, output: Format, api_server: bool) -> u8 {
    let data_out = output != Format::Text;
    let mut passed = 0;
    let mut failed = 0;
    let mut skipped = 0;
    let mut reports = Vec::new();
    for f in files {
        let r = gwlab_corpus::testfile::run_file_with(f, &load_options(api_server));
        passed += r.passed();
        failed += r.failed();
        skipped += r.skipped();
        if !data_out {
            let fail = style::paint("FAIL", Tone::Error, Stream::Stdout);
            if let Some(e) = &r.error {
                println!("{fail} {}: {e}", r.file);
            }
            for c in &r.checks {
                let name = match &c.variant {
                    Some(v) => format!("[{v}] {}", c.name),
                    None => c.name.clone(),
                };
                if let Some(why) = &c.skipped {
                    println!(
                        "{} {}: {name}: {why}",
                        style::paint("skip", Tone::Warning, Stream::Stdout),
                        r.file
                    );
                } else if c.passed {
                    if !quiet {
                        println!(
                            "{}   {}: {name}",
                            style::paint("ok", Tone::Good, Stream::Stdout),
                            r.file
                        );
                    }
                } else {
                    println!(
                        "{fail} {}: {name}: {}",
                        r.file,
                        c.detail.as_deref().unwrap_or("")
                    );
                }
            }
        }
        reports.push(r);
    }
    if data_out {
        let v = json!({"files": reports, "passed": passed, "failed": failed, "skipped": skipped});
        print_data(&v, output);
    } else if skipped > 0 {
        println!("{passed} passed, {failed} failed, {skipped} skipped");
    } else {
        println!("{passed} passed, {failed} failed");
    }
    u8::from(failed > 0)
}

/// A comparable summary of an outcome.
fn outcome_key(o: &Outcome) -> String {
    gwlab_corpus::testfile::summarize(o)
}

pub fn diff(old: &Path, new: &Path, requests: &[String], output: Format, how: Source) -> u8 {
    let mut lines: Vec<String> = requests.to_vec();
    let reqs_given = match parse_requests(requests) {
        Ok(r) => r,
        Err(c) => return c,
    };
    let (old, new) = ([old.to_path_buf()], [new.to_path_buf()]);
    let (_, a) = match load(&Source {
        paths: &old,
        controller: how.controller.clone(),
        ..how
    }) {
        Ok(x) => x,
        Err(c) => return c,
    };
    let (_, b) = match load(&Source { paths: &new, ..how }) {
        Ok(x) => x,
        Err(c) => return c,
    };
    let mut reqs = reqs_given;
    let mut seen: std::collections::HashSet<String> = lines.iter().cloned().collect();
    for row in a.routing_table().into_iter().chain(b.routing_table()) {
        if let Some(p) = row.probe {
            if seen.insert(p.clone()) {
                if let Ok(r) = gwlab::parse_request(&p) {
                    lines.push(p);
                    reqs.push(r);
                }
            }
        }
    }
    let mut changes = Vec::new();
    let mut unchanged = 0;
    for (line, r) in lines.iter().zip(&reqs) {
        let (oa, ob) = (a.route_fast(r), b.route_fast(r)); // compared without their traces
        let (ka, kb) = (outcome_key(&oa), outcome_key(&ob));
        if ka != kb {
            changes.push(json!({"request": line, "old": ka, "new": kb}));
        } else {
            unchanged += 1;
        }
    }
    if output != Format::Text {
        let v = json!({"changed": changes, "unchanged": unchanged, "requests": lines.len()});
        print_data(&v, output);
    } else {
        for c in &changes {
            let short = c["request"].as_str().unwrap_or("").to_string();
            println!(
                "{short}: {} → {}",
                c["old"].as_str().unwrap_or(""),
                c["new"].as_str().unwrap_or("")
            );
        }
        println!(
            "{} of {} changed",
            changes.len(),
            count(lines.len(), "request", "requests")
        );
    }
    u8::from(!changes.is_empty())
}
