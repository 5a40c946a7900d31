//! Transactions: END_TRANSACTION (37) from producers and
//! CHECK_TRANSACTION_STATE (39) from the broker: REMOTING.md §3.12, §3.13,
//! §6.5.

/// `commitOrRollback` values (Java `MessageSysFlag.TRANSACTION_*_TYPE`).
pub mod commit_or_rollback {
    /// Unknown state: do nothing and wait for a check.
    pub const NOT_TYPE: i32 = 0;
    /// Commit the half message.
    pub const COMMIT_TYPE: i32 = 0x8;
    /// Roll the half message back.
    pub const ROLLBACK_TYPE: i32 = 0xC;
}

ext_header! {
    /// END_TRANSACTION (37) request (sent oneway by Java and Go).
    pub struct EndTransactionRequestHeader {
        /// Topic (optional).
        opt topic: String = "topic",
        /// Producer group; must match the half message's `PGROUP`.
        req producer_group: String = "producerGroup",
        /// Queue offset of the half message.
        req tran_state_table_offset: i64 = "tranStateTableOffset",
        /// Commit-log offset of the half message.
        req commit_log_offset: i64 = "commitLogOffset",
        /// One of [`commit_or_rollback`].
        req commit_or_rollback: i32 = "commitOrRollback",
        /// Whether this answers a CHECK_TRANSACTION_STATE.
        def from_transaction_check: bool = "fromTransactionCheck" (default false),
        /// UNIQ_KEY of the message.
        req msg_id: String = "msgId",
        /// Transaction id.
        opt transaction_id: String = "transactionId",
        /// Broker name (inherited `bname`; the Java client copies it from
        /// the check request).
        opt broker_name: String = "bname",
    }
}

ext_header! {
    /// END_TRANSACTION (37) response: no fields.
    pub struct EndTransactionResponseHeader {}
}

ext_header! {
    /// CHECK_TRANSACTION_STATE (39) request, broker → producer, oneway.
    pub struct CheckTransactionStateRequestHeader {
        /// Topic (Java puts the half topic; clients ignore it).
        opt topic: String = "topic",
        /// Queue offset of the half message.
        req tran_state_table_offset: i64 = "tranStateTableOffset",
        /// Commit-log offset of the half message.
        req commit_log_offset: i64 = "commitLogOffset",
        /// UNIQ_KEY.
        opt msg_id: String = "msgId",
        /// UNIQ_KEY.
        opt transaction_id: String = "transactionId",
        /// Offset msgId of the half message.
        opt offset_msg_id: String = "offsetMsgId",
        /// Broker name (inherited `bname`; Java sets it).
        opt broker_name: String = "bname",
    }
}
