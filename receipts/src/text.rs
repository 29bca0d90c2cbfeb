//! Plain-text rendering: the terminal's on-screen preview, and what the
//! tests compare the printer bytes against.

use crate::layout::{Layout, Line};

/// The layout as plain text, one `\n`-terminated line per printed line.
///
/// Rules are dashes across the paper; double-size lines hold half the
/// columns, as on paper. QR codes are pictures, not text, and are left
/// out.
pub fn render(layout: &Layout) -> String {
    let cols = layout.paper.columns();
    let mut out = String::with_capacity(layout.lines.len() * (cols + 8));
    for line in &layout.lines {
        match line {
            Line::Text { text, .. } => out.push_str(text),
            Line::Rule => out.extend(std::iter::repeat_n('-', cols)),
            Line::Qr(_) => continue,
        }
        out.push('\n');
    }
    out
}
