//! Printer outputs: a fake network printer on 127.0.0.1, a FIFO standing
//! in for a device, a file and memory. Every failure must come within the
//! timeout, never as a hang.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use receipts::{
    DevicePrinter, FilePrinter, MemoryPrinter, NetworkPrinter, Paper, PrinterOutput, ReceiptError,
    escpos,
};

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
    let (mut printer, rx) = fake_printer(2);
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
