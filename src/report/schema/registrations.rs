//! The registrations table: one row per registration attempt (docs/metrics.md, "Registrations").

use super::{col, Column, Table, Type::*, Value};
use crate::model::registration::RegistrationAttempt;

pub static TABLE: Table<RegistrationAttempt> = Table {
    name: "registrations",
    doc: "One row per registration attempt (docs/metrics.md, \"Registrations\").",
    columns: COLUMNS,
};

#[rustfmt::skip]
static COLUMNS: &[Column<RegistrationAttempt>] = &[
    col("call_id", Text, "Call-ID of the REGISTER chain", |a, _| a.call_id.as_str().into()),
    col("aor", Text, "the address of record (normalised To URI)", |a, _| a.aor.as_str().into()),
    col("registrar", Text, "IP:port the first REGISTER went to (a proxy, when one is in the way)", |a, _| a.registrar.to_string().into()),
    col("client", Text, "IP:port the first REGISTER came from", |a, _| a.client.to_string().into()),
    col("user_agent", Text, "User-Agent of the first REGISTER", |a, _| a.user_agent.as_deref().into()),
    col("start", Datetime, "first transmission of the attempt's first REGISTER", |a, _| Value::time(a.first_ts_ns)),
    col("end", Datetime, "the final response that decided the outcome", |a, _| Value::time_opt(a.final_ts_ns)),
    col("outcome", Word, "REGISTERED, REGISTRATION_FAILED, PENDING", |a, _| a.outcome.as_str().into()),
    col("cause", Word, "AUTH_REJECTED, CHALLENGE_UNANSWERED, FORBIDDEN, NOT_FOUND, TIMEOUT, INTERVAL_TOO_BRIEF, SERVER_ERROR, SERVICE_UNAVAILABLE, NO_RESPONSE, NO_FINAL_RESPONSE, OTHER", |a, _| a.cause.map(|c| c.as_str()).into()),
    col("final_code", U32, "the deciding final response", |a, _| a.final_code.into()),
    col("retry_after_s", U32, "Retry-After (seconds) of that response", |a, _| a.retry_after_s.into()),
    col("challenges", U32, "401/407 responses within the attempt", |a, _| a.challenges.into()),
    col("requests", U32, "REGISTER transmissions on the client's hop, retransmissions included", |a, _| a.requests.into()),
    col("retransmissions", U32, "retransmissions among them", |a, _| a.retransmissions.into()),
    col("requested_expires_s", U32, "expiry asked by the first REGISTER (null for a query)", |a, _| a.requested_expires.into()),
    col("requested_expires_defaulted", Bool, "the REGISTER said nothing and 3600 was assumed", |a, _| a.requested_expires_defaulted.into()),
    col("granted_expires_s", U32, "expiry granted by the 2xx", |a, _| a.granted_expires.into()),
    col("min_expires_s", U32, "Min-Expires of a 423", |a, _| a.min_expires.into()),
    col("is_deregistration", Bool, "expires 0", |a, _| a.is_deregistration.into()),
    col("is_refresh", Bool, "renews a binding of the same chain", |a, _| a.is_refresh.into()),
    col("is_query", Bool, "a REGISTER without Contact: asks for the bindings, changes none", |a, _| a.is_query.into()),
    col("rrd_ms", Ms, "RFC 6076 Registration Request Delay (successful attempts)", |a, _| a.rrd_ms.into()),
    col("stale_challenges", U32, "challenges with stale=true (old nonce, password fine)", |a, _| a.stale_challenges.into()),
    col("auth_mismatch", Text, "credentials whose realm or algorithm differ from the challenge", |a, _| a.auth_mismatch.as_deref().into()),
    col("rejected_credentials", U32, "401/407 answers to REGISTERs that carried credentials (rejected passwords) in the attempt", |a, _| a.rejected_credentials.into()),
    col("final_reason", Text, "reason phrase of the deciding response (\"Account locked\")", |a, _| a.final_reason.as_deref().into()),
    col("final_warning", Text, "its Warning (or Reason) header", |a, _| a.final_warning.as_deref().into()),
    col("last_request", Datetime, "last transmission of the attempt's last REGISTER (how long silence lasted)", |a, _| Value::time(a.last_request_ns)),
];
