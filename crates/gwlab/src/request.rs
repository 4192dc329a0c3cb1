//! The curl-like request line: `GET https://foo.example.com/a?b=c -H 'x-env: canary'`.

use crate::diag::Diagnostic;
use crate::route::Request;

/// Parses a request line (see `docs/test-format.md`). Errors carry code `invalid-request`.
pub fn parse_request(line: &str) -> Result<Request, Diagnostic> {
    Err(Diagnostic::error("invalid-request", format!("cannot parse request `{line}` yet")))
}
