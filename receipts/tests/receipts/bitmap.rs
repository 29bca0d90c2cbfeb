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
