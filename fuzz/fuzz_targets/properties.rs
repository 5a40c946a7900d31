//! Fuzzes the property-string decoders against each other: the allocating
//! `Properties::decode` (the reference model: Java's rules, last wins) and
//! the non-allocating `find_property` must agree on every name, and a
//! decoded map must encode and decode back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use thrust_core::message::properties::{
    find_property, iter_raw, Properties, PROPERTIES_LENGTH_MAX,
};

fuzz_target!(|data: &[u8]| {
    let lossy = Properties::decode_lossy(data);
    let Ok(properties) = Properties::decode(data) else {
        return;
    };
    assert_eq!(lossy, properties);
    for (name, _) in iter_raw(data) {
        let name = std::str::from_utf8(name).expect("decode accepted it");
        assert_eq!(find_property(data, name), properties.get(name));
    }
    match properties.to_bytes() {
        Ok(encoded) => {
            assert!(encoded.len() <= data.len() + 1);
            assert_eq!(
                Properties::decode(&encoded).expect("own output"),
                properties
            );
        }
        Err(_) => assert!(properties.encoded_len() > PROPERTIES_LENGTH_MAX),
    }
});
