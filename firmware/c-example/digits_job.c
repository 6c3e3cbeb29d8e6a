/* The digits job in C: see digits_job.h. Every number below is the Rust
 * firmware's (device/src/digits.rs): change one and the digests differ. */
#include "digits_job.h"

#include "microprop.h"

enum {
    FEATURES = 64,
    CLASSES = 10,
    HIDDEN = 32,
    TEST_ROWS = 360,
    TRAIN_ROWS = DIGITS_ROWS - TEST_ROWS,
    BATCH = 16,
    EPOCHS = 20,
    STEPS_PER_EPOCH = (TRAIN_ROWS + BATCH - 1) / BATCH,
    WARMUP_STEPS = 30,
};
/* Seeds of the train/test split, the initial weights and the shuffles. */
#define SPLIT_SEED 0x00d16175u
#define INIT_SEED 7u
#define SHUFFLE_SEED 11u
/* Pixels 0..=16 to [0, 1], exactly (a power of two). */
#define PIXEL_SCALE (1.0f / 16.0f)
/* The accuracy floor, 0.95, as a fraction of the test rows: 342 of 360. */
#define FLOOR_PERCENT 95u

/* 64 -> 32 tanh -> 10 logits, softmax + cross-entropy. */
static const microprop_layer layers[] = {
    MICROPROP_DENSE(HIDDEN, MICROPROP_ACTIVATION_TANH),
    MICROPROP_DENSE(CLASSES, MICROPROP_ACTIVATION_IDENTITY),
};

/* Every buffer static, sized at compile time (checked against
 * microprop_buffer_sizes at start-up). */
#define PARAMS (MICROPROP_DENSE_PARAMS(FEATURES, HIDDEN) + MICROPROP_DENSE_PARAMS(HIDDEN, CLASSES))
static float params[PARAMS];
static float gradients[PARAMS];
static float optimizer_state[MICROPROP_STATE_LEN(MICROPROP_OPTIMIZER_KIND_ADAM, PARAMS)];
static float cache[MICROPROP_CACHE_LEN(BATCH, HIDDEN + CLASSES)];
static float scratch[MICROPROP_SCRATCH_LEN(FEATURES, CLASSES)];
static microprop_model model;

/* One batch, read from flash and widened to floats. */
static float batch_x[BATCH * FEATURES];
static size_t batch_labels[BATCH];

/* ---- printing without printf ------------------------------------------- */

static digits_print out;

static void print_u32(uint32_t v) {
    char text[11];
    char *p = text + sizeof text - 1;
    *p = 0;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    out(p);
}

static void print_hex(uint32_t v) {
    char text[11] = "0x";
    for (int i = 0; i < 8; i++) text[2 + i] = "0123456789abcdef"[(v >> (28 - 4 * i)) & 15];
    text[10] = 0;
    out(text);
}

/* A non-negative float with `decimals` decimals (rounded). */
static void print_fixed(float v, int decimals) {
    uint32_t scale = 1;
    for (int i = 0; i < decimals; i++) scale *= 10;
    if (!(v >= 0.0f) || v > 4e9f / (float)scale) {
        out("?");
        return;
    }
    uint32_t n = (uint32_t)(v * (float)scale + 0.5f);
    print_u32(n / scale);
    out(".");
    char digits[10];
    uint32_t frac = n % scale;
    for (int i = decimals - 1; i >= 0; i--) {
        digits[i] = (char)('0' + frac % 10);
        frac /= 10;
    }
    digits[decimals] = 0;
    out(digits);
}

static int failed(const char *what, microprop_status status) {
    out("FAIL: ");
    out(what);
    out(": ");
    out(microprop_error_message(status));
    out("\n");
    return DIGITS_EXIT_TRAINING_ERROR;
}

/* ---- data -------------------------------------------------------------- */

/* Row `position` of the split (training rows first, then the test rows):
 * the CSV row the permutation puts there, as firmware/build.rs orders them. */
static const uint8_t *split_row(const uint8_t *rows, size_t position) {
    return rows + microprop_shuffle_index(DIGITS_ROWS, SPLIT_SEED, position) * DIGITS_COLUMNS;
}

/* Widens a row into `x` and its label into `label`. */
static void load(const uint8_t *row, float *x, size_t *label) {
    for (int i = 0; i < FEATURES; i++) x[i] = (float)row[i] * PIXEL_SCALE;
    *label = row[FEATURES];
}

/* Loss and accuracy over `count` rows of the split from `first`, BATCH at
 * a time (as the Rust job's evaluation). */
static microprop_status evaluate(const uint8_t *rows, size_t first, size_t count,
                                 microprop_stats *total) {
    total->rows = 0;
    total->correct = 0;
    total->loss_sum = 0.0f;
    for (size_t start = 0; start < count; start += BATCH) {
        size_t n = count - start < BATCH ? count - start : BATCH;
        for (size_t k = 0; k < n; k++)
            load(split_row(rows, first + start + k), batch_x + k * FEATURES, batch_labels + k);
        microprop_stats stats;
        microprop_status s =
            microprop_evaluate_labels(&model, batch_x, n * FEATURES, batch_labels, n, &stats);
        if (s != MICROPROP_STATUS_OK) return s;
        total->rows += stats.rows;
        total->correct += stats.correct;
        total->loss_sum += stats.loss_sum;
    }
    total->loss = total->loss_sum / (float)total->rows;
    return MICROPROP_STATUS_OK;
}

/* ---- the checkpoint round trip: NOR flash emulated in RAM -------------- */

enum { SECTOR = 4096, SLOT = 3 * SECTOR };
static uint8_t flash_bytes[2 * SLOT];

static int32_t flash_read(void *context, uint32_t offset, uint8_t *data, size_t len) {
    (void)context;
    if (offset > sizeof flash_bytes || len > sizeof flash_bytes - offset) return -1;
    for (size_t i = 0; i < len; i++) data[i] = flash_bytes[offset + i];
    return 0;
}

static int32_t flash_write(void *context, uint32_t offset, const uint8_t *data, size_t len) {
    (void)context;
    if (offset > sizeof flash_bytes || len > sizeof flash_bytes - offset) return -1;
    for (size_t i = 0; i < len; i++) flash_bytes[offset + i] &= data[i]; /* NOR: 1 -> 0 only */
    return 0;
}

static int32_t flash_erase(void *context, uint32_t from, uint32_t to) {
    (void)context;
    if (from % SECTOR || to % SECTOR || to > sizeof flash_bytes || from > to) return -1;
    for (uint32_t i = from; i < to; i++) flash_bytes[i] = 0xff;
    return 0;
}

/* The checkpoint's RAM copy, and an inference-only model to load it into. */
#define CHECKPOINT_BYTES MICROPROP_CHECKPOINT_BYTES(2, PARAMS)
static uint8_t blob[MICROPROP_FLASH_SCRATCH_LEN(CHECKPOINT_BYTES)] __attribute__((aligned(4)));
static float reloaded_params[PARAMS];
static float reloaded_scratch[MICROPROP_SCRATCH_LEN(FEATURES, CLASSES)];
static microprop_model reloaded;

static int checkpoint_round_trip(const microprop_config *trained, const uint8_t *rows) {
    for (size_t i = 0; i < sizeof flash_bytes; i++) flash_bytes[i] = 0xff;
    microprop_flash flash = {
        .context = 0, .read = flash_read, .write = flash_write, .erase = flash_erase,
        .capacity = sizeof flash_bytes, .erase_size = SECTOR,
        .slot0 = 0, .slot1 = SLOT, .slot_size = SLOT,
    };
    uint32_t saved = 0, found = 0;
    microprop_status s = microprop_flash_save(&model, &flash, blob, sizeof blob, 0, &saved);
    if (s != MICROPROP_STATUS_OK) return failed("saving to flash", s);

    microprop_config config = *trained;
    config.batch = 0; /* inference only: weights and scratch */
    microprop_buffers buffers = {
        .params = reloaded_params, .params_len = PARAMS,
        .scratch = reloaded_scratch,
        .scratch_len = sizeof reloaded_scratch / sizeof reloaded_scratch[0],
    };
    s = microprop_model_init(&reloaded, &config, &buffers);
    if (s != MICROPROP_STATUS_OK) return failed("setting up the reloaded model", s);
    for (size_t i = 0; i < sizeof blob; i++) blob[i] = 0;
    s = microprop_flash_load(&reloaded, &flash, blob, sizeof blob, 0, &found);
    if (s != MICROPROP_STATUS_OK) return failed("loading from flash", s);

    microprop_digest a, b;
    microprop_weights_digest(&model, &a);
    microprop_weights_digest(&reloaded, &b);
    int same = found == saved && a.crc32 == b.crc32 && a.count == b.count;
    /* The reloaded model classifies every test row as the trained one. */
    for (size_t i = 0; same && i < TEST_ROWS; i++) {
        size_t label, p, q;
        load(split_row(rows, TRAIN_ROWS + i), batch_x, &label);
        same = microprop_classify(&model, batch_x, FEATURES, &p) == MICROPROP_STATUS_OK &&
               microprop_classify(&reloaded, batch_x, FEATURES, &q) == MICROPROP_STATUS_OK &&
               p == q;
    }
    out("checkpoint: ");
    print_u32(CHECKPOINT_BYTES);
    out(" B saved to flash as sequence ");
    print_u32(saved);
    out(same ? ", reloaded bit for bit\n" : ", reloaded DIFFERENT\n");
    return same ? DIGITS_EXIT_OK : DIGITS_EXIT_TRAINING_ERROR;
}

/* ---- the job ----------------------------------------------------------- */

int digits_job(const uint8_t *rows, digits_print print) {
    out = print;
    microprop_config config = {
        .inputs = FEATURES,
        .layer_count = sizeof layers / sizeof layers[0],
        .layers = layers,
        .loss = MICROPROP_LOSS_SOFTMAX_CROSS_ENTROPY,
        .batch = BATCH,
        .optimizer = microprop_adam(),
        /* 30 warmup steps rising to 0.01, then a cosine decay to 0.0005 at
         * the last step. */
        .schedule = microprop_schedule_cosine(0.01f, 0.0005f,
                                              EPOCHS * STEPS_PER_EPOCH - WARMUP_STEPS - 1),
    };
    config.schedule.warmup_steps = WARMUP_STEPS;

    microprop_sizes sizes;
    microprop_status s = microprop_buffer_sizes(&config, &sizes);
    if (s != MICROPROP_STATUS_OK) return failed("describing the model", s);
    microprop_buffers buffers = {
        .params = params, .params_len = PARAMS,
        .gradients = gradients, .gradients_len = PARAMS,
        .optimizer_state = optimizer_state,
        .optimizer_state_len = sizeof optimizer_state / sizeof optimizer_state[0],
        .cache = cache, .cache_len = sizeof cache / sizeof cache[0],
        .scratch = scratch, .scratch_len = sizeof scratch / sizeof scratch[0],
    };
    if (sizes.checkpoint_bytes != CHECKPOINT_BYTES || sizes.params != PARAMS ||
        sizes.cache != buffers.cache_len || sizes.scratch != buffers.scratch_len) {
        out("FAIL: the compile-time buffer sizes are not microprop_buffer_sizes'\n");
        return DIGITS_EXIT_TRAINING_ERROR;
    }
    s = microprop_model_init(&model, &config, &buffers);
    if (s != MICROPROP_STATUS_OK) return failed("setting up the model", s);
    s = microprop_init_weights(&model, (microprop_init){.kind = MICROPROP_INIT_KIND_XAVIER}, INIT_SEED);
    if (s != MICROPROP_STATUS_OK) return failed("initialising the weights", s);

    out("digits 64-32-10 tanh, softmax + cross-entropy, Adam, batch 16 (C API); RAM: ");
    print_u32((uint32_t)sizes.arena_bytes);
    out(" B of buffers, model handle ");
    print_u32((uint32_t)sizeof model);
    out(" B\n");

    for (uint32_t epoch = 0; epoch < EPOCHS; epoch++) {
        /* microprop::fit's order: a fresh permutation of the training rows
         * each epoch, BATCH rows a step (the last one shorter). */
        uint64_t seed = microprop_epoch_seed(SHUFFLE_SEED, epoch);
        microprop_stats stats;
        float loss_sum = 0.0f, rate = 0.0f;
        uint32_t correct = 0;
        for (size_t position = 0; position < TRAIN_ROWS; position += BATCH) {
            size_t n = TRAIN_ROWS - position < BATCH ? TRAIN_ROWS - position : BATCH;
            for (size_t k = 0; k < n; k++) {
                size_t row = microprop_shuffle_index(TRAIN_ROWS, seed, position + k);
                load(split_row(rows, row), batch_x + k * FEATURES, batch_labels + k);
            }
            s = microprop_train_labels(&model, batch_x, n * FEATURES, batch_labels, n, &stats);
            if (s != MICROPROP_STATUS_OK) return failed("training", s);
            loss_sum += stats.loss_sum;
            correct += stats.correct;
            rate = stats.learning_rate;
        }
        out("epoch ");
        print_u32(epoch + 1);
        out(": loss ");
        print_fixed(loss_sum / (float)TRAIN_ROWS, 4);
        out(", accuracy ");
        print_fixed((float)correct / (float)TRAIN_ROWS, 4);
        out(", learning rate ");
        print_fixed(rate, 6);
        out("\n");
    }

    microprop_stats train, test;
    s = evaluate(rows, 0, TRAIN_ROWS, &train);
    if (s == MICROPROP_STATUS_OK) s = evaluate(rows, TRAIN_ROWS, TEST_ROWS, &test);
    if (s != MICROPROP_STATUS_OK) return failed("evaluating", s);
    out("train: loss ");
    print_fixed(train.loss, 4);
    out(", ");
    print_u32(train.correct);
    out("/");
    print_u32(train.rows);
    out(" right; test: loss ");
    print_fixed(test.loss, 4);
    out(", ");
    print_u32(test.correct);
    out("/");
    print_u32(test.rows);
    out(" right\n");

    /* The digest line, in the Rust firmware's format. */
    microprop_digest d;
    s = microprop_weights_digest(&model, &d);
    if (s != MICROPROP_STATUS_OK) return failed("digest", s);
    out("digest digits-job: crc32 ");
    print_hex(d.crc32);
    out(" n ");
    print_u32(d.count);
    out(" first [");
    for (int i = 0; i < MICROPROP_DIGEST_ENDS; i++) {
        if (i) out(", ");
        print_hex(d.first[i]);
    }
    out("] last [");
    for (int i = 0; i < MICROPROP_DIGEST_ENDS; i++) {
        if (i) out(", ");
        print_hex(d.last[i]);
    }
    out("]\n");

    int round_trip = checkpoint_round_trip(&config, rows);
    if (round_trip != DIGITS_EXIT_OK) return round_trip;

    int pass = test.correct * 100u >= FLOOR_PERCENT * test.rows;
    out(pass ? "PASS: test accuracy " : "FAIL: test accuracy ");
    print_u32(test.correct);
    out("/");
    print_u32(test.rows);
    out(" = ");
    print_fixed((float)test.correct / (float)test.rows, 4);
    out(pass ? " >= floor 0.95\n" : " < floor 0.95\n");
    return pass ? DIGITS_EXIT_OK : DIGITS_EXIT_BELOW_FLOOR;
}
