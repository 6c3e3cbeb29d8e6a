//! A label column as text: what it holds (class names or numbers), the
//! task it suggests, and its rows as class indices or target values.

use anyhow::{Result, bail};

/// Classification is detected for whole-number labels with at most this
/// many distinct values (and text labels of any count).
pub const MAX_DETECTED_CLASSES: usize = 20;

/// What a label column suggests.
#[derive(Debug, Clone, PartialEq)]
pub enum Detected {
    /// Class labels: text, or few distinct whole numbers. The class names,
    /// sorted (by value for numbers, else as text).
    Classes(Vec<String>),
    /// Numbers to regress on.
    Values,
}

/// A label as a number, if it is one.
fn number(label: &str) -> Option<f64> {
    label.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// A label's class name: whole numbers in their shortest form ("1.0" and
/// "1" are class "1"), anything else as written.
pub fn class_name(label: &str) -> String {
    match number(label) {
        Some(v) if v.fract() == 0.0 && v.abs() < 1e15 => format!("{}", v as i64),
        _ => label.to_string(),
    }
}

/// The distinct class names of `labels`, sorted by value when every one is
/// a number, else as text.
pub fn class_names(labels: &[String]) -> Vec<String> {
    let mut names: Vec<String> = labels.iter().map(|l| class_name(l)).collect();
    names.sort();
    names.dedup();
    if names.iter().all(|n| number(n).is_some()) {
        names.sort_by(|a, b| {
            let (a, b) = (number(a).unwrap_or(0.0), number(b).unwrap_or(0.0));
            a.total_cmp(&b)
        });
    }
    names
}

/// What the labels suggest: text labels, or whole numbers with at most
/// [`MAX_DETECTED_CLASSES`] distinct values that repeat (fewer distinct
/// values than half the rows), are classes; other numbers are values.
pub fn detect(labels: &[String]) -> Detected {
    let numbers: Option<Vec<f64>> = labels.iter().map(|l| number(l)).collect();
    let names = class_names(labels);
    match numbers {
        None => Detected::Classes(names),
        Some(values) => {
            let whole = values.iter().all(|v| v.fract() == 0.0);
            if whole && names.len() <= MAX_DETECTED_CLASSES && names.len() * 2 <= labels.len() {
                Detected::Classes(names)
            } else {
                Detected::Values
            }
        }
    }
}

/// Each label's index in `classes`; `locate(row)` names a row in the
/// error.
///
/// # Errors
/// For a label that is not one of `classes` (the message lists them).
pub fn class_indices(
    labels: &[String],
    classes: &[String],
    locate: impl Fn(usize) -> String,
) -> Result<Vec<usize>> {
    labels
        .iter()
        .enumerate()
        .map(|(row, label)| {
            let name = class_name(label);
            match classes.iter().position(|c| *c == name) {
                Some(i) => Ok(i),
                None => bail!(
                    "{}: label {label:?} is not one of the model's classes ({})",
                    locate(row),
                    classes.join(", ")
                ),
            }
        })
        .collect()
}

/// Each label as a finite `f32` target value.
///
/// # Errors
/// For a label that is not a finite number.
pub fn target_values(labels: &[String], locate: impl Fn(usize) -> String) -> Result<Vec<f32>> {
    labels
        .iter()
        .enumerate()
        .map(|(row, label)| match number(label).map(|v| v as f32) {
            Some(v) if v.is_finite() => Ok(v),
            _ => bail!(
                "{}: label {label:?} is not a finite number (a regression target)",
                locate(row)
            ),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn detects_classes_and_values() {
        let species = strings(&["setosa", "virginica", "setosa", "versicolor"]);
        assert_eq!(
            detect(&species),
            Detected::Classes(strings(&["setosa", "versicolor", "virginica"]))
        );
        let uci = strings(&["3", "1", "2", "1", "3", "2", "10", "10"]);
        assert_eq!(
            detect(&uci),
            Detected::Classes(strings(&["1", "2", "3", "10"]))
        );
        assert_eq!(
            detect(&strings(&["0.5", "1.5", "0.5", "1.5"])),
            Detected::Values
        );
        let many: Vec<String> = (0..100).map(|i| (i % 50).to_string()).collect();
        assert_eq!(detect(&many), Detected::Values);
        assert_eq!(detect(&strings(&["1", "2", "3"])), Detected::Values);
    }

    #[test]
    fn indices_by_name_not_value() {
        let classes = strings(&["1", "2", "3"]);
        let idx = class_indices(&strings(&["3", "1.0", "2"]), &classes, |r| r.to_string());
        assert_eq!(idx.unwrap(), vec![2, 0, 1]);
        let err = class_indices(&strings(&["4"]), &classes, |r| format!("row {r}"));
        let err = err.unwrap_err().to_string();
        assert!(
            err.contains("row 0: label \"4\" is not one of the model's classes (1, 2, 3)"),
            "{err}"
        );
        assert!(target_values(&strings(&["x"]), |r| r.to_string()).is_err());
        assert_eq!(
            target_values(&strings(&["1.5"]), |r| r.to_string()).unwrap(),
            [1.5]
        );
    }
}
