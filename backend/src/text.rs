//! One check for every text that comes in from outside (names, usernames,
//! void reasons, path and query parameters, imported cells): control
//! characters are refused. PostgreSQL cannot store NUL at all, and the rest
//! (escape codes, line breaks in a name) only serve to garble logs, receipts
//! and exports.

/// Why a text was refused, naming the field and the character's position.
pub fn control_character(what: &str, text: &str) -> Option<String> {
    let (at, c) = text.chars().enumerate().find(|(_, c)| c.is_control())?;
    Some(format!(
        "{what} holds a control character (U+{:04X} at character {}); remove it and send again",
        u32::from(c),
        at + 1
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
