//! For tests of this crate and of its users (feature `test-support`): a
//! small ESC/POS decoder that knows exactly the commands the renderers
//! emit, turns text back into lines with GB18030, and panics on anything
//! else, so a stray byte in a receipt fails a test. Never for production:
//! it panics by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use encoding_rs::GB18030;

/// A printed text line and the style it was printed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintedLine {
    /// The text, decoded from GB18030.
    pub text: String,
    /// Printed bold.
    pub bold: bool,
    /// Printed double size.
    pub double: bool,
}

/// A `GS v 0` raster block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RasterBlock {
    /// Bytes per row.
    pub width_bytes: usize,
    /// Rows.
    pub rows: usize,
    /// The raster, row after row.
    pub data: Vec<u8>,
}

/// Everything a receipt's bytes printed.
#[derive(Debug, Default)]
pub struct Decoded {
    /// Text lines, in order.
    pub lines: Vec<PrintedLine>,
    /// Data of the QR codes printed.
    pub qr_codes: Vec<String>,
    /// Raster images.
    pub rasters: Vec<RasterBlock>,
    /// `ESC @` count.
    pub inits: usize,
    /// Cash-drawer kicks.
    pub drawer_kicks: usize,
    /// Paper cuts.
    pub cuts: usize,
    /// Bytes after the cut (there should be none).
    pub after_cut: usize,
    /// `FS &` was sent.
    pub chinese_mode: bool,
}

impl Decoded {
    /// The lines' text.
    pub fn texts(&self) -> Vec<&str> {
        self.lines.iter().map(|l| l.text.as_str()).collect()
    }
}

struct State {
    out: Decoded,
    text: Vec<u8>,
    bold: bool,
    double: bool,
    qr_data: Option<String>,
}

impl State {
    fn end_line(&mut self) {
        if !self.text.is_empty() && !self.text.is_ascii() {
            assert!(self.out.chinese_mode, "Chinese text sent before FS &");
        }
        let text = GB18030
            .decode_without_bom_handling_and_without_replacement(&self.text)
            .unwrap_or_else(|| panic!("not GB18030: {:02X?}", self.text))
            .into_owned();
        self.text.clear();
        self.out.lines.push(PrintedLine {
            text,
            bold: self.bold,
            double: self.double,
        });
    }
}

fn take<'a>(bytes: &'a [u8], i: &mut usize, n: usize) -> &'a [u8] {
    let s = bytes
        .get(*i..*i + n)
        .unwrap_or_else(|| panic!("command cut short at byte {i}"));
    *i += n;
    s
}

/// Decodes ESC/POS bytes; panics on a command the renderers never emit.
pub fn decode(bytes: &[u8]) -> Decoded {
    let mut st = State {
        out: Decoded::default(),
        text: Vec::new(),
        bold: false,
        double: false,
        qr_data: None,
    };
    let mut i = 0;
    while i < bytes.len() {
        if st.out.cuts > 0 {
            st.out.after_cut += 1;
        }
        let b = bytes[i];
        i += 1;
        match b {
            0x1B => match take(bytes, &mut i, 1)[0] {
                b'@' => {
                    st.out.inits += 1;
                    st.bold = false;
                    st.double = false;
                }
                b'E' => st.bold = take(bytes, &mut i, 1)[0] & 1 == 1,
                b'a' => {
                    let n = take(bytes, &mut i, 1)[0];
                    assert!(n <= 2, "bad justification {n}");
                }
                b'd' => {
                    let n = take(bytes, &mut i, 1)[0];
                    assert!(n >= 1, "ESC d 0");
                    st.end_line();
                    for _ in 1..n {
                        st.end_line();
                    }
                }
                b'p' => {
                    let args = take(bytes, &mut i, 3);
                    assert_eq!(
                        args,
                        [0x00, 0x19, 0xFA],
                        "drawer kick must be ESC p 0 25 250"
                    );
                    st.out.drawer_kicks += 1;
                }
                other => panic!("unexpected ESC {other:#04X} at byte {}", i - 2),
            },
            0x1C => match take(bytes, &mut i, 1)[0] {
                b'&' => st.out.chinese_mode = true,
                b'.' => st.out.chinese_mode = false,
                other => panic!("unexpected FS {other:#04X}"),
            },
            0x1D => match take(bytes, &mut i, 1)[0] {
                b'!' => {
                    let n = take(bytes, &mut i, 1)[0];
                    assert!(
                        n == 0x00 || n == 0x11,
                        "only normal and double size: {n:#04X}"
                    );
                    st.double = n == 0x11;
                }
                b'V' => {
                    let m = take(bytes, &mut i, 1)[0];
                    if m == 65 || m == 66 {
                        take(bytes, &mut i, 1);
                    }
                    assert!(st.text.is_empty(), "text left unprinted before the cut");
                    st.out.cuts += 1;
                }
                b'(' => {
                    assert_eq!(take(bytes, &mut i, 1), b"k");
                    let len = take(bytes, &mut i, 2);
                    let len = usize::from(len[0]) + 256 * usize::from(len[1]);
                    let body = take(bytes, &mut i, len);
                    assert_eq!(body[0], 49, "only QR codes");
                    match body[1] {
                        65 | 67 | 69 => {} // model, module size, error correction
                        80 => {
                            assert_eq!(body[2], 48);
                            st.qr_data = Some(String::from_utf8(body[3..].to_vec()).unwrap());
                        }
                        81 => st
                            .out
                            .qr_codes
                            .push(st.qr_data.take().expect("QR printed before its data")),
                        f => panic!("unexpected QR function {f}"),
                    }
                }
                b'v' => {
                    let head = take(bytes, &mut i, 6);
                    assert_eq!(head[0], b'0');
                    assert_eq!(head[1], 0, "normal raster size");
                    let width_bytes = usize::from(head[2]) + 256 * usize::from(head[3]);
                    let rows = usize::from(head[4]) + 256 * usize::from(head[5]);
                    let data = take(bytes, &mut i, width_bytes * rows).to_vec();
                    st.out.rasters.push(RasterBlock {
                        width_bytes,
                        rows,
                        data,
                    });
                }
                other => panic!("unexpected GS {other:#04X}"),
            },
            0x0A => st.end_line(),
            b if b >= 0x20 => st.text.push(b),
            other => panic!("unexpected control byte {other:#04X} at {}", i - 1),
        }
    }
    assert!(st.text.is_empty(), "text never printed: {:?}", st.text);
    st.out
}
