/* The C firmware's digits job (firmware/c-example/digits_job.c) on the host:
 * reads data/digits8x8.csv (the path is argv[1]) into the array the firmware
 * keeps in flash, runs the job and prints its log to stdout. Built and run
 * by ffi/tests/digits_job.rs, which compares the digest with the Rust job's. */
#include <stdio.h>

#include "digits_job.h"

static uint8_t rows[DIGITS_ROWS][DIGITS_COLUMNS];

static void print(const char *text) { fputs(text, stdout); }

int main(int argc, char **argv) {
    if (argc != 2) return 100;
    FILE *csv = fopen(argv[1], "r");
    if (!csv) return 101;
    int c;
    while ((c = fgetc(csv)) != EOF && c != '\n') {
    } /* the header line */
    for (int r = 0; r < DIGITS_ROWS; r++) {
        for (int k = 0; k < DIGITS_COLUMNS; k++) {
            unsigned v;
            if (fscanf(csv, k == 0 ? "%u" : " ,%u", &v) != 1 || v > 16) return 102;
            rows[r][k] = (uint8_t)v;
        }
    }
    fclose(csv);
    return digits_job(&rows[0][0], print);
}
