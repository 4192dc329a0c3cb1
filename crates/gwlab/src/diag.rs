//! Diagnostics: one type for every problem gwlab reports, from a YAML syntax error to a lint.
//!
//! Codes are stable identifiers (like a linter's rule codes); each has a section in
//! `docs/diagnostics.md` whose anchor is the code itself, so a code is also its Learn link.

use crate::sort::StableSort;
use serde::Serialize;

/// A byte range in one input file. Line and column are derived on demand through a [`LineIndex`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// Where a diagnostic points: a file (index into the analysed inputs) and a resolved position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    pub file: usize,
    pub file_name: String,
    pub span: Span,
    /// 1-based line and column (column counted in characters).
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// The object the problem belongs to, as `Kind/namespace/name` (or `Kind/name` for cluster-scoped kinds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// Learn link, relative to the repository root (`docs/diagnostics.md#<code>`).
    pub learn: String,
}

impl Diagnostic {
    pub fn new(code: &'static str, severity: Severity, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity,
            message: message.into(),
            location: None,
            object: None,
            learn: format!("docs/diagnostics.md#{code}"),
        }
    }
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Error, message)
    }
    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Warning, message)
    }
    pub fn info(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Info, message)
    }
    pub fn at(mut self, loc: Option<Location>) -> Self {
        self.location = loc;
        self
    }
    pub fn on(mut self, object: impl Into<String>) -> Self {
        self.object = Some(object.into());
        self
    }

    /// `file:line:col: severity[code]: message`, the format editors and CI logs understand.
    pub fn render(&self) -> String {
        match &self.location {
            Some(l) => format!(
                "{}:{}:{}: {}[{}]: {}",
                l.file_name,
                l.line,
                l.column,
                self.severity.as_str(),
                self.code,
                self.message
            ),
            None => format!(
                "{}[{}]: {}",
                self.severity.as_str(),
                self.code,
                self.message
            ),
        }
    }
}

/// Maps byte offsets to 1-based line and character column.
#[derive(Debug, Clone, Default)]
pub struct LineIndex {
    line_starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut line_starts = vec![0];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(i + 1);
            }
        }
        LineIndex { line_starts }
    }

    /// 1-based (line, column); the column counts characters, as editors do.
    pub fn position(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let col = text
            .get(start..offset)
            .map(|s| s.chars().count())
            .unwrap_or(offset - start);
        (line + 1, col + 1)
    }
}

/// Stable ordering for output: by file, position, then code.
pub fn sort(diags: &mut [Diagnostic]) {
    diags.stable_sort_by(|a, b| {
        let ka = a.location.as_ref().map(|l| (l.file, l.span.start));
        let kb = b.location.as_ref().map(|l| (l.file, l.span.start));
        // Diagnostics without a location go last.
        (ka.is_none(), ka, a.code, &a.message).cmp(&(kb.is_none(), kb, b.code, &b.message))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let text = "ab\nçd\n\nx";
        let idx = LineIndex::new(text);
        assert_eq!(idx.position(text, 0), (1, 1));
        assert_eq!(idx.position(text, 3), (2, 1));
        // 'ç' is two bytes: the 'd' after it is column 2.
        assert_eq!(idx.position(text, 5), (2, 2));
        assert_eq!(idx.position(text, 8), (4, 1));
        assert_eq!(idx.position(text, 999), (4, 2));
    }
}
