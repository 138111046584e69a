//! SIP response codes for people testing VoIP: for every code of the IANA
//! registry up to 608, its name, defining RFC, meaning, what typically
//! produces it in a lab, a load test or a customer trace, the next checks to
//! make, and how it counts — outcome category, ASR, NER, RFC 6076 ratios and
//! registration cause (docs/metrics.md).
//!
//! The table is `&'static` data, sorted by code; [`lookup`] finds an entry,
//! [`class_of`] and [`Class::describe`] cover codes the table does not have
//! (RFC 3261 §8.1.3.2: a client treats an unknown code as the x00 of its
//! class). [`render`] and [`explain`] turn it into a plain-text page that fits
//! 100 columns, for `sipsleuth explain`. The counting functions restate the
//! rules the model applies; the tests pin them to
//! [`crate::model::call::Category::of_final`] so the two cannot drift apart.

use crate::model::registration::FailureCause;
use serde::Serialize;
use std::fmt::Write as _;

/// What one response code means, and what to do about it.
#[derive(Debug, Serialize)]
pub struct CodeInfo {
    pub code: u16,
    /// The reason phrase of the registry (as in `sip::codes::reason_phrase`).
    pub name: &'static str,
    /// The defining RFC (and section, where the RFC numbers one per code).
    pub rfc: &'static str,
    /// What the RFC says it means, in one or two plain sentences.
    pub meaning: &'static str,
    /// What typically produces it in a lab, a load test or a customer trace.
    pub causes_in_testing: &'static [&'static str],
    /// Concrete next steps for a test or support engineer.
    pub next_checks: &'static [&'static str],
    /// Where it means something particular in answer to a REGISTER.
    pub register_note: Option<&'static str>,
    /// Where it means something particular in answer to an INVITE.
    pub invite_note: Option<&'static str>,
}

impl CodeInfo {
    pub fn class(&self) -> Class {
        // Every code of the table is within 100–699 (tested).
        class_of(self.code).unwrap_or(Class::ClientError)
    }
}

/// The six classes of RFC 3261 §7.2 / §21, by the first digit of the code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    Provisional,
    Success,
    Redirection,
    ClientError,
    ServerError,
    GlobalFailure,
}

impl Class {
    pub const ALL: [Class; 6] = [
        Class::Provisional,
        Class::Success,
        Class::Redirection,
        Class::ClientError,
        Class::ServerError,
        Class::GlobalFailure,
    ];

    /// "4xx Client Error".
    pub fn name(self) -> &'static str {
        match self {
            Class::Provisional => "1xx Provisional",
            Class::Success => "2xx Success",
            Class::Redirection => "3xx Redirection",
            Class::ClientError => "4xx Client Error",
            Class::ServerError => "5xx Server Error",
            Class::GlobalFailure => "6xx Global Failure",
        }
    }

    /// One line, for headings.
    pub fn summary(self) -> &'static str {
        match self {
            Class::Provisional => "the request was received and is being processed (not final)",
            Class::Success => "the request was received, understood and accepted",
            Class::Redirection => "the request should be tried again elsewhere (see Contact)",
            Class::ClientError => "the request is faulty or cannot be fulfilled at this server",
            Class::ServerError => "the server failed to fulfil an apparently valid request",
            Class::GlobalFailure => "the request cannot be fulfilled at any server",
        }
    }

    /// The code a client takes an unknown code of this class for (RFC 3261
    /// §8.1.3.2): the x00 of the class, except that an unknown provisional
    /// response is taken for 183 (100 is hop-by-hop and says nothing).
    pub fn treated_as(self) -> u16 {
        match self {
            Class::Provisional => 183,
            Class::Success => 200,
            Class::Redirection => 300,
            Class::ClientError => 400,
            Class::ServerError => 500,
            Class::GlobalFailure => 600,
        }
    }

    /// What the class means, and how a code of it that nobody registered is treated.
    pub fn describe(self) -> &'static str {
        match self {
            Class::Provisional => {
                "The request was received and is being processed; no final answer yet. A \
                 provisional response stops the retransmission of an INVITE over UDP, and one \
                 with a To tag creates an early dialog. A provisional code the client does not \
                 know (other than 100) is treated as 183 Session Progress (RFC 3261 §8.1.3.2)."
            }
            Class::Success => {
                "The request was received, understood and accepted. A 2xx to an INVITE answers \
                 the call and is acknowledged with ACK. A 2xx code the client does not know is \
                 treated as 200 OK (RFC 3261 §8.1.3.2)."
            }
            Class::Redirection => {
                "Further action is needed: the request should be sent again to the address or \
                 addresses in the Contact header. A 3xx code the client does not know is \
                 treated as 300 Multiple Choices (RFC 3261 §8.1.3.2)."
            }
            Class::ClientError => {
                "The request has bad syntax or cannot be fulfilled at this server. It should \
                 not be repeated unchanged, but may succeed once modified (credentials, \
                 another Expires, another codec) or at another server. A 4xx code the client \
                 does not know is treated as 400 Bad Request (RFC 3261 §8.1.3.2)."
            }
            Class::ServerError => {
                "The server failed to fulfil an apparently valid request; another server may \
                 succeed, and a proxy may fail over to one. A 5xx code the client does not \
                 know is treated as 500 Server Internal Error (RFC 3261 §8.1.3.2)."
            }
            Class::GlobalFailure => {
                "The request cannot be fulfilled at any server: definitive information about \
                 the callee, not only about this device. A proxy receiving a 6xx cancels its \
                 other branches instead of forking further. A 6xx code the client does not \
                 know is treated as 600 Busy Everywhere (RFC 3261 §8.1.3.2)."
            }
        }
    }
}

/// The class of a status code; `None` outside 100–699, which is no SIP status code.
pub fn class_of(code: u16) -> Option<Class> {
    Some(match code {
        100..=199 => Class::Provisional,
        200..=299 => Class::Success,
        300..=399 => Class::Redirection,
        400..=499 => Class::ClientError,
        500..=599 => Class::ServerError,
        600..=699 => Class::GlobalFailure,
        _ => return None,
    })
}

/// Every registered code, sorted.
pub fn all() -> &'static [CodeInfo] {
    CODES
}

/// The entry for a registered code.
pub fn lookup(code: u16) -> Option<&'static CodeInfo> {
    CODES
        .binary_search_by_key(&code, |c| c.code)
        .ok()
        .map(|i| &CODES[i])
}

/// A status code outside 100–699: not a SIP response code at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0} is not a SIP response code: status codes run from 100 to 699 (RFC 3261 §7.2)")]
pub struct CodeOutOfRange(pub u16);

// ---------------------------------------------------------------------------
// How a code counts (docs/metrics.md). Written out here rather than delegated to
// the model so that the tests compare two statements of the rule.

/// The outcome category of a call whose final response is `code`, as
/// `Category::name` spells it; `NOT_FINAL` for 1xx (a provisional response
/// ends nothing). 487 gives `ERROR` here, as it does without a CANCEL from the
/// caller; with one it is `CANCELLED` (see [`call_category_note`]).
pub fn call_category(code: u16) -> &'static str {
    match code {
        100..=199 => "NOT_FINAL",
        200..=299 => "SUCCESS",
        300..=399 => "REDIRECTED",
        408 | 480 => "TIMEOUT",
        486 | 600 | 603 => "REJECTED",
        _ => "ERROR",
    }
}

/// Where the category depends on more than the code.
pub fn call_category_note(code: u16) -> Option<&'static str> {
    (code == 487).then_some(
        "CANCELLED when the caller sent CANCEL, ERROR otherwise \
         (labelled terminated_without_cancel)",
    )
}

/// ASR = SUCCESS / attempts: only a 2xx counts as answered.
pub fn counts_in_asr(code: u16) -> bool {
    (200..=299).contains(&code)
}

/// NER = (SUCCESS + TIMEOUT) / attempts: 2xx, 408 and 480 count as effective.
pub fn counts_in_ner(code: u16) -> bool {
    (200..=299).contains(&code) || code == 408 || code == 480
}

/// RFC 6076 SEER numerator: 2xx, 480, 486, 600, 603.
pub fn counts_in_seer(code: u16) -> bool {
    (200..=299).contains(&code) || matches!(code, 480 | 486 | 600 | 603)
}

/// RFC 6076 ISA (ineffective session attempts): 408, 500, 503, 504.
pub fn counts_in_isa(code: u16) -> bool {
    matches!(code, 408 | 500 | 503 | 504)
}

/// The registration failure cause a final response to REGISTER leads to, as
/// `model::registration` decides it; `None` for 1xx (not final) and 2xx
/// (REGISTERED). 401/407 give `AuthRejected`: that is what they mean when the
/// REGISTER carried credentials (the first challenge is a normal step), and
/// 423 gives `IntervalTooBrief` when the client does not retry.
pub fn register_cause(code: u16) -> Option<FailureCause> {
    Some(match code {
        0..=299 => return None,
        401 | 407 => FailureCause::AuthRejected,
        423 => FailureCause::IntervalTooBrief,
        403 => FailureCause::Forbidden,
        404 => FailureCause::NotFound,
        408 => FailureCause::Timeout,
        503 => FailureCause::ServiceUnavailable,
        500..=599 => FailureCause::ServerError,
        _ => FailureCause::Other,
    })
}

fn register_outcome(code: u16) -> String {
    match code {
        100..=199 => "not final: the REGISTER transaction goes on (Timer F, 32 s)".to_string(),
        200..=299 => "REGISTERED".to_string(),
        401 | 407 => "the first one, to a REGISTER without credentials, is the normal challenge \
                      (CHALLENGE_UNANSWERED if the client never answers it); to a REGISTER that \
                      carried credentials: REGISTRATION_FAILED, cause AUTH_REJECTED"
            .to_string(),
        423 => "REGISTRATION_FAILED, cause INTERVAL_TOO_BRIEF, unless the client retries within \
                32 s (the retry is a step of the same attempt)"
            .to_string(),
        _ => match register_cause(code) {
            Some(cause) => format!("REGISTRATION_FAILED, cause {}", cause.as_str()),
            None => "REGISTERED".to_string(),
        },
    }
}

fn outcome_line(code: u16) -> String {
    if let Some(note) = call_category_note(code) {
        return note.to_string();
    }
    match call_category(code) {
        "NOT_FINAL" => "none: a provisional response is not a final outcome; the call's final \
                        response decides"
            .to_string(),
        cat => format!("{cat} when it is the final response to the caller's INVITE"),
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

// ---------------------------------------------------------------------------
// Rendering.

/// Width of every rendered line, in characters.
pub const WIDTH: usize = 100;
/// Label column of a page: two spaces, the label, padding to here.
const LABEL: usize = 20;

/// The page for `sipsleuth explain [CODE]`: with a code, everything about it
/// (or, for an unregistered code in 100–699, its class and how it is treated);
/// without, the list of all codes. A code outside 100–699 is an error, whose
/// message says so: the CLI maps it to a usage error.
pub fn explain(code: Option<u16>) -> Result<String, CodeOutOfRange> {
    match code {
        None => Ok(render_list()),
        Some(c) => match (lookup(c), class_of(c)) {
            (Some(info), _) => Ok(render_info(info)),
            (None, Some(class)) => Ok(render_unknown(c, class)),
            (None, None) => Err(CodeOutOfRange(c)),
        },
    }
}

/// [`explain`], with the error message as the page.
pub fn render(code: Option<u16>) -> String {
    explain(code).unwrap_or_else(|e| format!("{e}\n"))
}

fn render_info(info: &CodeInfo) -> String {
    let class = info.class();
    let mut out = String::with_capacity(4096);
    let _ = writeln!(out, "{} {}", info.code, info.name);
    field(
        &mut out,
        "Class",
        &format!("{}: {}", class.name(), class.summary()),
    );
    field(&mut out, "Defined in", info.rfc);
    field(&mut out, "Meaning", info.meaning);
    if let Some(n) = info.invite_note {
        field(&mut out, "On INVITE", n);
    }
    if let Some(n) = info.register_note {
        field(&mut out, "On REGISTER", n);
    }
    out.push_str("\nCommon causes in testing\n");
    for c in info.causes_in_testing {
        bullet(&mut out, c);
    }
    out.push_str("\nNext checks\n");
    for c in info.next_checks {
        bullet(&mut out, c);
    }
    counting(&mut out, info.code);
    out
}

fn render_unknown(code: u16, class: Class) -> String {
    let mut out = String::with_capacity(2048);
    let _ = writeln!(out, "{code} (not a registered SIP response code)");
    field(
        &mut out,
        "Class",
        &format!("{}: {}", class.name(), class.summary()),
    );
    let x00 = class.treated_as();
    let x00_name = lookup(x00).map_or("", |i| i.name);
    let rule = if class == Class::Provisional {
        "a client treats a provisional response it does not know, other than 100, as 183"
    } else {
        "a client treats a final response it does not know as the x00 response of its class"
    };
    field(
        &mut out,
        "Treatment",
        &format!("{code} is treated as {x00} {x00_name}: RFC 3261 §8.1.3.2, {rule}."),
    );
    field(&mut out, "About the class", class.describe());
    if call_category(code) != call_category(x00) {
        field(
            &mut out,
            "Note",
            &format!(
                "sipsleuth counts the code as received: {} for {code}, where {x00} itself \
                 counts {}.",
                call_category(code),
                call_category(x00)
            ),
        );
    }
    out.push_str("\nNext checks\n");
    bullet(
        &mut out,
        "Read the reason phrase, Warning and Reason headers: an unregistered code is \
         vendor-specific, and the vendor's documentation says what it means",
    );
    bullet(
        &mut out,
        &format!("See `sipsleuth explain {x00}` for the code it is treated as"),
    );
    counting(&mut out, code);
    out
}

/// The "How it counts" section.
fn counting(out: &mut String, code: u16) {
    out.push_str("\nHow it counts (docs/metrics.md)\n");
    field(out, "Call outcome", &outcome_line(code));
    let provisional = (100..=199).contains(&code);
    let asr = if provisional {
        "no: not a final response".to_string()
    } else if counts_in_asr(code) {
        "yes: an answered call (ASR = SUCCESS / attempts)".to_string()
    } else {
        "no: only 2xx count as answered; the attempt stays in the denominator".to_string()
    };
    field(out, "ASR", &asr);
    let ner = if provisional {
        "no: not a final response".to_string()
    } else if counts_in_ner(code) {
        "yes: 2xx, 408 and 480 count as effective (NER = (SUCCESS + TIMEOUT) / attempts)"
            .to_string()
    } else {
        "no: only 2xx, 408 and 480 count as effective".to_string()
    };
    field(out, "NER", &ner);
    let rfc6076 = if provisional {
        "not a final response: in no ratio".to_string()
    } else if (300..=399).contains(&code) {
        "SER and SEER leave 3xx out of their denominators; ISA no".to_string()
    } else {
        format!(
            "SER {}, SEER {}, ISA {}",
            yes_no(counts_in_asr(code)),
            yes_no(counts_in_seer(code)),
            yes_no(counts_in_isa(code))
        )
    };
    field(out, "RFC 6076", &rfc6076);
    field(out, "REGISTER outcome", &register_outcome(code));
}

fn render_list() -> String {
    let mut out = String::with_capacity(8192);
    let _ = writeln!(
        out,
        "SIP response codes: {} (RFC 3261, its extensions, and RFC 2543's 409 and 411).",
        CODES.len()
    );
    push_wrapped(
        &mut out,
        "",
        "",
        "The last column is the outcome category of a call whose final response is the code \
         (docs/metrics.md). `sipsleuth explain CODE` tells what a code means, what causes it in \
         testing and what to check next.",
    );
    for class in Class::ALL {
        let _ = write!(out, "\n{}: {}\n", class.name(), class.summary());
        for info in CODES.iter().filter(|i| i.class() == class) {
            let cat = match (info.code, call_category(info.code)) {
                (487, _) => "CANCELLED or ERROR",
                (_, "NOT_FINAL") => "not final",
                (_, cat) => cat,
            };
            let _ = writeln!(out, "  {}  {:<40}  {}", info.code, info.name, cat);
        }
    }
    out
}

/// A labelled field: the label in its column, the text wrapped beside it.
fn field(out: &mut String, label: &str, text: &str) {
    let first = format!("  {label:<width$}", width = LABEL - 2);
    push_wrapped(out, &first, &" ".repeat(LABEL), text);
}

fn bullet(out: &mut String, text: &str) {
    push_wrapped(out, "  - ", "    ", text);
}

/// Appends `text` word-wrapped to [`WIDTH`] characters: the first line starts
/// with `first`, the others with `rest`. A word longer than a line is cut.
fn push_wrapped(out: &mut String, first: &str, rest: &str, text: &str) {
    let mut len = first.chars().count();
    out.push_str(first);
    let mut empty = true;
    for word in text.split_whitespace() {
        let mut word = word;
        loop {
            let w = word.chars().count();
            let need = if empty { w } else { w + 1 };
            if len + need <= WIDTH {
                if !empty {
                    out.push(' ');
                }
                out.push_str(word);
                len += need;
                empty = false;
                break;
            }
            if empty {
                // Alone on its line and still too long: cut it.
                let room = WIDTH.saturating_sub(len).max(1);
                let cut = word.char_indices().nth(room).map_or(word.len(), |(i, _)| i);
                out.push_str(&word[..cut]);
                word = &word[cut..];
            }
            out.push('\n');
            out.push_str(rest);
            len = rest.chars().count();
            empty = true;
            if word.is_empty() {
                break;
            }
        }
    }
    out.push('\n');
}

// ---------------------------------------------------------------------------
// The table.

const NO_NOTES: CodeInfo = CodeInfo {
    code: 0,
    name: "",
    rfc: "",
    meaning: "",
    causes_in_testing: &[],
    next_checks: &[],
    register_note: None,
    invite_note: None,
};

static CODES: &[CodeInfo] = &[
    // ----------------------------------------------------------------- 1xx
    CodeInfo {
        code: 100,
        name: "Trying",
        rfc: "RFC 3261 §21.1.1",
        meaning: "The next hop received the request and is working on it; it says nothing \
                  about the callee. It is hop-by-hop: a stateful proxy sends its own and never \
                  forwards one.",
        causes_in_testing: &[
            "Normal: a proxy, SBC or B2BUA answers an INVITE with 100 at once, before it \
             forwards it",
            "A 100 and then nothing: the first hop took the INVITE but the call is stuck \
             further on (routing, a dead next hop, a callee that never answers)",
            "To REGISTER or OPTIONS: some registrars send it while a database or \
             authentication back-end is slow",
        ],
        next_checks: &[
            "With nothing after the 100, follow the call to the next hop: was the INVITE \
             forwarded, and did anyone answer it there?",
            "No 100 and the INVITE retransmitted: the first hop does not receive the INVITE or \
             its answers are lost (firewall, NAT, wrong port or transport)",
        ],
        invite_note: Some(
            "Stops the INVITE retransmissions over UDP. Timer B (32 s) no longer applies once a \
             provisional response arrived: the wait then ends with a final response, the \
             caller's CANCEL or a proxy's Timer C (more than 3 minutes).",
        ),
        register_note: Some(
            "Does not stop a non-INVITE transaction: the client keeps retransmitting every \
             T2 (4 s) over UDP, and Timer F (32 s) still runs.",
        ),
    },
    CodeInfo {
        code: 180,
        name: "Ringing",
        rfc: "RFC 3261 §21.1.2",
        meaning: "The user agent that received the INVITE is alerting the user.",
        causes_in_testing: &[
            "Normal alerting; the first 180 or 183 ends PDD",
            "180 and then nothing for a long time: nobody answers, until the caller cancels \
             (487) or a no-answer timer ends the call (408, 480)",
            "Several 180s with different To tags: the call was forked to several devices",
        ],
        next_checks: &[
            "Long PDD: find which hop takes the time (DNS, authentication challenge, routing \
             or number look-up, the far network)",
            "No ringback heard: a 180 without SDP means the caller plays ringback itself; with \
             SDP (or a 183), the far end sends it as early media",
            "With forking, match the To tag of the answer to the branch that rang",
        ],
        invite_note: Some(
            "Ends PDD (or the 183 before it does). With a To tag it creates an early dialog; \
             with Require: 100rel it must be acknowledged with PRACK (RFC 3262).",
        ),
        ..NO_NOTES
    },
    CodeInfo {
        code: 181,
        name: "Call Is Being Forwarded",
        rfc: "RFC 3261 §21.1.3",
        meaning: "A server tells the caller that the call is being forwarded to a different set \
                  of destinations.",
        causes_in_testing: &[
            "Call forwarding (unconditional, on busy, on no answer) configured for the callee",
            "Hunt groups, sequential ringing or follow-me in a PBX",
        ],
        next_checks: &[
            "Follow the forwarded leg: the final response comes from the new destination",
            "Unexpected forwarding: check the callee's forwarding settings",
        ],
        ..NO_NOTES
    },
    CodeInfo {
        code: 182,
        name: "Queued",
        rfc: "RFC 3261 §21.1.4",
        meaning: "The callee is temporarily unavailable, but the server queued the call rather \
                  than rejecting it; the reason phrase may say how many calls are ahead.",
        causes_in_testing: &[
            "Call-centre and ACD queues, or a PBX queueing calls for a busy extension",
        ],
        next_checks: &[
            "Queue time adds to the answer time: measure it apart from PDD",
            "Calls ending while queued: check the caller's or the proxy's no-answer timer",
        ],
        ..NO_NOTES
    },
    CodeInfo {
        code: 183,
        name: "Session Progress",
        rfc: "RFC 3261 §21.1.5",
        meaning: "Progress information not otherwise classified; the reason phrase, headers or \
                  body (usually SDP, for early media) carry the details.",
        causes_in_testing: &[
            "Early media: ringback, an announcement or an IVR played by a gateway, SBC or \
             media server before the answer",
            "An announcement ('number not in service') before a failure response",
            "IMS and VoLTE: preconditions (QoS) negotiated in 183 and PRACK/UPDATE (RFC 3312)",
        ],
        next_checks: &[
            "No early audio: check that RTP flows from the address in the 183's SDP (NAT, \
             firewall, codecs)",
            "A 183 followed by a failure: the early media often says the real reason; listen to \
             it",
        ],
        invite_note: Some(
            "Ends PDD when it comes before the first 180. With a To tag it creates an early \
             dialog; with Require: 100rel it must be acknowledged with PRACK (RFC 3262).",
        ),
        ..NO_NOTES
    },
    CodeInfo {
        code: 199,
        name: "Early Dialog Terminated",
        rfc: "RFC 6228",
        meaning: "A UAS or a forking proxy tells the caller that one early dialog has ended \
                  (its branch got a final non-2xx response) while the INVITE goes on; sent only \
                  when the caller's Supported header lists 199.",
        causes_in_testing: &[
            "Parallel forking: one of several devices of the callee rejected the call while \
             others still ring",
            "IMS networks forking to several registered contacts",
        ],
        next_checks: &[
            "Match the 199's To tag to the early dialog it ends; the caller should drop that \
             branch's early media",
            "The call's outcome is still decided by the INVITE's final response",
        ],
        ..NO_NOTES
    },
    // ----------------------------------------------------------------- 2xx
    CodeInfo {
        code: 200,
        name: "OK",
        rfc: "RFC 3261 §21.2.1",
        meaning: "The request has succeeded. To an INVITE: the call was answered; to a REGISTER: \
                  the bindings were updated.",
        causes_in_testing: &[
            "Normal success",
            "A 200 retransmitted again and again: the callee does not get the ACK (wrong \
             Contact or Record-Route, NAT, the ACK sent to the wrong address)",
            "200 to REGISTER granting a shorter expiry than requested (registrar policy)",
        ],
        next_checks: &[
            "After a 200 to INVITE, check that the ACK arrives: without it the callee \
             retransmits the 200 for 32 s and then ends the call with BYE",
            "Answered but silent: check the SDP addresses and that RTP flows both ways",
            "After a 200 to REGISTER, compare granted and requested expires and check the \
             client refreshes before the binding runs out",
        ],
        invite_note: Some(
            "The call was answered and a dialog established; the caller sends ACK end to end. \
             The callee retransmits the 200 until the ACK comes (RFC 3261 §13.3.1.4).",
        ),
        register_note: Some(
            "Registered: the Contact header lists every current binding of the AOR with the \
             expiry granted, which may be shorter than the one requested.",
        ),
    },
    CodeInfo {
        code: 202,
        name: "Accepted",
        rfc: "RFC 3265 (deprecated by RFC 6665)",
        meaning: "The request was accepted for processing, but processing is not complete (for \
                  example a subscription not yet authorised). RFC 6665 deprecated sending it: \
                  a receiver treats it exactly as 200.",
        causes_in_testing: &[
            "REFER (call transfer) accepted: how the transfer went is reported later in \
             NOTIFYs with sipfrag bodies",
            "SUBSCRIBE accepted pending authorisation, from older (RFC 3265) stacks",
            "MESSAGE accepted by a store-and-forward server or gateway (RFC 3428)",
        ],
        next_checks: &[
            "After REFER, follow the NOTIFYs (Event: refer) for the result of the transferred \
             call",
            "Count it as a success of the request; the final state comes later",
        ],
        invite_note: Some(
            "Not defined for INVITE; a caller receiving it treats it as 200 (any 2xx answers \
             the call).",
        ),
        ..NO_NOTES
    },
    CodeInfo {
        code: 204,
        name: "No Notification",
        rfc: "RFC 5839",
        meaning: "The SUBSCRIBE succeeded, but the NOTIFY that would normally follow will not \
                  be sent: the state has not changed since the entity-tag the subscriber gave \
                  in Suppress-If-Match.",
        causes_in_testing: &[
            "Refreshes of presence, dialog (BLF) or reg subscriptions with conditional \
             notification, when nothing changed",
        ],
        next_checks: &[
            "Not an error: the subscriber keeps the state it has",
            "If a NOTIFY was expected, compare the Suppress-If-Match entity-tag with the \
             SIP-ETag of the last NOTIFY",
        ],
        ..NO_NOTES
    },
    // ----------------------------------------------------------------- 3xx
    CodeInfo {
        code: 300,
        name: "Multiple Choices",
        rfc: "RFC 3261 §21.3.1",
        meaning: "The address resolved to several locations, listed in Contact; the user or \
                  user agent may choose one and send the request there.",
        causes_in_testing: &[
            "A redirect server, or a callee with several registered contacts, answering with \
             the alternatives",
            "Routing or number-portability look-up services answering with candidate routes",
        ],
        next_checks: &[
            "Did the caller (or a proxy for it) try the Contact addresses? Follow the new INVITEs",
            "A device that does not follow redirects ends the call here: check its setting",
        ],
        ..NO_NOTES
    },
    CodeInfo {
        code: 301,
        name: "Moved Permanently",
        rfc: "RFC 3261 §21.3.2",
        meaning: "The user can no longer be found at the Request-URI; the new address is in \
                  Contact, and the caller should use it from now on.",
        causes_in_testing: &[
            "A user or number moved, with a redirect configured on the server",
            "A redirect left over in the configuration",
        ],
        next_checks: &["Follow the Contact address; update the dial plan or test data"],
        register_note: Some(
            "A registrar may redirect REGISTERs to another registrar; a client that does not \
             follow the Contact fails.",
        ),
        ..NO_NOTES
    },
    CodeInfo {
        code: 302,
        name: "Moved Temporarily",
        rfc: "RFC 3261 §21.3.3",
        meaning: "The caller should send the request again to the address or addresses in \
                  Contact; the redirection holds for the Expires time, or this call only.",
        causes_in_testing: &[
            "Call forwarding done by redirect (PBXs, some hosted services)",
            "Redirect servers for routing, number portability (LNP) or load balancing",
        ],
        next_checks: &[
            "Check that the caller sends a new INVITE to the Contact address",
            "The same Contact returned again and again: a redirect loop in the server's data",
            "Many calls ending in 302: the caller does not follow redirects; enable it or route \
             through a proxy that does",
        ],
        register_note: Some(
            "A registrar may redirect REGISTERs to another registrar; a client that does not \
             follow the Contact fails.",
        ),
        ..NO_NOTES
    },
    CodeInfo {
        code: 305,
        name: "Use Proxy",
        rfc: "RFC 3261 §21.3.4",
        meaning: "The request must go through the proxy given in Contact; the client should \
                  send this request again through it. Only user agents send it.",
        causes_in_testing: &[
            "A device or server accepting requests only through its own proxy or SBC, reached \
             directly",
        ],
        next_checks: &[
            "Send through the proxy named in Contact; check the caller's outbound proxy setting",
        ],
        ..NO_NOTES
    },
    CodeInfo {
        code: 380,
        name: "Alternative Service",
        rfc: "RFC 3261 §21.3.5",
        meaning: "The call did not succeed, but alternative services are possible; they are \
                  described in the body of the response.",
        causes_in_testing: &[
            "IMS: a P-CSCF answering an emergency number dialled as a normal call, telling the \
             phone to set it up again as an emergency call (3GPP TS 24.229)",
        ],
        next_checks: &[
            "Read the body for the alternative proposed",
            "Emergency test calls: check the phone recognises the number and uses emergency \
             call set-up",
        ],
        ..NO_NOTES
    },
    // ----------------------------------------------------------------- 4xx
    CodeInfo {
        code: 400,
        name: "Bad Request",
        rfc: "RFC 3261 §21.4.1",
        meaning: "The request could not be understood because of malformed syntax; the reason \
                  phrase should name the problem (for example 'Missing Call-ID header field').",
        causes_in_testing: &[
            "Test-tool scenarios producing malformed requests: bad CSeq, missing Max-Forwards \
             or Contact, unreplaced [fields], LF instead of CRLF",
            "Content-Length not matching the body (over TCP the next message is misread)",
            "Invalid URIs (unescaped characters in the user part) or invalid SDP",
        ],
        next_checks: &[
            "Read the reason phrase and any Warning header: most servers name the offending \
             header",
            "Compare the request with one that works from another client; check Content-Length \
             and the SDP",
        ],
        register_note: Some(
            "Often a malformed Contact (its expires or +sip.instance parameter), a missing \
             header, or an Authorization header the registrar cannot parse.",
        ),
        ..NO_NOTES
    },
    CodeInfo {
        code: 401,
        name: "Unauthorized",
        rfc: "RFC 3261 §21.4.2",
        meaning: "The request requires user authentication. Sent by user agents and registrars \
                  (proxies send 407); the WWW-Authenticate header carries the challenge (realm, \
                  nonce, algorithm).",
        causes_in_testing: &[
            "Normal: the first REGISTER or INVITE, sent without credentials, is challenged",
            "Wrong password, or wrong authentication user name (in many PBXs it differs from \
             the extension number)",
            "Realm mismatch: credentials computed for another realm or domain",
            "Algorithm not supported on one side (MD5 versus SHA-256, RFC 8760)",
            "A load generator replaying one Authorization: stale or reused nonces, wrong nc",
            "An authentication loop: the client resends the same wrong credentials again and \
             again",
        ],
        next_checks: &[
            "Tell the first 401 (to a request without credentials) from a 401 to a request \
             with Authorization: only the latter is a failure",
            "Compare username, realm, uri and algorithm of the Authorization with the challenge; \
             check the password on both sides",
            "stale=true only means the nonce expired: the client should answer the new one \
             without asking anyone",
            "401s turning into 403s or silence for one account: lockout after failed logins",
        ],
        register_note: Some(
            "A REGISTER without credentials gets 401, and the client sends it again with \
             Authorization: normal. A 401 to a REGISTER that carried credentials means they \
             were rejected (wrong user, password, realm or algorithm).",
        ),
        invite_note: Some(
            "A user agent (or a B2BUA acting as one) challenges the call: the caller ACKs the \
             401 and sends the INVITE again with credentials in the same Call-ID, the same \
             call attempt (label auth_challenged).",
        ),
    },
    CodeInfo {
        code: 402,
        name: "Payment Required",
        rfc: "RFC 3261 §21.4.3",
        meaning: "Reserved for future use; no RFC gives it a meaning.",
        causes_in_testing: &[
            "Vendor use: some carriers and SBCs send it when a prepaid balance is exhausted or \
             an account is unpaid",
        ],
        next_checks: &[
            "Read the reason phrase and Warning header, and the vendor's documentation",
            "Check the account's credit with the provider",
        ],
        ..NO_NOTES
    },
    CodeInfo {
        code: 403,
        name: "Forbidden",
        rfc: "RFC 3261 §21.4.4",
        meaning: "The server understood the request but refuses to fulfil it. Authorization \
                  will not help, and the request should not be repeated.",
        causes_in_testing: &[
            "The source IP is not on the registrar's or trunk's allow list",
            "The account is disabled, or locked after repeated failed logins",
            "A wrong password: many registrars (kamailio configs, Asterisk, several SBCs) answer \
             the credentials that follow a 401/407 challenge with 403 instead of another 401. A \
             403 right after a REGISTER with Authorization, and a fresh challenge accepted later \
             with new credentials, is a wrong password, not a lock",
            "Per-IP rate limiting: the first registrations from a load generator succeed, later \
             ones get 403",
            "Wrong domain or realm: the domain in To, From or the Request-URI is not served here",
            "Calls: the destination is barred (international, premium rate), the caller is not \
             registered, or From / P-Asserted-Identity does not match the account",
            "From a PSTN gateway: ISUP cause 21 'call rejected' (RFC 3398)",
            "STIR/SHAKEN: 403 'Stale Date' when the Identity header's date is too old \
             (RFC 8224)",
        ],
        next_checks: &[
            "Read the reason phrase and Warning header: many servers say why ('IP not allowed', \
             'Account locked')",
            "Check the server's allowed addresses and the account's status",
            "Look for 401s before the first 403 of an account (a lockout), and count the \
             successes before 403s from one IP (a rate limit)",
            "Spread registrations over more source IPs or a longer build-up; ask for the limits",
        ],
        register_note: Some(
            "The registrar refuses this AOR from this client: source IP not allowed, account \
             disabled or locked after failed logins, rate limited, or wrong domain or realm. \
             After a challenge, a 403 to the REGISTER with credentials is often just how this \
             registrar rejects a wrong password.",
        ),
        invite_note: Some(
            "The caller may not make this call: class-of-service or dial-plan restrictions, a \
             barred destination, an unregistered caller, an address not allowed on the trunk, \
             or a caller ID not allowed.",
        ),
    },
    CodeInfo {
        code: 404,
        name: "Not Found",
        rfc: "RFC 3261 §21.4.5",
        meaning: "The server has definitive information that the user does not exist at the \
                  domain of the Request-URI, or the domain is not one it handles.",
        causes_in_testing: &[
            "The dialled number in the wrong format (with or without +, national prefix, \
             leading zeros) or mistyped",
            "Accounts not provisioned yet, or a generated user list that does not match the \
             provisioned one",
            "The domain in the Request-URI or To is not configured (an IP address where a name \
             is expected, or the reverse)",
            "Some servers answer 404 for a known user who is not registered (others send 480)",
            "From a PSTN gateway: ISUP cause 1 'unallocated number' or 3 'no route to \
             destination' (RFC 3398)",
        ],
        next_checks: &[
            "Compare the Request-URI and To with the users and domains provisioned",
            "Check number normalisation on the proxy or SBC",
        ],
        register_note: Some(
            "The registrar does not know the user in To (unknown account) or does not serve \
             the domain.",
        ),
        invite_note: Some("The called user or number does not exist, or its domain is not served."),
    },
    CodeInfo {
        code: 405,
        name: "Method Not Allowed",
        rfc: "RFC 3261 §21.4.6",
        meaning: "The method is understood but not allowed for the Request-URI; the Allow header \
                  of the response lists the methods that are.",
        causes_in_testing: &[
            "INFO, UPDATE, MESSAGE, SUBSCRIBE or PUBLISH sent to a device or server that does not \
             accept them there",
            "REGISTER sent to a proxy or a user agent that is not a registrar",
        ],
        next_checks: &[
            "Read the Allow header of the response",
            "Check where the request was sent (registrar or proxy address)",
        ],
        ..NO_NOTES
    },
    CodeInfo {
        code: 406,
        name: "Not Acceptable",
        rfc: "RFC 3261 §21.4.7",
        meaning: "The resource can only produce bodies that the Accept header of the request \
                  does not accept.",
        causes_in_testing: &[
            "A SUBSCRIBE or OPTIONS whose Accept lists only body types the server cannot produce",
        ],
        next_checks: &["Compare the request's Accept with the body types the server supports"],
        ..NO_NOTES
    },
    CodeInfo {
        code: 407,
        name: "Proxy Authentication Required",
        rfc: "RFC 3261 §21.4.8",
        meaning: "Like 401, but the client must authenticate with a proxy: the \
                  Proxy-Authenticate header carries the challenge, and the retry carries \
                  Proxy-Authorization.",
        causes_in_testing: &[
            "Normal: an outbound proxy or SBC challenging the first INVITE of a call",
            "Wrong password or authentication user name; credentials for another realm",
            "The client answering with Authorization instead of Proxy-Authorization",
            "An authentication loop: the same wrong credentials resent again and again",
        ],
        next_checks: &[
            "Tell the first 407 (to a request without credentials) from a 407 to a request \
             with Proxy-Authorization: only the latter is a failure",
            "Compare username, realm and algorithm of the Proxy-Authorization with the \
             challenge; check the password on both sides",
        ],
        register_note: Some(
            "Some proxies in front of a registrar challenge REGISTER with 407. As with 401: the \
             first one is normal; a 407 to a REGISTER with credentials means they were rejected.",
        ),
        invite_note: Some(
            "The usual challenge of an outbound proxy: the caller ACKs it and sends the INVITE \
             again with Proxy-Authorization in the same Call-ID, the same call attempt (label \
             auth_challenged).",
        ),
    },
    CodeInfo {
        code: 408,
        name: "Request Timeout",
        rfc: "RFC 3261 §21.4.9",
        meaning: "The server could not produce a response in time, for example because it could \
                  not find the user in time. The client may repeat the request later.",
        causes_in_testing: &[
            "An overloaded registrar or proxy, or a slow back-end (database, authentication), \
             under load",
            "The callee is registered but unreachable (expired NAT binding, device gone): the \
             proxy's INVITE to it times out",
            "Large requests over UDP fragmented and the fragments lost",
            "A proxy's no-answer timer",
            "From a PSTN gateway: ISUP cause 18 'no user responding' (RFC 3398)",
        ],
        next_checks: &[
            "Find the hop that produced it: did the forwarded request get any answer on the \
             next leg?",
            "Check the callee's registration and NAT keep-alives; for large messages over UDP, \
             check fragmentation or use TCP",
            "Relate the 408s to the load (requests per second in flight) and lower the rate",
        ],
        register_note: Some(
            "Usually an overloaded registrar or its back-end: spread registrations over a \
             longer build-up.",
        ),
        invite_note: Some(
            "Usually a proxy whose branch got no final response in time (callee unreachable) or \
             whose no-answer timer ran out.",
        ),
    },
    CodeInfo {
        code: 409,
        name: "Conflict",
        rfc: "RFC 2543 (historic: not in RFC 3261)",
        meaning: "The request could not be completed because of a conflict with the current \
                  state of the resource; RFC 2543 used it for a REGISTER whose 'action' \
                  parameter conflicted with existing registrations.",
        causes_in_testing: &["Old (RFC 2543) servers, or vendor-specific use for a state conflict"],
        next_checks: &[
            "Read the reason phrase and the vendor's documentation; an RFC 3261 client treats \
             it as 400",
        ],
        ..NO_NOTES
    },
    CodeInfo {
        code: 410,
        name: "Gone",
        rfc: "RFC 3261 §21.4.10",
        meaning: "The user existed once but is no longer available here, and no forwarding \
                  address is known; the condition is expected to be permanent.",
        causes_in_testing: &[
            "A number disconnected, changed or ported away (gateways map the ISUP cause \
             'number changed' to 410)",
            "A deprovisioned account still used by a test",
        ],
        next_checks: &["Check whether the number was ported or changed; update the test data"],
        ..NO_NOTES
    },
    CodeInfo {
        code: 411,
        name: "Length Required",
        rfc: "RFC 2543 (historic: not in RFC 3261)",
        meaning: "The server refuses the request without a Content-Length header.",
        causes_in_testing: &["Old (RFC 2543) servers receiving a request without Content-Length"],
        next_checks: &[
            "Send Content-Length (RFC 3261 requires it over TCP and TLS, and recommends it \
             everywhere)",
        ],
        ..NO_NOTES
    },
    CodeInfo {
        code: 412,
        name: "Conditional Request Failed",
        rfc: "RFC 3903",
        meaning: "A PUBLISH with SIP-If-Match named an entity-tag that matches no active \
                  publication (unknown or expired), so the condition failed.",
        causes_in_testing: &[
            "A presence client refreshing a publication that expired on the server (server \
             restart, refresh later than the expiry)",
            "Failover to another presence server that lacks the publication",
        ],
        next_checks: &[
            "The client should publish its full state again, without SIP-If-Match",
            "Compare the PUBLISH expires with the client's refresh interval",
        ],
        ..NO_NOTES
    },
    CodeInfo {
        code: 413,
        name: "Request Entity Too Large",
        rfc: "RFC 3261 §21.4.11",
        meaning: "The body of the request is larger than the server is willing or able to \
                  process; with Retry-After the condition is temporary.",
        causes_in_testing: &[
            "Large SDP (many codecs or ICE candidates) or multipart bodies exceeding a limit",
            "Large MESSAGE bodies",
        ],
        next_checks: &[
            "Shrink the body (fewer codecs or candidates); check the server's size limits",
        ],
        ..NO_NOTES
    },
    CodeInfo {
        code: 414,
        name: "Request-URI Too Long",
        rfc: "RFC 3261 §21.4.12",
        meaning: "The Request-URI is longer than the server is willing to interpret.",
        causes_in_testing: &[
            "Generated URIs with many parameters or headers",
            "A loop in which each hop appends parameters",
        ],
        next_checks: &["Inspect the Request-URI and find what adds to it"],
        ..NO_NOTES
    },
    CodeInfo {
        code: 415,
        name: "Unsupported Media Type",
        rfc: "RFC 3261 §21.4.13",
        meaning: "The body's format, encoding or language is not supported for this method; the \
                  response lists what is, in Accept, Accept-Encoding or Accept-Language.",
        causes_in_testing: &[
            "An INVITE with a body the callee cannot handle (multipart with ISUP or location, \
             a vendor type)",
            "A MESSAGE with a content type the user agent does not render",
            "A compressed body (Content-Encoding)",
        ],
        next_checks: &[
            "Read Accept, Accept-Encoding and Accept-Language in the response; change the body \
             the sender uses",
        ],
        ..NO_NOTES
    },
    CodeInfo {
        code: 416,
        name: "Unsupported URI Scheme",
        rfc: "RFC 3261 §21.4.14",
        meaning: "The server does not understand the scheme of the Request-URI.",
        causes_in_testing: &[
            "tel: URIs sent to a server that routes only sip:",
            "sips: sent to a server without TLS support",
        ],
        next_checks: &[
            "Check the scheme the client uses; an SBC can turn tel: into sip:...;user=phone",
        ],
        ..NO_NOTES
    },
    CodeInfo {
        code: 417,
        name: "Unknown Resource-Priority",
        rfc: "RFC 4412",
        meaning: "The request required priority handling (Require: resource-priority) with a \
                  Resource-Priority namespace or value the server does not know; the response \
                  lists the ones it does in Accept-Resource-Priority.",
        causes_in_testing: &[
            "Priority or emergency service tests (GETS, WPS, military namespaces) against a \
             server not configured for them",
        ],
        next_checks: &[
            "Compare the namespace and value with Accept-Resource-Priority; configure them on \
             the server",
        ],
        ..NO_NOTES
    },
    CodeInfo {
        code: 420,
        name: "Bad Extension",
        rfc: "RFC 3261 §21.4.15",
        meaning: "The server does not understand an extension the request listed in Require or \
                  Proxy-Require; the response lists the unsupported ones in Unsupported.",
        causes_in_testing: &[
            "Require: 100rel, timer, precondition or a vendor option tag sent to a peer without it",
            "Proxy-Require with an option a proxy on the path does not support",
        ],
        next_checks: &[
            "Read the Unsupported header; move the option tag from Require to Supported, or \
             turn the feature off on the sender (for example 'PRACK required')",
        ],
        ..NO_NOTES
    },
    CodeInfo {
        code: 421,
        name: "Extension Required",
        rfc: "RFC 3261 §21.4.16",
        meaning: "The UAS needs an extension to process the request, but the request's \
                  Supported header does not list it; the response names it in Require.",
        causes_in_testing: &[
            "A callee or SBC requiring 100rel (reliable provisionals) or timer (session timers) \
             from a caller without them",
            "IMS cores requiring precondition or sec-agree",
        ],
        next_checks: &[
            "Read the Require header of the response; enable that extension on the caller, or \
             relax the policy on the server",
        ],
        ..NO_NOTES
    },
    CodeInfo {
        code: 422,
        name: "Session Interval Too Small",
        rfc: "RFC 4028 §6",
        meaning: "The Session-Expires of the request is below the minimum the server allows; \
                  the response carries Min-SE, and the client should retry with a larger \
                  Session-Expires.",
        causes_in_testing: &[
            "A low session timer on one side (for example 90 s) and a higher Min-SE on a proxy \
             or SBC",
            "re-INVITE or UPDATE refreshes with too small an interval",
        ],
        next_checks: &[
            "The retry should carry Session-Expires of at least the Min-SE returned; most \
             stacks do it by themselves, a chain of 422s means this one does not",
            "Align the session timer settings of every hop",
        ],
        invite_note: Some(
            "The caller should send the INVITE again at once with a larger Session-Expires in \
             the same Call-ID.",
        ),
        ..NO_NOTES
    },
    CodeInfo {
        code: 423,
        name: "Interval Too Brief",
        rfc: "RFC 3261 §21.4.17",
        meaning: "The expiration time of the resource refreshed by the request is too short; \
                  the response carries Min-Expires, the shortest the server accepts.",
        causes_in_testing: &[
            "The client asks for an Expires below the registrar's Min-Expires (for example 60 s \
             against a minimum of 300 s or 3600 s)",
            "Short registrations configured as a NAT keep-alive in a load tool",
            "SUBSCRIBE with too small an Expires for the presence server (RFC 6665)",
        ],
        next_checks: &[
            "Read Min-Expires in the 423 and set the client's expires to at least that",
            "Check that the retry carries the new value: a client ignoring Min-Expires retries \
             forever",
        ],
        register_note: Some(
            "The client should send the REGISTER again with Expires of at least Min-Expires; \
             retried within 32 s, it is a step of the same attempt.",
        ),
        ..NO_NOTES
    },
    CodeInfo {
        code: 424,
        name: "Bad Location Information",
        rfc: "RFC 6442",
        meaning: "The location information of the request (a Geolocation header or PIDF-LO \
                  body) was malformed or not satisfactory for the recipient; the \
                  Geolocation-Error header gives details.",
        causes_in_testing: &[
            "Emergency call tests with a malformed or missing PIDF-LO, or location by reference \
             that the recipient cannot fetch",
        ],
        next_checks: &["Read the Geolocation-Error code; validate the PIDF-LO body"],
        ..NO_NOTES
    },
    CodeInfo {
        code: 425,
        name: "Bad Alert Message",
        rfc: "RFC 8876",
        meaning: "A non-interactive emergency call (a MESSAGE carrying a Common Alerting \
                  Protocol alert) was refused because the alert was missing, corrupted or could \
                  not be processed; the AlertMsg-Error header gives details.",
        causes_in_testing: &["Sensor, IoT or eCall-style alert tests with a malformed CAP body"],
        next_checks: &["Read the AlertMsg-Error code; validate the CAP XML"],
        ..NO_NOTES
    },
    CodeInfo {
        code: 428,
        name: "Use Identity Header",
        rfc: "RFC 8224 (first RFC 4474)",
        meaning: "The server requires an Identity header (a STIR signature) and the request had \
                  none.",
        causes_in_testing: &[
            "STIR/SHAKEN: the originating network does not sign calls, or test numbers bypass \
             the signing service",
            "An SBC on the path removing the Identity header",
        ],
        next_checks: &[
            "Check that Identity was sent and survived every hop",
            "Check the authentication (signing) service",
        ],
        ..NO_NOTES
    },
    CodeInfo {
        code: 429,
        name: "Provide Referrer Identity",
        rfc: "RFC 3892",
        meaning: "The target of a REFER requires a valid Referred-By token (a signed statement \
                  of who referred) and the request lacked one; the referee should get one from \
                  the referrer.",
        causes_in_testing: &[
            "Call transfer tests to a target that insists on authenticated Referred-By",
        ],
        next_checks: &["Check Referred-By and the transferor's S/MIME token support"],
        ..NO_NOTES
    },
    CodeInfo {
        code: 430,
        name: "Flow Failed",
        rfc: "RFC 5626",
        meaning: "An edge proxy tells the authoritative proxy that the flow (connection) to the \
                  user agent it was asked to use has failed; other flows of the same instance \
                  may work. User agents should never receive it (they treat it as 400).",
        causes_in_testing: &[
            "SIP Outbound: a client's TCP or TLS connection to the edge proxy broke (NAT \
             rebinding, mobile network change) and its registration still points at it",
        ],
        next_checks: &[
            "Check the client's keep-alives (CRLF or STUN) and that it registers again over a \
             new flow",
            "Check that the proxy tries the other flows (reg-id) of the contact",
        ],
        ..NO_NOTES
    },
    CodeInfo {
        code: 433,
        name: "Anonymity Disallowed",
        rfc: "RFC 5079",
        meaning: "The request was refused because it was anonymous, and the callee or a policy \
                  does not accept anonymous requests.",
        causes_in_testing: &[
            "Anonymous call rejection enabled for the callee",
            "A test caller with a withheld identity (Privacy: id, From anonymous)",
        ],
        next_checks: &["Check the caller's Privacy and From; check the callee's setting"],
        ..NO_NOTES
    },
    CodeInfo {
        code: 436,
        name: "Bad Identity Info",
        rfc: "RFC 8224 (first RFC 4474)",
        meaning: "The URI of the Identity header's info parameter (where the certificate is) \
                  could not be dereferenced, or its scheme is not supported, so the signature \
                  could not be checked.",
        causes_in_testing: &[
            "STIR/SHAKEN: the certificate URL (x5u) not reachable from the verifier (firewall, \
             DNS, HTTPS failure) or using an unsupported scheme",
        ],
        next_checks: &["Fetch the certificate URL from the verifying network"],
        ..NO_NOTES
    },
    CodeInfo {
        code: 437,
        name: "Unsupported Credential",
        rfc: "RFC 8224 (first RFC 4474, as Unsupported Certificate)",
        meaning: "The verifier obtained the credential (certificate) of the Identity header but \
                  cannot validate it, for example because no authority it trusts issued it.",
        causes_in_testing: &[
            "STIR/SHAKEN certificates from a certification authority the verifier does not \
             trust (a test authority in a live network), or an expired certificate",
        ],
        next_checks: &[
            "Check the certificate chain against the verifier's trusted roots and its \
                        expiry",
        ],
        ..NO_NOTES
    },
    CodeInfo {
        code: 438,
        name: "Invalid Identity Header",
        rfc: "RFC 8224 (first RFC 4474)",
        meaning: "The signature of the Identity header did not verify: it does not match the \
                  request as received, or it is corrupted.",
        causes_in_testing: &[
            "A hop changed signed fields after signing (numbers in From or To normalised, Date \
             rewritten)",
            "A wrong key and certificate pair at the signer",
        ],
        next_checks: &[
            "Compare the signed claims (orig, dest, iat) with the headers as received; find the \
             hop that rewrote them",
        ],
        ..NO_NOTES
    },
    CodeInfo {
        code: 439,
        name: "First Hop Lacks Outbound Support",
        rfc: "RFC 5626",
        meaning: "The registrar supports SIP Outbound and the client asked for it, but the first \
                  hop (edge proxy) did not show outbound support in Path, so the flow cannot be \
                  used.",
        causes_in_testing: &[
            "A client configured for SIP Outbound (reg-id, +sip.instance) behind an edge proxy \
             or SBC that does not support it",
        ],
        next_checks: &["Turn Outbound off on the client, or on for the edge proxy (Path with ;ob)"],
        register_note: Some("Sent to REGISTERs asking for Outbound."),
        ..NO_NOTES
    },
    CodeInfo {
        code: 440,
        name: "Max-Breadth Exceeded",
        rfc: "RFC 5393",
        meaning: "The request could not be forked: its Max-Breadth is too small for the number \
                  of parallel branches a proxy would create.",
        causes_in_testing: &[
            "Forking to many contacts or large ring groups, or nested forking, with a low \
             Max-Breadth",
        ],
        next_checks: &[
            "Check the Max-Breadth set at the origin and the fan-out of each forking proxy",
        ],
        ..NO_NOTES
    },
    CodeInfo {
        code: 469,
        name: "Bad Info Package",
        rfc: "RFC 6086",
        meaning: "An INFO request named an Info Package that the receiver did not declare it \
                  accepts (in Recv-Info) for this dialog.",
        causes_in_testing: &[
            "DTMF or other INFO packages sent without being negotiated in the dialog",
        ],
        next_checks: &[
            "Check Recv-Info in the INVITE and its answer; for DTMF, RTP events (RFC 4733) avoid \
             the question",
        ],
        ..NO_NOTES
    },
    CodeInfo {
        code: 470,
        name: "Consent Needed",
        rfc: "RFC 5360",
        meaning: "A relay (such as a URI-list service) refused the request because it lacks the \
                  target's permission to send it traffic; Permission-Missing lists the URIs \
                  concerned.",
        causes_in_testing: &[
            "Conference or URI-list (exploder) services using the consent framework",
        ],
        next_checks: &["Obtain consent for the URIs listed in Permission-Missing"],
        ..NO_NOTES
    },
    CodeInfo {
        code: 480,
        name: "Temporarily Unavailable",
        rfc: "RFC 3261 §21.4.18",
        meaning: "The callee's end system was contacted, but the callee is currently unavailable \
                  (not logged in, do not disturb); also returned by a server that knows the user \
                  but has no current location for them. Retry-After may say when to try again.",
        causes_in_testing: &[
            "The callee is not registered (registration expired, device offline): the most \
             common cause in tests",
            "Do-not-disturb on the callee",
            "No answer before the PBX's ring timeout (many PBXs send 480 then)",
            "From a PSTN gateway: ISUP cause 19 'no answer', 20 'subscriber absent' or 31 \
             'normal, unspecified' (RFC 3398)",
        ],
        next_checks: &[
            "Check the callee's registration at the time of the call (`sipsleuth registrations`)",
            "Check the ring timeout and forwarding to voicemail",
        ],
        invite_note: Some(
            "Counts as TIMEOUT: in NER but not in ASR, since the network did its job.",
        ),
        ..NO_NOTES
    },
    CodeInfo {
        code: 481,
        name: "Call/Transaction Does Not Exist",
        rfc: "RFC 3261 §21.4.19",
        meaning: "The server received a request that matches no dialog or transaction it knows, \
                  such as a BYE, re-INVITE or CANCEL for a dialog or INVITE it has no record of.",
        causes_in_testing: &[
            "A BYE or CANCEL for a dialog the far end does not know: often a lost 200 or ACK, \
             after which the far end already ended the call",
            "The dialog already ended: BYEs crossing, or the far end's session timer expired",
            "A B2BUA or SBC rewrote Call-ID or tags, so in-dialog requests no longer match",
            "The far end restarted or failed over without keeping its dialogs",
            "A CANCEL arriving after the INVITE transaction ended; a NOTIFY for an expired \
             subscription",
        ],
        next_checks: &[
            "Compare the Call-ID, From tag and To tag of the request with those of the dialog's \
             200 OK",
            "Check that the 200 and ACK exchange completed (a missing ACK makes the callee end \
             the call with BYE after 32 s)",
            "Look for a restart or failover of the far end, and for NAT rebinding",
        ],
        invite_note: Some(
            "To a re-INVITE: the dialog no longer exists at the far end. To an INVITE with \
             Replaces or Join (RFC 3891, RFC 3911): the dialog to replace or join was not found.",
        ),
        ..NO_NOTES
    },
    CodeInfo {
        code: 482,
        name: "Loop Detected",
        rfc: "RFC 3261 §21.4.20",
        meaning: "The server detected a loop (RFC 3261 §16.3 item 4): the request came back to \
                  it with nothing changed that would make it a legitimate spiral, such as a new \
                  Request-URI.",
        causes_in_testing: &[
            "Two proxies or SBCs routing a number to each other",
            "A proxy routing to itself because it does not recognise one of its own addresses \
             (several IPs, behind NAT)",
            "Call forwarding loops",
        ],
        next_checks: &[
            "Read the Via headers to see the cycle; fix the routes or the server's list of local \
             addresses and domains",
        ],
        ..NO_NOTES
    },
    CodeInfo {
        code: 483,
        name: "Too Many Hops",
        rfc: "RFC 3261 §21.4.21",
        meaning: "The request's Max-Forwards reached 0 before it got to its destination.",
        causes_in_testing: &[
            "A routing loop through elements that each change the request (so no 482)",
            "A client sending a low Max-Forwards (70 is recommended), or a very long chain",
        ],
        next_checks: &["Read the Via headers for the path; check the initial Max-Forwards"],
        ..NO_NOTES
    },
    CodeInfo {
        code: 484,
        name: "Address Incomplete",
        rfc: "RFC 3261 §21.4.22",
        meaning: "The Request-URI was incomplete, for example a dialled number with too few \
                  digits; used in overlap dialling.",
        causes_in_testing: &[
            "A number too short for the dial plan (missing area code or digits)",
            "Overlap dialling towards PSTN gateways",
            "From a PSTN gateway: ISUP cause 28 'address incomplete' (RFC 3398)",
        ],
        next_checks: &["Check the number format and length the route expects"],
        ..NO_NOTES
    },
    CodeInfo {
        code: 485,
        name: "Ambiguous",
        rfc: "RFC 3261 §21.4.23",
        meaning: "The Request-URI was ambiguous; the response may list the possible addresses in \
                  Contact.",
        causes_in_testing: &["Name or short-code dialling that matches several users"],
        next_checks: &["Use a complete URI; read the Contact list for the choices"],
        ..NO_NOTES
    },
    CodeInfo {
        code: 486,
        name: "Busy Here",
        rfc: "RFC 3261 §21.4.24",
        meaning: "The callee's end system was contacted, but the callee is not willing or able \
                  to take another call there; Retry-After may say when. 600 is for a callee \
                  busy everywhere.",
        causes_in_testing: &[
            "The callee is on another call, with call waiting off or a one-call limit",
            "A load test calling the same callee with concurrent calls",
            "The user rejected the call (many phones send 486 for reject)",
            "A trunk or PBX channel limit answered with 486 instead of 503",
            "From a PSTN gateway: ISUP cause 17 'user busy' (RFC 3398)",
        ],
        next_checks: &[
            "Count the calls the callee had at that moment; spread test calls over more callees",
            "Check channel and call limits on the trunk or PBX",
        ],
        invite_note: Some(
            "Counts as REJECTED: the callee was reached and said no. A forking proxy may still \
             reach the user elsewhere.",
        ),
        ..NO_NOTES
    },
    CodeInfo {
        code: 487,
        name: "Request Terminated",
        rfc: "RFC 3261 §21.4.25",
        meaning: "The request was terminated by a BYE or CANCEL. It is the answer to the INVITE \
                  that was cancelled, never to the CANCEL itself.",
        causes_in_testing: &[
            "The caller hung up before the answer (CANCEL), e.g. a test scenario's short ring \
             time",
            "Forking: the branches that did not answer are cancelled once one answers",
            "A proxy or B2BUA cancelling on its own no-answer timer",
        ],
        next_checks: &[
            "Check who sent the CANCEL and after how long; without a CANCEL from the caller, \
             find the hop that cancelled",
            "Compare the test scenario's hang-up timer with the callee's answer delay",
        ],
        invite_note: Some(
            "The normal answer after the caller's CANCEL: CANCELLED. Without a CANCEL from the \
             caller (cancelled by a hop): ERROR, labelled terminated_without_cancel.",
        ),
        ..NO_NOTES
    },
    CodeInfo {
        code: 488,
        name: "Not Acceptable Here",
        rfc: "RFC 3261 §21.4.26",
        meaning: "The session described (usually the SDP offer) is not acceptable here; a \
                  Warning header may say why. Unlike 606, another end system of the user may \
                  accept it.",
        causes_in_testing: &[
            "Codec or SDP mismatch: no codec in common, SRTP required and RTP offered (or the \
             reverse), video or T.38 not supported",
            "Call admission control or bandwidth limits on an SBC or call manager",
            "WebRTC offers (ICE, DTLS-SRTP) to a plain SIP endpoint",
        ],
        next_checks: &[
            "Compare the offer's m= lines (codecs, RTP/AVP or RTP/SAVP, crypto) with the \
             answerer's configuration; read the Warning header",
            "Check the SBC's codec and transcoding policy and its bandwidth limits",
        ],
        invite_note: Some(
            "On an initial INVITE the call fails. On a re-INVITE (hold, codec change, T.38) only \
             the change fails; the call goes on with the previous session.",
        ),
        ..NO_NOTES
    },
    CodeInfo {
        code: 489,
        name: "Bad Event",
        rfc: "RFC 6665 (first RFC 3265)",
        meaning: "The server does not understand the event package named in the Event header of \
                  a SUBSCRIBE or NOTIFY (or PUBLISH); Allow-Events lists the ones it supports.",
        causes_in_testing: &[
            "SUBSCRIBE for BLF (dialog), presence, message-summary (MWI) or reg to a server \
             without that package",
            "An unsolicited NOTIFY (e.g. check-sync) with an event the phone does not accept",
        ],
        next_checks: &[
            "Read Allow-Events; enable the package on the server or the feature off on the client",
        ],
        ..NO_NOTES
    },
    CodeInfo {
        code: 491,
        name: "Request Pending",
        rfc: "RFC 3261 §21.4.27",
        meaning: "The server received a request in a dialog while its own request in that dialog \
                  was still pending (glare).",
        causes_in_testing: &[
            "Glare on re-INVITE: both sides renegotiate at once (hold and resume, session timer \
             refresh, codec change, T.38)",
            "B2BUAs refreshing session timers on both legs at the same moment",
        ],
        next_checks: &[
            "Normal once: the side that got 491 retries after a random delay (2.1–4 s if it owns \
             the Call-ID, 0–2 s otherwise, RFC 3261 §14.1); repeated 491s mean it does not wait",
            "Make only one side refresh the session (refresher=uac or uas)",
        ],
        invite_note: Some("On a re-INVITE: glare; retry later, the call goes on."),
        ..NO_NOTES
    },
    CodeInfo {
        code: 493,
        name: "Undecipherable",
        rfc: "RFC 3261 §21.4.28",
        meaning: "The request contained an encrypted S/MIME body for which the server has no \
                  suitable decryption key; the response may carry the server's public key.",
        causes_in_testing: &["S/MIME body encryption tests with wrong or missing certificates"],
        next_checks: &["Check the certificates and keys on both sides"],
        ..NO_NOTES
    },
    CodeInfo {
        code: 494,
        name: "Security Agreement Required",
        rfc: "RFC 3329",
        meaning: "The server requires a security mechanism agreement (e.g. IPsec, TLS, digest) \
                  before it accepts the request; the Security-Server header lists the mechanisms \
                  it supports.",
        causes_in_testing: &[
            "IMS and VoLTE: a REGISTER without sec-agree or Security-Client to a P-CSCF that \
             requires IPsec",
        ],
        next_checks: &[
            "Check Require/Proxy-Require: sec-agree and the Security-Client header; the retry \
             should use a mechanism from Security-Server",
        ],
        register_note: Some(
            "Sent by P-CSCFs to a first REGISTER that did not offer a security mechanism.",
        ),
        ..NO_NOTES
    },
    // ----------------------------------------------------------------- 5xx
    CodeInfo {
        code: 500,
        name: "Server Internal Error",
        rfc: "RFC 3261 §21.5.1",
        meaning: "The server met an unexpected condition that prevented it from fulfilling the \
                  request; Retry-After may say the condition is temporary.",
        causes_in_testing: &[
            "A software fault, or an error in a routing script or application server",
            "A back-end error (database, RADIUS, ENUM, HSS) passed on as 500",
            "Overload, in products that do not use 503 for it",
        ],
        next_checks: &[
            "Read the server's logs at the time of the 500 (the reason phrase often carries an \
             internal code)",
            "Check whether 500s follow the load, or one number, account or kind of request",
        ],
        ..NO_NOTES
    },
    CodeInfo {
        code: 501,
        name: "Not Implemented",
        rfc: "RFC 3261 §21.5.2",
        meaning: "The server does not support the functionality the request needs; typically it \
                  does not recognise the method at all (405 is for a method it knows but does \
                  not allow there).",
        causes_in_testing: &[
            "UPDATE, PRACK, REFER, MESSAGE, SUBSCRIBE, PUBLISH or INFO sent to a server or \
             gateway that does not implement them",
            "Vendor-specific methods",
        ],
        next_checks: &[
            "Check the Allow header of the server's answer to OPTIONS; turn the feature off",
        ],
        ..NO_NOTES
    },
    CodeInfo {
        code: 502,
        name: "Bad Gateway",
        rfc: "RFC 3261 §21.5.3",
        meaning: "A server acting as a gateway or proxy received an invalid response from a \
                  server further on.",
        causes_in_testing: &[
            "The next hop sent a malformed response",
            "A gateway whose other side (PSTN, another network) failed",
            "From a PSTN gateway: ISUP cause 27 'destination out of order' (RFC 3398)",
        ],
        next_checks: &["Look at the next hop's response on the following leg; check its health"],
        ..NO_NOTES
    },
    CodeInfo {
        code: 503,
        name: "Service Unavailable",
        rfc: "RFC 3261 §21.5.4",
        meaning: "The server is temporarily unable to process the request because of overload \
                  or maintenance. Retry-After may say when to retry (without it the client acts \
                  as for 500); the client should try another server meanwhile.",
        causes_in_testing: &[
            "Overload: calls or registrations per second above what the server or a back-end \
             can take (the 503 onset during a ramp-up)",
            "Maintenance or shutdown",
            "No route: all trunks or gateways towards the destination are down",
            "Licence or channel limits reached (concurrent calls, registrations)",
            "Per-IP rate limiting or flood protection answering 503",
            "From a PSTN gateway: no circuit available, congestion or temporary failure (ISUP \
             causes 34, 38, 41, 42, 47; RFC 3398)",
        ],
        next_checks: &[
            "Check Retry-After, and that the client honours it (no retry before; another server \
             meanwhile)",
            "Find when the 503s began and the load then (requests per second, calls or \
             registrations in flight); compare it with capacity and licences",
            "Check the routes, trunks and gateways of the proxy; read the reason phrase",
            "Lower the rate or lengthen the build-up",
        ],
        register_note: Some(
            "Registrars shed load with 503 during registration storms; Retry-After is kept with \
             the attempt.",
        ),
        invite_note: Some("A proxy should fail over to another server (alternate routing)."),
    },
    CodeInfo {
        code: 504,
        name: "Server Time-out",
        rfc: "RFC 3261 §21.5.5",
        meaning: "The server did not receive a timely response from an external server it \
                  accessed to process the request (a location server, DNS, the next hop).",
        causes_in_testing: &[
            "The next hop unreachable or not answering (a trunk or SBC down)",
            "A slow back-end: DNS, ENUM, HSS (Diameter), database, authentication server",
        ],
        next_checks: &[
            "Follow the request to the next leg: did it get any answer there?",
            "Check the response times and health of DNS, ENUM and the other back-ends",
        ],
        ..NO_NOTES
    },
    CodeInfo {
        code: 505,
        name: "Version Not Supported",
        rfc: "RFC 3261 §21.5.6",
        meaning: "The server does not support the SIP version of the request (anything but \
                  SIP/2.0).",
        causes_in_testing: &[
            "A malformed request line (a wrong or mangled version token)",
            "Something other than SIP sent to the SIP port",
        ],
        next_checks: &["Check the sender's request line"],
        ..NO_NOTES
    },
    CodeInfo {
        code: 513,
        name: "Message Too Large",
        rfc: "RFC 3261 §21.5.7",
        meaning: "The server could not process the request because the message is longer than \
                  it can handle.",
        causes_in_testing: &[
            "Large INVITEs (big SDP, many headers, multipart bodies) over UDP; RFC 3261 §18.1.1 \
             asks for TCP within 200 bytes of the path MTU, or above 1300 bytes when the MTU \
             is unknown",
        ],
        next_checks: &["Shrink the message, or use TCP"],
        ..NO_NOTES
    },
    CodeInfo {
        code: 555,
        name: "Push Notification Service Not Supported",
        rfc: "RFC 8599",
        meaning: "The server does not support the push notification service (pn-provider) the \
                  user agent asked for in its REGISTER.",
        causes_in_testing: &[
            "Mobile softphones registering with a pn-provider (e.g. apns, fcm) the proxy does \
             not support",
        ],
        next_checks: &["Compare the pn-provider in Contact with the services the proxy supports"],
        register_note: Some("Sent to REGISTERs asking for push notifications."),
        ..NO_NOTES
    },
    CodeInfo {
        code: 580,
        name: "Precondition Failure",
        rfc: "RFC 3312",
        meaning: "The server cannot meet the preconditions (e.g. QoS resource reservation) the \
                  session requires, so the session cannot be set up.",
        causes_in_testing: &[
            "IMS and VoLTE: resource reservation (the bearer) failed, or one side does not \
             support preconditions",
        ],
        next_checks: &[
            "Check the SDP precondition attributes (a=curr, a=des, a=conf) and the bearer set-up",
        ],
        ..NO_NOTES
    },
    // ----------------------------------------------------------------- 6xx
    CodeInfo {
        code: 600,
        name: "Busy Everywhere",
        rfc: "RFC 3261 §21.6.1",
        meaning: "The callee was contacted but is busy and does not wish to take the call now; \
                  sent only when no other end system could take it. Retry-After may give a \
                  better time.",
        causes_in_testing: &[
            "A device or service configured to reject with 600 when busy",
            "Busy hunt groups whose policy is 'busy everywhere'",
        ],
        next_checks: &["As for 486: count the calls the callee had at that moment"],
        invite_note: Some(
            "Counts as REJECTED. A 6xx ends forking: the proxy cancels its other branches.",
        ),
        ..NO_NOTES
    },
    CodeInfo {
        code: 603,
        name: "Decline",
        rfc: "RFC 3261 §21.6.2",
        meaning: "The callee's machine was contacted, but the user explicitly does not wish to \
                  or cannot take part; Retry-After may say when to call again.",
        causes_in_testing: &[
            "The user pressed decline",
            "Call barring or screening (incoming call barring, a blocked caller)",
            "PBXs and SBCs using 603 for any refusal by policy",
        ],
        next_checks: &[
            "Tell a person from a policy: read the reason phrase and the Reason header",
            "Check blocklists and call screening for the caller",
        ],
        invite_note: Some(
            "Counts as REJECTED. A 6xx ends forking: the proxy cancels its other branches.",
        ),
        ..NO_NOTES
    },
    CodeInfo {
        code: 604,
        name: "Does Not Exist Anywhere",
        rfc: "RFC 3261 §21.6.3",
        meaning: "The server has authoritative information that the user of the Request-URI \
                  does not exist anywhere.",
        causes_in_testing: &["An unallocated number, answered by an authoritative database"],
        next_checks: &["Check the number's allocation and the test data"],
        ..NO_NOTES
    },
    CodeInfo {
        code: 606,
        name: "Not Acceptable",
        rfc: "RFC 3261 §21.6.4",
        meaning: "The user's agent was contacted, but some aspect of the session description \
                  (media, bandwidth, addressing) is not acceptable, whichever of the user's \
                  devices is reached; a Warning header may list the reasons.",
        causes_in_testing: &[
            "Codec or media mismatch at an endpoint that answers 606 rather than 488",
            "A media type (video, T.38) the user supports nowhere",
        ],
        next_checks: &[
            "As for 488: compare the offer's m= lines with what the answerer accepts; read the \
             Warning header",
        ],
        ..NO_NOTES
    },
    CodeInfo {
        code: 607,
        name: "Unwanted",
        rfc: "RFC 8197",
        meaning: "The called party did not want this call and says so, so that the network can \
                  learn from it (e.g. for unwanted-call analytics).",
        causes_in_testing: &[
            "The user marked the call as unwanted (spam)",
            "Test callers repeatedly rejected as unwanted",
        ],
        next_checks: &["Check the caller ID's reputation with the operator's analytics"],
        ..NO_NOTES
    },
    CodeInfo {
        code: 608,
        name: "Rejected",
        rfc: "RFC 8688",
        meaning: "An intermediary (not the callee), such as a call-analytics or call-blocking \
                  service, rejected the call; the response may carry contact details (a jCard \
                  in Call-Info) for a legitimate caller to seek redress.",
        causes_in_testing: &[
            "Carrier analytics taking load-test traffic for robocalls (many short calls from one \
             caller ID)",
            "Blocking based on STIR/SHAKEN attestation",
        ],
        next_checks: &[
            "Read Call-Info for whom to contact; vary or register the caller IDs of load tests; \
             check the attestation",
        ],
        ..NO_NOTES
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::call::Category;

    /// The IANA registry of SIP response codes up to 608, with RFC 2543's 409 and 411.
    const REGISTRY: [u16; 77] = [
        100, 180, 181, 182, 183, 199, //
        200, 202, 204, //
        300, 301, 302, 305, 380, //
        400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417,
        420, 421, 422, 423, 424, 425, 428, 429, 430, 433, 436, 437, 438, 439, 440, 469, 470, 480,
        481, 482, 483, 484, 485, 486, 487, 488, 489, 491, 493, 494, //
        500, 501, 502, 503, 504, 505, 513, 555, 580, //
        600, 603, 604, 606, 607, 608,
    ];

    #[test]
    fn every_registered_code_once_sorted() {
        let codes: Vec<u16> = all().iter().map(|c| c.code).collect();
        assert_eq!(codes, REGISTRY);
        for c in REGISTRY {
            assert_eq!(lookup(c).map(|i| i.code), Some(c));
        }
        assert!(lookup(499).is_none() && lookup(0).is_none() && lookup(999).is_none());
    }

    #[test]
    fn names_match_the_reason_phrases() {
        for code in 0..=1000 {
            assert_eq!(
                lookup(code).map(|i| i.name),
                crate::sip::codes::reason_phrase(code),
                "{code}"
            );
        }
    }

    #[test]
    fn every_entry_is_filled_in() {
        for i in all() {
            assert!(!i.meaning.trim().is_empty(), "{}", i.code);
            assert!(i.rfc.starts_with("RFC "), "{}", i.code);
            assert!(!i.causes_in_testing.is_empty(), "{}: no cause", i.code);
            assert!(!i.next_checks.is_empty(), "{}: no next check", i.code);
            let texts = i.causes_in_testing.iter().chain(i.next_checks);
            for t in texts
                .chain(i.register_note.iter())
                .chain(i.invite_note.iter())
            {
                assert!(!t.trim().is_empty(), "{}", i.code);
                assert!(!t.contains("  "), "{}: doubled space in {t:?}", i.code);
            }
            assert!(class_of(i.code).is_some(), "{}", i.code);
        }
    }

    #[test]
    fn call_category_agrees_with_the_model() {
        for code in 100..=699u16 {
            let ours = call_category(code);
            if code < 200 {
                assert_eq!(ours, "NOT_FINAL", "{code}");
                continue;
            }
            assert_eq!(ours, Category::of_final(code, false).name(), "{code}");
            assert_eq!(counts_in_asr(code), ours == "SUCCESS", "{code}");
            assert_eq!(
                counts_in_ner(code),
                matches!(ours, "SUCCESS" | "TIMEOUT"),
                "{code}"
            );
        }
        // 487 is the one code whose category depends on the caller's CANCEL.
        assert_eq!(Category::of_final(487, true).name(), "CANCELLED");
        for code in 200..=699u16 {
            if code != 487 {
                assert_eq!(
                    Category::of_final(code, true),
                    Category::of_final(code, false),
                    "{code}"
                );
            }
        }
        assert!(call_category_note(487)
            .unwrap()
            .starts_with("CANCELLED when the caller"));
    }

    #[test]
    fn register_causes() {
        use FailureCause::*;
        let cases = [
            (100, None),
            (200, None),
            (302, Some(Other)),
            (401, Some(AuthRejected)),
            (407, Some(AuthRejected)),
            (403, Some(Forbidden)),
            (404, Some(NotFound)),
            (408, Some(Timeout)),
            (423, Some(IntervalTooBrief)),
            (480, Some(Other)),
            (500, Some(ServerError)),
            (555, Some(ServerError)),
            (503, Some(ServiceUnavailable)),
            (603, Some(Other)),
        ];
        for (code, cause) in cases {
            assert_eq!(register_cause(code), cause, "{code}");
        }
    }

    #[test]
    fn classes() {
        assert_eq!(class_of(99), None);
        assert_eq!(class_of(100), Some(Class::Provisional));
        assert_eq!(class_of(699), Some(Class::GlobalFailure));
        assert_eq!(class_of(700), None);
        for class in Class::ALL {
            assert!(class.describe().contains("is treated as"));
            assert_eq!(class_of(class.treated_as()), Some(class));
            assert!(lookup(class.treated_as()).is_some());
        }
    }

    /// The page with its line breaks and indents folded, for phrases that may wrap.
    fn flat(page: &str) -> String {
        page.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    fn assert_fits(page: &str) {
        for line in page.lines() {
            assert!(line.chars().count() <= WIDTH, "too wide: {line:?}");
            assert_eq!(line, line.trim_end(), "trailing space: {line:?}");
        }
    }

    #[test]
    fn every_page_fits_100_columns() {
        for code in 0..=1000 {
            assert_fits(&render(Some(code)));
        }
        assert_fits(&render(None));
    }

    #[test]
    fn wrapping_cuts_overlong_words() {
        let mut out = String::new();
        let long = "x".repeat(250);
        push_wrapped(&mut out, "  - ", "    ", &format!("a {long} b"));
        assert_fits(&out);
        assert_eq!(out.matches('x').count(), 250);
        assert!(out.starts_with("  - a\n    xxx"));
        assert!(out.ends_with(" b\n"));
    }

    /// The page of a code, and the same folded to one line (phrases may wrap).
    fn page(code: u16) -> (String, String) {
        let p = render(Some(code));
        let f = flat(&p);
        (p, f)
    }

    /// The "How it counts" field `label` of a page says `text`.
    fn counts(page: &str, label: &str, text: &str) -> bool {
        page.lines()
            .any(|l| l.starts_with(&format!("  {label:<18}{text}")))
    }

    #[test]
    fn render_486() {
        let (p, f) = page(486);
        assert!(p.starts_with("486 Busy Here\n"));
        assert!(f.contains("Class 4xx Client Error"));
        assert!(f.contains("Defined in RFC 3261 §21.4.24"));
        assert!(f.contains("not willing or able to take another call"));
        assert!(f.contains("concurrent calls"));
        assert!(counts(
            &p,
            "Call outcome",
            "REJECTED when it is the final response"
        ));
        assert!(counts(&p, "ASR", "no"));
        assert!(counts(&p, "NER", "no"));
        assert!(counts(&p, "RFC 6076", "SER no, SEER yes, ISA no"));
        assert!(counts(
            &p,
            "REGISTER outcome",
            "REGISTRATION_FAILED, cause OTHER"
        ));
    }

    #[test]
    fn render_503() {
        let (p, f) = page(503);
        assert!(p.starts_with("503 Service Unavailable\n"));
        assert!(f.contains("Class 5xx Server Error"));
        assert!(f.contains("overload or maintenance"));
        assert!(f.contains("Check Retry-After"));
        assert!(f.contains("Licence or channel limits"));
        assert!(counts(
            &p,
            "Call outcome",
            "ERROR when it is the final response"
        ));
        assert!(counts(&p, "ASR", "no"));
        assert!(counts(&p, "NER", "no"));
        assert!(counts(&p, "RFC 6076", "SER no, SEER no, ISA yes"));
        assert!(counts(
            &p,
            "REGISTER outcome",
            "REGISTRATION_FAILED, cause SERVICE_UNAVAILABLE"
        ));
    }

    #[test]
    fn render_401() {
        let (p, f) = page(401);
        assert!(p.starts_with("401 Unauthorized\n"));
        assert!(f.contains("WWW-Authenticate"));
        assert!(f.contains("On INVITE A user agent"));
        assert!(f.contains("label auth_challenged"));
        assert!(f.contains("On REGISTER A REGISTER without credentials gets 401"));
        assert!(f.contains("Wrong password"));
        assert!(f.contains("is the normal challenge"));
        assert!(f.contains("carried credentials: REGISTRATION_FAILED, cause AUTH_REJECTED"));
        assert!(counts(&p, "Call outcome", "ERROR"));
    }

    #[test]
    fn render_423() {
        let (p, f) = page(423);
        assert!(p.starts_with("423 Interval Too Brief\n"));
        assert!(f.contains("Defined in RFC 3261 §21.4.17"));
        assert!(f.contains("Read Min-Expires in the 423"));
        assert!(f.contains("below the registrar's Min-Expires"));
        assert!(f.contains("cause INTERVAL_TOO_BRIEF, unless the client retries within 32 s"));
    }

    #[test]
    fn render_other_categories() {
        let (p, f) = page(180);
        assert!(f.contains("Ends PDD"));
        assert!(counts(
            &p,
            "Call outcome",
            "none: a provisional response is not a final"
        ));
        assert!(counts(&p, "ASR", "no: not a final response"));
        assert!(counts(&p, "REGISTER outcome", "not final"));
        let (p, _) = page(200);
        assert!(counts(
            &p,
            "Call outcome",
            "SUCCESS when it is the final response"
        ));
        assert!(counts(&p, "ASR", "yes"));
        assert!(counts(&p, "NER", "yes"));
        assert!(counts(&p, "REGISTER outcome", "REGISTERED"));
        let (p, _) = page(480);
        assert!(counts(&p, "Call outcome", "TIMEOUT"));
        assert!(counts(&p, "ASR", "no"));
        assert!(counts(&p, "NER", "yes"));
        let (_, f) = page(487);
        assert!(f.contains("Call outcome CANCELLED when the caller sent CANCEL, ERROR otherwise"));
        let (p, _) = page(302);
        assert!(counts(&p, "Call outcome", "REDIRECTED"));
        assert!(counts(&p, "RFC 6076", "SER and SEER leave 3xx out"));
    }

    #[test]
    fn render_unknown_in_range() {
        let (p, f) = page(499);
        assert!(p.starts_with("499 (not a registered SIP response code)\n"));
        assert!(f.contains("Class 4xx Client Error"));
        assert!(f.contains("499 is treated as 400 Bad Request: RFC 3261 §8.1.3.2"));
        assert!(counts(&p, "Call outcome", "ERROR"));
        assert!(!f.contains("itself counts"));
        let (_, f) = page(150);
        assert!(f.contains("150 is treated as 183 Session Progress"));
        // sipsleuth counts what it saw: an unknown 6xx is ERROR though 600 is REJECTED.
        let (_, f) = page(699);
        assert!(f.contains("699 is treated as 600 Busy Everywhere"));
        assert!(f.contains("ERROR for 699, where 600 itself counts REJECTED"));
    }

    #[test]
    fn out_of_range_is_an_error() {
        for code in [0, 99, 700, 999, u16::MAX] {
            let e = explain(Some(code)).unwrap_err();
            assert_eq!(e, CodeOutOfRange(code));
            let msg = e.to_string();
            assert!(msg.contains("is not a SIP response code"), "{msg}");
            assert!(msg.contains("100 to 699"));
            assert_eq!(render(Some(code)), format!("{msg}\n"));
        }
        assert!(explain(Some(100)).is_ok() && explain(Some(699)).is_ok());
    }

    #[test]
    fn the_list_has_every_code_once() {
        let p = render(None);
        for i in all() {
            let line = format!("  {}  {}", i.code, i.name);
            assert_eq!(p.matches(&line).count(), 1, "{line}");
        }
        for class in Class::ALL {
            assert!(p.contains(class.name()));
        }
        assert!(p.starts_with("SIP response codes: 77 "));
        assert!(p.contains("487  Request Terminated                        CANCELLED or ERROR"));
        assert!(p.contains("100  Trying                                    not final"));
        assert_eq!(explain(None).unwrap(), p);
    }
}
