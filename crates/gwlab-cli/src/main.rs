//! `gwlab`: check manifests, route requests, run expectation files, diff configurations, and run
//! the conformance and goldens corpora.

mod commands;
mod corpus;
mod input;
mod render;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

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
        Cmd::Conformance { dir, json, category, case, verbose } => corpus::conformance(dir, json, category, case, verbose),
        Cmd::Goldens { dir, json, tier, case, verbose } => corpus::goldens(dir, json, tier, case, verbose),
    };
    ExitCode::from(code)
}
