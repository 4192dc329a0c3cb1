//! verify.sh: one check per prediction against the running lab.

use std::fmt::Write;

use super::generated::{CA_NAMESPACE, CA_SECRET};
use super::input::{ExportInput, Prediction};
use super::plan::{Plan, SAMPLES};
use super::quote::sh;
use super::{cap_note, check_cluster, MAX_VERIFY_CASES};

const LIB: &str = r#"set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CLUSTER="${GWLAB_CLUSTER:-gwlab}"
__CHECK_CLUSTER__
RETRIES="${GWLAB_RETRIES:-5}"
RETRY_DELAY="${GWLAB_RETRY_DELAY:-3}"
CACERT="$HERE/ca.crt"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
PASSED=0
FAILED=0
SKIPPED=0
FAILS=''
STATUS=000
SAMPLED=0
MATCHED=0

for tool in curl jq kubectl; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    printf 'verify: %s is required but not on PATH\n' "$tool" >&2
    exit 2
  fi
done

k() { kubectl --context="kind-$CLUSTER" "$@"; }

# fail WHAT GOT: records one mismatch of the current case.
fail() { FAILS="${FAILS:+$FAILS; }expected $1, got $2"; }

# send CURL-ARGS...: one request; the answer lands in $TMP/body and $TMP/headers, the status in $STATUS.
send() {
  : >"$TMP/body"
  : >"$TMP/headers"
  : >"$TMP/err"
  STATUS=$(curl -sS --noproxy '*' --globoff --path-as-is --connect-timeout 5 --max-time 15 \
    -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' "$@" 2>"$TMP/err") || true
  [ -n "$STATUS" ] || STATUS=000
}

curl_error() {
  if [ -s "$TMP/err" ]; then printf ' (%s)' "$(head -n 1 "$TMP/err")"; fi
}

# field NAME: a top-level field of echo-basic's JSON answer, empty when absent or not JSON.
field() {
  jq -r --arg f "$1" 'if type == "object" then (.[$f] // empty | tostring) else empty end' "$TMP/body" 2>/dev/null || true
}

# req_header NAME: "1VALUE" when the backend received the header (values joined by ","), "0" when not.
req_header() {
  local r
  r=$(jq -r --arg n "$1" '[(.headers // {}) | to_entries[] | select((.key | ascii_downcase) == ($n | ascii_downcase))
    | .value | if type == "array" then join(",") else tostring end]
    | if length == 0 then "0" else "1" + join(",") end' "$TMP/body" 2>/dev/null || true)
  printf '%s' "${r:-0}"
}

# resp_header NAME: "1VALUE" when the response carries the header (values joined by ", "), "0" when not.
resp_header() {
  HNAME="$1" awk 'BEGIN { n = tolower(ENVIRON["HNAME"]); c = 0 }
    { sub(/\r$/, ""); i = index($0, ":")
      if (i > 1 && tolower(substr($0, 1, i - 1)) == n) {
        v = substr($0, i + 1); sub(/^[ \t]+/, "", v); out = (c++ ? out ", " v : v) } }
    END { if (c) print "1" out; else print "0" }' "$TMP/headers"
}

shown() { if [ "$1" = 0 ]; then printf 'absent'; else printf "'%s'" "${1#1}"; fi; }

# The pods behind a Service, one per line (from its EndpointSlices).
endpoints() {
  k get endpointslices --namespace="$1" --selector="kubernetes.io/service-name=$2" \
    --output=jsonpath='{range .items[*].endpoints[*]}{.targetRef.name}{"\n"}{end}' 2>/dev/null || true
}

# The Deployment a pod belongs to: its name without the ReplicaSet hash and the pod suffix.
deployment_of() { printf '%s' "${1%-*-*}"; }

# belongs POD ENDPOINTS HINT: the pod is one of the endpoints, or (no endpoints known) of Deployment HINT.
belongs() {
  if [ -n "$2" ]; then
    grep -qxF -e "$1" <<<"$2"
  else
    [ -n "$3" ] && [ "$(deployment_of "$1")" = "$3" ]
  fi
}

expect_status() { [ "$STATUS" = "$1" ] || fail "status $1" "$STATUS$(curl_error)"; }

# expect_backend NAMESPACE SERVICE DEPLOYMENT-HINT
expect_backend() {
  local pod eps ns
  pod=$(field pod)
  if [ -z "$pod" ]; then
    fail "an answer from $1/$2" "status $STATUS and no echo answer$(curl_error)"
    return 0
  fi
  eps=$(endpoints "$1" "$2")
  if [ -z "$eps" ] && [ -z "$3" ]; then
    fail "an answer from $1/$2" "pod $pod, and $1/$2 has no endpoints to compare with"
  elif ! belongs "$pod" "$eps" "$3"; then
    fail "an answer from $1/$2" "pod $pod (Deployment $(deployment_of "$pod"))"
  fi
  ns=$(field namespace)
  if [ -n "$ns" ] && [ "$ns" != "$1" ]; then fail "namespace $1" "$ns"; fi
}

expect_path() {
  local got
  got=$(field path)
  [ "$got" = "$1" ] || fail "backend path '$1'" "'$got'"
}

expect_host() {
  local got
  got=$(field host)
  [ "$got" = "$1" ] || fail "backend host '$1'" "'$got'"
}

expect_req_header() {
  local got
  got=$(req_header "$1")
  [ "$got" = "1$2" ] || fail "request header $1: '$2'" "$(shown "$got")"
}

expect_no_req_header() {
  local got
  got=$(req_header "$1")
  [ "$got" = 0 ] || fail "no request header $1" "$(shown "$got")"
}

expect_resp_header() {
  local got
  got=$(resp_header "$1")
  [ "$got" = "1$2" ] || fail "response header $1: '$2'" "$(shown "$got")"
}

expect_no_resp_header() {
  local got
  got=$(resp_header "$1")
  [ "$got" = 0 ] || fail "no response header $1" "$(shown "$got")"
}

# sample N STATUS CURL-ARGS...: sends N requests; each answering pod (or -) goes to $TMP/sample.
sample() {
  local n="$1" want="$2" i=0 pod bad=0
  shift 2
  : >"$TMP/sample"
  while [ "$i" -lt "$n" ]; do
    send "$@"
    pod=$(field pod)
    printf '%s\n' "${pod:--}" >>"$TMP/sample"
    if [ "$STATUS" != "$want" ]; then bad=$((bad + 1)); fi
    i=$((i + 1))
  done
  SAMPLED="$n"
  MATCHED=0
  if [ "$bad" -gt 0 ]; then fail "status $want on all $n requests" "$bad other (last $STATUS$(curl_error))"; fi
}

# expect_share NAMESPACE SERVICE PERCENT DEPLOYMENT-HINT: the Service answered PERCENT of the sample, within
# four standard deviations of a binomial share (at least 3 points; exact for 0 and 100).
expect_share() {
  local eps count=0 pod pct tol
  eps=$(endpoints "$1" "$2")
  while IFS= read -r pod; do
    if [ "$pod" != - ] && belongs "$pod" "$eps" "$4"; then count=$((count + 1)); fi
  done <"$TMP/sample"
  MATCHED=$((MATCHED + count))
  pct=$(awk -v c="$count" -v n="$SAMPLED" 'BEGIN { printf "%.1f", c * 100 / n }')
  tol=$(awk -v e="$3" -v n="$SAMPLED" 'BEGIN { p = e / 100; t = 0
    if (p > 0 && p < 1) { t = 400 * sqrt(p * (1 - p) / n); if (t != int(t)) t = int(t) + 1; if (t < 3) t = 3 }
    print t }')
  if ! awk -v p="$pct" -v e="$3" -v t="$tol" 'BEGIN { d = p - e; if (d < 0) d = -d; exit !(d <= t) }'; then
    fail "$3% (±$tol) from $1/$2" "$pct% ($count of $SAMPLED)"
  fi
}

expect_no_other_share() {
  local rest=$((SAMPLED - MATCHED))
  [ "$rest" -eq 0 ] || fail "no answers from other backends" "$rest of $SAMPLED"
}

need_ca() {
  if [ ! -s "$CACERT" ]; then
    k get secret --namespace=__CA_NS__ --output=jsonpath='{.data.tls\.crt}' -- __CA__ 2>/dev/null | base64 -d >"$CACERT" 2>/dev/null || true
  fi
  if [ ! -s "$CACERT" ]; then
    printf 'verify: cannot read the lab CA (secret __CA_NS__/__CA__); run ./install.sh first\n' >&2
    exit 2
  fi
}

# run_case NAME FUNCTION: runs the checks, retrying while they fail (the data plane may still be converging).
run_case() {
  local attempt=1
  while :; do
    FAILS=''
    "$2"
    if [ -z "$FAILS" ]; then
      PASSED=$((PASSED + 1))
      printf 'PASS %s\n' "$1"
      return 0
    fi
    if [ "$attempt" -ge "$RETRIES" ]; then break; fi
    attempt=$((attempt + 1))
    sleep "$RETRY_DELAY"
  done
  FAILED=$((FAILED + 1))
  printf 'FAIL %s: %s\n' "$1" "$FAILS"
}

skip_case() {
  SKIPPED=$((SKIPPED + 1))
  printf 'SKIP %s: %s\n' "$1" "$2"
}
"#;

fn fmt_num(x: f64) -> String {
    let s = format!("{x:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// One curl argument: an option the bundle chose, the lab CA path (the shell's `$CACERT`), or text derived from
/// the prediction. Only [`CurlArg::Own`] and [`CurlArg::CaCert`] are written bare; user text is always one
/// single-quoted word, so a value that reads `$CACERT` stays those seven characters.
#[derive(Debug, Clone, PartialEq, Eq)]
enum CurlArg {
    Own(&'static str),
    CaCert,
    User(String),
}

impl CurlArg {
    fn shell_word(&self) -> String {
        match self {
            CurlArg::Own(flag) => (*flag).to_string(),
            CurlArg::CaCert => "\"$CACERT\"".to_string(),
            CurlArg::User(text) => sh(text),
        }
    }
}

/// The curl arguments that send a prediction's request to the lab. Every option that takes a value is
/// followed by its value as a separate argument (curl never reads that as an option, whatever it starts
/// with), and `--` ends the options before the URL.
fn curl_args(p: &Prediction, plan: &Plan) -> Vec<CurlArg> {
    use CurlArg::{Own, User};
    let https = p.scheme.eq_ignore_ascii_case("https");
    let default_port = if https { 443 } else { 80 };
    let url_host = if https {
        p.sni.clone().unwrap_or_else(|| p.host.clone())
    } else {
        p.host.clone()
    };
    let port_part = if p.port == default_port {
        String::new()
    } else {
        format!(":{}", p.port)
    };
    let path = if p.path.starts_with('/') {
        p.path.clone()
    } else {
        format!("/{}", p.path)
    };
    let mut args: Vec<CurlArg> = Vec::new();
    match p.method.to_ascii_uppercase().as_str() {
        "GET" | "" => {}
        "HEAD" => args.push(Own("--head")),
        _ => {
            args.push(Own("-X"));
            args.push(User(p.method.clone()));
        }
    }
    let host_port = plan.host_port(p);
    if host_port == p.port {
        args.push(Own("--resolve"));
        args.push(User(format!("{url_host}:{}:127.0.0.1", p.port)));
    } else {
        args.push(Own("--connect-to"));
        args.push(User(format!("{url_host}:{}:127.0.0.1:{host_port}", p.port)));
    }
    if https {
        if plan.ca_covers(&url_host) {
            args.push(Own("--cacert"));
            args.push(CurlArg::CaCert);
        } else {
            args.push(Own("--insecure"));
        }
        if url_host != p.host {
            args.push(Own("-H"));
            args.push(User(format!("Host: {}{port_part}", p.host)));
        }
    }
    for (n, v) in &p.headers {
        args.push(Own("-H"));
        args.push(User(if v.is_empty() {
            format!("{n};")
        } else {
            format!("{n}: {v}")
        }));
    }
    args.push(Own("--"));
    args.push(User(format!(
        "{}://{url_host}{port_part}{path}",
        if https { "https" } else { "http" }
    )));
    args
}

/// The curl arguments as shell words, separated by spaces.
fn join_args(args: &[CurlArg]) -> String {
    args.iter()
        .map(CurlArg::shell_word)
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn verify_sh(input: &ExportInput, plan: &Plan) -> String {
    let mut s = String::from(
        "#!/usr/bin/env bash\n# shellcheck disable=SC2016 # values are single-quoted on purpose: they must never expand\n# Generated by gwlab export: sends every predicted request to the lab and compares the answer with\n\
         # the prediction. Prints PASS/FAIL per case and `N passed, M failed`; exits 1 on any failure.\n\
         # Environment: GWLAB_CLUSTER (default gwlab), GWLAB_RETRIES (attempts per case, default 5),\n\
         # GWLAB_RETRY_DELAY (seconds between attempts, default 3), GWLAB_SAMPLES (requests per traffic split, default\n\
         # 200).\n",
    );
    s.push_str(
        &LIB.replace("__CA_NS__", CA_NAMESPACE)
            .replace("__CA__", CA_SECRET)
            .replace("__CHECK_CLUSTER__", &check_cluster("verify", 2)),
    );
    if input
        .predictions
        .iter()
        .any(|p| p.expect.distribution.is_some())
    {
        let _ = writeln!(s, "SAMPLES=\"${{GWLAB_SAMPLES:-{SAMPLES}}}\"");
    }

    let mut runs = String::new();
    let mut needs_ca = false;
    for (i, p) in input.predictions.iter().take(MAX_VERIFY_CASES).enumerate() {
        let n = i + 1;
        let name = if p.name.is_empty() {
            &p.request_line
        } else {
            &p.name
        };
        let scheme = p.scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            let _ = writeln!(
                runs,
                "skip_case {} {}",
                sh(name),
                sh(&format!(
                    "{scheme}:// requests are checked by the simulator only"
                ))
            );
            continue;
        }
        let args = curl_args(p, plan);
        needs_ca |= args.contains(&CurlArg::CaCert);
        let args = join_args(&args);
        let e = &p.expect;
        let _ = writeln!(
            s,
            "\n# {}\ncase_{n}() {{",
            super::quote::inline(&p.request_line)
        );
        if let Some(dist) = &e.distribution {
            let _ = writeln!(s, "  sample \"$SAMPLES\" {} {args}", e.status);
            for ((ns, svc), pct) in dist {
                let hint = plan
                    .echo_for(ns, svc)
                    .map(|e| e.deployment.clone())
                    .unwrap_or_default();
                let _ = writeln!(
                    s,
                    "  expect_share {} {} {} {}",
                    sh(ns),
                    sh(svc),
                    fmt_num(*pct),
                    sh(&hint)
                );
            }
            s.push_str("  expect_no_other_share\n");
        } else {
            let _ = writeln!(s, "  send {args}");
            let _ = writeln!(s, "  expect_status {}", e.status);
            if let Some((ns, svc)) = &e.backend {
                let hint = plan
                    .echo_for(ns, svc)
                    .map(|e| e.deployment.clone())
                    .unwrap_or_default();
                let _ = writeln!(s, "  expect_backend {} {} {}", sh(ns), sh(svc), sh(&hint));
            }
        }
        if let Some(path) = &e.backend_path {
            let _ = writeln!(s, "  expect_path {}", sh(path));
        }
        if let Some(host) = &e.backend_host {
            let _ = writeln!(s, "  expect_host {}", sh(host));
        }
        for (k, v) in &e.request_headers {
            let _ = writeln!(s, "  expect_req_header {} {}", sh(k), sh(v));
        }
        for k in &e.absent_request_headers {
            let _ = writeln!(s, "  expect_no_req_header {}", sh(k));
        }
        if let Some(loc) = &e.location {
            let _ = writeln!(s, "  expect_resp_header location {}", sh(loc));
        }
        for (k, v) in &e.response_headers {
            let _ = writeln!(s, "  expect_resp_header {} {}", sh(k), sh(v));
        }
        for k in &e.absent_response_headers {
            let _ = writeln!(s, "  expect_no_resp_header {}", sh(k));
        }
        s.push_str("}\n");
        let _ = writeln!(runs, "run_case {} case_{n}", sh(name));
    }
    s.push('\n');
    if needs_ca {
        s.push_str("need_ca\n");
    }
    s.push_str(&runs);
    if let Some(note) = cap_note(input) {
        let _ = writeln!(s, "printf 'NOTE: %s\\n' {}", sh(&note));
    }
    s.push_str(
        r#"
if [ "$SKIPPED" -gt 0 ]; then
  printf '%d passed, %d failed, %d skipped\n' "$PASSED" "$FAILED" "$SKIPPED"
else
  printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
fi
[ "$FAILED" -eq 0 ]
"#,
    );
    s
}
