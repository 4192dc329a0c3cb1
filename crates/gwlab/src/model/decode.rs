//! Typed decoding of a `serde_json::Value` with located errors and unknown-field reports.
//!
//! One small serde deserializer over `&Value` does what a path-tracking wrapper and an
//! ignored-field wrapper would do together: it keeps the JSON pointer of the value being decoded
//! (so an error names the exact field) and records every key a type does not read. Being a single,
//! non-generic deserializer type, each model struct's `Deserialize` code exists once in a build.
//!
//! Like the Kubernetes API server (which prunes nulls), a `key: null` entry of a mapping is
//! treated as if the key were absent. An unknown key is still reported when its value is null.
//!
//! Error messages are the ones `serde_json` gives for the same value (`invalid type: string
//! "eighty", expected u16`, `missing field `name``, …).

use crate::source::escape_token;
use serde::de::{self, DeserializeOwned, DeserializeSeed, Expected, Unexpected, Visitor};
use serde::forward_to_deserialize_any;
use serde_json::{Map, Number, Value};
use std::cell::RefCell;
use std::fmt::{self, Write as _};

/// Decodes `v` (found at pointer `base`) into `T`.
///
/// Ok: the value and the pointers of the fields no type reads (for `unknown-field` warnings).
/// Err: the pointer of the offending value and the message.
pub(crate) fn decode_value<T: DeserializeOwned>(
    v: &Value,
    base: &str,
) -> Result<(T, Vec<String>), (String, String)> {
    let ignored = RefCell::new(Vec::new());
    let de = De {
        v,
        path: Path::Root,
        depth: 0,
        cx: &Cx {
            base,
            ignored: &ignored,
        },
    };
    match T::deserialize(de) {
        Ok(t) => Ok((t, ignored.into_inner())),
        Err(e) => Err((e.0.ptr.unwrap_or_else(|| base.to_string()), e.0.msg)),
    }
}

/// The decoding error: the message, and where it happened (set by the innermost value). Boxed,
/// so that every `Result` the generated code moves around stays small.
pub(crate) struct Error(Box<ErrorInner>);

struct ErrorInner {
    msg: String,
    ptr: Option<String>,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.msg)
    }
}
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} at {:?}", self.0.msg, self.0.ptr)
    }
}
impl std::error::Error for Error {}

impl de::Error for Error {
    #[cold]
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(Box::new(ErrorInner {
            msg: msg.to_string(),
            ptr: None,
        }))
    }
    // serde_json words these two its own way (`null`, floats); use its text.
    #[cold]
    fn invalid_type(unexp: Unexpected, exp: &dyn Expected) -> Self {
        Self::custom(<serde_json::Error as de::Error>::invalid_type(unexp, exp))
    }
    #[cold]
    fn invalid_value(unexp: Unexpected, exp: &dyn Expected) -> Self {
        Self::custom(<serde_json::Error as de::Error>::invalid_value(unexp, exp))
    }
}

/// A JSON pointer as a chain of stack frames (no allocation until it is needed).
#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
    Seq(&'a Path<'a>, usize),
    Key(&'a Path<'a>, &'a str),
}

impl Path<'_> {
    fn write(&self, out: &mut String) {
        match *self {
            Path::Root => {}
            Path::Seq(parent, i) => {
                parent.write(out);
                let _ = write!(out, "/{i}");
            }
            Path::Key(parent, k) => {
                parent.write(out);
                out.push('/');
                out.push_str(&escape_token(k));
            }
        }
    }
}

struct Cx<'a> {
    base: &'a str,
    ignored: &'a RefCell<Vec<String>>,
}

impl Cx<'_> {
    fn pointer(&self, path: &Path<'_>) -> String {
        let mut p = self.base.to_string();
        path.write(&mut p);
        p
    }
}

#[derive(Clone, Copy)]
struct De<'de, 'a> {
    v: &'de Value,
    path: Path<'a>,
    /// Collections between the root and `v`: decoding recurses once per level, so the level is
    /// checked against [`MAX_DECODE_DEPTH`] instead of trusting the value's producer.
    depth: usize,
    cx: &'a Cx<'a>,
}

/// Deepest nesting decoded. The loader already refuses documents deeper than
/// [`crate::source::MAX_DEPTH`]; this bound holds for values built any other way too.
pub(crate) const MAX_DECODE_DEPTH: usize = crate::source::MAX_DEPTH + 8;

fn unexpected(v: &Value) -> Unexpected<'_> {
    match v {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Unexpected::Unsigned(u),
            (None, Some(i)) => Unexpected::Signed(i),
            _ => Unexpected::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    }
}

fn number<'de, V: Visitor<'de>>(n: &Number, visitor: V) -> Result<V::Value, Error> {
    if let Some(u) = n.as_u64() {
        visitor.visit_u64(u)
    } else if let Some(i) = n.as_i64() {
        visitor.visit_i64(i)
    } else {
        visitor.visit_f64(n.as_f64().unwrap_or(f64::NAN))
    }
}

impl<'de, 'a> De<'de, 'a> {
    /// Gives an error raised at this value (and not deeper) this value's pointer.
    #[inline(always)]
    fn locate<T>(&self, mut r: Result<T, Error>) -> Result<T, Error> {
        if let Err(e) = &mut r {
            self.locate_in(e);
        }
        r
    }
    #[cold]
    #[inline(never)]
    fn locate_in(&self, e: &mut Error) {
        if e.0.ptr.is_none() {
            e.0.ptr = Some(self.cx.pointer(&self.path));
        }
    }
    #[cold]
    fn locate_err(&self, mut e: Error) -> Error {
        self.locate_in(&mut e);
        e
    }
    #[cold]
    fn wrong_type(&self, exp: &dyn Expected) -> Error {
        self.locate_err(de::Error::invalid_type(unexpected(self.v), exp))
    }

    #[cold]
    fn too_deep(&self) -> Error {
        self.locate_err(de::Error::custom(format!(
            "nesting deeper than {MAX_DECODE_DEPTH} levels is refused"
        )))
    }

    fn seq<V: Visitor<'de>>(self, a: &'de [Value], visitor: V) -> Result<V::Value, Error> {
        if self.depth >= MAX_DECODE_DEPTH {
            return Err(self.too_deep());
        }
        let path = self.path;
        let mut acc = SeqAcc {
            it: a.iter(),
            i: 0,
            parent: &path,
            depth: self.depth + 1,
            cx: self.cx,
        };
        let r = visitor.visit_seq(&mut acc);
        let r = match r {
            Ok(v) if acc.it.len() == 0 => Ok(v),
            Ok(_) => Err(de::Error::invalid_length(
                a.len(),
                &"fewer elements in array",
            )),
            Err(e) => Err(e),
        };
        self.locate(r)
    }

    fn map<V: Visitor<'de>>(
        self,
        m: &'de Map<String, Value>,
        fields: Option<&'static [&'static str]>,
        visitor: V,
    ) -> Result<V::Value, Error> {
        if self.depth >= MAX_DECODE_DEPTH {
            return Err(self.too_deep());
        }
        let path = self.path;
        let len = m.values().filter(|v| !v.is_null()).count();
        let mut acc = MapAcc {
            it: m.iter(),
            value: None,
            left: len,
            fields,
            parent: &path,
            depth: self.depth + 1,
            cx: self.cx,
        };
        let r = visitor.visit_map(&mut acc);
        let r = match r {
            Ok(v) if acc.left == 0 => Ok(v),
            Ok(_) => Err(de::Error::invalid_length(len, &"fewer elements in map")),
            Err(e) => Err(e),
        };
        self.locate(r)
    }
}

/// Every number width reads the same way: `number` hands the visitor the JSON number as it is, and
/// the visitor checks the range (so its error wording is serde_json's).
macro_rules! numbers_via_f64 {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            self.deserialize_f64(visitor)
        }
    )*};
}

impl<'de, 'a> de::Deserializer<'de> for De<'de, 'a> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.v {
            Value::Null => self.locate(visitor.visit_unit()),
            Value::Bool(b) => self.locate(visitor.visit_bool(*b)),
            Value::Number(n) => self.locate(number(n, visitor)),
            Value::String(s) => self.locate(visitor.visit_borrowed_str(s)),
            Value::Array(a) => self.seq(a, visitor),
            Value::Object(m) => self.map(m, None, visitor),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.v {
            Value::Bool(b) => self.locate(visitor.visit_bool(*b)),
            _ => Err(self.wrong_type(&visitor)),
        }
    }

    numbers_via_f64!(deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_f32);
    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.v {
            Value::Number(n) => self.locate(number(n, visitor)),
            _ => Err(self.wrong_type(&visitor)),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.v {
            Value::String(s) => self.locate(visitor.visit_borrowed_str(s)),
            _ => Err(self.wrong_type(&visitor)),
        }
    }
    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }
    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.v {
            Value::String(s) => self.locate(visitor.visit_borrowed_str(s)),
            Value::Array(a) => self.seq(a, visitor),
            _ => Err(self.wrong_type(&visitor)),
        }
    }
    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.v {
            Value::Null => self.locate(visitor.visit_none()),
            _ => self.locate(visitor.visit_some(self)),
        }
    }
    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.v {
            Value::Null => self.locate(visitor.visit_unit()),
            _ => Err(self.wrong_type(&visitor)),
        }
    }
    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.locate(visitor.visit_newtype_struct(self))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.v {
            Value::Array(a) => self.seq(a, visitor),
            _ => Err(self.wrong_type(&visitor)),
        }
    }
    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.v {
            Value::Object(m) => self.map(m, None, visitor),
            _ => Err(self.wrong_type(&visitor)),
        }
    }
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        // serde_json would also take a sequence for a struct (by field order); a Kubernetes object
        // is always a mapping, and refusing sequences keeps the per-struct sequence code out.
        match self.v {
            Value::Object(m) => self.map(m, Some(fields), visitor),
            _ => Err(self.wrong_type(&visitor)),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let (variant, value) = match self.v {
            Value::String(s) => (s.as_str(), None),
            Value::Object(m) => {
                let mut it = m.iter();
                match (it.next(), it.next()) {
                    (Some((k, v)), None) => (k.as_str(), Some(v)),
                    _ => {
                        return Err(self.locate_err(de::Error::invalid_value(
                            Unexpected::Map,
                            &"map with a single key",
                        )))
                    }
                }
            }
            _ => return Err(self.wrong_type(&"string or map")),
        };
        self.locate(visitor.visit_enum(EnumAcc {
            variant,
            value,
            de: self,
        }))
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.cx
            .ignored
            .borrow_mut()
            .push(self.cx.pointer(&self.path));
        visitor.visit_unit()
    }

    forward_to_deserialize_any! { i128 u128 }
}

struct SeqAcc<'de, 'a> {
    it: std::slice::Iter<'de, Value>,
    i: usize,
    parent: &'a Path<'a>,
    depth: usize,
    cx: &'a Cx<'a>,
}

impl<'de> de::SeqAccess<'de> for SeqAcc<'de, '_> {
    type Error = Error;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let Some(v) = self.it.next() else {
            return Ok(None);
        };
        let i = self.i;
        self.i += 1;
        seed.deserialize(De {
            v,
            path: Path::Seq(self.parent, i),
            depth: self.depth,
            cx: self.cx,
        })
        .map(Some)
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.it.len())
    }
}

struct MapAcc<'de, 'a> {
    it: serde_json::map::Iter<'de>,
    value: Option<(&'de str, &'de Value)>,
    /// Non-null entries not yet handed out.
    left: usize,
    /// A struct's field names, to report unknown keys whose value is null (and so skipped).
    fields: Option<&'static [&'static str]>,
    parent: &'a Path<'a>,
    depth: usize,
    cx: &'a Cx<'a>,
}

impl<'de> de::MapAccess<'de> for MapAcc<'de, '_> {
    type Error = Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        loop {
            let Some((k, v)) = self.it.next() else {
                return Ok(None);
            };
            if v.is_null() {
                if self.fields.is_some_and(|f| !f.contains(&k.as_str())) {
                    self.cx
                        .ignored
                        .borrow_mut()
                        .push(self.cx.pointer(&Path::Key(self.parent, k)));
                }
                continue;
            }
            self.left -= 1;
            self.value = Some((k, v));
            return seed
                .deserialize(de::value::BorrowedStrDeserializer::<Error>::new(k))
                .map(Some);
        }
    }
    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, Error> {
        let Some((k, v)) = self.value.take() else {
            return Err(de::Error::custom("value is missing"));
        };
        seed.deserialize(De {
            v,
            path: Path::Key(self.parent, k),
            depth: self.depth,
            cx: self.cx,
        })
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

struct EnumAcc<'de, 'a> {
    variant: &'de str,
    value: Option<&'de Value>,
    de: De<'de, 'a>,
}

impl<'de, 'a> de::EnumAccess<'de> for EnumAcc<'de, 'a> {
    type Error = Error;
    type Variant = VariantAcc<'de, 'a>;
    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Self::Variant), Error> {
        let v = seed.deserialize(de::value::BorrowedStrDeserializer::<Error>::new(
            self.variant,
        ))?;
        Ok((
            v,
            VariantAcc {
                value: self.value,
                de: self.de,
            },
        ))
    }
}

struct VariantAcc<'de, 'a> {
    value: Option<&'de Value>,
    de: De<'de, 'a>,
}

impl<'de> de::VariantAccess<'de> for VariantAcc<'de, '_> {
    type Error = Error;
    fn unit_variant(self) -> Result<(), Error> {
        match self.value {
            Some(v) => <() as de::Deserialize>::deserialize(De {
                v,
                depth: self.de.depth + 1,
                ..self.de
            }),
            None => Ok(()),
        }
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        match self.value {
            Some(v) => seed.deserialize(De {
                v,
                depth: self.de.depth + 1,
                ..self.de
            }),
            None => Err(de::Error::invalid_type(
                Unexpected::UnitVariant,
                &"newtype variant",
            )),
        }
    }
    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Some(v @ Value::Array(_)) => de::Deserializer::deserialize_seq(
                De {
                    v,
                    depth: self.de.depth + 1,
                    ..self.de
                },
                visitor,
            ),
            Some(v) => Err(de::Error::invalid_type(unexpected(v), &"tuple variant")),
            None => Err(de::Error::invalid_type(
                Unexpected::UnitVariant,
                &"tuple variant",
            )),
        }
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.value {
            Some(v @ Value::Object(_)) => de::Deserializer::deserialize_struct(
                De {
                    v,
                    depth: self.de.depth + 1,
                    ..self.de
                },
                "",
                fields,
                visitor,
            ),
            Some(v) => Err(de::Error::invalid_type(unexpected(v), &"struct variant")),
            None => Err(de::Error::invalid_type(
                Unexpected::UnitVariant,
                &"struct variant",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(rename_all = "camelCase")]
    struct Inner {
        name: String,
        #[serde(default)]
        port: Option<u16>,
        #[serde(default)]
        add: Vec<String>,
    }
    #[derive(Deserialize, Debug, PartialEq)]
    struct Outer {
        #[serde(default)]
        items: Vec<Inner>,
        #[serde(default)]
        labels: std::collections::BTreeMap<String, String>,
        #[serde(default)]
        mode: Option<Mode>,
    }
    #[derive(Deserialize, Debug, PartialEq)]
    enum Mode {
        Fast,
        Slow { by: u32 },
    }

    fn dec(v: Value) -> Result<(Outer, Vec<String>), (String, String)> {
        decode_value::<Outer>(&v, "/spec")
    }

    #[test]
    fn errors_carry_the_pointer_and_serde_json_wording() {
        let e =
            dec(json!({"items": [{"name": "a"}, {"name": "b", "port": "eighty"}]})).unwrap_err();
        assert_eq!(
            e,
            (
                "/spec/items/1/port".into(),
                "invalid type: string \"eighty\", expected u16".into()
            )
        );
        let e = dec(json!({"items": [{"port": 1}]})).unwrap_err();
        assert_eq!(e, ("/spec/items/0".into(), "missing field `name`".into()));
        let e = dec(json!({"items": [{"name": "a", "port": 70000}]})).unwrap_err();
        assert_eq!(e.1, "invalid value: integer `70000`, expected u16");
        let e = dec(json!({"items": "x"})).unwrap_err();
        assert_eq!(
            e,
            (
                "/spec/items".into(),
                "invalid type: string \"x\", expected a sequence".into()
            )
        );
        let e = dec(json!({"labels": {"a/b": 1}})).unwrap_err();
        assert_eq!(
            e,
            (
                "/spec/labels/a~1b".into(),
                "invalid type: integer `1`, expected a string".into()
            )
        );
        let e = dec(json!({"items": [{"name": "a", "port": 1.5}]})).unwrap_err();
        assert_eq!(e.1, "invalid type: floating point `1.5`, expected u16");
        let e = dec(json!({"mode": "Medium"})).unwrap_err();
        assert_eq!(
            e,
            (
                "/spec/mode".into(),
                "unknown variant `Medium`, expected `Fast` or `Slow`".into()
            )
        );
        let e = dec(json!(7)).unwrap_err();
        assert_eq!(
            e,
            (
                "/spec".into(),
                "invalid type: integer `7`, expected struct Outer".into()
            )
        );
    }

    #[test]
    fn nesting_past_the_limit_is_a_located_error() {
        let nest = |levels: usize| (0..levels).fold(json!(1), |v, _| Value::Array(vec![v]));
        assert!(decode_value::<Value>(&nest(MAX_DECODE_DEPTH), "").is_ok());
        let (ptr, msg) = decode_value::<Value>(&nest(MAX_DECODE_DEPTH + 1), "/spec").unwrap_err();
        assert_eq!(ptr, format!("/spec{}", "/0".repeat(MAX_DECODE_DEPTH)));
        assert!(msg.contains("nesting deeper than"), "{msg}");
    }

    #[test]
    fn unknown_fields_are_reported_as_pointers() {
        let (o, ign) =
            dec(json!({"items": [{"name": "a", "nmae": "x"}], "extra": {"deep": 1}, "typo": null}))
                .unwrap();
        assert_eq!(o.items[0].name, "a");
        assert_eq!(ign, vec!["/spec/items/0/nmae", "/spec/extra", "/spec/typo"]);
    }

    #[test]
    fn null_values_count_as_absent() {
        let (o, ign) = dec(json!({"items": null, "labels": {"a": "1", "b": null}})).unwrap();
        assert!(o.items.is_empty() && ign.is_empty());
        assert_eq!(o.labels.len(), 1);
        let (o, _) = dec(json!({"items": [{"name": "a", "add": null, "port": null}]})).unwrap();
        assert_eq!(
            o.items[0],
            Inner {
                name: "a".into(),
                port: None,
                add: vec![]
            }
        );
        let e = dec(json!({"items": [{"name": null}]})).unwrap_err();
        assert_eq!(e, ("/spec/items/0".into(), "missing field `name`".into()));
    }

    #[test]
    fn enums_decode_from_strings_and_single_key_maps() {
        assert_eq!(
            dec(json!({"mode": "Fast"})).unwrap().0.mode,
            Some(Mode::Fast)
        );
        assert_eq!(
            dec(json!({"mode": {"Slow": {"by": 2}}})).unwrap().0.mode,
            Some(Mode::Slow { by: 2 })
        );
        let e = dec(json!({"mode": {"Slow": {"by": "x"}}})).unwrap_err();
        assert_eq!(e.0, "/spec/mode/by");
    }
}
