//! The time axis of the bucketed charts: bucket size, labels, and the unit
//! (seconds, minutes, hours or days: inputs years apart still read in days).

/// Bucket sizes (seconds) to pick from: the smallest giving at most ~60 buckets.
pub(super) const BUCKETS_S: [i64; 18] = [
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
];
pub(super) const TARGET_BUCKETS: i64 = 60;

/// Time since the capture start, in seconds; minutes beyond 10 minutes, hours
/// beyond 48 hours, days beyond 60 days.
#[derive(Clone, Copy, Debug)]
pub(super) struct Timeline {
    pub(super) start_ns: i64,
    pub(super) bucket_ns: i64,
    pub(super) buckets: usize,
    /// The axis unit, in seconds.
    pub(super) unit_s: i64,
}

impl Timeline {
    pub(super) fn new(start_ns: i64, end_ns: i64) -> Self {
        let span = end_ns.saturating_sub(start_ns).max(0);
        let wanted_s = span as f64 / 1e9 / TARGET_BUCKETS as f64;
        let bucket_s = BUCKETS_S
            .iter()
            .copied()
            .find(|&b| b as f64 >= wanted_s)
            .unwrap_or_else(|| (wanted_s / 86400.0).ceil() as i64 * 86400);
        let bucket_ns = bucket_s.saturating_mul(1_000_000_000);
        // The last frame opens a bucket of its own only if it falls exactly on an edge; keep it in the last one.
        let buckets = (span / bucket_ns + i64::from(span % bucket_ns != 0)).max(1) as usize;
        Timeline {
            start_ns,
            bucket_ns,
            buckets,
            unit_s: match span / 1_000_000_000 {
                s if s > 60 * 86_400 => 86_400,
                s if s > 48 * 3600 => 3600,
                s if s > 600 => 60,
                _ => 1,
            },
        }
    }

    pub(super) fn unit_ns(&self) -> f64 {
        self.unit_s as f64 * 1e9
    }

    /// The unit's name on the axis: s, min, h or d.
    pub(super) fn unit_name(&self) -> &'static str {
        match self.unit_s {
            86_400 => "d",
            3600 => "h",
            60 => "min",
            _ => "s",
        }
    }

    pub(super) fn x(&self, t_ns: i64) -> f64 {
        t_ns.saturating_sub(self.start_ns) as f64 / self.unit_ns()
    }

    pub(super) fn bucket(&self, t_ns: i64) -> usize {
        let i = t_ns.saturating_sub(self.start_ns).max(0) / self.bucket_ns;
        (i as usize).min(self.buckets - 1)
    }

    /// Left and right edge of bucket `i` on the axis.
    pub(super) fn edges(&self, i: usize) -> (f64, f64) {
        let w = self.bucket_ns as f64 / self.unit_ns();
        (i as f64 * w, (i + 1) as f64 * w)
    }

    pub(super) fn x_max(&self) -> f64 {
        self.edges(self.buckets - 1).1
    }

    pub(super) fn x_desc(&self) -> String {
        format!("time since capture start ({})", self.unit_name())
    }

    pub(super) fn bucket_text(&self) -> String {
        let s = self.bucket_ns / 1_000_000_000;
        match s {
            _ if s % 86_400 == 0 && s >= 2 * 86_400 => format!("{} d", s / 86_400),
            _ if s % 3600 == 0 => format!("{} h", s / 3600),
            _ if s % 60 == 0 => format!("{} min", s / 60),
            1 => "second".into(),
            _ => format!("{s} s"),
        }
    }
}
