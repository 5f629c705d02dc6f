//! The quarantine: a row that cannot be used ([`QuarantineRecord`]) with its reason and its
//! raw text (personal columns masked, [`PERSONAL_MASK`]), and the reasons grouped by cause
//! ([`summarize_quarantine`]). Values and text only: it reads no file and knows nothing of
//! the scan's units.

use arrow_array::ArrayRef;
pub use urval_values::personal::PERSONAL_MASK;

/// The quarantine reason of a CSV line whose fields are the header's names (two exports
/// joined into one file).
pub const REPEATED_HEADER_LINE: &str = "a repeated header line (two files joined?)";

/// The quarantine reason of a spreadsheet row whose cells are the header's names.
pub const REPEATED_HEADER_ROW: &str = "a repeated header row (two sheets joined?)";

/// A row that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct QuarantineRecord {
    /// Index of the file in the extract.
    pub file: usize,
    /// Row number (1-based data row; the line for CSV).
    pub row: u64,
    /// Why.
    pub reason: String,
    /// The row as read (CSV: the fields re-joined; otherwise the projected values).
    pub raw: String,
}

/// One kind of quarantine reason with how many rows it took and the first of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReasonSummary {
    /// The reason with its values left out (`column "pages": "…" is not a number`).
    pub kind: String,
    /// Rows quarantined for it.
    pub count: u64,
    /// The first such row: (file index, row or CSV line).
    pub first: (usize, u64),
}

/// A reason with the values it quotes left out, so that rows quarantined for the same cause
/// group together: every quoted text is replaced by `"…"` unless it follows `column ` (a
/// column's name is part of the cause, its value is not).
pub fn reason_kind(reason: &str) -> String {
    let mut out = String::with_capacity(reason.len());
    let mut rest = reason;
    while let Some(start) = rest.find('"') {
        let (before, after) = rest.split_at(start);
        out.push_str(before);
        let Some(len) = after[1..].find('"') else {
            out.push_str(after);
            return out;
        };
        let quoted = &after[..len + 2];
        if before.ends_with("column ") {
            out.push_str(quoted);
        } else {
            out.push_str("\"…\"");
        }
        rest = &after[len + 2..];
    }
    out.push_str(rest);
    out
}

/// The most frequent kinds of quarantine reason ([`reason_kind`]), most rows first (ties in
/// the order they first occur), at most `top`.
pub fn summarize_quarantine(records: &[QuarantineRecord], top: usize) -> Vec<ReasonSummary> {
    let mut out: Vec<ReasonSummary> = Vec::new();
    for r in records {
        let kind = reason_kind(&r.reason);
        match out.iter_mut().find(|s| s.kind == kind) {
            Some(s) => s.count += 1,
            None => out.push(ReasonSummary {
                kind,
                count: 1,
                first: (r.file, r.row),
            }),
        }
    }
    out.sort_by_key(|s| std::cmp::Reverse(s.count));
    out.truncate(top);
    out
}

pub(crate) fn render_row(arrays: &[ArrayRef], i: usize, personal: &[bool]) -> String {
    let opts = arrow_cast::display::FormatOptions::default().with_null("");
    arrays
        .iter()
        .zip(personal)
        .map(|(a, &p)| {
            if p {
                return PERSONAL_MASK.to_string();
            }
            arrow_cast::display::ArrayFormatter::try_new(a.as_ref(), &opts)
                .map(|f| f.value(i).to_string())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod summary_tests {
    use super::*;

    #[test]
    fn reasons_group_by_cause_not_value() {
        assert_eq!(
            reason_kind(r#"where: column "pages": "19x" is not a number"#),
            r#"where: column "pages": "…" is not a number"#
        );
        assert_eq!(
            reason_kind("empty key (column \"id\")"),
            "empty key (column \"id\")"
        );
        let rec = |row, reason: &str| QuarantineRecord {
            file: 0,
            row,
            reason: reason.to_string(),
            raw: String::new(),
        };
        let s = summarize_quarantine(
            &[
                rec(2, "empty key (column \"id\")"),
                rec(4, r#"column "x" is not valid UTF-8"#),
                rec(5, r#"column "x" is not valid UTF-8"#),
            ],
            3,
        );
        assert_eq!(s[0].count, 2);
        assert_eq!(s[0].first, (0, 4));
        assert_eq!(s[1].kind, "empty key (column \"id\")");
    }
}
