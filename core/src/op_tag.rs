//! The `{"op": "set_capacity", "channel": "jobs", "capacity": 5}` form of an
//! enum whose variants all have named fields: the variant's name under
//! `op`, its fields beside it, in any order.
//!
//! This is serde's internally tagged representation (`#[serde(tag = "op")]`)
//! without serde's machinery for reading it. That machinery reads the object
//! into a buffer of its own (`Content`) and converts from there, which
//! compiles a second copy of every deserializer a variant reaches (for
//! [`Command`](crate::command::Command), the whole goroutine program): 35 KB
//! gzip of the wasm module (614 KB against 579 KB, measured 2026-12-05).
//!
//! Instead the enum derives serde's default, externally tagged form under
//! `#[serde(remote = "Self")]`, which makes the derived code two inherent
//! functions rather than trait impls, and its trait impls adapt them:
//! - [`serialize`] gives the derived code a serializer that writes a struct
//!   variant as a struct whose first field is `op`;
//! - [`deserialize`] reads the object's members as raw JSON text, takes the
//!   variant's name from `op`, and gives the derived code that variant with
//!   the other members as its fields. Each field's value is read from its
//!   text by serde_json, through the same compiled deserializers as
//!   everywhere else.
//!
//! Errors read as serde's own ("unknown variant", "missing field `op`",
//! "unknown field", "invalid type"). One in a field's value is reported
//! just after the object, as before: values are converted once the whole
//! object has been read, so it names the object, not the field.

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};
use serde::ser::{self, Impossible, SerializeStruct};
use serde::{Deserializer, Serializer};
use serde_json::value::RawValue;
use std::fmt;

/// The name of the member that holds the variant.
const TAG: &str = "op";

/// Writes `value` through its derived, externally tagged `external`
/// serializer, as `{"op": variant, fields...}`.
pub fn serialize<T, S: Serializer>(value: &T, serializer: S, external: External<T, S>) -> Result<S::Ok, S::Error> {
    external(value, OpTagger(serializer))
}

/// The derived, externally tagged serializer of `T`, over [`OpTagger`].
pub type External<T, S> = fn(&T, OpTagger<S>) -> Result<<S as Serializer>::Ok, <S as Serializer>::Error>;

/// Reads `{"op": variant, fields...}` through the derived, externally
/// tagged `external` deserializer; `expecting` says what the object is ("a
/// command") when the value is not an object at all.
/// (`external` is the derived function, as a closure over `Tagged<'_>` so
/// that it takes any lifetime.)
pub fn deserialize<'de, T, D, F>(deserializer: D, expecting: &'static str, external: F) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    F: for<'a> FnOnce(Tagged<'a>) -> Result<T, serde_json::Error>,
{
    deserializer.deserialize_map(Members { expecting, external, value: std::marker::PhantomData })
}

/// Reads the members of the object; converts once all are read.
struct Members<T, F> {
    expecting: &'static str,
    external: F,
    value: std::marker::PhantomData<T>,
}

impl<'de, T, F: for<'a> FnOnce(Tagged<'a>) -> Result<T, serde_json::Error>> Visitor<'de> for Members<T, F> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut op = None;
        let mut fields = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == TAG {
                if op.is_some() {
                    return Err(de::Error::duplicate_field(TAG));
                }
                op = Some(map.next_value::<String>()?);
            } else {
                fields.push((key, map.next_value::<Box<RawValue>>()?));
            }
        }
        let op = op.ok_or_else(|| de::Error::missing_field(TAG))?;
        // The message without serde_json's position in the value's own
        // text: the caller's deserializer places it in the whole text.
        (self.external)(Tagged { op: &op, fields: fields.iter() }).map_err(|e| {
            let message = e.to_string();
            let suffix = format!(" at line {} column {}", e.line(), e.column());
            de::Error::custom(message.strip_suffix(&suffix).unwrap_or(&message))
        })
    }
}

/// An object read as its variant's name and its other members' raw text:
/// a deserializer of the externally tagged form `{variant: {fields...}}`.
#[derive(Debug)]
pub struct Tagged<'a> {
    op: &'a str,
    fields: std::slice::Iter<'a, (String, Box<RawValue>)>,
}

impl Tagged<'_> {
    /// The variant's name, as `op` gave it.
    pub fn op(&self) -> &str {
        self.op
    }
}

impl<'de> Deserializer<'de> for Tagged<'de> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_enum(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

impl<'de> de::EnumAccess<'de> for Tagged<'de> {
    type Error = serde_json::Error;
    type Variant = Fields<'de>;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Fields<'de>), Self::Error> {
        let variant = seed.deserialize(self.op.into_deserializer())?;
        Ok((variant, Fields { rest: self.fields, value: None }))
    }
}

/// A variant's fields: the object's members other than `op`.
#[derive(Debug)]
pub struct Fields<'a> {
    rest: std::slice::Iter<'a, (String, Box<RawValue>)>,
    value: Option<&'a RawValue>,
}

impl<'de> de::VariantAccess<'de> for Fields<'de> {
    type Error = serde_json::Error;

    fn unit_variant(mut self) -> Result<(), Self::Error> {
        match self.rest.next() {
            None => Ok(()),
            Some((key, _)) => Err(de::Error::custom(format!("unknown field `{key}`, there are none"))),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _seed: T) -> Result<T::Value, Self::Error> {
        Err(de::Error::custom("an op-tagged variant has named fields"))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _visitor: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("an op-tagged variant has named fields"))
    }

    fn struct_variant<V: Visitor<'de>>(self, _fields: &'static [&'static str], visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_map(self)
    }
}

impl<'de> MapAccess<'de> for Fields<'de> {
    type Error = serde_json::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Self::Error> {
        match self.rest.next() {
            Some((key, value)) => {
                self.value = Some(value);
                seed.deserialize(key.as_str().into_deserializer()).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Self::Error> {
        let raw = self.value.take().ok_or_else(|| de::Error::custom("a value without its key"))?;
        // The same deserializer type as the caller's (over a `&str`), so
        // the field's deserializer is the one compiled copy.
        let mut de = serde_json::Deserializer::from_str(raw.get());
        let value = seed.deserialize(&mut de)?;
        de.end()?;
        Ok(value)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.rest.len())
    }
}

/// A serializer that writes a struct variant as a struct with `op` first.
#[derive(Debug)]
pub struct OpTagger<S>(S);

/// The fields of a struct variant, written as the struct's.
#[derive(Debug)]
pub struct TaggedFields<S: SerializeStruct>(S);

impl<S: SerializeStruct> ser::SerializeStructVariant for TaggedFields<S> {
    type Ok = S::Ok;
    type Error = S::Error;

    fn serialize_field<T: ?Sized + serde::Serialize>(&mut self, key: &'static str, value: &T) -> Result<(), S::Error> {
        self.0.serialize_field(key, value)
    }

    fn skip_field(&mut self, key: &'static str) -> Result<(), S::Error> {
        self.0.skip_field(key)
    }

    fn end(self) -> Result<S::Ok, S::Error> {
        self.0.end()
    }
}

/// Every serializer method but the variants': an op-tagged enum has only
/// variants, so these are never called by its derived code.
macro_rules! not_a_variant {
    ($($method:ident($($arg:ty),*) -> $ok:ty),* $(,)?) => {
        $(fn $method(self, $(_: $arg),*) -> Result<$ok, S::Error> {
            Err(ser::Error::custom("an op-tagged value is an enum variant with named fields"))
        })*
    };
}

impl<S: Serializer> Serializer for OpTagger<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Impossible<S::Ok, S::Error>;
    type SerializeTuple = Impossible<S::Ok, S::Error>;
    type SerializeTupleStruct = Impossible<S::Ok, S::Error>;
    type SerializeTupleVariant = Impossible<S::Ok, S::Error>;
    type SerializeMap = Impossible<S::Ok, S::Error>;
    type SerializeStruct = Impossible<S::Ok, S::Error>;
    type SerializeStructVariant = TaggedFields<S::SerializeStruct>;

    not_a_variant! {
        serialize_bool(bool) -> S::Ok, serialize_i8(i8) -> S::Ok, serialize_i16(i16) -> S::Ok,
        serialize_i32(i32) -> S::Ok, serialize_i64(i64) -> S::Ok, serialize_u8(u8) -> S::Ok,
        serialize_u16(u16) -> S::Ok, serialize_u32(u32) -> S::Ok, serialize_u64(u64) -> S::Ok,
        serialize_f32(f32) -> S::Ok, serialize_f64(f64) -> S::Ok, serialize_char(char) -> S::Ok,
        serialize_str(&str) -> S::Ok, serialize_bytes(&[u8]) -> S::Ok, serialize_none() -> S::Ok,
        serialize_unit() -> S::Ok, serialize_unit_struct(&'static str) -> S::Ok,
        serialize_seq(Option<usize>) -> Self::SerializeSeq,
        serialize_tuple(usize) -> Self::SerializeTuple,
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct,
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant,
        serialize_map(Option<usize>) -> Self::SerializeMap,
        serialize_struct(&'static str, usize) -> Self::SerializeStruct,
    }

    fn serialize_some<T: ?Sized + serde::Serialize>(self, _: &T) -> Result<S::Ok, S::Error> {
        Err(ser::Error::custom("an op-tagged value is an enum variant with named fields"))
    }

    fn serialize_newtype_struct<T: ?Sized + serde::Serialize>(self, _: &'static str, _: &T) -> Result<S::Ok, S::Error> {
        Err(ser::Error::custom("an op-tagged value is an enum variant with named fields"))
    }

    fn serialize_newtype_variant<T: ?Sized + serde::Serialize>(self, _: &'static str, _: u32, _: &'static str, _: &T) -> Result<S::Ok, S::Error> {
        Err(ser::Error::custom("an op-tagged value is an enum variant with named fields"))
    }

    fn serialize_unit_variant(self, name: &'static str, _: u32, variant: &'static str) -> Result<S::Ok, S::Error> {
        let mut s = self.0.serialize_struct(name, 1)?;
        s.serialize_field(TAG, variant)?;
        s.end()
    }

    fn serialize_struct_variant(self, name: &'static str, _: u32, variant: &'static str, len: usize) -> Result<Self::SerializeStructVariant, S::Error> {
        let mut s = self.0.serialize_struct(name, len + 1)?;
        s.serialize_field(TAG, variant)?;
        Ok(TaggedFields(s))
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    /// An op-tagged enum (`Ours`) and its twin with serde's own
    /// `tag = "op"` (`Serdes`), from one body: both must read and write the
    /// same JSON the same way.
    macro_rules! twins {
        ($($body:tt)*) => {
            #[derive(Debug, PartialEq, Serialize, Deserialize)]
            #[serde(remote = "Self", rename_all = "snake_case", deny_unknown_fields)]
            enum Ours { $($body)* }

            #[derive(Debug, PartialEq, Serialize, Deserialize)]
            #[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
            enum Serdes { $($body)* }
        };
    }

    twins! {
        SetCapacity { channel: String, capacity: u32 },
        SetRates {
            group: String,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            interval: Option<String>,
        },
        Nested { inner: Vec<Option<u8>> },
    }

    impl Serialize for Ours {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            super::serialize(self, s, Ours::serialize)
        }
    }

    impl<'de> Deserialize<'de> for Ours {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            super::deserialize(d, "an object with an op", |t: super::Tagged<'_>| Ours::deserialize(t))
        }
    }

    fn message(e: serde_json::Error) -> String {
        let m = e.to_string();
        m.split(" at line ").next().unwrap_or_default().to_owned()
    }

    #[test]
    fn reads_and_writes_as_serdes_internally_tagged_form() {
        for text in [
            r#"{"op":"set_capacity","channel":"jobs","capacity":5}"#,
            r#"{"channel":"jobs","capacity":5,"op":"set_capacity"}"#,
            r#"{"capacity":5,"op":"set_capacity","channel":"j\"obs"}"#,
            r#"{"op":"set_rates","group":"g"}"#,
            r#"{"op":"set_rates","group":"g","interval":"1s"}"#,
            r#"{ "op" : "nested" , "inner" : [1, null, 3] }"#,
        ] {
            let ours: Ours = serde_json::from_str(text).unwrap();
            let theirs: Serdes = serde_json::from_str(text).unwrap();
            assert_eq!(serde_json::to_string(&ours).unwrap(), serde_json::to_string(&theirs).unwrap(), "{text}");
            let again: Ours = serde_json::from_str(&serde_json::to_string(&ours).unwrap()).unwrap();
            assert_eq!(again, ours);
        }
    }

    #[test]
    fn refuses_what_serde_refuses_with_its_words() {
        for text in [
            r#"{"op":"explode"}"#,
            r#"{"channel":"jobs","capacity":5}"#,
            r#"{"op":"set_capacity","channel":"jobs"}"#,
            r#"{"op":"set_capacity","channel":"jobs","capacity":5,"extra":1}"#,
            r#"{"op":"set_capacity","channel":"jobs","capacity":"five"}"#,
            r#"{"op":"set_capacity","channel":"jobs","capacity":-1}"#,
            r#"{"op":"set_capacity","channel":"jobs","channel":"x","capacity":5}"#,
            r#"{"op":"nested","inner":[1,"x"]}"#,
        ] {
            let ours = serde_json::from_str::<Ours>(text).unwrap_err();
            let theirs = serde_json::from_str::<Serdes>(text).unwrap_err();
            assert_eq!(message(ours), message(theirs), "{text}");
        }
        // Only the outermost kind of error differs: serde names its
        // buffering ("internally tagged enum"), ours what is expected.
        let e = serde_json::from_str::<Ours>(r#""set_capacity""#).unwrap_err().to_string();
        assert!(e.starts_with("invalid type: string \"set_capacity\", expected an object with an op"), "{e}");
        let e = serde_json::from_str::<Ours>(r#"{"op":"set_rates","op":"set_rates","group":"g"}"#).unwrap_err().to_string();
        assert!(e.starts_with("duplicate field `op`"), "{e}");
        let e = serde_json::from_str::<Ours>(r#"{"op":5}"#).unwrap_err().to_string();
        assert!(e.starts_with("invalid type: integer `5`, expected a string"), "{e}");
    }

    #[test]
    fn a_syntax_error_keeps_its_exact_position() {
        let e = serde_json::from_str::<Ours>("{\"op\":\"set_capacity\",\n\"channel\": [1,,2]}").unwrap_err();
        assert_eq!((e.line(), e.column()), (2, 15), "{e}");
    }
}
