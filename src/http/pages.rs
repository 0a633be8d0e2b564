//! The public pages: the complaint form, the tracking-code lookup and the
//! status page. Bahasa Indonesia first (`?lang=en` for English); plain
//! HTML forms that work without JavaScript on any phone.

use super::api_error::ApiError;
use super::public_view;
use super::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Id,
    En,
}

impl Lang {
    pub fn from_query(query: Option<&str>) -> Lang {
        let en = query.is_some_and(|q| q.split('&').any(|kv| kv == "lang=en"));
        if en {
            Lang::En
        } else {
            Lang::Id
        }
    }

    pub fn query_suffix(self) -> &'static str {
        match self {
            Lang::Id => "",
            Lang::En => "&lang=en",
        }
    }

    fn pick<'a>(self, id: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Id => id,
            Lang::En => en,
        }
    }
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:40rem;margin:0 auto;padding:1rem;line-height:1.5;color:#1a1a1a}\
label{display:block;margin-top:.8rem;font-weight:600}input,textarea,select{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem;border:1px solid #888;border-radius:4px}\
textarea{min-height:8rem}.check{display:flex;gap:.5rem;align-items:center;font-weight:400}.check input{width:auto}\
button{margin-top:1rem;padding:.7rem 1.4rem;font-size:1rem;background:#0b5394;color:#fff;border:0;border-radius:4px}\
.error{background:#fde8e8;border:1px solid #c00;padding:.6rem;border-radius:4px}.ok{background:#e6f4ea;border:1px solid #1e7e34;padding:.6rem;border-radius:4px}\
.code{font-size:1.6rem;font-family:monospace;letter-spacing:.15rem}nav a{margin-right:1rem}small{color:#555}ol{padding-left:1.2rem}";

fn layout(lang: Lang, city: &str, title: &str, body: &str) -> String {
    let other = match lang {
        Lang::Id => "<a href=\"?lang=en\">English</a>",
        Lang::En => "<a href=\"?\">Bahasa Indonesia</a>",
    };
    let q = if lang == Lang::En { "?lang=en" } else { "" };
    format!(
        "<!doctype html><html lang=\"{html_lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{title} · {city}</title><style>{STYLE}</style></head><body>\
         <nav><a href=\"/{q}\">{nav_form}</a><a href=\"/cek{q}\">{nav_check}</a>{other}</nav>\
         <h1>{title}</h1>{body}</body></html>",
        html_lang = lang.pick("id", "en"),
        title = text(title),
        city = text(city),
        nav_form = lang.pick("Buat pengaduan", "File a complaint"),
        nav_check = lang.pick("Cek status", "Check status"),
    )
}

fn form_page(state: &AppState, lang: Lang, error: Option<&ApiError>) -> String {
    let city = &state.config.city.name;
    let limits = &state.config.webform.limits;
    let error_html = error
        .map(|e| {
            format!(
                "<p class=\"error\" role=\"alert\">{}</p>",
                text(lang.pick(&e.message_id, &e.message_en))
            )
        })
        .unwrap_or_default();
    let action = if lang == Lang::En {
        "/api/v1/complaints?lang=en"
    } else {
        "/api/v1/complaints"
    };
    let body = format!(
        "<p>{intro}</p>{error_html}\
         <form method=\"post\" action=\"{action}\" enctype=\"multipart/form-data\">\
         <label for=\"text\">{l_text} *</label><textarea id=\"text\" name=\"text\" required maxlength=\"{max_text}\"></textarea>\
         <label for=\"title\">{l_title}</label><input id=\"title\" name=\"title\" maxlength=\"200\">\
         <label for=\"address\">{l_address}</label><input id=\"address\" name=\"address\" maxlength=\"500\">\
         <label for=\"photo\">{l_photo}</label><input id=\"photo\" name=\"photo\" type=\"file\" accept=\"{accept}\">\
         <label for=\"name\">{l_name}</label><input id=\"name\" name=\"name\" maxlength=\"200\" autocomplete=\"name\">\
         <label for=\"phone\">{l_phone}</label><input id=\"phone\" name=\"phone\" type=\"tel\" autocomplete=\"tel\" placeholder=\"0812-3456-7890\">\
         <label for=\"email\">{l_email}</label><input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"email\">\
         <label class=\"check\"><input type=\"checkbox\" name=\"anonim\" value=\"1\">{l_anonim}</label>\
         <label class=\"check\"><input type=\"checkbox\" name=\"rahasia\" value=\"1\">{l_rahasia}</label>\
         <button type=\"submit\">{l_submit}</button></form>\
         <p><small>{privacy}</small></p>",
        intro = text(lang.pick(
            "Sampaikan keluhan atau aspirasi Anda. Setelah terkirim, Anda mendapat kode pelacakan untuk memantau tindak lanjutnya.",
            "Tell us about a problem. After sending you get a tracking code to follow what happens to it.",
        )),
        action = attr(action),
        max_text = limits.max_text_chars,
        accept = attr(&limits.allowed_types.join(",")),
        l_text = lang.pick("Isi pengaduan", "Your complaint"),
        l_title = lang.pick("Judul (opsional)", "Title (optional)"),
        l_address = lang.pick("Lokasi kejadian (opsional)", "Where it is (optional)"),
        l_photo = lang.pick("Foto (opsional)", "Photo (optional)"),
        l_name = lang.pick("Nama (opsional)", "Name (optional)"),
        l_phone = lang.pick("Nomor HP/WhatsApp (opsional)", "Mobile/WhatsApp number (optional)"),
        l_email = lang.pick("E-mail (opsional)", "E-mail (optional)"),
        l_anonim = lang.pick("Anonim: identitas saya tidak ditampilkan ke instansi", "Anonymous: hide my identity from the agency"),
        l_rahasia = lang.pick("Rahasia: pengaduan tidak dipublikasikan", "Confidential: do not publish this complaint"),
        l_submit = lang.pick("Kirim pengaduan", "Send complaint"),
        privacy = lang.pick(
            "Nomor HP atau e-mail dipakai untuk mengabarkan perkembangan pengaduan Anda.",
            "Your number or e-mail is used to tell you how your complaint progresses.",
        ),
    );
    layout(
        lang,
        city,
        lang.pick("Pengaduan Masyarakat", "Public Complaints"),
        &body,
    )
}

pub async fn index(State(state): State<AppState>, uri: axum::http::Uri) -> Html<String> {
    Html(form_page(&state, Lang::from_query(uri.query()), None))
}

pub fn form_with_error(state: &AppState, lang: Lang, error: &ApiError) -> Response {
    (error.status, Html(form_page(state, lang, Some(error)))).into_response()
}

#[derive(Debug, Deserialize)]
pub struct CheckQuery {
    kode: Option<String>,
    lang: Option<String>,
}

fn check_form(lang: Lang, message: Option<&str>) -> String {
    format!(
        "{msg}<form method=\"get\" action=\"/cek\"><label for=\"kode\">{label}</label>\
         <input id=\"kode\" name=\"kode\" required autocapitalize=\"characters\" autocomplete=\"off\" placeholder=\"ABCD2345EF\">\
         {hidden}<button type=\"submit\">{button}</button></form>",
        msg = message.map(|m| format!("<p class=\"error\" role=\"alert\">{}</p>", text(m))).unwrap_or_default(),
        label = lang.pick("Kode pelacakan", "Tracking code"),
        hidden = if lang == Lang::En { "<input type=\"hidden\" name=\"lang\" value=\"en\">" } else { "" },
        button = lang.pick("Cek status", "Check status"),
    )
}

pub async fn check(State(state): State<AppState>, Query(q): Query<CheckQuery>) -> Response {
    let lang = if q.lang.as_deref() == Some("en") {
        Lang::En
    } else {
        Lang::Id
    };
    let city = &state.config.city.name;
    let title = lang.pick("Cek status pengaduan", "Check a complaint");
    match q.kode.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        None => Html(layout(lang, city, title, &check_form(lang, None))).into_response(),
        Some(code) => match adapters::TrackingCode::parse(code) {
            Ok(code) => Redirect::to(&format!(
                "/pengaduan/{code}{}",
                if lang == Lang::En { "?lang=en" } else { "" }
            ))
            .into_response(),
            Err(_) => {
                let msg = lang.pick(
                    "Kode tidak sah. Kode terdiri dari 10 huruf/angka; periksa kembali.",
                    "That code is not valid. A code has 10 letters and digits; please check it.",
                );
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Html(layout(lang, city, title, &check_form(lang, Some(msg)))),
                )
                    .into_response()
            }
        },
    }
}

#[derive(Debug, Deserialize)]
pub struct StatusQuery {
    baru: Option<String>,
    lang: Option<String>,
}

pub async fn status(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<StatusQuery>,
) -> Response {
    let lang = if q.lang.as_deref() == Some("en") {
        Lang::En
    } else {
        Lang::Id
    };
    let city = &state.config.city.name;
    let view = match public_view::load(&state, &code).await {
        Ok(Some(v)) => v,
        Ok(None) => {
            let msg = lang.pick(
                "Kode pelacakan tidak ditemukan.",
                "Tracking code not found.",
            );
            let title = lang.pick("Cek status pengaduan", "Check a complaint");
            return (
                StatusCode::NOT_FOUND,
                Html(layout(lang, city, title, &check_form(lang, Some(msg)))),
            )
                .into_response();
        }
        Err(e) => {
            tracing::error!(error = %e, "status page lookup failed");
            let e = ApiError::unavailable();
            let msg = lang.pick(&e.message_id, &e.message_en).to_string();
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                Html(layout(
                    lang,
                    city,
                    "",
                    &format!("<p class=\"error\">{}</p>", text(&msg)),
                )),
            )
                .into_response();
        }
    };
    let mut body = String::new();
    if q.baru.is_some() {
        body.push_str(&format!(
            "<p class=\"ok\">{}</p>",
            text(lang.pick(
                "Terima kasih. Pengaduan Anda sudah kami terima. Simpan kode di bawah ini.",
                "Thank you. Your complaint was received. Keep the code below.",
            ))
        ));
    }
    body.push_str(&format!(
        "<p>{}<br><span class=\"code\">{}</span></p><p>{}: <strong>{}</strong></p>",
        lang.pick("Kode pelacakan", "Tracking code"),
        text(&view.tracking_code),
        lang.pick("Status", "Status"),
        text(lang.pick(view.status_label.id, view.status_label.en)),
    ));
    if view.processing {
        body.push_str(&format!(
            "<p>{}</p>",
            text(lang.pick(
                "Pengaduan Anda sedang diproses. Muat ulang halaman ini sebentar lagi untuk melihat rinciannya.",
                "Your complaint is being processed. Reload this page in a moment to see its details.",
            ))
        ));
    }
    if let Some(title) = &view.title {
        body.push_str(&format!(
            "<p>{}: {}</p>",
            lang.pick("Judul", "Title"),
            text(title)
        ));
    }
    if !view.timeline.is_empty() {
        body.push_str("<ol>");
        for e in &view.timeline {
            if let Some(label) = &e.label {
                body.push_str(&format!(
                    "<li><time datetime=\"{at}\">{shown}</time> — {label}</li>",
                    at = attr(&e.at.to_rfc3339()),
                    shown = text(&e.at.format("%Y-%m-%d %H:%M UTC").to_string()),
                    label = text(lang.pick(label.id, label.en)),
                ));
            }
        }
        body.push_str("</ol>");
    }
    Html(layout(
        lang,
        city,
        lang.pick("Status pengaduan", "Complaint status"),
        &body,
    ))
    .into_response()
}
