//! Pinyin initials of a name, for finding a diner the way people ask for
//! one: "wjg" finds 王建国. Every reading of a character counts (单 is d, c
//! or s; 曾 is z or c), because surnames are often read the rarer way. The
//! terminal's lookup and the backend's roster search both use this.

use pinyin::ToPinyinMulti;

/// The possible first letters (lower-case ASCII) of each character of a
/// name, white space left out.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NameInitials(Vec<Vec<u8>>);

impl NameInitials {
    /// The initials of `name`: a Chinese character gives the first letter of
    /// each of its readings, an ASCII letter or digit itself, anything else
    /// nothing (it can match no letter).
    pub fn of(name: &str) -> NameInitials {
        NameInitials(
            name.chars()
                .filter(|c| !c.is_whitespace())
                .map(initials_of)
                .collect(),
        )
    }

    /// True when `letters` (lower-case ASCII) begin the name's initials.
    pub fn start_with(&self, letters: &str) -> bool {
        letters.len() <= self.0.len()
            && letters
                .bytes()
                .zip(&self.0)
                .all(|(b, set)| set.contains(&b))
    }
}

/// True when `letters` (lower-case ASCII) begin the initials of `name`.
pub fn initials_match(name: &str, letters: &str) -> bool {
    NameInitials::of(name).start_with(letters)
}

fn initials_of(c: char) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::new();
    if let Some(multi) = c.to_pinyin_multi() {
        for p in multi {
            if let Some(&b) = p.first_letter().as_bytes().first() {
                let b = b.to_ascii_lowercase();
                if !out.contains(&b) {
                    out.push(b);
                }
            }
        }
    } else if c.is_ascii_alphanumeric() {
        out.push(c.to_ascii_lowercase() as u8);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reading_of_a_surname_counts() {
        assert!(initials_match("王建国", "wjg"));
        assert!(initials_match("王建国", "wj"));
        assert!(!initials_match("王建国", "wjgx"));
        assert!(!initials_match("王建国", "jg"));
        for letters in ["sxy", "dxy", "cxy"] {
            assert!(initials_match("单秀英", letters), "{letters}");
        }
        assert!(initials_match("曾桂兰", "zgl"));
        assert!(initials_match("曾桂兰", "cgl"));
    }

    #[test]
    fn ascii_counts_itself_and_spaces_are_skipped() {
        assert!(initials_match("Li 2", "li2"));
        assert!(!initials_match("Li 2", "lm"));
        assert!(!initials_match("·王", "w"));
        assert!(NameInitials::of("").start_with(""));
        assert!(!NameInitials::of("").start_with("a"));
    }
}
