//! Every header type survives a round trip: for any extFields map a peer may
//! send (required fields valid, optional fields absent, empty, garbage or
//! valid, plus foreign keys such as `ns` or `AccessKey`), the decoded header
//! `x` satisfies `decode(encode(x)) == x`, encoding is stable, and encoding
//! writes only the header's own keys. One proptest per type is generated
//! from the registry `for_each_header!`, so a new header is covered as soon
//! as it is registered.

mod header_support;

use header_support::fields_strategy;
use proptest::prelude::*;
use thrust_core::ext_fields::ExtFields;
use thrust_core::for_each_header;
use thrust_core::header::{CommandHeader, SEND_MESSAGE_FIELDS_V2};

const CASES_PER_HEADER: u32 = 128;

fn check_round_trip<H>(map: &ExtFields) -> Result<(), TestCaseError>
where
    H: CommandHeader + PartialEq + std::fmt::Debug,
{
    let decoded = H::from_ext_fields(map);
    prop_assert!(decoded.is_ok(), "{}: {:?} for {:?}", H::NAME, decoded, map);
    let x = decoded.unwrap();
    let encoded = x.encode();
    let again = H::from_ext_fields(&encoded);
    prop_assert_eq!(
        again.as_ref(),
        Ok(&x),
        "{} re-decode of {:?}",
        H::NAME,
        encoded
    );
    prop_assert_eq!(&again.unwrap().encode(), &encoded);

    // The send header writes its V2 names; every other header its own table.
    let own: Vec<&str> = if H::NAME == "SendMessageRequestHeader" {
        SEND_MESSAGE_FIELDS_V2.iter().map(|f| f.name).collect()
    } else {
        H::FIELDS.iter().map(|f| f.name).collect()
    };
    for key in encoded.keys() {
        prop_assert!(
            own.contains(&key.as_str()),
            "{} wrote foreign key {}",
            H::NAME,
            key
        );
    }
    Ok(())
}

macro_rules! round_trip_tests {
    ($($header:ident),* $(,)?) => {
        $(
            #[allow(non_snake_case)]
            mod $header {
                use super::*;
                use thrust_core::header::$header as Header;

                proptest! {
                    // Every header shares this test binary; 128 cases each
                    // keep it near 20 s in debug on a shared 2-core machine,
                    // and the `ext_headers` fuzz target goes deeper.
                    #![proptest_config(ProptestConfig::with_cases(CASES_PER_HEADER))]
                    #[test]
                    fn decode_of_encode_is_identity(
                        map in fields_strategy(<Header as CommandHeader>::FIELDS)
                    ) {
                        check_round_trip::<Header>(&map)?;
                    }
                }
            }
        )*
    };
}

for_each_header!(round_trip_tests);
