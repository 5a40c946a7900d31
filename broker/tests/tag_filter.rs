//! Tag filtering by the consume queue's tag hash: a subscription `TagA ||
//! TagC` receives exactly the TagA and TagC messages, a pull over a range
//! holding only other tags answers PULL_RETRY_IMMEDIATELY (20) past it, and
//! subscriptions registered by HEART_BEAT filter pulls that carry none.

mod common;

use common::requests::*;
use common::Cluster;
use thrust_core::message::properties::find_property;
use thrust_core::message::record::decode_records;

fn tags_of(body: &[u8]) -> Vec<String> {
    decode_records(body)
        .map(|r| r.unwrap())
        .map(|r| {
            find_property(r.properties_raw(), "TAGS")
                .unwrap_or("")
                .to_string()
        })
        .collect()
}

#[test]
fn only_subscribed_tags_are_delivered() {
    let cluster = Cluster::start("tag-filter", "");
    let mut client = cluster.client();
    assert_eq!(client.call(create_topic("Tagged", 1)).code, SUCCESS);
    for tag in ["TagB", "TagB", "TagA", "TagB", "TagC", "TagA"] {
        send_ok(
            &mut client,
            "Tagged",
            0,
            tag.as_bytes(),
            &properties(&[("TAGS", tag)]),
        );
    }
    let response = client.call(pull(
        "cg",
        "Tagged",
        0,
        0,
        FLAG_SUBSCRIPTION,
        "TagA || TagC",
        0,
    ));
    assert_eq!(response.code, SUCCESS);
    assert_eq!(tags_of(&response.body), vec!["TagA", "TagC", "TagA"]);
    assert_eq!(field::<i64>(&response, "nextBeginOffset"), 6);

    let none = client.call(pull("cg", "Tagged", 0, 0, FLAG_SUBSCRIPTION, "TagZ", 0));
    assert_eq!(none.code, 20, "all filtered: {:?}", none.remark);
    assert_eq!(field::<i64>(&none, "nextBeginOffset"), 6);

    // Without the subscription flag the heartbeat's subscription applies.
    let hb = heartbeat("c1", "hbgroup", "Tagged").with_body(
        r#"{"clientID":"c1","consumerDataSet":[{"groupName":"hbgroup","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING","consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","subscriptionDataSet":[{"topic":"Tagged","subString":"TagC","tagsSet":["TagC"],"codeSet":["999"],"subVersion":5,"expressionType":"TAG"}]}],"producerDataSet":[]}"#.into(),
    );
    assert_eq!(client.call(hb).code, SUCCESS);
    let response = client.call(pull("hbgroup", "Tagged", 0, 0, 0, "", 0));
    assert_eq!(response.code, SUCCESS, "{:?}", response.remark);
    assert_eq!(tags_of(&response.body), vec!["TagC"]);
}
