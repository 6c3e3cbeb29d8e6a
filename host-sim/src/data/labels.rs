//! Label texts: what a column's distinct labels hold (class names or
//! numbers) and the task they suggest. The label store (`label_store.rs`) keeps a
//! column's rows and turns them into class indices or target values.

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

/// A label as a finite number, if it is one.
pub fn number(label: &str) -> Option<f64> {
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

/// What a column of `rows` rows with the `distinct` labels suggests: text
/// labels, or whole numbers with at most [`MAX_DETECTED_CLASSES`] distinct
/// values that repeat (fewer distinct values than half the rows), are
/// classes; other numbers are values.
pub fn detect(distinct: &[String], rows: usize) -> Detected {
    let numbers: Option<Vec<f64>> = distinct.iter().map(|l| number(l)).collect();
    let names = class_names(distinct);
    match numbers {
        None => Detected::Classes(names),
        Some(values) => {
            let whole = values.iter().all(|v| v.fract() == 0.0);
            if whole && names.len() <= MAX_DETECTED_CLASSES && names.len() * 2 <= rows {
                Detected::Classes(names)
            } else {
                Detected::Values
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn detects_classes_and_values() {
        let species = strings(&["setosa", "virginica", "versicolor"]);
        assert_eq!(
            detect(&species, 4),
            Detected::Classes(strings(&["setosa", "versicolor", "virginica"]))
        );
        let uci = strings(&["3", "1", "2", "10"]);
        assert_eq!(
            detect(&uci, 8),
            Detected::Classes(strings(&["1", "2", "3", "10"]))
        );
        // "1.0" and "1" are one class.
        assert_eq!(
            detect(&strings(&["1.0", "2", "1"]), 6),
            Detected::Classes(strings(&["1", "2"]))
        );
        assert_eq!(detect(&strings(&["0.5", "1.5"]), 4), Detected::Values);
        let many: Vec<String> = (0..50).map(|i| i.to_string()).collect();
        assert_eq!(detect(&many, 100), Detected::Values);
        // Classes repeat: three distinct values in three rows are values.
        assert_eq!(detect(&strings(&["1", "2", "3"]), 3), Detected::Values);
    }
}
