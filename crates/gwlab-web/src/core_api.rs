//! Temporary stand-in with the shape of the core's public API, until it lands on main.
#![allow(dead_code)]
use serde::Serialize;
use serde_json::{json, Value};

pub struct Input {
    pub name: String,
    pub text: String,
}
#[derive(Default)]
pub struct Options {
    pub controller_name: String,
}
#[derive(Serialize)]
pub struct Analysis {
    diagnostics: Vec<Value>,
    statuses: Vec<Value>,
}
#[derive(Serialize, Debug)]
pub struct Diagnostic {
    pub code: &'static str,
    pub message: String,
}
pub struct Request(String);

pub fn analyze(inputs: &[Input], _opts: &Options) -> Analysis {
    let mut diagnostics = vec![];
    for (fi, inp) in inputs.iter().enumerate() {
        let mut off = 0;
        for (i, line) in inp.text.split_inclusive('\n').enumerate() {
            if let Some(c) = line.find('\t') {
                diagnostics.push(json!({"code": "yaml-tab", "severity": "error", "message": "tabs are not allowed in YAML indentation",
                  "location": {"file": fi, "file_name": inp.name, "span": {"start": off + c, "end": off + c + 1}, "line": i + 1, "column": c + 1, "end_line": i + 1, "end_column": c + 2},
                  "learn": "docs/diagnostics.md#yaml-tab"}));
            }
            off += line.len();
        }
    }
    Analysis { diagnostics, statuses: vec![] }
}

impl Analysis {
    pub fn route(&self, req: &Request) -> Value {
        json!({"status": 404, "request": req.0, "trace": ["no listener matches"]})
    }
    pub fn routing_table(&self) -> Vec<Value> {
        vec![]
    }
}

pub fn parse_request(line: &str) -> Result<Request, Diagnostic> {
    if line.trim().is_empty() {
        return Err(Diagnostic { code: "request-syntax", message: "empty request".into() });
    }
    Ok(Request(line.to_string()))
}
