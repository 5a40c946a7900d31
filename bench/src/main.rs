//! thrust-bench (being built).
#![forbid(unsafe_code)]

fn main() {
    eprintln!("thrust-bench is not implemented yet");
    std::process::exit(2);
}
