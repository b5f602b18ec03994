//! Latency monitoring: the LATENCY event time series and the per-command
//! latency histograms behind LATENCY HISTOGRAM and INFO latencystats.
//!
//! Events ("command", "fast-command", "expire-cycle", …) are recorded only
//! when `latency-monitor-threshold` is set and a sample reaches it; each
//! event keeps its last 160 per-second maxima in a ring, as Redis's
//! latency.c does. The histogram is a small HDR histogram of our own with
//! two significant digits over 1 ns … 1 s (the same bucket geometry as the
//! hdr_histogram Redis links), so percentiles and the power-of-two CDF that
//! LATENCY HISTOGRAM prints come out the way Redis's do. It is allocated the
//! first time a command runs, so idle commands cost nothing.

use std::collections::BTreeMap;

/// Samples kept per event (Redis's LATENCY_TS_LEN).
const TS_LEN: usize = 160;

#[derive(Clone, Copy, Default)]
pub struct Sample {
    /// Unix time (s); 0 = empty slot.
    pub time: i64,
    /// Milliseconds.
    pub latency: i64,
}

pub struct Series {
    pub idx: usize,
    pub max: i64,
    pub samples: [Sample; TS_LEN],
}

impl Series {
    fn new() -> Series {
        Series {
            idx: 0,
            max: 0,
            samples: [Sample::default(); TS_LEN],
        }
    }

    /// The samples oldest first.
    pub fn history(&self) -> impl Iterator<Item = &Sample> {
        (0..TS_LEN)
            .map(move |j| &self.samples[(self.idx + j) % TS_LEN])
            .filter(|s| s.time != 0)
    }

    pub fn last(&self) -> &Sample {
        &self.samples[(self.idx + TS_LEN - 1) % TS_LEN]
    }
}

#[derive(Default)]
pub struct Monitor {
    pub events: BTreeMap<String, Series>,
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl Monitor {
    /// Redis's latencyAddSampleIfNeeded: `ms` counts if the monitor is on
    /// (`threshold` > 0) and the sample reaches it.
    pub fn add_if_needed(&mut self, threshold: i64, event: &str, ms: i64) {
        if threshold > 0 && ms >= threshold {
            self.add(event, ms, unix_now());
        }
    }

    /// One sample; samples within the same second keep the largest.
    pub fn add(&mut self, event: &str, ms: i64, now: i64) {
        let ts = self
            .events
            .entry(event.to_string())
            .or_insert_with(Series::new);
        ts.max = ts.max.max(ms);
        let prev = (ts.idx + TS_LEN - 1) % TS_LEN;
        if ts.samples[prev].time == now {
            ts.samples[prev].latency = ts.samples[prev].latency.max(ms);
            return;
        }
        ts.samples[ts.idx] = Sample {
            time: now,
            latency: ms,
        };
        ts.idx = (ts.idx + 1) % TS_LEN;
    }

    /// Forget one event (case-insensitive) or all; returns how many.
    pub fn reset(&mut self, event: Option<&str>) -> usize {
        let before = self.events.len();
        match event {
            None => self.events.clear(),
            Some(e) => self.events.retain(|k, _| !k.eq_ignore_ascii_case(e)),
        }
        before - self.events.len()
    }
}

// ---------------------------------------------------------------------------
// LATENCY GRAPH: Redis's ASCII sparkline (sparkline.c), 80 columns, 4 rows,
// the area under the curve filled, each sample labelled with its age.

const GRAPH_COLS: usize = 80;
const GRAPH_ROWS: usize = 4;
const FILL: &[u8] = b"_o#";

/// Render one block of samples (value, label) as rows of text.
fn sparkline_block(out: &mut String, samples: &[(f64, String)], min: f64, max: f64) {
    let relmax = if max - min == 0.0 { 1.0 } else { max - min };
    let steps = (FILL.len() * GRAPH_ROWS) as f64;
    let labels = samples.iter().any(|(_, l)| !l.is_empty());
    let mut row = 0;
    loop {
        let mut more = false;
        let mut chars = vec![b' '; samples.len()];
        for (j, (v, label)) in samples.iter().enumerate() {
            let relval = v - min;
            let step = (((relval * steps) as i64) as f64 / relmax) as i64;
            let step = step.clamp(0, steps as i64 - 1);
            if row < GRAPH_ROWS {
                let idx = step - ((GRAPH_ROWS - row - 1) * FILL.len()) as i64;
                more = true;
                if idx >= 0 && (idx as usize) < FILL.len() {
                    chars[j] = FILL[idx as usize];
                } else if idx >= FILL.len() as i64 {
                    chars[j] = b'|';
                }
            } else {
                if labels && row - GRAPH_ROWS < 1 {
                    more = true;
                    break;
                }
                let at = row - GRAPH_ROWS - 1;
                if label.len() > at {
                    more = true;
                    chars[j] = label.as_bytes()[at];
                }
            }
        }
        if !more {
            break;
        }
        row += 1;
        out.push_str(&String::from_utf8_lossy(&chars));
        out.push('\n');
    }
}

/// The text of LATENCY GRAPH for one event series.
pub fn graph(event: &str, ts: &Series, now: i64) -> String {
    let samples: Vec<(f64, String)> = ts
        .history()
        .map(|s| {
            let e = now - s.time;
            let label = if e < 60 {
                format!("{e}s")
            } else if e < 3600 {
                format!("{}m", e / 60)
            } else if e < 3600 * 24 {
                format!("{}h", e / 3600)
            } else {
                format!("{}d", e / (3600 * 24))
            };
            (s.latency as f64, label)
        })
        .collect();
    let min = ts.history().map(|s| s.latency).min().unwrap_or(0);
    let max = ts.history().map(|s| s.latency).max().unwrap_or(0);
    let mut out = format!(
        "{event} - high {max} ms, low {min} ms (all time high {} ms)\n",
        ts.max
    );
    out.push_str(&"-".repeat(GRAPH_COLS));
    out.push('\n');
    for (n, block) in samples.chunks(GRAPH_COLS).enumerate() {
        if n > 0 {
            out.push('\n');
        }
        sparkline_block(&mut out, block, min as f64, max as f64);
    }
    out
}

// ---------------------------------------------------------------------------
// The histogram

/// Sub-buckets per power of two (2 significant digits → 256, half 128).
const SUB_BUCKETS: i64 = 256;
const HALF: i64 = 128;
/// Lowest and highest trackable values in ns (Redis's
/// LATENCY_HISTOGRAM_MIN_VALUE / MAX_VALUE).
pub const MIN_NS: i64 = 1;
pub const MAX_NS: i64 = 1_000_000_000;
/// Buckets needed to reach MAX_NS.
const BUCKETS: usize = 23;

pub struct Histogram {
    counts: Vec<u64>,
    pub total: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: vec![0; (BUCKETS + 1) * HALF as usize],
            total: 0,
        }
    }
}

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Histogram({} values)", self.total)
    }
}

impl Clone for Histogram {
    fn clone(&self) -> Self {
        Histogram {
            counts: self.counts.clone(),
            total: self.total,
        }
    }
}

fn bucket_of(v: i64) -> (i64, i64) {
    let pow2ceiling = 64 - (v | (SUB_BUCKETS - 1)).leading_zeros() as i64;
    let bucket = pow2ceiling - 8;
    (bucket, v >> bucket)
}

fn index_of(v: i64) -> usize {
    let (b, sub) = bucket_of(v);
    (((b + 1) << 7) + (sub - HALF)) as usize
}

fn value_at(index: usize) -> i64 {
    let mut bucket = (index as i64 >> 7) - 1;
    let mut sub = (index as i64 & (HALF - 1)) + HALF;
    if bucket < 0 {
        sub -= HALF;
        bucket = 0;
    }
    sub << bucket
}

/// The largest value counted in the same slot as `v`.
fn highest_equivalent(v: i64) -> i64 {
    let (b, sub) = bucket_of(v);
    let adjusted = if sub >= SUB_BUCKETS { b + 1 } else { b };
    let lowest = sub << b;
    lowest + (1i64 << adjusted) - 1
}

impl Histogram {
    /// Record one duration in ns, clamped to the tracked range.
    pub fn record(&mut self, ns: i64) {
        let v = ns.clamp(MIN_NS, MAX_NS);
        self.counts[index_of(v)] += 1;
        self.total += 1;
    }

    /// hdr_value_at_percentile: the highest equivalent value (ns) below
    /// which `p` percent of the values fall.
    pub fn percentile(&self, p: f64) -> i64 {
        let p = p.clamp(0.0, 100.0);
        let want = ((p / 100.0) * self.total as f64 + 0.5) as u64;
        let want = want.max(1);
        let mut seen = 0;
        for (i, &n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= want {
                return highest_equivalent(value_at(i));
            }
        }
        0
    }

    /// The cumulative distribution LATENCY HISTOGRAM prints: for powers of
    /// two from 1024 ns, (highest value in µs, values up to it), only where
    /// the count grew.
    pub fn cdf(&self) -> Vec<(i64, u64)> {
        let mut out = Vec::new();
        let mut prev = 0;
        let mut seen = 0u64;
        let mut i = 0usize;
        let mut level = 1024i64;
        while seen < self.total && level <= 2 * MAX_NS {
            let top = highest_equivalent(level.min(MAX_NS));
            while i < self.counts.len() && value_at(i) <= top {
                seen += self.counts[i];
                i += 1;
            }
            if seen > prev {
                out.push((top / 1000, seen));
            }
            prev = seen;
            level *= 2;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_keeps_per_second_max() {
        let mut m = Monitor::default();
        m.add("command", 10, 100);
        m.add("command", 30, 100);
        m.add("command", 20, 101);
        let s = &m.events["command"];
        let h: Vec<(i64, i64)> = s.history().map(|x| (x.time, x.latency)).collect();
        assert_eq!(h, vec![(100, 30), (101, 20)]);
        assert_eq!(s.max, 30);
        assert_eq!(m.reset(Some("COMMAND")), 1);
        assert_eq!(m.reset(None), 0);
    }

    #[test]
    fn graph_shape() {
        let mut m = Monitor::default();
        m.add("command", 100, 1000);
        m.add("command", 300, 1001);
        let g = graph("command", &m.events["command"], 1002);
        let lines: Vec<&str> = g.lines().collect();
        assert_eq!(
            lines[0],
            "command - high 300 ms, low 100 ms (all time high 300 ms)"
        );
        assert_eq!(lines[1], "-".repeat(80));
        assert_eq!(&lines[2..], [" #", " |", " |", "_|", "  ", "21", "ss"]);
    }

    #[test]
    fn index_round_trip() {
        for v in [1, 100, 255, 256, 1000, 1024, 123_456, 999_999_999] {
            let i = index_of(v);
            assert!(value_at(i) <= v && highest_equivalent(v) >= v, "{v}");
        }
    }

    #[test]
    fn percentiles_and_cdf() {
        let mut h = Histogram::default();
        for _ in 0..99 {
            h.record(1000);
        }
        h.record(1_000_000);
        assert_eq!(h.percentile(50.0), 1003);
        assert!(h.percentile(100.0) >= 1_000_000);
        let cdf = h.cdf();
        assert_eq!(cdf[0], (1, 99));
        assert_eq!(cdf.last().unwrap().1, 100);
    }
}
