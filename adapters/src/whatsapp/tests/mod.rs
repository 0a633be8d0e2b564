//! Table tests of the WhatsApp adapter: webhook requests in (every real
//! payload in `adapters/testdata/whatsapp/` plus cases written here), and
//! Graph API requests out, against a small stand-in server.

mod graph_server;
mod inbound;
mod media;
mod outbound;
mod rows;

use std::path::PathBuf;

/// A real webhook body from `adapters/testdata/whatsapp/`.
pub fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/whatsapp")
        .join(name);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("fixture {} is missing: {e}", path.display()))
}

#[test]
fn every_fixture_is_used_by_a_row() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/whatsapp");
    let used = inbound::fixtures_used();
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        if name.ends_with(".json") {
            assert!(used.contains(&name), "no table row uses {name}");
        }
    }
}
