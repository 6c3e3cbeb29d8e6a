//! The IDX format of MNIST: a 4-byte magic (`0, 0`, element type, number of
//! dimensions), the dimensions as big-endian `u32`, then the elements
//! big-endian, row-major. Files may be gzip-compressed; that is detected from
//! the gzip magic bytes, not the file name.
//!
//! Every malformation is an error naming the file and the byte offset (in the
//! decompressed data for a gzip file).

use std::io::Read;
use std::path::Path;

use anyhow::{Result, anyhow, bail};

use super::table::{Num, Table};

/// The element types IDX defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdxType {
    /// 0x08: unsigned byte.
    U8,
    /// 0x09: signed byte.
    I8,
    /// 0x0B: 16-bit signed integer.
    I16,
    /// 0x0C: 32-bit signed integer.
    I32,
    /// 0x0D: 32-bit float.
    F32,
    /// 0x0E: 64-bit float.
    F64,
}

impl IdxType {
    fn from_code(code: u8) -> Option<IdxType> {
        Some(match code {
            0x08 => IdxType::U8,
            0x09 => IdxType::I8,
            0x0B => IdxType::I16,
            0x0C => IdxType::I32,
            0x0D => IdxType::F32,
            0x0E => IdxType::F64,
            _ => return None,
        })
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            IdxType::U8 | IdxType::I8 => 1,
            IdxType::I16 => 2,
            IdxType::I32 | IdxType::F32 => 4,
            IdxType::F64 => 8,
        }
    }

    fn is_integer(self) -> bool {
        !matches!(self, IdxType::F32 | IdxType::F64)
    }
}

/// One IDX file: its dimensions and its elements widened to `f64`.
#[derive(Debug, Clone, PartialEq)]
pub struct IdxArray {
    /// Element type as stored.
    pub kind: IdxType,
    /// Dimensions, outermost first (items, then e.g. rows and columns).
    pub dims: Vec<usize>,
    /// Offset of the first element (after magic and dimensions).
    pub data_offset: usize,
    /// Every element, row-major.
    pub values: Vec<f64>,
    /// Whether the file was gzip-compressed.
    pub gzip: bool,
}

impl IdxArray {
    /// Number of items (the first dimension).
    pub fn items(&self) -> usize {
        self.dims.first().copied().unwrap_or(0)
    }

    /// Elements per item (the product of the other dimensions).
    pub fn item_len(&self) -> usize {
        self.dims.iter().skip(1).product()
    }
}

/// Reads an IDX file (raw or gzip).
///
/// # Errors
/// If the file can't be read or decompressed, the magic is wrong, the file is
/// shorter than its header says, or has bytes after the data; each message
/// names the file and the byte offset.
pub fn read_idx(path: &Path) -> Result<IdxArray> {
    let raw = std::fs::read(path).map_err(|e| anyhow!("cannot read {}: {e}", path.display()))?;
    parse_idx_file(path, &raw)
}

/// Parses the bytes of an IDX file (raw or gzip) as [`read_idx`] reads a
/// file; `name` names it in messages (e.g. a bundled data set built into
/// the binary).
///
/// ```
/// use std::path::Path;
/// use microprop_sim::data::idx::{encode_idx_u8, parse_idx_file};
/// let bytes = encode_idx_u8(&[2, 3], &[1, 2, 3, 4, 5, 6]);
/// let array = parse_idx_file(Path::new("inline"), &bytes)?;
/// assert_eq!((array.items(), array.item_len()), (2, 3));
/// # Ok::<(), anyhow::Error>(())
/// ```
///
/// # Errors
/// As [`read_idx`].
pub fn parse_idx_file(name: &Path, raw: &[u8]) -> Result<IdxArray> {
    let name = name.display();
    let gzip = raw.starts_with(&[0x1f, 0x8b]);
    let decompressed;
    let bytes = if gzip {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(raw)
            .read_to_end(&mut out)
            .map_err(|e| {
                anyhow!(
                    "{name}: corrupt or truncated gzip stream after {} decompressed bytes: {e}",
                    out.len()
                )
            })?;
        decompressed = out;
        &decompressed[..]
    } else {
        raw
    };
    parse_idx(bytes, gzip).map_err(|why| {
        let inside = if gzip {
            " (in the decompressed data)"
        } else {
            ""
        };
        anyhow!("{name}: {why}{inside}")
    })
}

/// Parses the bytes of an IDX file; the error says what is wrong where.
fn parse_idx(bytes: &[u8], gzip: bool) -> Result<IdxArray, String> {
    let Some(magic) = bytes.get(..4) else {
        return Err(format!(
            "truncated at byte offset {}: an IDX file starts with a 4-byte magic number",
            bytes.len()
        ));
    };
    let [zero1, zero2, code, ndims] = [magic[0], magic[1], magic[2], magic[3]];
    let magic_value = u32::from_be_bytes([zero1, zero2, code, ndims]);
    let kind = IdxType::from_code(code);
    let (Some(kind), 0, 0, 1..) = (kind, zero1, zero2, ndims) else {
        return Err(format!(
            "byte offset 0: wrong magic number 0x{magic_value:08x} ({magic_value}): not an IDX file \
             (expected 0x0000TTNN with type TT in 08,09,0B,0C,0D,0E and NN >= 1 dimensions, \
             e.g. 0x00000803 = 2051 for images, 0x00000801 = 2049 for labels)"
        ));
    };
    let ndims = usize::from(ndims);
    let header = 4 + 4 * ndims;
    let Some(dim_bytes) = bytes.get(4..header) else {
        return Err(format!(
            "truncated at byte offset {}: the header declares {ndims} dimensions, which need \
             {header} header bytes",
            bytes.len()
        ));
    };
    let dims: Vec<usize> = dim_bytes
        .chunks_exact(4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .collect();
    let count = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .and_then(|n| n.checked_mul(kind.size()))
        .ok_or_else(|| format!("byte offset 4: dimensions {dims:?} are too large"))?;
    let expected_len = header + count;
    let shape = dims
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join("x");
    if bytes.len() < expected_len {
        return Err(format!(
            "truncated at byte offset {}: the header declares {shape} elements of {} bytes \
             ({count} data bytes from offset {header}, {expected_len} bytes in all)",
            bytes.len(),
            kind.size()
        ));
    }
    if bytes.len() > expected_len {
        return Err(format!(
            "{} unexpected bytes after the data, from byte offset {expected_len} (the header \
             declares {shape} elements)",
            bytes.len() - expected_len
        ));
    }
    let data = &bytes[header..];
    let values: Vec<f64> = match kind {
        IdxType::U8 => data.iter().map(|&b| f64::from(b)).collect(),
        IdxType::I8 => data.iter().map(|&b| f64::from(b as i8)).collect(),
        IdxType::I16 => data
            .chunks_exact(2)
            .map(|b| f64::from(i16::from_be_bytes([b[0], b[1]])))
            .collect(),
        IdxType::I32 => data
            .chunks_exact(4)
            .map(|b| f64::from(i32::from_be_bytes([b[0], b[1], b[2], b[3]])))
            .collect(),
        IdxType::F32 => data
            .chunks_exact(4)
            .map(|b| f64::from(f32::from_be_bytes([b[0], b[1], b[2], b[3]])))
            .collect(),
        IdxType::F64 => data
            .chunks_exact(8)
            .map(|b| f64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
            .collect(),
    };
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(format!(
            "byte offset {}: element {i} is not a finite number",
            header + i * kind.size()
        ));
    }
    Ok(IdxArray {
        kind,
        dims,
        data_offset: header,
        values,
        gzip,
    })
}

/// Loads an IDX images file and its labels file into a [`Table`]: one row per
/// image with its pixels (as stored, e.g. 0..=255) as features.
///
/// # Errors
/// As [`read_idx`] for either file, and if the labels file is not
/// one-dimensional integers or the two files hold different numbers of items
/// (the message names both files and both counts).
pub fn load_idx_pair(images: &Path, labels: &Path) -> Result<Table> {
    idx_pair_table(images, read_idx(images)?, labels, read_idx(labels)?)
}

/// An images file and its labels file, both already read (as
/// [`read_idx`] or [`parse_idx_file`] give them), into a [`Table`] as
/// [`load_idx_pair`] makes it; `images` and `labels` name them in messages.
///
/// # Errors
/// As [`load_idx_pair`], past reading the files.
pub fn idx_pair_table(
    images: &Path,
    image_array: IdxArray,
    labels: &Path,
    label_array: IdxArray,
) -> Result<Table> {
    if label_array.dims.len() != 1 || !label_array.kind.is_integer() {
        bail!(
            "{}: a labels file holds one dimension of integers, this one holds {:?} of {:?}",
            labels.display(),
            label_array.dims,
            label_array.kind
        );
    }
    if image_array.items() != label_array.items() {
        bail!(
            "dimension mismatch: {} holds {} images ({}), but {} holds {} labels",
            images.display(),
            image_array.items(),
            image_array
                .dims
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join("x"),
            labels.display(),
            label_array.items()
        );
    }
    if image_array.items() == 0 {
        bail!("{}: no images (the first dimension is 0)", images.display());
    }
    if let Some((i, v)) = image_array
        .values
        .iter()
        .enumerate()
        .find(|&(_, &v)| !(v as f32).is_finite())
    {
        bail!(
            "{}: byte offset {}: {} does not fit a 32-bit float",
            images.display(),
            image_array.data_offset + i * image_array.kind.size(),
            Num(*v)
        );
    }
    let features = image_array.values.iter().map(|&v| v as f32).collect();
    Ok(Table::from_idx(
        images,
        &image_array.dims[1..],
        features,
        labels,
        label_array.values,
        label_array.data_offset,
        label_array.kind.size(),
    ))
}

/// Encodes an IDX file (uncompressed): for tests and for writing fixtures.
pub fn encode_idx_u8(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        out.extend_from_slice(&d.to_be_bytes());
    }
    out.extend_from_slice(data);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    fn error_of(result: Result<impl std::fmt::Debug>) -> String {
        format!("{:#}", result.unwrap_err())
    }

    #[test]
    fn reads_raw_and_gzip_alike() {
        let dir = tempfile::tempdir().unwrap();
        let images = encode_idx_u8(
            &[2, 2, 3],
            &[0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255],
        );
        let labels = encode_idx_u8(&[2], &[7, 1]);
        let (ri, rl) = (dir.path().join("i.idx"), dir.path().join("l.idx"));
        let (gi, gl) = (dir.path().join("i.gz"), dir.path().join("l.bin"));
        std::fs::write(&ri, &images).unwrap();
        std::fs::write(&rl, &labels).unwrap();
        std::fs::write(&gi, gzip(&images)).unwrap();
        std::fs::write(&gl, gzip(&labels)).unwrap();
        let raw = load_idx_pair(&ri, &rl).unwrap();
        let zipped = load_idx_pair(&gi, &gl).unwrap();
        assert_eq!(raw.width, 6);
        assert_eq!(raw.features, zipped.features);
        assert_eq!(raw.labels, vec![7.0, 1.0]);
        assert_eq!(zipped.labels, raw.labels);
        assert_eq!(
            raw.features[6..],
            [250.0, 251.0, 252.0, 253.0, 254.0, 255.0]
        );
        assert!(read_idx(&gi).unwrap().gzip && !read_idx(&ri).unwrap().gzip);
    }

    #[test]
    fn every_idx_malformation_names_file_and_offset() {
        let dir = tempfile::tempdir().unwrap();
        let good_images = encode_idx_u8(&[3, 2, 2], &[0; 12]);
        let mut extra = good_images.clone();
        extra.push(9);
        let mut float_nan = vec![0, 0, 0x0D, 1, 0, 0, 0, 1];
        float_nan.extend_from_slice(&f32::NAN.to_be_bytes());
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            (
                "magic.idx",
                vec![0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0],
                "byte offset 0: wrong magic number 0x12345678",
            ),
            (
                "type.idx",
                vec![0, 0, 0x07, 1, 0, 0, 0, 0],
                "wrong magic number 0x00000701",
            ),
            (
                "csv.idx",
                b"a,b,label\n1,2,3\n".to_vec(),
                "wrong magic number 0x612c622c",
            ),
            ("tiny.idx", vec![0, 0], "truncated at byte offset 2"),
            (
                "header.idx",
                vec![0, 0, 8, 3, 0, 0, 0, 3, 0, 0],
                "truncated at byte offset 10: the header declares 3 dimensions",
            ),
            (
                "data.idx",
                good_images[..20].to_vec(),
                "truncated at byte offset 20: the header declares 3x2x2 elements",
            ),
            (
                "extra.idx",
                extra,
                "1 unexpected bytes after the data, from byte offset 28",
            ),
            (
                "nan.idx",
                float_nan,
                "byte offset 8: element 0 is not a finite number",
            ),
            ("empty.idx", vec![], "truncated at byte offset 0"),
        ];
        for (name, bytes, expected) in cases {
            let path = dir.path().join(name);
            std::fs::write(&path, &bytes).unwrap();
            let err = error_of(read_idx(&path));
            assert!(err.contains(expected), "{name}: {err}");
            assert!(err.contains(&path.display().to_string()), "{name}: {err}");
        }
        // Truncated inside gzip: the decompressed offset is named.
        let path = dir.path().join("data.gz");
        std::fs::write(&path, gzip(&good_images[..20])).unwrap();
        let err = error_of(read_idx(&path));
        assert!(
            err.contains("truncated at byte offset 20") && err.contains("decompressed"),
            "{err}"
        );
        // A gzip stream cut short.
        let zipped = gzip(&good_images);
        std::fs::write(&path, &zipped[..zipped.len() / 2]).unwrap();
        let err = error_of(read_idx(&path));
        assert!(err.contains("corrupt or truncated gzip stream"), "{err}");
        let missing = dir.path().join("missing.idx");
        assert!(error_of(read_idx(&missing)).contains("cannot read"));
    }

    #[test]
    fn images_and_labels_must_agree() {
        let dir = tempfile::tempdir().unwrap();
        let images = dir.path().join("images.idx");
        let labels = dir.path().join("labels.idx");
        std::fs::write(&images, encode_idx_u8(&[3, 2, 2], &[0; 12])).unwrap();
        std::fs::write(&labels, encode_idx_u8(&[2], &[0, 1])).unwrap();
        let err = error_of(load_idx_pair(&images, &labels));
        assert!(
            err.contains("dimension mismatch")
                && err.contains("holds 3 images (3x2x2)")
                && err.contains("labels.idx holds 2 labels"),
            "{err}"
        );
        std::fs::write(&labels, encode_idx_u8(&[3, 1], &[0, 1, 2])).unwrap();
        let err = error_of(load_idx_pair(&images, &labels));
        assert!(err.contains("one dimension of integers"), "{err}");
        // A label out of range names its byte offset.
        std::fs::write(&labels, encode_idx_u8(&[3], &[0, 11, 2])).unwrap();
        let table = load_idx_pair(&images, &labels).unwrap();
        let err = error_of(table.typed::<4, usize>("m", |v| crate::data::class_label(v, 10)));
        assert!(
            err.contains("labels.idx: byte offset 9 (label 1): label 11 is out of range"),
            "{err}"
        );
    }
}
