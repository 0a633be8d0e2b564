//! The Cloud API webhook body as Meta sends it. Every type ignores fields
//! it does not know (Meta adds fields without notice); these types never
//! leave the `whatsapp` module.

use serde::Deserialize;
use serde_json::Value;

/// The whole body: `{"object": "whatsapp_business_account", "entry": [...]}`.
#[derive(Debug, Deserialize)]
pub struct Envelope {
    pub object: String,
    #[serde(default)]
    pub entry: Vec<Entry>,
}

/// One WhatsApp Business Account's part of the body.
#[derive(Debug, Deserialize)]
pub struct Entry {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub changes: Vec<Change>,
}

#[derive(Debug, Deserialize)]
pub struct Change {
    /// `messages` for messages and statuses; other fields (template
    /// reviews, account updates) are not for us.
    pub field: String,
    #[serde(default)]
    pub value: Value,
}

/// The `value` of a `messages` change. Messages and statuses stay JSON
/// here, so one malformed item is skipped without losing the others.
#[derive(Debug, Deserialize)]
pub struct MessagesValue {
    pub metadata: Metadata,
    #[serde(default)]
    pub contacts: Vec<Value>,
    #[serde(default)]
    pub messages: Vec<Value>,
    #[serde(default)]
    pub statuses: Vec<Value>,
    #[serde(default)]
    pub errors: Vec<ProviderError>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Metadata {
    /// The receiving number's id: the channel account.
    pub phone_number_id: String,
}

#[derive(Debug, Deserialize)]
pub struct Contact {
    #[serde(default)]
    pub profile: Option<Profile>,
    /// The business-scoped user id.
    #[serde(default)]
    pub user_id: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Profile {
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Message {
    pub id: String,
    /// The sender's number; absent, or not a number, when the user hides
    /// it behind a username.
    #[serde(default)]
    pub from: Option<String>,
    /// The sender's business-scoped user id.
    #[serde(default)]
    pub from_user_id: Option<String>,
    #[serde(default)]
    pub timestamp: Option<Value>,
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub group_id: Option<String>,
    #[serde(default)]
    pub context: Option<Context>,
    #[serde(default)]
    pub text: Option<Text>,
    #[serde(default)]
    pub image: Option<Media>,
    #[serde(default)]
    pub audio: Option<Media>,
    #[serde(default)]
    pub voice: Option<Media>,
    #[serde(default)]
    pub video: Option<Media>,
    #[serde(default)]
    pub document: Option<Media>,
    #[serde(default)]
    pub sticker: Option<Media>,
    #[serde(default)]
    pub location: Option<LocationPin>,
    #[serde(default)]
    pub interactive: Option<Interactive>,
    #[serde(default)]
    pub button: Option<Button>,
    #[serde(default)]
    pub contacts: Vec<SharedContact>,
    #[serde(default)]
    pub errors: Vec<ProviderError>,
}

#[derive(Debug, Deserialize)]
pub struct Context {
    /// The wamid of the message this one replies to.
    #[serde(default)]
    pub id: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Text {
    #[serde(default)]
    pub body: String,
}

#[derive(Debug, Deserialize)]
pub struct Media {
    /// The media id to fetch through the Graph API.
    pub id: String,
    #[serde(default)]
    pub mime_type: Option<String>,
    #[serde(default)]
    pub caption: Option<String>,
    #[serde(default)]
    pub filename: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct LocationPin {
    pub latitude: f64,
    pub longitude: f64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Interactive {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub button_reply: Option<Choice>,
    #[serde(default)]
    pub list_reply: Option<Choice>,
    #[serde(default)]
    pub nfm_reply: Option<FlowReply>,
}

#[derive(Debug, Deserialize)]
pub struct Choice {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
}

/// A WhatsApp Flow's answer: `response_json` is a JSON document in a string.
#[derive(Debug, Deserialize)]
pub struct FlowReply {
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub response_json: Option<String>,
}

/// A quick-reply button pressed on a template message.
#[derive(Debug, Deserialize)]
pub struct Button {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub payload: Option<String>,
}

/// A contact card the citizen shared: someone else's number, never the
/// sender's identity.
#[derive(Debug, Deserialize)]
pub struct SharedContact {
    #[serde(default)]
    pub name: Option<ContactName>,
    #[serde(default)]
    pub phones: Vec<ContactPhone>,
}

#[derive(Debug, Deserialize)]
pub struct ContactName {
    #[serde(default)]
    pub formatted_name: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ContactPhone {
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub wa_id: Option<String>,
}

/// A delivery report on a message we sent.
#[derive(Debug, Deserialize)]
pub struct Status {
    pub id: String,
    pub status: String,
    #[serde(default)]
    pub timestamp: Option<Value>,
    #[serde(default)]
    pub recipient_id: Option<String>,
    #[serde(default)]
    pub errors: Vec<ProviderError>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ProviderError {
    #[serde(default)]
    pub code: Option<i64>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub error_data: Option<ErrorData>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ErrorData {
    #[serde(default)]
    pub details: Option<String>,
}

impl ProviderError {
    /// `131014: title (details)`, for the operator.
    pub fn describe(&self) -> String {
        let code = self
            .code
            .map(|c| c.to_string())
            .unwrap_or_else(|| "?".into());
        let title = self
            .title
            .as_deref()
            .or(self.message.as_deref())
            .unwrap_or("no title");
        match self.error_data.as_ref().and_then(|d| d.details.as_deref()) {
            Some(details) if details != title => format!("{code}: {title} ({details})"),
            _ => format!("{code}: {title}"),
        }
    }
}
