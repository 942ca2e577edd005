//! A `serde::Serializer` that produces a [`Value`] directly (no JSON detour).

use std::collections::BTreeMap;

use serde::ser::{self, Serialize};

use super::{Value, MAX_VALUE_DEPTH};
use crate::error::ValueError;

impl ser::Error for ValueError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        ValueError::Custom(msg.to_string())
    }
}

#[derive(Clone, Copy)]
pub(super) struct ValueSerializer {
    pub(super) depth: usize,
}

impl ValueSerializer {
    fn nested(self) -> Result<Self, ValueError> {
        if self.depth >= MAX_VALUE_DEPTH {
            return Err(ValueError::TooDeep);
        }
        Ok(Self {
            depth: self.depth + 1,
        })
    }
}

fn tagged(variant: &str, v: Value) -> Value {
    let mut m = BTreeMap::new();
    m.insert(variant.to_owned(), v);
    Value::Map(m)
}

pub(super) struct SeqSer {
    ser: ValueSerializer,
    items: Vec<Value>,
    variant: Option<&'static str>,
}

pub(super) struct MapSer {
    ser: ValueSerializer,
    map: BTreeMap<String, Value>,
    key: Option<String>,
    variant: Option<&'static str>,
}

impl ser::Serializer for ValueSerializer {
    type Ok = Value;
    type Error = ValueError;
    type SerializeSeq = SeqSer;
    type SerializeTuple = SeqSer;
    type SerializeTupleStruct = SeqSer;
    type SerializeTupleVariant = SeqSer;
    type SerializeMap = MapSer;
    type SerializeStruct = MapSer;
    type SerializeStructVariant = MapSer;

    fn serialize_bool(self, v: bool) -> Result<Value, ValueError> {
        Ok(Value::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Value, ValueError> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_i16(self, v: i16) -> Result<Value, ValueError> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_i32(self, v: i32) -> Result<Value, ValueError> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_i64(self, v: i64) -> Result<Value, ValueError> {
        Ok(Value::Int(v))
    }
    fn serialize_i128(self, v: i128) -> Result<Value, ValueError> {
        i64::try_from(v)
            .map(Value::Int)
            .map_err(|_| ValueError::IntegerOutOfRange)
    }
    fn serialize_u8(self, v: u8) -> Result<Value, ValueError> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_u16(self, v: u16) -> Result<Value, ValueError> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_u32(self, v: u32) -> Result<Value, ValueError> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_u64(self, v: u64) -> Result<Value, ValueError> {
        Value::try_from(v)
    }
    fn serialize_u128(self, v: u128) -> Result<Value, ValueError> {
        i64::try_from(v)
            .map(Value::Int)
            .map_err(|_| ValueError::IntegerOutOfRange)
    }
    fn serialize_f32(self, v: f32) -> Result<Value, ValueError> {
        Ok(Value::Float(v.into()))
    }
    fn serialize_f64(self, v: f64) -> Result<Value, ValueError> {
        Ok(Value::Float(v))
    }
    fn serialize_char(self, v: char) -> Result<Value, ValueError> {
        Ok(Value::Text(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Value, ValueError> {
        Ok(Value::Text(v.to_owned()))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Value, ValueError> {
        Ok(Value::Bytes(v.to_vec()))
    }
    fn serialize_none(self) -> Result<Value, ValueError> {
        Ok(Value::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<Value, ValueError> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value, ValueError> {
        Ok(Value::Null)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Value, ValueError> {
        Ok(Value::Null)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Value, ValueError> {
        Ok(Value::Text(variant.to_owned()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<Value, ValueError> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<Value, ValueError> {
        Ok(tagged(variant, v.serialize(self.nested()?)?))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqSer, ValueError> {
        Ok(SeqSer {
            ser: self.nested()?,
            items: Vec::with_capacity(len.unwrap_or(0).min(256)),
            variant: None,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqSer, ValueError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<SeqSer, ValueError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<SeqSer, ValueError> {
        let mut s = self.nested()?.serialize_seq(Some(len))?;
        s.variant = Some(variant);
        Ok(s)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<MapSer, ValueError> {
        Ok(MapSer {
            ser: self.nested()?,
            map: BTreeMap::new(),
            key: None,
            variant: None,
        })
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<MapSer, ValueError> {
        self.serialize_map(None)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<MapSer, ValueError> {
        let mut m = self.nested()?.serialize_map(None)?;
        m.variant = Some(variant);
        Ok(m)
    }
}

impl SeqSer {
    fn push<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), ValueError> {
        self.items.push(v.serialize(self.ser)?);
        Ok(())
    }
    fn done(self) -> Result<Value, ValueError> {
        let l = Value::List(self.items);
        Ok(match self.variant {
            Some(var) => tagged(var, l),
            None => l,
        })
    }
}

impl ser::SerializeSeq for SeqSer {
    type Ok = Value;
    type Error = ValueError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), ValueError> {
        self.push(v)
    }
    fn end(self) -> Result<Value, ValueError> {
        self.done()
    }
}

impl ser::SerializeTuple for SeqSer {
    type Ok = Value;
    type Error = ValueError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), ValueError> {
        self.push(v)
    }
    fn end(self) -> Result<Value, ValueError> {
        self.done()
    }
}

impl ser::SerializeTupleStruct for SeqSer {
    type Ok = Value;
    type Error = ValueError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), ValueError> {
        self.push(v)
    }
    fn end(self) -> Result<Value, ValueError> {
        self.done()
    }
}

impl ser::SerializeTupleVariant for SeqSer {
    type Ok = Value;
    type Error = ValueError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), ValueError> {
        self.push(v)
    }
    fn end(self) -> Result<Value, ValueError> {
        self.done()
    }
}

/// Serializes map keys: only text (and chars) are accepted.
struct KeySerializer;

impl MapSer {
    fn done(self) -> Result<Value, ValueError> {
        let m = Value::Map(self.map);
        Ok(match self.variant {
            Some(var) => tagged(var, m),
            None => m,
        })
    }
    fn field<T: Serialize + ?Sized>(&mut self, k: &str, v: &T) -> Result<(), ValueError> {
        self.map.insert(k.to_owned(), v.serialize(self.ser)?);
        Ok(())
    }
}

impl ser::SerializeMap for MapSer {
    type Ok = Value;
    type Error = ValueError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<(), ValueError> {
        self.key = Some(k.serialize(KeySerializer)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), ValueError> {
        let k = self
            .key
            .take()
            .ok_or_else(|| ValueError::Custom("map value without key".into()))?;
        self.field(&k, v)
    }
    fn end(self) -> Result<Value, ValueError> {
        self.done()
    }
}

impl ser::SerializeStruct for MapSer {
    type Ok = Value;
    type Error = ValueError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        k: &'static str,
        v: &T,
    ) -> Result<(), ValueError> {
        self.field(k, v)
    }
    fn end(self) -> Result<Value, ValueError> {
        self.done()
    }
}

impl ser::SerializeStructVariant for MapSer {
    type Ok = Value;
    type Error = ValueError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        k: &'static str,
        v: &T,
    ) -> Result<(), ValueError> {
        self.field(k, v)
    }
    fn end(self) -> Result<Value, ValueError> {
        self.done()
    }
}

macro_rules! key_reject {
    ($($name:ident($($t:ty),*)),* $(,)?) => {$(
        fn $name(self, $(_: $t),*) -> Result<String, ValueError> { Err(ValueError::NonTextKey) }
    )*};
}

impl ser::Serializer for KeySerializer {
    type Ok = String;
    type Error = ValueError;
    type SerializeSeq = ser::Impossible<String, ValueError>;
    type SerializeTuple = ser::Impossible<String, ValueError>;
    type SerializeTupleStruct = ser::Impossible<String, ValueError>;
    type SerializeTupleVariant = ser::Impossible<String, ValueError>;
    type SerializeMap = ser::Impossible<String, ValueError>;
    type SerializeStruct = ser::Impossible<String, ValueError>;
    type SerializeStructVariant = ser::Impossible<String, ValueError>;

    fn serialize_str(self, v: &str) -> Result<String, ValueError> {
        Ok(v.to_owned())
    }
    fn serialize_char(self, v: char) -> Result<String, ValueError> {
        Ok(v.to_string())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<String, ValueError> {
        Ok(variant.to_owned())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<String, ValueError> {
        v.serialize(self)
    }
    key_reject!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_bytes(&[u8]),
        serialize_none(),
        serialize_unit(),
        serialize_unit_struct(&'static str),
    );
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<String, ValueError> {
        Err(ValueError::NonTextKey)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<String, ValueError> {
        Err(ValueError::NonTextKey)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, ValueError> {
        Err(ValueError::NonTextKey)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, ValueError> {
        Err(ValueError::NonTextKey)
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, ValueError> {
        Err(ValueError::NonTextKey)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, ValueError> {
        Err(ValueError::NonTextKey)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, ValueError> {
        Err(ValueError::NonTextKey)
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, ValueError> {
        Err(ValueError::NonTextKey)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, ValueError> {
        Err(ValueError::NonTextKey)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize)]
    struct Args<'a> {
        path: &'a str,
        size: u32,
        tags: Vec<&'a str>,
        mode: Mode,
        opt: Option<i32>,
    }

    #[derive(serde::Serialize)]
    enum Mode {
        Read,
    }

    #[test]
    fn struct_to_map() {
        let v = Value::from_serialize(&Args {
            path: "/data/x",
            size: 7,
            tags: vec!["a"],
            mode: Mode::Read,
            opt: None,
        })
        .unwrap();
        assert_eq!(
            v,
            Value::map([
                ("path", Value::from("/data/x")),
                ("size", Value::Int(7)),
                ("tags", Value::list(["a"])),
                ("mode", Value::from("Read")),
                ("opt", Value::Null),
            ])
        );
    }

    #[test]
    fn refuses_big_u64_and_non_text_keys() {
        assert_eq!(
            Value::from_serialize(&u64::MAX),
            Err(ValueError::IntegerOutOfRange)
        );
        let mut m = std::collections::BTreeMap::new();
        m.insert(1u8, 2u8);
        assert_eq!(Value::from_serialize(&m), Err(ValueError::NonTextKey));
    }

    #[test]
    fn depth_is_bounded() {
        let mut v = serde_json::json!(1);
        for _ in 0..40 {
            v = serde_json::json!([v]);
        }
        assert_eq!(Value::from_serialize(&v), Err(ValueError::TooDeep));
    }
}
