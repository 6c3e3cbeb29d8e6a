/* The digits job of the Rust firmware (firmware/src/app.rs, digits_job),
 * written in C against the microprop C API: the same model, data order,
 * optimizer, schedule and epochs, so the same final weights bit for bit.
 * Board-independent: the firmware (main.c) and the host test
 * (ffi/tests/c/digits_host.c) supply the data and a way to print. */
#ifndef DIGITS_JOB_H
#define DIGITS_JOB_H

#include <stddef.h>
#include <stdint.h>

/* Rows of data/digits8x8.csv, in file order. */
#define DIGITS_ROWS 1797
/* Bytes a row: 64 pixels (0..=16), then the label (0..=9). */
#define DIGITS_COLUMNS 65

/* Exit codes, as the Rust firmware's. */
#define DIGITS_EXIT_OK 0
#define DIGITS_EXIT_BELOW_FLOOR 1
#define DIGITS_EXIT_TRAINING_ERROR 2

/* Writes a NUL-terminated piece of text (no newline added). */
typedef void (*digits_print)(const char *text);

/* Trains the 64-32-10 classifier on the 1437 training rows of `rows`
 * (DIGITS_ROWS x DIGITS_COLUMNS bytes, the CSV's rows in file order; the
 * train/test split is drawn here, as the Rust build script does), logs each
 * epoch, evaluates the 360 test rows, prints the weight digest as
 * "digest digits-job: crc32 0x... n 2410 first [...] last [...]", saves the
 * weights to a RAM-backed NOR flash and loads them into an inference-only
 * model, and returns DIGITS_EXIT_OK if the test accuracy is at least 0.95. */
int digits_job(const uint8_t *rows, digits_print print);

#endif /* DIGITS_JOB_H */
