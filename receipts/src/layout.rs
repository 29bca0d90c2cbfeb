//! The pure, width-aware layout shared by every renderer.
//!
//! A receipt, void slip or shift report becomes a list of [`Line`]s whose
//! text is already aligned with spaces for the paper's column count, where a
//! Chinese character takes two columns. Renderers only add styles: plain
//! text prints the lines as they are, ESC/POS sends them with bold and
//! double-size commands, the bitmap renderer draws them cell by cell.

use canteen_core::{Money, Payment};
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};
use unicode_width::UnicodeWidthChar;

use crate::model::{MealLine, PriceBasis, Receipt, Refund, ShiftReport, VoidSlip};

/// Receipt paper width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Paper {
    /// 58 mm roll: 32 columns of 12-dot characters, 384 dots.
    Mm58,
    /// 80 mm roll: 48 columns of 12-dot characters, 576 dots.
    Mm80,
}

impl Paper {
    /// Columns of the printer's 12 × 24 font (an ASCII character is one
    /// column, a Chinese character two).
    pub const fn columns(self) -> usize {
        match self {
            Paper::Mm58 => 32,
            Paper::Mm80 => 48,
        }
    }

    /// Printable width in dots (203 dpi).
    pub const fn dots(self) -> u32 {
        match self {
            Paper::Mm58 => 384,
            Paper::Mm80 => 576,
        }
    }

    /// Size of one QR code module in dots.
    pub const fn qr_module_dots(self) -> u8 {
        match self {
            Paper::Mm58 => 6,
            Paper::Mm80 => 7,
        }
    }
}

impl std::str::FromStr for Paper {
    type Err = String;

    /// Parses `58`, `58mm`, `80` or `80mm` (spaces and case ignored).
    fn from_str(s: &str) -> Result<Paper, String> {
        let t = s.trim().to_ascii_lowercase().replace(' ', "");
        match t.strip_suffix("mm").unwrap_or(&t) {
            "58" => Ok(Paper::Mm58),
            "80" => Ok(Paper::Mm80),
            _ => Err(format!("'{s}' is not a paper width: write 58mm or 80mm")),
        }
    }
}

/// How a line of text is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Style {
    /// Emphasised.
    pub bold: bool,
    /// Double width and height: the line has half the columns.
    pub double: bool,
}

impl Style {
    /// Plain text.
    pub const NORMAL: Style = Style {
        bold: false,
        double: false,
    };
    /// Bold.
    pub const BOLD: Style = Style {
        bold: true,
        double: false,
    };
    /// Bold and double size, for titles and totals.
    pub const LARGE: Style = Style {
        bold: true,
        double: true,
    };
}

/// One line of a laid-out document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// Text, already aligned, with no trailing spaces. A double-size line
    /// holds at most half the paper's columns.
    Text {
        /// What is printed.
        text: String,
        /// How.
        style: Style,
    },
    /// A rule across the paper (dashes in text).
    Rule,
    /// A centred QR code holding this text.
    Qr(String),
}

/// A document laid out for one paper width.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The paper.
    pub paper: Paper,
    /// The lines, top to bottom.
    pub lines: Vec<Line>,
    /// Open the cash drawer when printing.
    pub open_drawer: bool,
}

/// Columns a character takes on the printer: one for ASCII, none for
/// control and zero-width characters, two for Chinese and for every other
/// character GB18030 encodes in two bytes (the printer's Chinese font
/// prints each of them full width, Latin letters such as ǹ, ḿ, é and ü
/// included), otherwise its Unicode East Asian width (ambiguous as wide).
pub fn char_columns(c: char) -> usize {
    if c.is_ascii() {
        return usize::from(!c.is_ascii_control());
    }
    if ('\u{4E00}'..='\u{9FFF}').contains(&c) {
        return 2;
    }
    match c.width_cjk() {
        Some(1) if gb18030_double_byte(c) => 2,
        Some(w) => w,
        None => 0,
    }
}

/// True when GB18030 encodes `c` in two bytes.
fn gb18030_double_byte(c: char) -> bool {
    let mut utf8 = [0u8; 4];
    let mut gb = [0u8; 8];
    let (_, _, written) = encoding_rs::GB18030
        .new_encoder()
        .encode_from_utf8_without_replacement(c.encode_utf8(&mut utf8), &mut gb, false);
    written == 2
}

/// Columns a text takes on the printer; see [`char_columns`].
pub fn text_columns(text: &str) -> usize {
    text.chars().map(char_columns).sum()
}

/// Where the caller allows a line break in a name, e.g.
/// `"西双版纳州勐海县\u{200B}勐遮镇\u{200B}幸福食堂"`. Such a mark is
/// preferred to any other break and never printed.
pub const BREAK_HINT: char = '\u{200B}';

/// Makes text from outside (names, footers) printable: letters with
/// combining accents are composed (n + ◌̀ is ǹ, printed as one character),
/// line breaks and tabs become spaces, control and zero-width characters
/// are dropped (an ESC inside a name must not reach the printer as a
/// command), and the half-width ¥, which GBK lacks, becomes the full-width ￥.
pub fn sanitize(text: &str) -> String {
    let clean = |c: char| match c {
        '\t' | '\n' | '\r' => Some(' '),
        '¥' => Some('￥'),
        c if char_columns(c) == 0 => None,
        c => Some(c),
    };
    // Most text is already composed: skip the composing pass for it.
    if text.is_ascii() || is_nfc_quick(text.chars()) == IsNormalized::Yes {
        text.chars().filter_map(clean).collect()
    } else {
        text.nfc().filter_map(clean).collect()
    }
}

/// How much a break between two pieces of text is wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Break {
    /// Never: inside a number, an amount, an ID, a word.
    Never,
    /// Between two Chinese characters, or a last resort inside a word
    /// longer than the line.
    Char,
    /// After the middle dot of a name (娜仁·其其格) or an administrative
    /// unit in a place name (…勐遮镇 / 幸福食堂).
    Unit,
    /// At a space or a [`BREAK_HINT`].
    Word,
}

/// Words kept whole in canteen and place names.
const WHOLE_WORDS: [&str; 8] = [
    "幸福", "食堂", "公社", "社区", "老年", "助餐", "餐厅", "中心",
];

/// Administrative units after which a place name breaks best.
const PLACE_UNITS: [char; 10] = ['省', '市', '州', '盟', '县', '旗', '区', '镇', '乡', '村'];

/// Punctuation that must not begin a line.
fn closes(c: char) -> bool {
    matches!(
        c,
        '，' | '。'
            | '、'
            | '；'
            | '：'
            | '！'
            | '？'
            | '）'
            | '」'
            | '』'
            | '】'
            | '》'
            | '·'
            | ','
            | '.'
            | ';'
            | ':'
            | '!'
            | '?'
            | ')'
            | '%'
    )
}

/// Punctuation that must not end a line.
fn opens(c: char) -> bool {
    matches!(c, '（' | '「' | '『' | '【' | '《' | '(')
}

/// A piece of text that is never broken, and how much a break before it
/// is wanted.
#[derive(Debug)]
struct Piece {
    text: String,
    columns: usize,
    before: Break,
    space: bool,
}

/// Characters of numbers, amounts, IDs and words: kept together.
fn is_word_char(c: char) -> bool {
    c.is_ascii_graphic()
        || matches!(c, '￥' | '×' | '％')
        || (c.is_alphanumeric() && !is_han(c) && c.len_utf8() < 3)
}

fn is_han(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{3FFFF}')
}

/// Cuts sanitized text into pieces that are never broken.
fn pieces(text: &str, place: bool) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::new();
    let mut hint = false;
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == BREAK_HINT {
            hint = true;
            i += 1;
            continue;
        }
        if c == ' ' {
            out.push(Piece {
                text: " ".into(),
                columns: 1,
                before: Break::Word,
                space: true,
            });
            i += 1;
            continue;
        }
        let start = i;
        if is_word_char(c) && !closes(c) {
            while i < chars.len() && is_word_char(chars[i]) {
                i += 1;
            }
        } else if let Some(w) = WHOLE_WORDS.iter().find(|w| {
            w.chars().zip(&chars[i..]).filter(|(a, b)| a == *b).count() == w.chars().count()
        }) {
            i += w.chars().count();
        } else {
            i += 1;
        }
        let piece: String = chars[start..i].iter().collect();
        let prev = out.last();
        let mut before = match prev {
            None => Break::Never,
            Some(p) if p.space => Break::Word,
            Some(p) => {
                let last = p.text.chars().last().unwrap_or(' ');
                if last == '·' || (place && PLACE_UNITS.contains(&last)) {
                    Break::Unit
                } else {
                    Break::Char
                }
            }
        };
        if closes(c) || prev.is_some_and(|p| p.text.chars().last().is_some_and(opens)) {
            before = Break::Never;
        }
        if hint && !out.is_empty() {
            before = Break::Word;
        }
        hint = false;
        out.push(Piece {
            columns: text_columns(&piece),
            text: piece,
            before,
            space: false,
        });
    }
    out
}

/// Splits text into lines of at most `width` columns. It breaks at a
/// [`BREAK_HINT`] or a space first, then after a name's middle dot, then
/// between Chinese characters; never inside a number, an amount, an ID or
/// a word, unless the word alone is longer than the line.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    wrap_pieces(pieces(&sanitize_keeping_hints(text), false), width)
}

/// [`wrap`] for the name of a place: it also breaks well after an
/// administrative unit (省 市 州 县 区 镇 乡 村…), so
/// 西双版纳州勐海县勐遮镇幸福食堂 becomes 西双版纳州勐海县勐遮镇 / 幸福食堂.
pub fn wrap_place(text: &str, width: usize) -> Vec<String> {
    wrap_pieces(pieces(&sanitize_keeping_hints(text), true), width)
}

fn sanitize_keeping_hints(text: &str) -> String {
    text.split(BREAK_HINT)
        .map(sanitize)
        .collect::<Vec<_>>()
        .join(&BREAK_HINT.to_string())
}

fn wrap_pieces(mut all: Vec<Piece>, width: usize) -> Vec<String> {
    let width = width.max(2);
    // A word longer than the line is cut between its characters.
    let mut split = Vec::with_capacity(all.len());
    for p in all.drain(..) {
        if p.columns <= width {
            split.push(p);
            continue;
        }
        let mut first = Some(p.before);
        for c in p.text.chars() {
            split.push(Piece {
                text: c.to_string(),
                columns: char_columns(c),
                before: first.take().unwrap_or(Break::Char),
                space: false,
            });
        }
    }
    let mut lines: Vec<String> = Vec::new();
    let mut cur: Vec<Piece> = Vec::new();
    let mut cur_w = 0;
    let flush = |cur: &mut Vec<Piece>, lines: &mut Vec<String>| {
        let line: String = cur.drain(..).map(|p| p.text).collect();
        lines.push(line.trim_end().to_string());
    };
    for piece in split {
        if cur_w + piece.columns <= width {
            cur_w += piece.columns;
            cur.push(piece);
            continue;
        }
        if piece.space {
            flush(&mut cur, &mut lines);
            cur_w = 0;
            continue;
        }
        // The best break in the line: the most wanted, then the latest.
        // Never one that leaves only indentation before it.
        let mut best: Option<(Break, usize)> = None;
        let mut seen_text = false;
        for k in 0..=cur.len() {
            let before = if k == cur.len() {
                piece.before
            } else {
                cur[k].before
            };
            if k > 0 && seen_text && before > Break::Never {
                let after_space = cur[k - 1].space;
                let kind = if after_space { Break::Word } else { before };
                if best.is_none_or(|(b, _)| kind >= b) {
                    best = Some((kind, k));
                }
            }
            if k < cur.len() && !cur[k].space {
                seen_text = true;
            }
        }
        match best {
            Some((_, k)) => {
                let rest: Vec<Piece> = cur.split_off(k);
                flush(&mut cur, &mut lines);
                cur = rest.into_iter().skip_while(|p| p.space).collect();
            }
            None if !cur.is_empty() => {
                // Nothing to break at (text glued to punctuation): break here.
                flush(&mut cur, &mut lines);
            }
            None => {}
        }
        cur.push(piece);
        cur_w = cur.iter().map(|p| p.columns).sum();
        // Still too wide (a glued run): cut it before the new piece.
        if cur_w > width && cur.len() > 1 {
            let last = cur.pop();
            flush(&mut cur, &mut lines);
            cur.extend(last);
            cur_w = cur.iter().map(|p| p.columns).sum();
        }
    }
    let last: String = cur.into_iter().map(|p| p.text).collect();
    let last = last.trim_end();
    if !last.is_empty() || lines.is_empty() {
        lines.push(last.to_string());
    }
    lines
}

fn spaces(n: usize) -> String {
    " ".repeat(n)
}

/// Builds lines for one paper width.
struct Builder {
    width: usize,
    lines: Vec<Line>,
}

impl Builder {
    fn new(paper: Paper) -> Builder {
        Builder {
            width: paper.columns(),
            lines: Vec::with_capacity(48),
        }
    }

    fn cols(&self, style: Style) -> usize {
        if style.double {
            self.width / 2
        } else {
            self.width
        }
    }

    fn push(&mut self, text: String, style: Style) {
        let text = text.trim_end().to_string();
        self.lines.push(Line::Text { text, style });
    }

    fn left(&mut self, text: &str, style: Style) {
        for piece in wrap(text, self.cols(style)) {
            self.push(piece, style);
        }
    }

    /// Left text indented by two columns, continuation lines too.
    fn indented(&mut self, text: &str, style: Style) {
        for piece in wrap(text, self.cols(style).saturating_sub(2)) {
            self.push(format!("  {piece}"), style);
        }
    }

    fn center(&mut self, text: &str, style: Style) {
        let w = self.cols(style);
        self.center_lines(wrap(text, w), style);
    }

    /// A centred place name: breaks after 镇, 县… rather than inside a word.
    fn center_place(&mut self, text: &str, style: Style) {
        let w = self.cols(style);
        self.center_lines(wrap_place(text, w), style);
    }

    fn center_lines(&mut self, lines: Vec<String>, style: Style) {
        let w = self.cols(style);
        for piece in lines {
            let pad = (w.saturating_sub(text_columns(&piece))) / 2;
            self.push(format!("{}{piece}", spaces(pad)), style);
        }
    }

    fn right(&mut self, text: &str, style: Style) {
        let w = self.cols(style);
        for piece in wrap(text, w) {
            let pad = w.saturating_sub(text_columns(&piece));
            self.push(format!("{}{piece}", spaces(pad)), style);
        }
    }

    /// Left and right columns; the left wraps, the right goes at the end of
    /// its last line, or on a line of its own when it does not fit.
    fn pair(&mut self, left: &str, right: &str, style: Style) {
        let w = self.cols(style);
        let right = sanitize(right);
        let rw = text_columns(&right);
        let mut pieces = wrap(left, w);
        let last = pieces.pop().unwrap_or_default();
        for piece in pieces {
            self.push(piece, style);
        }
        let lw = text_columns(&last);
        if lw + 1 + rw <= w {
            self.push(format!("{last}{}{right}", spaces(w - lw - rw)), style);
        } else {
            self.push(last, style);
            self.right(&right, style);
        }
    }

    fn rule(&mut self) {
        self.lines.push(Line::Rule);
    }

    fn blank(&mut self) {
        self.lines.push(Line::Text {
            text: String::new(),
            style: Style::NORMAL,
        });
    }

    fn qr(&mut self, payload: String) {
        self.lines.push(Line::Qr(payload));
    }

    fn header(&mut self, canteen: &str, site: &str) {
        self.center_place(canteen, Style::LARGE);
        if sanitize(site).trim() != sanitize(canteen).trim() && !sanitize(site).trim().is_empty() {
            self.center_place(site, Style::NORMAL);
        }
    }

    fn meal(&mut self, meal: &MealLine) {
        // The masked ID goes beside the name when both fit on the line, on
        // a line of its own otherwise: never split.
        match &meal.masked_id {
            Some(id) => {
                let both = format!("{} {}", sanitize(&meal.diner).trim(), sanitize(id).trim());
                if text_columns(&both) <= self.cols(Style::BOLD) {
                    self.push(both, Style::BOLD);
                } else {
                    self.left(&meal.diner, Style::BOLD);
                    self.left(id, Style::BOLD);
                }
            }
            None => self.left(&meal.diner, Style::BOLD),
        }
        let mut basis = match &meal.basis {
            PriceBasis::Bracket(b) => format!("{b}岁档"),
            PriceBasis::Category(name) => name.clone(),
            PriceBasis::Standard | PriceBasis::WalkIn => "标准价".to_string(),
        };
        if meal.paid == Money::ZERO && meal.subsidy > Money::ZERO {
            basis.push_str(" 免费");
        }
        let paid = format!("实付 {}", meal.paid.with_yuan_sign());
        if meal.subsidy == Money::ZERO {
            self.pair(&format!("  {basis}"), &paid, Style::NORMAL);
            return;
        }
        let detail = format!(
            "标准 {} 补贴 {}",
            meal.standard.with_yuan_sign(),
            meal.subsidy.with_yuan_sign()
        );
        self.pair(&format!("  {basis}"), &paid, Style::NORMAL);
        self.indented(&detail, Style::NORMAL);
    }

    fn items(&mut self, meals: &[MealLine], extras: &[crate::model::ExtraLine]) {
        for meal in meals {
            self.meal(meal);
        }
        for extra in extras {
            let name = if extra.quantity == 1 {
                extra.name.clone()
            } else {
                format!(
                    "{} {}×{}",
                    extra.name,
                    extra.unit_price.with_yuan_sign(),
                    extra.quantity
                )
            };
            self.pair(&name, &extra.amount.with_yuan_sign(), Style::NORMAL);
        }
    }

    fn finish(self, paper: Paper, open_drawer: bool) -> Layout {
        Layout {
            paper,
            lines: self.lines,
            open_drawer,
        }
    }
}

const TIME: &str = "%Y-%m-%d %H:%M";

impl Receipt {
    /// Lays the receipt out for `paper`.
    pub fn layout(&self, paper: Paper) -> Layout {
        let mut b = Builder::new(paper);
        if self.reprint {
            b.center("** 重打 **", Style::BOLD);
        }
        b.header(&self.canteen, &self.site);
        b.rule();
        b.pair(
            &format!("单号 {}", self.receipt_no),
            self.slot.name_zh(),
            Style::NORMAL,
        );
        b.left(
            &format!("时间 {}", self.sold_at.format(TIME)),
            Style::NORMAL,
        );
        b.pair(
            &format!("终端 {}", self.terminal),
            &format!("收银 {}", self.cashier),
            Style::NORMAL,
        );
        b.rule();
        b.items(&self.meals, &self.extras);
        b.rule();
        b.pair("合计", &self.total_paid.with_yuan_sign(), Style::LARGE);
        if self.subsidy_total > Money::ZERO {
            b.pair(
                "政府补贴",
                &self.subsidy_total.with_yuan_sign(),
                Style::NORMAL,
            );
        }
        match &self.payment {
            Payment::Cash { tendered, change } => {
                b.pair("现金", &tendered.with_yuan_sign(), Style::NORMAL);
                b.pair("找零", &change.with_yuan_sign(), Style::BOLD);
            }
            Payment::Qr { reference } => {
                b.pair("扫码支付", &self.total_paid.with_yuan_sign(), Style::NORMAL);
                if let Some(r) = reference.as_deref().filter(|r| !r.trim().is_empty()) {
                    b.indented(&format!("参考号 {r}"), Style::NORMAL);
                }
            }
        }
        b.rule();
        b.qr(self.sale_id.to_string());
        for line in &self.footer {
            b.center(line, Style::NORMAL);
        }
        b.finish(paper, self.opens_drawer())
    }
}

impl VoidSlip {
    /// Lays the void slip out for `paper`.
    pub fn layout(&self, paper: Paper) -> Layout {
        let mut b = Builder::new(paper);
        if self.reprint {
            b.center("** 重打 **", Style::BOLD);
        }
        b.header(&self.canteen, &self.site);
        b.center("作废单", Style::LARGE);
        b.rule();
        b.pair(
            &format!("原单号 {}", self.receipt_no),
            self.slot.name_zh(),
            Style::NORMAL,
        );
        b.left(
            &format!("原单时间 {}", self.sold_at.format(TIME)),
            Style::NORMAL,
        );
        b.left(
            &format!("作废时间 {}", self.voided_at.format(TIME)),
            Style::NORMAL,
        );
        b.pair(
            &format!("终端 {}", self.terminal),
            &format!("经办 {}", self.voided_by),
            Style::NORMAL,
        );
        b.rule();
        b.items(&self.meals, &self.extras);
        b.rule();
        b.pair("退款", &self.refund.amount().with_yuan_sign(), Style::LARGE);
        let how = match self.refund {
            Refund::Cash(_) => "现金退还",
            Refund::Qr(_) => "扫码原路退回",
        };
        b.pair("退款方式", how, Style::NORMAL);
        b.left(&format!("原因：{}", self.reason), Style::NORMAL);
        b.rule();
        b.qr(self.sale_id.to_string());
        b.left("经办人签字：", Style::NORMAL);
        b.blank();
        b.blank();
        b.finish(paper, self.opens_drawer())
    }
}

impl ShiftReport {
    /// Lays the shift report out for `paper`.
    pub fn layout(&self, paper: Paper) -> Layout {
        let mut b = Builder::new(paper);
        b.header(&self.canteen, &self.site);
        b.center("交班报表", Style::LARGE);
        b.rule();
        b.pair(
            &format!("终端 {}", self.terminal),
            &format!("收银 {}", self.cashier),
            Style::NORMAL,
        );
        b.left(
            &format!("开班 {}", self.opened_at.format(TIME)),
            Style::NORMAL,
        );
        b.left(
            &format!("交班 {}", self.closed_at.format(TIME)),
            Style::NORMAL,
        );
        b.rule();
        b.pair("销售笔数", &self.sales_count.to_string(), Style::NORMAL);
        b.pair("作废笔数", &self.voids_count.to_string(), Style::NORMAL);
        b.pair("就餐份数", &self.meals_count.to_string(), Style::NORMAL);
        b.pair("现金收入", &self.cash_sales.with_yuan_sign(), Style::NORMAL);
        b.pair("扫码收入", &self.qr_sales.with_yuan_sign(), Style::NORMAL);
        b.pair(
            "备用金",
            &self.opening_float.with_yuan_sign(),
            Style::NORMAL,
        );
        b.rule();
        b.pair(
            "应有现金",
            &self.cash_expected.with_yuan_sign(),
            Style::BOLD,
        );
        b.pair("实点现金", &self.cash_counted.with_yuan_sign(), Style::BOLD);
        b.pair("差额", &self.difference.with_yuan_sign(), Style::LARGE);
        b.rule();
        b.left("补贴就餐（按年龄档/类别）", Style::BOLD);
        for t in &self.subsidised {
            b.pair(
                &format!("  {}", t.label),
                &format!("{}份 {}", t.meals, t.subsidy.with_yuan_sign()),
                Style::NORMAL,
            );
        }
        b.pair(
            "  小计",
            &format!(
                "{}份 {}",
                self.subsidised_meals,
                self.subsidy_total.with_yuan_sign()
            ),
            Style::BOLD,
        );
        b.rule();
        b.left("收银员签字：", Style::NORMAL);
        b.blank();
        b.blank();
        b.finish(paper, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check_wrap(text: &str, width: usize, expected: &[&str]) {
        assert_eq!(wrap(text, width), expected);
        for line in wrap(text, width) {
            assert!(
                text_columns(&line) <= width,
                "{line:?} is wider than {width}"
            );
        }
    }

    #[test]
    fn chinese_characters_take_two_columns() {
        assert_eq!(text_columns("食堂"), 4);
        assert_eq!(text_columns("￥12.50"), 7);
        assert_eq!(text_columns("A·B"), 4);
        assert_eq!(text_columns("a\u{1b}b"), 2);
    }

    #[test]
    fn wraps_between_characters_and_keeps_words() {
        check_wrap("欧阳娜仁其其格", 6, &["欧阳娜", "仁其其", "格"]);
        check_wrap("欧阳a娜仁", 6, &["欧阳a", "娜仁"]);
        check_wrap("thank you kindly", 10, &["thank you", "kindly"]);
        check_wrap("supercalifragilistic", 8, &["supercal", "ifragili", "stic"]);
        check_wrap("", 8, &[""]);
    }

    #[test]
    fn parses_paper_widths() {
        assert_eq!("58mm".parse(), Ok(Paper::Mm58));
        assert_eq!(" 80 MM".parse(), Ok(Paper::Mm80));
        assert!("76mm".parse::<Paper>().is_err());
    }

    #[test]
    fn sanitizes_outside_text() {
        assert_eq!(sanitize("王\u{1b}@五\n¥3"), "王@五 ￥3");
    }

    #[test]
    fn pairs_align_right_and_wrap_left() {
        let mut b = Builder::new(Paper::Mm58);
        b.pair("合计", "￥12.50", Style::LARGE);
        b.pair(
            "欧阳娜仁其其格·额尔敦巴雅尔大妈的外孙女",
            "实付 ￥6.00",
            Style::NORMAL,
        );
        let texts: Vec<String> = b
            .lines
            .iter()
            .map(|l| match l {
                Line::Text { text, .. } => text.clone(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(texts[0], "合计     ￥12.50");
        assert_eq!(text_columns(&texts[0]), 16);
        assert!(texts.iter().all(|t| text_columns(t) <= 32));
        assert!(texts.last().is_some_and(|t| t.ends_with("实付 ￥6.00")));
    }
}
