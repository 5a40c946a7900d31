//! Broker configuration: RocketMQ's `broker.conf` (Java properties format)
//! overlaid with command-line flags.
//!
//! Order of precedence, lowest first: built-in defaults (Apache's, listed in
//! [`BrokerConfig::default`]), the `-c` file, then flags. Keys use the
//! RocketMQ names (`brokerClusterName`, `listenPort`, ...). A key that Thrust
//! does not know is a warning, not an error, so that an Apache `broker.conf`
//! can be used unchanged; a key that is known but has a value that does not
//! parse is an error naming the file, the key and the value.
//!
//! `brokerIP1` defaults to `127.0.0.1`: this broker never guesses a
//! non-loopback interface, because a wrong guess is worse (clients on this
//! host then fail) than an obvious one. Set it on any multi-host deployment.

use std::fmt;
use std::path::{Path, PathBuf};

use clap::Parser;
use thiserror::Error;
use thrust_core::java_properties;
use thrust_core::message::delay_level::{DelayLevels, DEFAULT_MESSAGE_DELAY_LEVEL};

/// Why the configuration could not be loaded.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A known key has a value that does not parse.
    #[error("{origin}: bad value {value:?} for key `{key}` (expected {expected})")]
    BadValue {
        origin: String,
        key: String,
        value: String,
        expected: &'static str,
    },
}

/// When a send is acknowledged relative to the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlushDiskType {
    /// Acknowledged once in the store's buffers; flushed in the background.
    Async,
    /// Acknowledged once on stable storage (group commit).
    Sync,
}

/// How shard threads are placed on CPUs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Shard i pinned to the i-th CPU of the process's affinity mask.
    Pinned,
    /// Threads left to the kernel scheduler (tests, shared machines).
    Unbound,
}

/// The effective broker configuration. Owned by `main`, cloned into each
/// shard at start; never changed afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerConfig {
    pub broker_cluster_name: String,
    pub broker_name: String,
    pub broker_id: u64,
    pub broker_ip1: String,
    pub listen_port: u16,
    pub namesrv_addrs: Vec<String>,
    pub store_path_root_dir: PathBuf,
    pub flush_disk_type: FlushDiskType,
    pub flush_interval_commit_log_ms: u64,
    pub auto_create_topic_enable: bool,
    pub auto_create_subscription_group: bool,
    pub default_topic_queue_nums: u32,
    pub file_reserved_time_hours: u32,
    pub delete_when: String,
    pub disk_max_used_space_ratio_percent: u32,
    pub max_message_size_bytes: u32,
    pub long_polling_enable: bool,
    pub short_polling_time_ms: u64,
    pub register_name_server_period_ms: u64,
    pub channel_expired_timeout_ms: u64,
    pub broker_permission: u32,
    pub cluster_topic_enable: bool,
    pub broker_topic_enable: bool,
    pub mapped_file_size_commit_log_bytes: u64,
    pub shards: usize,
    pub placement: Placement,
    /// `messageDelayLevel`, validated by [`DelayLevels::parse`] when set.
    pub message_delay_level: String,
    /// `messageIndexEnable`: index `KEYS` and `UNIQ_KEY` for QUERY_MESSAGE.
    pub message_index_enable: bool,
    /// `maxMsgsNumBatch`: most messages one QUERY_MESSAGE answers.
    pub max_msgs_num_batch: u32,
    /// `defaultQueryMaxNum`: the `maxNum` of unique-key queries.
    pub default_query_max_num: u32,
}

/// Upper bound of `--shards`: more shards than this would only add channels.
pub const SHARDS_MAX: usize = 256;

fn default_broker_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let host = host.trim();
    if host.is_empty() {
        "broker-a".to_string()
    } else {
        host.to_string()
    }
}

fn default_store_path() -> PathBuf {
    match std::env::var_os("HOME") {
        Some(home) if !home.is_empty() => Path::new(&home).join("store"),
        _ => PathBuf::from("./data"),
    }
}

fn default_shards() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(SHARDS_MAX)
}

impl Default for BrokerConfig {
    fn default() -> Self {
        BrokerConfig {
            broker_cluster_name: "DefaultCluster".to_string(),
            broker_name: default_broker_name(),
            broker_id: 0,
            broker_ip1: "127.0.0.1".to_string(),
            listen_port: 10911,
            namesrv_addrs: Vec::new(),
            store_path_root_dir: default_store_path(),
            flush_disk_type: FlushDiskType::Async,
            flush_interval_commit_log_ms: 500,
            auto_create_topic_enable: true,
            auto_create_subscription_group: true,
            default_topic_queue_nums: 8,
            file_reserved_time_hours: 72,
            delete_when: "04".to_string(),
            disk_max_used_space_ratio_percent: 75,
            max_message_size_bytes: 4 * 1024 * 1024,
            long_polling_enable: true,
            short_polling_time_ms: 1000,
            register_name_server_period_ms: 30_000,
            channel_expired_timeout_ms: 120_000,
            broker_permission: 6,
            cluster_topic_enable: true,
            broker_topic_enable: true,
            mapped_file_size_commit_log_bytes: 1 << 30,
            shards: default_shards(),
            placement: Placement::Unbound,
            message_delay_level: DEFAULT_MESSAGE_DELAY_LEVEL.to_string(),
            message_index_enable: true,
            max_msgs_num_batch: 64,
            default_query_max_num: 32,
        }
    }
}

/// Keys of Apache's broker.conf that Thrust accepts and ignores without a
/// warning, because they have no meaning here (or their default is the only
/// behaviour Thrust has).
const KEYS_IGNORED: &[&str] = &[
    "brokerRole",
    "storePathCommitLog",
    "storePathConsumeQueue",
    "haListenPort",
    "brokerIP2",
    "enablePropertyFilter",
    "traceTopicEnable",
    "sendMessageThreadPoolNums",
    "pullMessageThreadPoolNums",
    "useReentrantLockWhenPutMessage",
    "waitTimeMillsInSendQueue",
    "transientStorePoolEnable",
    "slaveReadEnable",
    "rocketmqHome",
];

fn parse<T: std::str::FromStr>(
    origin: &str,
    key: &str,
    value: &str,
    expected: &'static str,
) -> Result<T, ConfigError> {
    value.parse::<T>().map_err(|_| ConfigError::BadValue {
        origin: origin.to_string(),
        key: key.to_string(),
        value: value.to_string(),
        expected,
    })
}

fn parse_bool(origin: &str, key: &str, value: &str) -> Result<bool, ConfigError> {
    match value.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(bad(origin, key, value, "true or false")),
    }
}

fn bad(origin: &str, key: &str, value: &str, expected: &'static str) -> ConfigError {
    ConfigError::BadValue {
        origin: origin.to_string(),
        key: key.to_string(),
        value: value.to_string(),
        expected,
    }
}

/// Splits a `;`-separated name server list, dropping empty items.
pub fn split_namesrv_addrs(value: &str) -> Vec<String> {
    value
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Whether a key was applied or is not known to Thrust.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Used,
    Ignored,
    Unknown,
}

impl BrokerConfig {
    /// Applies one `key=value` pair. `origin` names the file (and line) for
    /// error messages.
    ///
    /// # Errors
    /// [`ConfigError::BadValue`] when a known key's value does not parse or
    /// is out of range.
    pub fn set(&mut self, origin: &str, key: &str, value: &str) -> Result<Applied, ConfigError> {
        let o = origin;
        match key {
            "brokerClusterName" => self.broker_cluster_name = non_empty(o, key, value)?,
            "brokerName" => self.broker_name = non_empty(o, key, value)?,
            "brokerId" => self.broker_id = parse(o, key, value, "an unsigned integer")?,
            "brokerIP1" => self.broker_ip1 = parse_ip(o, key, value)?,
            "listenPort" => self.listen_port = parse_listen_port(o, key, value)?,
            "namesrvAddr" => self.namesrv_addrs = split_namesrv_addrs(value),
            "storePathRootDir" => self.store_path_root_dir = PathBuf::from(value),
            "flushDiskType" => self.flush_disk_type = parse_flush(o, key, value)?,
            "flushIntervalCommitLog" => {
                self.flush_interval_commit_log_ms = parse(o, key, value, "milliseconds")?
            }
            "autoCreateTopicEnable" => self.auto_create_topic_enable = parse_bool(o, key, value)?,
            "autoCreateSubscriptionGroup" => {
                self.auto_create_subscription_group = parse_bool(o, key, value)?
            }
            "defaultTopicQueueNums" => {
                self.default_topic_queue_nums = parse_range(o, key, value, 1, 1024)?
            }
            "fileReservedTime" => self.file_reserved_time_hours = parse(o, key, value, "hours")?,
            "deleteWhen" => self.delete_when = parse_delete_when(o, key, value)?,
            "diskMaxUsedSpaceRatio" => {
                self.disk_max_used_space_ratio_percent = parse_range(o, key, value, 10, 95)?
            }
            "maxMessageSize" => {
                self.max_message_size_bytes = parse_range(o, key, value, 1, 16 * 1024 * 1024)?
            }
            "longPollingEnable" => self.long_polling_enable = parse_bool(o, key, value)?,
            "shortPollingTimeMills" => {
                self.short_polling_time_ms = parse(o, key, value, "milliseconds")?
            }
            "registerNameServerPeriod" => {
                let ms: u64 = parse(o, key, value, "milliseconds")?;
                // Apache clamps the period to 10..60 s.
                self.register_name_server_period_ms = ms.clamp(10_000, 60_000);
            }
            "channelExpiredTimeout" => {
                self.channel_expired_timeout_ms = parse(o, key, value, "milliseconds")?
            }
            "brokerPermission" => self.broker_permission = parse_range(o, key, value, 0, 15)?,
            "clusterTopicEnable" => self.cluster_topic_enable = parse_bool(o, key, value)?,
            "brokerTopicEnable" => self.broker_topic_enable = parse_bool(o, key, value)?,
            "mappedFileSizeCommitLog" => {
                self.mapped_file_size_commit_log_bytes = parse(o, key, value, "bytes")?
            }
            "shards" => self.shards = parse_range(o, key, value, 1, SHARDS_MAX as u32)? as usize,
            "shardPlacement" => self.placement = parse_placement(o, key, value)?,
            "messageDelayLevel" => {
                DelayLevels::parse(value)
                    .map_err(|_| bad(o, key, value, "levels like 1s 5s 2m 1h"))?;
                self.message_delay_level = value.trim().to_string();
            }
            "messageIndexEnable" => self.message_index_enable = parse_bool(o, key, value)?,
            "maxMsgsNumBatch" => self.max_msgs_num_batch = parse_range(o, key, value, 1, 65_536)?,
            "defaultQueryMaxNum" => {
                self.default_query_max_num = parse_range(o, key, value, 1, 65_536)?
            }
            _ if KEYS_IGNORED.contains(&key) => return Ok(Applied::Ignored),
            _ => return Ok(Applied::Unknown),
        }
        Ok(Applied::Used)
    }

    /// The effective configuration as `key=value` lines (properties format,
    /// loadable again with `-c`).
    pub fn to_properties(&self) -> String {
        let mut out = String::new();
        for (key, value) in self.entries() {
            out.push_str(key);
            out.push('=');
            out.push_str(&value);
            out.push('\n');
        }
        out
    }

    fn entries(&self) -> Vec<(&'static str, String)> {
        vec![
            ("brokerClusterName", self.broker_cluster_name.clone()),
            ("brokerName", self.broker_name.clone()),
            ("brokerId", self.broker_id.to_string()),
            ("brokerIP1", self.broker_ip1.clone()),
            ("listenPort", self.listen_port.to_string()),
            ("namesrvAddr", self.namesrv_addrs.join(";")),
            (
                "storePathRootDir",
                self.store_path_root_dir.display().to_string(),
            ),
            ("flushDiskType", self.flush_disk_type.to_string()),
            (
                "flushIntervalCommitLog",
                self.flush_interval_commit_log_ms.to_string(),
            ),
            (
                "autoCreateTopicEnable",
                self.auto_create_topic_enable.to_string(),
            ),
            (
                "autoCreateSubscriptionGroup",
                self.auto_create_subscription_group.to_string(),
            ),
            (
                "defaultTopicQueueNums",
                self.default_topic_queue_nums.to_string(),
            ),
            (
                "fileReservedTime",
                self.file_reserved_time_hours.to_string(),
            ),
            ("deleteWhen", self.delete_when.clone()),
            (
                "diskMaxUsedSpaceRatio",
                self.disk_max_used_space_ratio_percent.to_string(),
            ),
            ("maxMessageSize", self.max_message_size_bytes.to_string()),
            ("longPollingEnable", self.long_polling_enable.to_string()),
            (
                "shortPollingTimeMills",
                self.short_polling_time_ms.to_string(),
            ),
            (
                "registerNameServerPeriod",
                self.register_name_server_period_ms.to_string(),
            ),
            (
                "channelExpiredTimeout",
                self.channel_expired_timeout_ms.to_string(),
            ),
            ("brokerPermission", self.broker_permission.to_string()),
            ("clusterTopicEnable", self.cluster_topic_enable.to_string()),
            ("brokerTopicEnable", self.broker_topic_enable.to_string()),
            (
                "mappedFileSizeCommitLog",
                self.mapped_file_size_commit_log_bytes.to_string(),
            ),
            ("shards", self.shards.to_string()),
            ("shardPlacement", self.placement.to_string()),
            ("messageDelayLevel", self.message_delay_level.clone()),
            ("messageIndexEnable", self.message_index_enable.to_string()),
            ("maxMsgsNumBatch", self.max_msgs_num_batch.to_string()),
            ("defaultQueryMaxNum", self.default_query_max_num.to_string()),
        ]
    }

    /// The parsed `messageDelayLevel` (validated when set).
    pub fn delay_levels(&self) -> DelayLevels {
        DelayLevels::parse(&self.message_delay_level).unwrap_or_default()
    }

    /// `ip:listenPort` as clients must reach this broker.
    pub fn broker_addr(&self) -> String {
        format!("{}:{}", self.broker_ip1, self.listen_port)
    }

    /// The HA address registered with name servers (`ip:listenPort+1`).
    pub fn ha_addr(&self) -> String {
        format!("{}:{}", self.broker_ip1, u32::from(self.listen_port) + 1)
    }
}

impl fmt::Display for FlushDiskType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FlushDiskType::Async => "ASYNC_FLUSH",
            FlushDiskType::Sync => "SYNC_FLUSH",
        })
    }
}

impl fmt::Display for Placement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Placement::Pinned => "pinned",
            Placement::Unbound => "unbound",
        })
    }
}

fn non_empty(origin: &str, key: &str, value: &str) -> Result<String, ConfigError> {
    if value.is_empty() {
        return Err(bad(origin, key, value, "a non-empty string"));
    }
    Ok(value.to_string())
}

fn parse_ip(origin: &str, key: &str, value: &str) -> Result<String, ConfigError> {
    let ip: std::net::Ipv4Addr = parse(origin, key, value, "an IPv4 address")?;
    Ok(ip.to_string())
}

fn parse_listen_port(origin: &str, key: &str, value: &str) -> Result<u16, ConfigError> {
    // The broker also listens on listenPort - 2 and names listenPort + 1 as
    // its HA address, so both must be valid ports.
    let port: u16 = parse(origin, key, value, "a TCP port in 3..=65534")?;
    if !(3..=65534).contains(&port) {
        return Err(bad(origin, key, value, "a TCP port in 3..=65534"));
    }
    Ok(port)
}

fn parse_range(
    origin: &str,
    key: &str,
    value: &str,
    min: u32,
    max: u32,
) -> Result<u32, ConfigError> {
    let n: u32 = parse(origin, key, value, "an unsigned integer")?;
    if n < min || n > max {
        return Err(bad(
            origin,
            key,
            value,
            "an integer within the allowed range",
        ));
    }
    Ok(n)
}

fn parse_flush(origin: &str, key: &str, value: &str) -> Result<FlushDiskType, ConfigError> {
    match value {
        "ASYNC_FLUSH" => Ok(FlushDiskType::Async),
        "SYNC_FLUSH" => Ok(FlushDiskType::Sync),
        _ => Err(bad(origin, key, value, "ASYNC_FLUSH or SYNC_FLUSH")),
    }
}

fn parse_placement(origin: &str, key: &str, value: &str) -> Result<Placement, ConfigError> {
    match value {
        "pinned" => Ok(Placement::Pinned),
        "unbound" => Ok(Placement::Unbound),
        _ => Err(bad(origin, key, value, "pinned or unbound")),
    }
}

fn parse_delete_when(origin: &str, key: &str, value: &str) -> Result<String, ConfigError> {
    // Apache accepts hours separated by ';', e.g. "04" or "04;16".
    let ok = value
        .split(';')
        .all(|h| h.trim().parse::<u8>().map(|h| h < 24).unwrap_or(false));
    if !ok {
        return Err(bad(origin, key, value, "hours 00..23 separated by ';'"));
    }
    Ok(value.to_string())
}

/// Command-line flags of `thrust-broker` (a subset of `mqbroker`'s plus
/// Thrust's shard options). Every flag overrides the file.
#[derive(Debug, Parser)]
#[command(
    name = "thrust-broker",
    version,
    about = "Thrust RocketMQ-compatible broker"
)]
pub struct Args {
    /// Name server addresses, `;`-separated (`ns1:9876;ns2:9876`).
    #[arg(short = 'n', long = "namesrvAddr")]
    pub namesrv_addr: Option<String>,
    /// RocketMQ broker.conf properties file.
    #[arg(short = 'c', long = "configFile")]
    pub config_file: Option<PathBuf>,
    /// Print the effective configuration and exit.
    #[arg(short = 'p', long = "print-config")]
    pub print_config: bool,
    /// Number of shards (one glommio executor thread each).
    #[arg(long)]
    pub shards: Option<usize>,
    /// Pin shard i to the i-th CPU of the affinity mask.
    #[arg(long, conflicts_with = "unbound")]
    pub pin: bool,
    /// Leave shard threads unbound (the default).
    #[arg(long)]
    pub unbound: bool,
    /// storePathRootDir.
    #[arg(long = "store-path")]
    pub store_path: Option<PathBuf>,
    /// listenPort (the broker also listens on listenPort - 2).
    #[arg(long = "listen-port")]
    pub listen_port: Option<u16>,
    /// brokerName.
    #[arg(long = "broker-name")]
    pub broker_name: Option<String>,
    /// brokerIP1: the address registered with name servers.
    #[arg(long = "broker-ip")]
    pub broker_ip: Option<String>,
}

/// A non-fatal remark produced while loading (unknown keys).
pub type Warning = String;

/// Builds the effective configuration from defaults, the file and flags.
///
/// # Errors
/// Unreadable file, or a bad value (file or flag).
pub fn load(args: &Args) -> Result<(BrokerConfig, Vec<Warning>), ConfigError> {
    let mut config = BrokerConfig::default();
    let mut warnings = Vec::new();
    if let Some(path) = &args.config_file {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        let file = path.display().to_string();
        for (key, value) in java_properties::parse(&text) {
            if config.set(&file, &key, &value)? == Applied::Unknown {
                warnings.push(format!("{file}: unknown key `{key}` ignored"));
            }
        }
    }
    apply_flags(&mut config, args)?;
    Ok((config, warnings))
}

fn apply_flags(config: &mut BrokerConfig, args: &Args) -> Result<(), ConfigError> {
    let flag_values = [
        ("namesrvAddr", args.namesrv_addr.clone()),
        ("shards", args.shards.map(|n| n.to_string())),
        (
            "storePathRootDir",
            args.store_path.as_ref().map(|p| p.display().to_string()),
        ),
        ("listenPort", args.listen_port.map(|p| p.to_string())),
        ("brokerName", args.broker_name.clone()),
        ("brokerIP1", args.broker_ip.clone()),
    ];
    for (key, value) in flag_values {
        if let Some(value) = value {
            config.set("command line", key, &value)?;
        }
    }
    if args.pin {
        config.placement = Placement::Pinned;
    }
    if args.unbound {
        config.placement = Placement::Unbound;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Args {
        Args::parse_from(std::iter::once("thrust-broker").chain(list.iter().copied()))
    }

    #[test]
    fn defaults_are_apaches() {
        let c = BrokerConfig::default();
        assert_eq!(c.broker_cluster_name, "DefaultCluster");
        assert_eq!(c.listen_port, 10911);
        assert_eq!(c.default_topic_queue_nums, 8);
        assert_eq!(c.max_message_size_bytes, 4194304);
        assert_eq!(c.flush_disk_type, FlushDiskType::Async);
        assert!(c.auto_create_topic_enable && c.long_polling_enable);
    }

    #[test]
    fn flags_override_file_and_unknown_key_warns() {
        let dir = std::env::temp_dir().join(format!("thrust-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("broker.conf");
        std::fs::write(
            &path,
            "brokerName=b1\nlistenPort=20911\nfancyKey=1\nbrokerRole=ASYNC_MASTER\n",
        )
        .unwrap();
        let a = args(&[
            "-c",
            path.to_str().unwrap(),
            "--listen-port",
            "30911",
            "-n",
            "a:1;b:2",
        ]);
        let (c, warnings) = load(&a).unwrap();
        assert_eq!(c.broker_name, "b1");
        assert_eq!(c.listen_port, 30911);
        assert_eq!(c.namesrv_addrs, vec!["a:1".to_string(), "b:2".to_string()]);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("fancyKey"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bad_value_names_file_key_and_value() {
        let mut c = BrokerConfig::default();
        let err = c
            .set("broker.conf:3", "listenPort", "ninety")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("broker.conf:3") && err.contains("listenPort"),
            "{err}"
        );
        assert!(err.contains("ninety"), "{err}");
        assert!(c.set("f", "flushDiskType", "SOMETIMES").is_err());
        assert!(c.set("f", "autoCreateTopicEnable", "yes").is_err());
    }

    #[test]
    fn printed_config_loads_back_identically() {
        let mut c = BrokerConfig::default();
        c.set("f", "flushDiskType", "SYNC_FLUSH").unwrap();
        c.set("f", "namesrvAddr", "127.0.0.1:9876").unwrap();
        let mut back = BrokerConfig::default();
        for (k, v) in java_properties::parse(&c.to_properties()) {
            assert_eq!(back.set("p", &k, &v).unwrap(), Applied::Used, "{k}");
        }
        assert_eq!(back, c);
    }
}
