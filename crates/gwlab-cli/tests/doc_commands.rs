//! Every `gwlab …` command the documentation shows runs, with the outcome the text promises.
//!
//! The commands are taken from the fenced code blocks of `README.md`, `docs/cli.md` and the
//! scenario READMEs (blocks marked `sh`, `bash`, `shell`, `console` or unmarked): in a `console` block the lines starting `$ ` (when they run `gwlab`), in any
//! other block the lines starting `gwlab ` or `cargo run -q -p gwlab-cli -- ` (run as `gwlab …`).
//! A line ending in `\` continues on the next. Each command runs under `sh` (globs and pipes work)
//! in a scratch directory that links every top-level entry of the repository, so paths are relative
//! to the repository root and files a command writes (`--out lab`) land in the scratch directory.
//!
//! What is expected of a command:
//! - its exit code: 0, unless a trailing comment says `exit N` (`# exit 1: a check fails`);
//! - in a `console` block, every shown output line holding `→` appears in the output, verbatim;
//! - a trailing comment `# → TEXT` (or `# → TEXT; why`): the output holds `→ TEXT`;
//! - a `route` command without such a comment: every request it sends reaches a route (a request
//!   that matches nothing answers 404, which is what a stale hostname or path in an example does).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A command shown in the documentation.
#[derive(Debug, Clone, PartialEq)]
struct DocCommand {
    /// `file:line` of its first line.
    at: String,
    /// The command line, starting with `gwlab` (or a pipeline running it), without the annotation.
    command: String,
    exit: i32,
    /// Lines the output must contain (`→` lines of a console block, a `# → TEXT` annotation).
    shows: Vec<String>,
    /// From a `# → TEXT` annotation: the outcome is stated, so a route need not be found.
    outcome_stated: bool,
}

const CARGO_RUN: &str = "cargo run -q -p gwlab-cli -- ";

/// Info strings of the fenced blocks commands are taken from (a block without one included).
const SHELL_BLOCKS: &[&str] = &["", "sh", "bash", "shell", "console", "shell-session"];

/// Splits `cmd  # comment` at the first `#` outside quotes that starts a word.
fn split_comment(line: &str) -> (&str, Option<&str>) {
    let mut quote: Option<char> = None;
    let mut prev = ' ';
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == '#' && prev.is_whitespace() => {
                return (line[..i].trim_end(), Some(line[i + 1..].trim()))
            }
            None => {}
        }
        prev = c;
    }
    (line.trim_end(), None)
}

/// The exit code an annotation names (`exit 1`, `exits 1`), if any.
fn annotated_exit(comment: &str) -> Option<i32> {
    let words: Vec<&str> = comment
        .split(|c: char| c.is_whitespace() || c == ':' || c == ',' || c == ';')
        .collect();
    words
        .windows(2)
        .find(|w| w[0] == "exit" || w[0] == "exits")
        .and_then(|w| w[1].parse().ok())
}

/// `gwlab …` for a line that runs the CLI, else None.
fn as_gwlab(command: &str) -> Option<String> {
    if let Some(rest) = command.strip_prefix(CARGO_RUN) {
        return Some(format!("gwlab {rest}"));
    }
    let runs_gwlab = command.starts_with("gwlab ") || command.contains("| gwlab ");
    runs_gwlab.then(|| command.to_string())
}

fn command_from(file: &str, line_no: usize, text: &str) -> Option<DocCommand> {
    let (command, comment) = split_comment(text);
    let command = as_gwlab(command)?;
    let mut c = DocCommand {
        at: format!("{file}:{line_no}"),
        command,
        exit: 0,
        shows: Vec::new(),
        outcome_stated: false,
    };
    if let Some(comment) = comment {
        c.exit = annotated_exit(comment).unwrap_or(0);
        if let Some(outcome) = comment.strip_prefix('→') {
            let outcome = outcome.split(';').next().unwrap_or("").trim();
            c.shows.push(format!("→ {outcome}"));
            c.outcome_stated = true;
        }
    }
    Some(c)
}

/// The commands of a Markdown text, in order.
fn extract(file: &str, markdown: &str) -> Vec<DocCommand> {
    let mut out: Vec<DocCommand> = Vec::new();
    let mut fence: Option<(String, String)> = None; // (marker, info string)
    let mut pending: Option<(usize, String)> = None; // a command continued with `\`
    let mut in_console_output = false;
    for (i, raw) in markdown.lines().enumerate() {
        let trimmed = raw.trim_start();
        match &fence {
            None => {
                if let Some(marker) = ["```", "~~~"].into_iter().find(|m| trimmed.starts_with(m)) {
                    let info = trimmed
                        .trim_start_matches(marker.chars().next().unwrap_or('`'))
                        .trim()
                        .to_string();
                    fence = Some((marker.to_string(), info));
                    in_console_output = false;
                }
                continue;
            }
            Some((marker, _)) if trimmed.starts_with(marker.as_str()) => {
                fence = None;
                pending = None;
                continue;
            }
            Some(_) => {}
        }
        let info = fence.as_ref().map_or("", |(_, info)| info.as_str());
        if !SHELL_BLOCKS.contains(&info) {
            continue;
        }
        let console = info == "console" || info == "shell-session";
        let text = match pending.take() {
            Some((start, mut so_far)) => {
                so_far.push(' ');
                so_far.push_str(trimmed);
                (start, so_far)
            }
            None if console => match trimmed.strip_prefix("$ ") {
                Some(cmd) => (i + 1, cmd.to_string()),
                None => {
                    if in_console_output && raw.contains('→') && !raw.contains('…') {
                        if let Some(last) = out.last_mut() {
                            last.shows.push(raw.trim().to_string());
                        }
                    }
                    continue;
                }
            },
            None => (i + 1, trimmed.to_string()),
        };
        if let Some(cont) = text.1.strip_suffix('\\') {
            pending = Some((text.0, cont.trim_end().to_string()));
            continue;
        }
        match command_from(file, text.0, &text.1) {
            Some(c) => {
                out.push(c);
                in_console_output = console;
            }
            None => in_console_output = false,
        }
    }
    out
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the repository root")
}

/// A scratch directory linking every top-level entry of the repository; removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(root: &Path, tag: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("gwlab-doc-commands-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch directory");
        for entry in std::fs::read_dir(root)
            .expect("the repository root")
            .flatten()
        {
            let name = entry.file_name();
            if name == "target" || name == ".git" {
                continue;
            }
            std::os::unix::fs::symlink(entry.path(), dir.join(&name))
                .expect("link into the scratch directory");
        }
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Ran {
    code: Option<i32>,
    output: String,
}

/// Runs a shell command line with the built `gwlab` first on PATH; at most two minutes.
fn run(command: &str, cwd: &Path) -> Ran {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_gwlab"))
        .parent()
        .expect("the binary's directory")
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out_file = cwd.join(".doc-command-output");
    let out = std::fs::File::create(&out_file).expect("output file");
    let err = out.try_clone().expect("output file");
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(cwd)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env("GWLAB_CONFORMANCE_DIR", gwlab_corpus::conformance_dir())
        .env("GWLAB_GOLDENS_DIR", gwlab_corpus::goldens_dir())
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .expect("sh runs");
    let started = Instant::now();
    let code = loop {
        if let Some(status) = child.try_wait().expect("waiting for the command") {
            break status.code();
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = std::fs::read_to_string(&out_file).unwrap_or_default();
    Ran { code, output }
}

/// The requests a `route` command sends that reach no route (from its JSON output).
fn unrouted(command: &str, cwd: &Path) -> Result<Vec<String>, String> {
    let ran = run(&format!("{command} --output json 2>/dev/null"), cwd);
    let v: serde_json::Value = serde_json::from_str(&ran.output)
        .map_err(|e| format!("JSON output of `{command}`: {e}"))?;
    let answers = v.as_array().ok_or("the JSON output is not a list")?;
    Ok(answers
        .iter()
        .filter(|a| a["outcome"]["route"].is_null())
        .map(|a| {
            format!(
                "{} answers {}",
                a["request"].as_str().unwrap_or("?"),
                a["outcome"]["status"]
            )
        })
        .collect())
}

/// Problems with one command, empty when it keeps its promises.
fn check(c: &DocCommand, cwd: &Path) -> Vec<String> {
    let ran = run(&c.command, cwd);
    let mut problems = Vec::new();
    if ran.code != Some(c.exit) {
        let got = ran
            .code
            .map_or("no exit code (killed or timed out)".to_string(), |n| {
                format!("exit {n}")
            });
        problems.push(format!("expected exit {}, got {got}", c.exit));
    }
    for line in &c.shows {
        if !ran.output.contains(line.as_str()) {
            problems.push(format!("the output does not show `{line}`"));
        }
    }
    let is_route = c.command.starts_with("gwlab route ");
    if is_route && !c.outcome_stated && ran.code == Some(0) {
        match unrouted(&c.command, cwd) {
            Ok(misses) => problems.extend(
                misses
                    .into_iter()
                    .map(|m| format!("{m}: no route matches it")),
            ),
            Err(e) => problems.push(e),
        }
    }
    if !problems.is_empty() {
        let shown: String = ran
            .output
            .lines()
            .take(12)
            .map(|l| format!("\n      | {l}"))
            .collect();
        problems = vec![format!(
            "{}: `{}`\n    {}{shown}",
            c.at,
            c.command,
            problems.join("\n    ")
        )];
    }
    problems
}

fn needs_corpus(c: &DocCommand) -> Option<PathBuf> {
    if c.command.starts_with("gwlab conformance") {
        Some(gwlab_corpus::conformance_dir())
    } else if c.command.starts_with("gwlab goldens") {
        Some(gwlab_corpus::goldens_dir())
    } else {
        None
    }
}

/// The README's route example as it once was: the scenario's host is `canary.example.com`, so
/// this request matches nothing and answers 404. The test below keeps such staleness caught.
const STALE_README_ROUTE: &str =
    "route scenarios/05-canary-90-10/manifests.yaml --request \"GET http://shop.example.com/\"";

/// The documents whose commands are checked, as (name relative to the root, text).
fn documents(root: &Path) -> Vec<(String, String)> {
    let mut names = vec!["README.md".to_string(), "docs/cli.md".to_string()];
    let mut scenarios: Vec<String> = std::fs::read_dir(root.join("scenarios"))
        .expect("the scenarios directory")
        .flatten()
        .map(|e| format!("scenarios/{}/README.md", e.file_name().to_string_lossy()))
        .filter(|n| root.join(n).is_file())
        .collect();
    scenarios.sort();
    assert!(
        scenarios.len() >= 16,
        "expected the 16 scenario READMEs, found {}",
        scenarios.len()
    );
    names.extend(scenarios);
    names
        .into_iter()
        .map(|n| {
            let text =
                std::fs::read_to_string(root.join(&n)).unwrap_or_else(|e| panic!("{n}: {e}"));
            (n, text)
        })
        .collect()
}

fn all_commands(root: &Path) -> Vec<DocCommand> {
    documents(root)
        .iter()
        .flat_map(|(name, text)| extract(name, text))
        .collect()
}

fn run_all(commands: &[DocCommand], tag: &str) -> Vec<String> {
    let root = repo_root();
    let scratch = Scratch::new(&root, tag);
    commands.iter().flat_map(|c| check(c, &scratch.0)).collect()
}

#[test]
fn every_documented_command_keeps_its_promise() {
    let root = repo_root();
    let commands: Vec<DocCommand> = all_commands(&root)
        .into_iter()
        .filter(|c| needs_corpus(c).is_none())
        .collect();
    for doc in [
        "README.md",
        "docs/cli.md",
        "scenarios/01-minimal-http/README.md",
    ] {
        assert!(
            commands
                .iter()
                .any(|c| c.at.starts_with(&format!("{doc}:"))),
            "no command found in {doc}"
        );
    }
    let problems = run_all(&commands, "plain");
    assert!(
        problems.is_empty(),
        "{} of {} documented commands break their promise:\n{}",
        problems.len(),
        commands.len(),
        problems.join("\n")
    );
}

/// The corpus commands need a copy of the corpora (docs/corpora.md), which a clone does not
/// have, so this test is ignored by default and reported as such by the harness; run it with
/// `cargo test -p gwlab-cli --test doc_commands -- --ignored` where the corpora are. A missing
/// corpus then fails it: it never passes without having run the commands.
#[test]
#[ignore = "needs a copy of the corpora (docs/corpora.md); run with --ignored"]
fn documented_corpus_commands_keep_their_promise() {
    let root = repo_root();
    let commands: Vec<DocCommand> = all_commands(&root)
        .into_iter()
        .filter(|c| needs_corpus(c).is_some())
        .collect();
    assert!(
        !commands.is_empty(),
        "docs/cli.md shows the corpus commands"
    );
    let missing: Vec<String> = commands
        .iter()
        .filter_map(|c| {
            needs_corpus(c)
                .filter(|d| !d.is_dir())
                .map(|d| format!("{}: {} needs {}", c.at, c.command, d.display()))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "a corpus is missing (set GWLAB_CONFORMANCE_DIR / GWLAB_GOLDENS_DIR, docs/corpora.md):\n{}",
        missing.join("\n")
    );
    let problems = run_all(&commands, "corpus");
    assert!(
        problems.is_empty(),
        "{} documented corpus commands break their promise:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn the_stale_readme_route_example_is_caught() {
    let stale = format!("```sh\n{CARGO_RUN}{}\n```\n", STALE_README_ROUTE);
    let commands = extract("README.md", &stale);
    assert_eq!(commands.len(), 1);
    let problems = run_all(&commands, "stale");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains("GET http://shop.example.com/ answers 404: no route matches it"),
        "{}",
        problems[0]
    );
}

#[test]
fn a_wrong_exit_code_or_a_missing_outcome_line_is_caught() {
    let md = "```console\n$ gwlab check scenarios/01-minimal-http/  # exit 1\n$ gwlab route scenarios/01-minimal-http/manifests.yaml -r 'GET http://app.example.com/'\nGET http://app.example.com/\n  → default/elsewhere:80\n```\n";
    let commands = extract("doc.md", md);
    let problems = run_all(&commands, "wrong");
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[0].contains("expected exit 1, got exit 0"),
        "{}",
        problems[0]
    );
    assert!(
        problems[1].contains("does not show `→ default/elsewhere:80`"),
        "{}",
        problems[1]
    );
}

#[test]
fn the_extractor_reads_fences_prompts_continuations_and_annotations() {
    let md = "Text `gwlab check x` inline is not run.\n\n```sh\n./scripts/serve.sh\ncargo run -q -p gwlab-cli -- test scenarios/*/expect.yaml\ngwlab check a.yaml   # exit 1: it has errors\n```\n\n```console\n$ gwlab route m.yaml \\\n    -r \"GET http://a/#frag\"  # → 404; nothing matches\nGET http://a/\n  → 404\n$ echo hi\n  → not a gwlab line\n```\n\n```yaml\ngwlab: not a command\n```\n";
    let got = extract("doc.md", md);
    let summary: Vec<(&str, &str, i32, Vec<String>)> = got
        .iter()
        .map(|c| (c.at.as_str(), c.command.as_str(), c.exit, c.shows.clone()))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("doc.md:5", "gwlab test scenarios/*/expect.yaml", 0, vec![]),
            ("doc.md:6", "gwlab check a.yaml", 1, vec![]),
            (
                "doc.md:10",
                "gwlab route m.yaml -r \"GET http://a/#frag\"",
                0,
                vec!["→ 404".to_string(), "→ 404".to_string()]
            ),
        ]
    );
    assert!(got[2].outcome_stated);
}
