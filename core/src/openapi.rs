//! OpenAPI schemas of the wire types whose JSON is written by hand (money,
//! ID numbers, checked policies), for the backend's API document. Only with
//! the `utoipa` feature; the domain itself never needs it.

use std::borrow::Cow;

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::{PartialSchema, ToSchema};

use crate::money::Money;
use crate::policy::{PricePolicy, PricePolicyDraft, Slot};
use crate::resident_id::ResidentId;

/// Schemas a type refers to, as `ToSchema::schemas` gathers them.
type Schemas = Vec<(String, RefOr<Schema>)>;

/// The wire form of [`Money`]: yuan as a decimal string with at most two
/// decimals; answers always carry exactly two ("12.50").
pub const MONEY_PATTERN: &str = r"^-?[0-9]{1,15}(\.[0-9]{1,2})?$";

impl PartialSchema for Money {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .pattern(Some(MONEY_PATTERN))
            .description(Some(
                "Yuan as a decimal string with at most two decimals, never a JSON number; answers always carry two (\"12.50\")",
            ))
            .examples(["12.50"])
            .into()
    }
}

impl ToSchema for Money {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Money")
    }
}

impl PartialSchema for ResidentId {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .pattern(Some(r"^[0-9]{17}[0-9X]$"))
            .min_length(Some(18))
            .max_length(Some(18))
            .description(Some(
                "Resident ID number, 18 characters with a valid check character",
            ))
            .into()
    }
}

impl ToSchema for ResidentId {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("ResidentId")
    }
}

impl PartialSchema for PricePolicy {
    fn schema() -> RefOr<Schema> {
        <PricePolicyDraft as PartialSchema>::schema()
    }
}

impl ToSchema for PricePolicy {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("PricePolicy")
    }

    fn schemas(schemas: &mut Schemas) {
        <PricePolicyDraft as ToSchema>::schemas(schemas);
    }
}

/// The JSON of a price per meal slot (`BTreeMap<Slot, Money>`): an object
/// whose keys are slots. Only for the API document.
pub struct SlotPrices;

impl PartialSchema for SlotPrices {
    fn schema() -> RefOr<Schema> {
        let mut object = ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::Object))
            .description(Some("A price for each meal slot served"))
            .additional_properties(Some(AdditionalProperties::FreeForm(false)));
        for slot in Slot::ALL {
            object = object.property(slot.as_str(), Money::schema());
        }
        object.into()
    }
}

impl ToSchema for SlotPrices {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("SlotPrices")
    }

    fn schemas(schemas: &mut Schemas) {
        schemas.push((Money::name().into(), Money::schema()));
    }
}
