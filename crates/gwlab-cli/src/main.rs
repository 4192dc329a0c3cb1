//! `gwlab`: check manifests, route requests, run expectation files, diff configurations, export a
//! kind + Helm lab bundle, and run the conformance and goldens corpora.

mod commands;
mod corpus;
mod export;
mod input;
mod render;
mod style;

use clap::{Args, Parser, Subcommand, ValueEnum};
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

/// `gwlab 0.1.0 (commit 38cddfc)`: the commit comes from the build script (`unknown` outside a git
/// checkout), so a bug report names the exact code.
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("GWLAB_COMMIT"),
    ")"
);

#[derive(Parser)]
#[command(name = "gwlab", version = VERSION, about = "Gateway API simulator: predicts what Envoy Gateway does with your manifests", after_help = EXIT_CODES)]
struct Cli {
    /// When to colour the output: on a terminal unless NO_COLOR is set (auto), always or never.
    #[arg(
        long,
        global = true,
        value_enum,
        value_name = "WHEN",
        default_value = "auto"
    )]
    color: style::ColorChoice,
    #[command(subcommand)]
    cmd: Cmd,
}

/// Output formats. Every command that prints results takes `--output` (`-o`); `--json` is kept,
/// hidden, as another spelling of `--output json`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Lines for people to read.
    #[value(alias = "human")]
    Text,
    /// JSON, for programs.
    Json,
    /// YAML, for programs and for comparing with `kubectl get -o yaml`.
    Yaml,
}

/// `--output FORMAT` and its hidden alias `--json`.
#[derive(Args)]
struct OutputArgs {
    /// Output format: text, json or yaml (default: text; for `check`, YAML status with diagnostics on stderr).
    #[arg(long, short = 'o', value_enum, value_name = "FORMAT")]
    output: Option<Format>,
    /// Same as `--output json`.
    #[arg(long, hide = true, conflicts_with = "output")]
    json: bool,
}

impl OutputArgs {
    fn or(&self, default: Format) -> Format {
        if self.json {
            Format::Json
        } else {
            self.output.unwrap_or(default)
        }
    }
}

/// The manifests a command loads, and how.
#[derive(Args)]
struct InputArgs {
    /// Manifest files or directories (`-` reads standard input). A directory contributes its *.yaml,
    /// *.yml and *.json files, sorted, leaving out gwlab's own files (expectations, kind configuration).
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// The GatewayClass controllerName to act as (default: Envoy Gateway's).
    #[arg(long, value_name = "NAME")]
    controller: Option<String>,
    /// Also list the files that were read but skipped because they are not manifests.
    #[arg(long, short = 'v')]
    verbose: bool,
    /// Do not validate as the API server would: read objects as written, without refusing
    /// invalid ones or filling in CRD defaults (for inputs that never went through an API server,
    /// such as a controller's test fixtures).
    #[arg(long)]
    no_api_validation: bool,
}

impl InputArgs {
    fn source(&self) -> commands::Source<'_> {
        commands::Source {
            paths: &self.paths,
            controller: self.controller.clone(),
            verbose: self.verbose,
            api_server: !self.no_api_validation,
        }
    }
}

#[derive(Subcommand)]
enum Cmd {
    /// Load manifests and print every object's computed status and all diagnostics.
    #[command(
        after_help = "The default output is YAML status on standard output and diagnostics on standard error."
    )]
    Check {
        #[command(flatten)]
        input: InputArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Route requests through the manifests and explain the outcome (without --request: one line per
    /// routing-table probe).
    Route {
        #[command(flatten)]
        input: InputArgs,
        /// A request line, e.g. "GET http://app.example.com/api -H 'x-env: canary'" (repeatable).
        /// Without it, every routing-table row's probe is sent and answered on one line.
        #[arg(long = "request", short = 'r', value_name = "LINE")]
        requests: Vec<String>,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Print the routing table: listener × hostname × match → action, in precedence order.
    Table {
        #[command(flatten)]
        input: InputArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Run expectation files (docs/test-format.md). Prints one line per check.
    Test {
        /// Expectation files.
        #[arg(required = true, value_name = "EXPECT.yaml")]
        files: Vec<PathBuf>,
        /// Print only failures and the summary.
        #[arg(long, short = 'q')]
        quiet: bool,
        /// Do not validate as the API server would: read objects as written, without refusing
        /// invalid ones or filling in CRD defaults (for inputs that never went through an API server,
        /// such as a controller's test fixtures).
        #[arg(long)]
        no_api_validation: bool,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Compare the outcomes of two configurations: the given requests plus one probe per routing-table row.
    Diff {
        /// The configuration before the change (a file, a directory or `-`).
        old: PathBuf,
        /// The configuration after the change (a file, a directory or `-`).
        new: PathBuf,
        /// A request line to compare (repeatable).
        #[arg(long = "request", short = 'r', value_name = "LINE")]
        requests: Vec<String>,
        #[command(flatten)]
        output: OutputArgs,
        /// The GatewayClass controllerName to act as (default: Envoy Gateway's).
        #[arg(long, value_name = "NAME")]
        controller: Option<String>,
        /// Also list the files that were read but skipped because they are not manifests.
        #[arg(long, short = 'v')]
        verbose: bool,
        /// Do not validate as the API server would: read objects as written, without refusing
        /// invalid ones or filling in CRD defaults (for inputs that never went through an API server,
        /// such as a controller's test fixtures).
        #[arg(long)]
        no_api_validation: bool,
    },
    /// Write a kind + Helm lab bundle that installs Envoy Gateway, applies the manifests and checks every
    /// prediction with curl: the given requests plus one probe per routing-table row.
    Export {
        /// Manifest files or directories (`-` reads standard input).
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// A request line to predict and verify (repeatable).
        #[arg(long = "request", short = 'r', value_name = "LINE")]
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
        /// The GatewayClass controllerName to act as (default: Envoy Gateway's).
        #[arg(long, value_name = "NAME")]
        controller: Option<String>,
        /// Do not validate as the API server would: read objects as written, without refusing
        /// invalid ones or filling in CRD defaults (for inputs that never went through an API server,
        /// such as a controller's test fixtures).
        #[arg(long)]
        no_api_validation: bool,
    },
    /// Run the Gateway API conformance corpus (docs/corpora.md).
    Conformance {
        /// The corpus directory (default: $GWLAB_CONFORMANCE_DIR, else ../shared/conformance beside the repository).
        dir: Option<PathBuf>,
        #[command(flatten)]
        output: OutputArgs,
        /// Only tests of this category (e.g. HTTPRoute, Gateway).
        #[arg(long, value_name = "NAME")]
        category: Option<String>,
        /// Only the test with this name (e.g. HTTPRouteSimpleSameNamespace).
        #[arg(long, value_name = "NAME")]
        case: Option<String>,
        /// Print every failing check with expected vs actual (twice: also skipped checks).
        #[arg(short, long, action = clap::ArgAction::Count)]
        verbose: u8,
    },
    /// Run the Envoy Gateway translator goldens (docs/corpora.md).
    Goldens {
        /// The corpus directory (default: $GWLAB_GOLDENS_DIR, else ../shared/eg-goldens beside the repository).
        dir: Option<PathBuf>,
        #[command(flatten)]
        output: OutputArgs,
        /// Which cases to judge: tier A (core only), tier B (ListenerSet, UDPRoute) or all.
        #[arg(long, value_enum, default_value = "all")]
        tier: TierArg,
        /// Only the case with this name.
        #[arg(long, value_name = "NAME")]
        case: Option<String>,
        /// Print every failing case with its differences.
        #[arg(short, long, action = clap::ArgAction::Count)]
        verbose: u8,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum TierArg {
    /// Core Gateway API cases only.
    #[value(name = "A", alias = "a")]
    A,
    /// Core cases with ListenerSet or UDPRoute.
    #[value(name = "B", alias = "b")]
    B,
    /// Tiers A and B.
    All,
}

fn main() -> ExitCode {
    // `gwlab table | head`: a closed stdout ends the program quietly, as for other Unix tools.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .unwrap_or("");
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
    style::init(cli.color);
    let code = match cli.cmd {
        Cmd::Check { input, output } => commands::check(&input.source(), output.or(Format::Yaml)),
        Cmd::Route {
            input,
            requests,
            output,
        } => commands::route(&input.source(), &requests, output.or(Format::Text)),
        Cmd::Table { input, output } => commands::table(&input.source(), output.or(Format::Text)),
        Cmd::Test {
            files,
            quiet,
            output,
            no_api_validation,
        } => commands::test(&files, quiet, output.or(Format::Text), !no_api_validation),
        Cmd::Diff {
            old,
            new,
            requests,
            output,
            controller,
            verbose,
            no_api_validation,
        } => commands::diff(
            &old,
            &new,
            &requests,
            output.or(Format::Text),
            commands::Source {
                paths: &[],
                controller,
                verbose,
                api_server: !no_api_validation,
            },
        ),
        Cmd::Export {
            paths,
            requests,
            requests_from,
            out,
            zip,
            force,
            versions,
            eg_version,
            cert_manager_version,
            kind_image,
            echo_image,
            controller,
            no_api_validation,
        } => export::run(export::Args {
            paths,
            requests,
            requests_from,
            out,
            zip,
            force,
            versions,
            eg_version,
            cert_manager_version,
            kind_image,
            echo_image,
            controller,
            api_server: !no_api_validation,
        }),
        Cmd::Conformance {
            dir,
            output,
            category,
            case,
            verbose,
        } => corpus::conformance(dir, output.or(Format::Text), category, case, verbose),
        Cmd::Goldens {
            dir,
            output,
            tier,
            case,
            verbose,
        } => corpus::goldens(dir, output.or(Format::Text), tier, case, verbose),
    };
    ExitCode::from(code)
}
