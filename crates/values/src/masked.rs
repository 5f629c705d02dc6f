//! Typed masking for machine-readable outputs: [`Masked`] serialises any value with every
//! string in it (values and map keys) passed through [`crate::personal::redact`], and
//! everything else (numbers, booleans, nulls, the order and shape of fields) exactly as
//! the value's own `Serialize` gives it.
//!
//! Why not mask the serialised text: a pass over JSON text that replaces anything looking
//! like a personnummer also rewrites numbers (`13182.1234567890` held ten digits after the
//! point that read as one) and breaks the JSON. Masking here works on the typed values
//! before any text exists, so a number is never touched. (With serde_json's
//! `arbitrary_precision` feature numbers would travel as strings through `serialize_str`
//! and be masked like text; the workspace does not enable it, and the test below fails if
//! a number is ever touched.) Our own code, because serde has
//! no hook for rewriting strings in flight: this is a pass-through `Serializer` whose only
//! work is in `serialize_str` and `serialize_char`.

use serde::ser::{
    Serialize, SerializeMap, SerializeSeq, SerializeStruct, SerializeStructVariant, SerializeTuple,
    SerializeTupleStruct, SerializeTupleVariant, Serializer,
};

/// A value that serialises with every string masked ([`crate::personal::redact`]).
pub struct Masked<'a, T: ?Sized>(pub &'a T);

impl<T: Serialize + ?Sized> Serialize for Masked<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(Masking(s))
    }
}

/// The pass-through serializer behind [`Masked`].
struct Masking<S>(S);

/// The compound serializers of [`Masking`]: each element, key and field wrapped in
/// [`Masked`].
struct Compound<C>(C);

macro_rules! forward {
    ($($name:ident($t:ty)),* $(,)?) => {
        $(fn $name(self, v: $t) -> Result<S::Ok, S::Error> {
            self.0.$name(v)
        })*
    };
}

impl<S: Serializer> Serializer for Masking<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Compound<S::SerializeSeq>;
    type SerializeTuple = Compound<S::SerializeTuple>;
    type SerializeTupleStruct = Compound<S::SerializeTupleStruct>;
    type SerializeTupleVariant = Compound<S::SerializeTupleVariant>;
    type SerializeMap = Compound<S::SerializeMap>;
    type SerializeStruct = Compound<S::SerializeStruct>;
    type SerializeStructVariant = Compound<S::SerializeStructVariant>;

    forward!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_i128(i128),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_u128(u128),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_bytes(&[u8]),
    );

    fn serialize_char(self, v: char) -> Result<S::Ok, S::Error> {
        self.0.serialize_char(v)
    }
    fn serialize_str(self, v: &str) -> Result<S::Ok, S::Error> {
        self.0.serialize_str(&crate::personal::redact(v))
    }
    fn serialize_none(self) -> Result<S::Ok, S::Error> {
        self.0.serialize_none()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<S::Ok, S::Error> {
        self.0.serialize_some(&Masked(v))
    }
    fn serialize_unit(self) -> Result<S::Ok, S::Error> {
        self.0.serialize_unit()
    }
    fn serialize_unit_struct(self, name: &'static str) -> Result<S::Ok, S::Error> {
        self.0.serialize_unit_struct(name)
    }
    fn serialize_unit_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
    ) -> Result<S::Ok, S::Error> {
        self.0.serialize_unit_variant(name, index, variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        v: &T,
    ) -> Result<S::Ok, S::Error> {
        self.0.serialize_newtype_struct(name, &Masked(v))
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<S::Ok, S::Error> {
        self.0
            .serialize_newtype_variant(name, index, variant, &Masked(v))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, S::Error> {
        self.0.serialize_seq(len).map(Compound)
    }
    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, S::Error> {
        self.0.serialize_tuple(len).map(Compound)
    }
    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, S::Error> {
        self.0.serialize_tuple_struct(name, len).map(Compound)
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, S::Error> {
        self.0
            .serialize_tuple_variant(name, index, variant, len)
            .map(Compound)
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        self.0.serialize_map(len).map(Compound)
    }
    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, S::Error> {
        self.0.serialize_struct(name, len).map(Compound)
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, S::Error> {
        self.0
            .serialize_struct_variant(name, index, variant, len)
            .map(Compound)
    }
    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

macro_rules! elements {
    ($tr:ident, $method:ident) => {
        impl<C: $tr> $tr for Compound<C> {
            type Ok = C::Ok;
            type Error = C::Error;
            fn $method<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), C::Error> {
                self.0.$method(&Masked(v))
            }
            fn end(self) -> Result<C::Ok, C::Error> {
                self.0.end()
            }
        }
    };
}
elements!(SerializeSeq, serialize_element);
elements!(SerializeTuple, serialize_element);
elements!(SerializeTupleStruct, serialize_field);
elements!(SerializeTupleVariant, serialize_field);

macro_rules! fields {
    ($tr:ident) => {
        impl<C: $tr> $tr for Compound<C> {
            type Ok = C::Ok;
            type Error = C::Error;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                v: &T,
            ) -> Result<(), C::Error> {
                self.0.serialize_field(key, &Masked(v))
            }
            fn skip_field(&mut self, key: &'static str) -> Result<(), C::Error> {
                self.0.skip_field(key)
            }
            fn end(self) -> Result<C::Ok, C::Error> {
                self.0.end()
            }
        }
    };
}
fields!(SerializeStruct);
fields!(SerializeStructVariant);

impl<C: SerializeMap> SerializeMap for Compound<C> {
    type Ok = C::Ok;
    type Error = C::Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<(), C::Error> {
        self.0.serialize_key(&Masked(k))
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), C::Error> {
        self.0.serialize_value(&Masked(v))
    }
    fn end(self) -> Result<C::Ok, C::Error> {
        self.0.end()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::Masked;
    use serde::Serialize;
    use std::collections::BTreeMap;

    #[derive(Serialize)]
    struct Row {
        stratum: String,
        weight: f64,
        n: u64,
        note: Option<String>,
        values: BTreeMap<String, String>,
        tags: Vec<String>,
        pair: (String, f64),
    }

    #[test]
    fn strings_are_masked_and_numbers_and_order_are_not() {
        let mut values = BTreeMap::new();
        values.insert(
            "811218-9876".to_string(),
            "19811218\u{2013}9876".to_string(),
        );
        let row = Row {
            stratum: "grp 198112189876".to_string(),
            weight: 13_182.811_218_987_6,
            n: 8_112_189_876,
            note: Some("K198112189876".to_string()),
            values,
            tags: vec!["0180".to_string(), "811218 9876".to_string()],
            pair: ("x".to_string(), 0.25),
        };
        let plain = serde_json::to_string(&row).unwrap();
        let masked = serde_json::to_string(&Masked(&row)).unwrap();
        assert_eq!(
            masked,
            r#"{"stratum":"grp <personal>","weight":13182.8112189876,"n":8112189876,"note":"K<personal>","values":{"<personal>":"<personal>"},"tags":["0180","<personal>"],"pair":["x",0.25]}"#
        );
        // Without personal data the output is the value's own, byte for byte.
        let clean = Row {
            stratum: "0180".to_string(),
            weight: 2.5,
            n: 3,
            note: None,
            values: BTreeMap::new(),
            tags: vec![],
            pair: ("y".to_string(), 1.0),
        };
        assert_eq!(
            serde_json::to_string_pretty(&Masked(&clean)).unwrap(),
            serde_json::to_string_pretty(&clean).unwrap()
        );
        assert_ne!(plain, masked);
        let v: serde_json::Value = serde_json::from_str(&masked).unwrap();
        assert_eq!(v["weight"].as_f64(), Some(13_182.811_218_987_6));
    }
}
