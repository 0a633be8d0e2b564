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

/// The gateway's instruments, shared: a clone is one reference count.
#[derive(Clone)]
pub struct Metrics(Arc<Instruments>);

struct Instruments {
    registry: Registry,
    complaints_received: Family<Labels, Counter>,
    deliveries: Family<Labels, Counter>,
    outbox_depth: Family<Labels, Gauge>,
    http_duration: Family<Labels, Histogram, fn() -> Histogram>,
    intake_errors: Family<Labels, Counter>,
    sla_clocks: Family<Labels, Gauge>,
    channel_events: Family<Labels, Counter>,
    routing_decisions: Family<Labels, Counter>,
    rules_reloads: Family<Labels, Counter>,
    rules_active: Gauge,
    dedup_indexed: Gauge,
    journal_entries: Family<Labels, Gauge>,
    intake_batches: Counter,
    intake_written: Family<Labels, Counter>,
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
        let sla_clocks = Family::<Labels, Gauge>::default();
        registry.register(
            "sla_clocks",
            "Running SLA clocks, by agency, clock and state (running or overdue)",
            sla_clocks.clone(),
        );
        let channel_events = Family::<Labels, Counter>::default();
        registry.register(
            "channel_events",
            "Webhook items handled besides new complaints (statuses, records, skipped items, refused media), by channel, event and reason",
            channel_events.clone(),
        );
        let routing_decisions = Family::<Labels, Counter>::default();
        registry.register(
            "routing_decisions",
            "Routing decisions, by whether a rule or the default chose the destination",
            routing_decisions.clone(),
        );
        let rules_reloads = Family::<Labels, Counter>::default();
        registry.register(
            "rules_reloads",
            "Routing rule reloads, by outcome (applied, refused) and the kind of problem",
            rules_reloads.clone(),
        );
        let rules_active = Gauge::default();
        registry.register(
            "rules_active",
            "Routing rules in force",
            rules_active.clone(),
        );
        let dedup_indexed = Gauge::default();
        registry.register(
            "dedup_indexed",
            "First reports in the duplicate index (open, linked to none, within the window)",
            dedup_indexed.clone(),
        );
        let journal_entries = Family::<Labels, Gauge>::default();
        registry.register(
            "intake_journal_entries",
            "Messages answered and not yet taken in: waiting, or failing (tried and held back)",
            journal_entries.clone(),
        );
        let intake_batches = Counter::default();
        registry.register(
            "intake_batches",
            "Intake write transactions; messages written divided by this is the batch size",
            intake_batches.clone(),
        );
        let intake_written = Family::<Labels, Counter>::default();
        registry.register(
            "intake_written",
            "Messages written by intake, by how: bulk (with other first-time senders' new complaints) or single",
            intake_written.clone(),
        );
        Metrics(Arc::new(Instruments {
            registry,
            intake_batches,
            intake_written,
            sla_clocks,
            complaints_received,
            deliveries,
            outbox_depth,
            http_duration,
            intake_errors,
            channel_events,
            routing_decisions,
            rules_reloads,
            rules_active,
            dedup_indexed,
            journal_entries,
        }))
    }

    pub fn channel_event(&self, channel: &str, event: &str, reason: &str) {
        self.0
            .channel_events
            .get_or_create(&vec![
                ("channel", channel.to_string()),
                ("event", event.to_string()),
                ("reason", reason.to_string()),
            ])
            .inc();
    }

    pub fn routing_decision(&self, default_applied: bool) {
        let by = if default_applied { "default" } else { "rule" };
        self.0
            .routing_decisions
            .get_or_create(&vec![("by", by.to_string())])
            .inc();
    }

    pub fn rules_reload(&self, outcome: &str, problem: &str) {
        self.0
            .rules_reloads
            .get_or_create(&vec![
                ("outcome", outcome.to_string()),
                ("problem", problem.to_string()),
            ])
            .inc();
    }

    pub fn set_rules_active(&self, n: usize) {
        self.0.rules_active.set(n as i64);
    }

    pub fn set_dedup_indexed(&self, n: usize) {
        self.0.dedup_indexed.set(n as i64);
    }

    pub fn set_journal_entries(&self, waiting: u64, failing: u64) {
        for (state, n) in [("waiting", waiting), ("failing", failing)] {
            self.0
                .journal_entries
                .get_or_create(&vec![("state", state.to_string())])
                .set(n as i64);
        }
    }

    pub fn intake_batch(&self, bulk: usize, single: usize) {
        self.0.intake_batches.inc();
        for (how, n) in [("bulk", bulk), ("single", single)] {
            self.0
                .intake_written
                .get_or_create(&vec![("how", how.to_string())])
                .inc_by(n as u64);
        }
    }

    pub fn complaint_received(&self, channel: &str) {
        self.0
            .complaints_received
            .get_or_create(&vec![("channel", channel.to_string())])
            .inc();
    }

    pub fn intake_rejected(&self, channel: &str, reason: &str) {
        self.0
            .intake_errors
            .get_or_create(&vec![
                ("channel", channel.to_string()),
                ("reason", reason.to_string()),
            ])
            .inc();
    }

    pub fn delivery(&self, destination: &str, outcome: &str) {
        self.0
            .deliveries
            .get_or_create(&vec![
                ("destination", destination.to_string()),
                ("outcome", outcome.to_string()),
            ])
            .inc();
    }

    pub fn set_outbox_depth(&self, state: &str, n: i64) {
        self.0
            .outbox_depth
            .get_or_create(&vec![("state", state.to_string())])
            .set(n);
    }

    /// Replaces the SLA gauges with `counts` ((agency, clock, state), n).
    pub fn set_sla_clocks(&self, counts: &[((String, String, &'static str), i64)]) {
        self.0.sla_clocks.clear();
        for ((agency, clock, state), n) in counts {
            self.0
                .sla_clocks
                .get_or_create(&vec![
                    ("agency", agency.clone()),
                    ("clock", clock.clone()),
                    ("state", state.to_string()),
                ])
                .set(*n);
        }
    }

    pub fn observe_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.0
            .http_duration
            .get_or_create(&vec![
                ("method", method.to_string()),
                ("route", route.to_string()),
                ("status", status.to_string()),
            ])
            .observe(seconds);
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        encode(&mut out, &self.0.registry).expect("writing to a String cannot fail");
        out
    }
}
