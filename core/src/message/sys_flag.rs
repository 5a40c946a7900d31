//! Message sysFlag bits (REMOTING.md §5.2, Java `MessageSysFlag`) and pull
//! request sysFlag bits (§3.3, Java `PullSysFlag`).

/// Message body is compressed (the broker never decompresses).
pub const COMPRESSED_FLAG: i32 = 0x1;
/// Set by the broker for MULTI_TAG topics (legacy).
pub const MULTI_TAGS_FLAG: i32 = 0x2;
/// Transaction state, bits 2–3: not transactional.
pub const TRANSACTION_NOT_TYPE: i32 = 0x0;
/// Transaction state: half (prepared) message.
pub const TRANSACTION_PREPARED_TYPE: i32 = 0x4;
/// Transaction state: committed.
pub const TRANSACTION_COMMIT_TYPE: i32 = 0x8;
/// Transaction state: rolled back.
pub const TRANSACTION_ROLLBACK_TYPE: i32 = 0xC;
/// Mask of the transaction state bits.
pub const TRANSACTION_TYPE_MASK: i32 = 0xC;
/// BORNHOST is IPv6 (20 bytes in the record).
pub const BORNHOST_V6_FLAG: i32 = 0x10;
/// STOREHOSTADDRESS is IPv6 (20 bytes in the record).
pub const STOREHOSTADDRESS_V6_FLAG: i32 = 0x20;
/// Inner batch, batch consume queue only.
pub const NEED_UNWRAP_FLAG: i32 = 0x40;
/// Inner batch.
pub const INNER_BATCH_FLAG: i32 = 0x80;
/// Compression type, bits 8–10: 0 or 3 zlib, 1 LZ4, 2 ZSTD.
pub const COMPRESSION_TYPE_MASK: i32 = 0x700;
pub const COMPRESSION_LZ4_TYPE: i32 = 0x100;
pub const COMPRESSION_ZSTD_TYPE: i32 = 0x200;
pub const COMPRESSION_ZLIB_TYPE: i32 = 0x300;

const _: () = assert!(TRANSACTION_ROLLBACK_TYPE == TRANSACTION_TYPE_MASK);
const _: () = assert!(
    (TRANSACTION_TYPE_MASK & (BORNHOST_V6_FLAG | STOREHOSTADDRESS_V6_FLAG | COMPRESSION_TYPE_MASK))
        == 0
);

/// The transaction state bits of a message sysFlag.
pub const fn transaction_type(sys_flag: i32) -> i32 {
    sys_flag & TRANSACTION_TYPE_MASK
}

/// `sys_flag` with its transaction state replaced by `transaction_type`.
pub const fn with_transaction_type(sys_flag: i32, transaction_type: i32) -> i32 {
    (sys_flag & !TRANSACTION_TYPE_MASK) | (transaction_type & TRANSACTION_TYPE_MASK)
}

/// Pull request sysFlag bits.
pub mod pull {
    /// `commitOffset` in the header is valid: store it.
    pub const COMMIT_OFFSET_FLAG: i32 = 0x1;
    /// Hold the request (long poll) if nothing is found.
    pub const SUSPEND_FLAG: i32 = 0x2;
    /// `subscription` in the header is valid: use it, not the registered one.
    pub const SUBSCRIPTION_FLAG: i32 = 0x4;
    /// Class filter mode (obsolete).
    pub const CLASS_FILTER_FLAG: i32 = 0x8;
    /// Set by lite pull consumers (code 361).
    pub const LITE_PULL_MESSAGE_FLAG: i32 = 0x10;

    pub const fn has_commit_offset(sys_flag: i32) -> bool {
        sys_flag & COMMIT_OFFSET_FLAG != 0
    }

    pub const fn has_suspend(sys_flag: i32) -> bool {
        sys_flag & SUSPEND_FLAG != 0
    }

    pub const fn has_subscription(sys_flag: i32) -> bool {
        sys_flag & SUBSCRIPTION_FLAG != 0
    }

    pub const fn has_class_filter(sys_flag: i32) -> bool {
        sys_flag & CLASS_FILTER_FLAG != 0
    }

    pub const fn has_lite_pull(sys_flag: i32) -> bool {
        sys_flag & LITE_PULL_MESSAGE_FLAG != 0
    }
}
