//! Text-mode ESC/POS bytes decode back to the plain-text rendering.

use receipts::layout::text_columns;
use receipts::{Line, Paper, escpos, text};

use crate::decoder::decode;
use crate::fixtures::{self, documents};

const PAPERS: [Paper; 2] = [Paper::Mm58, Paper::Mm80];

#[test]
fn decoded_lines_equal_the_plain_text_on_both_widths() {
    for paper in PAPERS {
        for (name, layout) in documents(paper) {
            let bytes = escpos::text_mode(&layout).unwrap();
            let decoded = decode(&bytes);
            let plain = text::render(&layout);
            assert_eq!(
                decoded.texts(),
                plain.lines().collect::<Vec<_>>(),
                "{name} on {paper:?}"
            );
            let styles: Vec<(bool, bool)> = layout
                .lines
                .iter()
                .filter_map(|l| match l {
                    Line::Text { style, .. } => Some((style.bold, style.double)),
                    Line::Rule => Some((false, false)),
                    Line::Qr(_) => None,
                })
                .collect();
            let printed: Vec<(bool, bool)> =
                decoded.lines.iter().map(|l| (l.bold, l.double)).collect();
            assert_eq!(printed, styles, "{name} on {paper:?}: styles");
            let qr: Vec<String> = layout
                .lines
                .iter()
                .filter_map(|l| match l {
                    Line::Qr(p) => Some(p.clone()),
                    _ => None,
                })
                .collect();
            assert_eq!(decoded.qr_codes, qr, "{name}: QR codes");
            assert_eq!(decoded.inits, 1, "{name}: ESC @");
            assert!(decoded.chinese_mode, "{name}: FS &");
            assert_eq!(decoded.cuts, 1, "{name}: one cut");
            assert_eq!(decoded.after_cut, 0, "{name}: nothing after the cut");
            assert_eq!(
                decoded.drawer_kicks,
                usize::from(layout.open_drawer),
                "{name}: drawer"
            );
            for line in &decoded.lines {
                let cols = text_columns(&line.text) * if line.double { 2 } else { 1 };
                assert!(
                    cols <= paper.columns(),
                    "{name} on {paper:?}: {:?} is {cols} columns",
                    line.text
                );
            }
        }
    }
}

#[test]
fn chinese_is_gb18030_in_chinese_mode_with_a_full_width_yuan_sign() {
    let layout = fixtures::receipt(&fixtures::typical_sale()).layout(Paper::Mm58);
    let bytes = escpos::text_mode(&layout).unwrap();
    // ESC @, then FS &, then the drawer kick (ESC p 0 25 250) of a cash sale.
    assert_eq!(
        bytes[..9],
        [0x1B, 0x40, 0x1C, 0x26, 0x1B, 0x70, 0x00, 0x19, 0xFA]
    );
    let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    assert!(has(&[0xCA, 0xB3, 0xCC, 0xC3]), "食堂 in GB18030");
    assert!(has(&[0xA3, 0xA4]), "￥ in GB18030");
    assert!(!has("¥".as_bytes()) && !has("食".as_bytes()), "no UTF-8");
    // Totals: bold and double size.
    assert!(
        has(&[0x1B, 0x45, 0x01, 0x1D, 0x21, 0x11, 0xBA, 0xCF, 0xBC, 0xC6]),
        "合计 large"
    );
    // Ends with a full cut, nothing after it.
    assert_eq!(bytes[bytes.len() - 4..], [0x1D, 0x56, 0x41, 0x00]);
}

#[test]
fn qr_payments_and_free_meals_do_not_open_the_drawer() {
    for sale in [fixtures::walk_in_sale(), fixtures::free_meal_sale()] {
        let layout = fixtures::receipt(&sale).layout(Paper::Mm80);
        assert!(!layout.open_drawer);
        assert_eq!(decode(&escpos::text_mode(&layout).unwrap()).drawer_kicks, 0);
    }
    let mut reprint = fixtures::receipt(&fixtures::typical_sale());
    reprint.reprint = true;
    let layout = reprint.layout(Paper::Mm80);
    assert!(!layout.open_drawer, "a reprint leaves the drawer shut");
    assert_eq!(
        text::render(&layout).lines().next().map(str::trim),
        Some("** 重打 **")
    );
}

#[test]
fn a_name_with_an_escape_byte_cannot_send_a_command() {
    let mut receipt = fixtures::receipt(&fixtures::typical_sale());
    receipt.meals[0].diner = "王\u{1b}@\u{1d}V\u{0}秀英".into();
    let bytes = escpos::text_mode(&receipt.layout(Paper::Mm58)).unwrap();
    let decoded = decode(&bytes);
    assert_eq!(decoded.inits, 1);
    assert!(decoded.texts().iter().any(|l| l.starts_with("王@V秀英")));
}

#[test]
fn ids_are_masked_and_long_names_wrap_whole_characters() {
    let plain = text::render(&fixtures::receipt(&fixtures::long_name_sale()).layout(Paper::Mm58));
    let full = fixtures::long_name().resident_id.unwrap();
    assert!(!plain.contains(full.as_str()));
    assert!(plain.contains(&full.masked()));
    let name: String = plain
        .lines()
        .skip_while(|l| !l.starts_with("欧阳"))
        .take(2)
        .collect();
    assert!(name.starts_with("欧阳娜仁其其格·额尔敦巴雅尔"), "{name}");
}
