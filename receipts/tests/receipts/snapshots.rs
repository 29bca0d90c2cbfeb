//! Snapshots of the plain-text rendering: what the receipts say, on both
//! paper widths. Review a changed `.snap` file like a changed receipt.

use receipts::{Paper, text};

use crate::fixtures::documents;

#[test]
fn plain_text_receipts() {
    for (paper, suffix) in [(Paper::Mm58, "58mm"), (Paper::Mm80, "80mm")] {
        for (name, layout) in documents(paper) {
            insta::assert_snapshot!(format!("{name}_{suffix}"), text::render(&layout));
        }
    }
}
