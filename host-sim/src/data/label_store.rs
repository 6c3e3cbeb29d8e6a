//! A label column held compactly while a file streams in: each distinct
//! text once and a 4-byte id per row, or, once a column has more distinct
//! labels than any classifier takes, one number per row.

use std::collections::HashMap;

use anyhow::{Result, bail};

use super::labels::{self, Detected};

/// Distinct label texts kept as text. A column with more can only be a
/// regression target, and is then kept as numbers.
pub const MAX_TEXT_LABELS: usize = 4096;

/// A label column, row by row.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelStore {
    kind: Kind,
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    /// Each distinct label once, in order of first appearance, and each
    /// row's index into them.
    Texts { names: Vec<String>, ids: Vec<u32> },
    /// Every row's label as a number (more than [`MAX_TEXT_LABELS`]
    /// distinct ones).
    Numbers(Vec<f64>),
}

/// Builds a [`LabelStore`] one row at a time.
#[derive(Debug, Default)]
pub struct LabelStoreBuilder {
    index: HashMap<String, u32>,
    names: Vec<String>,
    ids: Vec<u32>,
    numbers: Option<Vec<f64>>,
}

impl LabelStoreBuilder {
    /// Adds the next row's label.
    ///
    /// # Errors
    /// Once the column holds more than [`MAX_TEXT_LABELS`] distinct labels,
    /// a label that is not a finite number: the message says why.
    pub fn push(&mut self, label: &str) -> Result<()> {
        if let Some(numbers) = &mut self.numbers {
            numbers.push(value(label)?);
            return Ok(());
        }
        if let Some(&id) = self.index.get(label) {
            self.ids.push(id);
            return Ok(());
        }
        if self.names.len() < MAX_TEXT_LABELS {
            let id = self.names.len() as u32;
            self.index.insert(label.to_string(), id);
            self.names.push(label.to_string());
            self.ids.push(id);
            return Ok(());
        }
        // Too many distinct labels for classes: numbers from here on.
        let values = self
            .names
            .iter()
            .map(|name| value(name))
            .collect::<Result<Vec<f64>>>()?;
        let mut numbers: Vec<f64> = self.ids.iter().map(|&id| values[id as usize]).collect();
        numbers.push(value(label)?);
        self.numbers = Some(numbers);
        self.index = HashMap::new();
        self.names = Vec::new();
        self.ids = Vec::new();
        Ok(())
    }

    /// The column.
    pub fn finish(self) -> LabelStore {
        LabelStore {
            kind: match self.numbers {
                Some(numbers) => Kind::Numbers(numbers),
                None => Kind::Texts {
                    names: self.names,
                    ids: self.ids,
                },
            },
        }
    }
}

/// A label that must be a number (the column has too many distinct ones
/// to be classes).
fn value(label: &str) -> Result<f64> {
    match labels::number(label) {
        Some(v) => Ok(v),
        None => bail!(
            "label {label:?} is not a finite number, and the column holds more than \
             {MAX_TEXT_LABELS} distinct labels: too many to be classes, so it must be a \
             regression target"
        ),
    }
}

impl LabelStore {
    /// The column of `labels`, row by row.
    ///
    /// # Errors
    /// As [`LabelStoreBuilder::push`].
    pub fn from_texts<S: AsRef<str>>(labels: &[S]) -> Result<LabelStore> {
        let mut builder = LabelStoreBuilder::default();
        for label in labels {
            builder.push(label.as_ref())?;
        }
        Ok(builder.finish())
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        match &self.kind {
            Kind::Texts { ids, .. } => ids.len(),
            Kind::Numbers(numbers) => numbers.len(),
        }
    }

    /// `true` without rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Row `row`'s label as written (as a number for a column kept as
    /// numbers), for messages.
    pub fn text(&self, row: usize) -> String {
        match &self.kind {
            Kind::Texts { names, ids } => ids
                .get(row)
                .and_then(|&id| names.get(id as usize))
                .cloned()
                .unwrap_or_default(),
            Kind::Numbers(numbers) => numbers.get(row).map_or_else(String::new, f64::to_string),
        }
    }

    /// What the column suggests: classes or values
    /// ([`labels::detect`] over its distinct labels).
    pub fn detect(&self) -> Detected {
        match &self.kind {
            Kind::Texts { names, ids } => labels::detect(names, ids.len()),
            Kind::Numbers(_) => Detected::Values,
        }
    }

    /// The distinct class names ([`labels::class_names`]).
    ///
    /// # Errors
    /// For a column with more than [`MAX_TEXT_LABELS`] distinct labels.
    pub fn class_names(&self) -> Result<Vec<String>> {
        match &self.kind {
            Kind::Texts { names, .. } => Ok(labels::class_names(names)),
            Kind::Numbers(_) => bail!(
                "more than {MAX_TEXT_LABELS} distinct labels: too many classes for a classifier"
            ),
        }
    }

    /// Every row's index into `classes` (labels matched by class name).
    ///
    /// # Errors
    /// A label that is not one of `classes`; `locate` names its row.
    pub fn class_indices(
        &self,
        classes: &[String],
        locate: impl Fn(usize) -> String,
    ) -> Result<Vec<usize>> {
        let find = |label: &str| {
            let name = labels::class_name(label);
            classes.iter().position(|c| *c == name)
        };
        self.per_row(
            find,
            |v| find(&v.to_string()),
            |row| {
                anyhow::anyhow!(
                    "{}: label {:?} is not one of the model's classes ({})",
                    locate(row),
                    self.text(row),
                    classes.join(", ")
                )
            },
        )
    }

    /// Every row's label as a regression target.
    ///
    /// # Errors
    /// A label that is not a finite number (or overflows f32); `locate`
    /// names its row.
    pub fn target_values(&self, locate: impl Fn(usize) -> String) -> Result<Vec<f32>> {
        let finite = |v: f64| Some(v as f32).filter(|v| v.is_finite());
        let of_text = |label: &str| labels::number(label).and_then(finite);
        self.per_row(of_text, finite, |row| {
            anyhow::anyhow!(
                "{}: label {:?} is not a finite number (a regression target)",
                locate(row),
                self.text(row)
            )
        })
    }

    /// Every row's label mapped by `of_text` (each distinct text once) or
    /// `of_number`; the first row either refuses is `refuse`d.
    fn per_row<T: Copy>(
        &self,
        of_text: impl Fn(&str) -> Option<T>,
        of_number: impl Fn(f64) -> Option<T>,
        refuse: impl Fn(usize) -> anyhow::Error,
    ) -> Result<Vec<T>> {
        match &self.kind {
            Kind::Texts { names, ids } => {
                let by_id: Vec<Option<T>> = names.iter().map(|n| of_text(n)).collect();
                ids.iter()
                    .enumerate()
                    .map(|(row, &id)| {
                        by_id
                            .get(id as usize)
                            .copied()
                            .flatten()
                            .ok_or_else(|| refuse(row))
                    })
                    .collect()
            }
            Kind::Numbers(numbers) => numbers
                .iter()
                .enumerate()
                .map(|(row, &v)| of_number(v).ok_or_else(|| refuse(row)))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_labels_are_stored_once_and_read_back_per_row() {
        let store = LabelStore::from_texts(&["b", "a", "b", "c", "a"]).unwrap();
        assert_eq!(store.len(), 5);
        assert_eq!(store.text(2), "b");
        assert_eq!(
            store.detect(),
            Detected::Classes(vec!["a".into(), "b".into(), "c".into()])
        );
        let classes = store.class_names().unwrap();
        assert_eq!(
            store.class_indices(&classes, |r| r.to_string()).unwrap(),
            [1, 0, 1, 2, 0]
        );
        let err = store
            .class_indices(&classes[..2], |r| format!("line {}", r + 2))
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 5: label \"c\""), "{err}");
        let err = store.target_values(|r| format!("row {r}")).unwrap_err();
        assert!(err.to_string().contains("row 0: label \"b\""), "{err}");
    }

    #[test]
    fn many_distinct_labels_become_numbers_with_the_same_targets() {
        let texts: Vec<String> = (0..3 * MAX_TEXT_LABELS)
            .map(|i| format!("{}", i as f64 * 0.25 - 7.0))
            .collect();
        let store = LabelStore::from_texts(&texts).unwrap();
        assert!(matches!(store.kind, Kind::Numbers(_)));
        assert_eq!(store.detect(), Detected::Values);
        assert!(store.class_names().is_err());
        let values = store.target_values(|r| r.to_string()).unwrap();
        let expected: Vec<f32> = texts.iter().map(|t| t.parse().unwrap()).collect();
        assert_eq!(values, expected);
        assert_eq!(store.text(5), texts[5]);
    }

    #[test]
    fn a_word_among_too_many_distinct_labels_is_refused() {
        let mut texts: Vec<String> = (0..=MAX_TEXT_LABELS).map(|i| i.to_string()).collect();
        texts.push("setosa".into());
        let err = LabelStore::from_texts(&texts).unwrap_err().to_string();
        assert!(err.contains("\"setosa\" is not a finite number"), "{err}");
        let mut words: Vec<String> = (0..MAX_TEXT_LABELS).map(|i| format!("w{i}")).collect();
        words.push("w-last".into());
        let err = LabelStore::from_texts(&words).unwrap_err().to_string();
        assert!(err.contains("more than 4096 distinct labels"), "{err}");
    }

    #[test]
    fn whole_numbers_match_classes_by_value() {
        let store = LabelStore::from_texts(&["3", "1.0", "2"]).unwrap();
        let classes = ["1".to_string(), "2".into(), "3".into()];
        assert_eq!(
            store.class_indices(&classes, |r| r.to_string()).unwrap(),
            [2, 0, 1]
        );
        assert_eq!(
            store.target_values(|r| r.to_string()).unwrap(),
            [3.0, 1.0, 2.0]
        );
    }
}
