//! Receipts for the canteen counter: lays out a sale, a void slip or a
//! shift report for 58 mm or 80 mm paper and renders it to ESC/POS bytes
//! (GB18030 text mode or a raster bitmap) or to plain text for previews.
//!
//! It never decides a price or records a sale: the receipt is a copy of a
//! sale that is already durable elsewhere.
