//! Line breaking: IDs, amounts and numbers are never split; place names
//! break between words; letters the printer prints double width count two.

use receipts::layout::{BREAK_HINT, char_columns, text_columns, wrap};
use receipts::{Layout, Line, Mode, Paper, Style, escpos, text};

use crate::decoder::decode;
use crate::fixtures;

const PAPERS: [Paper; 2] = [Paper::Mm58, Paper::Mm80];
const ID: &str = "653101**********19";

fn texts(layout: &Layout) -> Vec<String> {
    layout
        .lines
        .iter()
        .filter_map(|l| match l {
            Line::Text { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

/// The lines of the layout as the three renderers print them: plain text,
/// ESC/POS text mode decoded back, and the lines bitmap mode draws.
fn printed(layout: &Layout) -> [Vec<String>; 3] {
    let plain: Vec<String> = text::render(layout).lines().map(String::from).collect();
    let decoded: Vec<String> = decode(&escpos::text_mode(layout).unwrap())
        .texts()
        .into_iter()
        .map(String::from)
        .collect();
    [plain, decoded, texts(layout)]
}

#[test]
fn a_masked_id_is_never_split_whatever_the_name() {
    let pool: Vec<char> = "欧阳娜仁其其格额尔敦巴雅尔王秀英李桂芬张丽杨"
        .chars()
        .collect();
    for paper in PAPERS {
        for n in 1..=pool.len() {
            let name: String = pool[..n].iter().collect();
            let mut receipt = fixtures::receipt(&fixtures::typical_sale());
            receipt.meals[0].diner = name.clone();
            receipt.meals[0].masked_id = Some(ID.into());
            let layout = receipt.layout(paper);
            for lines in printed(&layout) {
                let at = lines
                    .iter()
                    .position(|l| l.contains(ID))
                    .unwrap_or_else(|| panic!("{name} on {paper:?}: ID split in {lines:#?}"));
                // Beside the whole name, or alone right under the name.
                if lines[at] != ID {
                    assert_eq!(lines[at], format!("{name} {ID}"), "{paper:?}");
                } else {
                    let above: String = lines[..at]
                        .iter()
                        .rev()
                        .take_while(|l| !l.starts_with('-'))
                        .cloned()
                        .collect::<Vec<_>>()
                        .into_iter()
                        .rev()
                        .collect();
                    assert!(above.ends_with(&name), "{paper:?}: {above:?}");
                    assert!(
                        text_columns(&format!("{name} {ID}")) > paper.columns(),
                        "{name} and the ID fit on one line on {paper:?}"
                    );
                }
                assert!(lines.iter().all(|l| text_columns(l) <= paper.columns()));
            }
        }
    }
}

#[test]
fn amounts_and_numbers_are_never_split() {
    for paper in PAPERS {
        for n in 8..=30 {
            let mut receipt = fixtures::receipt(&fixtures::typical_sale());
            let name: String = "特别加量的红烧肉配米饭和青菜豆腐汤还有一个煎鸡蛋加辣椒酱"
                .chars()
                .take(n)
                .collect();
            receipt.extras[0].name = name;
            receipt.extras[0].unit_price = canteen_core::Money::from_fen(123_456);
            receipt.extras[0].quantity = 12;
            receipt.extras[0].amount = canteen_core::Money::from_fen(1_481_472);
            let layout = receipt.layout(paper);
            for lines in printed(&layout) {
                let all = lines.join("\n");
                for whole in [
                    "￥1234.56×12",
                    "￥14814.72",
                    "2026-03-02",
                    "11:42",
                    "00000011",
                ] {
                    assert!(
                        lines.iter().any(|l| l.contains(whole)),
                        "{whole} split on {paper:?}:\n{all}"
                    );
                }
            }
        }
    }
}

#[test]
fn wrapping_keeps_numbers_ids_and_amounts_whole() {
    assert_eq!(
        wrap("张三丰的孙女 653101**********19", 20),
        ["张三丰的孙女", "653101**********19"]
    );
    assert_eq!(
        wrap("标准 ￥12.00 补贴 ￥6.00", 16),
        ["标准 ￥12.00", "补贴 ￥6.00"]
    );
    assert_eq!(
        wrap("监督电话0883-1234567", 14),
        ["监督电话", "0883-1234567"]
    );
    // A name's middle dot is a better break than inside a name part.
    assert_eq!(
        wrap("欧阳娜仁其其格·额尔敦巴雅尔", 18),
        ["欧阳娜仁其其格·", "额尔敦巴雅尔"]
    );
    // Punctuation does not begin a line.
    assert_eq!(
        wrap("谢谢惠顾，祝您健康", 8),
        ["谢谢惠", "顾，祝您", "健康"]
    );
}

fn title(layout: &Layout) -> Vec<String> {
    layout
        .lines
        .iter()
        .take_while(|l| matches!(l, Line::Text { style, .. } if *style == Style::LARGE))
        .filter_map(|l| match l {
            Line::Text { text, .. } => Some(text.trim().to_string()),
            _ => None,
        })
        .collect()
}

#[test]
fn the_title_breaks_between_words_not_inside_them() {
    let mut receipt = fixtures::receipt(&fixtures::typical_sale());
    receipt.canteen = "西双版纳州勐海县勐遮镇幸福食堂".into();
    assert_eq!(
        title(&receipt.layout(Paper::Mm80)),
        ["西双版纳州勐海县勐遮镇", "幸福食堂"]
    );
    assert_eq!(
        title(&receipt.layout(Paper::Mm58)),
        ["西双版纳州勐海县", "勐遮镇幸福食堂"]
    );
    // With no unit to break after, 幸福 and 食堂 still stay whole.
    receipt.canteen = "曼短曼喃曼洪曼燕曼令幸福食堂".into();
    for paper in PAPERS {
        let lines = title(&receipt.layout(paper));
        assert!(lines.len() > 1);
        for pair in lines.windows(2) {
            for word in ["幸福", "食堂"] {
                let joined = format!("{}|{}", pair[0], pair[1]);
                let split = format!("{}|{}", &word[..3], &word[3..]);
                assert!(!joined.contains(&split), "{word} split: {lines:?}");
            }
        }
    }
}

#[test]
fn the_caller_can_mark_where_a_name_may_break() {
    let mut receipt = fixtures::receipt(&fixtures::typical_sale());
    receipt.canteen = format!("勐海县勐遮镇曼弄村{BREAK_HINT}老年幸福助餐点");
    let layout = receipt.layout(Paper::Mm80);
    assert_eq!(title(&layout), ["勐海县勐遮镇曼弄村", "老年幸福助餐点"]);
    // The mark is never printed.
    let bytes = escpos::text_mode(&layout).unwrap();
    assert!(
        !decode(&bytes)
            .texts()
            .iter()
            .any(|l| l.contains(BREAK_HINT))
    );
    assert!(!text::render(&layout).contains(BREAK_HINT));
}

#[test]
fn latin_letters_the_printer_prints_wide_count_two_columns() {
    // GB18030 encodes these in two bytes, so the printer's Chinese font
    // prints them full width.
    for c in ['ǹ', 'ḿ', 'é', 'ü', 'ā', 'ɑ', 'ɡ', '·'] {
        assert_eq!(char_columns(c), 2, "{c}");
    }
    // Characters GB18030 needs four bytes for print as '?' (one column) or
    // □ (two) in text mode, matching their width here.
    assert_eq!(char_columns('ŵ'), 1);
    assert_eq!(char_columns('a'), 1);
    // A combining accent is composed with its letter.
    assert_eq!(receipts::layout::sanitize("n\u{300}g"), "ǹg");
    assert_eq!(
        text_columns("n\u{300}g"),
        2,
        "a bare combining mark takes no column"
    );
    assert_eq!(text_columns(&receipts::layout::sanitize("n\u{300}g")), 3);

    // On a receipt the amounts stay right-aligned after such a name.
    for paper in PAPERS {
        let mut receipt = fixtures::receipt(&fixtures::typical_sale());
        receipt.meals[0].diner = "Ǹǹ·ḿḿ".into();
        receipt.extras[0].name = "n\u{300}ǹ煎蛋".into();
        let layout = receipt.layout(paper);
        let bytes = escpos::text_mode(&layout).unwrap();
        let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
        assert!(has(&[0xA8, 0xBF]), "ǹ as GB18030 A8BF");
        assert!(has(&[0xA8, 0xBC]), "ḿ as GB18030 A8BC");
        let decoded = decode(&bytes);
        let extra = decoded
            .texts()
            .into_iter()
            .find(|l| l.starts_with("ǹǹ煎蛋"))
            .unwrap()
            .to_string();
        assert_eq!(text_columns(&extra), paper.columns(), "{extra:?}");
        assert!(extra.ends_with("￥3.00"));
        let _ = Mode::Text;
    }
}
