//! Printer outputs: a fake network printer on 127.0.0.1, a FIFO standing
//! in for a device, a file and memory. Every failure must come within the
//! timeout, never as a hang.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use receipts::printer::{DLE_EOT_OFFLINE, DLE_EOT_PAPER};
use receipts::{
    DevicePrinter, FilePrinter, MemoryPrinter, NetworkPrinter, Paper, PrinterOutput, ReceiptError,
    StatusCheck, escpos,
};

use crate::decoder::decode;
use crate::fixtures;

const TIMEOUT: Duration = Duration::from_millis(300);
/// Generous bound for "within the timeout" on a loaded CI machine.
const BOUND: Duration = Duration::from_secs(3);

fn receipt_bytes() -> Vec<u8> {
    let layout = fixtures::receipt(&fixtures::typical_sale()).layout(Paper::Mm80);
    escpos::text_mode(&layout).unwrap()
}

/// A printer that accepts `jobs` connections and reports what each sent.
fn fake_printer(jobs: usize) -> (NetworkPrinter, mpsc::Receiver<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for _ in 0..jobs {
            let (mut stream, _) = listener.accept().unwrap();
            stream.set_read_timeout(Some(BOUND)).unwrap();
            let mut got = Vec::new();
            stream.read_to_end(&mut got).unwrap();
            tx.send(got).unwrap();
        }
    });
    (NetworkPrinter::new(addr).with_timeout(TIMEOUT), rx)
}

#[test]
fn a_network_printer_receives_the_exact_bytes_and_can_reprint() {
    let bytes = receipt_bytes();
    let (printer, rx) = fake_printer(2);
    let mut printer = printer.with_status(StatusCheck::Off);
    printer.send(&bytes).unwrap();
    assert_eq!(rx.recv_timeout(BOUND).unwrap(), bytes);
    printer.send(&bytes).unwrap();
    assert_eq!(rx.recv_timeout(BOUND).unwrap(), bytes, "the reprint");
}

#[track_caller]
fn check_fails_in_time(
    printer: &mut dyn PrinterOutput,
    bytes: &[u8],
    expected: fn(&ReceiptError) -> bool,
) {
    let started = Instant::now();
    let err = printer.send(bytes).expect_err("the send must fail");
    let took = started.elapsed();
    assert!(took < BOUND, "took {took:?}");
    assert!(expected(&err), "{err:?}");
    assert!(err.is_printer_problem());
    assert!(err.to_string().contains(&printer.describe()), "{err}");
}

#[test]
fn a_refused_connection_is_an_error_not_a_hang() {
    let addr = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let mut printer = NetworkPrinter::new(addr).with_timeout(TIMEOUT);
    check_fails_in_time(&mut printer, &receipt_bytes(), |e| {
        matches!(e, ReceiptError::Unreachable { .. })
    });
}

#[test]
fn a_printer_that_never_reads_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let holder = thread::spawn(move || {
        // Accept, then hold the connection without reading a byte.
        let (stream, _) = listener.accept().unwrap();
        let _ = done_rx.recv_timeout(BOUND * 2);
        drop(stream);
    });
    // More than the socket buffers hold, as a jammed printer's would be.
    let big = vec![b'x'; 64 << 20];
    let started = Instant::now();
    let mut printer = NetworkPrinter::new(addr).with_timeout(TIMEOUT);
    check_fails_in_time(&mut printer, &big, |e| {
        matches!(e, ReceiptError::Timeout { .. })
    });
    assert!(started.elapsed() >= TIMEOUT, "it waited for the timeout");
    done_tx.send(()).unwrap();
    holder.join().unwrap();
}

#[test]
fn with_a_status_check_a_silent_printer_times_out_even_for_a_small_receipt() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let holder = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let _ = done_rx.recv_timeout(BOUND * 2);
        drop(stream);
    });
    let mut printer = NetworkPrinter::new(addr)
        .with_timeout(TIMEOUT)
        .with_status_check(true);
    check_fails_in_time(&mut printer, &receipt_bytes(), |e| {
        matches!(e, ReceiptError::Timeout { .. })
    });
    done_tx.send(()).unwrap();
    holder.join().unwrap();
}

/// A printer that answers DLE EOT 4 and DLE EOT 2 with these bytes, then
/// reports what it received after them.
fn printer_with_status(paper: u8, offline: u8) -> (NetworkPrinter, mpsc::Receiver<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(BOUND)).unwrap();
        let mut request = [0u8; 3];
        stream.read_exact(&mut request).unwrap();
        assert_eq!(request, [0x10, 0x04, 0x04]);
        stream.write_all(&[paper]).unwrap();
        let mut got = Vec::new();
        if stream.read_exact(&mut request).is_ok() {
            assert_eq!(request, [0x10, 0x04, 0x02]);
            stream.write_all(&[offline]).unwrap();
            let _ = stream.read_to_end(&mut got);
        }
        let _ = tx.send(got);
    });
    let printer = NetworkPrinter::new(addr)
        .with_timeout(TIMEOUT)
        .with_status_check(true);
    (printer, rx)
}

#[test]
fn the_status_check_reports_paper_and_cover() {
    let bytes = receipt_bytes();
    let (mut ok, rx) = printer_with_status(0x12, 0x12);
    ok.send(&bytes).unwrap();
    assert_eq!(rx.recv_timeout(BOUND).unwrap(), bytes);

    let (mut no_paper, _rx) = printer_with_status(0x72, 0x12);
    check_fails_in_time(&mut no_paper, &bytes, |e| {
        matches!(e, ReceiptError::OutOfPaper { .. })
    });
    let (mut open, _rx) = printer_with_status(0x12, 0x16);
    check_fails_in_time(&mut open, &bytes, |e| {
        matches!(e, ReceiptError::CoverOpen { .. })
    });
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("receipts-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_device_that_stops_taking_data_times_out() {
    // A FIFO that is open for reading but never read behaves like a printer
    // whose buffer is full.
    let dir = temp_dir("fifo");
    let fifo = dir.join("lp0");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let mut printer = DevicePrinter::new(&fifo).with_timeout(TIMEOUT);
    // Nobody reading at all: the device is not there.
    check_fails_in_time(&mut printer, b"x", |e| {
        matches!(e, ReceiptError::Unreachable { .. })
    });
    let reader = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags_nonblocking()
        .open(&fifo)
        .unwrap();
    check_fails_in_time(&mut printer, &vec![b'x'; 4 << 20], |e| {
        matches!(e, ReceiptError::Timeout { .. })
    });
    drop(reader);
    std::fs::remove_dir_all(&dir).unwrap();
}

trait NonBlocking {
    fn custom_flags_nonblocking(&mut self) -> &mut Self;
}

impl NonBlocking for std::fs::OpenOptions {
    fn custom_flags_nonblocking(&mut self) -> &mut Self {
        use std::os::unix::fs::OpenOptionsExt;
        self.custom_flags(libc::O_NONBLOCK)
    }
}

#[test]
fn a_file_printer_appends_and_memory_keeps_everything() {
    let dir = temp_dir("file");
    let path = dir.join("receipts.bin");
    let mut file = FilePrinter::new(&path);
    file.send(b"one").unwrap();
    file.send(b"two").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"onetwo");
    std::fs::remove_dir_all(&dir).unwrap();

    let memory = MemoryPrinter::new();
    let mut boxed: Box<dyn PrinterOutput> = Box::new(memory.clone());
    boxed.send(&receipt_bytes()).unwrap();
    assert_eq!(memory.contents(), receipt_bytes());
}

#[test]
fn a_printer_that_never_answers_the_connection_times_out() {
    // A listener with a backlog of 0 takes one queued connection; the
    // kernel drops the SYNs of the next ones, as an unplugged printer's
    // address would.
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    socket
        .bind(
            &"127.0.0.1:0"
                .parse::<std::net::SocketAddr>()
                .unwrap()
                .into(),
        )
        .unwrap();
    socket.listen(0).unwrap();
    let addr = socket.local_addr().unwrap().as_socket().unwrap();
    let mut queued = Vec::new();
    let mut printer = NetworkPrinter::new(addr).with_timeout(TIMEOUT);
    let mut outcome = None;
    // Fill the queue; once it is full a connection attempt must time out.
    for _ in 0..8 {
        let started = Instant::now();
        match std::net::TcpStream::connect_timeout(&addr, TIMEOUT) {
            Ok(stream) => queued.push(stream),
            Err(_) => {
                assert!(started.elapsed() < BOUND);
                outcome = Some(printer.send(b"x"));
                break;
            }
        }
    }
    let err = outcome
        .expect("the listen queue never filled")
        .expect_err("no connection");
    assert!(matches!(err, ReceiptError::Timeout { .. }), "{err:?}");
    drop(socket);
}

/// How a fake network printer behaves.
#[derive(Clone, Default)]
struct Fake {
    /// The receive buffer of the printer's socket, as small as a printer's.
    rcvbuf: Option<usize>,
    /// Sent as soon as the connection is accepted (a status greeting).
    greeting: Vec<u8>,
    /// Answers to `DLE EOT 4` and `DLE EOT 2`; `None`: it does not answer.
    status: Option<(u8, u8)>,
    /// Sent after each status request, before the answer.
    stray: Vec<u8>,
    /// Reads this many bytes at a time, pausing between reads (0: at once).
    chunk: usize,
    pause: Duration,
}

/// What a fake printer got: the status requests it answered, then the
/// bytes it read until the sender closed (or the connection broke).
#[derive(Debug)]
struct Got {
    requests: Vec<u8>,
    bytes: Vec<u8>,
    broken: Option<std::io::ErrorKind>,
}

impl Fake {
    fn listener(&self) -> TcpListener {
        use socket2::{Domain, Socket, Type};
        let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        if let Some(size) = self.rcvbuf {
            // Set before listening, so the window is small from the start.
            socket.set_recv_buffer_size(size).unwrap();
        }
        let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
        socket.bind(&addr.into()).unwrap();
        socket.listen(8).unwrap();
        socket.into()
    }

    /// Starts the printer for `jobs` connections; reports each job.
    fn start(self, jobs: usize) -> (SocketAddr, mpsc::Receiver<Got>) {
        let listener = self.listener();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            for _ in 0..jobs {
                let (stream, _) = listener.accept().unwrap();
                let _ = tx.send(self.serve(stream));
            }
        });
        (addr, rx)
    }

    fn serve(&self, mut stream: TcpStream) -> Got {
        stream.set_read_timeout(Some(BOUND * 4)).unwrap();
        let mut got = Got {
            requests: Vec::new(),
            bytes: Vec::new(),
            broken: None,
        };
        if !self.greeting.is_empty() {
            stream.write_all(&self.greeting).unwrap();
        }
        if let Some((paper, offline)) = self.status {
            for (request, answer) in [(DLE_EOT_PAPER, paper), (DLE_EOT_OFFLINE, offline)] {
                let mut asked = [0u8; 3];
                if stream.read_exact(&mut asked).is_err() {
                    return got; // the sender gave up after the last answer
                }
                assert_eq!(asked, request, "status request");
                got.requests.extend_from_slice(&asked);
                let mut reply = self.stray.clone();
                reply.push(answer);
                stream.write_all(&reply).unwrap();
            }
        }
        let mut buf = vec![0u8; self.chunk.max(1)];
        loop {
            let want = if self.chunk == 0 {
                buf.len().max(65536)
            } else {
                self.chunk
            };
            buf.resize(want, 0);
            match stream.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => got.bytes.extend_from_slice(&buf[..n]),
                Err(e) => {
                    got.broken = Some(e.kind());
                    break;
                }
            }
            if !self.pause.is_zero() {
                thread::sleep(self.pause);
            }
        }
        got
    }
}

/// The biggest bitmap-mode document on 80 mm paper, with its cut at the end.
fn bitmap_bytes() -> Vec<u8> {
    let renderer = crate::bitmap::renderer();
    fixtures::documents(Paper::Mm80)
        .into_iter()
        .map(|(_, layout)| escpos::bitmap_mode(&layout, &renderer).unwrap())
        .max_by_key(Vec::len)
        .unwrap()
}

#[test]
fn a_slow_printer_that_sends_a_status_byte_gets_the_whole_bitmap_receipt() {
    // The reported bug: the printer sends a byte on connect; closing with
    // it unread reset the connection and lost the tail, cut included,
    // while send returned Ok.
    let bytes = bitmap_bytes();
    assert!(bytes.len() > 64 * 1024, "{} bytes", bytes.len());
    let fake = Fake {
        rcvbuf: Some(16 * 1024),
        greeting: vec![0x14],
        chunk: 4096,
        pause: Duration::from_millis(2),
        ..Fake::default()
    };
    let (addr, rx) = fake.start(2);
    let mut printer = NetworkPrinter::new(addr).with_timeout(Duration::from_secs(10));
    printer.send(&bytes).unwrap();
    let got = rx.recv_timeout(BOUND * 4).unwrap();
    assert_eq!(got.broken, None, "the connection broke");
    // This printer does not answer the status requests it was sent.
    let asked = [DLE_EOT_PAPER, DLE_EOT_OFFLINE].concat();
    assert_eq!(got.bytes[..6], asked);
    assert_eq!(got.bytes.len(), 6 + bytes.len());
    assert!(got.bytes[6..] == bytes[..], "every byte, in order");
    assert_eq!(decode(&got.bytes[6..]).cuts, 1, "the cut arrived");

    // Once it has taken a receipt without answering, it is not asked again.
    printer.send(&bytes).unwrap();
    let got = rx.recv_timeout(BOUND * 4).unwrap();
    assert_eq!(got.broken, None);
    assert!(
        got.bytes == bytes,
        "{} of {} bytes",
        got.bytes.len(),
        bytes.len()
    );
}

#[test]
fn a_printer_that_answers_the_status_gets_the_receipt_after_the_answers() {
    let bytes = bitmap_bytes();
    let fake = Fake {
        rcvbuf: Some(16 * 1024),
        greeting: vec![0x14, 0x00, 0x00, 0x0F],
        status: Some((0x12, 0x12)),
        chunk: 4096,
        pause: Duration::from_millis(1),
        ..Fake::default()
    };
    let (addr, rx) = fake.start(1);
    let mut printer = NetworkPrinter::new(addr).with_timeout(Duration::from_secs(10));
    printer.send(&bytes).unwrap();
    let got = rx.recv_timeout(BOUND * 4).unwrap();
    assert_eq!(got.requests, [DLE_EOT_PAPER, DLE_EOT_OFFLINE].concat());
    assert_eq!(got.broken, None);
    assert!(
        got.bytes == bytes,
        "{} of {} bytes",
        got.bytes.len(),
        bytes.len()
    );
}

#[test]
fn send_fails_when_the_printer_closes_before_reading_everything() {
    // Reads the status requests and 100 bytes, then hangs up.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let holder = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut some = [0u8; 106];
        stream.read_exact(&mut some).unwrap();
    });
    let mut printer = NetworkPrinter::new(addr).with_timeout(Duration::from_secs(2));
    let err = printer.send(&bitmap_bytes()).unwrap_err();
    assert!(
        matches!(
            err,
            ReceiptError::Incomplete { .. } | ReceiptError::Unreachable { .. }
        ),
        "{err:?}"
    );
    assert!(err.is_printer_problem());
    holder.join().unwrap();
}

/// A printer that accepts the connection and never reads a byte, until
/// the returned sender is dropped or used.
fn jammed_printer() -> (SocketAddr, mpsc::Sender<()>, thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let holder = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let _ = done_rx.recv_timeout(BOUND * 4);
        drop(stream);
    });
    (addr, done_tx, holder)
}

#[test]
fn by_default_a_printer_that_never_reads_fails_even_for_a_small_receipt() {
    // The receipt fits in the socket buffers, so writing it succeeds; only
    // the printer never closing its side tells that it took nothing.
    let (addr, done, holder) = jammed_printer();
    let mut printer = NetworkPrinter::new(addr).with_timeout(TIMEOUT);
    check_fails_in_time(&mut printer, &receipt_bytes(), |e| {
        matches!(e, ReceiptError::Timeout { .. })
    });
    done.send(()).unwrap();
    holder.join().unwrap();
}

#[test]
fn by_default_a_printer_out_of_paper_is_refused_the_receipt() {
    let fake = Fake {
        status: Some((0x72, 0x12)),
        ..Fake::default()
    };
    let (addr, rx) = fake.start(1);
    let mut printer = NetworkPrinter::new(addr).with_timeout(TIMEOUT);
    check_fails_in_time(&mut printer, &receipt_bytes(), |e| {
        matches!(e, ReceiptError::OutOfPaper { .. })
    });
    let got = rx.recv_timeout(BOUND).unwrap();
    assert_eq!(got.requests, [DLE_EOT_PAPER, DLE_EOT_OFFLINE].concat());
    assert!(
        got.bytes.is_empty(),
        "no receipt sent: {} bytes",
        got.bytes.len()
    );

    // The offline status also says "paper end", and "error".
    for (offline, fault) in [(0x32, false), (0x52, true)] {
        let fake = Fake {
            status: Some((0x12, offline)),
            ..Fake::default()
        };
        let (addr, _rx) = fake.start(1);
        let err = NetworkPrinter::new(addr)
            .with_timeout(TIMEOUT)
            .send(&receipt_bytes())
            .unwrap_err();
        if fault {
            assert!(matches!(err, ReceiptError::Fault { .. }), "{err:?}");
        } else {
            assert!(matches!(err, ReceiptError::OutOfPaper { .. }), "{err:?}");
        }
    }
}

#[test]
fn stray_bytes_before_the_answer_are_not_taken_for_it() {
    // Automatic status blocks and noise that do not have the answer's bit
    // pattern (0xx1xx10), some of them with the "paper end" bits set.
    let bytes = receipt_bytes();
    let fake = Fake {
        status: Some((0x12, 0x12)),
        stray: vec![0x61, 0x00, 0x14, 0x0F, 0xFF, 0x64],
        ..Fake::default()
    };
    let (addr, rx) = fake.start(1);
    let mut printer = NetworkPrinter::new(addr)
        .with_timeout(Duration::from_secs(2))
        .with_status(StatusCheck::Required);
    printer.send(&bytes).unwrap();
    let got = rx.recv_timeout(BOUND).unwrap();
    assert!(got.bytes == bytes);
}

#[test]
fn bytes_sent_on_connect_are_drained_before_asking() {
    // A stale byte with the answer's pattern saying "paper end", sent on
    // connect before any request: it is not the answer.
    let bytes = receipt_bytes();
    let fake = Fake {
        greeting: vec![0x72],
        status: Some((0x12, 0x12)),
        ..Fake::default()
    };
    let (addr, rx) = fake.start(1);
    let mut printer = NetworkPrinter::new(addr)
        .with_timeout(Duration::from_secs(2))
        .with_status(StatusCheck::Required);
    printer.send(&bytes).unwrap();
    let got = rx.recv_timeout(BOUND).unwrap();
    assert!(got.bytes == bytes);
}

#[test]
fn a_printer_that_never_reads_times_out_within_one_deadline_for_the_whole_job() {
    // The connection itself takes about three seconds: the printer's listen
    // queue is full, so the first SYNs are dropped and only a retransmission
    // gets through. Connecting, the status check and the send then share
    // one 4 s deadline; with a fresh timeout after connecting the send alone
    // would take 4 s more.
    use socket2::{Domain, Socket, Type};
    let timeout = Duration::from_secs(4);
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    socket.bind(&any.into()).unwrap();
    socket.listen(0).unwrap();
    let addr = socket.local_addr().unwrap().as_socket().unwrap();
    let mut queued = Vec::new();
    loop {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
            Ok(stream) => queued.push(stream),
            Err(_) => break,
        }
        assert!(queued.len() < 8, "the listen queue never filled");
    }
    let listener: TcpListener = socket.into();
    let started = Instant::now();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let server = thread::spawn(move || {
        // Free the queue after a while, then hold every connection unread.
        thread::sleep(Duration::from_millis(1500));
        let mut held = Vec::new();
        let mut accepted_at = Vec::new();
        listener.set_nonblocking(true).unwrap();
        while done_rx.try_recv().is_err() && started.elapsed() < BOUND * 4 {
            if let Ok((stream, _)) = listener.accept() {
                held.push(stream);
                accepted_at.push(started.elapsed());
            }
            thread::sleep(Duration::from_millis(5));
        }
        accepted_at
    });
    let mut printer = NetworkPrinter::new(addr).with_timeout(timeout);
    let err = printer.send(&vec![b'x'; 64 << 20]).unwrap_err();
    let took = started.elapsed();
    done_tx.send(()).unwrap();
    let accepted_at = server.join().unwrap();
    drop(queued);
    assert!(matches!(err, ReceiptError::Timeout { .. }), "{err:?}");
    assert!(
        accepted_at.len() >= 2,
        "the printer's connection was accepted: {accepted_at:?}"
    );
    assert!(
        took < timeout + Duration::from_millis(1500),
        "took {took:?}"
    );
}

/// A pseudo-terminal: its other end is a USB printer that answers.
struct FakeDevice {
    master: std::fs::File,
    /// Kept open, so the master sees no hang-up between jobs.
    _slave: std::fs::File,
    path: std::path::PathBuf,
}

fn fake_device() -> FakeDevice {
    use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
    use rustix::termios::{OptionalActions, tcgetattr, tcsetattr};
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).unwrap();
    grantpt(&master).unwrap();
    unlockpt(&master).unwrap();
    let path =
        std::path::PathBuf::from(ptsname(&master, Vec::new()).unwrap().into_string().unwrap());
    let slave = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .unwrap();
    // Raw: bytes pass unchanged, no echo, no line editing.
    let mut termios = tcgetattr(&slave).unwrap();
    termios.make_raw();
    tcsetattr(&slave, OptionalActions::Now, &termios).unwrap();
    FakeDevice {
        master: std::fs::File::from(master),
        _slave: slave,
        path,
    }
}

#[test]
fn a_usb_printer_that_answers_is_asked_its_status_by_default() {
    let bytes = receipt_bytes();
    let device = fake_device();
    let mut master = device.master.try_clone().unwrap();
    let reader = thread::spawn(move || {
        let mut asked = [0u8; 3];
        master.read_exact(&mut asked).unwrap();
        assert_eq!(asked, DLE_EOT_PAPER);
        master.write_all(&[0x12]).unwrap();
        master.read_exact(&mut asked).unwrap();
        assert_eq!(asked, DLE_EOT_OFFLINE);
        master.write_all(&[0x12]).unwrap();
        let mut got = vec![0u8; receipt_bytes().len()];
        master.read_exact(&mut got).unwrap();
        got
    });
    let mut printer = DevicePrinter::new(&device.path).with_timeout(Duration::from_secs(2));
    printer.send(&bytes).unwrap();
    assert!(reader.join().unwrap() == bytes);

    // Out of paper: refused before a byte of the receipt is sent.
    let mut master = device.master.try_clone().unwrap();
    let reader = thread::spawn(move || {
        let mut asked = [0u8; 3];
        master.read_exact(&mut asked).unwrap();
        assert_eq!(asked, DLE_EOT_PAPER);
        master.write_all(&[0x72]).unwrap();
    });
    let mut printer = DevicePrinter::new(&device.path).with_timeout(TIMEOUT);
    check_fails_in_time(&mut printer, &bytes, |e| {
        matches!(e, ReceiptError::OutOfPaper { .. })
    });
    reader.join().unwrap();
}

#[test]
fn a_status_check_can_be_named_in_the_printer_config() {
    // Off: nothing is asked, the printer gets exactly the receipt.
    let bytes = receipt_bytes();
    let (addr, rx) = Fake::default().start(1);
    let mut off =
        receipts::printer::from_config(&format!("tcp://{addr}?status=off"), TIMEOUT).unwrap();
    off.send(&bytes).unwrap();
    assert!(rx.recv_timeout(BOUND).unwrap().bytes == bytes);
    // Required: a printer that does not answer gets nothing.
    let (addr, rx) = Fake::default().start(1);
    let mut required =
        receipts::printer::from_config(&format!("{addr}?status=required"), TIMEOUT).unwrap();
    check_fails_in_time(&mut required, &bytes, |e| {
        matches!(e, ReceiptError::Timeout { .. })
    });
    drop(required);
    assert_eq!(
        rx.recv_timeout(BOUND).unwrap().bytes,
        [DLE_EOT_PAPER, DLE_EOT_OFFLINE].concat()
    );
    assert!(matches!(
        receipts::printer::from_config("192.168.1.50?status=sometimes", TIMEOUT),
        Err(ReceiptError::BadAddress(_))
    ));
    assert!(receipts::printer::from_config("/dev/usb/lp0?status=off", TIMEOUT).is_ok());
}

#[test]
fn a_printer_that_answers_both_requests_together_is_understood() {
    // Some printers read both requests before they answer either.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut asked = [0u8; 6];
        stream.read_exact(&mut asked).unwrap();
        stream.write_all(&[0x12, 0x16]).unwrap();
        let mut rest = Vec::new();
        let _ = stream.read_to_end(&mut rest);
        (asked, rest)
    });
    let mut printer = NetworkPrinter::new(addr).with_timeout(Duration::from_secs(2));
    let err = printer.send(&receipt_bytes()).unwrap_err();
    assert!(matches!(err, ReceiptError::CoverOpen { .. }), "{err:?}");
    let (asked, rest) = server.join().unwrap();
    assert_eq!(asked[..], [DLE_EOT_PAPER, DLE_EOT_OFFLINE].concat());
    assert!(rest.is_empty(), "no receipt sent to an open printer");
}
