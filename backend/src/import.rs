//! Reading the village ledger spreadsheet (CSV in UTF-8 or GB18030, or
//! XLSX) into roster entries, with every bad row reported by its row
//! number and reason.

use std::collections::HashMap;
use std::io::Cursor;

use calamine::{Data, DataType, Reader, Xlsx, open_workbook_from_rs};
use canteen_core::{CategoryCode, CategoryGrant};
use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::DinerInput;
use crate::store::DinerFields;

/// A row that cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// Row number as the spreadsheet shows it (the header is row 1).
    pub row: usize,
    /// Why.
    pub reason: String,
}

/// Rows read from the file: the good ones with their row numbers, and the bad.
#[derive(Debug, Default)]
pub struct ParsedRoster {
    /// Good rows.
    pub good: Vec<(usize, DinerFields)>,
    /// Bad rows.
    pub bad: Vec<RowError>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Column {
    Name,
    ResidentId,
    BirthDate,
    Village,
    Categories,
    CardNo,
    InactiveSince,
}

fn column(header: &str) -> Option<Column> {
    let h = header
        .trim()
        .trim_start_matches('\u{feff}')
        .trim()
        .to_lowercase();
    Some(match h.as_str() {
        "姓名" | "name" => Column::Name,
        "身份证号" | "身份证号码" | "身份证" | "公民身份号码" | "id_number" | "resident_id"
        | "id number" => Column::ResidentId,
        "出生日期" | "birth_date" | "birth date" => Column::BirthDate,
        "村" | "村组" | "村名" | "所在村" | "village" => Column::Village,
        "类别" | "人员类别" | "category" | "categories" => Column::Categories,
        "卡号" | "餐卡号" | "card_no" | "card" => Column::CardNo,
        "停用日期" | "inactive_since" => Column::InactiveSince,
        _ => return None,
    })
}

/// Rows of cells, each with its row number as the spreadsheet shows it.
pub type Table = Vec<(usize, Vec<String>)>;

/// Reads the cells of a CSV or XLSX file (told apart by content).
pub fn read_table(bytes: &[u8]) -> Result<Table, String> {
    if bytes.starts_with(b"PK\x03\x04") {
        read_xlsx(bytes)
    } else {
        read_csv(bytes)
    }
}

fn read_csv(bytes: &[u8]) -> Result<Table, String> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t.to_string(),
        Err(_) => {
            let (t, _, had_errors) = encoding_rs::GB18030.decode(bytes);
            if had_errors {
                return Err(
                    "the file is neither UTF-8 nor GB18030 text, nor an XLSX workbook".into(),
                );
            }
            t.into_owned()
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format!("row {}: {e}", i + 1))?;
        // The reader skips blank lines; count lines up to the record instead.
        let line = record.position().map_or(i + 1, |p| {
            let bytes = text.as_bytes();
            let mut at = usize::try_from(p.byte()).unwrap_or(0).min(bytes.len());
            while at < bytes.len() && (bytes[at] == b'\n' || bytes[at] == b'\r') {
                at += 1;
            }
            bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1
        });
        rows.push((line, record.iter().map(str::to_string).collect()));
    }
    Ok(rows)
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::DateTime(_) | Data::DateTimeIso(_) => cell
            .as_date()
            .map(|d| d.to_string())
            .unwrap_or_else(|| cell.to_string()),
        // Whole numbers without ".0"; long ones lost digits in Excel already.
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => format!("{f:e}"),
        other => other.to_string(),
    }
}

fn read_xlsx(bytes: &[u8]) -> Result<Table, String> {
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec()))
        .map_err(|e| format!("cannot read the workbook: {e}"))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or("the workbook has no sheet")?
        .map_err(|e| format!("cannot read the first sheet: {e}"))?;
    let first = range.start().map_or(0, |(row, _)| row as usize);
    Ok(range
        .rows()
        .enumerate()
        .map(|(i, r)| (first + i + 1, r.iter().map(cell_text).collect()))
        .collect())
}

fn parse_date(text: &str) -> Result<NaiveDate, String> {
    let t = text.trim();
    for fmt in ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日"] {
        if let Ok(d) = NaiveDate::parse_from_str(t, fmt) {
            return Ok(d);
        }
    }
    Err(format!("'{t}' is not a date (write it like 1950-03-21)"))
}

fn parse_categories(text: &str) -> Result<Vec<CategoryGrant>, String> {
    let from = NaiveDate::from_ymd_opt(1900, 1, 1).ok_or("bad date")?;
    text.split([',', '，', '、', ';', '；', '/', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|code| {
            // "code" or "code:YYYY-MM-DD:YYYY-MM-DD" (either date may be empty).
            let mut parts = code.split(':');
            let name = parts.next().unwrap_or_default().trim().to_string();
            let start = parts
                .next()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(parse_date)
                .transpose()?;
            let until = parts
                .next()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(parse_date)
                .transpose()?;
            Ok(CategoryGrant {
                category: CategoryCode(name),
                from: start.unwrap_or(from),
                until,
            })
        })
        .collect()
}

/// Checks every row; `known_ids` are the ID numbers already on the roster.
pub fn parse_roster(
    table: Table,
    known_ids: &HashMap<String, i64>,
    today: NaiveDate,
) -> Result<ParsedRoster, String> {
    let mut rows = table.into_iter();
    let header = loop {
        match rows.next() {
            Some((_, r)) if r.iter().all(|c| c.trim().is_empty()) => continue,
            Some((_, r)) => break r,
            None => return Err("the file is empty".into()),
        }
    };
    let columns: Vec<Option<Column>> = header.iter().map(|h| column(h)).collect();
    if !columns.contains(&Some(Column::Name)) {
        return Err(
            "no name column: the first row needs the headers, e.g. 姓名, 身份证号, 村, 类别".into(),
        );
    }
    let mut out = ParsedRoster::default();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (row_no, row) in rows {
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut cells: HashMap<Column, String> = HashMap::new();
        for (c, value) in columns.iter().zip(row) {
            if let Some(c) = c {
                cells.insert(*c, value.trim().to_string());
            }
        }
        let get = |c: Column| cells.get(&c).filter(|v| !v.is_empty()).cloned();
        let result = (|| -> Result<DinerFields, String> {
            let input = DinerInput {
                name: get(Column::Name).ok_or("the name is empty")?,
                resident_id: get(Column::ResidentId),
                birth_date: get(Column::BirthDate).map(|t| parse_date(&t)).transpose()?,
                village: get(Column::Village),
                card_no: get(Column::CardNo),
                inactive_since: get(Column::InactiveSince)
                    .map(|t| parse_date(&t))
                    .transpose()?,
                categories: get(Column::Categories)
                    .map(|t| parse_categories(&t))
                    .transpose()?
                    .unwrap_or_default(),
            };
            input.into_fields(today)
        })();
        match result {
            Ok(fields) => {
                if let Some(id) = &fields.resident_id {
                    if let Some(first) = seen.get(id) {
                        out.bad.push(RowError {
                            row: row_no,
                            reason: format!("the same ID number as row {first}"),
                        });
                        continue;
                    }
                    if let Some(diner) = known_ids.get(id) {
                        out.bad.push(RowError {
                            row: row_no,
                            reason: format!(
                                "this ID number is already on the roster (diner {diner})"
                            ),
                        });
                        continue;
                    }
                    seen.insert(id.clone(), row_no);
                }
                out.good.push((row_no, fields));
            }
            Err(reason) => out.bad.push(RowError {
                row: row_no,
                reason,
            }),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_each_bad_row_with_its_number() {
        let csv = "姓名,身份证号,村,类别\n王秀英,11010519491231002X,大寨村,tekun\n,11010519491231002X,,\n李四,110105194912310021,,\n张三,11010519491231002X,,\n\n赵六,,小寨村,\n";
        let table = read_table(csv.as_bytes()).unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let parsed = parse_roster(table, &HashMap::new(), today).unwrap();
        assert_eq!(
            parsed.good.iter().map(|(r, _)| *r).collect::<Vec<_>>(),
            vec![2, 7]
        );
        let bad: Vec<(usize, &str)> = parsed
            .bad
            .iter()
            .map(|e| (e.row, e.reason.as_str()))
            .collect();
        assert_eq!(bad[0], (3, "the name is empty"));
        assert_eq!(bad[1].0, 4);
        assert!(bad[1].1.contains("last character"), "{}", bad[1].1);
        assert_eq!(bad[2], (5, "the same ID number as row 2"));
        assert!(parsed.good[0].1.categories.contains("tekun"));
    }

    #[test]
    fn english_headers_and_gb18030_are_read() {
        let (bytes, _, _) = encoding_rs::GB18030.encode("name,village\n王秀英,大寨村\n");
        let table = read_table(&bytes).unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let parsed = parse_roster(table, &HashMap::new(), today).unwrap();
        assert_eq!(parsed.good[0].1.name, "王秀英");
        assert_eq!(parsed.good[0].1.village.as_deref(), Some("大寨村"));
        assert!(parse_roster(vec![(1, vec!["foo".into()])], &HashMap::new(), today).is_err());
    }
}
