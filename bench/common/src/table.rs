//! Markdown tables and human-readable numbers.

use std::time::Duration;

/// A markdown table: a header row and rows of cells. Columns whose header is listed in
/// `right` are right-aligned (numbers).
#[derive(Clone, Debug, Default)]
pub struct Table {
    headers: Vec<String>,
    right: Vec<bool>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// `columns`: (header, right-aligned).
    pub fn new(columns: &[(&str, bool)]) -> Self {
        Self {
            headers: columns.iter().map(|(h, _)| h.to_string()).collect(),
            right: columns.iter().map(|(_, r)| *r).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; it must have one cell per column.
    pub fn row(&mut self, cells: Vec<String>) {
        assert_eq!(cells.len(), self.headers.len(), "row width");
        self.rows.push(cells);
    }

    /// The table as GitHub-flavoured markdown, columns padded to their widest cell.
    pub fn to_markdown(&self) -> String {
        let width = |i: usize| {
            self.rows
                .iter()
                .map(|r| r[i].chars().count())
                .chain([self.headers[i].chars().count(), 3])
                .max()
                .unwrap_or(3)
        };
        let widths: Vec<usize> = (0..self.headers.len()).map(width).collect();
        let line = |cells: &[String]| {
            let padded: Vec<String> = cells
                .iter()
                .zip(&widths)
                .zip(&self.right)
                .map(|((c, &w), &right)| {
                    if right {
                        format!("{c:>w$}")
                    } else {
                        format!("{c:<w$}")
                    }
                })
                .collect();
            format!("| {} |\n", padded.join(" | "))
        };
        let mut out = line(&self.headers);
        let rule: Vec<String> = widths
            .iter()
            .zip(&self.right)
            .map(|(&w, &right)| {
                if right {
                    format!("{}:", "-".repeat(w - 1))
                } else {
                    "-".repeat(w)
                }
            })
            .collect();
        out.push_str(&format!("| {} |\n", rule.join(" | ")));
        for r in &self.rows {
            out.push_str(&line(r));
        }
        out
    }
}

/// A duration with three significant digits in ns, µs, ms or s.
pub fn duration(d: Duration) -> String {
    let ns = d.as_nanos() as f64;
    let (v, unit) = if ns < 1e3 {
        (ns, "ns")
    } else if ns < 1e6 {
        (ns / 1e3, "µs")
    } else if ns < 1e9 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    let digits = if v >= 100.0 {
        0
    } else if v >= 10.0 {
        1
    } else {
        2
    };
    format!("{v:.digits$} {unit}")
}

/// An integer with thousands separators: 1234567 → "1,234,567".
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_aligned_markdown() {
        let mut t = Table::new(&[("message", false), ("gas", true)]);
        t.row(vec!["CreateBid".into(), "12,345".into()]);
        t.row(vec!["X".into(), "7".into()]);
        assert_eq!(
            t.to_markdown(),
            "| message   |    gas |\n\
             | --------- | -----: |\n\
             | CreateBid | 12,345 |\n\
             | X         |      7 |\n"
        );
    }

    #[test]
    #[should_panic(expected = "row width")]
    fn rows_must_fill_every_column() {
        Table::new(&[("a", false), ("b", false)]).row(vec!["x".into()]);
    }

    #[test]
    fn durations_have_three_significant_digits() {
        assert_eq!(duration(Duration::from_nanos(950)), "950 ns");
        assert_eq!(duration(Duration::from_nanos(1_234)), "1.23 µs");
        assert_eq!(duration(Duration::from_nanos(45_678)), "45.7 µs");
        assert_eq!(duration(Duration::from_micros(2_500)), "2.50 ms");
        assert_eq!(duration(Duration::from_millis(1_500)), "1.50 s");
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
