//! A demo site for `--demo`, the tests and the benchmarks: 大寨幸福食堂 with
//! two cashiers, Dazhai's example price policy and a roster of elders with
//! cards and valid ID numbers. No backend, no printer.

use canteen_core::resident_id::check_character;
use canteen_core::{CategoryCode, CategoryGrant, Diner, DinerId, PricePolicy, ResidentId, SiteId};
use chrono::{Datelike, NaiveDate};

use crate::roster::RosterDiner;
use crate::store::{Cashier, SiteSetup};

/// The demo's supervisor PIN.
pub const SUPERVISOR_PIN: &str = "9999";
/// The demo's ID-hash key (hex).
pub const ID_HASH_KEY: &str = "64656d6f2d6b65792d6f662d64617a686169";

const SURNAMES: &[char] = &[
    '王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭',
    '何', '高', '林', '罗', '郑', '梁', '谢', '宋', '唐', '单', '曾', '区',
];
const GIVEN: &[&str] = &[
    "建国", "秀英", "桂兰", "德明", "玉兰", "志强", "凤英", "国华", "淑珍", "振华", "秀兰", "明德",
    "桂英", "永福", "春花", "德胜", "金凤", "长生", "翠花", "福林",
];
const VILLAGES: &[&str] = &["大寨村", "小河村", "石桥村", "新民村", "龙泉村"];

/// The demo site's setup.
pub fn setup() -> SiteSetup {
    SiteSetup {
        terminal_id: 1,
        terminal_name: "一号机".into(),
        site_id: 1,
        site_name: "大寨幸福食堂".into(),
        township_id: 1,
        utc_offset_minutes: 480,
        cashiers: vec![
            Cashier {
                id: 11,
                display_name: "刘芳".into(),
                pin_hash: None,
                supervisor: false,
            },
            Cashier {
                id: 12,
                display_name: "陈静".into(),
                pin_hash: None,
                supervisor: false,
            },
        ],
        id_hash_key: ID_HASH_KEY.into(),
        roster_version: 1,
        policy_version: 1,
    }
}

/// The demo policy, in force since 2020.
pub fn policies() -> Vec<PricePolicy> {
    let draft = canteen_core::example::dazhai_policy(
        SiteId(1),
        NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or_default(),
    );
    PricePolicy::try_from(draft).into_iter().collect()
}

/// A valid ID number for demo diner `n` born on `birth`.
pub fn resident_id(birth: NaiveDate, n: usize) -> String {
    let first17 = format!(
        "530922{:04}{:02}{:02}{:03}",
        birth.year(),
        birth.month(),
        birth.day(),
        n % 1000
    );
    let mut bytes = [b'0'; 17];
    bytes.copy_from_slice(&first17.as_bytes()[..17]);
    format!("{first17}{}", check_character(&bytes))
}

/// The birth date of demo diner `n`: ages from 60 to 97 in 2026.
pub fn birth_date(n: usize) -> NaiveDate {
    let year = 1929 + (n * 7 % 38) as i32;
    let month = 1 + (n % 12) as u32;
    let day = 1 + (n * 3 % 28) as u32;
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default()
}

/// The card number of demo diner `n`.
pub fn card_no(n: usize) -> String {
    format!("{}", 100_001 + n)
}

/// `count` demo diners (ids 1..=count), with their whole ID numbers as a
/// backend would have them; the terminal hashes and drops them on install.
pub fn roster(count: usize) -> Vec<RosterDiner> {
    (0..count)
        .map(|n| {
            let surname = SURNAMES[n % SURNAMES.len()];
            let given = GIVEN[(n / SURNAMES.len() + n) % GIVEN.len()];
            let birth = birth_date(n);
            let categories = if n % 17 == 5 {
                vec![CategoryGrant {
                    category: CategoryCode("tekun".into()),
                    from: NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or_default(),
                    until: None,
                }]
            } else {
                vec![]
            };
            RosterDiner {
                diner: Diner {
                    id: DinerId(n as i64 + 1),
                    name: format!("{surname}{given}"),
                    resident_id: ResidentId::parse(&resident_id(birth, n)).ok(),
                    birth_date: Some(birth),
                    village: Some(VILLAGES[n % VILLAGES.len()].to_string()),
                    card_no: Some(card_no(n)),
                    inactive_since: None,
                    active_from: None,
                    categories,
                },
                id_hash: None,
                id_masked: None,
            }
        })
        .collect()
}
