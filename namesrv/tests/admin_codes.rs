//! The admin codes of REMOTING.md §4.4/§4.7 that mqadmin uses:
//! WIPE/ADD_WRITE_PERM_OF_BROKER (counts and perms), DELETE_TOPIC_IN_NAMESRV,
//! REGISTER_TOPIC_IN_NAMESRV, GET_SYSTEM_TOPIC_LIST_FROM_NS,
//! QUERY_DATA_VERSION (changed flag and stored version), and
//! UPDATE/GET_NAMESRV_CONFIG as properties text (fixed keys refused).

mod common;

use bytes::Bytes;
use common::*;
use thrust_core::body::{DataVersion, JsonBody, TopicList, TopicRouteData};
use thrust_core::code::{RequestCode, ResponseCode};
use thrust_core::frame::RemotingCommand;

const ADDR: &str = "10.0.0.1:10911";

fn request(code: RequestCode) -> RemotingCommand {
    RemotingCommand::request(code.0)
}

#[test]
fn write_permission_is_wiped_and_added_back() {
    let server = Namesrv::start("perm", &[]);
    let mut conn = server.connect();
    register(
        &mut conn,
        "broker-a",
        0,
        ADDR,
        &[topic("T", 4), topic("U", 4)],
    );
    let wipe = conn
        .request(
            request(RequestCode::WIPE_WRITE_PERM_OF_BROKER)
                .with_ext_field("brokerName", "broker-a"),
        )
        .unwrap();
    assert_eq!(wipe.code, 0);
    assert_eq!(wipe.ext_field("wipeTopicCount"), Some("2"));
    assert_eq!(route(&mut conn, "T").unwrap().queue_datas[0].perm, 4);
    let add = conn
        .request(
            request(RequestCode::ADD_WRITE_PERM_OF_BROKER).with_ext_field("brokerName", "broker-a"),
        )
        .unwrap();
    assert_eq!(add.ext_field("addTopicCount"), Some("2"));
    assert_eq!(route(&mut conn, "T").unwrap().queue_datas[0].perm, 6);
}

#[test]
fn topics_are_deleted_and_registered_by_admin() {
    let server = Namesrv::start("topics", &[]);
    let mut conn = server.connect();
    register(
        &mut conn,
        "broker-a",
        0,
        ADDR,
        &[topic("T", 4), topic("U", 4)],
    );
    let delete = request(RequestCode::DELETE_TOPIC_IN_NAMESRV).with_ext_field("topic", "T");
    assert_eq!(conn.request(delete).unwrap().code, 0);
    assert_eq!(route(&mut conn, "T"), Err(ResponseCode::TOPIC_NOT_EXIST.0));

    let mut body = route(&mut conn, "U").unwrap();
    body.queue_datas[0].read_queue_nums = 2;
    let register_topic = request(RequestCode::REGISTER_TOPIC_IN_NAMESRV)
        .with_ext_field("topic", "New")
        .with_body(Bytes::from(body.encode()));
    assert_eq!(conn.request(register_topic).unwrap().code, 0);
    assert_eq!(
        route(&mut conn, "New").unwrap().queue_datas[0].read_queue_nums,
        2
    );

    let mut unknown = TopicRouteData {
        queue_datas: body.queue_datas.clone(),
        ..TopicRouteData::default()
    };
    unknown.queue_datas[0].broker_name = "nobody".to_owned();
    let refused = request(RequestCode::REGISTER_TOPIC_IN_NAMESRV)
        .with_ext_field("topic", "Bad")
        .with_body(Bytes::from(unknown.encode()));
    assert_eq!(
        conn.request(refused).unwrap().code,
        ResponseCode::SYSTEM_ERROR.0
    );

    let system = conn
        .request(request(RequestCode::GET_SYSTEM_TOPIC_LIST_FROM_NS))
        .unwrap();
    let system = TopicList::decode(&system.body).unwrap();
    assert!(system.topic_list.contains(CLUSTER) && system.topic_list.contains("broker-a"));
    assert_eq!(system.broker_addr.as_deref(), Some(ADDR));
}

#[test]
fn query_data_version_reports_changes() {
    let server = Namesrv::start("data-version", &[]);
    let mut conn = server.connect();
    register(
        &mut conn,
        "broker-a",
        0,
        ADDR,
        &[topic("T", 4), topic("U", 4)],
    );
    let query = |version: DataVersion| {
        request(RequestCode::QUERY_DATA_VERSION)
            .with_ext_field("brokerName", "broker-a")
            .with_ext_field("brokerAddr", ADDR)
            .with_ext_field("clusterName", CLUSTER)
            .with_ext_field("brokerId", "0")
            .with_body(Bytes::from(version.encode()))
    };
    let same = conn
        .request(query(DataVersion::new(1_700_000_000_000)))
        .unwrap();
    assert_eq!(same.code, 0);
    assert_eq!(same.ext_field("changed"), Some("false"));
    assert_eq!(
        DataVersion::decode(&same.body).unwrap(),
        DataVersion::new(1_700_000_000_000)
    );
    let mut newer = DataVersion::new(1_700_000_000_000);
    newer.bump(1_700_000_000_001);
    let changed = conn.request(query(newer)).unwrap();
    assert_eq!(changed.ext_field("changed"), Some("true"));
}

#[test]
fn namesrv_config_is_read_and_updated_as_properties() {
    let server = Namesrv::start("config", &[]);
    let mut conn = server.connect();
    let before = conn
        .request(request(RequestCode::GET_NAMESRV_CONFIG))
        .unwrap();
    let text = String::from_utf8(before.body.to_vec()).unwrap();
    assert!(text.contains("orderMessageEnable=false"), "{text}");
    assert!(
        text.contains(&format!("listenPort={}", server.addr.port())),
        "{text}"
    );

    let update = request(RequestCode::UPDATE_NAMESRV_CONFIG)
        .with_body(Bytes::from_static(b"orderMessageEnable=true\n"));
    assert_eq!(conn.request(update).unwrap().code, 0);
    let after = conn
        .request(request(RequestCode::GET_NAMESRV_CONFIG))
        .unwrap();
    assert!(String::from_utf8(after.body.to_vec())
        .unwrap()
        .contains("orderMessageEnable=true"));

    let refused = request(RequestCode::UPDATE_NAMESRV_CONFIG)
        .with_body(Bytes::from_static(b"kvConfigPath=/tmp/elsewhere\n"));
    assert_eq!(
        conn.request(refused).unwrap().code,
        ResponseCode::NO_PERMISSION.0
    );

    // With orderMessageEnable, routes carry orderTopicConf from the KV table.
    register(
        &mut conn,
        "broker-a",
        0,
        ADDR,
        &[topic("T", 4), topic("U", 4)],
    );
    let put = request(RequestCode::PUT_KV_CONFIG)
        .with_ext_field("namespace", "ORDER_TOPIC_CONFIG")
        .with_ext_field("key", "T")
        .with_ext_field("value", "broker-a:4");
    assert_eq!(conn.request(put).unwrap().code, 0);
    assert_eq!(
        route(&mut conn, "T").unwrap().order_topic_conf.as_deref(),
        Some("broker-a:4")
    );
}

#[test]
fn missing_required_header_field_answers_system_error() {
    let server = Namesrv::start("missing-field", &[]);
    let mut conn = server.connect();
    let response = conn.request(request(RequestCode::REGISTER_BROKER)).unwrap();
    assert_eq!(response.code, ResponseCode::SYSTEM_ERROR.0);
    assert!(response.remark.unwrap_or_default().contains("brokerName"));
}
