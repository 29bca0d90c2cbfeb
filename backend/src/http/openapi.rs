//! The OpenAPI document is built from the handlers themselves: each area
//! registers its handlers with `OpenApiRouter::routes(routes!(...))`, so a
//! route cannot exist without its `#[utoipa::path]` description.
//!
//! How to describe a handler:
//! ```text
//! #[utoipa::path(get, path = "/api/things/{id}", tag = "things",
//!     params(("id" = i64, Path, minimum = 1, description = "Thing id")),
//!     responses((status = 200, description = "The thing", body = ThingView),
//!         PersonAuth, NotFound, Always),
//!     security(("bearer" = [])))]
//! ```
//! and register it with `.routes(routes!(handler))`. The error groups below
//! each document the `{code, message, message_zh}` answers a handler can give.

use std::collections::BTreeMap;

use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr};
use utoipa::{IntoResponses, Modify, OpenApi, PartialSchema};

use super::error::ErrorBody;

/// The parts of the document that no handler describes: title, the bearer
/// scheme, tags and the error schema.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Happiness Canteen API",
        description = "The backend of Happiness Canteen: terminals post sales, voids and shifts; the office keeps townships, sites, terminals, users, the diner roster and price policies.\n\nMoney is a decimal string of yuan (\"12.50\"), times are RFC 3339 with an offset, dates are YYYY-MM-DD. Every error is JSON: `{\"code\": \"...\", \"message\": \"...\", \"message_zh\": \"...\"}`: a stable code, and what went wrong in English (with the detail) and in Chinese.\n\nPeople sign in with `POST /api/auth/login` and send `Authorization: Bearer <token>`; a terminal sends its own token the same way.",
        license(name = "GPL-3.0-or-later"),
    ),
    components(schemas(ErrorBody)),
    modifiers(&BearerScheme),
    tags(
        (name = "meta", description = "Health and this document"),
        (name = "auth", description = "Signing in and one's own account"),
        (name = "admin", description = "Townships, sites, terminals, users, audit log"),
        (name = "roster", description = "Diners of a township and their import"),
        (name = "policies", description = "Price policies of a site"),
        (name = "sales", description = "Sales as the office sees them"),
        (name = "terminal", description = "For terminals, with a terminal token"),
    )
)]
pub struct ApiDoc;

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

type Responses = BTreeMap<String, RefOr<Response>>;

fn error_response(description: &str) -> ResponseBuilder {
    ResponseBuilder::new().description(description).content(
        "application/json",
        Content::new(Some(Ref::from_schema_name("ErrorBody"))),
    )
}

fn responses(list: &[(&str, &str)]) -> Responses {
    list.iter()
        .map(|(status, description)| {
            (
                (*status).to_string(),
                error_response(description).build().into(),
            )
        })
        .collect()
}

/// Declares a group of error answers, each with the `ErrorBody` schema.
macro_rules! error_group {
    ($(#[$doc:meta])* $name:ident: $(($status:literal, $description:literal)),+ $(,)?) => {
        $(#[$doc])*
        pub struct $name;

        impl IntoResponses for $name {
            fn responses() -> Responses {
                responses(&[$(($status, $description)),+])
            }
        }
    };
}

error_group!(
    /// What any handler can answer: too slow, or a fault on our side.
    Always:
    ("408", "The request took too long"),
    ("500", "Something went wrong on the server; it has been logged"),
);

error_group!(
    /// A person's session is checked: missing or wrong, or not a person.
    PersonAuth:
    ("401", "No valid session: sign in and send 'Authorization: Bearer <token>'"),
    ("403", "Signed in, but this role may not do this (or a terminal token was sent)"),
);

error_group!(
    /// A terminal's token is checked.
    TerminalAuth:
    ("401", "No valid terminal token"),
    ("403", "A person's session was sent where a terminal token is needed"),
);

error_group!(
    /// A JSON body is read: malformed, too large, wrong type or bad fields.
    JsonBody:
    ("400", "The body is not JSON of the right shape"),
    ("413", "The request body is too large"),
    ("415", "The body is not sent as 'Content-Type: application/json'"),
    ("422", "A field has the wrong type or value, or the content breaks a rule"),
);

error_group!(
    /// A query string or path parameter that cannot be read.
    BadRequest:
    ("400", "A parameter cannot be read"),
);

error_group!(
    /// The thing named in the path does not exist or is outside the caller's scope.
    NotFound:
    ("404", "No such thing, or not in the caller's scope"),
);

error_group!(
    /// The content breaks a rule the schema cannot express.
    Invalid:
    ("422", "The request was read, but its content breaks a rule; the message says which"),
);

error_group!(
    /// Conflicts with what is stored (a name or number already taken).
    Conflict:
    ("409", "Conflicts with what is stored, e.g. a name already taken"),
);

/// Too many failed logins: 429 with `Retry-After`.
pub struct RateLimited;

impl IntoResponses for RateLimited {
    fn responses() -> Responses {
        let retry_after = HeaderBuilder::new()
            .schema(Some(i64::schema()))
            .description(Some("Seconds to wait before trying again"))
            .build();
        let mut map = Responses::new();
        map.insert(
            "429".into(),
            error_response("Too many failed logins from this address or for this username")
                .header("Retry-After", retry_after)
                .build()
                .into(),
        );
        map
    }
}
