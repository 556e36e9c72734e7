//! Contract addresses against wasmd's published vectors (x/wasm/keeper/addresses_test.go:
//! `TestBuildContractAddressClassic`, and `TestBuildContractAddressPredictable`'s golden
//! master, generated with cosmjs), which are bech32 with the prefix "purple".

use deai_framework::Address;

use crate::address::{self, check_salt, classic, module_address, predictable, CONTRACT_ADDR_LEN};

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

/// The bytes of a bech32 address of any prefix.
fn bech32_bytes(s: &str) -> Vec<u8> {
    bech32::decode(s).unwrap().1
}

#[test]
fn classic_matches_wasmd() {
    let specs = [
        (
            0,
            0,
            "purple1w0w8sasnut0jx0vvsnvlc8nayq0q2ej8xgrpwgel05tn6wy4r57qfplul7",
        ),
        (
            0,
            1,
            "purple156r47kpk4va938pmtpuee4fh77847gqcw2dmpl2nnpwztwfgz04s5cr8hj",
        ),
        (
            1,
            0,
            "purple1mzdhwvvh22wrt07w59wxyd58822qavwkx5lcej7aqfkpqqlhaqfs5efvjk",
        ),
        (
            1,
            1,
            "purple14hj2tavq8fpesdwxxcu44rty3hh90vhujrvcmstl4zr3txmfvw9smc2vxm",
        ),
    ];
    for (code, instance, want) in specs {
        let got = classic(code, instance).unwrap();
        assert_eq!(
            got.as_bytes(),
            bech32_bytes(want).as_slice(),
            "{code}/{instance}"
        );
        assert_eq!(got.as_bytes().len(), CONTRACT_ADDR_LEN);
    }
}

const CHECKSUM: &str = "13a1fc994cc6d1c81b746ee0c0ff6f90043875e0bf1d9be6b7d779fc978dc2a5";
const CREATOR20: &str = "9999999999aaaaaaaaaabbbbbbbbbbcccccccccc";
const CREATOR32: &str = "9999999999aaaaaaaaaabbbbbbbbbbccccccccccddddddddddeeeeeeeeeeffff";
const LONG_SALT: &str = "aabbccddeeffffeeddbbccddaa66551155aaaabbcc787878789900aabbccddeeffffeeddbbccddaa66551155aaaabbcc787878789900aabbbbcc221100acadae";
const NESTED: &str = r#"{"some":123,"structure":{"nested":["ok",true]}}"#;

#[test]
fn predictable_matches_wasmd_golden_master() {
    // (creator, salt, msg, addressData, bech32 with "purple")
    let specs = [
        (
            CREATOR20,
            "61",
            "",
            "5e865d3e45ad3e961f77fd77d46543417ced44d924dc3e079b5415ff6775f847",
            "purple1t6r960j945lfv8mhl4mage2rg97w63xeynwrupum2s2l7em4lprs9ce5hk",
        ),
        (
            CREATOR20,
            "61",
            "{}",
            "0995499608947a5281e2c7ebd71bdb26a1ad981946dad57f6c4d3ee35de77835",
            "purple1px25n9sgj3a99q0zcl4awx7my6s6mxqegmdd2lmvf5lwxh080q6suttktr",
        ),
        (
            CREATOR20,
            "61",
            NESTED,
            "83326e554723b15bac664ceabc8a5887e27003abe9fbd992af8c7bcea4745167",
            "purple1svexu428ywc4htrxfn4tezjcsl38qqata8aany4033auafr529ns4v254c",
        ),
        (
            CREATOR20,
            LONG_SALT,
            "",
            "9384c6248c0bb171e306fd7da0993ec1e20eba006452a3a9e078883eb3594564",
            "purple1jwzvvfyvpwchrccxl476pxf7c83qawsqv3f2820q0zyrav6eg4jqdcq7gc",
        ),
        (
            CREATOR20,
            LONG_SALT,
            "{}",
            "9a8d5f98fb186825401a26206158e7a1213311a9b6a87944469913655af52ffb",
            "purple1n2x4lx8mrp5z2sq6ycsxzk885ysnxydfk658j3zxnyfk2kh49lasesxf6j",
        ),
        (
            CREATOR20,
            LONG_SALT,
            NESTED,
            "932f07bc53f7d0b0b43cb5a54ac3e245b205e6ae6f7c1d991dc6af4a2ff9ac18",
            "purple1jvhs00zn7lgtpdpukkj54slzgkeqte4wda7pmxgac6h55tle4svq8cmp60",
        ),
        (
            CREATOR32,
            "61",
            "",
            "9725e94f528d8b78d33c25f3dfcd60e6142d8be60ab36f6a5b59036fd51560db",
            "purple1juj7jn6j3k9h35euyhealntquc2zmzlxp2ek76jmtypkl4g4vrdsfwmwxk",
        ),
        (
            CREATOR32,
            "61",
            "{}",
            "b056e539bbaf447ba18f3f13b792970111fc78933eb6700f4d227b5216d63658",
            "purple1kptw2wdm4az8hgv08ufm0y5hqyglc7yn86m8qr6dyfa4y9kkxevqmkm9q3",
        ),
    ];
    for (creator, salt, msg, data, purple) in specs {
        let creator = Address::from_bytes(&unhex(creator)).unwrap();
        let got = predictable(&unhex(CHECKSUM), &creator, &unhex(salt), msg.as_bytes()).unwrap();
        assert_eq!(hex::encode(got.as_bytes()), data, "{salt}/{msg}");
        assert_eq!(got.as_bytes(), bech32_bytes(purple).as_slice());
    }
}

#[test]
fn module_address_is_the_sdks_derivation() {
    // The golden master's intermediate key for the first vector: "wasm" 0x00 then the
    // length-prefixed parts; its address data is Hash("module", key).
    let key = unhex(concat!(
        "7761736d00",
        "0000000000000020",
        "13a1fc994cc6d1c81b746ee0c0ff6f90043875e0bf1d9be6b7d779fc978dc2a5",
        "0000000000000014",
        "9999999999aaaaaaaaaabbbbbbbbbbcccccccccc",
        "000000000000000161",
        "0000000000000000"
    ));
    assert_eq!(
        hex::encode(address::hash("module", &key)),
        "5e865d3e45ad3e961f77fd77d46543417ced44d924dc3e079b5415ff6775f847"
    );
    assert_eq!(
        module_address("wasm", &key[5..]),
        address::hash("module", &key)
    );
}

#[test]
fn contract_addresses_are_deai_bech32() {
    let a = classic(1, 1).unwrap();
    let s = a.to_bech32();
    assert!(s.starts_with("deai1"));
    assert_eq!(s.len(), 4 + 1 + 52 + 6);
    assert_eq!(Address::from_bech32(&s).unwrap(), a);
    // The same bytes as wasmd's "purple" address.
    let purple = "purple14hj2tavq8fpesdwxxcu44rty3hh90vhujrvcmstl4zr3txmfvw9smc2vxm";
    assert_eq!(bech32_bytes(&s), bech32_bytes(purple));
}

#[test]
fn predictable_refuses_bad_inputs() {
    let creator = Address::from_bytes(&unhex(CREATOR20)).unwrap();
    assert!(predictable(&[1; 31], &creator, b"a", b"").is_err());
    assert!(predictable(&unhex(CHECKSUM), &creator, b"", b"").is_err());
    assert!(predictable(&unhex(CHECKSUM), &creator, &[7; 65], b"").is_err());
    assert!(check_salt(&[7; 64]).is_ok());
}
