//! Text → positioned tree.
//!
//! We drive saphyr-parser's event stream ourselves instead of using a DOM loader, because only the
//! events let us see what a DOM hides: duplicate keys, anchor expansion (so alias bombs can be
//! budgeted), and nesting depth (so a 10,000-deep document is refused instead of blowing the stack).
//! The result is a `serde_json::Value` per document, which typed serde structs decode from, plus a
//! [`SpanMap`] from JSON pointer to source span, so any later diagnostic can point at the exact field.
//!
//! Scalars follow the YAML 1.2 core schema (what saphyr implements). Kubernetes reads YAML 1.1,
//! where plain `yes`/`no`/`on`/`off`/`y`/`n` are booleans: we keep them as strings (what the user
//! almost always meant) and warn with `yaml11-boolean`, because `kubectl apply` would not.

use crate::diag::{Diagnostic, LineIndex, Location, Span};
use crate::sort::StableSort;
use saphyr_parser::{Event, Parser, ScalarStyle};
use serde_json::{Map, Number, Value};
use std::collections::HashMap;

/// Deeper nesting than this is refused (`yaml-limit`); real manifests stay below 20.
pub const MAX_DEPTH: usize = 128;
/// Upper bound on nodes materialised per file, counting every alias expansion.
pub const MAX_NODES: usize = 4_000_000;
/// Upper bound on nodes copied per file by aliases, merge keys (`<<: *a`) and anchor
/// bookkeeping together. Real manifests share a few small blocks; an alias bomb or a chain of
/// merge keys, where each step copies everything before it, is cut off here (`yaml-limit`).
pub const MAX_EXPANDED_NODES: usize = 250_000;
/// Upper bound on the bytes of keys and strings those copies hold, per file.
pub const MAX_EXPANDED_BYTES: usize = 8 * 1024 * 1024;
/// Inputs larger than this are refused before parsing.
pub const MAX_BYTES: usize = 32 * 1024 * 1024;

/// One input text with what is needed to turn byte offsets into line:column.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
    lines: LineIndex,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        let lines = LineIndex::new(&text);
        SourceFile {
            name: name.into(),
            text,
            lines,
        }
    }

    pub fn location(&self, file: usize, span: Span) -> Location {
        let (line, column) = self.lines.position(&self.text, span.start);
        let (end_line, end_column) = self.lines.position(&self.text, span.end);
        Location {
            file,
            file_name: self.name.clone(),
            span,
            line,
            column,
            end_line,
            end_column,
        }
    }

    /// The text of 1-based `line` without its line break, found through the line index (no scan).
    pub fn line(&self, line: usize) -> Option<&str> {
        let (start, end) = self.lines.line_range(&self.text, line)?;
        self.text.get(start..end)
    }
}

/// Decodes raw bytes as UTF-8. Invalid bytes are replaced (so nothing else is lost) and reported
/// with the position of the first one.
pub fn decode_bytes(name: &str, bytes: &[u8]) -> (String, Option<Diagnostic>) {
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_string(), None),
        Err(e) => {
            let good = e.valid_up_to();
            let text = String::from_utf8_lossy(bytes).into_owned();
            let prefix = std::str::from_utf8(&bytes[..good]).unwrap_or("");
            let file = SourceFile::new(name, prefix);
            let loc = file.location(0, Span::new(good, good));
            let d = Diagnostic::error(
                "invalid-utf8",
                format!("the input is not valid UTF-8 (first invalid byte at offset {good}); invalid bytes were replaced with U+FFFD"),
            )
            .at(Some(loc));
            (text, Some(d))
        }
    }
}

/// JSON pointer → span, for values and for mapping keys.
#[derive(Debug, Clone, Default)]
pub struct SpanMap {
    values: HashMap<String, Span>,
    keys: HashMap<String, Span>,
}

impl SpanMap {
    pub fn value(&self, ptr: &str) -> Option<Span> {
        self.values.get(ptr).copied()
    }
    pub fn key(&self, ptr: &str) -> Option<Span> {
        self.keys.get(ptr).copied()
    }
    /// The span of `ptr`, or of its nearest ancestor that has one (a missing field points at its parent).
    pub fn nearest(&self, ptr: &str) -> Option<Span> {
        let mut p = ptr;
        loop {
            if let Some(s) = self.values.get(p) {
                return Some(*s);
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return None,
            }
        }
    }
    /// Keeps only the entries under `prefix`, re-rooted (used to split `kind: List` items).
    pub fn subtree(&self, prefix: &str) -> SpanMap {
        let cut = |m: &HashMap<String, Span>| {
            m.iter()
                .filter_map(|(k, v)| {
                    if k == prefix {
                        Some((String::new(), *v))
                    } else if k.starts_with(prefix) && k.as_bytes().get(prefix.len()) == Some(&b'/')
                    {
                        Some((k[prefix.len()..].to_string(), *v))
                    } else {
                        None
                    }
                })
                .collect()
        };
        SpanMap {
            values: cut(&self.values),
            keys: cut(&self.keys),
        }
    }
}

/// Escapes one JSON-pointer reference token.
pub fn escape_token(s: &str) -> String {
    if s.contains('~') || s.contains('/') {
        s.replace('~', "~0").replace('/', "~1")
    } else {
        s.to_string()
    }
}

#[derive(Debug, Clone)]
pub struct Document {
    pub value: Value,
    pub spans: SpanMap,
    pub span: Span,
}

/// What a subtree costs to copy: its nodes, the bytes of its keys and strings, and its height
/// (collections on the longest path down; 0 for a scalar).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Size {
    pub nodes: usize,
    pub bytes: usize,
    pub height: usize,
}

impl Size {
    fn scalar(v: &Value) -> Size {
        let bytes = match v {
            Value::String(s) => s.len(),
            _ => 8,
        };
        Size {
            nodes: 1,
            bytes,
            height: 0,
        }
    }

    /// Adds a child's size to this collection's.
    fn add_child(&mut self, child: Size) {
        self.nodes += child.nodes;
        self.bytes += child.bytes;
        self.height = self.height.max(child.height + 1);
    }
}

/// Work done by one [`parse_stream_counted`] call, for budget tests: bytes handed to the YAML
/// scanner (the input once, plus documents re-parsed for [`reindent_quoted`]) and what aliases,
/// merge keys and anchors copied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParseWork {
    pub scanned_bytes: usize,
    pub expanded_nodes: usize,
    pub expanded_bytes: usize,
}

enum Frame {
    Seq {
        items: Vec<Value>,
        ptr: String,
        start: usize,
        anchor: usize,
        size: Size,
    },
    Map {
        map: Map<String, Value>,
        ptr: String,
        start: usize,
        anchor: usize,
        key: Option<(String, Span)>,
        /// Keys that came in through a merge key and that an explicit key may still override.
        merged: std::collections::HashSet<String>,
        size: Size,
    },
}

impl Frame {
    fn size_mut(&mut self) -> &mut Size {
        match self {
            Frame::Seq { size, .. } | Frame::Map { size, .. } => size,
        }
    }
}

struct Builder<'a> {
    text: &'a str,
    /// char index → byte offset; empty when the text is ASCII (identity).
    char_to_byte: Vec<usize>,
    /// Padding added by [`reindent_quoted`]: (byte offset in `text`, length), ascending.
    padding: &'a [(usize, usize)],
    /// Offset of `text` in the caller's text (a re-parsed document is a slice of it).
    base: usize,
    spans: SpanMap,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Value, Size)>,
    nodes: usize,
    /// Nodes and bytes copied by aliases, merge keys and anchors (see [`MAX_EXPANDED_NODES`]).
    expanded: Size,
    /// >0 while skipping a refused subtree (too deep, or a complex key).
    skip: usize,
    skip_start: usize,
    diags: Vec<(Diagnostic, Span)>,
    root: Option<(Value, Span)>,
}

impl<'a> Builder<'a> {
    /// Byte offset in the parsed text of a scanner char index.
    fn raw_byte(&self, char_index: usize) -> usize {
        if self.char_to_byte.is_empty() {
            char_index.min(self.text.len())
        } else {
            *self
                .char_to_byte
                .get(char_index)
                .unwrap_or(&self.text.len())
        }
    }

    /// Byte offset in the caller's text of a scanner char index (padding removed).
    fn byte(&self, char_index: usize) -> usize {
        map_back(self.raw_byte(char_index), self.padding) + self.base
    }

    /// Charges a copy of `size` to the expansion budget; false (and nothing charged) when it
    /// would exceed it.
    fn charge(&mut self, size: Size) -> bool {
        let nodes = self.expanded.nodes + size.nodes;
        let bytes = self.expanded.bytes + size.bytes;
        if nodes > MAX_EXPANDED_NODES
            || bytes > MAX_EXPANDED_BYTES
            || self.nodes + size.nodes > MAX_NODES
        {
            return false;
        }
        self.expanded.nodes = nodes;
        self.expanded.bytes = bytes;
        true
    }

    fn diag(&mut self, d: Diagnostic, span: Span) {
        if self.diags.len() < 200 {
            self.diags.push((d, span));
        }
    }

    /// The pointer the next value will get, or None when the next value is a mapping key.
    fn child_ptr(&self) -> Option<String> {
        match self.stack.last() {
            None => Some(String::new()),
            Some(Frame::Seq { items, ptr, .. }) => Some(format!("{ptr}/{}", items.len())),
            Some(Frame::Map {
                ptr,
                key: Some((k, _)),
                ..
            }) => Some(format!("{ptr}/{}", escape_token(k))),
            Some(Frame::Map { key: None, .. }) => None,
        }
    }

    fn start_container(&mut self, is_map: bool, anchor: usize, span: Span) {
        if self.skip > 0 {
            self.skip += 1;
            return;
        }
        let ptr = match self.child_ptr() {
            Some(p) => p,
            None => {
                self.diag(
                    Diagnostic::error(
                        "yaml-syntax",
                        "a mapping key must be a scalar, not a sequence or mapping",
                    ),
                    span,
                );
                self.skip = 1;
                self.skip_start = span.start;
                return;
            }
        };
        if self.stack.len() >= MAX_DEPTH {
            self.diag(
                Diagnostic::error(
                    "yaml-limit",
                    format!("nesting deeper than {MAX_DEPTH} levels is refused"),
                ),
                span,
            );
            self.skip = 1;
            self.skip_start = span.start;
            return;
        }
        self.nodes += 1;
        let start = span.start;
        let size = Size {
            nodes: 1,
            bytes: 0,
            height: 1,
        };
        self.stack.push(if is_map {
            Frame::Map {
                map: Map::new(),
                ptr,
                start,
                anchor,
                key: None,
                merged: Default::default(),
                size,
            }
        } else {
            Frame::Seq {
                items: Vec::new(),
                ptr,
                start,
                anchor,
                size,
            }
        });
    }

    fn end_container(&mut self, span: Span) {
        if self.skip > 0 {
            self.skip -= 1;
            if self.skip == 0 {
                let s = Span::new(self.skip_start, span.end);
                // A refused key is dropped; a refused value becomes null so its parent stays intact.
                if self.child_ptr().is_some() {
                    self.value(Value::Null, s, 0);
                }
            }
            return;
        }
        let Some(frame) = self.stack.pop() else {
            return;
        };
        let (v, ptr, start, anchor, size) = match frame {
            Frame::Seq {
                items,
                ptr,
                start,
                anchor,
                size,
            } => (Value::Array(items), ptr, start, anchor, size),
            Frame::Map {
                map,
                ptr,
                start,
                anchor,
                key,
                size,
                ..
            } => {
                if let Some((k, ks)) = key {
                    self.diag(
                        Diagnostic::error("yaml-syntax", format!("key `{k}` has no value")),
                        ks,
                    );
                }
                (Value::Object(map), ptr, start, anchor, size)
            }
        };
        let s = Span::new(start, span.end.max(start));
        self.spans.values.insert(ptr, s);
        self.finish(v, s, anchor, true, size);
    }

    /// Records an anchor and hands a finished node to its parent. The anchor table keeps its own
    /// copy of a collection, so that copy is charged to the expansion budget too; past the budget
    /// the anchor is not recorded and its aliases become unknown-anchor errors.
    fn finish(&mut self, v: Value, span: Span, anchor: usize, recorded: bool, size: Size) {
        if anchor > 0 {
            if size.height == 0 || self.charge(size) {
                self.anchors.insert(anchor, (v.clone(), size));
            } else {
                let d = Diagnostic::error(
                    "yaml-limit",
                    format!("anchors and aliases would copy more than {MAX_EXPANDED_NODES} nodes or {MAX_EXPANDED_BYTES} bytes; this anchor is not recorded"),
                );
                self.diag(d, span);
            }
        }
        self.attach(v, span, recorded, size);
    }

    fn value(&mut self, v: Value, span: Span, anchor: usize) {
        self.nodes += 1;
        let size = Size::scalar(&v);
        self.finish(v, span, anchor, false, size);
    }

    fn attach(&mut self, v: Value, span: Span, recorded: bool, size: Size) {
        if let Some(f) = self.stack.last_mut() {
            f.size_mut().add_child(size);
        }
        let ptr = self.child_ptr();
        match self.stack.last_mut() {
            None => {
                self.root = Some((v, span));
                if !recorded {
                    self.spans.values.insert(String::new(), span);
                }
            }
            Some(Frame::Seq { items, .. }) => {
                items.push(v);
                if let (false, Some(p)) = (recorded, ptr) {
                    self.spans.values.insert(p, span);
                }
            }
            Some(Frame::Map {
                map,
                ptr: mptr,
                key,
                merged,
                ..
            }) => match key.take() {
                None => {
                    let k = match v {
                        Value::String(s) => s,
                        Value::Null => String::new(),
                        Value::Bool(b) => b.to_string(),
                        Value::Number(n) => n.to_string(),
                        _ => {
                            // Only reachable through an alias to a collection used as a key.
                            let d =
                                Diagnostic::error("yaml-syntax", "a mapping key must be a scalar");
                            self.diags.push((d, span));
                            "<complex key>".to_string()
                        }
                    };
                    let kptr = format!("{mptr}/{}", escape_token(&k));
                    // An explicit key overrides one that came in through a merge key: its value
                    // replaces the merged one when it arrives.
                    let overrides = merged.remove(&k);
                    if !overrides && map.contains_key(&k) && k != "<<" {
                        let d = Diagnostic::error(
                            "yaml-duplicate-key",
                            format!("duplicate key `{k}`: kubectl refuses this document; the first value is kept"),
                        );
                        self.diags.push((d, span));
                        *key = Some((format!("\u{0}dup:{k}"), span));
                    } else {
                        self.spans.keys.insert(kptr, span);
                        *key = Some((k, span));
                    }
                }
                Some((k, _)) => {
                    if k.starts_with("\u{0}dup:") {
                        return;
                    }
                    if k == "<<" {
                        // YAML 1.1 merge key, which Kubernetes' YAML reader honours.
                        let sources = match v {
                            Value::Array(a) => a,
                            other => vec![other],
                        };
                        for src in sources {
                            if let Value::Object(m) = src {
                                for (mk, mv) in m {
                                    if !map.contains_key(&mk) {
                                        merged.insert(mk.clone());
                                        map.insert(mk, mv);
                                    }
                                }
                            }
                        }
                        return;
                    }
                    if let (false, Some(p)) = (recorded, ptr) {
                        self.spans.values.insert(p, span);
                    }
                    map.insert(k, v);
                }
            },
        }
    }

    fn alias(&mut self, id: usize, span: Span) {
        if self.skip > 0 {
            return;
        }
        let Some(&(_, size)) = self.anchors.get(&id) else {
            self.diag(
                Diagnostic::error("yaml-syntax", "alias to an unknown anchor"),
                span,
            );
            self.value(Value::Null, span, 0);
            return;
        };
        // The depth limit holds for the expanded tree: an alias deep in a document, or a chain of
        // aliases each nesting the previous one, must not build what the parser would refuse.
        if self.stack.len() + size.height > MAX_DEPTH {
            let d = Diagnostic::error(
                "yaml-limit",
                format!("this alias would nest the document deeper than {MAX_DEPTH} levels; it is replaced by null"),
            );
            self.diag(d, span);
            self.value(Value::Null, span, 0);
            return;
        }
        if !self.charge(size) {
            let d = Diagnostic::error(
                "yaml-limit",
                format!("aliases and merge keys would copy more than {MAX_EXPANDED_NODES} nodes or {MAX_EXPANDED_BYTES} bytes (an alias bomb?); the alias is replaced by null"),
            );
            self.diag(d, span);
            self.value(Value::Null, span, 0);
            return;
        }
        let v = self.anchors[&id].0.clone();
        self.nodes += size.nodes;
        self.finish(v, span, 0, false, size);
    }

    fn scalar(
        &mut self,
        s: &str,
        style: ScalarStyle,
        tag: Option<(&str, &str)>,
        anchor: usize,
        span: Span,
    ) {
        if self.skip > 0 {
            return;
        }
        let v = match (style, tag) {
            (_, Some((_, "str"))) => Value::String(s.to_string()),
            (ScalarStyle::Plain, _) => self.plain(s, span),
            _ => Value::String(s.to_string()),
        };
        self.value(v, span, anchor);
    }

    fn plain(&mut self, s: &str, span: Span) -> Value {
        match s {
            "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
            "true" | "True" | "TRUE" => return Value::Bool(true),
            "false" | "False" | "FALSE" => return Value::Bool(false),
            "yes" | "Yes" | "YES" | "no" | "No" | "NO" | "on" | "On" | "ON" | "off" | "Off"
            | "OFF" | "y" | "Y" | "n" | "N" => {
                // Mapping keys such as `on:` are common in other YAML; warn on values only.
                if self.child_ptr().is_some() {
                    let d = Diagnostic::warning(
                        "yaml11-boolean",
                        format!("`{s}` is a string here, but Kubernetes reads YAML 1.1 where it is a boolean; quote it (\"{s}\") to be safe"),
                    );
                    self.diag(d, span);
                }
                return Value::String(s.to_string());
            }
            _ => {}
        }
        if let Some(n) = parse_int(s) {
            return n;
        }
        if looks_like_float(s) {
            if let Ok(f) = s.parse::<f64>() {
                if let Some(n) = Number::from_f64(f) {
                    return Value::Number(n);
                }
            }
        }
        Value::String(s.to_string())
    }
}

fn parse_int(s: &str) -> Option<Value> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 40 {
        return None;
    }
    let (neg, digits) = match b[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits) = if let Some(h) = digits.strip_prefix("0x") {
        (16, h)
    } else if let Some(o) = digits.strip_prefix("0o") {
        (8, o)
    } else {
        (10, digits)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let mag = match u128::from_str_radix(digits, radix) {
        Ok(m) => m,
        // Too big for any integer: keep it as a float so typed decoding reports a located range error.
        Err(_) => {
            return s
                .parse::<f64>()
                .ok()
                .and_then(Number::from_f64)
                .map(Value::Number)
        }
    };
    if neg {
        if mag <= i64::MAX as u128 + 1 {
            return Some(Value::Number(Number::from(
                (mag as i128).wrapping_neg() as i64
            )));
        }
    } else if mag <= u64::MAX as u128 {
        return Some(Value::Number(Number::from(mag as u64)));
    }
    Number::from_f64(if neg { -(mag as f64) } else { mag as f64 }).map(Value::Number)
}

fn looks_like_float(s: &str) -> bool {
    let t = s.trim_start_matches(['-', '+']);
    !t.is_empty()
        && t.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'))
        && t.chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == '.')
        && t.chars().any(|c| c.is_ascii_digit())
}

/// Parses a YAML (or JSON) stream into documents. Never panics; problems come back as diagnostics
/// with their spans, and documents completed before a syntax error are kept.
pub fn parse_stream(text: &str) -> (Vec<Document>, Vec<(Diagnostic, Span)>) {
    let (docs, diags, _) = parse_stream_counted(text);
    (docs, diags)
}

/// [`parse_stream`], also reporting the work it did (see [`ParseWork`]).
///
/// Saphyr follows YAML 1.2 and rejects a quoted scalar whose continuation lines are indented less
/// than its key, which the Go YAML library Kubernetes uses accepts. When that is the error, only
/// the document holding it is re-parsed (re-indented; [`reindent_quoted`]), and the text after
/// that document is parsed on from where the first pass stopped. Re-parsing is bounded by
/// [`REPARSE_ALLOWANCE`] plus twice the input, so scanning stays linear in the input.
pub fn parse_stream_counted(text: &str) -> (Vec<Document>, Vec<(Diagnostic, Span)>, ParseWork) {
    let mut work = ParseWork::default();
    if text.len() > MAX_BYTES {
        let d = Diagnostic::error(
            "yaml-limit",
            format!(
                "input of {} bytes exceeds the {MAX_BYTES}-byte limit",
                text.len()
            ),
        );
        return (Vec::new(), vec![(d, Span::new(0, 0))], work);
    }
    let mut reparse_budget = REPARSE_ALLOWANCE + 2 * text.len();
    let mut docs = Vec::new();
    let mut diags = Vec::new();
    let mut from = 0;
    while from < text.len() || (from == 0 && text.is_empty()) {
        let segment = &text[from..];
        let mut pass = parse_once(segment, &[], from);
        // A pass that stops on a quoted scalar has scanned up to it.
        work.add(
            pass.lenient.as_ref().map_or(segment.len(), |l| l.at),
            pass.expanded,
        );
        docs.append(&mut pass.docs);
        let Some(lenient) = pass.lenient else {
            diags.append(&mut pass.diags);
            break;
        };
        // Diagnostics of the failed document come again from its re-parse.
        let doc_start = from + lenient.doc_start;
        diags.extend(
            pass.diags
                .into_iter()
                .filter(|(_, sp)| sp.start < doc_start),
        );
        let doc_end = from + next_document_marker(segment, lenient.at);
        let chunk = &text[doc_start..doc_end];
        let mut fixed = reparse_document(
            chunk,
            doc_start,
            lenient.at - lenient.doc_start,
            &mut reparse_budget,
        );
        work.add(fixed.scanned, fixed.expanded);
        docs.append(&mut fixed.docs);
        diags.append(&mut fixed.diags);
        from = doc_end;
    }
    (docs, diags, work)
}

impl ParseWork {
    fn add(&mut self, scanned: usize, expanded: Size) {
        self.scanned_bytes += scanned;
        self.expanded_nodes += expanded.nodes;
        self.expanded_bytes += expanded.bytes;
    }
}

/// Quoted scalars re-indented per document before giving up on it.
const MAX_REINDENTS: usize = 64;
/// Bytes that may be re-parsed for re-indented quoted scalars beyond twice the input: enough for
/// 64 fixes in a 64 KB document, while a megabyte-long document with many such scalars ends in a
/// located `yaml-syntax` error after a few re-parses instead of 64.
pub const REPARSE_ALLOWANCE: usize = 4 * 1024 * 1024;

/// Offset in `text` of the first document marker line (`---` or `...` at column 0) after byte
/// `at`, or the end of the text. Such a line cannot be part of any scalar, so it ends the
/// document holding `at`.
fn next_document_marker(text: &str, at: usize) -> usize {
    let bytes = text.as_bytes();
    let mut i = at;
    while let Some(nl) = text.get(i..).and_then(|t| t.find('\n')) {
        let line = i + nl + 1;
        let rest = &bytes[line..];
        if (rest.starts_with(b"---") || rest.starts_with(b"..."))
            && rest
                .get(3)
                .is_none_or(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
        {
            return line;
        }
        i = line;
    }
    text.len()
}

/// The result of re-parsing one document.
struct Reparsed {
    docs: Vec<Document>,
    diags: Vec<(Diagnostic, Span)>,
    scanned: usize,
    expanded: Size,
}

/// Re-parses the document `chunk` (at offset `base` of the caller's text) with the quoted scalar
/// opening at `at` re-indented, and again for each further such scalar, while `budget` (bytes)
/// lasts. Each fix is reported as a `yaml-quoted-indent` warning.
fn reparse_document(chunk: &str, base: usize, at: usize, budget: &mut usize) -> Reparsed {
    let mut out = Reparsed {
        docs: Vec::new(),
        diags: Vec::new(),
        scanned: 0,
        expanded: Size::default(),
    };
    let mut patched = chunk.to_string();
    let mut padding: Vec<(usize, usize)> = Vec::new();
    let mut notes: Vec<(Diagnostic, Span)> = Vec::new();
    let mut next = Some(at);
    loop {
        let fix = next
            .filter(|_| notes.len() < MAX_REINDENTS && *budget >= patched.len())
            .and_then(|at| {
                let mut p = padding.clone();
                let fixed = reindent_quoted(&patched, at, &mut p)?;
                Some((fixed, p, at))
            });
        let Some((fixed, p, at)) = fix else { break };
        let orig = map_back(at, &padding) + base;
        let d = Diagnostic::warning(
            "yaml-quoted-indent",
            "a continuation line of this quoted string is indented less than its key: YAML 1.2 rejects it, the Go YAML library Kubernetes uses accepts it",
        );
        notes.push((d, Span::new(orig, orig + 1)));
        patched = fixed;
        padding = p;
        *budget = budget.saturating_sub(patched.len());
        let pass = parse_once(&patched, &padding, base);
        out.scanned += patched.len();
        out.expanded.nodes += pass.expanded.nodes;
        out.expanded.bytes += pass.expanded.bytes;
        out.docs = pass.docs;
        out.diags = pass.diags;
        next = pass.lenient.map(|l| l.at);
    }
    if out.scanned == 0 {
        // Not even the first fix applied: report the document as the plain parse sees it.
        let pass = parse_once(chunk, &[], base);
        out.scanned = chunk.len();
        out.expanded = pass.expanded;
        out.docs = pass.docs;
        out.diags = pass.diags;
    }
    notes.append(&mut out.diags);
    out.diags = notes;
    out
}

fn map_back(b: usize, padding: &[(usize, usize)]) -> usize {
    let mut shift = 0;
    for &(at, len) in padding {
        if at >= b {
            break;
        }
        shift += (b - at).min(len);
    }
    b - shift
}

/// The quoted scalar opening at byte `at` of `text`, with every continuation line indented to the
/// column of its opening quote. Leading blanks of continuation lines are dropped by line folding,
/// so the value is unchanged; `padding` records the inserted spaces (offsets in the new text).
/// None when `at` opens no closed quoted scalar or no line needed padding.
fn reindent_quoted(text: &str, at: usize, padding: &mut Vec<(usize, usize)>) -> Option<String> {
    let quote = *text.as_bytes().get(at)?;
    if quote != b'"' && quote != b'\'' {
        return None;
    }
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..at].chars().count();
    let bytes = text.as_bytes();
    let mut end = None;
    let mut i = at + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote == b'"' => i += 1,
            b'\'' if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 1,
            c if c == quote => {
                end = Some(i);
                break;
            }
            _ => {}
        }
        i += 1;
    }
    let end = end?;
    let mut out = String::with_capacity(text.len() + 64);
    let mut last = 0;
    // (offset in `text`, offset in the new text, spaces)
    let mut inserted: Vec<(usize, usize, usize)> = Vec::new();
    for (nl, _) in text[at..end].match_indices('\n') {
        let start = at + nl + 1;
        let blanks = text[start..]
            .bytes()
            .take_while(|b| *b == b' ' || *b == b'\t')
            .count();
        let content = text
            .as_bytes()
            .get(start + blanks)
            .is_some_and(|b| !matches!(b, b'\n' | b'\r'));
        if !content || blanks >= column {
            continue;
        }
        out.push_str(&text[last..start]);
        let at_new = out.len();
        let pad = column - blanks;
        out.extend(std::iter::repeat_n(' ', pad));
        last = start;
        inserted.push((start, at_new, pad));
    }
    if inserted.is_empty() {
        return None;
    }
    out.push_str(&text[last..]);
    // Earlier padding was located in `text`; move it to the new text, then add ours.
    for e in padding.iter_mut() {
        e.0 += inserted
            .iter()
            .filter(|i| i.0 <= e.0)
            .map(|i| i.2)
            .sum::<usize>();
    }
    padding.extend(inserted.iter().map(|i| (i.1, i.2)));
    padding.stable_sort();
    Some(out)
}

/// Where saphyr stopped on a quoted scalar it rejected for the indentation of its continuation
/// lines: byte offsets in the parsed text of the scalar's opening quote and of its document.
struct Lenient {
    at: usize,
    doc_start: usize,
}

/// What one parse produced.
struct Pass {
    docs: Vec<Document>,
    diags: Vec<(Diagnostic, Span)>,
    lenient: Option<Lenient>,
    expanded: Size,
}

/// One parse of `text`, whose offset in the caller's text is `base` (spans are in the caller's
/// text, padding removed).
fn parse_once(text: &str, padding: &[(usize, usize)], base: usize) -> Pass {
    let char_to_byte = if text.is_ascii() {
        Vec::new()
    } else {
        let mut v: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        v.push(text.len());
        v
    };
    let mut b = Builder {
        text,
        char_to_byte,
        padding,
        base,
        spans: SpanMap::default(),
        stack: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        expanded: Size::default(),
        skip: 0,
        skip_start: 0,
        diags: Vec::new(),
        root: None,
    };
    let mut docs = Vec::new();
    let mut doc_start = 0;
    // The same, in `text`'s own offsets (what a re-parse of the document starts from).
    let mut raw_doc_start = 0;
    let mut lenient = None;
    // saphyr-parser's scanner walks the text once; a BOM is accepted by it.
    for ev in Parser::new_from_str(text) {
        let (ev, sp) = match ev {
            Ok(x) => x,
            Err(e) => {
                if e.info() == "invalid indentation in quoted scalar" {
                    let at = b.raw_byte(e.marker().index());
                    lenient = Some(Lenient {
                        at,
                        doc_start: raw_doc_start.min(at),
                    });
                }
                let at = b.byte(e.marker().index());
                b.diag(
                    Diagnostic::error("yaml-syntax", format!("YAML syntax error: {}", e.info())),
                    Span::new(at, at),
                );
                break;
            }
        };
        let span = Span::new(b.byte(sp.start.index()), b.byte(sp.end.index()));
        match ev {
            Event::DocumentStart(_) => {
                doc_start = span.start;
                raw_doc_start = b.raw_byte(sp.start.index());
                b.spans = SpanMap::default();
                b.anchors.clear();
                b.stack.clear();
                b.skip = 0;
                b.root = None;
            }
            Event::DocumentEnd => {
                if let Some((value, vspan)) = b.root.take().filter(|(v, _)| !v.is_null()) {
                    let spans = std::mem::take(&mut b.spans);
                    docs.push(Document {
                        value,
                        spans,
                        span: Span::new(doc_start.min(vspan.start), vspan.end),
                    });
                }
            }
            Event::MappingStart(anchor, _) => b.start_container(true, anchor, span),
            Event::SequenceStart(anchor, _) => b.start_container(false, anchor, span),
            Event::MappingEnd | Event::SequenceEnd => b.end_container(span),
            Event::Alias(id) => b.alias(id, span),
            Event::Scalar(s, style, anchor, tag) => {
                let t = tag.as_ref().map(|t| (t.handle.as_str(), t.suffix.as_str()));
                let t = t.map(|(h, s)| {
                    (
                        h,
                        if h == "!!" || h == "tag:yaml.org,2002:" {
                            s
                        } else {
                            ""
                        },
                    )
                });
                b.scalar(&s, style, t, anchor, span)
            }
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
    }
    Pass {
        docs,
        diags: b.diags,
        lenient,
        expanded: b.expanded,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> (Value, SpanMap, Vec<&'static str>) {
        let (mut docs, diags) = parse_stream(text);
        let codes = diags.iter().map(|(d, _)| d.code).collect();
        let d = docs.remove(0);
        (d.value, d.spans, codes)
    }

    #[test]
    fn spans_point_at_values_and_keys() {
        let text = "a:\n  b: [1, two]\n  c: {d: x}\n";
        let (v, spans, codes) = one(text);
        assert!(codes.is_empty());
        assert_eq!(
            v,
            serde_json::json!({"a": {"b": [1, "two"], "c": {"d": "x"}}})
        );
        let s = spans.value("/a/b/1").unwrap();
        assert_eq!(&text[s.start..s.end], "two");
        let k = spans.key("/a/c").unwrap();
        assert_eq!(&text[k.start..k.end], "c");
        // A field that does not exist points at its nearest parent.
        assert_eq!(spans.nearest("/a/c/d/zzz"), spans.value("/a/c/d"));
    }

    #[test]
    fn scalars_follow_yaml_1_2_and_warn_on_yaml_1_1_booleans() {
        let (v, _, codes) = one(
            "a: yes\nb: 'no'\nc: 8080\nd: 0x10\ne: 1.5\nf: ~\ng: true\nh: \"80\"\ni: !!str 42\n",
        );
        assert_eq!(
            v,
            serde_json::json!({"a":"yes","b":"no","c":8080,"d":16,"e":1.5,"f":null,"g":true,"h":"80","i":"42"})
        );
        assert_eq!(codes, vec!["yaml11-boolean"]);
    }

    #[test]
    fn duplicate_keys_are_errors_and_the_first_value_is_kept() {
        let text = "a: 1\nb: 2\na: 3\n";
        let (v, _, codes) = one(text);
        assert_eq!(v, serde_json::json!({"a": 1, "b": 2}));
        assert_eq!(codes, vec!["yaml-duplicate-key"]);
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let (v, _, codes) = one("base: &b {x: 1, y: 2}\nuse: *b\nmerged:\n  <<: *b\n  y: 3\n");
        assert!(codes.is_empty(), "{codes:?}");
        assert_eq!(v["use"], serde_json::json!({"x":1,"y":2}));
        assert_eq!(v["merged"], serde_json::json!({"y":3,"x":1}));
    }

    #[test]
    fn multi_document_streams_and_json() {
        let (docs, diags) =
            parse_stream("---\na: 1\n---\n# only a comment\n---\n{\"b\": [true, null]}\n");
        assert!(diags.is_empty());
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].value, serde_json::json!({"b": [true, null]}));
    }

    #[test]
    fn syntax_errors_are_located_and_earlier_documents_survive() {
        let text = "a: 1\n---\nb: [1, 2\n";
        let (docs, diags) = parse_stream(text);
        assert_eq!(docs.len(), 1);
        assert_eq!(diags[0].0.code, "yaml-syntax");
    }

    #[test]
    fn non_ascii_offsets_are_bytes() {
        let text = "ä: \"ü\"\nb: x\n";
        let (_, spans, _) = one(text);
        let s = spans.value("/b").unwrap();
        assert_eq!(&text[s.start..s.end], "x");
    }

    #[test]
    fn quoted_continuation_lines_left_of_their_key_are_accepted_like_go_yaml() {
        let text = "a:\n- k: x\n  lua: \"f(x)\n  g()\n\n end\"\n  next: 'it''s\n y'\n  after: z\n";
        let (docs, diags) = parse_stream(text);
        let codes: Vec<_> = diags.iter().map(|(d, _)| d.code).collect();
        assert_eq!(codes, ["yaml-quoted-indent", "yaml-quoted-indent"]);
        let v = &docs[0].value;
        assert_eq!(v["a"][0]["lua"], "f(x) g()\nend");
        assert_eq!(v["a"][0]["next"], "it's y");
        // Spans stay in the caller's text.
        let sp = docs[0].spans.value("/a/0/after").unwrap();
        assert_eq!(&text[sp.start..sp.end], "z");
        let warn = diags[0].1;
        assert_eq!(&text[warn.start..warn.end], "\"");
        // An unterminated string is still a syntax error, not a loop.
        let (_, diags) = parse_stream("a:\n  b: \"x\n y\n");
        assert!(diags.iter().any(|(d, _)| d.code == "yaml-syntax"));
    }

    #[test]
    fn huge_integers_do_not_wrap() {
        let (v, _, _) =
            one("a: 99999999999999999999999\nb: -9223372036854775808\nc: 18446744073709551615\n");
        assert!(v["a"].is_f64());
        assert_eq!(v["b"].as_i64(), Some(i64::MIN));
        assert_eq!(v["c"].as_u64(), Some(u64::MAX));
    }
}
