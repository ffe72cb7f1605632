//! `reject_serialize!`: the serde `Serializer` methods a serializer does not accept,
//! each returning the same error. One list of method shapes serves every
//! restricted serializer of the crate (params, member names, dateTime text).

/// Expands to the named `serialize_*` methods, each returning `Err($err)`.
///
/// Usage inside an `impl serde::Serializer`: `reject_serialize!(make_error(); bool, f64, seq);`
/// where each name is a method suffix (`bool` → `serialize_bool`).
macro_rules! reject_serialize {
    ($err:expr; $($m:ident),* $(,)?) => {
        $( reject_serialize!(@one $err; $m); )*
    };
    (@one $err:expr; bool) => { fn serialize_bool(self, _: bool) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@one $err:expr; i8) => { fn serialize_i8(self, _: i8) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@one $err:expr; i16) => { fn serialize_i16(self, _: i16) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@one $err:expr; i32) => { fn serialize_i32(self, _: i32) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@one $err:expr; i64) => { fn serialize_i64(self, _: i64) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@one $err:expr; u8) => { fn serialize_u8(self, _: u8) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@one $err:expr; u16) => { fn serialize_u16(self, _: u16) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@one $err:expr; u32) => { fn serialize_u32(self, _: u32) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@one $err:expr; u64) => { fn serialize_u64(self, _: u64) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@one $err:expr; f32) => { fn serialize_f32(self, _: f32) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@one $err:expr; f64) => { fn serialize_f64(self, _: f64) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@one $err:expr; char) => { fn serialize_char(self, _: char) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@one $err:expr; str) => { fn serialize_str(self, _: &str) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@one $err:expr; bytes) => { fn serialize_bytes(self, _: &[u8]) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@one $err:expr; none) => { fn serialize_none(self) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@one $err:expr; some) => {
        fn serialize_some<T: serde::Serialize + ?Sized>(self, _: &T) -> Result<Self::Ok, Self::Error> { Err($err) }
    };
    (@one $err:expr; unit) => { fn serialize_unit(self) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@one $err:expr; unit_struct) => {
        fn serialize_unit_struct(self, _: &'static str) -> Result<Self::Ok, Self::Error> { Err($err) }
    };
    (@one $err:expr; unit_variant) => {
        fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<Self::Ok, Self::Error> {
            Err($err)
        }
    };
    (@one $err:expr; newtype_struct) => {
        fn serialize_newtype_struct<T: serde::Serialize + ?Sized>(self, _: &'static str, _: &T) -> Result<Self::Ok, Self::Error> {
            Err($err)
        }
    };
    (@one $err:expr; newtype_variant) => {
        fn serialize_newtype_variant<T: serde::Serialize + ?Sized>(
            self, _: &'static str, _: u32, _: &'static str, _: &T,
        ) -> Result<Self::Ok, Self::Error> {
            Err($err)
        }
    };
    (@one $err:expr; seq) => {
        fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Self::Error> { Err($err) }
    };
    (@one $err:expr; tuple) => {
        fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Self::Error> { Err($err) }
    };
    (@one $err:expr; tuple_struct) => {
        fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct, Self::Error> {
            Err($err)
        }
    };
    (@one $err:expr; tuple_variant) => {
        fn serialize_tuple_variant(
            self, _: &'static str, _: u32, _: &'static str, _: usize,
        ) -> Result<Self::SerializeTupleVariant, Self::Error> {
            Err($err)
        }
    };
    (@one $err:expr; map) => {
        fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Self::Error> { Err($err) }
    };
    (@one $err:expr; struct) => {
        fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Self::Error> { Err($err) }
    };
    (@one $err:expr; struct_variant) => {
        fn serialize_struct_variant(
            self, _: &'static str, _: u32, _: &'static str, _: usize,
        ) -> Result<Self::SerializeStructVariant, Self::Error> {
            Err($err)
        }
    };
}
