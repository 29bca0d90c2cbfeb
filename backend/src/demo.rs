//! `--demo`: seeds a realistic demo township on an empty database — its
//! canteen and two village communes, the example price policy, 200 diners
//! with valid ID numbers, users of every role, two terminals and a month of
//! sales, priced with the core as a terminal would.

use canteen_core::example::dazhai_policy;
use canteen_core::resident_id::check_character;
use canteen_core::{
    CategoryCode, CategoryGrant, Customer, Diner, Money, Payment, PricePolicy, Sale, SaleId,
    SaleLine, SiteId, Slot, TownshipId, quote,
};
use chrono::{Duration, NaiveDate, TimeZone, Utc};

use crate::app::FirstAdmin;
use crate::auth::{self, TERMINAL_PREFIX};
use crate::domain::SiteKind;
use crate::domain::{DinerInput, diner_from_row, local_date, policy_book};
use crate::ingest::prepare_sales;
use crate::roles::Role;
use crate::store::{Actor, AuditEntry, Db, NewSite, NewUser, Terminal, User};

/// A small deterministic random source, so every demo looks the same.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

fn system(action: &str, entity: &str, township_id: Option<TownshipId>) -> AuditEntry {
    AuditEntry {
        actor: Actor::system(),
        township_id,
        action: action.into(),
        entity: entity.into(),
        entity_id: String::new(),
        before: None,
        after: None,
    }
}

async fn user(
    store: &Db,
    username: &str,
    display_name: &str,
    role: crate::roles::Role,
    township_id: Option<TownshipId>,
    site_id: Option<SiteId>,
) -> Result<(User, String), String> {
    let password = auth::new_password().0;
    let pw = password.clone();
    let hash = tokio::task::spawn_blocking(move || auth::hash_password(&pw))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    let u = store
        .insert_user(
            NewUser {
                username: username.into(),
                display_name: display_name.into(),
                role,
                township_id,
                site_id,
                password_hash: hash,
                must_change_password: false,
            },
            system("user.create", "user", township_id),
        )
        .await
        .map_err(|e| e.to_string())?;
    Ok((u, password))
}

async fn terminal(
    store: &Db,
    site_id: SiteId,
    township_id: TownshipId,
    name: &str,
) -> Result<(Terminal, String), String> {
    let token = auth::new_token(TERMINAL_PREFIX).0;
    let t = store
        .insert_terminal(
            site_id,
            name,
            &auth::token_hash(&token),
            system("terminal.create", "terminal", Some(township_id)),
        )
        .await
        .map_err(|e| e.to_string())?;
    Ok((t, token))
}

fn resident_id(birth: NaiveDate, seq: u64) -> String {
    let first17 = format!("530922{}{:03}", birth.format("%Y%m%d"), seq % 1000);
    let mut bytes = [0u8; 17];
    bytes.copy_from_slice(first17.as_bytes());
    format!("{first17}{}", check_character(&bytes))
}

/// Seeds the demo and returns the administrator, with the other logins and
/// the terminal tokens in `notes`.
pub async fn seed(store: &Db) -> Result<FirstAdmin, String> {
    let err = |e: crate::store::StoreError| e.to_string();
    let mut rng = Rng(0x5eed_cafe_f00d_1234);
    let now = Utc::now();
    let today = local_date(now, 480);

    let township = store
        .insert_township("大寨镇", system("township.create", "township", None))
        .await
        .map_err(err)?;
    let t = township.id;
    let site = |name: &str, kind: SiteKind| NewSite {
        township_id: t,
        name: name.into(),
        kind,
        utc_offset_minutes: 480,
    };
    let canteen = store
        .insert_site(
            site("大寨镇幸福食堂", SiteKind::Canteen),
            system("site.create", "site", Some(t)),
        )
        .await
        .map_err(err)?;
    let commune1 = store
        .insert_site(
            site("大寨村幸福公社", SiteKind::Commune),
            system("site.create", "site", Some(t)),
        )
        .await
        .map_err(err)?;
    store
        .insert_site(
            site("小寨村幸福公社", SiteKind::Commune),
            system("site.create", "site", Some(t)),
        )
        .await
        .map_err(err)?;

    let from = today - Duration::days(365);
    let policy =
        PricePolicy::try_from(dazhai_policy(canteen.id, from)).map_err(|e| e.to_string())?;
    let body = serde_json::to_string(&policy).map_err(|e| e.to_string())?;
    store
        .upsert_policy(
            canteen.id,
            from,
            &body,
            system("policy.create", "policy", Some(t)),
        )
        .await
        .map_err(err)?;

    // 200 diners: mostly 65 and over, some younger, some holding 特困.
    const SURNAMES: [&str; 16] = [
        "李", "王", "张", "杨", "赵", "刘", "陈", "罗", "字", "鲁", "俸", "段", "杞", "施", "蒋",
        "何",
    ];
    const GIVEN: [&str; 20] = [
        "秀英", "桂兰", "玉珍", "德明", "文华", "光荣", "正芬", "国强", "春梅", "学礼", "有才",
        "凤英", "家兴", "绍华", "福寿", "开明", "美仙", "永昌", "琼芬", "朝富",
    ];
    const VILLAGES: [&str; 5] = ["大寨村", "小寨村", "新村", "河边村", "坝子村"];
    let mut inputs = Vec::new();
    for i in 0..200u64 {
        let age_days = 365 * (58 + rng.below(38) as i64) + rng.below(365) as i64;
        let birth = today - Duration::days(age_days);
        let categories = if i % 12 == 0 {
            vec![CategoryGrant {
                category: CategoryCode("tekun".into()),
                from,
                until: None,
            }]
        } else {
            vec![]
        };
        inputs.push(
            DinerInput {
                name: format!("{}{}", rng.pick(&SURNAMES), rng.pick(&GIVEN)),
                resident_id: Some(resident_id(birth, i + 1)),
                birth_date: None,
                village: Some((*rng.pick(&VILLAGES)).to_string()),
                card_no: Some(format!("DZ{:04}", i + 1)),
                // Registered with the first policy, before the demo's sales.
                active_from: Some(from),
                inactive_since: None,
                categories,
            }
            .into_fields(today)?,
        );
    }
    let rows = store
        .insert_diners(t, inputs, Actor::system())
        .await
        .map_err(err)?;
    let diners: Vec<Diner> = rows.iter().map(diner_from_row).collect::<Result<_, _>>()?;

    let (admin, admin_pw) = user(
        store,
        "admin",
        "县级管理员 County administrator",
        Role::Admin,
        None,
        None,
    )
    .await?;
    let (_, township_admin_pw) = user(
        store,
        "dazhai_admin",
        "大寨镇管理员",
        Role::Admin,
        Some(t),
        None,
    )
    .await?;
    let (_, finance_pw) = user(
        store,
        "dazhai_finance",
        "大寨镇财务",
        Role::Finance,
        Some(t),
        None,
    )
    .await?;
    let (cashier1, cashier1_pw) = user(
        store,
        "cashier1",
        "收银员 李春梅",
        Role::Cashier,
        Some(t),
        Some(canteen.id),
    )
    .await?;
    let (cashier2, cashier2_pw) = user(
        store,
        "cashier2",
        "收银员 王国强",
        Role::Cashier,
        Some(t),
        Some(canteen.id),
    )
    .await?;
    let (_, volunteer_pw) = user(
        store,
        "volunteer1",
        "志愿者 杨凤英",
        Role::Volunteer,
        Some(t),
        Some(commune1.id),
    )
    .await?;
    let (term1, token1) = terminal(store, canteen.id, t, "一号收银机").await?;
    let (term2, token2) = terminal(store, canteen.id, t, "二号收银机").await?;

    // A month of sales: each day, breakfast, lunch and dinner for some
    // diners (once per slot), and a few walk-ins.
    let book = policy_book(&store.policies_since(canteen.id, 0).await.map_err(err)?);
    let mut sales = Vec::new();
    for day in (1..=30).rev() {
        let date = today - Duration::days(day);
        for (slot, hour, eaters) in [
            (Slot::Breakfast, 7, 40u64),
            (Slot::Lunch, 12, 90),
            (Slot::Dinner, 17, 30),
        ] {
            let mut chosen: Vec<usize> = Vec::new();
            for _ in 0..eaters {
                let i = rng.below(diners.len() as u64) as usize;
                if !chosen.contains(&i) {
                    chosen.push(i);
                }
            }
            for (n, i) in chosen.iter().enumerate() {
                let diner = &diners[*i];
                let q = quote(&book, canteen.id, Customer::Diner(diner), date, slot, false)
                    .map_err(|e| e.to_string())?;
                let (term, cashier) = if n % 2 == 0 {
                    (&term1, &cashier1)
                } else {
                    (&term2, &cashier2)
                };
                let minute = (n as u32 * 2) % 60;
                let local = date.and_hms_opt(hour, minute, 0).ok_or("bad time")?;
                let sold_at = Utc.from_utc_datetime(&(local - Duration::hours(8)));
                let paid = q.paid;
                let payment = if rng.below(3) == 0 {
                    Payment::Qr {
                        reference: Some(format!("wx{}", rng.next() % 1_000_000_000)),
                    }
                } else {
                    let tendered = Money::from_fen(((paid.fen() + 999) / 1000).max(1) * 1000);
                    Payment::Cash {
                        tendered,
                        change: tendered - paid,
                    }
                };
                sales.push((
                    term.id,
                    Sale {
                        id: SaleId::new_random(),
                        site_id: canteen.id,
                        terminal_id: term.id,
                        cashier_id: cashier.id,
                        sold_at,
                        business_date: date,
                        slot,
                        lines: vec![SaleLine::DinerMeal {
                            diner_id: diner.id,
                            standard: q.standard,
                            paid: q.paid,
                            subsidy: q.subsidy,
                            bracket: q.bracket.clone(),
                            category: q.category.clone(),
                        }],
                        payment,
                    },
                ));
            }
            for w in 0..rng.below(6) {
                let standard = book
                    .in_force(canteen.id, date)
                    .and_then(|p| p.standard_price(slot))
                    .ok_or("no standard price")?;
                let local = date.and_hms_opt(hour, 45 + w as u32, 0).ok_or("bad time")?;
                sales.push((
                    term1.id,
                    Sale {
                        id: SaleId::new_random(),
                        site_id: canteen.id,
                        terminal_id: term1.id,
                        cashier_id: cashier1.id,
                        sold_at: Utc.from_utc_datetime(&(local - Duration::hours(8))),
                        business_date: date,
                        slot,
                        lines: vec![SaleLine::WalkInMeal { price: standard }],
                        payment: Payment::Qr { reference: None },
                    },
                ));
            }
        }
    }
    let mut stored = 0usize;
    for term in [&term1, &term2] {
        let mine: Vec<Sale> = sales
            .iter()
            .filter(|(id, _)| *id == term.id)
            .map(|(_, s)| s.clone())
            .collect();
        for chunk in mine.chunks(500) {
            let prepared = prepare_sales(store, term, &canteen, chunk, now)
                .await
                .map_err(err)?;
            let ready: Vec<_> = prepared.into_iter().collect::<Result<_, _>>()?;
            stored += ready.len();
            store.insert_sales(ready, now).await.map_err(err)?;
        }
    }

    let notes = vec![
        format!(
            "Demo seeded: township 大寨镇, {} diners, {stored} sales over 30 days.",
            diners.len()
        ),
        format!("  dazhai_admin   {township_admin_pw}   (township administrator)"),
        format!("  dazhai_finance {finance_pw}   (finance)"),
        format!("  cashier1       {cashier1_pw}   (cashier at the canteen)"),
        format!("  cashier2       {cashier2_pw}   (cashier at the canteen)"),
        format!("  volunteer1     {volunteer_pw}   (volunteer at 大寨村幸福公社)"),
        format!("  terminal {} token: {token1}", term1.name),
        format!("  terminal {} token: {token2}", term2.name),
    ];
    Ok(FirstAdmin {
        username: admin.username,
        password: auth::Secret(admin_pw),
        notes,
    })
}
