//! CEL source → expression tree, for the subset of the language CRD validation rules use:
//! literals (including raw and triple-quoted strings, lists and maps), field selection, indexing,
//! calls and method calls, the `has`/`all`/`exists`/`exists_one`/`map`/`filter` macros, the
//! arithmetic, comparison, `in` and logical operators, and the conditional `?:`.

/// Deepest nesting a rule may have; CRD rules stay far below it.
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Double(f64),
    Str(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

/// The comprehension macros.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Macro {
    All,
    Exists,
    ExistsOne,
    Map,
    Filter,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Lit(Lit),
    Ident(String),
    Select(Box<Expr>, String),
    /// `has(x.f)`.
    Has(Box<Expr>, String),
    Index(Box<Expr>, Box<Expr>),
    /// A function (`target` is None) or method call.
    Call {
        target: Option<Box<Expr>>,
        name: String,
        args: Vec<Expr>,
    },
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Binary(Op, Box<Expr>, Box<Expr>),
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    List(Vec<Expr>),
    Map(Vec<(Expr, Expr)>),
    Comprehension {
        kind: Macro,
        range: Box<Expr>,
        var: String,
        body: Box<Expr>,
    },
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Lit(Lit),
    Ident(String),
    Punct(&'static str),
}

fn lex(src: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    const PUNCT: &[&str] = &[
        "==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "+", "-", "*", "/", "%", "?", ":", ".",
        ",", "(", ")", "[", "]", "{", "}",
    ];
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() {
            let start = i;
            let mut float = false;
            if c == '0' && chars.get(i + 1).is_some_and(|x| *x == 'x' || *x == 'X') {
                i += 2;
                while i < chars.len() && chars[i].is_ascii_hexdigit() {
                    i += 1;
                }
                let text: String = chars[start + 2..i].iter().collect();
                out.push(Tok::Lit(Lit::Int(
                    i64::from_str_radix(&text, 16).map_err(|e| e.to_string())?,
                )));
                continue;
            }
            while i < chars.len()
                && (chars[i].is_ascii_digit()
                    || chars[i] == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
            {
                float |= chars[i] == '.';
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            if chars.get(i).is_some_and(|x| *x == 'u' || *x == 'U') {
                i += 1;
                out.push(Tok::Lit(Lit::Uint(
                    text.parse().map_err(|_| format!("bad number {text}"))?,
                )));
            } else if float {
                out.push(Tok::Lit(Lit::Double(
                    text.parse().map_err(|_| format!("bad number {text}"))?,
                )));
            } else {
                out.push(Tok::Lit(Lit::Int(
                    text.parse().map_err(|_| format!("bad number {text}"))?,
                )));
            }
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let raw = matches!(word.as_str(), "r" | "R")
                && chars.get(i).is_some_and(|x| *x == '"' || *x == '\'');
            if raw {
                let (s, next) = string(&chars, i, true)?;
                out.push(Tok::Lit(Lit::Str(s)));
                i = next;
                continue;
            }
            out.push(match word.as_str() {
                "true" => Tok::Lit(Lit::Bool(true)),
                "false" => Tok::Lit(Lit::Bool(false)),
                "null" => Tok::Lit(Lit::Null),
                "in" => Tok::Punct("in"),
                _ => Tok::Ident(word),
            });
        } else if c == '"' || c == '\'' {
            let (s, next) = string(&chars, i, false)?;
            out.push(Tok::Lit(Lit::Str(s)));
            i = next;
        } else {
            let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
            let Some(p) = PUNCT.iter().find(|p| rest.starts_with(**p)) else {
                return Err(format!("unexpected character {c:?}"));
            };
            out.push(Tok::Punct(p));
            i += p.chars().count();
        }
    }
    Ok(out)
}

/// A string literal starting at `chars[i]` (the quote); returns its value and the index after it.
fn string(chars: &[char], i: usize, raw: bool) -> Result<(String, usize), String> {
    let q = chars[i];
    let triple = chars.get(i + 1) == Some(&q) && chars.get(i + 2) == Some(&q);
    let mut j = if triple { i + 3 } else { i + 1 };
    let mut out = String::new();
    loop {
        let Some(&c) = chars.get(j) else {
            return Err("unterminated string".into());
        };
        if triple && c == q && chars.get(j + 1) == Some(&q) && chars.get(j + 2) == Some(&q) {
            return Ok((out, j + 3));
        }
        if !triple && c == q {
            return Ok((out, j + 1));
        }
        if c == '\\' && !raw {
            let e = *chars.get(j + 1).ok_or("unterminated escape")?;
            out.push(match e {
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                '0' => '\0',
                '\\' | '"' | '\'' | '`' | '?' => e,
                _ => return Err(format!("unsupported escape \\{e}")),
            });
            j += 2;
            continue;
        }
        out.push(c);
        j += 1;
    }
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    depth: usize,
}

/// Parses one rule.
pub fn parse(src: &str) -> Result<Expr, String> {
    let mut p = Parser {
        toks: lex(src)?,
        pos: 0,
        depth: 0,
    };
    let e = p.expr()?;
    if p.pos != p.toks.len() {
        return Err(format!("unexpected {:?}", p.toks[p.pos]));
    }
    Ok(e)
}

impl Parser {
    fn peek(&self, p: &str) -> bool {
        matches!(self.toks.get(self.pos), Some(Tok::Punct(x)) if *x == p)
    }
    fn eat(&mut self, p: &str) -> bool {
        let yes = self.peek(p);
        if yes {
            self.pos += 1;
        }
        yes
    }
    fn expect(&mut self, p: &str) -> Result<(), String> {
        if self.eat(p) {
            Ok(())
        } else {
            Err(format!("expected {p:?} at token {}", self.pos))
        }
    }

    fn expr(&mut self) -> Result<Expr, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err("expression nests too deeply".into());
        }
        let c = self.or()?;
        let e = if self.eat("?") {
            let a = self.or()?;
            self.expect(":")?;
            let b = self.expr()?;
            Expr::Cond(Box::new(c), Box::new(a), Box::new(b))
        } else {
            c
        };
        self.depth -= 1;
        Ok(e)
    }

    fn binary(
        &mut self,
        ops: &[(&str, Op)],
        next: fn(&mut Parser) -> Result<Expr, String>,
    ) -> Result<Expr, String> {
        let mut left = next(self)?;
        'outer: loop {
            for (p, op) in ops {
                if self.eat(p) {
                    let right = next(self)?;
                    left = Expr::Binary(*op, Box::new(left), Box::new(right));
                    continue 'outer;
                }
            }
            return Ok(left);
        }
    }
    fn or(&mut self) -> Result<Expr, String> {
        self.binary(&[("||", Op::Or)], Parser::and)
    }
    fn and(&mut self) -> Result<Expr, String> {
        self.binary(&[("&&", Op::And)], Parser::relation)
    }
    fn relation(&mut self) -> Result<Expr, String> {
        let ops = [
            ("==", Op::Eq),
            ("!=", Op::Ne),
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("<", Op::Lt),
            (">", Op::Gt),
            ("in", Op::In),
        ];
        self.binary(&ops, Parser::addition)
    }
    fn addition(&mut self) -> Result<Expr, String> {
        self.binary(&[("+", Op::Add), ("-", Op::Sub)], Parser::multiplication)
    }
    fn multiplication(&mut self) -> Result<Expr, String> {
        self.binary(
            &[("*", Op::Mul), ("/", Op::Div), ("%", Op::Rem)],
            Parser::unary,
        )
    }
    fn unary(&mut self) -> Result<Expr, String> {
        if self.eat("!") {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.eat("-") {
            return Ok(match self.unary()? {
                Expr::Lit(Lit::Int(i)) => Expr::Lit(Lit::Int(-i)),
                Expr::Lit(Lit::Double(d)) => Expr::Lit(Lit::Double(-d)),
                e => Expr::Neg(Box::new(e)),
            });
        }
        self.member()
    }

    fn args(&mut self, close: &str) -> Result<Vec<Expr>, String> {
        let mut args = Vec::new();
        while !self.eat(close) {
            args.push(self.expr()?);
            if !self.eat(",") {
                self.expect(close)?;
                break;
            }
        }
        Ok(args)
    }

    fn member(&mut self) -> Result<Expr, String> {
        let mut e = self.primary()?;
        loop {
            if self.eat(".") {
                let Some(Tok::Ident(name)) = self.toks.get(self.pos).cloned() else {
                    return Err("expected a field name after '.'".into());
                };
                self.pos += 1;
                if self.eat("(") {
                    let args = self.args(")")?;
                    e = method(e, name, args)?;
                } else {
                    e = Expr::Select(Box::new(e), name);
                }
            } else if self.eat("[") {
                let i = self.expr()?;
                self.expect("]")?;
                e = Expr::Index(Box::new(e), Box::new(i));
            } else {
                return Ok(e);
            }
        }
    }

    fn primary(&mut self) -> Result<Expr, String> {
        let Some(t) = self.toks.get(self.pos).cloned() else {
            return Err("unexpected end of rule".into());
        };
        self.pos += 1;
        match t {
            Tok::Lit(l) => Ok(Expr::Lit(l)),
            Tok::Ident(name) => {
                if !self.eat("(") {
                    return Ok(Expr::Ident(name));
                }
                let mut args = self.args(")")?;
                if name == "has" {
                    return match args.pop() {
                        Some(Expr::Select(target, field)) if args.is_empty() => {
                            Ok(Expr::Has(target, field))
                        }
                        _ => Err("has() takes one field selection".into()),
                    };
                }
                Ok(Expr::Call {
                    target: None,
                    name,
                    args,
                })
            }
            Tok::Punct("(") => {
                let e = self.expr()?;
                self.expect(")")?;
                Ok(e)
            }
            Tok::Punct("[") => Ok(Expr::List(self.args("]")?)),
            Tok::Punct("{") => {
                let mut entries = Vec::new();
                while !self.eat("}") {
                    let k = self.expr()?;
                    self.expect(":")?;
                    let v = self.expr()?;
                    entries.push((k, v));
                    if !self.eat(",") {
                        self.expect("}")?;
                        break;
                    }
                }
                Ok(Expr::Map(entries))
            }
            t => Err(format!("unexpected {t:?}")),
        }
    }
}

/// A method call, or one of the comprehension macros.
fn method(target: Expr, name: String, mut args: Vec<Expr>) -> Result<Expr, String> {
    let kind = match name.as_str() {
        "all" => Some(Macro::All),
        "exists" => Some(Macro::Exists),
        "exists_one" => Some(Macro::ExistsOne),
        "map" => Some(Macro::Map),
        "filter" => Some(Macro::Filter),
        _ => None,
    };
    match kind {
        Some(kind) if args.len() == 2 => {
            let body = args.pop().unwrap_or(Expr::Lit(Lit::Null));
            let Some(Expr::Ident(var)) = args.pop() else {
                return Err(format!("{name}() needs a variable name"));
            };
            Ok(Expr::Comprehension {
                kind,
                range: Box::new(target),
                var,
                body: Box::new(body),
            })
        }
        Some(_) => Err(format!("{name}() takes a variable and an expression")),
        None => Ok(Expr::Call {
            target: Some(Box::new(target)),
            name,
            args,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_and_literals() {
        let e = parse("a || b && !c").unwrap();
        let Expr::Binary(Op::Or, _, r) = e else {
            panic!("{e:?}")
        };
        assert!(matches!(*r, Expr::Binary(Op::And, _, _)));
        assert_eq!(
            parse(r#"r"""a\.b""""#).unwrap(),
            Expr::Lit(Lit::Str("a\\.b".into()))
        );
        assert_eq!(
            parse(r"'a\\.b'").unwrap(),
            Expr::Lit(Lit::Str("a\\.b".into()))
        );
        assert_eq!(parse("-1").unwrap(), Expr::Lit(Lit::Int(-1)));
        assert!(
            matches!(parse("x ? 1 : y ? 2 : 3").unwrap(), Expr::Cond(_, _, e) if matches!(*e, Expr::Cond(..)))
        );
        assert!(matches!(parse("has(self.a.b)").unwrap(), Expr::Has(_, f) if f == "b"));
        assert!(matches!(
            parse("self.l.all(x, x > 1)").unwrap(),
            Expr::Comprehension {
                kind: Macro::All,
                ..
            }
        ));
        assert!(matches!(parse("{'a': 1}['a']").unwrap(), Expr::Index(..)));
    }

    #[test]
    fn malformed_rules_are_errors_not_panics() {
        for bad in [
            "",
            "(",
            "a.",
            "has(a)",
            "x.all(1, 2)",
            "'open",
            "a ? b",
            "{1: }",
            "#",
            &"(".repeat(200),
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
