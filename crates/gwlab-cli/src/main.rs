//! `gwlab`: check manifests, route requests, run expectation files, diff configurations, export a
//! kind + Helm lab bundle, and run the conformance and goldens corpora.

mod commands;
mod corpus;
mod export;
mod input;
mod render;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// mimalloc rather than the platform's malloc: resolving a large configuration allocates and frees
/// thousands of small blocks, and on glibc's malloc `resolve` takes about 3× as long (16.2 ms
/// against 5.6 ms; docs/benchmarks.md, "The allocator").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  a check, test or diff found a problem (errors in `check`, failed expectations in `test`,
     changed outcomes in `diff`, failed checks in `conformance`/`goldens`)
  2  usage error or unreadable input";

#[derive(Parser)]
#[command(name = "gwlab", version, about = "Gateway API simulator: predicts what Envoy Gateway does with your manifests", after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    Yaml,
}

#[derive(Subcommand)]
enum Cmd {
    /// Load manifests and print every object's computed status and all diagnostics.
    Check {
        /// Files or directories (`-` reads standard input). Directories: every *.yaml, *.yml, *.json, sorted.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Output format (default: YAML status + human diagnostics).
        #[arg(long, short = 'o', value_enum)]
        output: Option<Format>,
        /// The GatewayClass controllerName to act as.
        #[arg(long)]
        controller: Option<String>,
    },
    /// Route requests through the manifests and explain the outcome.
    Route {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// A request line, e.g. "GET http://app.example.com/api -H 'x-env: canary'" (repeatable).
        #[arg(long = "request", short = 'r', required = true)]
        requests: Vec<String>,
        #[arg(long, short = 'o', value_enum, default_value = "human")]
        output: Format,
        #[arg(long)]
        controller: Option<String>,
    },
    /// Print the routing table: listener × hostname × match → action, in precedence order.
    Table {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[arg(long, short = 'o', value_enum, default_value = "human")]
        output: Format,
        #[arg(long)]
        controller: Option<String>,
    },
    /// Run expectation files (docs/test-format.md). Prints one line per check.
    Test {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print only failures and the summary.
        #[arg(long, short = 'q')]
        quiet: bool,
        #[arg(long)]
        json: bool,
    },
    /// Compare the outcomes of two configurations: the given requests plus one probe per routing-table row.
    Diff {
        old: PathBuf,
        new: PathBuf,
        #[arg(long = "request", short = 'r')]
        requests: Vec<String>,
        #[arg(long)]
        json: bool,
        #[arg(long)]
        controller: Option<String>,
    },
    /// Write a kind + Helm lab bundle that installs Envoy Gateway, applies the manifests and checks every
    /// prediction with curl: the given requests plus one probe per routing-table row.
    Export {
        /// Files or directories (`-` reads standard input).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// A request line to predict and verify (repeatable).
        #[arg(long = "request", short = 'r')]
        requests: Vec<String>,
        /// Also take the `request:` lines of this expectations file (repeatable).
        #[arg(long = "requests-from", value_name = "EXPECT.yaml")]
        requests_from: Vec<PathBuf>,
        /// Write the bundle into this directory.
        #[arg(long, value_name = "DIR", required_unless_present = "zip")]
        out: Option<PathBuf>,
        /// Write the bundle as a zip file.
        #[arg(long, value_name = "FILE")]
        zip: Option<PathBuf>,
        /// Write into a non-empty --out directory (files are overwritten, none are deleted).
        #[arg(long)]
        force: bool,
        /// The version set to install.
        #[arg(long, default_value = "current", value_parser = clap::builder::PossibleValuesParser::new(gwlab::export::Versions::names()))]
        versions: String,
        /// Override the Envoy Gateway Helm chart version.
        #[arg(long, value_name = "V")]
        eg_version: Option<String>,
        /// Override the cert-manager Helm chart version.
        #[arg(long, value_name = "V")]
        cert_manager_version: Option<String>,
        /// Override the kind node image.
        #[arg(long, value_name = "IMAGE")]
        kind_image: Option<String>,
        /// Override the echo backend image.
        #[arg(long, value_name = "IMAGE")]
        echo_image: Option<String>,
        #[arg(long)]
        controller: Option<String>,
    },
    /// Run the Gateway API conformance corpus (default: $GWLAB_CONFORMANCE_DIR or ../shared/conformance).
    Conformance {
        dir: Option<PathBuf>,
        #[arg(long)]
        json: bool,
        #[arg(long)]
        category: Option<String>,
        #[arg(long)]
        case: Option<String>,
        /// Print every failing check with expected vs actual (twice: also skipped checks).
        #[arg(short, long, action = clap::ArgAction::Count)]
        verbose: u8,
    },
    /// Run the Envoy Gateway translator goldens (default: $GWLAB_GOLDENS_DIR or ../shared/eg-goldens).
    Goldens {
        dir: Option<PathBuf>,
        #[arg(long)]
        json: bool,
        #[arg(long, value_enum, default_value = "all")]
        tier: TierArg,
        #[arg(long)]
        case: Option<String>,
        /// Print every failing case with its differences.
        #[arg(short, long, action = clap::ArgAction::Count)]
        verbose: u8,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum TierArg {
    #[value(name = "A", alias = "a")]
    A,
    #[value(name = "B", alias = "b")]
    B,
    All,
}

fn main() -> ExitCode {
    // `gwlab table | head`: a closed stdout ends the program quietly, as for other Unix tools.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info.payload().downcast_ref::<String>().map(String::as_str).unwrap_or("");
        if msg.contains("failed printing to stdout") && msg.contains("Broken pipe") {
            std::process::exit(0);
        }
        default_hook(info);
    }));
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let code = match cli.cmd {
        Cmd::Check { paths, output, controller } => commands::check(&paths, output, controller),
        Cmd::Route { paths, requests, output, controller } => commands::route(&paths, &requests, output, controller),
        Cmd::Table { paths, output, controller } => commands::table(&paths, output, controller),
        Cmd::Test { files, quiet, json } => commands::test(&files, quiet, json),
        Cmd::Diff { old, new, requests, json, controller } => commands::diff(&old, &new, &requests, json, controller),
        Cmd::Export { paths, requests, requests_from, out, zip, force, versions, eg_version, cert_manager_version, kind_image, echo_image, controller } => {
            export::run(export::Args { paths, requests, requests_from, out, zip, force, versions, eg_version, cert_manager_version, kind_image, echo_image, controller })
        }
        Cmd::Conformance { dir, json, category, case, verbose } => corpus::conformance(dir, json, category, case, verbose),
        Cmd::Goldens { dir, json, tier, case, verbose } => corpus::goldens(dir, json, tier, case, verbose),
    };
    ExitCode::from(code)
}
