//! Identifiers of the things the canteen keeps.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! int_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh random id, made where the record is made.
            pub fn new_random() -> Self {
                Self(Uuid::new_v4())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

int_id!(
    /// A township: one roster, several sites.
    TownshipId
);
int_id!(
    /// A site: the township canteen or a village Happiness Commune.
    SiteId
);
int_id!(
    /// A touchscreen terminal at a counter.
    TerminalId
);
int_id!(
    /// A person who signs in: cashier, volunteer, finance staff, administrator.
    UserId
);
int_id!(
    /// A diner on the township roster.
    DinerId
);
uuid_id!(
    /// A sale, id made on the terminal so a retried post is recognised.
    SaleId
);
uuid_id!(
    /// A void, id made on the terminal so a retried post is recognised.
    VoidId
);
uuid_id!(
    /// A volunteer free-meal record.
    FreeMealId
);
uuid_id!(
    /// A cashier's shift at a terminal, id made on the terminal.
    ShiftId
);
