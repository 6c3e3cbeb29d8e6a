//! `microprop_sim::data::load_csv` (last column, and a named column) and
//! `load_labeled_csv` on arbitrary bytes: no panic; whatever is accepted is
//! finite and rectangular.
#![no_main]

#[path = "tempfile.rs"]
mod tempfile;

use microprop_sim::data::{LabelColumn, load_csv, load_labeled_csv};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let path = tempfile::write("data.csv", data);
    for label in [LabelColumn::Last, LabelColumn::Named("label".into())] {
        if let Ok(table) = load_csv(&path, &label) {
            assert_eq!(table.features.len(), table.labels.len() * table.width);
            assert!(table.features.iter().all(|v| v.is_finite()));
            assert!(table.labels.iter().all(|v| v.is_finite()));
        }
    }
    if let Ok(set) = load_labeled_csv::<3>(&path) {
        assert_eq!(set.features.len(), set.labels.len());
        assert!(set.features.iter().flatten().all(|v| v.is_finite()));
    }
});
