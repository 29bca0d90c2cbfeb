//! Starts the canteen backend.

fn main() {
    println!("happiness canteen backend: not yet serving (see README)");
}
