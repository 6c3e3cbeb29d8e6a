//! `microprop_sim::data::idx::read_idx` and `load_idx_pair` on arbitrary bytes,
//! raw or gzip-compressed: no panic, no allocation driven by a header alone;
//! whatever is accepted has as many values as its dimensions say.
#![no_main]

#[path = "tempfile.rs"]
mod tempfile;

use std::io::Write;

use microprop_sim::data::idx::{load_idx_pair, read_idx};

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let encode = |b: &[u8]| if mode & 1 != 0 { gzip(b) } else { b.to_vec() };
    if mode & 2 == 0 {
        let path = tempfile::write("one.idx", &encode(rest));
        if let Ok(array) = read_idx(&path) {
            let expected = array.dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
            assert_eq!(Some(array.values.len()), expected);
        }
    } else {
        // Two files: images and labels, split where the next byte says.
        let Some((&split, rest)) = rest.split_first() else {
            return;
        };
        let at = usize::from(split).min(rest.len());
        let (labels, images) = rest.split_at(at);
        let images = tempfile::write("images.idx", &encode(images));
        let labels = tempfile::write("labels.idx", &encode(labels));
        if let Ok(table) = load_idx_pair(&images, &labels) {
            assert_eq!(table.features.len(), table.labels.len() * table.width);
        }
    }
});
