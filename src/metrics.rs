//! Prometheus metrics: what came in, what went out, what waits, and how
//! long requests take. Rendered in the text format at `GET /metrics`.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::Arc;

type Labels = Vec<(&'static str, String)>;

fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    complaints_received: Family<Labels, Counter>,
    deliveries: Family<Labels, Counter>,
    outbox_depth: Family<Labels, Gauge>,
    http_duration: Family<Labels, Histogram, fn() -> Histogram>,
    intake_errors: Family<Labels, Counter>,
    sms_events: Family<Labels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("satupintu");
        let complaints_received = Family::<Labels, Counter>::default();
        registry.register(
            "complaints_received",
            "Complaints accepted, by channel",
            complaints_received.clone(),
        );
        let deliveries = Family::<Labels, Counter>::default();
        registry.register(
            "deliveries",
            "Delivery attempts, by destination and outcome",
            deliveries.clone(),
        );
        let outbox_depth = Family::<Labels, Gauge>::default();
        registry.register(
            "outbox_depth",
            "Outbox rows, by state",
            outbox_depth.clone(),
        );
        let http_duration =
            Family::<Labels, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency, by method, route and status",
            http_duration.clone(),
        );
        let intake_errors = Family::<Labels, Counter>::default();
        registry.register(
            "intake_rejected",
            "Inbound requests refused, by channel and reason",
            intake_errors.clone(),
        );
        let sms_events = Family::<Labels, Counter>::default();
        registry.register(
            "sms_events",
            "SMS gateway events (parts stored and joined, reports, phone handovers, rate limits), by instance and event",
            sms_events.clone(),
        );
        Metrics {
            registry: Arc::new(registry),
            complaints_received,
            deliveries,
            outbox_depth,
            http_duration,
            intake_errors,
            sms_events,
        }
    }

    pub fn sms_event(&self, instance: &str, event: &str) {
        self.sms_events
            .get_or_create(&vec![
                ("instance", instance.to_string()),
                ("event", event.to_string()),
            ])
            .inc();
    }

    pub fn complaint_received(&self, channel: &str) {
        self.complaints_received
            .get_or_create(&vec![("channel", channel.to_string())])
            .inc();
    }

    pub fn intake_rejected(&self, channel: &str, reason: &str) {
        self.intake_errors
            .get_or_create(&vec![
                ("channel", channel.to_string()),
                ("reason", reason.to_string()),
            ])
            .inc();
    }

    pub fn delivery(&self, destination: &str, outcome: &str) {
        self.deliveries
            .get_or_create(&vec![
                ("destination", destination.to_string()),
                ("outcome", outcome.to_string()),
            ])
            .inc();
    }

    pub fn set_outbox_depth(&self, state: &str, n: i64) {
        self.outbox_depth
            .get_or_create(&vec![("state", state.to_string())])
            .set(n);
    }

    pub fn observe_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.http_duration
            .get_or_create(&vec![
                ("method", method.to_string()),
                ("route", route.to_string()),
                ("status", status.to_string()),
            ])
            .observe(seconds);
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        encode(&mut out, &self.registry).expect("writing to a String cannot fail");
        out
    }
}
