//! The SMS channel against a real Kannel: messages typed into fakesmsc
//! reach the gateway through smsbox's get-url and become complaints (long
//! ones joined from their parts), acknowledgments go back through
//! sendsms and arrive at fakesmsc, delivery reports come back on dlr-url.

use crate::helpers::{
    eventually, free_port, secret_file, tempdir, test_config, Backend, TestApp, TestDb,
};
use crate::kannel::{Kannel, Ports, PASSWORD, USER};
use adapters::sms::kannel::{KannelClient, KannelSettings};
use adapters::{OutboundReply, ReplySender};
use satupintu::channels::sms::{InstanceConfig, KannelConfig, SmsConfig};
use satupintu::store::entity::{complaint, inbound_message, outbox};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::time::Duration;

const TOKEN: &str = "kannel-get-url-token";
const CITIZEN: &str = "+6285274441234";

fn sms_config(dir: &std::path::Path, ports: &Ports, app_port: u16) -> SmsConfig {
    SmsConfig {
        instances: vec![InstanceConfig::Kannel(KannelConfig {
            name: "kannel".into(),
            sendsms_url: ports.sendsms_url(),
            username: USER.into(),
            password: secret_file(dir, "kannel.password", PASSWORD),
            from: Some("1708".into()),
            smsc: None,
            token: Some(secret_file(dir, "kannel.token", TOKEN)),
            allow_ips: vec![],
            dlr_url: Some(format!(
                "http://127.0.0.1:{app_port}/webhooks/sms/kannel/status"
            )),
            timeout_secs: 5,
            limits: Default::default(),
        })],
        part_timeout_secs: 600,
        part_check_secs: 1,
        media: Default::default(),
    }
}

fn get_url(app_port: u16) -> String {
    format!(
        "http://127.0.0.1:{app_port}/webhooks/sms/kannel?token={TOKEN}&from=%p&to=%P&text=%b&coding=%c&charset=%C&udh=%u&id=%I&ts=%T"
    )
}

async fn complaint_with_body(app: &TestApp, body: &str) -> complaint::Model {
    eventually(&format!("a complaint `{body}`"), 30, || async {
        app.complaints().await.into_iter().find(|c| c.body == body)
    })
    .await
}

async fn kannel_round_trip(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let ports = Ports::free();
    let app_port = free_port();
    let mut config = test_config(&db, dir.path(), None);
    config.server.listen = format!("127.0.0.1:{app_port}").parse().unwrap();
    config.channels.sms = Some(sms_config(dir.path(), &ports, app_port));
    let app = TestApp::spawn(config).await;
    let mut kannel = Kannel::start(ports, &get_url(app_port)).await;

    // One SMS: one complaint, its acknowledgment back through sendsms.
    let text = "Jalan berlubang di depan Masjid Nurul Iman, Kel. Gunung Pangilun";
    kannel.send_text(CITIZEN, "1708", text);
    let c = complaint_with_body(&app, text).await;
    assert_eq!(
        (c.channel.as_str(), c.channel_account.as_str()),
        ("sms", "kannel")
    );
    let ack = kannel
        .wait_received("the acknowledgment at fakesmsc", |m| {
            m.contains(&c.tracking_code)
        })
        .await;
    assert!(ack.starts_with(&format!("1708 {CITIZEN} text ")), "{ack}");
    assert!(ack.contains(&format!("CEK {}", c.tracking_code)), "{ack}");
    // The fake SMSC reports the message delivered.
    eventually("the delivery report on the acknowledgment", 30, || async {
        outbox::Entity::find()
            .filter(outbox::Column::ComplaintId.eq(c.id))
            .filter(outbox::Column::Kind.eq("message"))
            .one(app.store.db())
            .await
            .unwrap()
            .filter(|row| row.provider_status.as_deref() == Some("delivered"))
    })
    .await;

    // A long SMS in two parts, each on its own: one complaint, joined.
    let part1 = "Sudah 3 minggu sampah di TPS Simpang Haru tidak diangkut, mohon bapak walikota";
    let part2 = " segera menindaklanjuti laporan ini. Terima kasih.";
    let enc = |s: &str| s.replace(' ', "+").replace(',', "%2C");
    kannel.send_udh(CITIZEN, "1708", "%05%00%03%A7%02%01", &enc(part1));
    // The first part alone is no complaint.
    eventually("the first part to be stored", 30, || async {
        satupintu::store::entity::sms_part::Entity::find()
            .one(app.store.db())
            .await
            .unwrap()
    })
    .await;
    assert_eq!(app.complaints().await.len(), 1);
    kannel.send_udh(CITIZEN, "1708", "%05%00%03%A7%02%02", &enc(part2));
    let joined = complaint_with_body(&app, &format!("{part1}{part2}")).await;
    kannel
        .wait_received("the acknowledgment of the joined message", |m| {
            m.contains(&joined.tracking_code)
        })
        .await;

    // smsbox retrying a get-url call: the same message, no new complaint.
    let first = inbound_message::Entity::find()
        .filter(inbound_message::Column::ComplaintId.eq(c.id))
        .one(app.store.db())
        .await
        .unwrap()
        .unwrap();
    let again = app
        .client
        .get(app.url(&format!(
            "/webhooks/sms/kannel?token={TOKEN}&{}",
            first.raw_payload
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(app.complaints().await.len(), 2);
    // A wrong token is refused and stores nothing.
    let refused = app
        .client
        .get(app.url(&format!(
                "/webhooks/sms/kannel?token=nope&{}",
                first
                    .raw_payload
                    .replace(&first.external_id[7..], "other-id")
            )))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(app.complaints().await.len(), 2);

    // A long status text goes through sendsms as concatenated parts.
    let client = KannelClient::new(
        KannelSettings {
            sendsms_url: kannel.ports.sendsms_url(),
            from: Some("1708".into()),
            smsc: None,
            dlr_url: None,
            timeout: Duration::from_secs(5),
        },
        USER.into(),
        PASSWORD.into(),
        None,
    )
    .unwrap();
    let long = format!(
        "Status pengaduan {}: Sedang ditindaklanjuti. {}",
        c.tracking_code,
        "Petugas sudah meninjau lokasi. ".repeat(6)
    );
    client
        .send(&OutboundReply {
            channel_account: "kannel".into(),
            recipient: CITIZEN.into(),
            text: long.clone(),
            reply_to: None,
            idempotency_key: "long-1".into(),
            template: None,
            subject: None,
        })
        .await
        .expect("sendsms accepts both parts");
    let parts: Vec<String> = eventually("both parts at fakesmsc", 30, || async {
        let parts: Vec<String> = kannel
            .received()
            .into_iter()
            .filter(|m| m.contains(" udh %05%00%03"))
            .collect();
        (parts.len() == 2).then_some(parts)
    })
    .await;
    let data: String = parts
        .iter()
        .map(|p| {
            let encoded = p.rsplit(' ').next().unwrap().replace('+', " ");
            percent_encoding::percent_decode_str(&encoded)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(data, long);
    app.stop().await;
}

crate::on_both_backends!(kannel_round_trip);
