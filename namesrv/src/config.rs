//! Name-server configuration: command line (clap) over a RocketMQ-style
//! properties file (`-c`) over defaults.
//!
//! Properties keys are RocketMQ's `NamesrvConfig`/`NettyServerConfig` names
//! where they apply (`listenPort`, `bindAddress`, `kvConfigPath`,
//! `scanNotActiveBrokerInterval`, `orderMessageEnable`,
//! `returnOrderTopicConfigToBroker`, `enableAllTopicList`,
//! `enableTopicList`), plus Thrust's `brokerTimeoutMillis` (Java hard-codes
//! 120 s). Java keys that have no meaning here are accepted and ignored; any
//! other key is warned about, never fatal. A value that does not parse is
//! an error naming the file, the key and the value.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

use clap::Parser;
use thiserror::Error;

use thrust_core::java_properties as properties;

/// Default listen port (RocketMQ's).
pub const LISTEN_PORT_DEFAULT: u16 = 9876;
/// A broker not heard from for this long is dropped (REMOTING.md §4.8).
pub const BROKER_TIMEOUT_MS_DEFAULT: u64 = 120_000;
/// How often expired brokers are looked for.
pub const SCAN_INTERVAL_MS_DEFAULT: u64 = 5_000;

/// Java `NamesrvConfig` keys with no effect in Thrust: accepted silently.
const IGNORED_JAVA_KEYS: &[&str] = &[
    "rocketmqHome",
    "configStorePath",
    "productEnvName",
    "clusterTest",
    "clientRequestThreadPoolNums",
    "defaultThreadPoolNums",
    "clientRequestThreadPoolQueueCapacity",
    "defaultThreadPoolQueueCapacity",
    "unRegisterBrokerQueueCapacity",
    "supportActingMaster",
    "notifyMinBrokerIdChanged",
    "enableControllerInNamesrv",
    "needWaitForService",
    "waitSecondsForService",
    "deleteTopicWithBrokerRegistration",
    "configBlackList",
    "serverWorkerThreads",
    "serverCallbackExecutorThreads",
    "serverSelectorThreads",
    "serverOnewaySemaphoreValue",
    "serverAsyncSemaphoreValue",
    "serverChannelMaxIdleTimeSeconds",
    "serverSocketSndBufSize",
    "serverSocketRcvBufSize",
    "serverPooledByteBufAllocatorEnable",
    "useEpollNativeSelector",
];

/// `thrust-namesrv`: the RocketMQ-compatible name server of Thrust.
#[derive(Debug, Parser)]
#[command(
    name = "thrust-namesrv",
    version,
    about = "Thrust name server: the routing registry RocketMQ brokers register with \
             and clients ask for topic routes",
    long_about = "Thrust name server: the routing registry RocketMQ brokers register with \
                  and clients ask for topic routes.\n\nSettings come from the command line, \
                  then the properties file given with -c, then defaults. Stop it with \
                  SIGTERM or SIGINT (Ctrl-C). Log level: RUST_LOG (default info)."
)]
pub struct Cli {
    /// TCP port to listen on [default: 9876; properties key: listenPort].
    #[arg(short = 'p', long = "listen-port", value_name = "PORT")]
    pub listen_port: Option<u16>,
    /// IP address to listen on [default: 0.0.0.0, every interface;
    /// properties key: bindAddress].
    #[arg(long = "listen-addr", value_name = "IP")]
    pub listen_addr: Option<IpAddr>,
    /// RocketMQ-style properties file (keys: listenPort, bindAddress,
    /// kvConfigPath, scanNotActiveBrokerInterval, brokerTimeoutMillis,
    /// orderMessageEnable, returnOrderTopicConfigToBroker, enableAllTopicList,
    /// enableTopicList). Command-line options win over the file.
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    pub config_file: Option<PathBuf>,
    /// File where KV config (PUT_KV_CONFIG) is kept across restarts
    /// [default: ~/namesrv/kvConfig.json; properties key: kvConfigPath].
    #[arg(long = "kv-config-path", value_name = "FILE")]
    pub kv_config_path: Option<PathBuf>,
    /// Drop a broker not heard from for this many milliseconds, unless its
    /// registration asks for another timeout [default: 120000; properties
    /// key: brokerTimeoutMillis].
    #[arg(long = "broker-timeout-ms", value_name = "MS")]
    pub broker_timeout_ms: Option<u64>,
    /// Look for expired brokers every this many milliseconds [default: 5000;
    /// properties key: scanNotActiveBrokerInterval].
    #[arg(long = "scan-interval-ms", value_name = "MS")]
    pub scan_interval_ms: Option<u64>,
}

/// The resolved configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamesrvConfig {
    pub listen_addr: IpAddr,
    pub listen_port: u16,
    pub kv_config_path: PathBuf,
    pub broker_timeout_ms: u64,
    pub scan_interval_ms: u64,
    /// Fill `orderTopicConf` in routes from the ORDER_TOPIC_CONFIG namespace.
    pub order_message_enable: bool,
    /// Return the ORDER_TOPIC_CONFIG table to registering brokers.
    pub return_order_topic_config_to_broker: bool,
    /// Answer GET_ALL_TOPIC_LIST_FROM_NAMESERVER (else 1 "disable").
    pub enable_all_topic_list: bool,
    /// Answer GET_TOPICS_BY_CLUSTER / system topic list (else 1 "disable").
    pub enable_topic_list: bool,
}

/// Why the configuration cannot be used.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{origin}: bad value {value:?} for key {key}: expected {expected}")]
    BadValue {
        origin: String,
        key: String,
        value: String,
        expected: &'static str,
    },
    #[error("{origin}: key {key} cannot be changed at run time")]
    NotUpdatable { origin: String, key: String },
}

impl Default for NamesrvConfig {
    fn default() -> Self {
        let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
        Self {
            listen_addr: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            listen_port: LISTEN_PORT_DEFAULT,
            kv_config_path: home.join("namesrv").join("kvConfig.json"),
            broker_timeout_ms: BROKER_TIMEOUT_MS_DEFAULT,
            scan_interval_ms: SCAN_INTERVAL_MS_DEFAULT,
            order_message_enable: false,
            return_order_topic_config_to_broker: true,
            enable_all_topic_list: true,
            enable_topic_list: true,
        }
    }
}

impl NamesrvConfig {
    /// Defaults, then the `-c` file, then command-line options.
    ///
    /// # Errors
    /// [`ConfigError::Read`] when the file cannot be read,
    /// [`ConfigError::BadValue`] for a value that does not parse.
    pub fn resolve(cli: &Cli) -> Result<Self, ConfigError> {
        let mut config = Self::default();
        if let Some(path) = &cli.config_file {
            config.apply_file(path)?;
        }
        if let Some(port) = cli.listen_port {
            config.listen_port = port;
        }
        if let Some(addr) = cli.listen_addr {
            config.listen_addr = addr;
        }
        if let Some(path) = &cli.kv_config_path {
            config.kv_config_path = path.clone();
        }
        if let Some(ms) = cli.broker_timeout_ms {
            config.broker_timeout_ms = ms;
        }
        if let Some(ms) = cli.scan_interval_ms {
            config.scan_interval_ms = ms;
        }
        config.check("command line")?;
        Ok(config)
    }

    fn apply_file(&mut self, path: &Path) -> Result<(), ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let origin = path.display().to_string();
        for (key, value) in properties::parse(&text) {
            if !self.apply(&origin, &key, &value)? {
                log::warn!("{origin}: unknown key {key} ignored");
            }
        }
        Ok(())
    }

    /// Applies one key; `Ok(false)` if the key is unknown.
    ///
    /// # Errors
    /// [`ConfigError::BadValue`] naming `origin`, the key and the value.
    pub fn apply(&mut self, origin: &str, key: &str, value: &str) -> Result<bool, ConfigError> {
        let bad = |expected| ConfigError::BadValue {
            origin: origin.to_owned(),
            key: key.to_owned(),
            value: value.to_owned(),
            expected,
        };
        let value = value.trim();
        match key {
            "listenPort" => self.listen_port = value.parse().map_err(|_| bad("a port 0-65535"))?,
            "bindAddress" => self.listen_addr = value.parse().map_err(|_| bad("an IP address"))?,
            "kvConfigPath" => self.kv_config_path = PathBuf::from(value),
            "scanNotActiveBrokerInterval" => {
                self.scan_interval_ms = parse_ms(value).ok_or_else(|| bad("milliseconds > 0"))?
            }
            "brokerTimeoutMillis" => {
                self.broker_timeout_ms = parse_ms(value).ok_or_else(|| bad("milliseconds > 0"))?
            }
            "orderMessageEnable" => self.order_message_enable = parse_bool(value),
            "returnOrderTopicConfigToBroker" => {
                self.return_order_topic_config_to_broker = parse_bool(value)
            }
            "enableAllTopicList" => self.enable_all_topic_list = parse_bool(value),
            "enableTopicList" => self.enable_topic_list = parse_bool(value),
            _ if IGNORED_JAVA_KEYS.contains(&key) => {}
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn check(&self, origin: &str) -> Result<(), ConfigError> {
        if self.listen_port == 0 {
            return Err(ConfigError::BadValue {
                origin: origin.to_owned(),
                key: "listenPort".to_owned(),
                value: "0".to_owned(),
                expected: "a port 1-65535",
            });
        }
        Ok(())
    }

    /// Applies UPDATE_NAMESRV_CONFIG properties. Keys that only take effect
    /// at start (`listenPort`, `bindAddress`, `kvConfigPath`, and Java's
    /// black list) are refused; unknown keys are ignored with a warning.
    ///
    /// # Errors
    /// [`ConfigError::NotUpdatable`] or [`ConfigError::BadValue`]; nothing is
    /// applied then.
    pub fn update_from(&mut self, origin: &str, text: &str) -> Result<(), ConfigError> {
        const FIXED: &[&str] = &[
            "listenPort",
            "bindAddress",
            "kvConfigPath",
            "configStorePath",
            "configBlackList",
        ];
        let pairs = properties::parse(text);
        let mut updated = self.clone();
        for (key, value) in &pairs {
            if FIXED.contains(&key.as_str()) {
                return Err(ConfigError::NotUpdatable {
                    origin: origin.to_owned(),
                    key: key.clone(),
                });
            }
            if !updated.apply(origin, key, value)? {
                log::warn!("{origin}: unknown key {key} ignored");
            }
        }
        *self = updated;
        Ok(())
    }

    /// The configuration as properties text (GET_NAMESRV_CONFIG).
    pub fn to_properties(&self) -> String {
        let pairs = [
            ("listenPort", self.listen_port.to_string()),
            ("bindAddress", self.listen_addr.to_string()),
            ("kvConfigPath", self.kv_config_path.display().to_string()),
            (
                "scanNotActiveBrokerInterval",
                self.scan_interval_ms.to_string(),
            ),
            ("brokerTimeoutMillis", self.broker_timeout_ms.to_string()),
            ("orderMessageEnable", self.order_message_enable.to_string()),
            (
                "returnOrderTopicConfigToBroker",
                self.return_order_topic_config_to_broker.to_string(),
            ),
            ("enableAllTopicList", self.enable_all_topic_list.to_string()),
            ("enableTopicList", self.enable_topic_list.to_string()),
        ];
        let pairs: Vec<(String, String)> = pairs
            .into_iter()
            .map(|(key, value)| (key.to_owned(), value))
            .collect();
        properties::format(&pairs)
    }
}

fn parse_ms(value: &str) -> Option<u64> {
    value.parse::<u64>().ok().filter(|ms| *ms > 0)
}

/// Java `Boolean.parseBoolean`: case-insensitive "true", anything else false.
fn parse_bool(value: &str) -> bool {
    value.eq_ignore_ascii_case("true")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli(args: &[&str]) -> Cli {
        Cli::parse_from(std::iter::once("thrust-namesrv").chain(args.iter().copied()))
    }

    #[test]
    fn file_values_apply_and_command_line_wins() {
        let dir = std::env::temp_dir().join(format!("thrust-namesrv-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("namesrv.properties");
        std::fs::write(
            &file,
            "listenPort=9999\nscanNotActiveBrokerInterval=700\nfoo=bar\n",
        )
        .unwrap();
        let config =
            NamesrvConfig::resolve(&cli(&["-c", file.to_str().unwrap(), "-p", "9877"])).unwrap();
        assert_eq!(config.listen_port, 9877);
        assert_eq!(config.scan_interval_ms, 700);
        assert_eq!(config.broker_timeout_ms, BROKER_TIMEOUT_MS_DEFAULT);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bad_value_names_file_key_and_value() {
        let dir = std::env::temp_dir().join(format!("thrust-namesrv-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("bad.properties");
        std::fs::write(&file, "listenPort=ninety\n").unwrap();
        let err = NamesrvConfig::resolve(&cli(&["-c", file.to_str().unwrap()])).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("bad.properties"), "{text}");
        assert!(text.contains("listenPort"), "{text}");
        assert!(text.contains("ninety"), "{text}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn update_refuses_fixed_keys_and_applies_others_atomically() {
        let mut config = NamesrvConfig::default();
        assert!(config
            .update_from("request", "orderMessageEnable=true\nlistenPort=1")
            .is_err());
        assert!(!config.order_message_enable);
        config
            .update_from("request", "orderMessageEnable=TRUE")
            .unwrap();
        assert!(config.order_message_enable);
        let text = config.to_properties();
        assert!(text.contains("orderMessageEnable=true"), "{text}");
    }
}
