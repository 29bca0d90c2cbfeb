//! Rendering speed of a typical receipt (two diners and an extra, cash).
//! Targets: text mode under 50 µs, bitmap mode on 80 mm under 20 ms.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may panic on a broken fixture

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use receipts::{BitmapRenderer, FontSpec, Paper, escpos, text};

#[allow(dead_code)]
#[path = "../tests/receipts/fixtures.rs"]
mod fixtures;

fn rendering(c: &mut Criterion) {
    let receipt = fixtures::receipt(&fixtures::typical_sale());
    c.bench_function("layout + text mode, 58 mm", |b| {
        b.iter(|| escpos::text_mode(&black_box(&receipt).layout(Paper::Mm58)))
    });
    c.bench_function("layout + text mode, 80 mm", |b| {
        b.iter(|| escpos::text_mode(&black_box(&receipt).layout(Paper::Mm80)))
    });
    c.bench_function("layout + plain text, 80 mm", |b| {
        b.iter(|| text::render(&black_box(&receipt).layout(Paper::Mm80)))
    });
    match BitmapRenderer::load(&FontSpec::default()) {
        Ok(renderer) => {
            c.bench_function("layout + bitmap mode, 80 mm", |b| {
                b.iter(|| escpos::bitmap_mode(&black_box(&receipt).layout(Paper::Mm80), &renderer))
            });
            c.bench_function("layout + bitmap mode, 58 mm", |b| {
                b.iter(|| escpos::bitmap_mode(&black_box(&receipt).layout(Paper::Mm58), &renderer))
            });
            let layout = receipt.layout(Paper::Mm80);
            c.bench_function("bitmap PNG preview, 80 mm", |b| {
                b.iter(|| renderer.preview_png(black_box(&layout)))
            });
        }
        Err(e) => eprintln!("bitmap benchmarks skipped: {e}"),
    }
    let mut loading = c.benchmark_group("fonts");
    loading.sample_size(10);
    loading.bench_function("load the main font", |b| {
        b.iter(|| BitmapRenderer::load(&FontSpec::default()))
    });
    let fallbacks = FontSpec::installed_fallbacks();
    eprintln!("installed fallbacks: {fallbacks:?}");
    loading.bench_function("load the main font and the installed fallbacks", |b| {
        b.iter(BitmapRenderer::load_default)
    });
    loading.finish();
}

criterion_group!(benches, rendering);
criterion_main!(benches);
