//! Resident ID numbers (GB 11643-1999, 18 characters).

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A valid 18-character resident ID number: 6-digit region, 8-digit birth
/// date, 3-digit sequence and an ISO 7064 MOD 11-2 check character.
///
/// `Debug` and `Display` show only the masked form (first 6 and last 2
/// characters), so the number cannot leak into logs or receipts by accident;
/// [`ResidentId::as_str`] gives the whole number for storage only.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResidentId {
    number: String,
    birth_date: NaiveDate,
}

/// Why a text is not a valid resident ID number. Messages are for a cashier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResidentIdError {
    /// Not 18 characters long.
    #[error("an ID number has 18 characters, this one has {0}")]
    WrongLength(usize),
    /// A character other than a digit (or X at the end).
    #[error(
        "character {position} of the ID number is '{found}', only digits (and X last) are allowed"
    )]
    BadCharacter {
        /// 1-based position of the character.
        position: usize,
        /// The character found there.
        found: char,
    },
    /// The last character does not match the other 17.
    #[error(
        "the ID number's last character should be '{expected}', not '{found}': check for a typing mistake"
    )]
    BadCheckCharacter {
        /// The check character the first 17 digits give.
        expected: char,
        /// The check character given.
        found: char,
    },
    /// The first digits name no province-level region of GB/T 2260.
    #[error("the ID number begins with {0}, which is no region of China: check the first digits")]
    UnknownRegion(String),
    /// The birth date is before 1900.
    #[error("the birth date in the ID number ({0}) is before 1900: check for a typing mistake")]
    BirthDateTooEarly(NaiveDate),
    /// Digits 7–14 are not a real date.
    #[error("the birth date in the ID number ({0}) is not a real date")]
    ImpossibleBirthDate(String),
    /// The birth date is after today.
    #[error("the birth date in the ID number ({0}) is in the future")]
    BirthDateInFuture(NaiveDate),
}

/// The province-level codes of GB/T 2260 (the first two digits of every
/// region code), with 81 and 82 (Hong Kong, Macao) and 83 (Taiwan) used by
/// residence permits.
const PROVINCES: [&str; 35] = [
    "11", "12", "13", "14", "15", // North
    "21", "22", "23", // North-east
    "31", "32", "33", "34", "35", "36", "37", // East
    "41", "42", "43", "44", "45", "46", // Centre and south
    "50", "51", "52", "53", "54", // South-west
    "61", "62", "63", "64", "65", // North-west
    "71", "81", "82", "83",
];

/// The earliest birth year accepted: nobody on a roster today was born
/// before 1900, so an earlier year is a typing mistake.
pub const EARLIEST_BIRTH_YEAR: i32 = 1900;

/// True when the number's first digits name a region: a province-level
/// code of GB/T 2260, or 9 and such a code (the permanent residence cards
/// of foreigners, since 2023). So 000000 and any number beginning with 0
/// are refused; the county digits are not checked, since codes change
/// every year and old numbers keep old codes.
fn known_region(number: &str) -> bool {
    let province = number.strip_prefix('9').unwrap_or(number);
    province.get(..2).is_some_and(|p| PROVINCES.contains(&p))
}

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// The ISO 7064 MOD 11-2 check character of the first 17 digits.
pub fn check_character(first17: &[u8; 17]) -> char {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK_CHARS[(sum % 11) as usize]
}

impl ResidentId {
    /// Parses and validates a number: length, characters, a known region
    /// (see below), a real birth date from [`EARLIEST_BIRTH_YEAR`] on, and
    /// the check character.
    ///
    /// The region must begin with a province-level code of GB/T 2260 (or 9
    /// and such a code, for a foreigner's permanent residence card): so
    /// 000000 and any number beginning with 0 are refused. Surrounding spaces are ignored and a lower-case
    /// `x` is accepted.
    pub fn parse(text: &str) -> Result<ResidentId, ResidentIdError> {
        let number = text.trim().to_ascii_uppercase();
        let chars: Vec<char> = number.chars().collect();
        if chars.len() != 18 {
            return Err(ResidentIdError::WrongLength(chars.len()));
        }
        for (i, &c) in chars.iter().enumerate() {
            let ok = c.is_ascii_digit() || (i == 17 && c == 'X');
            if !ok {
                return Err(ResidentIdError::BadCharacter {
                    position: i + 1,
                    found: c,
                });
            }
        }
        if !known_region(&number) {
            return Err(ResidentIdError::UnknownRegion(number[..6].to_string()));
        }
        let bytes = number.as_bytes();
        let birth_text = &number[6..14];
        let birth_date = NaiveDate::parse_from_str(birth_text, "%Y%m%d")
            .ok()
            .filter(|d| d.format("%Y%m%d").to_string() == birth_text)
            .ok_or_else(|| ResidentIdError::ImpossibleBirthDate(birth_text.to_string()))?;
        if birth_date.year() < EARLIEST_BIRTH_YEAR {
            return Err(ResidentIdError::BirthDateTooEarly(birth_date));
        }
        let mut first17 = [0u8; 17];
        first17.copy_from_slice(&bytes[..17]);
        let expected = check_character(&first17);
        if chars[17] != expected {
            return Err(ResidentIdError::BadCheckCharacter {
                expected,
                found: chars[17],
            });
        }
        Ok(ResidentId { number, birth_date })
    }

    /// Like [`ResidentId::parse`], and rejects a birth date after `today`.
    pub fn parse_as_of(text: &str, today: NaiveDate) -> Result<ResidentId, ResidentIdError> {
        let id = ResidentId::parse(text)?;
        if id.birth_date > today {
            return Err(ResidentIdError::BirthDateInFuture(id.birth_date));
        }
        Ok(id)
    }

    /// The birth date the number carries.
    pub fn birth_date(&self) -> NaiveDate {
        self.birth_date
    }

    /// The 6-digit administrative region code.
    pub fn region(&self) -> &str {
        &self.number[..6]
    }

    /// The whole number, for storage and exact lookup only; never print it.
    pub fn as_str(&self) -> &str {
        &self.number
    }

    /// The number with all but the first 6 and last 2 characters hidden:
    /// `110105**********2X`.
    pub fn masked(&self) -> String {
        format!(
            "{}{}{}",
            &self.number[..6],
            "*".repeat(10),
            &self.number[16..]
        )
    }
}

impl fmt::Display for ResidentId {
    /// The masked form; see [`ResidentId::masked`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.masked())
    }
}

impl fmt::Debug for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResidentId({})", self.masked())
    }
}

impl Serialize for ResidentId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.number)
    }
}

impl<'de> Deserialize<'de> for ResidentId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ResidentId, D::Error> {
        let text = String::deserialize(d)?;
        ResidentId::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(input: &str, expected: Result<&str, ResidentIdError>) {
        assert_eq!(
            ResidentId::parse(input).map(|id| id.as_str().to_string()),
            expected.map(String::from)
        );
    }

    #[test]
    fn the_standards_example_is_valid() {
        check("11010519491231002X", Ok("11010519491231002X"));
        check("11010519491231002x", Ok("11010519491231002X"));
        check(" 11010519491231002X ", Ok("11010519491231002X"));
        let id = ResidentId::parse("11010519491231002X").unwrap();
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
        );
        assert_eq!(id.region(), "110105");
    }

    #[test]
    fn each_rejection_has_its_own_reason() {
        check("1101051949123100", Err(ResidentIdError::WrongLength(16)));
        check("11010519491231002XX", Err(ResidentIdError::WrongLength(19)));
        check(
            "1101051949123100AX",
            Err(ResidentIdError::BadCharacter {
                position: 17,
                found: 'A',
            }),
        );
        check(
            "X10105194912310021",
            Err(ResidentIdError::BadCharacter {
                position: 1,
                found: 'X',
            }),
        );
        check(
            "110105194912310021",
            Err(ResidentIdError::BadCheckCharacter {
                expected: 'X',
                found: '1',
            }),
        );
        check(
            "110105194902300021",
            Err(ResidentIdError::ImpossibleBirthDate("19490230".into())),
        );
        // 2023 is not a leap year.
        check(
            "110105202302290021",
            Err(ResidentIdError::ImpossibleBirthDate("20230229".into())),
        );
    }

    /// A number with `first17` and its right check character.
    fn valid(first17: &str) -> String {
        let digits: [u8; 17] = first17.as_bytes().try_into().unwrap();
        format!("{first17}{}", check_character(&digits))
    }

    #[test]
    fn regions_that_do_not_exist_are_refused() {
        for first17 in [
            "00000019491231002",
            "01010519491231002",
            "10010519491231002",
            "20010519491231002",
            "99010519491231002",
            "90010519491231002",
            "72010519491231002",
        ] {
            let number = valid(first17);
            check(
                &number,
                Err(ResidentIdError::UnknownRegion(first17[..6].into())),
            );
        }
        for first17 in [
            "53092219491231002", // Yun county, Lincang
            "50010119491231002", // Chongqing
            "46010019491231002", // Hainan
            "65010219491231002", // Xinjiang
            "81000019491231002", // Hong Kong residence permit
            "83000019491231002", // Taiwan residence permit
            "91110019491231002", // a foreigner's card issued in Beijing
        ] {
            let number = valid(first17);
            check(&number, Ok(&number));
        }
        assert_eq!(
            ResidentIdError::UnknownRegion("000000".into()).to_string(),
            "the ID number begins with 000000, which is no region of China: check the first digits"
        );
    }

    #[test]
    fn birth_years_before_1900_are_refused() {
        check(
            &valid("11010518000101002"),
            Err(ResidentIdError::BirthDateTooEarly(
                NaiveDate::from_ymd_opt(1800, 1, 1).unwrap(),
            )),
        );
        check(
            &valid("11010518991231002"),
            Err(ResidentIdError::BirthDateTooEarly(
                NaiveDate::from_ymd_opt(1899, 12, 31).unwrap(),
            )),
        );
        let first = valid("11010519000101002");
        check(&first, Ok(&first));
        assert_eq!(
            ResidentIdError::BirthDateTooEarly(NaiveDate::from_ymd_opt(1800, 1, 1).unwrap())
                .to_string(),
            "the birth date in the ID number (1800-01-01) is before 1900: check for a typing mistake"
        );
    }

    #[test]
    fn future_birth_dates_are_rejected_as_of_a_day() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let future = {
            let digits = *b"11010520301231002";
            format!(
                "{}{}",
                std::str::from_utf8(&digits).unwrap(),
                check_character(&digits)
            )
        };
        assert!(ResidentId::parse(&future).is_ok());
        assert_eq!(
            ResidentId::parse_as_of(&future, today),
            Err(ResidentIdError::BirthDateInFuture(
                NaiveDate::from_ymd_opt(2030, 12, 31).unwrap()
            ))
        );
        assert!(ResidentId::parse_as_of("11010519491231002X", today).is_ok());
    }

    #[test]
    fn a_birth_date_of_today_is_not_in_the_future() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let born_today = valid("11010520261128002");
        assert_eq!(
            ResidentId::parse_as_of(&born_today, today).map(|id| id.birth_date()),
            Ok(today)
        );
    }

    #[test]
    fn serde_carries_the_whole_number_and_checks_it() {
        let id = ResidentId::parse("11010519491231002X").unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"11010519491231002X\"");
        assert_eq!(serde_json::from_str::<ResidentId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<ResidentId>("\"110105194912310021\"").is_err());
    }

    #[test]
    fn never_prints_the_whole_number() {
        let id = ResidentId::parse("11010519491231002X").unwrap();
        assert_eq!(id.masked(), "110105**********2X");
        assert_eq!(id.to_string(), "110105**********2X");
        assert_eq!(format!("{id:?}"), "ResidentId(110105**********2X)");
        assert_eq!(format!("{id:>20}"), "  110105**********2X");
        assert!(!format!("{id}").contains("19491231"));
    }
}
