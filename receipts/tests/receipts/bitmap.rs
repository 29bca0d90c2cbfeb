//! Bitmap mode, drawn with the default font (Debian's fonts-wqy-microhei,
//! which CI installs).

use std::sync::{Arc, OnceLock};

use receipts::{BitmapRenderer, FontSpec, Mode, Paper, escpos};

use crate::decoder::decode;
use crate::fixtures::{self, documents};

pub fn renderer() -> Arc<BitmapRenderer> {
    static RENDERER: OnceLock<Arc<BitmapRenderer>> = OnceLock::new();
    RENDERER
        .get_or_init(|| {
            Arc::new(
                BitmapRenderer::load(&FontSpec::default())
                    .expect("the receipt font: apt-get install fonts-wqy-microhei"),
            )
        })
        .clone()
}

#[test]
fn the_raster_is_sent_whole_in_bands_at_the_paper_width() {
    for paper in [Paper::Mm58, Paper::Mm80] {
        for (name, layout) in documents(paper) {
            let raster = renderer().render(&layout).unwrap();
            assert_eq!(raster.width(), paper.dots(), "{name}");
            let bytes = escpos::render(&layout, &Mode::Bitmap(renderer())).unwrap();
            let decoded = decode(&bytes);
            assert!(decoded.lines.is_empty(), "{name}: no text in bitmap mode");
            assert!(!decoded.chinese_mode);
            assert_eq!(decoded.cuts, 1);
            assert_eq!(decoded.after_cut, 0);
            assert_eq!(decoded.drawer_kicks, usize::from(layout.open_drawer));
            assert!(
                decoded
                    .rasters
                    .iter()
                    .all(|r| r.width_bytes == raster.stride())
            );
            assert!(decoded.rasters.iter().all(|r| r.rows <= 256));
            let rows: usize = decoded.rasters.iter().map(|r| r.rows).sum();
            assert_eq!(rows, raster.height() as usize, "{name}");
            let data: Vec<u8> = decoded
                .rasters
                .iter()
                .flat_map(|r| r.data.clone())
                .collect();
            assert_eq!(data, raster.bits(), "{name}");
        }
    }
}

#[test]
fn text_lands_on_the_column_grid() {
    // "合计" in double size starts at column 0 and the amount ends at the
    // right edge; the QR code is centred.
    let layout = fixtures::receipt(&fixtures::typical_sale()).layout(Paper::Mm80);
    let raster = renderer().render(&layout).unwrap();
    let ink_in =
        |x0: u32, x1: u32| (0..raster.height()).any(|y| (x0..x1).any(|x| raster.is_black(x, y)));
    assert!(ink_in(0, 24), "ink at the left edge");
    assert!(ink_in(552, 576), "ink at the right edge");
    let black: usize = (0..raster.height())
        .map(|y| {
            (0..raster.width())
                .filter(|&x| raster.is_black(x, y))
                .count()
        })
        .sum();
    let share = black as f64 / f64::from(raster.width() * raster.height());
    assert!((0.03..0.3).contains(&share), "ink share {share}");
}

#[test]
fn the_png_preview_is_the_raster() {
    let layout = fixtures::receipt(&fixtures::typical_sale()).layout(Paper::Mm58);
    let raster = renderer().render(&layout).unwrap();
    let png = renderer().preview_png(&layout).unwrap();
    let image = image::load_from_memory(&png).unwrap().to_luma8();
    assert_eq!(
        (image.width(), image.height()),
        (raster.width(), raster.height())
    );
    for (x, y, p) in image.enumerate_pixels() {
        assert_eq!(p.0[0] == 0, raster.is_black(x, y));
    }
}

#[test]
fn a_missing_font_says_how_to_install_one() {
    let err = BitmapRenderer::load(&FontSpec::new("/nonexistent/font.ttc")).unwrap_err();
    assert!(err.to_string().contains("fonts-wqy-microhei"), "{err}");
}

#[test]
fn the_drawn_qr_code_reads_back_as_the_sale_id() {
    for paper in [Paper::Mm58, Paper::Mm80] {
        let receipt = fixtures::receipt(&fixtures::typical_sale());
        let raster = renderer().render(&receipt.layout(paper)).unwrap();
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(
            raster.width() as usize,
            raster.height() as usize,
            |x, y| {
                if raster.is_black(x as u32, y as u32) {
                    0
                } else {
                    255
                }
            },
        );
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1, "{paper:?}");
        let (_, content) = grids[0].decode().unwrap();
        assert_eq!(content, receipt.sale_id.to_string(), "{paper:?}");
    }
}

/// A layout of one line holding `text`.
fn one_line(text: &str) -> receipts::Layout {
    receipts::Layout {
        paper: Paper::Mm58,
        lines: vec![receipts::Line::Text {
            text: text.into(),
            style: receipts::Style::NORMAL,
        }],
        open_drawer: false,
    }
}

/// The black dots of the first cell (24 × 30 dots: a wide character).
fn first_cell(raster: &receipts::Raster) -> Vec<(u32, u32)> {
    (0..30)
        .flat_map(|y| (0..24).map(move |x| (x, y)))
        .filter(|&(x, y)| raster.is_black(x, y))
        .collect()
}

/// Checks that `c`, which the default font lacks and prints as an empty
/// box, is drawn from the fallback font at `path`.
fn check_fallback(c: char, path: &str, package: &str) {
    if !std::path::Path::new(path).is_file() {
        println!("SKIPPED: {path} is missing (apt-get install {package})");
        return;
    }
    let alone = BitmapRenderer::load(&FontSpec::default()).unwrap();
    assert!(!alone.covers(c), "the default font has {c} after all");
    let with =
        BitmapRenderer::load_with_fallbacks(&FontSpec::default(), &[FontSpec::new(path)]).unwrap();
    assert!(with.covers(c));
    let line = one_line(&c.to_string());
    let tofu = first_cell(&alone.render(&line).unwrap());
    let drawn = first_cell(&with.render(&line).unwrap());
    assert!(!drawn.is_empty(), "{c} drawn");
    assert_ne!(drawn, tofu, "{c} is not the empty box");
    // The box's left side is a full column of ink; a glyph has none.
    let box_side = |dots: &[(u32, u32)]| dots.iter().filter(|&&(x, _)| x == 2).count() >= 15;
    assert!(box_side(&tofu));
    assert!(!box_side(&drawn), "{c} drawn as a box");
    // Characters the main font has are still drawn with it.
    let main = one_line("食");
    assert_eq!(
        first_cell(&with.render(&main).unwrap()),
        first_cell(&alone.render(&main).unwrap())
    );
    // And the bitmap-mode bytes carry the drawn glyph.
    let bytes = escpos::bitmap_mode(&line, &with).unwrap();
    let decoded = decode(&bytes);
    let data: Vec<u8> = decoded
        .rasters
        .iter()
        .flat_map(|r| r.data.clone())
        .collect();
    assert_eq!(data, with.render(&line).unwrap().bits());
}

#[test]
fn a_latin_letter_the_font_lacks_is_drawn_from_a_fallback_font() {
    // WenQuanYi Micro Hei has no ǹ; DejaVu Sans has.
    check_fallback(
        'ǹ',
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "fonts-dejavu-core",
    );
}

#[test]
fn a_rare_ideograph_the_font_lacks_is_drawn_from_a_fallback_font() {
    // 𠈌 (U+2020C, CJK Extension B) is in HanaMin B, not in WenQuanYi.
    check_fallback(
        '𠈌',
        "/usr/share/fonts/truetype/hanazono/HanaMinB.ttf",
        "fonts-hanazono",
    );
}

#[test]
fn the_default_renderer_uses_the_installed_fallbacks() {
    let installed = FontSpec::installed_fallbacks();
    let renderer = BitmapRenderer::load_default().unwrap();
    let hanazono = installed
        .iter()
        .any(|f| f.path.ends_with("hanazono/HanaMinB.ttf"));
    if hanazono {
        assert!(renderer.covers('𠈌'));
    } else {
        println!("SKIPPED 𠈌: apt-get install fonts-hanazono");
    }
    assert!(renderer.covers('食'));
    // A missing fallback file is an error, not silently skipped.
    let err = BitmapRenderer::load_with_fallbacks(
        &FontSpec::default(),
        &[FontSpec::new("/nonexistent/fallback.ttf")],
    )
    .unwrap_err();
    assert!(
        matches!(err, receipts::ReceiptError::FontFile { .. }),
        "{err:?}"
    );
}
