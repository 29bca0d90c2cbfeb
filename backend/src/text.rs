//! The check for the text the backend takes beyond the sale model (diner
//! names, usernames, site names, path and query parameters, imported cells):
//! canteen-core's rule, no control characters (PostgreSQL cannot store NUL
//! at all, and the rest garble logs, receipts and exports), worded as core
//! words it for sales and voids.

/// Why a text was refused, naming the field and the character's position.
pub fn control_character(what: &str, text: &str) -> Option<String> {
    let found = canteen_core::text::control_character(text)?;
    Some(format!(
        "{what} holds a control character ({found}): remove it"
    ))
}

/// `Err` with a reason when `text` holds a control character.
pub fn check_text(what: &str, text: &str) -> Result<(), String> {
    match control_character(what, text) {
        Some(reason) => Err(reason),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_named_with_their_place() {
        assert!(check_text("the name", "王秀英 Wang").is_ok());
        let e = check_text("the name", "王\0秀英").unwrap_err();
        assert!(
            e.contains("the name") && e.contains("U+0000") && e.contains("character 2"),
            "{e}"
        );
        assert!(check_text("x", "a\u{1b}[31m").is_err());
        assert!(check_text("x", "a\u{7f}").is_err());
        assert!(check_text("x", "a\u{85}").is_err());
        assert!(check_text("x", "line\nbreak").is_err());
    }
}
