use super::*;
use std::io::Write;

fn write(contents: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    f.write_all(contents.as_bytes()).unwrap();
    f
}

const MINIMAL: &str = r#"
[dispatch]
default_destination = "koordinator"
[agencies.koordinator]
name = "Admin Koordinator"
[destinations.koordinator]
kind = "agency_queue"
agency = "koordinator"
"#;

#[test]
fn the_shipped_configuration_is_valid() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(DEFAULT_PATH);
    let config = Config::load(Some(&path)).unwrap();
    assert!(config.database.url.starts_with("sqlite://"));
    assert_eq!(config.server.listen.to_string(), "127.0.0.1:8080");
}

#[test]
fn unknown_key_names_file_and_key() {
    let f = write(&format!(
        "{MINIMAL}\n[server]\nlisten_addr = \"0.0.0.0:1\"\n"
    ));
    let e = Config::load(Some(f.path())).unwrap_err().to_string();
    assert!(e.contains("listen_addr"), "{e}");
    assert!(e.contains(&f.path().display().to_string()), "{e}");
}

#[test]
fn wrong_type_names_the_key() {
    let f = write(&format!(
        "{MINIMAL}\n[database]\nmax_connections = \"many\"\n"
    ));
    let e = Config::load(Some(f.path())).unwrap_err().to_string();
    assert!(e.contains("database.max_connections"), "{e}");
}

#[test]
fn cross_checks_name_the_key() {
    let f = write(
        r#"
[dispatch]
default_destination = "nowhere"
[destinations.pupr]
kind = "agency_queue"
agency = "pupr"
[destinations.lapor]
kind = "lapor"
base_url = "not a url"
token = { env = "X" }
"#,
    );
    let e = Config::load(Some(f.path())).unwrap_err().to_string();
    assert!(e.contains("dispatch.default_destination"), "{e}");
    assert!(e.contains("destinations.pupr.agency"), "{e}");
    assert!(e.contains("destinations.lapor.base_url"), "{e}");
}

#[test]
fn every_secret_names_where_it_is_read_from() {
    let f = write(
        r#"
[destinations.lapor]
kind = "lapor"
base_url = "https://lapor.example/api"
token = { env = "X", file = "/run/secrets/lapor" }
[channels.whatsapp]
verify_token = { env = "V" }
access_token = { file = "/run/secrets/wa" }
[[channels.whatsapp.accounts]]
phone_number_id = "111111111111111"
name = "Wali Kota"
"#,
    );
    let e = Config::load(Some(f.path())).unwrap_err().to_string();
    assert!(
        e.contains("destinations.lapor.token: set either `env` or `file`, not both"),
        "{e}"
    );
    assert!(
        e.contains("channels.whatsapp.app_secret: required; name where it is read from, e.g. { env = \"SATUPINTU_WHATSAPP_APP_SECRET\" }"),
        "{e}"
    );
    assert!(
        !e.contains("verify_token") && !e.contains("access_token"),
        "{e}"
    );
}

#[test]
fn a_missing_file_is_an_error() {
    let e = Config::load(Some(Path::new("/nonexistent/satupintu.toml"))).unwrap_err();
    assert!(e.to_string().contains("file not found"));
}

#[test]
fn environment_overrides_the_file() {
    let f = write(MINIMAL);
    // Only this test sets these variables.
    std::env::set_var("SATUPINTU_CITY__NAME", "Kota Bukittinggi");
    std::env::set_var(
        "SATUPINTU_LAPOR_TOKEN_FOR_TEST",
        "ignored, not a config key",
    );
    let config = Config::load(Some(f.path()));
    std::env::remove_var("SATUPINTU_CITY__NAME");
    std::env::remove_var("SATUPINTU_LAPOR_TOKEN_FOR_TEST");
    assert_eq!(config.unwrap().city.name, "Kota Bukittinggi");
}
