//! The command line: `--help` explains every option; a second server on a
//! port already in use exits with an error instead of silently sharing it
//! (glommio sets SO_REUSEPORT); a bad value in the `-c` properties file is
//! an error naming the file, the key and the value; SIGTERM stops it cleanly.

mod common;

use std::process::Command;
use std::time::Duration;

use common::*;

fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_thrust-namesrv"))
}

#[test]
fn help_explains_each_option() {
    let output = binary().arg("--help").output().unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    for option in [
        "--listen-port",
        "--listen-addr",
        "--config",
        "--kv-config-path",
        "--broker-timeout-ms",
        "--scan-interval-ms",
        "9876",
    ] {
        assert!(text.contains(option), "help lacks {option}:\n{text}");
    }
}

#[test]
fn port_in_use_is_refused() {
    let server = Namesrv::start("port-in-use", &[]);
    let dir = temp_dir("port-in-use-2");
    let output = binary()
        .args([
            "-p",
            &server.addr.port().to_string(),
            "--listen-addr",
            "127.0.0.1",
        ])
        .arg("--kv-config-path")
        .arg(dir.join("kv.json"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(text.contains("already in use"), "{text}");
}

#[test]
fn bad_config_value_names_file_key_and_value() {
    let dir = temp_dir("bad-config");
    let file = dir.join("namesrv.properties");
    std::fs::write(&file, "unknownKey=1\nscanNotActiveBrokerInterval=soon\n").unwrap();
    let output = binary()
        .arg("-c")
        .arg(&file)
        .args(["-p", "1"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(text.contains("namesrv.properties"), "{text}");
    assert!(
        text.contains("scanNotActiveBrokerInterval") && text.contains("soon"),
        "{text}"
    );
    assert!(
        text.contains("unknownKey"),
        "unknown key not warned: {text}"
    );
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let mut server = Namesrv::start("sigterm", &[]);
    let pid = server.child.id().to_string();
    assert!(Command::new("kill").arg(&pid).status().unwrap().success());
    assert!(eventually(Duration::from_secs(10), || !server.is_running()));
    let status = server.child.wait().unwrap();
    assert!(
        status.success(),
        "exit status {status:?}; log:\n{}",
        server.log()
    );
    assert!(server.log().contains("thrust-namesrv stopped"));
}
