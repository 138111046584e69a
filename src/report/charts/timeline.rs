//! The time axis of the bucketed charts: bucket size, labels, seconds or minutes.

/// Bucket sizes (seconds) to pick from: the smallest giving at most ~60 buckets.
pub(super) const BUCKETS_S: [i64; 18] = [
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
];
pub(super) const TARGET_BUCKETS: i64 = 60;

/// Time since the capture start, in seconds, or minutes beyond 10 minutes.
#[derive(Clone, Copy, Debug)]
pub(super) struct Timeline {
    pub(super) start_ns: i64,
    pub(super) bucket_ns: i64,
    pub(super) buckets: usize,
    pub(super) minutes: bool,
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
            minutes: span > 600 * 1_000_000_000,
        }
    }

    pub(super) fn unit_ns(&self) -> f64 {
        if self.minutes {
            60e9
        } else {
            1e9
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

    pub(super) fn x_desc(&self) -> &'static str {
        if self.minutes {
            "time since capture start (min)"
        } else {
            "time since capture start (s)"
        }
    }

    pub(super) fn bucket_text(&self) -> String {
        let s = self.bucket_ns / 1_000_000_000;
        match s {
            _ if s % 3600 == 0 => format!("{} h", s / 3600),
            _ if s % 60 == 0 => format!("{} min", s / 60),
            1 => "second".into(),
            _ => format!("{s} s"),
        }
    }
}
