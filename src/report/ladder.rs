//! The call-flow ladder (`sipsleuth flow`): one call, all its legs, drawn as
//! sngrep draws it — one lifeline per address (IP:port) in order of first
//! appearance, one arrow per message labelled with its method or status and
//! the time since the first INVITE. [`render_text`] draws it for a terminal,
//! [`render_svg`] as a self-contained SVG that the HTML report can inline.
//!
//! This module only draws. Which messages belong to the call and which of
//! them are retransmissions is decided upstream (the transaction layer) and
//! arrives here in [`Arrow`]s; an `Arrow` is built from a message once, so a
//! label made safe here stays safe in both renderers. Everything taken from
//! the capture is untrusted: control and bidi characters never reach the
//! terminal, and every text in the SVG is XML-escaped.
//!
//! RTP is drawn too, as sngrep and Wireshark's VoIP flow draw it: for each
//! stream of the call an arrow at its first packet ("RTP PT=8 (PCMA) 238 pkts,
//! lost 12, jitter 6.3 ms", from the streams table's figures) and one at its
//! last ("RTP stop"), double-lined in the terminal, blue in the SVG. A media
//! address shares the lifeline of the one signalling address on the same IP
//! (the phone's SIP port), and has its own when there is none or several
//! (everything on 127.0.0.1): the full addresses are in the SVG's hover text.

use crate::report::time::utc;
use crate::sip::{Hdr, Method, SipMessage, Transport};
use std::fmt::Write;
use std::net::SocketAddr;

/// One message of the diagram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arrow {
    pub ts_ns: i64,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    /// "INVITE (SDP)", "180 Ringing", "ACK"…: display-safe, see [`Arrow::from_message`].
    pub label: String,
    /// Decided by the caller from the transaction layer; drawn dashed and marked.
    pub retransmission: bool,
    pub transport: Transport,
    pub call_id: String,
    /// For a 101–299 response to an INVITE: a hash of its To tag, which names the
    /// early dialog (the fork) it belongs to; 0 otherwise.
    pub dialog: u64,
    /// An RTP stream's start or stop rather than a SIP message.
    pub media: Option<MediaMark>,
}

/// Which end of an RTP stream a media arrow marks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaMark {
    Start,
    Stop,
}

/// Longest label kept: a reason phrase is free text and some servers write essays in it.
const MAX_LABEL: usize = 64;

impl Arrow {
    /// The arrow for one message: a request is labelled with its method (and
    /// " (SDP)" for an INVITE carrying an offer), a response with "code reason".
    pub fn from_message(m: &SipMessage, retransmission: bool) -> Arrow {
        let label = match (m.method(), m.status()) {
            (Some(method), _) => {
                let mut l = safe(method, MAX_LABEL);
                if m.method_kind() == Some(Method::Invite) && carries_sdp(m) {
                    l.push_str(" (SDP)");
                }
                l
            }
            (None, Some(code)) => {
                let reason = safe(m.reason().unwrap_or_default(), MAX_LABEL);
                let reason = reason.trim();
                if reason.is_empty() {
                    code.to_string()
                } else {
                    format!("{code} {reason}")
                }
            }
            // The scanner yields requests and responses only; keep the start line if that changes.
            (None, None) => safe(m.start_line(), MAX_LABEL),
        };
        Arrow {
            ts_ns: m.ts_ns,
            src: m.src,
            dst: m.dst,
            label,
            retransmission,
            transport: m.transport,
            call_id: safe(m.call_id().unwrap_or_default(), usize::MAX),
            dialog: dialog_of(
                m.status(),
                m.cseq().map(|c| c.1).unwrap_or_default(),
                m.to_tag(),
            ),
            media: None,
        }
    }

    /// The two arrows of an RTP stream: its first packet, labelled with its
    /// payload type, codec, packets, loss and largest jitter, and its last.
    pub fn rtp(row: &crate::media::StreamRow) -> [Arrow; 2] {
        let st = &row.stream;
        let s = &st.stats;
        let pt = st.first_pt;
        let codec = safe(row.codec.as_bytes(), 24);
        let mut label = if codec == pt.to_string() {
            format!("RTP PT={pt}")
        } else {
            format!("RTP PT={pt} ({codec})")
        };
        let _ = write!(label, " {} pkts, lost {}", s.packets, s.lost());
        if s.clock != 0 {
            let _ = write!(label, ", jitter {:.1} ms", s.max_jitter_ms);
        }
        let call_id = safe(
            row.call_id.as_deref().unwrap_or_default().as_bytes(),
            usize::MAX,
        );
        let arrow = |ts_ns, label: String, mark| Arrow {
            ts_ns,
            src: st.src,
            dst: st.dst,
            label,
            retransmission: false,
            transport: Transport::Udp,
            call_id: call_id.clone(),
            dialog: 0,
            media: Some(mark),
        };
        [
            arrow(s.first_ns, label, MediaMark::Start),
            arrow(s.last_ns, "RTP stop".into(), MediaMark::Stop),
        ]
    }

    /// The status code when the label is a response's ("486 Busy Here" → 486).
    /// A method is a token and could in theory be three digits; such a request
    /// would be coloured as a response, which is harmless.
    fn status(&self) -> Option<u16> {
        if self.media.is_some() {
            return None;
        }
        let b = self.label.as_bytes();
        let code = b.get(..3)?;
        if code.iter().all(u8::is_ascii_digit) && matches!(b.get(3), None | Some(b' ')) {
            self.label[..3].parse().ok()
        } else {
            None
        }
    }

    /// The label as drawn, marked when the message is a retransmission.
    fn shown_label(&self) -> String {
        let l = safe(self.label.as_bytes(), usize::MAX);
        if self.retransmission {
            format!("{l} (retr.)")
        } else {
            l
        }
    }
}

/// [`Arrow::dialog`] of a message: a hash of the To tag of a 101–299 response to
/// an INVITE (never 0), else 0.
pub fn dialog_of(status: Option<u16>, cseq_method: &[u8], to_tag: Option<&[u8]>) -> u64 {
    match (status, cseq_method, to_tag) {
        (Some(101..=299), b"INVITE", Some(tag)) if !tag.is_empty() => {
            crate::model::keys::key128(&[tag]) as u64 | 1
        }
        _ => 0,
    }
}

/// The labels as drawn: retransmissions marked, and — when an INVITE forked, so
/// that one hop carries responses from several early dialogs (To tags) — each
/// such response marked with its fork, in order of appearance: two 180s from two
/// phones read "180 [fork 1] Ringing" and "180 [fork 2] Ringing", never "(retr.)".
fn shown_labels(arrows: &[Arrow]) -> Vec<String> {
    let mut forks: std::collections::HashMap<(SocketAddr, SocketAddr, &str), Vec<u64>> =
        std::collections::HashMap::new();
    for a in arrows.iter().filter(|a| a.dialog != 0) {
        let tags = forks.entry((a.src, a.dst, a.call_id.as_str())).or_default();
        if !tags.contains(&a.dialog) {
            tags.push(a.dialog);
        }
    }
    arrows
        .iter()
        .map(|a| {
            let l = a.shown_label();
            let tags = forks.get(&(a.src, a.dst, a.call_id.as_str()));
            match tags.filter(|t| t.len() > 1 && a.dialog != 0) {
                Some(t) => {
                    // After the status code, so that a narrow column cuts the reason phrase,
                    // not the mark: "180 [fork 2] Ringing".
                    let n = t.iter().position(|d| *d == a.dialog).unwrap_or(0) + 1;
                    match l.split_once(' ') {
                        Some((code, rest)) => format!("{code} [fork {n}] {rest}"),
                        None => format!("{l} [fork {n}]"),
                    }
                }
                None => l,
            }
        })
        .collect()
}

/// Whether the message body is an SDP session description: by Content-Type,
/// inside a multipart body, or (no Content-Type at all) by its first line.
fn carries_sdp(m: &SipMessage) -> bool {
    let body = m.body();
    if body.iter().all(u8::is_ascii_whitespace) {
        return false;
    }
    match m.header(Hdr::ContentType) {
        Some(ct) => {
            let ct = ct.trim_ascii().to_ascii_lowercase();
            ct.starts_with(b"application/sdp")
                || (ct.starts_with(b"multipart/")
                    && body
                        .windows(15)
                        .any(|w| w.eq_ignore_ascii_case(b"application/sdp")))
        }
        None => body.trim_ascii_start().starts_with(b"v=0"),
    }
}

/// Bytes from the capture made fit for a terminal or a document: lossy UTF-8,
/// control and invisible formatting characters (bidi overrides, zero-width
/// spaces) replaced, at most `max` characters.
fn safe(b: &[u8], max: usize) -> String {
    let mut out = String::new();
    for (i, c) in String::from_utf8_lossy(b).chars().enumerate() {
        if i == max {
            out.pop();
            out.push('…');
            break;
        }
        out.push(if crate::report::printable::is_unsafe(c) {
            '\u{fffd}'
        } else {
            c
        });
    }
    out
}

/// Terminal cells a character takes: 0 for combining marks, 2 for East Asian
/// wide and emoji ranges, 1 otherwise. A short table rather than a dependency;
/// reason phrases are nearly always ASCII, and a miss only shifts one line.
fn cell_width(c: char) -> usize {
    match c {
        '\u{0300}'..='\u{036f}' | '\u{1ab0}'..='\u{1aff}' | '\u{20d0}'..='\u{20ff}' => 0,
        '\u{fe00}'..='\u{fe0f}' | '\u{fe20}'..='\u{fe2f}' => 0,
        '\u{1100}'..='\u{115f}'
        | '\u{2e80}'..='\u{303e}'
        | '\u{3041}'..='\u{33ff}'
        | '\u{3400}'..='\u{4dbf}'
        | '\u{4e00}'..='\u{9fff}'
        | '\u{a000}'..='\u{a4cf}'
        | '\u{ac00}'..='\u{d7a3}'
        | '\u{f900}'..='\u{faff}'
        | '\u{fe30}'..='\u{fe4f}'
        | '\u{ff00}'..='\u{ff60}'
        | '\u{ffe0}'..='\u{ffe6}'
        | '\u{1f300}'..='\u{1f64f}'
        | '\u{1f900}'..='\u{1f9ff}'
        | '\u{20000}'..='\u{3fffd}' => 2,
        _ => 1,
    }
}

fn text_width(s: &str) -> usize {
    s.chars().map(cell_width).sum()
}

/// `s` cut to at most `w` cells, ending in "…" when cut.
fn truncate_end(s: &str, w: usize) -> String {
    if text_width(s) <= w {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let cw = cell_width(c);
        if used + cw + 1 > w {
            break;
        }
        used += cw;
        out.push(c);
    }
    if w > 0 {
        out.push('…');
    }
    out
}

/// `s` cut to at most `w` cells from the left ("…0.0.7:5060"): the end of an
/// address (last octets, port) is what tells neighbouring columns apart.
fn truncate_start(s: &str, w: usize) -> String {
    if text_width(s) <= w {
        return s.to_string();
    }
    let mut tail: Vec<char> = Vec::new();
    let mut used = 0;
    for c in s.chars().rev() {
        let cw = cell_width(c);
        if used + cw + 1 > w {
            break;
        }
        used += cw;
        tail.push(c);
    }
    let mut out = String::from(if w > 0 { "…" } else { "" });
    out.extend(tail.iter().rev());
    out
}

/// What both renderers need: columns, the time origin, legs, per-arrow times.
struct Layout {
    cols: Vec<SocketAddr>,
    /// (source column, destination column) per arrow.
    ends: Vec<(usize, usize)>,
    /// The instant times are measured from, and whether it is an INVITE's.
    t0: i64,
    t0_is_invite: bool,
    times: Vec<String>,
    /// Distinct Call-IDs in order of appearance, and each arrow's index into them.
    legs: Vec<String>,
    leg_of: Vec<usize>,
}

impl Layout {
    fn new(arrows: &[Arrow]) -> Layout {
        // Columns are few (a handful of hops), so a linear search keeps the
        // order of first appearance without a map.
        let mut cols: Vec<SocketAddr> = Vec::new();
        let mut col = |a: SocketAddr| match cols.iter().position(|c| *c == a) {
            Some(i) => i,
            None => {
                cols.push(a);
                cols.len() - 1
            }
        };
        // A media address joins the lifeline of the one signalling address on its IP, if one.
        let mut signalling: Vec<SocketAddr> = arrows
            .iter()
            .filter(|a| a.media.is_none())
            .flat_map(|a| [a.src, a.dst])
            .collect();
        signalling.sort_unstable();
        signalling.dedup();
        let home = |a: SocketAddr| {
            let mut same = signalling.iter().filter(|s| s.ip() == a.ip());
            match (same.next(), same.next()) {
                (Some(s), None) => *s,
                _ => a,
            }
        };
        let ends = arrows
            .iter()
            .map(|a| match a.media {
                Some(_) => (col(home(a.src)), col(home(a.dst))),
                None => (col(a.src), col(a.dst)),
            })
            .collect();
        let first_invite = arrows.iter().find(|a| {
            a.label.starts_with("INVITE") && matches!(a.label.as_bytes().get(6), None | Some(b' '))
        });
        let (t0, t0_is_invite) = match first_invite {
            Some(a) => (a.ts_ns, true),
            None => (arrows.first().map_or(0, |a| a.ts_ns), false),
        };
        let mut times: Vec<String> = arrows.iter().map(|a| since(a.ts_ns - t0, 3)).collect();
        // A proxy answers within a millisecond: if milliseconds would show two
        // different times as the same, show microseconds throughout.
        let collapsed = arrows
            .windows(2)
            .zip(times.windows(2))
            .any(|(a, t)| a[0].ts_ns != a[1].ts_ns && t[0] == t[1]);
        if collapsed {
            times = arrows.iter().map(|a| since(a.ts_ns - t0, 6)).collect();
        }
        let mut legs: Vec<String> = Vec::new();
        let leg_of = arrows
            .iter()
            .map(|a| match legs.iter().position(|l| *l == a.call_id) {
                Some(i) => i,
                None => {
                    legs.push(a.call_id.clone());
                    legs.len() - 1
                }
            })
            .collect();
        Layout {
            cols,
            ends,
            t0,
            t0_is_invite,
            times,
            legs,
            leg_of,
        }
    }

    /// The left-margin text of an arrow: its time, and its leg when there are several.
    fn margin_text(&self, i: usize) -> String {
        if self.legs.len() > 1 {
            let w = self.legs.len().to_string().len();
            format!("{} {:>w$}", self.times[i], self.leg_of[i] + 1)
        } else {
            self.times[i].clone()
        }
    }

    fn t0_line(&self) -> String {
        format!(
            "t0 {} ({})",
            utc(self.t0),
            if self.t0_is_invite {
                "first INVITE"
            } else {
                "first message"
            }
        )
    }
}

/// "+12.345s" (3 decimals) or "+12.345678s" (6): truncated toward zero so a
/// time never reads later than it was.
fn since(d_ns: i64, decimals: u32) -> String {
    let sign = if d_ns < 0 { '-' } else { '+' };
    let unit = 10u64.pow(9 - decimals.min(9));
    let frac = d_ns.unsigned_abs() / unit;
    let per_s = 10u64.pow(decimals.min(9));
    format!(
        "{sign}{}.{:0w$}s",
        frac / per_s,
        frac % per_s,
        w = decimals as usize
    )
}

/// Narrowest column (lifeline to lifeline) that still shows a short label.
const MIN_COL: usize = 12;
/// Widest column: beyond this, longer labels are cut rather than spreading the diagram.
const MAX_COL: usize = 40;
/// Widest column for an RTP arrow's label (its figures are at its end), when the width allows.
const MAX_MEDIA_COL: usize = 56;

/// One line of the text diagram, one string per terminal cell (a wide
/// character fills its cell and leaves the next one empty).
struct Row(Vec<String>);

impl Row {
    fn blank(len: usize, lifelines: &[usize]) -> Row {
        let mut r = Row(vec![" ".to_string(); len]);
        for &p in lifelines {
            r.0[p] = "│".into();
        }
        r
    }

    /// Writes `s` from cell `at`, stopping at the row's end.
    fn put(&mut self, at: usize, s: &str) {
        let mut x = at;
        for c in s.chars() {
            let w = cell_width(c);
            if w == 0 {
                // A combining mark joins the character before it.
                if x > at {
                    self.0[x - 1].push(c);
                }
                continue;
            }
            if x + w > self.0.len() {
                break;
            }
            self.0[x] = c.to_string();
            if w == 2 {
                self.0[x + 1].clear();
            }
            x += w;
        }
    }

    fn set(&mut self, at: usize, c: char) {
        self.0[at] = c.to_string();
    }

    fn finish(self) -> String {
        let s: String = self.0.concat();
        s.trim_end().to_string()
    }
}

/// The ladder for a terminal, `width` cells wide at most (100 is a good
/// default). Columns narrow down to a minimum to fit, cutting labels and
/// addresses; when even that is too wide a note says so and the diagram is
/// drawn wider. Arrows are drawn in the order given.
pub fn render_text(arrows: &[Arrow], width: usize) -> String {
    if arrows.is_empty() {
        return "(no messages)\n".into();
    }
    let lay = Layout::new(arrows);
    let labels = shown_labels(arrows);
    let margin = (0..arrows.len())
        .map(|i| text_width(&lay.margin_text(i)))
        .max()
        .unwrap_or(0)
        + 1;
    let addrs: Vec<String> = lay.cols.iter().map(|a| a.to_string()).collect();
    let n = lay.cols.len();

    // A label between neighbours needs itself, a space either side, a dash
    // either side, the arrowhead and the target lifeline: 6 more cells.
    let longest = |media: bool| {
        labels
            .iter()
            .zip(arrows)
            .filter(|(_, a)| a.media.is_some() == media)
            .map(|(l, _)| text_width(l))
            .max()
            .unwrap_or(0)
    };
    let longest_addr = addrs.iter().map(|a| text_width(a)).max().unwrap_or(0);
    let want = (longest(false) + 6)
        .max(longest_addr + 1)
        .clamp(MIN_COL, MAX_COL)
        .max((longest(true) + 6).min(MAX_MEDIA_COL));
    let room = width.saturating_sub(margin) / n;
    let col = want.min(room).max(MIN_COL);
    let line_len = margin + n * col;
    let lifelines: Vec<usize> = (0..n).map(|i| margin + i * col + col / 2).collect();

    let mut out = String::new();
    let mut head = vec![truncate_end(&lay.t0_line(), width)];
    if lay.legs.len() > 1 {
        for (i, l) in lay.legs.iter().enumerate() {
            head.push(truncate_end(&format!("leg {}: Call-ID {l}", i + 1), width));
        }
    }
    if line_len > width {
        head.push(format!(
            "note: {n} addresses need {line_len} columns at the narrowest; drawn wider than {width}"
        ));
    }
    for l in head {
        let _ = writeln!(out, "{l}");
    }

    let mut header = Row::blank(line_len, &[]);
    for (a, &p) in addrs.iter().zip(&lifelines) {
        let a = truncate_start(a, col - 1);
        header.put(p - (text_width(&a) - 1) / 2, &a);
    }
    let _ = writeln!(out, "{}", header.finish());
    let _ = writeln!(out, "{}", Row::blank(line_len, &lifelines).finish());

    for (i, a) in arrows.iter().enumerate() {
        let mut row = Row::blank(line_len, &lifelines);
        let m = lay.margin_text(i);
        row.put(margin - 1 - text_width(&m), &m);
        let (s, d) = lay.ends[i];
        let (ps, pd) = (lifelines[s], lifelines[d]);
        let dash = match (a.media, a.retransmission) {
            (Some(_), _) => '═',
            (None, true) => '┄',
            (None, false) => '─',
        };
        if s == d {
            // To itself (a loopback or a B2BUA talking to its own port):
            // a loop mark beside the lifeline, the label after it.
            row.set(ps, '├');
            row.set(ps + 1, dash);
            row.set(ps + 2, '↺');
            let space = line_len - (ps + 4);
            row.put(ps + 4, &truncate_end(&labels[i], space));
        } else {
            let (lo, hi) = (ps.min(pd), ps.max(pd));
            for x in lo + 1..hi {
                row.set(x, if lifelines.contains(&x) { '┼' } else { dash });
            }
            // The source lifeline sprouts the arrow; the head touches the target.
            if s < d {
                row.set(ps, '├');
                row.set(pd - 1, '>');
            } else {
                row.set(ps, '┤');
                row.set(pd + 1, '<');
            }
            // The label sits centred on the shaft: cells between the lifelines
            // minus the head, with a dash kept at each end.
            let shaft = hi - lo - 2;
            let fit = shaft.saturating_sub(4);
            if fit > 0 {
                let l = format!(" {} ", truncate_end(&labels[i], fit));
                let start = if s < d { lo + 1 } else { lo + 2 };
                row.put(start + (shaft - text_width(&l)) / 2, &l);
            }
        }
        let _ = writeln!(out, "{}", row.finish());
    }
    out
}

/// Text for an SVG text node or attribute value: the five XML entities, and
/// characters XML 1.0 forbids (C0 controls, U+FFFE/U+FFFF) and those that
/// `printable` refuses (C1 controls, bidi overrides and isolates, zero-width
/// characters: they can reorder or hide what a reader sees) replaced.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if c == '\u{fffe}' || c == '\u{ffff}' || crate::report::printable::is_unsafe(c) => {
                out.push('\u{fffd}')
            }
            c => out.push(c),
        }
    }
    out
}

/// FNV-1a: a deterministic tag for this diagram's marker ids, so several
/// diagrams inlined in one HTML page do not share (or fight over) ids.
fn fnv(h: u64, b: &[u8]) -> u64 {
    b.iter()
        .fold(h, |h, &x| (h ^ u64::from(x)).wrapping_mul(0x100_0000_01b3))
}

/// Colour of an arrow: requests dark, provisional grey, 2xx green, 3xx amber,
/// failures (≥ 400) red.
fn kind(a: &Arrow) -> (&'static str, &'static str) {
    if a.media.is_some() {
        return ("rtp", "#1d4ed8");
    }
    match a.status() {
        None => ("req", "#1f2937"),
        Some(100..=199) => ("prov", "#6b7280"),
        Some(200..=299) => ("ok", "#15803d"),
        Some(300..=399) => ("redir", "#b45309"),
        Some(_) => ("fail", "#b91c1c"),
    }
}

const KINDS: [(&str, &str); 6] = [
    ("rtp", "#1d4ed8"),
    ("req", "#1f2937"),
    ("prov", "#6b7280"),
    ("ok", "#15803d"),
    ("redir", "#b45309"),
    ("fail", "#b91c1c"),
];

/// Pixels per character of the 12 px monospace font, in tenths (0.6 em).
const CHAR_TENTHS: usize = 72;

fn px(chars: usize) -> usize {
    (chars * CHAR_TENTHS).div_ceil(10)
}

/// The ladder as a standalone SVG document, sized to its content. Styling is
/// in attributes only: a `<style>` element inside an SVG inlined in HTML
/// applies to the whole page, and the HTML report inlines these. Fonts are
/// generic families, so nothing is fetched. Hovering an arrow shows its
/// absolute time, addresses, transport and Call-ID.
pub fn render_svg(arrows: &[Arrow], title: &str) -> String {
    const PAD: usize = 12;
    const ROW: usize = 30;
    const HEAD_TOP: usize = 52;
    const HEAD_H: usize = 22;

    let lay = Layout::new(arrows);
    let labels = shown_labels(arrows);
    let addrs: Vec<String> = lay.cols.iter().map(|a| a.to_string()).collect();
    let n = lay.cols.len().max(1);
    let margins: Vec<String> = (0..arrows.len()).map(|i| lay.margin_text(i)).collect();
    let margin_w = px(margins.iter().map(|m| text_width(m)).max().unwrap_or(0)) + 2 * PAD;
    let longest_label = labels.iter().map(|l| text_width(l)).max().unwrap_or(0);
    let longest_addr = addrs.iter().map(|a| text_width(a)).max().unwrap_or(0);
    let col = (px(longest_label) + 40)
        .clamp(150, 480)
        .max(px(longest_addr) + 24);
    let lifeline = |i: usize| margin_w + i * col + col / 2;

    let top = HEAD_TOP + HEAD_H;
    let bottom = top + ROW * (arrows.len() + 1);
    let legend_h = if lay.legs.len() > 1 {
        18 * lay.legs.len() + 8
    } else {
        0
    };
    let title_w = px(text_width(title)) * 14 / 12 + 2 * PAD;
    let t0 = if arrows.is_empty() {
        "no messages".to_string()
    } else {
        lay.t0_line()
    };
    let width = (margin_w + n * col + PAD)
        .max(title_w)
        .max(px(text_width(&t0)) + 2 * PAD);
    let self_in_last = (0..arrows.len())
        .filter(|&i| lay.ends[i] == (n - 1, n - 1))
        .map(|i| lifeline(n - 1) + 36 + px(text_width(&labels[i])) + PAD)
        .max()
        .unwrap_or(0);
    let width = width.max(self_in_last);
    let height = bottom + legend_h + PAD;

    let mut id = fnv(0xcbf2_9ce4_8422_2325, title.as_bytes());
    for a in arrows {
        id = fnv(id, &a.ts_ns.to_le_bytes());
        id = fnv(id, a.label.as_bytes());
        id = fnv(id, a.src.to_string().as_bytes());
        id = fnv(id, a.dst.to_string().as_bytes());
    }
    let id = format!("ladder-{id:016x}");

    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="monospace" font-size="12" role="img" aria-labelledby="{id}-title">"#
    );
    let _ = writeln!(s, r#"<title id="{id}-title">{}</title>"#, xml(title));
    let _ = writeln!(s, "<defs>");
    for (k, colour) in KINDS {
        let _ = writeln!(
            s,
            r#"<marker id="{id}-{k}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>"#
        );
    }
    let _ = writeln!(s, "</defs>");
    let _ = writeln!(
        s,
        r##"<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>"##
    );
    let _ = writeln!(
        s,
        r##"<text x="{PAD}" y="22" font-family="sans-serif" font-size="14" font-weight="bold" fill="#111827">{}</text>"##,
        xml(title)
    );
    let _ = writeln!(
        s,
        r##"<text x="{PAD}" y="40" font-size="11" fill="#6b7280">{}</text>"##,
        xml(&t0)
    );

    for (i, a) in addrs.iter().enumerate() {
        let x = lifeline(i);
        let shown = truncate_start(a, (col - 24) * 10 / CHAR_TENTHS);
        let box_w = px(text_width(&shown)) + 16;
        let _ = writeln!(
            s,
            r##"<rect x="{}" y="{HEAD_TOP}" width="{box_w}" height="{HEAD_H}" rx="3" fill="#f3f4f6" stroke="#9ca3af"/>"##,
            x - box_w / 2
        );
        let _ = writeln!(
            s,
            r##"<text x="{x}" y="{}" text-anchor="middle" fill="#111827">{}</text>"##,
            HEAD_TOP + 15,
            xml(&shown)
        );
        let _ = writeln!(
            s,
            r##"<line class="lifeline" x1="{x}" y1="{top}" x2="{x}" y2="{bottom}" stroke="#9ca3af" stroke-width="1"/>"##
        );
    }

    for (i, a) in arrows.iter().enumerate() {
        let y = top + ROW * (i + 1);
        let (k, colour) = kind(a);
        let (sc, dc) = lay.ends[i];
        let (xs, xd) = (lifeline(sc), lifeline(dc));
        let dash = match (a.media, a.retransmission) {
            (Some(MediaMark::Stop), _) => r#" stroke-dasharray="2 3""#,
            (Some(MediaMark::Start), _) => "",
            (None, true) => r#" stroke-dasharray="5 4""#,
            (None, false) => "",
        };
        let stroke = if a.media == Some(MediaMark::Start) {
            "2.5"
        } else {
            "1.5"
        };
        let italic = if a.retransmission {
            r#" font-style="italic""#
        } else {
            ""
        };
        let _ = writeln!(s, r#"<g class="arrow">"#);
        let _ = writeln!(
            s,
            "<title>{}</title>",
            xml(&format!(
                "{}  {} → {}  {}  {}  Call-ID {}",
                utc(a.ts_ns),
                a.src,
                a.dst,
                a.transport.as_str().to_uppercase(),
                labels[i],
                a.call_id
            ))
        );
        let _ = writeln!(
            s,
            r##"<text x="{}" y="{}" text-anchor="end" fill="#374151">{}</text>"##,
            margin_w - PAD,
            y + 4,
            xml(&margins[i])
        );
        if sc == dc {
            // To itself: a small loop right of the lifeline, the label after it.
            let _ = writeln!(
                s,
                r#"<path d="M{xs},{} h28 v12 h-27" fill="none" stroke="{colour}" stroke-width="{stroke}"{dash} marker-end="url(#{id}-{k})"/>"#,
                y - 6
            );
            // Up to the next lifeline; the last column's label has the
            // drawing widened for it instead (see `width`).
            let fit = if sc + 1 < n {
                (col - 44) * 10 / CHAR_TENTHS
            } else {
                usize::MAX
            };
            let _ = writeln!(
                s,
                r#"<text x="{}" y="{}" fill="{colour}"{italic}>{}</text>"#,
                xs + 36,
                y + 4,
                xml(&truncate_end(&labels[i], fit))
            );
        } else {
            let _ = writeln!(
                s,
                r#"<line x1="{xs}" y1="{y}" x2="{xd}" y2="{y}" stroke="{colour}" stroke-width="{stroke}"{dash} marker-end="url(#{id}-{k})"/>"#
            );
            let span = xs.abs_diff(xd);
            let fit = span.saturating_sub(16) * 10 / CHAR_TENTHS;
            let _ = writeln!(
                s,
                r#"<text x="{}" y="{}" text-anchor="middle" fill="{colour}"{italic}>{}</text>"#,
                xs.min(xd) + span / 2,
                y - 5,
                xml(&truncate_end(&labels[i], fit))
            );
        }
        let _ = writeln!(s, "</g>");
    }

    if lay.legs.len() > 1 {
        for (i, l) in lay.legs.iter().enumerate() {
            let _ = writeln!(
                s,
                r##"<text x="{PAD}" y="{}" font-size="11" fill="#374151">{}</text>"##,
                bottom + 18 * (i + 1),
                xml(&format!("leg {}: Call-ID {l}", i + 1))
            );
        }
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::scan::{scan, Mode};
    use crate::sip::{Carriage, Origin};

    const CALLER: &str = "10.0.0.1:5060";
    const PROXY: &str = "10.0.0.2:5060";
    const CALLEE: &str = "10.0.0.3:5060";
    /// 2024-03-01T12:34:56Z
    const T0: i64 = 1_709_296_496_000_000_000;

    fn msg(ts_ms: i64, src: &str, dst: &str, text: &str) -> SipMessage {
        let raw = text.replace('\n', "\r\n").into_bytes();
        let head = scan(&raw, Mode::Datagram).unwrap();
        SipMessage::new(
            (
                T0 + ts_ms * 1_000_000,
                src.parse().unwrap(),
                dst.parse().unwrap(),
                Transport::Udp,
                Origin::default(),
                Carriage::default(),
            ),
            raw.into(),
            head,
        )
    }

    const SDP: &str =
        "v=0\no=- 1 1 IN IP4 10.0.0.1\ns=-\nc=IN IP4 10.0.0.1\nt=0 0\nm=audio 4000 RTP/AVP 0\n";

    fn request(method: &str, cseq: &str, sdp: bool) -> String {
        let body = if sdp { SDP } else { "" };
        let ct = if sdp {
            "Content-Type: application/sdp\n"
        } else {
            ""
        };
        format!(
            "{method} sip:bob@example.com SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\n\
             From: <sip:alice@example.com>;tag=a\nTo: <sip:bob@example.com>\nCall-ID: c1@example.com\n\
             CSeq: {cseq}\n{ct}Content-Length: {}\n\n{body}",
            body.replace('\n', "\r\n").len()
        )
    }

    fn response(status: &str, cseq: &str) -> String {
        format!(
            "SIP/2.0 {status}\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\n\
             From: <sip:alice@example.com>;tag=a\nTo: <sip:bob@example.com>;tag=b\n\
             Call-ID: c1@example.com\nCSeq: {cseq}\nContent-Length: 0\n\n"
        )
    }

    /// caller → proxy → callee: the INVITE, its answers relayed back, the ACK relayed on.
    fn proxied_call() -> Vec<Arrow> {
        let inv = request("INVITE", "1 INVITE", true);
        let ack = request("ACK", "1 ACK", false);
        [
            msg(0, CALLER, PROXY, &inv),
            msg(2, PROXY, CALLER, &response("100 Trying", "1 INVITE")),
            msg(3, PROXY, CALLEE, &inv),
            msg(150, CALLEE, PROXY, &response("180 Ringing", "1 INVITE")),
            msg(151, PROXY, CALLER, &response("180 Ringing", "1 INVITE")),
            msg(4_200, CALLEE, PROXY, &response("200 OK", "1 INVITE")),
            msg(4_201, PROXY, CALLER, &response("200 OK", "1 INVITE")),
            msg(4_230, CALLER, PROXY, &ack),
            msg(4_231, PROXY, CALLEE, &ack),
        ]
        .iter()
        .map(|m| Arrow::from_message(m, false))
        .collect()
    }

    #[test]
    fn labels_from_messages() {
        let a = proxied_call();
        let labels: Vec<&str> = a.iter().map(|a| a.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "INVITE (SDP)",
                "100 Trying",
                "INVITE (SDP)",
                "180 Ringing",
                "180 Ringing",
                "200 OK",
                "200 OK",
                "ACK",
                "ACK"
            ]
        );
        assert_eq!(a[0].call_id, "c1@example.com");
        assert_eq!(a[0].status(), None);
        assert_eq!(a[3].status(), Some(180));

        // A hostile reason phrase: an escape sequence and invalid UTF-8 do not survive.
        let raw = b"SIP/2.0 403 Go \x1b[2Jaway \xff\r\nCall-ID: x\r\n\r\n".to_vec();
        let head = scan(&raw, Mode::Datagram).unwrap();
        let a: SocketAddr = CALLER.parse().unwrap();
        let m = SipMessage::new(
            (
                0,
                a,
                a,
                Transport::Udp,
                Origin::default(),
                Carriage::default(),
            ),
            raw.into(),
            head,
        );
        let l = Arrow::from_message(&m, false).label;
        assert_eq!(l, "403 Go \u{fffd}[2Jaway \u{fffd}");
        // Without a body an INVITE is not marked, even with an SDP Content-Type.
        let bare = request("INVITE", "1 INVITE", false).replace(
            "Content-Length",
            "Content-Type: application/sdp\nContent-Length",
        );
        assert_eq!(
            Arrow::from_message(&msg(0, CALLER, PROXY, &bare), false).label,
            "INVITE"
        );
    }

    /// Issue #15: a forked INVITE's 180s from two phones (two To tags) on one hop
    /// are two early dialogs, drawn as forks, never as a retransmission.
    #[test]
    fn forked_responses_are_marked_as_forks() {
        let mut arrows = proxied_call();
        let fork = response("180 Ringing", "1 INVITE").replace("tag=b", "tag=other");
        arrows.insert(
            5,
            Arrow::from_message(&msg(300, PROXY, CALLER, &fork), false),
        );
        let text = render_text(&arrows, 120);
        assert!(text.contains("180 [fork 1] Ringing"), "{text}");
        assert!(text.contains("180 [fork 2] Ringing"), "{text}");
        assert!(!text.contains("(retr.)"), "{text}");
        // The 200 says which fork answered; the callee's hop saw one dialog only and
        // stays unmarked, as does a call without forks.
        assert!(text.contains("200 [fork 1] OK"), "{text}");
        assert_eq!(text.matches("[fork").count(), 3, "{text}");
        assert!(!render_text(&proxied_call(), 120).contains("[fork"));
    }

    #[test]
    fn text_ladder_through_a_proxy() {
        let mut arrows = proxied_call();
        // The 100 Trying was lost on its way: the caller retransmits the INVITE.
        let mut retr = arrows[0].clone();
        retr.ts_ns += 500_000_000;
        retr.retransmission = true;
        arrows.insert(5, retr);

        let out = render_text(&arrows, 100);
        let lines: Vec<&str> = out.lines().collect();
        for l in &lines {
            assert!(l.chars().count() <= 100, "too wide: {l:?}");
        }
        assert!(lines[0].starts_with("t0 2024-03-01T12:34:56.000000Z (first INVITE)"));
        // Three columns: three addresses in the header, three lifelines below it.
        assert!(lines[1].contains(CALLER) && lines[1].contains(PROXY) && lines[1].contains(CALLEE));
        assert_eq!(lines[2].matches('│').count(), 3);

        let rows = &lines[3..];
        assert_eq!(rows.len(), 10);
        let row = |label: &str, nth: usize| {
            *rows
                .iter()
                .filter(|r| r.contains(label))
                .nth(nth)
                .unwrap_or_else(|| panic!("no row {nth} for {label}"))
        };
        // Towards the callee the arrows point right, back towards the caller left.
        assert!(row("INVITE (SDP) ─", 0).starts_with("+0.000s"));
        assert!(row("INVITE (SDP) ─", 0).contains("─>│"));
        assert!(row("100 Trying", 0).contains("│<─"));
        assert!(!row("180 Ringing", 0).contains("─>"));
        assert!(row("180 Ringing", 0).contains("<─"));
        assert!(row("200 OK", 1).starts_with("+4.201s"));
        assert!(row("ACK", 1).contains("─>│"));
        assert!(row("ACK", 1).starts_with("+4.231s"));
        // The INVITE relayed on starts at the proxy, not at the caller.
        let relay = row("INVITE (SDP) ─", 1);
        assert_eq!(relay.matches('│').count(), 2);
        assert!(relay.contains("├"));
        // The retransmission is marked in words and drawn dotted.
        let r = row("(retr.)", 0);
        assert!(r.starts_with("+0.500s") && r.contains('┄'));
    }

    #[test]
    fn text_ladder_golden_two_columns() {
        let a = CALLER;
        let b = CALLEE;
        let inv = request("INVITE", "1 INVITE", true);
        let bye = request("BYE", "2 BYE", false);
        let mut arrows: Vec<Arrow> = [
            msg(0, a, b, &inv),
            msg(500, a, b, &inv),
            msg(520, b, a, &response("180 Ringing", "1 INVITE")),
            msg(3_015, b, a, &response("200 OK", "1 INVITE")),
            msg(3_020, a, b, &request("ACK", "1 ACK", false)),
            msg(63_020, b, a, &bye),
            msg(63_021, a, b, &response("200 OK", "2 BYE")),
        ]
        .iter()
        .map(|m| Arrow::from_message(m, false))
        .collect();
        arrows[1].retransmission = true;
        let expected = "\
t0 2024-03-01T12:34:56.000000Z (first INVITE)
                10.0.0.1:5060             10.0.0.3:5060
                      │                         │
 +0.000s              ├───── INVITE (SDP) ─────>│
 +0.500s              ├┄ INVITE (SDP) (retr.) ┄>│
 +0.520s              │<───── 180 Ringing ──────┤
 +3.015s              │<──────── 200 OK ────────┤
 +3.020s              ├───────── ACK ──────────>│
+63.020s              │<───────── BYE ──────────┤
+63.021s              ├──────── 200 OK ────────>│
";
        assert_eq!(render_text(&arrows, 100), expected);
    }

    /// A call and its two RTP streams (issue #12): each stream's start and stop drawn between
    /// the phones' own lifelines (their SIP addresses share the media's IP); media from an IP
    /// with no SIP gets a column of its own.
    #[test]
    fn rtp_start_and_stop_between_the_phones() {
        let (a, b) = (CALLER, CALLEE);
        let media = |ts_ms: i64, src: &str, dst: &str, label: &str, mark| Arrow {
            ts_ns: T0 + ts_ms * 1_000_000,
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            label: label.into(),
            retransmission: false,
            transport: Transport::Udp,
            call_id: "c1@example.com".into(),
            dialog: 0,
            media: Some(mark),
        };
        let start = "RTP PT=0 (PCMU) 150 pkts, lost 3, jitter 4.1 ms";
        let mut arrows: Vec<Arrow> = [
            msg(0, a, b, &request("INVITE", "1 INVITE", true)),
            msg(3_015, b, a, &response("200 OK", "1 INVITE")),
            msg(3_020, a, b, &request("ACK", "1 ACK", false)),
        ]
        .iter()
        .map(|m| Arrow::from_message(m, false))
        .collect();
        arrows.extend([
            media(
                3_030,
                "10.0.0.1:4000",
                "10.0.0.3:5004",
                start,
                MediaMark::Start,
            ),
            media(
                3_040,
                "10.0.0.3:5004",
                "10.0.0.1:4000",
                "RTP PT=0 (PCMU) 149 pkts, lost 0, jitter 1.0 ms",
                MediaMark::Start,
            ),
            media(
                6_030,
                "10.0.0.1:4000",
                "10.0.0.3:5004",
                "RTP stop",
                MediaMark::Stop,
            ),
            media(
                6_040,
                "10.0.0.3:5004",
                "10.0.0.1:4000",
                "RTP stop",
                MediaMark::Stop,
            ),
        ]);
        let out = render_text(&arrows, 120);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines[1].split_whitespace().collect::<Vec<_>>(),
            [a, b],
            "{out}"
        );
        let row = |needle: &str| {
            *lines
                .iter()
                .find(|l| l.contains(needle))
                .unwrap_or_else(|| panic!("{needle}: {out}"))
        };
        let r = row(start);
        assert!(
            r.starts_with("+3.030s") && r.contains("├═") && r.contains("═>│"),
            "{out}"
        );
        assert!(row("149 pkts").contains("│<═"), "{out}");
        assert_eq!(out.matches("RTP stop").count(), 2, "{out}");
        // At 100 columns the label is cut at its end, the figures that fit kept.
        assert!(render_text(&arrows, 100).contains("RTP PT=0 (PCMU) 150 pkts, lost 3"));

        // A media relay no SIP message came from: a third column.
        arrows.push(media(
            6_050,
            "10.0.0.9:7000",
            "10.0.0.1:4000",
            "RTP PT=8 (PCMA) 1 pkts, lost 0",
            MediaMark::Start,
        ));
        let out = render_text(&arrows, 140);
        assert!(
            out.lines().nth(1).unwrap().contains("10.0.0.9:7000"),
            "{out}"
        );

        let svg = render_svg(&arrows, "Call c1@example.com");
        assert_balanced(&svg);
        assert!(svg.contains(&format!(">{start}</text>")), "{svg}");
        assert!(svg.contains(r##"stroke="#1d4ed8" stroke-width="2.5""##));
        assert!(svg.contains(r#"stroke-dasharray="2 3""#));
        assert_eq!(svg.matches(r#"class="lifeline""#).count(), 3);
    }

    /// The label comes from the stream's figures as the streams table has them.
    #[test]
    fn rtp_arrows_from_a_stream_row() {
        let mut t = crate::media::MediaTracker::new(true);
        for seq in (0..100u16).filter(|s| *s != 50) {
            t.on_rtp(&crate::media::RtpPacket {
                ts_ns: i64::from(seq) * 20_000_000,
                origin: Origin::default(),
                src: "10.0.0.1:4000".parse().unwrap(),
                dst: "10.0.0.3:5004".parse().unwrap(),
                ssrc: 1,
                seq,
                timestamp: u32::from(seq) * 160,
                pt: 0,
                marker: false,
                payload_len: 160,
            });
        }
        let rows = crate::media::stream_rows(&t);
        let [start, stop] = Arrow::rtp(&rows[0]);
        assert_eq!(
            start.label,
            "RTP PT=0 (PCMU) 99 pkts, lost 1, jitter 0.0 ms"
        );
        assert_eq!((start.ts_ns, stop.ts_ns), (0, 99 * 20_000_000));
        assert_eq!(
            (start.media, stop.media, stop.label.as_str()),
            (Some(MediaMark::Start), Some(MediaMark::Stop), "RTP stop")
        );
        assert_eq!(start.status(), None);
    }

    #[test]
    fn too_many_columns_narrow_then_overflow_with_a_note() {
        let addr = |i: usize| -> SocketAddr { format!("192.168.100.{i}:5060").parse().unwrap() };
        let chain = |hops: usize| -> Vec<Arrow> {
            (0..hops)
                .map(|i| Arrow {
                    ts_ns: i as i64 * 1_000_000,
                    src: addr(i),
                    dst: addr(i + 1),
                    label: "INVITE (SDP)".into(),
                    retransmission: false,
                    transport: Transport::Udp,
                    call_id: "c".into(),
                    dialog: 0,
                    media: None,
                })
                .collect()
        };
        // Six addresses: columns narrow and addresses are cut from the left to fit.
        let out = render_text(&chain(5), 100);
        assert!(out.lines().all(|l| l.chars().count() <= 100), "{out}");
        assert!(!out.contains("note:"));
        assert!(out.contains("…"));
        // Twelve: no longer fits; said so, and drawn anyway.
        let out = render_text(&chain(11), 100);
        assert!(out
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("note: 12 addresses"));
        assert_eq!(out.lines().count(), 1 + 1 + 2 + 11);
        // Deterministic.
        assert_eq!(out, render_text(&chain(11), 100));
    }

    #[test]
    fn legs_self_arrows_and_wide_text() {
        let a: SocketAddr = CALLER.parse().unwrap();
        let b: SocketAddr = PROXY.parse().unwrap();
        let arrow = |ts, src, dst, label: &str, call_id: &str| Arrow {
            ts_ns: ts,
            src,
            dst,
            label: label.into(),
            retransmission: false,
            transport: Transport::Tcp,
            call_id: call_id.into(),
            dialog: 0,
            media: None,
        };
        let arrows = [
            arrow(0, a, b, "INVITE", "leg-a"),
            arrow(1_000_000, b, b, "OPTIONS", "leg-b"),
            arrow(2_000_000, b, a, "480 一時的に利用できません", "leg-a"),
        ];
        let out = render_text(&arrows, 60);
        assert!(out.contains("leg 1: Call-ID leg-a") && out.contains("leg 2: Call-ID leg-b"));
        assert!(out.contains("↺ OPTIONS"));
        let width = |l: &str| l.chars().map(cell_width).sum::<usize>();
        assert!(out.lines().all(|l| width(l) <= 60), "{out}");
        let svg = render_svg(&arrows, "two legs");
        assert!(svg.contains("leg 2: Call-ID leg-b"));
        assert_balanced(&svg);
    }

    /// Every opened element is closed, in order (comments and declarations are not expected).
    fn assert_balanced(svg: &str) {
        let mut open: Vec<&str> = Vec::new();
        let mut rest = svg;
        while let Some(i) = rest.find('<') {
            rest = &rest[i + 1..];
            let end = rest.find('>').expect("unterminated tag");
            let tag = &rest[..end];
            rest = &rest[end + 1..];
            assert!(!tag.contains('<'), "'<' inside a tag: {tag}");
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(open.pop(), Some(name.trim()), "mismatched </{name}>");
            } else if !tag.ends_with('/') {
                open.push(tag.split_whitespace().next().unwrap_or(""));
            }
        }
        assert!(open.is_empty(), "unclosed: {open:?}");
        assert!(svg.trim_start().starts_with("<svg ") && svg.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn svg_text_neutralises_bidi_overrides_and_invisible_characters() {
        assert_eq!(
            super::xml("a\u{202e}b\u{2066}c\u{200b}d\u{1b}e"),
            "a\u{fffd}b\u{fffd}c\u{fffd}d\u{fffd}e"
        );
        assert_eq!(super::xml("José\tx"), "José x");
    }

    #[test]
    fn svg_ladder_is_self_contained_and_escaped() {
        let mut arrows = proxied_call();
        let mut retr = arrows[0].clone();
        retr.ts_ns += 500_000_000;
        retr.retransmission = true;
        arrows.push(retr);
        let evil = msg(
            5_000,
            CALLEE,
            PROXY,
            &response("500 <script>alert(1)</script>", "1 INVITE"),
        );
        arrows.push(Arrow::from_message(&evil, false));

        let svg = render_svg(&arrows, "Call c1@example.com & <friends>");
        assert_balanced(&svg);
        assert_eq!(svg.matches(r#"class="lifeline""#).count(), 3);
        for l in ["INVITE (SDP)", "100 Trying", "180 Ringing", "200 OK", "ACK"] {
            assert!(svg.contains(&format!(">{l}</text>")), "label {l} missing");
        }
        assert!(svg.contains("+4.231s"));
        assert!(!svg.contains("<script"));
        assert!(svg.contains("500 &lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(svg.contains("Call c1@example.com &amp; &lt;friends&gt;"));
        // Retransmission dashed and marked; colours by outcome.
        assert!(svg.contains("stroke-dasharray") && svg.contains("(retr.)"));
        assert!(svg.contains(r##"stroke="#b91c1c""##));
        assert!(svg.contains(r##"stroke="#15803d""##));
        assert!(svg.contains(r##"stroke="#6b7280""##));
        // Self-contained: nothing fetched, no stylesheet to leak into a host page.
        assert!(!svg.contains("<style") && !svg.contains("href") && !svg.contains("@import"));
        assert!(svg.contains(r#"font-family="monospace""#));
        assert_eq!(svg, render_svg(&arrows, "Call c1@example.com & <friends>"));
    }

    #[test]
    fn empty_input() {
        assert_eq!(render_text(&[], 100), "(no messages)\n");
        assert_balanced(&render_svg(&[], "nothing"));
    }

    #[test]
    fn sub_millisecond_answers_show_microseconds() {
        let a: SocketAddr = CALLER.parse().unwrap();
        let b: SocketAddr = PROXY.parse().unwrap();
        let arrow = |ts, src, dst, label: &str| Arrow {
            ts_ns: ts,
            src,
            dst,
            label: label.into(),
            retransmission: false,
            transport: Transport::Udp,
            call_id: "c".into(),
            dialog: 0,
            media: None,
        };
        // A 503 289 µs after the INVITE: milliseconds would say +0.000s twice.
        let fast = [arrow(0, a, b, "INVITE"), arrow(289_000, b, a, "503 Busy")];
        let out = render_text(&fast, 100);
        assert!(
            out.contains("+0.000000s") && out.contains("+0.000289s"),
            "{out}"
        );
        // Times a millisecond or more apart keep milliseconds.
        let slow = [arrow(0, a, b, "INVITE"), arrow(1_289_000, b, a, "503 Busy")];
        assert!(render_text(&slow, 100).contains("+0.001s"));
    }

    #[test]
    fn times_and_cuts() {
        assert_eq!(since(0, 3), "+0.000s");
        assert_eq!(since(12_345_678_901, 3), "+12.345s");
        assert_eq!(since(-100_000_000, 3), "-0.100s");
        assert_eq!(since(289_123, 6), "+0.000289s");
        assert_eq!(truncate_end("180 Ringing", 6), "180 R…");
        assert_eq!(truncate_start("192.168.100.7:5060", 11), "…100.7:5060");
        assert_eq!(xml("a\u{1}<b>&\"'"), "a\u{fffd}&lt;b&gt;&amp;&quot;&#39;");
    }
}
