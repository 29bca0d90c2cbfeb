//! Reading the village ledger spreadsheet (CSV in UTF-8 or GB18030, or
//! XLSX) into roster entries, with every bad row reported by its row
//! number and reason.

use std::collections::HashMap;
use std::io::{Cursor, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use calamine::{Data, DataType, Reader, Xlsx, open_workbook_from_rs};
use canteen_core::{CategoryCode, CategoryGrant, DinerId};
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
    ActiveFrom,
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
        "登记日期" | "入册日期" | "登记时间" | "active_from" | "active from" => {
            Column::ActiveFrom
        }
        "停用日期" | "inactive_since" => Column::InactiveSince,
        _ => return None,
    })
}

/// Rows of cells, each with its row number as the spreadsheet shows it.
pub type Table = Vec<(usize, Vec<String>)>;

/// How much an import may hold. A file over any bound is refused before
/// it is expanded: an XLSX declares its sheet's size, and the reader would
/// otherwise allocate a grid of that size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportLimits {
    /// Most rows, the header included.
    pub max_rows: usize,
    /// Most columns.
    pub max_columns: usize,
    /// Most cells (rows × columns of the sheet's extent).
    pub max_cells: usize,
    /// Most bytes an XLSX may hold once unzipped, all its parts together.
    pub max_unzipped_bytes: u64,
    /// Most parts in an XLSX.
    pub max_zip_entries: usize,
}

impl Default for ImportLimits {
    fn default() -> ImportLimits {
        ImportLimits {
            max_rows: 100_001,
            max_columns: 64,
            max_cells: 1_000_000,
            max_unzipped_bytes: 64 * 1024 * 1024,
            max_zip_entries: 1_000,
        }
    }
}

/// Why a file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// Not a CSV or XLSX we can read.
    #[error("{0}")]
    Unreadable(String),
    /// Over one of the [`ImportLimits`].
    #[error("{0}")]
    TooLarge(String),
    /// The request gave up (timed out or the client went away).
    #[error("the import was cancelled")]
    Cancelled,
}

/// Set when the request behind an import is gone, so its blocking job stops
/// at the next row instead of running on for nobody.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// Asks the job to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// `Err(Cancelled)` once cancelled.
    pub fn check(&self) -> Result<(), ImportError> {
        if self.0.load(Ordering::Relaxed) {
            Err(ImportError::Cancelled)
        } else {
            Ok(())
        }
    }

    /// A guard that cancels when dropped: held by the request's future,
    /// which is dropped when the request times out.
    pub fn on_drop(&self) -> CancelOnDrop {
        CancelOnDrop(self.clone())
    }
}

/// Cancels its [`Cancel`] when dropped.
#[derive(Debug)]
pub struct CancelOnDrop(Cancel);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

/// Reads the cells of a CSV or XLSX file (told apart by content).
pub fn read_table(
    bytes: &[u8],
    limits: &ImportLimits,
    cancel: &Cancel,
) -> Result<Table, ImportError> {
    if bytes.starts_with(b"PK\x03\x04") {
        read_xlsx(bytes, limits, cancel)
    } else {
        read_csv(bytes, limits, cancel)
    }
}

fn too_many_rows(limits: &ImportLimits) -> ImportError {
    ImportError::TooLarge(format!(
        "the file has more than {} rows; split it into smaller files",
        limits.max_rows
    ))
}

fn too_many_columns(limits: &ImportLimits) -> ImportError {
    ImportError::TooLarge(format!(
        "the file has more than {} columns; keep only the roster's columns",
        limits.max_columns
    ))
}

fn read_csv(bytes: &[u8], limits: &ImportLimits, cancel: &Cancel) -> Result<Table, ImportError> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => std::borrow::Cow::Borrowed(t),
        Err(_) => {
            let (t, _, had_errors) = encoding_rs::GB18030.decode(bytes);
            if had_errors {
                return Err(ImportError::Unreadable(
                    "the file is neither UTF-8 nor GB18030 text, nor an XLSX workbook".into(),
                ));
            }
            t
        }
    };
    let bytes = text.as_bytes();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut rows = Vec::new();
    // The reader skips blank lines, so row numbers come from counting line
    // breaks up to each record: from the previous record on, never from the
    // start (that made a large file quadratic).
    let (mut counted_to, mut lines_before) = (0usize, 0usize);
    for (i, record) in reader.records().enumerate() {
        cancel.check()?;
        let record = record.map_err(|e| ImportError::Unreadable(format!("row {}: {e}", i + 1)))?;
        if rows.len() >= limits.max_rows {
            return Err(too_many_rows(limits));
        }
        if record.len() > limits.max_columns {
            return Err(too_many_columns(limits));
        }
        let line = match record.position() {
            None => i + 1,
            Some(p) => {
                let mut at = usize::try_from(p.byte()).unwrap_or(0).min(bytes.len());
                while at < bytes.len() && (bytes[at] == b'\n' || bytes[at] == b'\r') {
                    at += 1;
                }
                let at = at.max(counted_to);
                lines_before += bytes[counted_to..at]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count();
                counted_to = at;
                lines_before + 1
            }
        };
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

/// A cell reference such as `XFD1048576`: (row, column), both from 1.
fn cell_ref(text: &[u8]) -> Option<(u64, u64)> {
    let text: Vec<u8> = text.iter().copied().filter(|b| *b != b'$').collect();
    let letters = text.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    let (col_part, row_part) = text.split_at(letters);
    let mut col: u64 = 0;
    for b in col_part {
        col = col
            .checked_mul(26)?
            .checked_add(u64::from(b.to_ascii_uppercase() - b'A') + 1)?;
    }
    let row = std::str::from_utf8(row_part).ok()?.parse::<u64>().ok()?;
    Some((row, col))
}

/// The value of attribute `name` in the tag starting at `tag` (up to its `>`).
fn attribute<'a>(tag: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let end = tag.iter().position(|&b| b == b'>').unwrap_or(tag.len());
    let tag = &tag[..end];
    let mut i = 0;
    while i + name.len() + 2 <= tag.len() {
        if tag[i].is_ascii_whitespace()
            && tag[i + 1..].starts_with(name)
            && tag[i + 1 + name.len()..].starts_with(b"=")
        {
            let rest = &tag[i + 2 + name.len()..];
            let quote = *rest.first()?;
            let value = &rest[1..];
            let close = value.iter().position(|&b| b == quote)?;
            return Some(&value[..close]);
        }
        i += 1;
    }
    None
}

/// Checks a worksheet's declared dimension and the place of every cell
/// against the limits, the way the reader will place them (a cell without
/// a reference follows the one before it).
fn check_sheet(xml: &[u8], limits: &ImportLimits) -> Result<(), ImportError> {
    let check = |rows: u64, cols: u64| -> Result<(), ImportError> {
        if rows > limits.max_rows as u64 {
            return Err(too_many_rows(limits));
        }
        if cols > limits.max_columns as u64 {
            return Err(too_many_columns(limits));
        }
        if rows.saturating_mul(cols) > limits.max_cells as u64 {
            return Err(ImportError::TooLarge(format!(
                "the sheet spans {rows} rows by {cols} columns, more than {} cells",
                limits.max_cells
            )));
        }
        Ok(())
    };
    let (mut row, mut col, mut max_row, mut max_col) = (0u64, 0u64, 0u64, 0u64);
    let mut at = 0;
    while let Some(next) = xml[at..].iter().position(|&b| b == b'<') {
        let tag = &xml[at + next + 1..];
        at += next + 1;
        let name_len = tag
            .iter()
            .position(|b| b.is_ascii_whitespace() || *b == b'>' || *b == b'/')
            .unwrap_or(tag.len());
        let name = &tag[..name_len];
        // Drop a namespace prefix (`x:c`).
        let local = name
            .iter()
            .rposition(|&b| b == b':')
            .map_or(name, |p| &name[p + 1..]);
        match local {
            b"dimension" => {
                if let Some(r) = attribute(tag, b"ref") {
                    let mut top = (0, 0);
                    for part in r.split(|&b| b == b':') {
                        let (r, c) = cell_ref(part).ok_or_else(|| {
                            ImportError::Unreadable("the sheet's dimension is not readable".into())
                        })?;
                        top = (top.0.max(r), top.1.max(c));
                    }
                    check(top.0, top.1)?;
                }
            }
            b"row" => {
                row = match attribute(tag, b"r") {
                    Some(r) => std::str::from_utf8(r)
                        .ok()
                        .and_then(|r| r.parse().ok())
                        .ok_or_else(|| {
                            ImportError::Unreadable("a row number is not readable".into())
                        })?,
                    None => row + 1,
                };
                col = 0;
                max_row = max_row.max(row);
            }
            b"c" => {
                match attribute(tag, b"r") {
                    Some(r) => {
                        let (r, c) = cell_ref(r).ok_or_else(|| {
                            ImportError::Unreadable("a cell reference is not readable".into())
                        })?;
                        row = r;
                        col = c;
                    }
                    None => col += 1,
                }
                max_row = max_row.max(row);
                max_col = max_col.max(col);
                check(max_row, max_col)?;
            }
            _ => {}
        }
    }
    check(max_row, max_col)
}

/// Unzips every part with a running count of the bytes that actually come
/// out (the sizes a file declares are not trusted), and checks each
/// worksheet before the reader sees it.
fn check_xlsx(bytes: &[u8], limits: &ImportLimits, cancel: &Cancel) -> Result<(), ImportError> {
    let unreadable = |e: zip::result::ZipError| {
        ImportError::Unreadable(format!("cannot read the workbook: {e}"))
    };
    let too_big = || {
        ImportError::TooLarge(format!(
            "the workbook unzips to more than {} MB; split it into smaller files",
            limits.max_unzipped_bytes / (1024 * 1024)
        ))
    };
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(unreadable)?;
    if zip.len() > limits.max_zip_entries {
        return Err(ImportError::TooLarge(format!(
            "the workbook has more than {} parts",
            limits.max_zip_entries
        )));
    }
    let mut left = limits.max_unzipped_bytes;
    for i in 0..zip.len() {
        cancel.check()?;
        let mut part = zip.by_index(i).map_err(unreadable)?;
        if part.size() > left {
            return Err(too_big());
        }
        let name = part.name().map_err(unreadable)?.into_owned();
        let sheet = name.starts_with("xl/worksheets/") && name.ends_with(".xml");
        let mut out = Vec::new();
        let mut limited = (&mut part).take(left + 1);
        let read = if sheet {
            limited.read_to_end(&mut out).map(|n| n as u64)
        } else {
            std::io::copy(&mut limited, &mut std::io::sink())
        }
        .map_err(|e| ImportError::Unreadable(format!("cannot unzip {name}: {e}")))?;
        if read > left {
            return Err(too_big());
        }
        left -= read;
        if sheet {
            check_sheet(&out, limits)?;
        }
    }
    Ok(())
}

fn read_xlsx(bytes: &[u8], limits: &ImportLimits, cancel: &Cancel) -> Result<Table, ImportError> {
    check_xlsx(bytes, limits, cancel)?;
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e| ImportError::Unreadable(format!("cannot read the workbook: {e}")))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| ImportError::Unreadable("the workbook has no sheet".into()))?
        .map_err(|e| ImportError::Unreadable(format!("cannot read the first sheet: {e}")))?;
    let first = range.start().map_or(0, |(row, _)| row as usize);
    let mut rows = Vec::with_capacity(range.height());
    for (i, r) in range.rows().enumerate() {
        cancel.check()?;
        rows.push((first + i + 1, r.iter().map(cell_text).collect()));
    }
    Ok(rows)
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
    known_ids: &HashMap<String, DinerId>,
    today: NaiveDate,
    cancel: &Cancel,
) -> Result<ParsedRoster, ImportError> {
    let mut rows = table.into_iter();
    let header = loop {
        match rows.next() {
            Some((_, r)) if r.iter().all(|c| c.trim().is_empty()) => continue,
            Some((_, r)) => break r,
            None => return Err(ImportError::Unreadable("the file is empty".into())),
        }
    };
    let columns: Vec<Option<Column>> = header.iter().map(|h| column(h)).collect();
    if !columns.contains(&Some(Column::Name)) {
        return Err(ImportError::Unreadable(
            "no name column: the first row needs the headers, e.g. 姓名, 身份证号, 村, 类别".into(),
        ));
    }
    let mut out = ParsedRoster::default();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (row_no, row) in rows {
        cancel.check()?;
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut cells: HashMap<Column, String> = HashMap::new();
        let mut refused = None;
        for ((c, value), title) in columns.iter().zip(row).zip(&header) {
            if let Some(c) = c {
                if let Some(found) = canteen_core::text::control_character(&value) {
                    refused = Some(format!(
                        "the cell under '{}' holds a control character ({found}): remove it",
                        title.trim()
                    ));
                }
                cells.insert(*c, value.trim().to_string());
            }
        }
        if let Some(reason) = refused {
            out.bad.push(RowError {
                row: row_no,
                reason,
            });
            continue;
        }
        let get = |c: Column| cells.get(&c).filter(|v| !v.is_empty()).cloned();
        let result = (|| -> Result<DinerFields, String> {
            let input = DinerInput {
                name: get(Column::Name).ok_or("the name is empty")?,
                resident_id: get(Column::ResidentId),
                birth_date: get(Column::BirthDate).map(|t| parse_date(&t)).transpose()?,
                village: get(Column::Village),
                card_no: get(Column::CardNo),
                // Without the column or a date, the import date (`today`).
                active_from: get(Column::ActiveFrom)
                    .map(|t| parse_date(&t).map_err(|e| format!("registration date: {e}")))
                    .transpose()?,
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
        let table =
            read_table(csv.as_bytes(), &ImportLimits::default(), &Cancel::default()).unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let parsed = parse_roster(table, &HashMap::new(), today, &Cancel::default()).unwrap();
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
        assert_eq!(parsed.good[0].1.categories[0].category.0, "tekun");
    }

    #[test]
    fn english_headers_and_gb18030_are_read() {
        let (bytes, _, _) = encoding_rs::GB18030.encode("name,village\n王秀英,大寨村\n");
        let table = read_table(&bytes, &ImportLimits::default(), &Cancel::default()).unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let parsed = parse_roster(table, &HashMap::new(), today, &Cancel::default()).unwrap();
        assert_eq!(parsed.good[0].1.name, "王秀英");
        assert_eq!(parsed.good[0].1.village.as_deref(), Some("大寨村"));
        let only_foo = vec![(1, vec!["foo".into()])];
        assert!(parse_roster(only_foo, &HashMap::new(), today, &Cancel::default()).is_err());
    }

    fn no_limits() -> (ImportLimits, Cancel) {
        (ImportLimits::default(), Cancel::default())
    }

    #[test]
    fn row_numbers_count_blank_lines_and_crlf() {
        let csv = "name\r\n\r\nA\r\n\"B\nC\"\r\n\n\nD\n";
        let (limits, cancel) = no_limits();
        let rows: Vec<usize> = read_table(csv.as_bytes(), &limits, &cancel)
            .unwrap()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(rows, vec![1, 3, 4, 8]);
    }

    #[test]
    fn rows_and_columns_are_bounded() {
        let limits = ImportLimits {
            max_rows: 3,
            max_columns: 2,
            ..ImportLimits::default()
        };
        let cancel = Cancel::default();
        assert!(read_table(b"name\na\nb\n", &limits, &cancel).is_ok());
        let e = read_table(b"name\na\nb\nc\n", &limits, &cancel).unwrap_err();
        assert!(
            matches!(&e, ImportError::TooLarge(m) if m.contains("3 rows")),
            "{e}"
        );
        let e = read_table(b"name,a,b\n", &limits, &cancel).unwrap_err();
        assert!(
            matches!(&e, ImportError::TooLarge(m) if m.contains("2 columns")),
            "{e}"
        );
    }

    #[test]
    fn sheet_extent_is_checked_from_the_dimension_and_the_cells() {
        let limits = ImportLimits::default();
        let ok = br#"<worksheet><dimension ref="A1:C3"/><sheetData><row r="1"><c r="A1"/></row></sheetData></worksheet>"#;
        assert!(check_sheet(ok, &limits).is_ok());
        let declared = br#"<worksheet><dimension ref="A1:XFD1048576"/></worksheet>"#;
        assert!(matches!(
            check_sheet(declared, &limits),
            Err(ImportError::TooLarge(_))
        ));
        let far = br#"<x:worksheet><x:sheetData><x:row r="1"><x:c r="A1"/><x:c r="ZZ9"/></x:row></x:sheetData></x:worksheet>"#;
        assert!(matches!(
            check_sheet(far, &limits),
            Err(ImportError::TooLarge(_))
        ));
        let deep = br#"<worksheet><sheetData><row r="2000000"><c/></row></sheetData></worksheet>"#;
        assert!(matches!(
            check_sheet(deep, &limits),
            Err(ImportError::TooLarge(_))
        ));
        // Cells without references follow each other.
        let mut wide = String::from("<worksheet><sheetData><row>");
        wide.push_str(&"<c><v>1</v></c>".repeat(65));
        wide.push_str("</row></sheetData></worksheet>");
        assert!(matches!(
            check_sheet(wide.as_bytes(), &limits),
            Err(ImportError::TooLarge(_))
        ));
        assert_eq!(cell_ref(b"XFD1048576"), Some((1_048_576, 16_384)));
        assert_eq!(cell_ref(b"$B$7"), Some((7, 2)));
    }

    #[test]
    fn a_cancelled_import_stops() {
        let (limits, cancel) = no_limits();
        let guard = cancel.on_drop();
        assert!(cancel.check().is_ok());
        drop(guard);
        assert_eq!(
            read_table(b"name\na\n", &limits, &cancel).unwrap_err(),
            ImportError::Cancelled
        );
        let table: Table = (1..=3).map(|n| (n, vec!["name".to_string()])).collect();
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        assert_eq!(
            parse_roster(table, &HashMap::new(), today, &cancel).unwrap_err(),
            ImportError::Cancelled
        );
        // Cancelled while running: the job returns instead of finishing.
        let mut csv = String::from("姓名,村\n");
        for i in 0..300_000 {
            csv.push_str(&format!("王{i},大寨村\n"));
        }
        let cancel = Cancel::default();
        let job = {
            let cancel = cancel.clone();
            std::thread::spawn(move || {
                let table = read_table(
                    csv.as_bytes(),
                    &ImportLimits {
                        max_rows: 1_000_000,
                        ..limits
                    },
                    &cancel,
                )?;
                parse_roster(table, &HashMap::new(), today, &cancel)
            })
        };
        cancel.cancel();
        assert_eq!(job.join().unwrap().unwrap_err(), ImportError::Cancelled);
    }

    #[test]
    fn control_characters_in_cells_refuse_the_row() {
        let (limits, cancel) = no_limits();
        let csv = "姓名,村\n王\u{0}英,大寨村\n李四,大\u{1b}寨\n赵六,小寨村\n";
        let table = read_table(csv.as_bytes(), &limits, &cancel).unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let parsed = parse_roster(table, &HashMap::new(), today, &cancel).unwrap();
        assert_eq!(parsed.good.len(), 1);
        assert_eq!(parsed.bad.len(), 2);
        assert!(
            parsed.bad[0].reason.contains("姓名"),
            "{}",
            parsed.bad[0].reason
        );
        assert!(
            parsed.bad[1].reason.contains("U+001B"),
            "{}",
            parsed.bad[1].reason
        );
    }

    /// A ledger of `n` diners with ID numbers, a blank line every 100 rows.
    fn ledger(n: usize) -> String {
        let mut csv = String::from("姓名,身份证号,村,类别\n");
        for i in 0..n {
            let first17 = format!("530922{}{:03}", 19_400_101 + (i % 28) as u32, i % 1000);
            let bytes: [u8; 17] = first17.as_bytes().try_into().unwrap();
            let id = format!(
                "{first17}{}",
                canteen_core::resident_id::check_character(&bytes)
            );
            csv.push_str(&format!("王{i},{id},大寨村,tekun\n"));
            if i % 100 == 99 {
                csv.push('\n');
            }
        }
        csv
    }

    /// Prints the time for 20,000 and 100,000 rows (the target is 100,000
    /// in under 2 s, measured, not asserted): five times the rows should
    /// take about five times as long.
    #[test]
    fn import_time_grows_linearly_with_rows() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        for n in [20_000, 100_000] {
            let csv = ledger(n);
            let started = std::time::Instant::now();
            let (limits, cancel) = no_limits();
            let table = read_table(csv.as_bytes(), &limits, &cancel).unwrap();
            let parsed = parse_roster(table, &HashMap::new(), today, &cancel).unwrap();
            println!(
                "roster import of {n} CSV rows: {:?} ({} bytes)",
                started.elapsed(),
                csv.len()
            );
            // The IDs repeat every 7,000 rows: the repeats are refused, not lost.
            assert_eq!(parsed.good.len() + parsed.bad.len(), n);
            let last = parsed
                .good
                .iter()
                .map(|(r, _)| *r)
                .chain(parsed.bad.iter().map(|e| e.row))
                .max()
                .unwrap();
            // Header, n rows and a blank line after every hundredth row.
            assert_eq!(last, 1 + n + (n - 1) / 100);
        }
    }
}
