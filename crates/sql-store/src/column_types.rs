//! The column types whose representation differs between engines, mapped once.
//!
//! | SQL type | PostgreSQL | SQLite | Rust |
//! | --- | --- | --- | --- |
//! | [`Instant`] | `timestamptz` | `BIGINT`, microseconds since 1970 | [`At`] |
//! | [`Document`] | `json` (kept as written) | `TEXT` | [`JsonText`] |
//!
//! Everything else is `TEXT`, `BIGINT` or `INTEGER` on both.

use std::io::Write;

use diesel::backend::Backend as DieselBackend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::Pg;
use diesel::query_builder::QueryId;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::{BigInt, HasSqlType, SqlType, Text};
use diesel::sqlite::Sqlite;
use domain::Timestamp;
use ports::StoreError;
use serde::Serialize;

use crate::connection::MultiBackend;

/// An instant, to the microsecond.
#[derive(Debug, Clone, Copy, SqlType, QueryId)]
#[diesel(postgres_type(oid = 1184, array_oid = 1185))]
#[diesel(sqlite_type(name = "Long"))]
pub struct Instant;

/// A JSON document, stored as the text it was written as, so every number reads back
/// exactly as it was written.
#[derive(Debug, Clone, Copy, SqlType, QueryId)]
#[diesel(postgres_type(oid = 114, array_oid = 199))]
#[diesel(sqlite_type(name = "Text"))]
pub struct Document;

/// A [`Timestamp`] in an [`Instant`] column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, AsExpression, FromSqlRow)]
#[diesel(sql_type = Instant)]
pub struct At(pub Timestamp);

/// The text of a JSON document in a [`Document`] column.
#[derive(Debug, Clone, PartialEq, Eq, AsExpression, FromSqlRow)]
#[diesel(sql_type = Document)]
pub struct JsonText(pub String);

impl JsonText {
    /// The document of a value.
    ///
    /// # Errors
    /// `Unexpected` when the value cannot be written as JSON (a map with non-string keys).
    pub fn of(value: &impl Serialize) -> Result<Self, StoreError> {
        serde_json::to_string(value)
            .map(JsonText)
            .map_err(StoreError::unexpected)
    }
}

/// PostgreSQL counts time from 2000-01-01T00:00:00Z.
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

fn out_of_range(micros: i64) -> Box<dyn std::error::Error + Send + Sync> {
    format!("{micros} µs since 1970 is not a representable instant").into()
}

impl ToSql<Instant, Pg> for At {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        let since_2000 = self.0.unix_micros() - PG_EPOCH_MICROS;
        out.write_all(&since_2000.to_be_bytes())?;
        Ok(IsNull::No)
    }
}

impl FromSql<Instant, Pg> for At {
    fn from_sql(value: <Pg as DieselBackend>::RawValue<'_>) -> deserialize::Result<Self> {
        let bytes: [u8; 8] = value.as_bytes().try_into()?;
        let micros = i64::from_be_bytes(bytes).saturating_add(PG_EPOCH_MICROS);
        Timestamp::from_unix_micros(micros)
            .map(At)
            .ok_or_else(|| out_of_range(micros))
    }
}

impl ToSql<Instant, Sqlite> for At {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.0.unix_micros());
        Ok(IsNull::No)
    }
}

impl FromSql<Instant, Sqlite> for At {
    fn from_sql(value: <Sqlite as DieselBackend>::RawValue<'_>) -> deserialize::Result<Self> {
        let micros = <i64 as FromSql<BigInt, Sqlite>>::from_sql(value)?;
        Timestamp::from_unix_micros(micros)
            .map(At)
            .ok_or_else(|| out_of_range(micros))
    }
}

impl ToSql<Document, Pg> for JsonText {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        out.write_all(self.0.as_bytes())?;
        Ok(IsNull::No)
    }
}

impl FromSql<Document, Pg> for JsonText {
    fn from_sql(value: <Pg as DieselBackend>::RawValue<'_>) -> deserialize::Result<Self> {
        Ok(JsonText(String::from_utf8(value.as_bytes().to_vec())?))
    }
}

impl ToSql<Document, Sqlite> for JsonText {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.0.as_str());
        Ok(IsNull::No)
    }
}

impl FromSql<Document, Sqlite> for JsonText {
    fn from_sql(value: <Sqlite as DieselBackend>::RawValue<'_>) -> deserialize::Result<Self> {
        <String as FromSql<Text, Sqlite>>::from_sql(value).map(JsonText)
    }
}

/// The same two types on the connection that spans both engines: each value is handed to
/// the engine-specific impl above.
macro_rules! on_any_backend {
    ($sql_type:ident, $rust:ty) => {
        impl HasSqlType<$sql_type> for MultiBackend {
            fn metadata(lookup: &mut Self::MetadataLookup) -> Self::TypeMetadata {
                MultiBackend::lookup_sql_type::<$sql_type>(lookup)
            }
        }

        impl FromSql<$sql_type, MultiBackend> for $rust {
            fn from_sql(
                value: <MultiBackend as DieselBackend>::RawValue<'_>,
            ) -> deserialize::Result<Self> {
                value.from_sql::<$rust, $sql_type>()
            }
        }

        impl ToSql<$sql_type, MultiBackend> for $rust {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
                out.set_value(($sql_type, self));
                Ok(IsNull::No)
            }
        }
    };
}

on_any_backend!(Instant, At);
on_any_backend!(Document, JsonText);
