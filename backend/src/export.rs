//! Exports of a site's monthly claim: an XLSX workbook laid out as the claim
//! form, a CSV of the claimed lines (UTF-8 with BOM, so Excel reads the
//! Chinese right) and a printable A4 HTML page.
//!
//! Every figure comes from the [`MonthClaim`]: the same totals as the API.
//! A closed month's claim is frozen, and nothing here reads a clock, so its
//! exports are the same bytes every time. Whole ID numbers never appear:
//! diners carry only the masked form.

use std::fmt::Write as _;

use canteen_core::claim::{LineKind, Tally};
use canteen_core::{Money, Verdict};
use rust_xlsxwriter::{
    DocProperties, Format, FormatAlign, FormatBorder, Formula, Workbook, Worksheet, XlsxError,
};

use crate::claims::MonthClaim;

/// Money as a spreadsheet number, with two decimals.
const MONEY_FORMAT: &str = "#,##0.00";

fn yuan(m: Money) -> f64 {
    m.fen() as f64 / 100.0
}

/// Funder keys in Chinese.
pub fn funder_zh(key: &str) -> String {
    match key {
        "city" => "市级".into(),
        "county" => "县级".into(),
        "township" => "乡镇".into(),
        canteen_core::claim::UNSPLIT => "未拆分".into(),
        other => other.into(),
    }
}

fn kind_zh(kind: LineKind, accepted: bool) -> &'static str {
    match (kind, accepted) {
        (LineKind::Regular, false) => "正常",
        (LineKind::Regular, true) => "核准",
        (LineKind::LateSale, false) => "迟到补报",
        (LineKind::LateSale, true) => "迟到补报(核准)",
        (LineKind::LateVoid, _) => "迟到作废",
    }
}

fn verdict_zh(v: Option<Verdict>) -> &'static str {
    match v {
        Some(Verdict::Accept) => "核准",
        Some(Verdict::Reject) => "驳回",
        None => "待定",
    }
}

/// One claimed line, flattened for the exports.
struct Row {
    date: String,
    slot: &'static str,
    name: String,
    masked_id: String,
    basis: String,
    standard: Money,
    paid: Money,
    subsidy: Money,
    kind: &'static str,
}

fn rows(c: &MonthClaim) -> Vec<Row> {
    let accepted: std::collections::BTreeSet<_> = c
        .reviewed
        .flags
        .iter()
        .filter(|f| {
            f.decision
                .as_ref()
                .is_some_and(|d| d.verdict == Verdict::Accept)
        })
        .map(|f| (f.line.sale_id, f.line.line_index))
        .collect();
    c.reviewed
        .claim
        .lines
        .iter()
        .map(|l| {
            let who = c.diners.get(&l.diner_id.0);
            Row {
                date: l.business_date.to_string(),
                slot: l.slot.name_zh(),
                name: who.map_or_else(|| format!("#{}", l.diner_id), |d| d.name.clone()),
                masked_id: who
                    .and_then(|d| d.resident_id_masked.clone())
                    .unwrap_or_default(),
                basis: l
                    .category
                    .as_ref()
                    .map(|c| c.0.clone())
                    .or_else(|| l.bracket.clone())
                    .unwrap_or_default(),
                standard: l.standard,
                paid: l.paid,
                subsidy: l.subsidy,
                kind: kind_zh(
                    l.kind,
                    l.kind != LineKind::LateVoid && accepted.contains(&(l.sale_id, l.line_index)),
                ),
            }
        })
        .collect()
}

/// The status line: open, or closed at a time (site-local).
fn status(c: &MonthClaim) -> String {
    match c.closed_at() {
        Some(t) => format!("已关账 {}", t.format("%Y-%m-%d %H:%M UTC")),
        None => "未关账（数字可能变动）".into(),
    }
}

/// Groups of the summary: (heading, rows of (label, tally)).
fn groups(c: &MonthClaim) -> Vec<(&'static str, Vec<(String, Tally)>)> {
    let claim = &c.reviewed.claim;
    vec![
        (
            "按餐次",
            claim
                .by_slot
                .iter()
                .map(|(s, t)| (s.name_zh().to_string(), *t))
                .collect(),
        ),
        (
            "按年龄段",
            claim
                .by_bracket
                .iter()
                .map(|(b, t)| (b.clone(), *t))
                .collect(),
        ),
        (
            "按类别",
            claim
                .by_category
                .iter()
                .map(|(k, t)| (k.0.clone(), *t))
                .collect(),
        ),
    ]
}

fn col_letter(col: u16) -> char {
    char::from(b'A' + u8::try_from(col).unwrap_or(25))
}

/// The claim as an XLSX workbook: 汇总 (the claim form), 明细 (every
/// claimed line) and 标记 (flagged lines with their decisions).
pub fn xlsx(c: &MonthClaim) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    // A fixed creation time, so the same claim gives the same bytes.
    let created = c.closed_at().unwrap_or(c.computed_at);
    wb.set_properties(
        &DocProperties::new()
            .set_title("幸福食堂助餐补贴申报")
            .set_creation_datetime(&created),
    );
    let bold = Format::new().set_bold();
    let title = Format::new().set_bold().set_font_size(16);
    let head = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center);
    let money = Format::new()
        .set_num_format(MONEY_FORMAT)
        .set_border(FormatBorder::Thin);
    let money_bold = Format::new()
        .set_num_format(MONEY_FORMAT)
        .set_border(FormatBorder::Thin)
        .set_bold();
    let cell = Format::new().set_border(FormatBorder::Thin);
    let lines = rows(c);
    let n = u32::try_from(lines.len()).unwrap_or(u32::MAX - 2);

    // 明细 first in memory, so the summary's formulas can name it; the
    // summary is still the first sheet.
    {
        let ws = wb.add_worksheet();
        ws.set_name("汇总")?;
        summary_sheet(ws, c, n, [&bold, &title, &head, &money, &money_bold, &cell])?;
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name("明细")?;
        let headers = [
            "日期",
            "餐次",
            "姓名",
            "身份证号",
            "年龄段/类别",
            "标准价",
            "自付",
            "补贴",
            "类型",
        ];
        for (i, h) in headers.iter().enumerate() {
            ws.write_string_with_format(0, u16::try_from(i).unwrap_or(0), *h, &head)?;
        }
        let widths = [12.0, 6.0, 10.0, 22.0, 12.0, 10.0, 10.0, 10.0, 14.0];
        for (i, w) in widths.iter().enumerate() {
            ws.set_column_width(u16::try_from(i).unwrap_or(0), *w)?;
        }
        for (i, r) in lines.iter().enumerate() {
            let row = u32::try_from(i + 1).unwrap_or(u32::MAX);
            ws.write_string_with_format(row, 0, &r.date, &cell)?;
            ws.write_string_with_format(row, 1, r.slot, &cell)?;
            ws.write_string_with_format(row, 2, &r.name, &cell)?;
            ws.write_string_with_format(row, 3, &r.masked_id, &cell)?;
            ws.write_string_with_format(row, 4, &r.basis, &cell)?;
            ws.write_number_with_format(row, 5, yuan(r.standard), &money)?;
            ws.write_number_with_format(row, 6, yuan(r.paid), &money)?;
            ws.write_number_with_format(row, 7, yuan(r.subsidy), &money)?;
            ws.write_string_with_format(row, 8, r.kind, &cell)?;
        }
        let total_row = n + 1;
        let t = &c.reviewed.claim.total;
        ws.write_string_with_format(total_row, 0, "合计", &head)?;
        for (col, value) in [(5u16, t.standard), (6, t.paid), (7, t.subsidy)] {
            let l = col_letter(col);
            let f = Formula::new(format!("=SUM({l}2:{l}{})", n + 1)).set_result(value.to_string());
            ws.write_formula_with_format(total_row, col, f, &money_bold)?;
        }
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name("标记")?;
        let headers = [
            "日期",
            "餐次",
            "姓名",
            "身份证号",
            "原因",
            "当日年龄",
            "标准价",
            "自付",
            "补贴",
            "迟到",
            "处理",
            "意见",
            "处理人",
            "处理时间",
        ];
        for (i, h) in headers.iter().enumerate() {
            ws.write_string_with_format(0, u16::try_from(i).unwrap_or(0), *h, &head)?;
        }
        ws.set_column_width(4, 40.0)?;
        ws.set_column_width(11, 30.0)?;
        for (i, (f, e)) in c.reviewed.flags.iter().zip(&c.evidence).enumerate() {
            let row = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let l = &f.line;
            let who = c.diners.get(&l.diner_id.0);
            ws.write_string_with_format(row, 0, l.business_date.to_string(), &cell)?;
            ws.write_string_with_format(row, 1, l.slot.name_zh(), &cell)?;
            ws.write_string_with_format(
                row,
                2,
                who.map_or_else(|| format!("#{}", l.diner_id), |d| d.name.clone()),
                &cell,
            )?;
            ws.write_string_with_format(
                row,
                3,
                who.and_then(|d| d.resident_id_masked.clone())
                    .unwrap_or_default(),
                &cell,
            )?;
            ws.write_string_with_format(row, 4, l.flag.to_string(), &cell)?;
            match e.age_on_date {
                Some(a) => ws.write_number_with_format(row, 5, a, &cell)?,
                None => ws.write_string_with_format(row, 5, "", &cell)?,
            };
            ws.write_number_with_format(row, 6, yuan(l.standard), &money)?;
            ws.write_number_with_format(row, 7, yuan(l.paid), &money)?;
            ws.write_number_with_format(row, 8, yuan(l.subsidy), &money)?;
            ws.write_string_with_format(row, 9, if l.late { "是" } else { "否" }, &cell)?;
            let d = f.decision.as_ref();
            ws.write_string_with_format(row, 10, verdict_zh(d.map(|d| d.verdict)), &cell)?;
            ws.write_string_with_format(row, 11, d.map_or("", |d| d.comment.as_str()), &cell)?;
            ws.write_string_with_format(row, 12, d.map_or("", |d| d.decided_by.as_str()), &cell)?;
            ws.write_string_with_format(
                row,
                13,
                d.map(|d| d.decided_at.to_rfc3339()).unwrap_or_default(),
                &cell,
            )?;
        }
    }
    wb.save_to_buffer()
}

fn summary_sheet(
    ws: &mut Worksheet,
    c: &MonthClaim,
    n: u32,
    [bold, title, head, money, money_bold, cell]: [&Format; 6],
) -> Result<(), XlsxError> {
    ws.set_column_width(0, 18.0)?;
    for col in 1..=4 {
        ws.set_column_width(col, 14.0)?;
    }
    ws.write_string_with_format(0, 0, "幸福食堂老年助餐补贴申报表", title)?;
    let info = [
        ("乡镇", c.township_name.clone()),
        ("站点", c.site_name.clone()),
        ("月份", c.month.to_string()),
        ("状态", status(c)),
        ("志愿者免费餐（人次）", c.free_meals_served.to_string()),
    ];
    for (i, (k, v)) in info.iter().enumerate() {
        let row = u32::try_from(i + 2).unwrap_or(0);
        ws.write_string_with_format(row, 0, *k, bold)?;
        ws.write_string(row, 1, v)?;
    }
    let mut row = 8u32;
    let headers = ["项目", "餐次数", "标准价合计", "自付合计", "补贴合计"];
    let header_row = |ws: &mut Worksheet, row: u32| -> Result<(), XlsxError> {
        for (i, h) in headers.iter().enumerate() {
            ws.write_string_with_format(row, u16::try_from(i).unwrap_or(0), *h, head)?;
        }
        Ok(())
    };
    let tally_row = |ws: &mut Worksheet,
                     row: u32,
                     label: &str,
                     t: &Tally,
                     f: &Format|
     -> Result<(), XlsxError> {
        ws.write_string_with_format(row, 0, label, cell)?;
        ws.write_number_with_format(row, 1, t.meals as f64, cell)?;
        ws.write_number_with_format(row, 2, yuan(t.standard), f)?;
        ws.write_number_with_format(row, 3, yuan(t.paid), f)?;
        ws.write_number_with_format(row, 4, yuan(t.subsidy), f)?;
        Ok(())
    };
    let claim = &c.reviewed.claim;
    header_row(ws, row)?;
    row += 1;
    let first = row;
    tally_row(ws, row, "本月正常", &claim.regular, money)?;
    row += 1;
    tally_row(ws, row, "迟到调整", &claim.adjustments, money)?;
    row += 1;
    // The total as formulas over the two rows above, so a clerk can check.
    ws.write_string_with_format(row, 0, "申报合计", head)?;
    let t = &claim.total;
    let values = [
        t.meals.to_string(),
        t.standard.to_string(),
        t.paid.to_string(),
        t.subsidy.to_string(),
    ];
    for (i, v) in values.iter().enumerate() {
        let col = u16::try_from(i + 1).unwrap_or(1);
        let l = col_letter(col);
        let f = Formula::new(format!("={l}{}+{l}{}", first + 1, first + 2)).set_result(v.clone());
        ws.write_formula_with_format(row, col, f, if i == 0 { cell } else { money_bold })?;
    }
    let total_row = row + 1; // 1-based row number of the total
    row += 1;
    ws.write_string_with_format(row, 0, "核对：标准价−自付−补贴", bold)?;
    let check = Formula::new(format!("=C{total_row}-D{total_row}-E{total_row}"))
        .set_result((t.standard - t.paid - t.subsidy).to_string());
    ws.write_formula_with_format(row, 4, check, money)?;
    row += 1;
    ws.write_string_with_format(row, 0, "核对：明细补贴合计", bold)?;
    let detail =
        Formula::new(format!("=SUM('明细'!H2:H{})", n + 1)).set_result(t.subsidy.to_string());
    ws.write_formula_with_format(row, 4, detail, money)?;
    row += 2;
    for (heading, items) in groups(c) {
        ws.write_string_with_format(row, 0, heading, bold)?;
        row += 1;
        header_row(ws, row)?;
        row += 1;
        for (label, t) in items {
            tally_row(ws, row, &label, &t, money)?;
            row += 1;
        }
        row += 1;
    }
    ws.write_string_with_format(row, 0, "按资金来源", bold)?;
    row += 1;
    ws.write_string_with_format(row, 0, "资金来源", head)?;
    ws.write_string_with_format(row, 4, "补贴", head)?;
    row += 1;
    for (funder, m) in &claim.by_funder {
        ws.write_string_with_format(row, 0, funder_zh(funder), cell)?;
        ws.write_number_with_format(row, 4, yuan(*m), money)?;
        row += 1;
    }
    row += 2;
    ws.write_string(row, 0, "制表人：")?;
    ws.write_string(row, 2, "审核人：")?;
    ws.write_string(row + 1, 0, "日期：")?;
    ws.write_string(row + 1, 2, "（盖章）")?;
    Ok(())
}

/// A CSV cell: text that a spreadsheet would run as a formula (beginning
/// with = + - @, or a tab or carriage return) is written with a leading
/// apostrophe, so it stays text.
pub fn guard(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// The claimed lines as CSV: UTF-8 with a BOM, Chinese headers, a total row.
pub fn csv(c: &MonthClaim) -> Vec<u8> {
    let mut out = Vec::from("\u{feff}".as_bytes());
    {
        let mut w = csv::Writer::from_writer(&mut out);
        let mut write = |rec: &[String]| {
            // Writing to a Vec cannot fail; a failure would only lose the row.
            if let Err(e) = w.write_record(rec) {
                tracing::error!(error = %e, "CSV row not written");
            }
        };
        write(
            &[
                "乡镇",
                "站点",
                "月份",
                "日期",
                "餐次",
                "姓名",
                "身份证号",
                "年龄段/类别",
                "标准价",
                "自付",
                "补贴",
                "类型",
            ]
            .map(String::from),
        );
        let head = [
            guard(&c.township_name),
            guard(&c.site_name),
            c.month.to_string(),
        ];
        for r in rows(c) {
            write(&[
                head[0].clone(),
                head[1].clone(),
                head[2].clone(),
                r.date,
                r.slot.to_string(),
                guard(&r.name),
                guard(&r.masked_id),
                guard(&r.basis),
                r.standard.to_string(),
                r.paid.to_string(),
                r.subsidy.to_string(),
                r.kind.to_string(),
            ]);
        }
        let t = &c.reviewed.claim.total;
        write(&[
            head[0].clone(),
            head[1].clone(),
            head[2].clone(),
            "合计".into(),
            String::new(),
            String::new(),
            String::new(),
            format!("{} 餐", t.meals),
            t.standard.to_string(),
            t.paid.to_string(),
            t.subsidy.to_string(),
            String::new(),
        ]);
        if let Err(e) = w.flush() {
            tracing::error!(error = %e, "CSV not flushed");
        }
    }
    out
}

fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The claim form as a printable HTML page (A4, print stylesheet).
pub fn html(c: &MonthClaim) -> String {
    let claim = &c.reviewed.claim;
    let mut h = String::new();
    let tally = |h: &mut String, label: &str, t: &Tally| {
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td></tr>",
            esc(label),
            t.meals,
            t.standard,
            t.paid,
            t.subsidy
        );
    };
    let _ = write!(
        h,
        "<!doctype html><html lang=zh-CN><head><meta charset=utf-8>\
<meta name=viewport content=\"width=device-width, initial-scale=1\">\
<title>{town}{site} {month} 助餐补贴申报表</title><style>\
@page{{size:A4;margin:15mm}}\
body{{font-family:\"Noto Sans CJK SC\",\"Microsoft YaHei\",sans-serif;font-size:11pt;max-width:180mm;margin:auto}}\
h1{{font-size:16pt;text-align:center}}table{{border-collapse:collapse;width:100%;margin:4mm 0}}\
td,th{{border:1px solid #000;padding:1mm 2mm}}.n{{text-align:right}}.sign{{margin-top:12mm;display:flex;justify-content:space-between}}\
@media print{{.noprint{{display:none}}tr{{page-break-inside:avoid}}}}\
</style></head><body>\
<h1>幸福食堂老年助餐补贴申报表</h1>\
<p>乡镇：{town}　站点：{site}　月份：{month}　状态：{status}</p>\
<p>志愿者免费餐：惠及 {served} 人次</p>\
<table><thead><tr><th>项目</th><th>餐次数</th><th>标准价合计</th><th>自付合计</th><th>补贴合计</th></tr></thead><tbody>",
        town = esc(&c.township_name),
        site = esc(&c.site_name),
        month = c.month,
        status = esc(&status(c)),
        served = c.free_meals_served,
    );
    tally(&mut h, "本月正常", &claim.regular);
    tally(&mut h, "迟到调整", &claim.adjustments);
    tally(&mut h, "申报合计", &claim.total);
    h.push_str("</tbody></table>");
    for (heading, items) in groups(c) {
        let _ = write!(
            h,
            "<h2>{heading}</h2><table><thead><tr><th>项目</th><th>餐次数</th><th>标准价合计</th><th>自付合计</th><th>补贴合计</th></tr></thead><tbody>"
        );
        for (label, t) in &items {
            tally(&mut h, label, t);
        }
        h.push_str("</tbody></table>");
    }
    h.push_str(
        "<h2>按资金来源</h2><table><thead><tr><th>资金来源</th><th>补贴</th></tr></thead><tbody>",
    );
    for (funder, m) in &claim.by_funder {
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=n>{m}</td></tr>",
            esc(&funder_zh(funder))
        );
    }
    h.push_str("</tbody></table>");
    let flagged = c.reviewed.flags.len();
    let rejected = c
        .reviewed
        .flags
        .iter()
        .filter(|f| {
            f.decision
                .as_ref()
                .is_some_and(|d| d.verdict == Verdict::Reject)
        })
        .count();
    let _ = write!(
        h,
        "<p>标记行 {flagged} 条，其中核准 {} 条，驳回 {rejected} 条，待定 {} 条。</p>\
<div class=sign><span>制表人：__________</span><span>审核人：__________</span><span>日期：__________</span></div>\
</body></html>",
        c.reviewed.flags.len() - rejected - c.reviewed.undecided(),
        c.reviewed.undecided()
    );
    h
}

/// A claim's export as a download: its bytes and how to send them.
#[derive(Debug, Clone)]
pub struct ExportFile {
    /// The file.
    pub bytes: Vec<u8>,
    /// Its media type.
    pub content_type: &'static str,
    /// `attachment; filename=…`, or `inline` for the printable page.
    pub disposition: String,
}

/// The export of a claim in a format named `xlsx`, `csv` or `html`;
/// `None` for any other name. The API and the pages both send this.
pub fn file(c: &MonthClaim, format: &str) -> Result<Option<ExportFile>, XlsxError> {
    let name = format!("claim-{}-{}", c.site_id, c.month);
    let (bytes, content_type) = match format {
        "xlsx" => (
            xlsx(c)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        "csv" => (csv(c), "text/csv; charset=utf-8"),
        "html" => (html(c).into_bytes(), "text/html; charset=utf-8"),
        _ => return Ok(None),
    };
    let disposition = if format == "html" {
        "inline".to_string()
    } else {
        format!("attachment; filename=\"{name}.{format}\"")
    };
    Ok(Some(ExportFile {
        bytes,
        content_type,
        disposition,
    }))
}
