//! Evaluates a parsed rule against a JSON value (`self`), with the Kubernetes CEL library
//! functions the CRDs call: `size`, `matches`, `startsWith`, `endsWith`, `contains`, `split`,
//! `substring`, `lowerAscii`, `upperAscii`, `isIP`, `duration`, and
//! `format.dns1123Label().validate`. Logical operators absorb errors as CEL's do
//! (`false && error` is false), so a guarded field access behaves as in the API server.

use super::parse::{Expr, Lit, Macro, Op};
use regex::Regex;
use serde_json::Value;
use std::borrow::Cow;

/// A CEL value; JSON objects and lists are borrowed, not copied.
#[derive(Debug, Clone)]
pub enum Val<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Double(f64),
    Str(Cow<'a, str>),
    List(Vec<Val<'a>>),
    Map(Vec<(Val<'a>, Val<'a>)>),
    /// A JSON list or object.
    Json(&'a Value),
    /// Nanoseconds.
    Duration(i128),
    /// A named string format (`format.dns1123Label()`).
    Format(&'static str),
    /// An optional (what a format's `validate` returns): none, or the value held. An optional
    /// equals only another optional, so `… .validate(x) == null` is always false, as in CEL.
    Optional(Option<Box<Val<'a>>>),
}

type R<'a> = Result<Val<'a>, String>;

fn from_json(v: &Value) -> Val<'_> {
    match v {
        Value::Null => Val::Null,
        Value::Bool(b) => Val::Bool(*b),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Val::Int(i),
            (None, Some(u)) => Val::Uint(u),
            _ => Val::Double(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => Val::Str(Cow::Borrowed(s)),
        _ => Val::Json(v),
    }
}

fn lit(l: &Lit) -> Val<'static> {
    match l {
        Lit::Null => Val::Null,
        Lit::Bool(b) => Val::Bool(*b),
        Lit::Int(i) => Val::Int(*i),
        Lit::Uint(u) => Val::Uint(*u),
        Lit::Double(d) => Val::Double(*d),
        Lit::Str(s) => Val::Str(Cow::Owned(s.clone())),
    }
}

impl<'a> Val<'a> {
    fn items(&self) -> Option<Vec<Val<'a>>> {
        match self {
            Val::List(l) => Some(l.clone()),
            Val::Json(Value::Array(a)) => Some(a.iter().map(from_json).collect()),
            _ => None,
        }
    }
    /// Map keys (what a comprehension over a map ranges over).
    fn keys(&self) -> Option<Vec<Val<'a>>> {
        match self {
            Val::Map(m) => Some(m.iter().map(|(k, _)| k.clone()).collect()),
            Val::Json(Value::Object(o)) => Some(
                o.keys()
                    .map(|k| Val::Str(Cow::Borrowed(k.as_str())))
                    .collect(),
            ),
            _ => None,
        }
    }
    fn str(&self) -> Option<&str> {
        match self {
            Val::Str(s) => Some(s),
            _ => None,
        }
    }
    fn number(&self) -> Option<f64> {
        match self {
            Val::Int(i) => Some(*i as f64),
            Val::Uint(u) => Some(*u as f64),
            Val::Double(d) => Some(*d),
            _ => None,
        }
    }
    fn type_name(&self) -> &'static str {
        match self {
            Val::Null => "null",
            Val::Bool(_) => "bool",
            Val::Int(_) => "int",
            Val::Uint(_) => "uint",
            Val::Double(_) => "double",
            Val::Str(_) => "string",
            Val::List(_) | Val::Json(Value::Array(_)) => "list",
            Val::Map(_) | Val::Json(_) => "map",
            Val::Duration(_) => "duration",
            Val::Format(_) => "format",
            Val::Optional(_) => "optional_type",
        }
    }
}

/// CEL's reserved words that Kubernetes escapes when they name a property (`namespace` is read
/// as `self.__namespace__`).
const RESERVED: &[&str] = &[
    "true",
    "false",
    "null",
    "in",
    "as",
    "break",
    "const",
    "continue",
    "else",
    "for",
    "function",
    "if",
    "import",
    "let",
    "loop",
    "package",
    "namespace",
    "return",
    "var",
    "void",
    "while",
];

/// The property a selected name stands for, undoing Kubernetes' escaping of names CEL cannot
/// write: a reserved word as `__word__`, and `__underscores__`, `__dot__`, `__dash__`, `__slash__`
/// for `__`, `.`, `-` and `/`.
pub fn unescape(name: &str) -> Cow<'_, str> {
    if !name.contains("__") {
        return Cow::Borrowed(name);
    }
    if let Some(word) = name.strip_prefix("__").and_then(|n| n.strip_suffix("__")) {
        if RESERVED.contains(&word) {
            return Cow::Owned(word.to_string());
        }
    }
    Cow::Owned(
        name.replace("__underscores__", "\u{0}")
            .replace("__dot__", ".")
            .replace("__dash__", "-")
            .replace("__slash__", "/")
            .replace('\u{0}', "__"),
    )
}

fn equal(a: &Val, b: &Val) -> bool {
    if let (Some(x), Some(y)) = (a.number(), b.number()) {
        return x == y;
    }
    match (a, b) {
        (Val::Null, Val::Null) => true,
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::Str(x), Val::Str(y)) => x == y,
        (Val::Duration(x), Val::Duration(y)) => x == y,
        (Val::Optional(x), Val::Optional(y)) => match (x, y) {
            (None, None) => true,
            (Some(p), Some(q)) => equal(p, q),
            _ => false,
        },
        (Val::Optional(_), _) | (_, Val::Optional(_)) => false,
        _ => match (a.items(), b.items()) {
            (Some(x), Some(y)) => x.len() == y.len() && x.iter().zip(&y).all(|(p, q)| equal(p, q)),
            _ => match (a.keys(), b.keys()) {
                (Some(ka), Some(kb)) => {
                    ka.len() == kb.len() && ka.iter().all(|k| matches!((lookup(a, k), lookup(b, k)), (Some(x), Some(y)) if equal(&x, &y)))
                }
                _ => false,
            },
        },
    }
}

fn lookup<'a>(m: &Val<'a>, key: &Val) -> Option<Val<'a>> {
    match m {
        Val::Map(entries) => entries
            .iter()
            .find(|(k, _)| equal(k, key))
            .map(|(_, v)| v.clone()),
        Val::Json(Value::Object(o)) => key.str().and_then(|k| o.get(k)).map(from_json),
        _ => None,
    }
}

fn truth(v: &R) -> Option<bool> {
    match v {
        Ok(Val::Bool(b)) => Some(*b),
        _ => None,
    }
}

/// Variables in scope: `self` and comprehension variables, innermost last.
pub struct Env<'a> {
    vars: Vec<(String, Val<'a>)>,
}

impl<'a> Env<'a> {
    pub fn new(this: &'a Value) -> Env<'a> {
        Env {
            vars: vec![("self".to_string(), from_json(this))],
        }
    }

    pub fn eval(&mut self, e: &Expr) -> R<'a> {
        match e {
            Expr::Lit(l) => Ok(lit(l)),
            Expr::Ident(name) => self
                .vars
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .ok_or_else(|| format!("undeclared reference to '{name}'")),
            Expr::Select(target, field) => {
                if let Expr::Ident(ns) = &**target {
                    if ns == "format" && !self.vars.iter().any(|(n, _)| n == "format") {
                        return Err(format!("unknown format.{field}"));
                    }
                }
                let t = self.eval(target)?;
                let field = unescape(field);
                lookup(&t, &Val::Str(Cow::Borrowed(&field)))
                    .ok_or_else(|| format!("no such key: {field}"))
            }
            Expr::Has(target, field) => {
                let t = self.eval(target)?;
                let field = &unescape(field);
                match &t {
                    Val::Json(Value::Object(o)) => {
                        Ok(Val::Bool(o.contains_key(field.as_ref() as &str)))
                    }
                    Val::Map(_) => Ok(Val::Bool(
                        lookup(&t, &Val::Str(Cow::Borrowed(field))).is_some(),
                    )),
                    _ => Err(format!(
                        "invalid type for field selection: {}",
                        t.type_name()
                    )),
                }
            }
            Expr::Index(target, index) => {
                let t = self.eval(target)?;
                let i = self.eval(index)?;
                if let Some(items) = t.items() {
                    let n = i
                        .number()
                        .filter(|n| n.fract() == 0.0)
                        .ok_or("list index must be an integer")?;
                    return items
                        .get(n as usize)
                        .filter(|_| n >= 0.0)
                        .cloned()
                        .ok_or_else(|| format!("index out of bounds: {n}"));
                }
                lookup(&t, &i).ok_or_else(|| "no such key".to_string())
            }
            Expr::Call { target, name, args } => self.call(target.as_deref(), name, args),
            Expr::Not(x) => match self.eval(x)? {
                Val::Bool(b) => Ok(Val::Bool(!b)),
                v => Err(format!("no such overload: !{}", v.type_name())),
            },
            Expr::Neg(x) => match self.eval(x)? {
                Val::Int(i) => Ok(Val::Int(i.checked_neg().ok_or("integer overflow")?)),
                Val::Double(d) => Ok(Val::Double(-d)),
                v => Err(format!("no such overload: -{}", v.type_name())),
            },
            Expr::Binary(Op::And, a, b) => {
                let (x, y) = (self.eval(a), self.eval(b));
                match (truth(&x), truth(&y)) {
                    (Some(false), _) | (_, Some(false)) => Ok(Val::Bool(false)),
                    (Some(true), Some(true)) => Ok(Val::Bool(true)),
                    _ => Err(x
                        .err()
                        .or(y.err())
                        .unwrap_or_else(|| "no such overload: &&".into())),
                }
            }
            Expr::Binary(Op::Or, a, b) => {
                let (x, y) = (self.eval(a), self.eval(b));
                match (truth(&x), truth(&y)) {
                    (Some(true), _) | (_, Some(true)) => Ok(Val::Bool(true)),
                    (Some(false), Some(false)) => Ok(Val::Bool(false)),
                    _ => Err(x
                        .err()
                        .or(y.err())
                        .unwrap_or_else(|| "no such overload: ||".into())),
                }
            }
            Expr::Binary(op, a, b) => {
                let x = self.eval(a)?;
                let y = self.eval(b)?;
                binary(*op, x, y)
            }
            Expr::Cond(c, a, b) => match self.eval(c)? {
                Val::Bool(true) => self.eval(a),
                Val::Bool(false) => self.eval(b),
                v => Err(format!("no such overload: {} ? _ : _", v.type_name())),
            },
            Expr::List(items) => Ok(Val::List(
                items
                    .iter()
                    .map(|x| self.eval(x))
                    .collect::<Result<_, _>>()?,
            )),
            Expr::Map(entries) => {
                let mut out = Vec::new();
                for (k, v) in entries {
                    out.push((self.eval(k)?, self.eval(v)?));
                }
                Ok(Val::Map(out))
            }
            Expr::Comprehension {
                kind,
                range,
                var,
                body,
            } => self.comprehension(*kind, range, var, body),
        }
    }

    fn comprehension(&mut self, kind: Macro, range: &Expr, var: &str, body: &Expr) -> R<'a> {
        let r = self.eval(range)?;
        let items = r
            .items()
            .or_else(|| r.keys())
            .ok_or_else(|| format!("{} is not a list or map", r.type_name()))?;
        let mut results = Vec::with_capacity(items.len());
        for item in items {
            self.vars.push((var.to_string(), item.clone()));
            let v = self.eval(body);
            self.vars.pop();
            results.push((item, v));
        }
        let bools = |results: &[(Val, R)]| -> Result<Vec<bool>, String> {
            results
                .iter()
                .map(|(_, v)| {
                    truth(v).ok_or_else(|| {
                        v.as_ref()
                            .err()
                            .cloned()
                            .unwrap_or_else(|| "predicate is not a bool".into())
                    })
                })
                .collect()
        };
        Ok(match kind {
            // `all` is false as soon as one item is false, even if another errs (as `&&`).
            Macro::All if results.iter().any(|(_, v)| truth(v) == Some(false)) => Val::Bool(false),
            Macro::All => Val::Bool(bools(&results)?.into_iter().all(|b| b)),
            Macro::Exists if results.iter().any(|(_, v)| truth(v) == Some(true)) => Val::Bool(true),
            Macro::Exists => Val::Bool(bools(&results)?.into_iter().any(|b| b)),
            Macro::ExistsOne => Val::Bool(bools(&results)?.into_iter().filter(|b| *b).count() == 1),
            Macro::Map => Val::List(
                results
                    .into_iter()
                    .map(|(_, v)| v)
                    .collect::<Result<_, _>>()?,
            ),
            Macro::Filter => {
                let keep = bools(&results)?;
                Val::List(
                    results
                        .into_iter()
                        .zip(keep)
                        .filter(|(_, k)| *k)
                        .map(|((item, _), _)| item)
                        .collect(),
                )
            }
        })
    }

    fn call(&mut self, target: Option<&Expr>, name: &str, args: &[Expr]) -> R<'a> {
        if let (Some(Expr::Ident(ns)), "dns1123Label") = (target, name) {
            if ns == "format" {
                return Ok(Val::Format("dns1123Label"));
            }
        }
        let this = match target {
            Some(t) => Some(self.eval(t)?),
            None => None,
        };
        let args: Vec<Val<'a>> = args
            .iter()
            .map(|a| self.eval(a))
            .collect::<Result<_, _>>()?;
        // Function-style calls take their first argument as the receiver.
        let (recv, rest) = match this {
            Some(r) => (r, &args[..]),
            None => match args.split_first() {
                Some((r, rest)) => (r.clone(), rest),
                None => return Err(format!("no such overload: {name}()")),
            },
        };
        function(name, recv, rest)
    }
}

fn compare(x: &Val, y: &Val) -> Option<std::cmp::Ordering> {
    match (x, y) {
        (Val::Str(a), Val::Str(b)) => Some(a.cmp(b)),
        (Val::Duration(a), Val::Duration(b)) => Some(a.cmp(b)),
        (Val::Bool(a), Val::Bool(b)) => Some(a.cmp(b)),
        _ => x.number()?.partial_cmp(&y.number()?),
    }
}

fn binary<'a>(op: Op, x: Val<'a>, y: Val<'a>) -> R<'a> {
    use std::cmp::Ordering::*;
    let overload = || {
        format!(
            "no such overload: {} {op:?} {}",
            x.type_name(),
            y.type_name()
        )
    };
    Ok(match op {
        Op::Eq => Val::Bool(equal(&x, &y)),
        Op::Ne => Val::Bool(!equal(&x, &y)),
        Op::Lt | Op::Le | Op::Gt | Op::Ge => {
            let o = compare(&x, &y).ok_or_else(overload)?;
            Val::Bool(match op {
                Op::Lt => o == Less,
                Op::Le => o != Greater,
                Op::Gt => o == Greater,
                _ => o != Less,
            })
        }
        Op::In => match y.items() {
            Some(items) => Val::Bool(items.iter().any(|i| equal(i, &x))),
            None => Val::Bool(lookup(&y, &x).is_some()),
        },
        Op::Add => match (&x, &y) {
            (Val::Str(a), Val::Str(b)) => Val::Str(Cow::Owned(format!("{a}{b}"))),
            (Val::Int(a), Val::Int(b)) => Val::Int(a.checked_add(*b).ok_or("integer overflow")?),
            (Val::Duration(a), Val::Duration(b)) => Val::Duration(a + b),
            _ => match (x.items(), y.items()) {
                (Some(mut a), Some(b)) => {
                    a.extend(b);
                    Val::List(a)
                }
                _ => arith(op, &x, &y).ok_or_else(overload)?,
            },
        },
        _ => arith(op, &x, &y).ok_or_else(overload)?,
    })
}

fn arith<'a>(op: Op, x: &Val, y: &Val) -> Option<Val<'a>> {
    match (x, y) {
        (Val::Int(a), Val::Int(b)) => Some(Val::Int(match op {
            Op::Add => a.checked_add(*b)?,
            Op::Sub => a.checked_sub(*b)?,
            Op::Mul => a.checked_mul(*b)?,
            Op::Div => a.checked_div(*b)?,
            Op::Rem => a.checked_rem(*b)?,
            _ => return None,
        })),
        (Val::Double(a), Val::Double(b)) => Some(Val::Double(match op {
            Op::Add => a + b,
            Op::Sub => a - b,
            Op::Mul => a * b,
            Op::Div => a / b,
            _ => return None,
        })),
        _ => None,
    }
}

fn string_arg<'b>(args: &'b [Val], i: usize, name: &str) -> Result<&'b str, String> {
    args.get(i)
        .and_then(Val::str)
        .ok_or_else(|| format!("no such overload: {name} needs a string argument"))
}

fn function<'a>(name: &str, recv: Val<'a>, args: &[Val<'a>]) -> R<'a> {
    let s = recv.str();
    Ok(match (name, s) {
        ("size", Some(s)) => Val::Int(s.chars().count() as i64),
        ("size", None) => match (recv.items(), recv.keys()) {
            (Some(l), _) | (None, Some(l)) => Val::Int(l.len() as i64),
            _ => return Err(format!("no such overload: size({})", recv.type_name())),
        },
        ("matches", Some(s)) => {
            let re = Regex::new(string_arg(args, 0, name)?)
                .map_err(|e| format!("invalid regex: {e}"))?;
            Val::Bool(re.is_match(s))
        }
        ("startsWith", Some(s)) => Val::Bool(s.starts_with(string_arg(args, 0, name)?)),
        ("endsWith", Some(s)) => Val::Bool(s.ends_with(string_arg(args, 0, name)?)),
        ("contains", Some(s)) => Val::Bool(s.contains(string_arg(args, 0, name)?)),
        ("lowerAscii", Some(s)) => Val::Str(Cow::Owned(s.to_ascii_lowercase())),
        ("upperAscii", Some(s)) => Val::Str(Cow::Owned(s.to_ascii_uppercase())),
        ("split", Some(s)) => {
            let sep = string_arg(args, 0, name)?;
            Val::List(
                s.split(sep)
                    .map(|p| Val::Str(Cow::Owned(p.to_string())))
                    .collect(),
            )
        }
        ("substring", Some(s)) => {
            let chars: Vec<char> = s.chars().collect();
            let n = |i: usize| args.get(i).and_then(Val::number).map(|x| x as i64);
            let start = n(0).ok_or("substring needs a start index")?;
            let end = n(1).unwrap_or(chars.len() as i64);
            if start < 0 || end < start || end as usize > chars.len() {
                return Err(format!("index out of range: {start}..{end}"));
            }
            Val::Str(Cow::Owned(
                chars[start as usize..end as usize].iter().collect(),
            ))
        }
        ("isIP", Some(s)) => Val::Bool(s.parse::<std::net::IpAddr>().is_ok()),
        // CEL's own words when the string is not a duration.
        ("duration", Some(s)) => Val::Duration(duration(s).map_err(|_| {
            "type conversion error from 'string' to 'google.protobuf.Duration'".to_string()
        })?),
        ("string", _) => match &recv {
            Val::Str(_) => recv.clone(),
            Val::Int(i) => Val::Str(Cow::Owned(i.to_string())),
            Val::Uint(u) => Val::Str(Cow::Owned(u.to_string())),
            Val::Double(d) => Val::Str(Cow::Owned(d.to_string())),
            Val::Bool(b) => Val::Str(Cow::Owned(b.to_string())),
            v => return Err(format!("no such overload: string({})", v.type_name())),
        },
        ("int", _) => match &recv {
            Val::Int(_) => recv.clone(),
            Val::Uint(u) => Val::Int(i64::try_from(*u).map_err(|_| "integer overflow")?),
            Val::Double(d) => Val::Int(*d as i64),
            Val::Str(s) => Val::Int(
                s.parse()
                    .map_err(|_| format!("cannot convert {s:?} to int"))?,
            ),
            v => return Err(format!("no such overload: int({})", v.type_name())),
        },
        ("hasValue", _) => match recv {
            Val::Optional(o) => Val::Bool(o.is_some()),
            v => return Err(format!("no such overload: {}.hasValue", v.type_name())),
        },
        ("value", _) => match recv {
            Val::Optional(Some(v)) => v.as_ref().clone(),
            Val::Optional(None) => return Err("optional.none() dereference".into()),
            v => return Err(format!("no such overload: {}.value", v.type_name())),
        },
        ("validate", _) => match recv {
            Val::Format("dns1123Label") => {
                let problems = super::super::names::dns1123_label(string_arg(args, 0, name)?);
                if problems.is_empty() {
                    Val::Optional(None)
                } else {
                    Val::Optional(Some(Box::new(Val::List(
                        problems
                            .into_iter()
                            .map(|p| Val::Str(Cow::Owned(p)))
                            .collect(),
                    ))))
                }
            }
            v => return Err(format!("no such overload: {}.validate", v.type_name())),
        },
        _ => return Err(format!("no such overload: {}.{name}", recv.type_name())),
    })
}

/// A Go duration string (`1h30m`, `500ms`, `-1.5s`, `0`) in nanoseconds.
pub fn duration(s: &str) -> Result<i128, String> {
    let bad = || format!("invalid duration {s:?}");
    let (neg, mut rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let n: f64 = rest[..num_len].parse().map_err(|_| bad())?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return Err(bad()),
        };
        total += n * scale;
        rest = &rest[unit_len..];
    }
    Ok(if neg { -(total as i128) } else { total as i128 })
}

#[cfg(test)]
mod tests {
    use super::super::parse::parse;
    use super::*;
    use serde_json::json;

    fn eval(rule: &str, this: Value) -> Result<bool, String> {
        let e = parse(rule)?;
        match Env::new(&this).eval(&e)? {
            Val::Bool(b) => Ok(b),
            v => Err(format!("not a bool: {v:?}")),
        }
    }

    #[test]
    fn constructs_used_by_the_crds() {
        let obj = json!({"namespace": "ns", "-x-": 1, "name": "http", "port": 80, "l": [{"name": "a"}, {"name": "b"}, {"name": "a"}], "m": {"k": "v"}, "t": "5s", "h": "*.example.com"});
        let cases = [
            ("has(self.name) && !has(self.missing)", true),
            ("size(self.l) == 3 && self.l.size() == 3 && self.name.size() == 4", true),
            ("self.l.all(x, has(x.name))", true),
            ("self.l.exists(x, x.name == 'b')", true),
            ("self.l.exists_one(x, x.name == 'a')", false),
            ("self.l.exists_one(x, x.name == 'b')", true),
            ("self.l.all(l1, self.l.exists_one(l2, l1.name == l2.name))", false),
            ("self.l.filter(x, x.name == 'a').size() == 2", true),
            ("self.l.map(x, x.name) == ['a', 'b', 'a']", true),
            ("self.m.all(k, k == 'k') && 'k' in self.m && !('z' in self.m)", true),
            ("self.name in ['http', 'https']", true),
            ("self.port >= 1 && self.port <= 65535 && self.port % 2 == 0 && self.port / 8 == 10", true),
            ("self.name.matches('^h[a-z]+$') && self.name.startsWith('ht') && self.name.endsWith('tp') && self.name.contains('tt')", true),
            ("self.h.contains('*') ? (self.h.startsWith('*.') && self.h.substring(2).matches('^[a-z.]+$')) : true", true),
            ("self.name.upperAscii() == 'HTTP' && 'HOST'.lowerAscii() == 'host'", true),
            ("'a/b'.split('/')[0].size() < 253", true),
            ("isIP('10.0.0.1') && isIP('::1') && !isIP('example.com')", true),
            // Property names CEL cannot write are escaped: `namespace` is `__namespace__`.
            ("has(self.__namespace__) && self.__namespace__ == 'ns' && self.__dash__x__dash__ == 1", true),
            ("duration(self.t) > duration('1s') && duration(self.t) <= duration('1m30s')", true),
            ("{'Auto': 0, '1.2': 3}['1.2'] == 3", true),
            // `validate` returns an optional: none when valid, never equal to null.
            ("!format.dns1123Label().validate('ok').hasValue() && format.dns1123Label().validate('Not OK').hasValue()", true),
            ("format.dns1123Label().validate('ok') == null || format.dns1123Label().validate('Not OK') == null", false),
            ("format.dns1123Label().validate('Not OK').value().size() > 0", true),
            // An error on one side of && or || is absorbed by the other side's verdict.
            ("has(self.missing) && self.missing.x == 1", false),
            ("!has(self.missing) || self.missing.x == 1", true),
            ("self.port == 80.0 && 1u == 1", true),
        ];
        for (rule, want) in cases {
            assert_eq!(eval(rule, obj.clone()), Ok(want), "{rule}");
        }
    }

    #[test]
    fn runtime_errors_are_errors() {
        let obj = json!({"l": [1]});
        for rule in [
            "self.missing == 1",
            "self.l[3] == 1",
            "self.l.all(x, x.y)",
            "undefined",
            "size(1)",
            "'a' < 1",
            "9223372036854775807 + 1 > 0",
        ] {
            assert!(eval(rule, obj.clone()).is_err(), "{rule}");
        }
    }

    #[test]
    fn go_durations() {
        assert_eq!(duration("1h30m"), Ok(5_400_000_000_000));
        assert_eq!(duration("500ms"), Ok(500_000_000));
        assert_eq!(duration("1.5s"), Ok(1_500_000_000));
        assert_eq!(duration("0"), Ok(0));
        assert_eq!(duration("-1s"), Ok(-1_000_000_000));
        assert!(duration("5").is_err() && duration("1d").is_err() && duration("").is_err());
    }
}
