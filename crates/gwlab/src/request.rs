//! The curl-like request line: `GET https://foo.example.com/a?b=c -H 'x-env: canary'`.
//!
//! Grammar (see `docs/test-format.md`):
//!
//! ```text
//! [METHOD] http[s]://host[:port][/path[?query]] [-H 'name: value']… [--sni NAME] [--cert] [--gateway NS/NAME]
//! grpc[s]://host[:port]/pkg.Service/Method [-H 'k: v']…
//! tls://sni[:port]     tcp://host:port     udp://host:port
//! ```
//!
//! Words are split the way a POSIX shell splits them: single quotes are literal, double quotes
//! allow `\"` and `\\`, a backslash outside quotes escapes the next character. Every error has
//! code `invalid-request` and names the (1-based) column of the problem.

use crate::diag::Diagnostic;
use crate::route::{Request, RequestProtocol};

/// Parses a request line (see `docs/test-format.md`). Errors carry code `invalid-request`.
// The error is the located diagnostic itself, returned once per request line: no hot path carries it.
#[allow(clippy::result_large_err)]
pub fn parse_request(line: &str) -> Result<Request, Diagnostic> {
    parse(line)
        .map_err(|(col, msg)| Diagnostic::error("invalid-request", format!("column {col}: {msg}")))
}

type Res<T> = Result<T, (usize, String)>;

/// A shell word and the 1-based column (in characters) where it starts.
#[derive(Debug, Clone, PartialEq)]
struct Word {
    text: String,
    col: usize,
}

fn split_words(line: &str) -> Res<Vec<Word>> {
    let mut words = Vec::new();
    let mut chars = line.chars().enumerate().peekable();
    while let Some(&(i, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let start = i + 1;
        let mut text = String::new();
        while let Some(&(j, c)) = chars.peek() {
            if c.is_whitespace() {
                break;
            }
            chars.next();
            match c {
                '\'' => loop {
                    match chars.next() {
                        Some((_, '\'')) => break,
                        Some((_, c)) => text.push(c),
                        None => return Err((j + 1, "this single quote is never closed".into())),
                    }
                },
                '"' => loop {
                    match chars.next() {
                        Some((_, '"')) => break,
                        Some((_, '\\')) => match chars.next() {
                            Some((_, c @ ('"' | '\\' | '$' | '`'))) => text.push(c),
                            Some((_, c)) => {
                                text.push('\\');
                                text.push(c);
                            }
                            None => {
                                return Err((j + 1, "this double quote is never closed".into()))
                            }
                        },
                        Some((_, c)) => text.push(c),
                        None => return Err((j + 1, "this double quote is never closed".into())),
                    }
                },
                '\\' => match chars.next() {
                    Some((_, c)) => text.push(c),
                    None => {
                        return Err((
                            j + 1,
                            "a backslash at the end of the line escapes nothing".into(),
                        ))
                    }
                },
                c => text.push(c),
            }
        }
        words.push(Word { text, col: start });
    }
    Ok(words)
}

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn parse(line: &str) -> Res<Request> {
    let words = split_words(line)?;
    let mut it = words.into_iter().peekable();
    let Some(first) = it.next() else {
        return Err((
            1,
            "the request line is empty; try `GET http://example.com/`".into(),
        ));
    };
    let mut method: Option<(String, usize)> = None;
    let url = if first.text.contains("://") {
        first
    } else {
        if first.text.starts_with('-') {
            return Err((
                first.col,
                format!(
                    "expected a method or a URL first, found the option `{}`",
                    first.text
                ),
            ));
        }
        if !is_token(&first.text) {
            return Err((
                first.col,
                format!(
                    "`{}` is not an HTTP method (expected e.g. GET, POST)",
                    first.text
                ),
            ));
        }
        method = Some((first.text.clone(), first.col));
        match it.next() {
            Some(u) => u,
            None => {
                return Err((
                    first.col + first.text.chars().count(),
                    "a URL must follow the method, e.g. `GET http://example.com/`".into(),
                ))
            }
        }
    };
    let mut req = parse_url(&url.text, url.col)?;
    if let Some((m, col)) = method {
        match req.protocol {
            RequestProtocol::Http => req.method = m,
            _ => {
                return Err((
                    col,
                    format!(
                        "a method only goes with http:// or https:// URLs, not {}://",
                        req.scheme
                    ),
                ))
            }
        }
    }
    let mut sni_set = false;
    let mut host_header = false;
    while let Some(w) = it.next() {
        let opt = w.text.as_str();
        let (name, inline) = match opt.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
            _ => (opt, None),
        };
        let mut arg = |what: &str| -> Res<(String, usize)> {
            if let Some(v) = inline.clone() {
                return Ok((v, w.col + name.chars().count() + 1));
            }
            match it.next() {
                Some(a) => Ok((a.text, a.col)),
                None => Err((
                    w.col + opt.chars().count(),
                    format!("`{opt}` needs {what} after it"),
                )),
            }
        };
        match name {
            "-H" | "--header" => {
                let (h, col) = arg("a header, e.g. -H 'x-env: canary'")?;
                let Some((n, v)) = h.split_once(':') else {
                    return Err((
                        col,
                        format!("header `{h}` has no `:`; write it as 'name: value'"),
                    ));
                };
                let n = n.trim();
                if !is_token(n) {
                    return Err((col, format!("`{n}` is not a valid header name")));
                }
                if h.contains(['\r', '\n']) {
                    return Err((col, "header values cannot contain line breaks".into()));
                }
                let v = v.trim().to_string();
                if n.eq_ignore_ascii_case("host") {
                    if req.protocol != RequestProtocol::Http
                        && req.protocol != RequestProtocol::Grpc
                    {
                        return Err((
                            col,
                            "a Host header only applies to HTTP and gRPC requests".into(),
                        ));
                    }
                    let (host, _) = split_host_port(&v, col)?;
                    req.host = host;
                    host_header = true;
                } else {
                    req.headers.push((n.to_string(), v));
                }
            }
            "-X" | "--request" | "--method" => {
                let (m, col) = arg("a method")?;
                if req.protocol != RequestProtocol::Http {
                    return Err((
                        col,
                        "a method only goes with http:// or https:// URLs".into(),
                    ));
                }
                if !is_token(&m) {
                    return Err((col, format!("`{m}` is not an HTTP method")));
                }
                req.method = m;
            }
            "--sni" => {
                let (s, col) = arg("a server name")?;
                if !matches!(req.scheme.as_str(), "https" | "grpcs" | "tls") {
                    return Err((col, format!("--sni needs a TLS connection (https://, grpcs:// or tls://), not {}://", req.scheme)));
                }
                let s = s.trim().trim_end_matches('.').to_ascii_lowercase();
                if s.is_empty() || s.contains(['/', ' ', ':']) {
                    return Err((col, format!("`{s}` is not a server name")));
                }
                req.sni = Some(s);
                sni_set = true;
            }
            "--no-sni" => {
                req.sni = None;
                sni_set = true;
            }
            "--cert" | "--client-cert" => req.client_certificate = true,
            "--gateway" => {
                let (g, col) = arg("a Gateway as namespace/name")?;
                let ok = g.split('/').count() <= 2
                    && !g.is_empty()
                    && g.split('/').all(|p| !p.is_empty());
                if !ok {
                    return Err((
                        col,
                        format!("`{g}` is not a Gateway; write namespace/name or name"),
                    ));
                }
                req.gateway = Some(g);
            }
            "--ext-auth" => {
                let (v, col) = arg("allow or deny")?;
                req.ext_auth_denies = match v.to_ascii_lowercase().as_str() {
                    "allow" => false,
                    "deny" => true,
                    _ => return Err((col, format!("--ext-auth takes allow or deny, not `{v}`"))),
                };
            }
            _ if opt.starts_with('-') => {
                return Err((w.col, format!("unknown option `{opt}` (known: -H, -X, --sni, --no-sni, --cert, --gateway, --ext-auth)")));
            }
            _ => {
                return Err((
                    w.col,
                    format!(
                        "unexpected `{opt}`; options start with `-`, and the URL comes only once"
                    ),
                ))
            }
        }
    }
    let _ = host_header;
    if !sni_set && matches!(req.scheme.as_str(), "https" | "grpcs") {
        req.sni = req.host.clone();
    }
    Ok(req)
}

/// Splits `host[:port]` (IPv6 in brackets). The host is lower-cased with any trailing dot
/// removed; an empty host means "the Gateway address".
fn split_host_port(s: &str, col: usize) -> Res<(Option<String>, Option<u16>)> {
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let Some(end) = rest.find(']') else {
            return Err((
                col,
                "an IPv6 address in brackets needs its closing `]`".into(),
            ));
        };
        let host = &rest[..end];
        let after = &rest[end + 1..];
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p),
            None if after.is_empty() => None,
            None => {
                return Err((
                    col + end + 2,
                    format!("unexpected `{after}` after the IPv6 address"),
                ))
            }
        };
        (format!("[{host}]"), port)
    } else {
        match s.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (s.to_string(), None),
        }
    };
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 => Some(n),
            _ => {
                let at = col + s.chars().count() - p.chars().count();
                return Err((at, format!("`{p}` is not a port (1-65535)")));
            }
        },
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.contains(|c: char| c.is_whitespace() || c == '/' || c == '@' || c == '?' || c == '#') {
        return Err((col, format!("`{host}` is not a host name")));
    }
    Ok(((!host.is_empty()).then_some(host), port))
}

fn parse_url(url: &str, col: usize) -> Res<Request> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err((
            col,
            format!("`{url}` is not a URL; expected e.g. http://example.com/"),
        ));
    };
    let scheme_l = scheme.to_ascii_lowercase();
    let (protocol, default_port) = match scheme_l.as_str() {
        "http" => (RequestProtocol::Http, Some(80)),
        "https" => (RequestProtocol::Http, Some(443)),
        "grpc" => (RequestProtocol::Grpc, Some(80)),
        "grpcs" => (RequestProtocol::Grpc, Some(443)),
        "tls" => (RequestProtocol::Tls, Some(443)),
        "tcp" => (RequestProtocol::Tcp, None),
        "udp" => (RequestProtocol::Udp, None),
        _ => {
            return Err((
                col,
                format!(
                    "unknown scheme `{scheme}://` (use http, https, grpc, grpcs, tls, tcp or udp)"
                ),
            ));
        }
    };
    let auth_col = col + scheme.chars().count() + 3;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    if authority.contains('@') {
        return Err((
            auth_col,
            "user info (`user@`) is not supported in the URL".into(),
        ));
    }
    let (host, port) = split_host_port(authority, auth_col)?;
    let tail_col = auth_col + authority.chars().count();
    let port = match (port, default_port) {
        (Some(p), _) => p,
        (None, Some(d)) => d,
        (None, None) => {
            return Err((
                tail_col,
                format!("{scheme_l}:// needs a port, e.g. {scheme_l}://gateway:9000"),
            ))
        }
    };
    // Drop any fragment: clients never send it.
    let tail = tail.split('#').next().unwrap_or("");
    let mut path = if tail.is_empty() {
        "/".to_string()
    } else if tail.starts_with('?') {
        format!("/{tail}")
    } else {
        tail.to_string()
    };
    if path.contains(|c: char| c.is_whitespace() || c.is_control()) {
        return Err((
            tail_col,
            "the path cannot contain spaces or control characters (percent-encode them)".into(),
        ));
    }
    let mut method = "GET".to_string();
    let mut headers = Vec::new();
    match protocol {
        RequestProtocol::Grpc => {
            let p = path.split('?').next().unwrap_or("");
            let parts: Vec<&str> = p.trim_start_matches('/').split('/').collect();
            if parts.len() != 2 || parts.iter().any(|s| s.is_empty()) || !p.starts_with('/') {
                return Err((
                    tail_col,
                    format!(
                        "a gRPC URL needs `/package.Service/Method` after the host, found `{p}`"
                    ),
                ));
            }
            path = p.to_string();
            method = "POST".into();
            headers.push(("content-type".to_string(), "application/grpc".to_string()));
        }
        RequestProtocol::Tls | RequestProtocol::Tcp | RequestProtocol::Udp => {
            if path != "/" {
                return Err((tail_col, format!("{scheme_l}:// takes no path")));
            }
            method = String::new();
        }
        RequestProtocol::Http => {}
    }
    let sni = if protocol == RequestProtocol::Tls {
        if host.is_none() {
            return Err((
                auth_col,
                "tls:// needs the SNI as its host, e.g. tls://app.example.com".into(),
            ));
        }
        host.clone()
    } else {
        None
    };
    Ok(Request {
        protocol,
        method,
        scheme: scheme_l,
        host,
        port,
        path,
        headers,
        sni,
        client_certificate: false,
        gateway: None,
        ext_auth_denies: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(line: &str) -> Request {
        parse_request(line).unwrap_or_else(|e| panic!("{line}: {}", e.message))
    }
    fn err(line: &str) -> String {
        match parse_request(line) {
            Ok(r) => panic!("{line} parsed as {r:?}"),
            Err(e) => {
                assert_eq!(e.code, "invalid-request");
                e.message
            }
        }
    }

    #[test]
    fn http_lines() {
        let r = ok("GET http://App.Example.com/a/b?x=1 -H 'x-env: canary' -H \"X-Two: a b\"");
        assert_eq!(
            (r.method.as_str(), r.scheme.as_str(), r.port),
            ("GET", "http", 80)
        );
        assert_eq!(r.host.as_deref(), Some("app.example.com"));
        assert_eq!(r.path, "/a/b?x=1");
        assert_eq!(
            r.headers,
            vec![
                ("x-env".into(), "canary".into()),
                ("X-Two".into(), "a b".into())
            ]
        );
        assert_eq!(r.sni, None);

        let r = ok("https://foo.example.com:8443");
        assert_eq!(
            (r.method.as_str(), r.port, r.path.as_str()),
            ("GET", 8443, "/")
        );
        assert_eq!(r.sni.as_deref(), Some("foo.example.com"));

        let r = ok("POST https://a.example.com/x --sni b.example.com --cert --gateway infra/gw");
        assert_eq!(r.sni.as_deref(), Some("b.example.com"));
        assert!(r.client_certificate);
        assert_eq!(r.gateway.as_deref(), Some("infra/gw"));
        assert!(!r.ext_auth_denies);
        assert!(ok("GET http://a.example.com/ --ext-auth deny").ext_auth_denies);
        assert!(!ok("GET http://a.example.com/ --ext-auth=allow").ext_auth_denies);

        let r = ok("GET http:///path");
        assert_eq!(r.host, None);
        let r = ok("GET http://x/ -H 'Host: other.example.com:8080'");
        assert_eq!(r.host.as_deref(), Some("other.example.com"));
        assert!(r.headers.is_empty());
        let r = ok("GET http://[::1]:8080/?q");
        assert_eq!(
            (r.host.as_deref(), r.port, r.path.as_str()),
            (Some("[::1]"), 8080, "/?q")
        );
        let r = ok("GET http://h?a=b#frag");
        assert_eq!(r.path, "/?a=b");
        let r = ok("GET http://h/ --header=x:y -X DELETE");
        assert_eq!(r.method, "DELETE");
        assert_eq!(r.headers, vec![("x".into(), "y".into())]);
        let r = ok(r#"GET http://h/ -H x:\ y\'s"#);
        assert_eq!(r.headers[0].1, "y's");
    }

    #[test]
    fn other_schemes() {
        let r = ok("grpc://echo.example.com/pkg.Svc/Echo -H 'k: v'");
        assert_eq!(
            (r.protocol, r.method.as_str(), r.port, r.path.as_str()),
            (RequestProtocol::Grpc, "POST", 80, "/pkg.Svc/Echo")
        );
        assert_eq!(r.headers.len(), 2);
        let r = ok("tls://abc.example.com");
        assert_eq!(
            (r.protocol, r.port, r.sni.as_deref()),
            (RequestProtocol::Tls, 443, Some("abc.example.com"))
        );
        let r = ok("tcp://gw:9000");
        assert_eq!((r.protocol, r.port), (RequestProtocol::Tcp, 9000));
        let r = ok("udp://gw:53");
        assert_eq!((r.protocol, r.port), (RequestProtocol::Udp, 53));
        let r = ok("grpcs://h:9443/a.B/C");
        assert_eq!(r.sni.as_deref(), Some("h"));
    }

    #[test]
    fn errors_name_the_column() {
        let cases = [
            ("", "column 1"),
            ("GET", "column 4"),
            ("GET ftp://x/", "column 5: unknown scheme"),
            ("GET http://x:99999/", "column 14"),
            ("GET http://x/ -H 'a: b", "column 18: this single quote"),
            ("GET http://x/ -H nocolon", "column 18"),
            ("GET http://x/ --bogus", "column 15: unknown option"),
            ("GET http://x/ -H", "column 17"),
            ("GET http://x/ --sni y", "column 21: --sni needs a TLS"),
            ("tcp://host", "column 11: tcp:// needs a port"),
            ("grpc://h/onlyone", "column 9"),
            ("tls://:443", "column 7"),
            ("GET tcp://h:1", "column 1"),
            ("GET http://x/ extra", "column 15: unexpected"),
            ("-H a:b", "column 1"),
            (
                "GET http://x/ --ext-auth maybe",
                "column 26: --ext-auth takes allow or deny",
            ),
            (
                "GET http://x/ --ext-auth",
                "column 25: `--ext-auth` needs allow or deny",
            ),
        ];
        for (line, want) in cases {
            let m = err(line);
            assert!(m.contains(want), "{line:?}: {m}");
        }
    }

    #[test]
    fn never_panics() {
        let pieces = [
            "GET",
            "http://",
            "https://",
            "grpc://",
            "tls://",
            "tcp://",
            "udp://",
            "[",
            "]",
            ":",
            "::",
            "'",
            "\"",
            "\\",
            "-H",
            "--sni",
            "--gateway",
            "=",
            "/",
            "?",
            "#",
            "é",
            "\u{0}",
            " ",
            "x",
            "65536",
            "0",
            "@",
            "\t",
            "--cert",
            "--ext-auth",
            "a.b/c",
            "[::1]",
            "%2f",
        ];
        let mut n = 0u32;
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    let line = format!("{a}{b}{c}");
                    let _ = parse_request(&line);
                    let _ = parse_request(&format!("{a} {b} {c}"));
                    n += 1;
                }
            }
        }
        assert!(n > 1000);
    }
}
