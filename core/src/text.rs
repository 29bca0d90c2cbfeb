//! Text people type: item names, reasons, names of volunteers and donors.
//!
//! No text field may hold a control character (NUL, a line feed, escape...,
//! Unicode category Cc): a database may refuse it (PostgreSQL refuses NUL),
//! a receipt printer takes it for a command, and no cashier types one on
//! purpose. Every `validate` of the sale model checks its text with
//! [`control_character`]; the backend uses it for the other text it takes
//! (user names, diner names, paths).

use std::fmt;

/// A control character found in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ControlCharacter {
    /// 1-based position of the character in the text, counted in
    /// characters (a Chinese character counts as one).
    pub position: usize,
    /// The character.
    pub found: char,
}

impl fmt::Display for ControlCharacter {
    /// "U+0000 at character 3".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "U+{:04X} at character {}",
            u32::from(self.found),
            self.position
        )
    }
}

/// The first control character in `text`, if any.
pub fn control_character(text: &str) -> Option<ControlCharacter> {
    text.chars()
        .enumerate()
        .find(|(_, c)| c.is_control())
        .map(|(i, found)| ControlCharacter {
            position: i + 1,
            found,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(text: &str, expected: Option<(usize, char)>) {
        assert_eq!(
            control_character(text),
            expected.map(|(position, found)| ControlCharacter { position, found }),
            "{text:?}"
        );
    }

    #[test]
    fn finds_the_first_control_character() {
        check("红烧肉", None);
        check("", None);
        check("鸡 蛋\u{3000}", None); // spaces are not control characters
        check("鸡蛋\0", Some((3, '\0')));
        check("a\nb\tc", Some((2, '\n')));
        check("\u{1b}[31m", Some((1, '\u{1b}')));
        check("x\u{7f}", Some((2, '\u{7f}')));
        check("x\u{85}", Some((2, '\u{85}')));
    }

    #[test]
    fn says_which_character_and_where() {
        let found = control_character("鸡蛋\0").unwrap();
        assert_eq!(found.to_string(), "U+0000 at character 3");
        let found = control_character("\u{1b}").unwrap();
        assert_eq!(found.to_string(), "U+001B at character 1");
    }
}
