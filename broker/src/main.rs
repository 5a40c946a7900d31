//! thrust-broker (being built).
#![forbid(unsafe_code)]

fn main() {
    eprintln!("thrust-broker is not implemented yet");
    std::process::exit(2);
}
