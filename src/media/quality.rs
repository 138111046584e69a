//! A listening-quality estimate per stream: the ITU-T G.107 E-model, reduced
//! as passive monitors (VoIPmonitor, sipnab) reduce it — default values for
//! everything a capture cannot show (loudness, noise, echo), the codec's
//! equipment impairment Ie and loss robustness Bpl (ITU-T G.113 Appendix I),
//! a fixed jitter buffer whose late packets count as lost, and a one-way
//! delay of jitter buffer + packetisation. Every constant and where it comes
//! from is in docs/metrics.md ("MOS estimate"). An estimate to rank calls,
//! not a measurement of what a person heard.

/// R with every G.107 default (Ro − Is, G.107 §7.7 Table 3 defaults): 93.2.
pub const R_DEFAULT: f64 = 93.2;
/// Fixed jitter buffer assumed at the receiver (ms): packets later than this behind the earliest are lost to it.
pub const JITTER_BUFFER_MS: f64 = 60.0;
/// Packetisation assumed when the SDP gives no ptime (ms).
pub const DEFAULT_PTIME_MS: f64 = 20.0;
/// BurstR of G.107 §7.4: 1 = random loss (bursts are not modelled).
pub const BURST_R: f64 = 1.0;

/// A codec's E-model values: equipment impairment, loss robustness, look-ahead (ms).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CodecImpairment {
    pub ie: f64,
    pub bpl: f64,
    pub lookahead_ms: f64,
}

/// G.113 Appendix I (Tables I.1 and I.3) values by codec name; G.711 for anything else (said in the docs).
pub fn impairment(codec: &str) -> CodecImpairment {
    let c = codec.to_ascii_uppercase();
    let (ie, bpl, lookahead_ms) = match c.as_str() {
        // G.711 with packet loss concealment (G.711 Appendix I): Ie 0, Bpl 25.1.
        "PCMU" | "PCMA" | "G711" => (0.0, 25.1, 0.0),
        // G.729A with VAD: Ie 11, Bpl 19.0; 5 ms look-ahead.
        "G729" | "G729A" => (11.0, 19.0, 5.0),
        // G.723.1 at 6.3 kbit/s with VAD: Ie 15, Bpl 16.1; 7.5 ms look-ahead.
        "G723" => (15.0, 16.1, 7.5),
        // GSM full rate (06.10): Ie 20 (G.113 Table I.1); Bpl not listed: G.729A's used.
        "GSM" => (20.0, 19.0, 0.0),
        _ => (0.0, 25.1, 0.0),
    };
    CodecImpairment {
        ie,
        bpl,
        lookahead_ms,
    }
}

/// Delay impairment Id from one-way delay `d` ms (Cole & Rosenbluth's fit of G.107's Idd, as VoIPmonitor uses).
pub fn delay_impairment(d: f64) -> f64 {
    0.024 * d + if d > 177.3 { 0.11 * (d - 177.3) } else { 0.0 }
}

/// R factor for `loss` (0..1, network loss plus jitter-buffer discards), `codec`, `ptime_ms`.
pub fn r_factor(loss: f64, codec: &str, ptime_ms: f64) -> f64 {
    let c = impairment(codec);
    let ppl = (loss.clamp(0.0, 1.0)) * 100.0;
    // G.107 eq. 7-29: effective equipment impairment under loss.
    let ie_eff = c.ie + (95.0 - c.ie) * ppl / (ppl / BURST_R + c.bpl);
    let delay = JITTER_BUFFER_MS + ptime_ms + c.lookahead_ms;
    R_DEFAULT - delay_impairment(delay) - ie_eff
}

/// MOS-CQE from R (G.107 Annex B, eq. B-4).
pub fn mos(r: f64) -> f64 {
    if r <= 0.0 {
        1.0
    } else if r >= 100.0 {
        4.5
    } else {
        1.0 + 0.035 * r + r * (r - 60.0) * (100.0 - r) * 7e-6
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_g711_is_about_4_4_and_loss_lowers_it() {
        let r = r_factor(0.0, "PCMU", 20.0);
        // 93.2 − 0.024 × 80 = 91.28
        assert!((r - 91.28).abs() < 1e-9, "{r}");
        assert!((mos(r) - 4.369).abs() < 0.001, "{}", mos(r));
        let lossy = mos(r_factor(0.05, "PCMU", 20.0));
        assert!(lossy < 4.0 && lossy > 3.0, "{lossy}");
        assert!(mos(r_factor(0.0, "G729", 20.0)) < mos(r));
    }

    #[test]
    fn mos_is_bounded() {
        assert_eq!(mos(-5.0), 1.0);
        assert_eq!(mos(120.0), 4.5);
        // Everything lost: Ie,eff = 95 × 100 / (100 + 25.1) = 75.9, R = 15.4, MOS 1.13.
        assert!(mos(r_factor(1.0, "PCMU", 20.0)) < 1.2);
    }
}
