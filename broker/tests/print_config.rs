//! `thrust-broker -c broker.conf -p` prints the effective configuration
//! (file values overridden by flags) and exits 0; an unknown key only
//! warns; a bad value exits 2 naming the file, the key and the value.

mod common;

use std::process::Command;

use common::TempDir;

#[test]
fn print_config_shows_file_values_overridden_by_flags() {
    let dir = TempDir::new("print-config");
    let conf = dir.0.join("broker.conf");
    std::fs::write(
        &conf,
        "# comment\nbrokerName = b-from-file\nlistenPort=20911\nnoSuchKey=1\n",
    )
    .unwrap();
    let output = Command::new(common::broker_bin())
        .arg("-c")
        .arg(&conf)
        .args(["--listen-port", "30911", "-n", "a:9876;b:9876", "-p"])
        .output()
        .expect("run thrust-broker -p");
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("brokerName=b-from-file\n"), "{text}");
    assert!(text.contains("listenPort=30911\n"), "{text}");
    assert!(text.contains("namesrvAddr=a:9876;b:9876\n"), "{text}");
    assert!(
        text.contains("brokerClusterName=DefaultCluster\n"),
        "{text}"
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("noSuchKey"));

    std::fs::write(&conf, "flushDiskType=SOMETIMES\n").unwrap();
    let output = Command::new(common::broker_bin())
        .arg("-c")
        .arg(&conf)
        .arg("-p")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains("broker.conf") && err.contains("flushDiskType") && err.contains("SOMETIMES"),
        "{err}"
    );
}
