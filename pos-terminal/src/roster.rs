//! The downloaded roster and its index: by card number, by the keyed hash of
//! the resident ID number, and by name or pinyin initials (every reading of
//! every character, so 单 matches d, c and s).

use std::collections::HashMap;

use canteen_core::initials::NameInitials;
use canteen_core::{Diner, ResidentId, ResidentIdError, id_hash};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A diner as the terminal holds them: the core record without the ID
/// number, plus its keyed hash and masked form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterDiner {
    /// The core record; `resident_id` is always `None` here.
    #[serde(flatten)]
    pub diner: Diner,
    /// HMAC-SHA-256 of the ID number under the township's key.
    #[serde(default)]
    pub id_hash: Option<String>,
    /// `530922**********1X`.
    #[serde(default)]
    pub id_masked: Option<String>,
}

impl RosterDiner {
    /// Makes sure no whole ID number is kept: a record that still carries
    /// one (an older backend) is hashed with `key`, masked and stripped.
    pub fn scrubbed(mut self, key: &[u8]) -> RosterDiner {
        if let Some(id) = self.diner.resident_id.take() {
            self.diner.birth_date = self.diner.birth_date.or(Some(id.birth_date()));
            self.id_hash = Some(id_hash(key, &id));
            self.id_masked = Some(id.masked());
        }
        self
    }
}

/// Why a typed ID number finds nobody.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdLookup {
    /// Still being typed: this many characters are missing.
    Incomplete(usize),
    /// Not a valid number; the reason is for the cashier, in Chinese.
    Invalid(String),
    /// Valid but not on the roster.
    NotOnRoster,
    /// The diner at this index.
    Found(usize),
}

/// The reason an ID number is invalid, in Chinese for the cashier.
pub fn id_error_zh(e: &ResidentIdError) -> String {
    match e {
        ResidentIdError::WrongLength(n) => format!("身份证号应为18位，现在是{n}位"),
        ResidentIdError::BadCharacter { position, found } => {
            format!("第{position}位是“{found}”，只能是数字（最后一位可以是X）")
        }
        ResidentIdError::BadCheckCharacter { expected, found } => {
            format!("校验位应为“{expected}”而不是“{found}”，请检查是否输错")
        }
        ResidentIdError::ImpossibleBirthDate(d) => format!("号码中的出生日期{d}不存在"),
        ResidentIdError::BirthDateInFuture(d) => format!("号码中的出生日期{d}在今天之后"),
        ResidentIdError::UnknownRegion(r) => format!("号码开头{r}不是中国的地区代码，请检查前几位"),
        ResidentIdError::BirthDateTooEarly(d) => {
            format!("号码中的出生日期{d}早于1900年，请检查是否输错")
        }
    }
}

struct Entry {
    name: String,
    /// Possible first letters of each character of the name.
    initials: NameInitials,
}

/// The roster with its lookups.
pub struct Roster {
    diners: Vec<RosterDiner>,
    entries: Vec<Entry>,
    by_card: HashMap<String, usize>,
    by_hash: HashMap<String, usize>,
    key: Vec<u8>,
}

impl Roster {
    /// Indexes `diners`; `key` is the township's ID-hash key.
    pub fn new(diners: Vec<RosterDiner>, key: Vec<u8>) -> Roster {
        let diners: Vec<RosterDiner> = diners.into_iter().map(|d| d.scrubbed(&key)).collect();
        let mut by_card = HashMap::new();
        let mut by_hash = HashMap::new();
        let mut entries = Vec::with_capacity(diners.len());
        for (i, d) in diners.iter().enumerate() {
            if let Some(card) = &d.diner.card_no {
                by_card.insert(card.trim().to_string(), i);
            }
            if let Some(h) = &d.id_hash {
                by_hash.insert(h.clone(), i);
            }
            entries.push(Entry {
                name: d.diner.name.clone(),
                initials: NameInitials::of(&d.diner.name),
            });
        }
        Roster {
            diners,
            entries,
            by_card,
            by_hash,
            key,
        }
    }

    /// How many diners.
    pub fn len(&self) -> usize {
        self.diners.len()
    }

    /// True when there is nobody.
    pub fn is_empty(&self) -> bool {
        self.diners.is_empty()
    }

    /// The diner at `i`.
    pub fn get(&self, i: usize) -> Option<&RosterDiner> {
        self.diners.get(i)
    }

    /// The index of a diner id.
    pub fn index_of(&self, id: i64) -> Option<usize> {
        self.diners.iter().position(|d| d.diner.id.0 == id)
    }

    /// The diner whose card carries this number.
    pub fn by_card(&self, card: &str) -> Option<usize> {
        self.by_card.get(card.trim()).copied()
    }

    /// Looks up a typed or card-read ID number by its hash.
    pub fn by_id_number(&self, text: &str, today: NaiveDate) -> IdLookup {
        let t = text.trim();
        if t.chars().count() < 18
            && t.chars()
                .all(|c| c.is_ascii_digit() || c == 'x' || c == 'X')
        {
            return IdLookup::Incomplete(18 - t.chars().count());
        }
        match ResidentId::parse_as_of(t, today) {
            Err(e) => IdLookup::Invalid(id_error_zh(&e)),
            Ok(id) => match self.by_hash.get(&id_hash(&self.key, &id)) {
                Some(&i) => IdLookup::Found(i),
                None => IdLookup::NotOnRoster,
            },
        }
    }

    /// Diners whose name contains `query`, or whose pinyin initials start
    /// with it ("wjg" → 王建国); at most `limit`, in roster order.
    pub fn search(&self, query: &str, limit: usize) -> Vec<usize> {
        let q = query.trim().to_lowercase();
        if q.is_empty() {
            return Vec::new();
        }
        let letters = q.bytes().all(|b| b.is_ascii_lowercase());
        let mut out = Vec::new();
        for (i, e) in self.entries.iter().enumerate() {
            let hit = if letters {
                e.initials.start_with(&q)
            } else {
                e.name.contains(&q)
            };
            if hit {
                out.push(i);
                if out.len() >= limit {
                    break;
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use canteen_core::DinerId;

    fn diner(id: i64, name: &str) -> RosterDiner {
        RosterDiner {
            diner: Diner {
                id: DinerId(id),
                name: name.into(),
                resident_id: None,
                birth_date: None,
                village: None,
                card_no: Some(format!("C{id:04}")),
                inactive_since: None,
                active_from: None,
                categories: vec![],
            },
            id_hash: None,
            id_masked: None,
        }
    }

    #[test]
    fn initials_cover_every_reading() {
        let r = Roster::new(
            vec![diner(1, "王建国"), diner(2, "单秀英"), diner(3, "曾桂兰")],
            b"k".to_vec(),
        );
        assert_eq!(r.search("wjg", 10), vec![0]);
        assert_eq!(r.search("WJ", 10), vec![0]);
        assert_eq!(r.search("sxy", 10), vec![1]);
        assert_eq!(r.search("dxy", 10), vec![1]);
        assert_eq!(r.search("zgl", 10), vec![2]);
        assert_eq!(r.search("cgl", 10), vec![2]);
        assert_eq!(r.search("秀英", 10), vec![1]);
        assert!(r.search("wjgx", 10).is_empty());
        assert_eq!(r.by_card("C0002"), Some(1));
    }

    #[test]
    fn id_numbers_are_matched_by_hash_and_never_kept() {
        let mut d = diner(1, "王建国");
        d.diner.resident_id = Some(ResidentId::parse("11010519491231002X").unwrap());
        let r = Roster::new(vec![d], b"key".to_vec());
        let kept = r.get(0).unwrap();
        assert!(kept.diner.resident_id.is_none());
        assert_eq!(kept.id_masked.as_deref(), Some("110105**********2X"));
        let json = serde_json::to_string(kept).unwrap();
        assert!(!json.contains("11010519491231002X"), "{json}");
        let today = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        assert_eq!(
            r.by_id_number("11010519491231002x", today),
            IdLookup::Found(0)
        );
        assert_eq!(r.by_id_number("1101051949", today), IdLookup::Incomplete(8));
        assert_eq!(
            r.by_id_number("110105194912310021", today),
            IdLookup::Invalid("校验位应为“X”而不是“1”，请检查是否输错".into())
        );
        assert_eq!(
            r.by_id_number("110105195001010012", today),
            IdLookup::NotOnRoster
        );
    }
}
