//! KV config persistence: entries put with PUT_KV_CONFIG survive a restart
//! (same KV file, new process), GET_KVLIST_BY_NAMESPACE lists them, a
//! deleted entry stays deleted after another restart, a missing one answers
//! QUERY_NOT_FOUND (22); the ORDER_TOPIC_CONFIG table is returned in the
//! REGISTER_BROKER response body.

mod common;

use common::*;
use thrust_core::body::{JsonBody, KVTable};
use thrust_core::code::{RequestCode, ResponseCode};
use thrust_core::frame::RemotingCommand;

fn put(conn: &mut Conn, namespace: &str, key: &str, value: &str) {
    let request = RemotingCommand::request(RequestCode::PUT_KV_CONFIG.0)
        .with_ext_field("namespace", namespace)
        .with_ext_field("key", key)
        .with_ext_field("value", value);
    assert_eq!(conn.request(request).unwrap().code, 0);
}

fn get(conn: &mut Conn, namespace: &str, key: &str) -> Result<String, i32> {
    let request = RemotingCommand::request(RequestCode::GET_KV_CONFIG.0)
        .with_ext_field("namespace", namespace)
        .with_ext_field("key", key);
    let response = conn.request(request).unwrap();
    if response.code != 0 {
        return Err(response.code);
    }
    Ok(response.ext_field("value").unwrap().to_owned())
}

#[test]
fn kv_entries_survive_restart_and_deletes_stick() {
    let server = Namesrv::start("kv-restart", &[]);
    let mut conn = server.connect();
    put(&mut conn, "ORDER_TOPIC_CONFIG", "OrderTopic", "broker-a:4");
    put(&mut conn, "app", "colour", "blue");
    put(&mut conn, "app", "size", "large");
    assert_eq!(get(&mut conn, "app", "colour"), Ok("blue".to_owned()));

    let server = server.restart();
    let mut conn = server.connect();
    assert_eq!(get(&mut conn, "app", "colour"), Ok("blue".to_owned()));
    let list = conn
        .request(
            RemotingCommand::request(RequestCode::GET_KVLIST_BY_NAMESPACE.0)
                .with_ext_field("namespace", "app"),
        )
        .unwrap();
    assert_eq!(list.code, 0);
    let table = KVTable::decode(&list.body).unwrap().table;
    assert_eq!(table.len(), 2);
    assert_eq!(table["size"], "large");

    let response = register(
        &mut conn,
        "broker-a",
        0,
        "10.0.0.1:10911",
        &[topic("A", 4), topic("B", 4)],
    );
    let order = KVTable::decode(&response.body).unwrap().table;
    assert_eq!(order["OrderTopic"], "broker-a:4");

    let delete = RemotingCommand::request(RequestCode::DELETE_KV_CONFIG.0)
        .with_ext_field("namespace", "app")
        .with_ext_field("key", "colour");
    assert_eq!(conn.request(delete).unwrap().code, 0);
    drop(conn);

    let server = server.restart();
    let mut conn = server.connect();
    assert_eq!(
        get(&mut conn, "app", "colour"),
        Err(ResponseCode::QUERY_NOT_FOUND.0)
    );
    assert_eq!(get(&mut conn, "app", "size"), Ok("large".to_owned()));
    let missing = conn
        .request(
            RemotingCommand::request(RequestCode::GET_KVLIST_BY_NAMESPACE.0)
                .with_ext_field("namespace", "none"),
        )
        .unwrap();
    assert_eq!(missing.code, ResponseCode::QUERY_NOT_FOUND.0);
}
