//! Finding a diner on the township roster the way people ask for one: a
//! card number, part of the name, or the pinyin initials of the name
//! ("wjg" → 王建国, every reading of a character counts, so 单 matches
//! d, c and s). The same rule as the terminal's lookup; pure, over the
//! rows the store gave.

use chrono::NaiveDate;

use crate::store::DinerRow;

pub use canteen_core::initials::initials_match;

/// Diners matching `query`: the card number exactly first, then names that
/// contain it or whose initials start with it; only diners active on
/// `date`; at most `limit`, in roster order after the card match.
pub fn search<'a>(
    rows: &'a [DinerRow],
    query: &str,
    date: NaiveDate,
    limit: usize,
) -> Vec<&'a DinerRow> {
    let q = query.trim();
    if q.is_empty() || limit == 0 {
        return Vec::new();
    }
    let lower = q.to_lowercase();
    let letters = lower.bytes().all(|b| b.is_ascii_lowercase());
    let active = |r: &&DinerRow| {
        r.inactive_since.is_none_or(|d| d > date) && r.active_from.is_none_or(|d| d <= date)
    };
    let mut out: Vec<&DinerRow> = rows
        .iter()
        .filter(active)
        .filter(|r| r.card_no.as_deref().is_some_and(|c| c.trim() == q))
        .collect();
    for r in rows.iter().filter(active) {
        if out.len() >= limit {
            break;
        }
        let hit = r.name.contains(q) || (letters && initials_match(&r.name, &lower));
        if hit && !out.iter().any(|o| o.id == r.id) {
            out.push(r);
        }
    }
    out.truncate(limit);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use canteen_core::{DinerId, TownshipId};

    fn row(id: i64, name: &str, card: &str) -> DinerRow {
        DinerRow {
            id: DinerId(id),
            township_id: TownshipId(1),
            name: name.into(),
            resident_id: None,
            birth_date: None,
            village: None,
            card_no: Some(card.into()),
            active_from: None,
            inactive_since: None,
            categories: Vec::new(),
            version: 1,
        }
    }

    fn ids(rows: &[DinerRow], q: &str) -> Vec<i64> {
        let date = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        search(rows, q, date, 10).iter().map(|r| r.id.0).collect()
    }

    #[test]
    fn by_initials_name_and_card() {
        let mut rows = vec![
            row(1, "王建国", "C0001"),
            row(2, "单秀英", "C0002"),
            row(3, "王建华", "C0003"),
            row(4, "曾桂兰", "1"),
        ];
        assert_eq!(ids(&rows, "wjg"), vec![1]);
        assert_eq!(ids(&rows, "WJ"), vec![1, 3]);
        assert_eq!(ids(&rows, "sxy"), vec![2]);
        assert_eq!(ids(&rows, "dxy"), vec![2]);
        assert_eq!(ids(&rows, "建"), vec![1, 3]);
        assert_eq!(ids(&rows, "C0003"), vec![3]);
        // A card number that is also a digit of nobody's name comes first.
        assert_eq!(ids(&rows, "1"), vec![4]);
        assert!(ids(&rows, "  ").is_empty());
        assert!(ids(&rows, "xyz").is_empty());
        // Someone inactive on the date is not offered.
        rows[0].inactive_since = NaiveDate::from_ymd_opt(2026, 3, 1);
        assert_eq!(ids(&rows, "wj"), vec![3]);
    }
}
