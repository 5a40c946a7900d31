//! thrust-namesrv (being built).
#![forbid(unsafe_code)]

fn main() {
    eprintln!("thrust-namesrv is not implemented yet");
    std::process::exit(2);
}
