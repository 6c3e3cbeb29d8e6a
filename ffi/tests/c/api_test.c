/* The C API end to end, from C: build models, train XOR (values and labels),
 * evaluate, checkpoint to a buffer and to a RAM-backed NOR flash, and feed
 * every kind of bad input, checking the status codes and that a refused call
 * leaves the weights, the step count and the outputs alone.
 *
 * Built by ffi/tests/c_api.rs with the system gcc against the host
 * libmicroprop_ffi.a and run there; prints one line per failed check and
 * "c api: N passed, M failed"; exits 0 only if nothing failed. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "microprop.h"

static int passed, failed;

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (cond) {                                                            \
            passed++;                                                          \
        } else {                                                               \
            failed++;                                                          \
            printf("FAILED %s:%d: %s\n", __FILE__, __LINE__, #cond);           \
        }                                                                      \
    } while (0)

/* A call with its expected status; prints both messages on a mismatch. */
#define EXPECT(call, want)                                                     \
    do {                                                                       \
        microprop_status got_ = (call);                                        \
        if (got_ == (want)) {                                                  \
            passed++;                                                          \
        } else {                                                               \
            failed++;                                                          \
            printf("FAILED %s:%d: %s\n  got %d (%s), want %d (%s)\n", __FILE__, \
                   __LINE__, #call, (int)got_, microprop_error_message(got_),   \
                   (int)(want), microprop_error_message(want));                \
        }                                                                      \
    } while (0)

#define OK(call) EXPECT(call, MICROPROP_STATUS_OK)

static const float XOR_X[8] = {0, 0, 0, 1, 1, 0, 1, 1};
static const float XOR_Y[4] = {0, 1, 1, 0};
static const size_t XOR_LABELS[4] = {0, 1, 1, 0};

static microprop_digest digest_of(const microprop_model *m) {
    microprop_digest d;
    memset(&d, 0, sizeof d);
    microprop_status s = microprop_weights_digest(m, &d);
    CHECK(s == MICROPROP_STATUS_OK);
    return d;
}

static int same_digest(microprop_digest a, microprop_digest b) {
    return memcmp(&a, &b, sizeof a) == 0;
}

static uint32_t steps_of(const microprop_model *m) {
    uint32_t n = 0xffffffffu;
    CHECK(microprop_steps(m, &n) == MICROPROP_STATUS_OK);
    return n;
}

/* ---- error messages ---------------------------------------------------- */

static void error_messages(void) {
    const char *seen[MICROPROP_STATUS_INTERNAL + 1];
    for (int code = 0; code <= MICROPROP_STATUS_INTERNAL; code++) {
        const char *m = microprop_error_message(code);
        CHECK(m != NULL && strlen(m) > 0);
        for (int other = 0; other < code; other++) CHECK(strcmp(seen[other], m) != 0);
        seen[code] = m;
    }
    CHECK(strcmp(microprop_error_message(MICROPROP_STATUS_OK), "success") == 0);
    CHECK(strcmp(microprop_error_message(-1), "unknown status code") == 0);
    CHECK(strcmp(microprop_error_message(MICROPROP_STATUS_INTERNAL + 1),
                 "unknown status code") == 0);
    CHECK(sizeof(microprop_status) == 4);
}

/* ---- XOR, values, MSE, Adam, static buffers sized by the macros ------- */

enum { HIDDEN = 8 };
#define XOR_PARAMS (MICROPROP_DENSE_PARAMS(2, HIDDEN) + MICROPROP_DENSE_PARAMS(HIDDEN, 1))

static const microprop_layer xor_layers[] = {
    MICROPROP_DENSE(HIDDEN, MICROPROP_ACTIVATION_TANH),
    MICROPROP_DENSE(1, MICROPROP_ACTIVATION_SIGMOID),
};
static float xor_params[XOR_PARAMS];
static float xor_gradients[XOR_PARAMS];
static float xor_state[MICROPROP_STATE_LEN(MICROPROP_OPTIMIZER_KIND_ADAM, XOR_PARAMS)];
static float xor_cache[MICROPROP_CACHE_LEN(4, HIDDEN + 1)];
static float xor_scratch[MICROPROP_SCRATCH_LEN(HIDDEN, 1)];
static microprop_model xor_model;

static microprop_config xor_config(void) {
    microprop_config c;
    memset(&c, 0, sizeof c);
    c.inputs = 2;
    c.layer_count = 2;
    c.layers = xor_layers;
    c.loss = MICROPROP_LOSS_MEAN_SQUARED_ERROR;
    c.batch = 4;
    c.optimizer = microprop_adam();
    c.schedule = microprop_schedule_constant(0.05f);
    return c;
}

static microprop_buffers xor_buffers(void) {
    microprop_buffers b;
    memset(&b, 0, sizeof b);
    b.params = xor_params;
    b.params_len = XOR_PARAMS;
    b.gradients = xor_gradients;
    b.gradients_len = XOR_PARAMS;
    b.optimizer_state = xor_state;
    b.optimizer_state_len = sizeof xor_state / sizeof xor_state[0];
    b.cache = xor_cache;
    b.cache_len = sizeof xor_cache / sizeof xor_cache[0];
    b.scratch = xor_scratch;
    b.scratch_len = sizeof xor_scratch / sizeof xor_scratch[0];
    return b;
}

static void sizes_match_the_macros(void) {
    microprop_config c = xor_config();
    microprop_sizes s;
    OK(microprop_buffer_sizes(&c, &s));
    CHECK(s.inputs == 2 && s.outputs == 1);
    CHECK(s.params == XOR_PARAMS);
    CHECK(s.gradients == XOR_PARAMS);
    CHECK(s.optimizer_state == 2 * XOR_PARAMS);
    CHECK(s.cache == sizeof xor_cache / sizeof xor_cache[0]);
    CHECK(s.scratch == sizeof xor_scratch / sizeof xor_scratch[0]);
    CHECK(s.winners == 0 && s.scratch_winners == 0);
    CHECK(s.arena_bytes == 4 * (s.params + s.gradients + s.optimizer_state + s.cache + s.scratch));
    CHECK(s.training_checkpoint_bytes == s.checkpoint_bytes + 8 + 4 * s.optimizer_state);
    CHECK(s.checkpoint_bytes == MICROPROP_CHECKPOINT_BYTES(2, XOR_PARAMS));
    CHECK(s.training_checkpoint_bytes ==
          MICROPROP_TRAINING_CHECKPOINT_BYTES(2, XOR_PARAMS, 2 * XOR_PARAMS));
    CHECK(s.flash_scratch_bytes == MICROPROP_FLASH_SCRATCH_LEN(s.training_checkpoint_bytes));
    /* SGD needs no state, momentum one part. */
    c.optimizer = microprop_sgd();
    OK(microprop_buffer_sizes(&c, &s));
    CHECK(s.optimizer_state == MICROPROP_STATE_LEN(MICROPROP_OPTIMIZER_KIND_SGD, XOR_PARAMS));
    c.optimizer = microprop_momentum(0.9f, 1);
    OK(microprop_buffer_sizes(&c, &s));
    CHECK(s.optimizer_state == MICROPROP_STATE_LEN(MICROPROP_OPTIMIZER_KIND_MOMENTUM, XOR_PARAMS));
    /* Inference only: no training buffers. */
    c.batch = 0;
    OK(microprop_buffer_sizes(&c, &s));
    CHECK(s.gradients == 0 && s.optimizer_state == 0 && s.cache == 0);
    /* The layer macros and functions agree. */
    microprop_layer f = microprop_dense(HIDDEN, MICROPROP_ACTIVATION_TANH);
    CHECK(memcmp(&f, &xor_layers[0], sizeof f) == 0);
    microprop_layer leaky = MICROPROP_DENSE(3, MICROPROP_ACTIVATION_LEAKY_RELU);
    CHECK(leaky.parameter == 0.1f &&
          microprop_dense(3, MICROPROP_ACTIVATION_LEAKY_RELU).parameter == 0.1f);
    microprop_layer mo = MICROPROP_MAXOUT(4, 3), mf = microprop_maxout(4, 3);
    CHECK(memcmp(&mo, &mf, sizeof mo) == 0);
}

static void xor_trains_with_values(void) {
    microprop_config c = xor_config();
    microprop_buffers b = xor_buffers();
    OK(microprop_model_init(&xor_model, &c, &b));
    OK(microprop_init_weights(&xor_model, (microprop_init){MICROPROP_INIT_KIND_XAVIER, 0, 0}, 3));
    microprop_digest first = digest_of(&xor_model);
    CHECK(first.count == XOR_PARAMS);
    /* The same seed draws the same weights; another seed others. */
    OK(microprop_init_weights(&xor_model, (microprop_init){MICROPROP_INIT_KIND_XAVIER, 0, 0}, 3));
    CHECK(same_digest(first, digest_of(&xor_model)));
    OK(microprop_init_weights(&xor_model, (microprop_init){MICROPROP_INIT_KIND_XAVIER, 0, 0}, 4));
    CHECK(!same_digest(first, digest_of(&xor_model)));
    OK(microprop_init_weights(&xor_model, (microprop_init){MICROPROP_INIT_KIND_XAVIER, 0, 0}, 3));

    microprop_stats stats;
    OK(microprop_train_values(&xor_model, XOR_X, 8, XOR_Y, 4, &stats));
    float start = stats.loss;
    CHECK(stats.rows == 4 && stats.steps == 1 && stats.has_accuracy == 0); /* MSE */
    CHECK(stats.learning_rate == 0.05f);
    for (int i = 0; i < 600; i++) OK(microprop_train_values(&xor_model, XOR_X, 8, XOR_Y, 4, &stats));
    CHECK(steps_of(&xor_model) == 601);
    microprop_stats eval;
    OK(microprop_evaluate_values(&xor_model, XOR_X, 8, XOR_Y, 4, &eval));
    printf("xor (MSE, Adam): loss %.5f after 1 step, %.6f after 601\n", start, eval.loss);
    CHECK(eval.loss < start / 20);
    CHECK(eval.rows == 4 && eval.steps == 601 && eval.learning_rate == 0.0f);
    for (int row = 0; row < 4; row++) {
        float out = -1;
        OK(microprop_predict(&xor_model, XOR_X + 2 * row, 2, &out, 1));
        CHECK(fabsf(out - XOR_Y[row]) < 0.2f);
    }
    /* Three rows a chunk: the same step as one batch of four would be. */
    float lr = 0;
    OK(microprop_learning_rate(&xor_model, &lr));
    CHECK(lr == 0.05f);
}

/* ---- XOR as classes: softmax + cross-entropy, momentum, an arena ------ */

static uint8_t arena[8192] __attribute__((aligned(4)));
static microprop_model cls_model;
static const microprop_layer cls_layers[] = {
    MICROPROP_DENSE(HIDDEN, MICROPROP_ACTIVATION_TANH),
    MICROPROP_DENSE(2, MICROPROP_ACTIVATION_IDENTITY),
};

static microprop_config cls_config(void) {
    microprop_config c;
    memset(&c, 0, sizeof c);
    c.inputs = 2;
    c.layer_count = 2;
    c.layers = cls_layers;
    c.loss = MICROPROP_LOSS_SOFTMAX_CROSS_ENTROPY;
    c.batch = 3; /* four rows train as chunks of 3 + 1 */
    c.optimizer = microprop_momentum(0.9f, 1);
    c.schedule = microprop_schedule_cosine(0.2f, 0.02f, 300);
    c.schedule.warmup_steps = 10;
    return c;
}

static void classes_train_from_an_arena(void) {
    microprop_config c = cls_config();
    microprop_buffers b;
    microprop_sizes s;
    OK(microprop_buffer_sizes(&c, &s));
    EXPECT(microprop_buffers_from_arena(&c, arena, s.arena_bytes - 1, &b),
           MICROPROP_STATUS_BUFFER_TOO_SMALL);
    EXPECT(microprop_buffers_from_arena(&c, arena + 1, s.arena_bytes, &b),
           MICROPROP_STATUS_MISALIGNED);
    OK(microprop_buffers_from_arena(&c, arena, sizeof arena, &b));
    CHECK(b.params == (float *)arena && b.params_len == s.params);
    OK(microprop_model_init(&cls_model, &c, &b));
    OK(microprop_init_weights(&cls_model, (microprop_init){MICROPROP_INIT_KIND_GLOROT_UNIFORM, 0, 0}, 9));
    float lr = -1;
    OK(microprop_learning_rate(&cls_model, &lr));
    CHECK(fabsf(lr - 0.2f / 11) < 1e-7f); /* warmup: 0.2 · 1/11 */
    microprop_stats first, stats;
    OK(microprop_train_labels(&cls_model, XOR_X, 8, XOR_LABELS, 4, &first));
    for (int i = 0; i < 300; i++) OK(microprop_train_labels(&cls_model, XOR_X, 8, XOR_LABELS, 4, &stats));
    OK(microprop_evaluate_labels(&cls_model, XOR_X, 8, XOR_LABELS, 4, &stats));
    printf("xor (softmax CE, Nesterov, warmup + cosine): loss %.5f -> %.6f, %u/4 right\n",
           first.loss, stats.loss, stats.correct);
    CHECK(stats.loss < first.loss / 10 && stats.correct == 4 && stats.has_accuracy == 1);
    for (size_t row = 0; row < 4; row++) {
        size_t cls = 99;
        OK(microprop_classify(&cls_model, XOR_X + 2 * row, 2, &cls));
        CHECK(cls == XOR_LABELS[row]);
    }
}

/* ---- every optimizer, maxout, fused, inference only ------------------- */

static void other_models(void) {
    static uint8_t space[16384] __attribute__((aligned(4)));
    microprop_optimizer optimizers[6] = {microprop_sgd(), microprop_momentum(0.9f, 0),
                                         microprop_adagrad(), microprop_rmsprop(),
                                         microprop_adam(), microprop_adamw(0.01f)};
    for (int i = 0; i < 6; i++) {
        microprop_config c = cls_config();
        c.optimizer = optimizers[i];
        c.schedule = microprop_schedule_exponential(0.05f, 0.999f);
        microprop_buffers b;
        microprop_model m;
        OK(microprop_buffers_from_arena(&c, space, sizeof space, &b));
        OK(microprop_model_init(&m, &c, &b));
        OK(microprop_init_weights(&m, (microprop_init){MICROPROP_INIT_KIND_HE_NORMAL, 0, 0}, 1));
        microprop_stats first, stats;
        OK(microprop_train_labels(&m, XOR_X, 8, XOR_LABELS, 4, &first));
        for (int k = 0; k < 400; k++) OK(microprop_train_labels(&m, XOR_X, 8, XOR_LABELS, 4, &stats));
        OK(microprop_evaluate_labels(&m, XOR_X, 8, XOR_LABELS, 4, &stats));
        CHECK(stats.loss < first.loss);
    }

    /* Maxout: 2 -> 6 units of 3 pieces -> 2 logits. */
    microprop_layer maxout_layers[2] = {microprop_maxout(6, 3),
                                        microprop_dense(2, MICROPROP_ACTIVATION_IDENTITY)};
    microprop_config c = cls_config();
    c.layers = maxout_layers;
    c.optimizer = microprop_adam();
    c.schedule = microprop_schedule_step(0.02f, 0.5f, 200, 0.001f);
    microprop_sizes s;
    OK(microprop_buffer_sizes(&c, &s));
    CHECK(s.params == (size_t)MICROPROP_MAXOUT_PARAMS(2, 6, 3) + MICROPROP_DENSE_PARAMS(6, 2));
    CHECK(s.winners == 3 * 6 && s.scratch_winners == 6);
    microprop_buffers b;
    microprop_model m;
    OK(microprop_buffers_from_arena(&c, space, sizeof space, &b));
    OK(microprop_model_init(&m, &c, &b));
    OK(microprop_init_weights(&m, (microprop_init){MICROPROP_INIT_KIND_NORMAL, 0.0f, 0.5f}, 5));
    microprop_stats first, stats;
    OK(microprop_train_labels(&m, XOR_X, 8, XOR_LABELS, 4, &first));
    for (int k = 0; k < 500; k++) OK(microprop_train_labels(&m, XOR_X, 8, XOR_LABELS, 4, &stats));
    OK(microprop_evaluate_labels(&m, XOR_X, 8, XOR_LABELS, 4, &stats));
    printf("xor (maxout 3 pieces, Adam, step decay): loss %.5f -> %.6f\n", first.loss, stats.loss);
    CHECK(stats.loss < first.loss / 4);

    /* The fused step: batch 1, one row a call, no evaluation. */
    c = cls_config();
    c.batch = 1;
    c.fused = 1;
    c.optimizer = microprop_sgd();
    c.schedule = microprop_schedule_polynomial(0.3f, 0.01f, 0.5f);
    OK(microprop_buffer_sizes(&c, &s));
    CHECK(s.gradients == 0 && s.optimizer_state == 0);
    OK(microprop_buffers_from_arena(&c, space, sizeof space, &b));
    OK(microprop_model_init(&m, &c, &b));
    OK(microprop_init_weights(&m, (microprop_init){MICROPROP_INIT_KIND_XAVIER, 0, 0}, 2));
    for (int k = 0; k < 2000; k++)
        OK(microprop_train_labels(&m, XOR_X + 2 * (k % 4), 2, XOR_LABELS + k % 4, 1, &stats));
    int right = 0;
    for (size_t row = 0; row < 4; row++) {
        size_t cls = 9;
        OK(microprop_classify(&m, XOR_X + 2 * row, 2, &cls));
        right += cls == XOR_LABELS[row];
    }
    CHECK(right == 4);
    microprop_digest before = digest_of(&m);
    EXPECT(microprop_train_labels(&m, XOR_X, 4, XOR_LABELS, 2, &stats), MICROPROP_STATUS_BATCH_TOO_LARGE);
    EXPECT(microprop_evaluate_labels(&m, XOR_X, 8, XOR_LABELS, 4, &stats), MICROPROP_STATUS_UNSUPPORTED);
    CHECK(same_digest(before, digest_of(&m)));
    /* Fused: batch other than 1, clipping and maxout are refused. */
    c.batch = 2;
    EXPECT(microprop_model_init(&m, &c, &b), MICROPROP_STATUS_INVALID_ARGUMENT);
    c.batch = 1;
    c.max_grad_norm = 1.0f;
    EXPECT(microprop_model_init(&m, &c, &b), MICROPROP_STATUS_INVALID_ARGUMENT);
    c.max_grad_norm = 0;
    c.layers = maxout_layers;
    EXPECT(microprop_buffer_sizes(&c, &s), MICROPROP_STATUS_INVALID_LAYER);

    /* Inference only: the classifier's weights through a checkpoint. */
    static uint8_t blob[4096];
    size_t len = 0;
    OK(microprop_checkpoint_save(&cls_model, blob, sizeof blob, 0, &len));
    c = cls_config();
    c.batch = 0;
    OK(microprop_buffer_sizes(&c, &s));
    CHECK(s.arena_bytes == 4 * (s.params + s.scratch));
    OK(microprop_buffers_from_arena(&c, space, sizeof space, &b));
    OK(microprop_model_init(&m, &c, &b));
    OK(microprop_checkpoint_load(&m, blob, len, 0));
    CHECK(same_digest(digest_of(&m), digest_of(&cls_model)));
    for (int row = 0; row < 4; row++) {
        float a[2], z[2];
        OK(microprop_predict(&m, XOR_X + 2 * row, 2, a, 2));
        OK(microprop_predict(&cls_model, XOR_X + 2 * row, 2, z, 2));
        CHECK(memcmp(a, z, sizeof a) == 0);
    }
    EXPECT(microprop_train_labels(&m, XOR_X, 8, XOR_LABELS, 4, &stats), MICROPROP_STATUS_NOT_TRAINABLE);
    EXPECT(microprop_checkpoint_save(&m, blob, sizeof blob, 1, &len), MICROPROP_STATUS_NOT_TRAINABLE);
}

/* ---- checkpoints in a buffer ------------------------------------------ */

static void checkpoints_round_trip(void) {
    static uint8_t blob[4096], other[4096];
    microprop_sizes s;
    microprop_config c = xor_config();
    OK(microprop_buffer_sizes(&c, &s));
    size_t len = 0, weights_len = 0;
    EXPECT(microprop_checkpoint_save(&xor_model, blob, s.training_checkpoint_bytes - 1, 1, &len),
           MICROPROP_STATUS_BUFFER_TOO_SMALL);
    OK(microprop_checkpoint_save(&xor_model, blob, sizeof blob, 1, &len));
    CHECK(len == s.training_checkpoint_bytes && memcmp(blob, "MPCK", 4) == 0);
    OK(microprop_checkpoint_save(&xor_model, other, sizeof other, 0, &weights_len));
    CHECK(weights_len == s.checkpoint_bytes);
    microprop_digest saved = digest_of(&xor_model);
    uint32_t saved_steps = steps_of(&xor_model);

    /* Train on, then go back. */
    for (int i = 0; i < 10; i++) OK(microprop_train_values(&xor_model, XOR_X, 8, XOR_Y, 4, NULL));
    CHECK(!same_digest(saved, digest_of(&xor_model)));
    OK(microprop_checkpoint_load(&xor_model, blob, len, 1));
    CHECK(same_digest(saved, digest_of(&xor_model)) && steps_of(&xor_model) == saved_steps);
    /* Resuming gives the same bits as not having stopped. */
    microprop_stats a, b;
    OK(microprop_train_values(&xor_model, XOR_X, 8, XOR_Y, 4, &a));
    microprop_digest resumed = digest_of(&xor_model);
    OK(microprop_checkpoint_load(&xor_model, blob, len, 1));
    OK(microprop_train_values(&xor_model, XOR_X, 8, XOR_Y, 4, &b));
    CHECK(same_digest(resumed, digest_of(&xor_model)) && a.loss == b.loss);

    /* The layer list comes back. */
    microprop_layer layers[MICROPROP_MAX_LAYERS];
    uint32_t inputs = 0, count = 0;
    OK(microprop_checkpoint_layers(blob, len, layers, MICROPROP_MAX_LAYERS, &inputs, &count));
    CHECK(inputs == 2 && count == 2);
    CHECK(memcmp(layers, xor_layers, sizeof xor_layers) == 0);
    EXPECT(microprop_checkpoint_layers(blob, len, layers, 1, &inputs, &count),
           MICROPROP_STATUS_BUFFER_TOO_SMALL);

    /* Bad checkpoints change nothing. */
    microprop_digest now = digest_of(&xor_model);
    uint32_t now_steps = steps_of(&xor_model);
    blob[40] ^= 1;
    EXPECT(microprop_checkpoint_load(&xor_model, blob, len, 1), MICROPROP_STATUS_CHECKPOINT_CORRUPTED);
    blob[40] ^= 1;
    EXPECT(microprop_checkpoint_load(&xor_model, blob, len - 1, 1), MICROPROP_STATUS_CHECKPOINT_TRUNCATED);
    blob[0] = 'X';
    EXPECT(microprop_checkpoint_load(&xor_model, blob, len, 1), MICROPROP_STATUS_CHECKPOINT_BAD_MAGIC);
    blob[0] = 'M';
    EXPECT(microprop_checkpoint_load(&xor_model, other, weights_len, 1),
           MICROPROP_STATUS_CHECKPOINT_MISSING_TRAINING_STATE);
    EXPECT(microprop_checkpoint_load(&xor_model, NULL, len, 1), MICROPROP_STATUS_NULL_POINTER);
    EXPECT(microprop_checkpoint_load(&xor_model, blob, len, 2), MICROPROP_STATUS_INVALID_ARGUMENT);
    size_t cls_len = 0;
    OK(microprop_checkpoint_save(&cls_model, other, sizeof other, 0, &cls_len));
    EXPECT(microprop_checkpoint_load(&xor_model, other, cls_len, 0),
           MICROPROP_STATUS_CHECKPOINT_ARCHITECTURE_MISMATCH);
    /* Same widths, another activation. */
    OK(microprop_checkpoint_save(&cls_model, other, sizeof other, 1, &cls_len));
    EXPECT(microprop_checkpoint_load(&cls_model, blob, len, 0),
           MICROPROP_STATUS_CHECKPOINT_ARCHITECTURE_MISMATCH);
    CHECK(same_digest(now, digest_of(&xor_model)) && steps_of(&xor_model) == now_steps);
    /* A weights-only load of a training checkpoint keeps the step count. */
    OK(microprop_checkpoint_load(&xor_model, blob, len, 0));
    CHECK(same_digest(saved, digest_of(&xor_model)) && steps_of(&xor_model) == now_steps);
}

/* ---- checkpoints on a RAM-backed NOR flash ---------------------------- */

enum { FLASH_SIZE = 4 * 4096, SECTOR = 1024 };
typedef struct {
    uint8_t bytes[FLASH_SIZE];
    int fail_writes; /* the next write fails */
    int double_writes; /* bits programmed from 0 to 1: not NOR */
} ram_flash;

static int32_t flash_read(void *context, uint32_t offset, uint8_t *data, size_t len) {
    ram_flash *f = context;
    if (offset + len > FLASH_SIZE) return -1;
    memcpy(data, f->bytes + offset, len);
    return 0;
}

static int32_t flash_write(void *context, uint32_t offset, const uint8_t *data, size_t len) {
    ram_flash *f = context;
    if (offset + len > FLASH_SIZE || offset % 4 || len % 4) return -1;
    if (f->fail_writes) {
        f->fail_writes = 0;
        return -2;
    }
    for (size_t i = 0; i < len; i++) {
        if ((f->bytes[offset + i] & data[i]) != data[i]) f->double_writes++;
        f->bytes[offset + i] &= data[i];
    }
    return 0;
}

static int32_t flash_erase(void *context, uint32_t from, uint32_t to) {
    ram_flash *f = context;
    if (to > FLASH_SIZE || from % SECTOR || to % SECTOR || from > to) return -1;
    memset(f->bytes + from, 0xff, to - from);
    return 0;
}

static void flash_round_trip(void) {
    static ram_flash ram;
    static uint8_t scratch[4096] __attribute__((aligned(4)));
    memset(ram.bytes, 0xff, sizeof ram.bytes);
    microprop_flash flash = {&ram, flash_read, flash_write, flash_erase,
                             FLASH_SIZE, SECTOR, 0, 2 * 4096, 2 * 4096};
    microprop_sizes s;
    microprop_config c = xor_config();
    OK(microprop_buffer_sizes(&c, &s));
    uint32_t seq = 0;
    EXPECT(microprop_flash_load(&xor_model, &flash, scratch, s.flash_scratch_bytes, 1, &seq),
           MICROPROP_STATUS_NO_CHECKPOINT);
    microprop_digest first = digest_of(&xor_model);
    uint32_t first_steps = steps_of(&xor_model);
    OK(microprop_flash_save(&xor_model, &flash, scratch, s.flash_scratch_bytes, 1, &seq));
    CHECK(seq == 1);
    for (int i = 0; i < 5; i++) OK(microprop_train_values(&xor_model, XOR_X, 8, XOR_Y, 4, NULL));
    microprop_digest second = digest_of(&xor_model);
    OK(microprop_flash_save(&xor_model, &flash, scratch, s.flash_scratch_bytes, 1, &seq));
    CHECK(seq == 2);
    /* A failed write leaves the newest checkpoint as it was. */
    for (int i = 0; i < 5; i++) OK(microprop_train_values(&xor_model, XOR_X, 8, XOR_Y, 4, NULL));
    ram.fail_writes = 1;
    EXPECT(microprop_flash_save(&xor_model, &flash, scratch, s.flash_scratch_bytes, 1, &seq),
           MICROPROP_STATUS_FLASH_IO);
    OK(microprop_flash_load(&xor_model, &flash, scratch, s.flash_scratch_bytes, 1, &seq));
    CHECK(seq == 2 && same_digest(second, digest_of(&xor_model)) &&
          steps_of(&xor_model) == first_steps + 5);
    CHECK(ram.double_writes == 0);
    /* The failed save erased slot 0 (the older); save again there, then
     * corrupt it: the other slot, the one before, is loaded. */
    for (int i = 0; i < 5; i++) OK(microprop_train_values(&xor_model, XOR_X, 8, XOR_Y, 4, NULL));
    OK(microprop_flash_save(&xor_model, &flash, scratch, s.flash_scratch_bytes, 1, &seq));
    CHECK(seq == 3);
    ram.bytes[200] ^= 0x10;
    OK(microprop_flash_load(&xor_model, &flash, scratch, s.flash_scratch_bytes, 1, &seq));
    CHECK(seq == 2 && same_digest(second, digest_of(&xor_model)));
    CHECK(!same_digest(first, second));

    /* Bad flash descriptions. */
    microprop_flash bad = flash;
    bad.write = NULL;
    EXPECT(microprop_flash_save(&xor_model, &bad, scratch, s.flash_scratch_bytes, 1, &seq),
           MICROPROP_STATUS_NULL_POINTER);
    bad = flash;
    bad.slot1 = 4096 + 512; /* not on a sector boundary */
    EXPECT(microprop_flash_save(&xor_model, &bad, scratch, s.flash_scratch_bytes, 1, &seq),
           MICROPROP_STATUS_FLASH_LAYOUT);
    bad = flash;
    bad.slot1 = 0; /* overlaps slot 0 */
    EXPECT(microprop_flash_save(&xor_model, &bad, scratch, s.flash_scratch_bytes, 1, &seq),
           MICROPROP_STATUS_FLASH_LAYOUT);
    bad = flash;
    bad.erase_size = 256; /* slots too small for the training checkpoint */
    bad.slot_size = 256;
    bad.slot1 = 256;
    EXPECT(microprop_flash_save(&xor_model, &bad, scratch, s.flash_scratch_bytes, 1, &seq),
           MICROPROP_STATUS_FLASH_SLOT_TOO_SMALL);
    bad = flash;
    bad.capacity = 4096; /* the slots lie outside */
    EXPECT(microprop_flash_save(&xor_model, &bad, scratch, s.flash_scratch_bytes, 1, &seq),
           MICROPROP_STATUS_FLASH_LAYOUT);
    EXPECT(microprop_flash_save(&xor_model, &flash, scratch, s.training_checkpoint_bytes - 1, 1, &seq),
           MICROPROP_STATUS_BUFFER_TOO_SMALL);
    CHECK(same_digest(second, digest_of(&xor_model)));
}

/* ---- a frozen backbone in flash and a head trained on its features ---- */

/* A pretrained 2 -> 8 tanh layer, `const` (in flash on a device): weights
 * input-major (row i: input i's weight into each unit), then the biases.
 * Units 0 and 1 see x0 + x1 with two thresholds, which makes XOR linearly
 * separable for the head; the others are arbitrary. */
enum { FRONT_UNITS = 8 };
#define FRONT_PARAMS MICROPROP_DENSE_PARAMS(2, FRONT_UNITS)
static const float FRONT[FRONT_PARAMS] = {
    2.0f, 2.0f, 0.5f, -0.7f, 1.1f, -0.3f, 0.9f, -1.2f, /* from x0 */
    2.0f, 2.0f, -0.4f, 0.6f, 0.2f, -1.1f, 0.8f, 0.3f,  /* from x1 */
    -1.0f, -3.0f, 0.1f, 0.0f, -0.2f, 0.3f, -0.5f, 0.4f, /* biases */
};
static const microprop_layer front_layers[] = {MICROPROP_DENSE(FRONT_UNITS, MICROPROP_ACTIVATION_TANH)};
static const microprop_layer head_layers[] = {MICROPROP_DENSE(2, MICROPROP_ACTIVATION_IDENTITY)};
static float front_scratch[MICROPROP_SCRATCH_LEN(FRONT_UNITS, 0)];
static microprop_backbone backbone;

static microprop_backbone_config front_config(void) {
    microprop_backbone_config c = {2, 1, front_layers};
    return c;
}

static microprop_backbone_buffers front_buffers(void) {
    microprop_backbone_buffers b;
    memset(&b, 0, sizeof b);
    b.params = FRONT;
    b.params_len = FRONT_PARAMS;
    b.scratch = front_scratch;
    b.scratch_len = sizeof front_scratch / sizeof front_scratch[0];
    return b;
}

static void backbone_and_head(void) {
    microprop_backbone_config bc = front_config();
    microprop_backbone_sizes bs;
    OK(microprop_backbone_buffer_sizes(&bc, &bs));
    CHECK(bs.inputs == 2 && bs.outputs == FRONT_UNITS && bs.params == FRONT_PARAMS);
    CHECK(bs.scratch == MICROPROP_SCRATCH_LEN(FRONT_UNITS, 0) && bs.scratch_winners == 0);
    microprop_backbone_buffers bb = front_buffers();
    OK(microprop_backbone_init(&backbone, &bc, &bb));

    /* The features are the outputs of an inference-only model of the same
     * layer and weights, bit for bit. */
    float features[4 * FRONT_UNITS];
    OK(microprop_backbone_features(&backbone, XOR_X, 8, features, 4 * FRONT_UNITS));
    {
        static uint8_t space[1024] __attribute__((aligned(4)));
        microprop_config c;
        memset(&c, 0, sizeof c);
        c.inputs = 2;
        c.layer_count = 1;
        c.layers = front_layers;
        c.optimizer = microprop_sgd();
        c.schedule = microprop_schedule_constant(0.0f);
        microprop_buffers b;
        microprop_model same;
        OK(microprop_buffers_from_arena(&c, space, sizeof space, &b));
        OK(microprop_model_init(&same, &c, &b));
        OK(microprop_set_params(&same, FRONT, FRONT_PARAMS));
        for (int row = 0; row < 4; row++) {
            float want[FRONT_UNITS];
            OK(microprop_predict(&same, XOR_X + 2 * row, 2, want, FRONT_UNITS));
            CHECK(memcmp(want, features + row * FRONT_UNITS, sizeof want) == 0);
        }
    }

    /* The head: an ordinary model whose inputs are the backbone's outputs. */
    static uint8_t head_arena[4096] __attribute__((aligned(4)));
    microprop_config hc;
    memset(&hc, 0, sizeof hc);
    hc.inputs = (uint32_t)bs.outputs;
    hc.layer_count = 1;
    hc.layers = head_layers;
    hc.loss = MICROPROP_LOSS_SOFTMAX_CROSS_ENTROPY;
    hc.batch = 4;
    hc.optimizer = microprop_adam();
    hc.schedule = microprop_schedule_constant(0.05f);
    microprop_buffers hb;
    microprop_model head;
    OK(microprop_buffers_from_arena(&hc, head_arena, sizeof head_arena, &hb));
    OK(microprop_model_init(&head, &hc, &hb));
    OK(microprop_init_weights(&head, (microprop_init){MICROPROP_INIT_KIND_XAVIER, 0, 0}, 4));
    microprop_stats first, stats;
    OK(microprop_train_labels(&head, features, sizeof features / sizeof features[0], XOR_LABELS, 4,
                              &first));
    for (int i = 0; i < 400; i++) {
        /* As a device would: the backbone's features of each batch, then a
         * head step on them. */
        OK(microprop_backbone_features(&backbone, XOR_X, 8, features, 4 * FRONT_UNITS));
        OK(microprop_train_labels(&head, features, 4 * FRONT_UNITS, XOR_LABELS, 4, &stats));
    }
    OK(microprop_evaluate_labels(&head, features, 4 * FRONT_UNITS, XOR_LABELS, 4, &stats));
    printf("xor (frozen tanh backbone in flash, head with Adam): loss %.5f -> %.6f, %u/4 right\n",
           first.loss, stats.loss, stats.correct);
    CHECK(stats.loss < first.loss / 10 && stats.correct == 4);
    for (size_t row = 0; row < 4; row++) {
        float f[FRONT_UNITS];
        size_t cls = 9;
        OK(microprop_backbone_features(&backbone, XOR_X + 2 * row, 2, f, FRONT_UNITS));
        OK(microprop_classify(&head, f, FRONT_UNITS, &cls));
        CHECK(cls == XOR_LABELS[row]);
    }

    /* A maxout backbone needs its winner row. */
    microprop_layer maxout_front[2] = {microprop_maxout(5, 3),
                                       microprop_dense(3, MICROPROP_ACTIVATION_RELU)};
    microprop_backbone_config mc = {2, 2, maxout_front};
    OK(microprop_backbone_buffer_sizes(&mc, &bs));
    CHECK(bs.params == (size_t)MICROPROP_MAXOUT_PARAMS(2, 5, 3) + MICROPROP_DENSE_PARAMS(5, 3));
    CHECK(bs.scratch == MICROPROP_SCRATCH_LEN(5, 0) && bs.scratch_winners == 5 && bs.outputs == 3);
}

static void backbone_bad_input(void) {
    microprop_backbone_config bc = front_config();
    microprop_backbone_buffers bb = front_buffers();
    microprop_backbone_sizes bs;
    EXPECT(microprop_backbone_buffer_sizes(NULL, &bs), MICROPROP_STATUS_NULL_POINTER);
    EXPECT(microprop_backbone_buffer_sizes(&bc, NULL), MICROPROP_STATUS_NULL_POINTER);
    microprop_layer layers[MICROPROP_MAX_LAYERS + 1];
    for (int i = 0; i <= MICROPROP_MAX_LAYERS; i++) layers[i] = microprop_dense(4, MICROPROP_ACTIVATION_RELU);
    microprop_backbone_config bad = {2, MICROPROP_MAX_LAYERS + 1, layers};
    EXPECT(microprop_backbone_buffer_sizes(&bad, &bs), MICROPROP_STATUS_TOO_MANY_LAYERS);
    bad.layer_count = 0;
    EXPECT(microprop_backbone_buffer_sizes(&bad, &bs), MICROPROP_STATUS_INVALID_LAYER);
    bad.layer_count = 1;
    bad.inputs = 0;
    EXPECT(microprop_backbone_buffer_sizes(&bad, &bs), MICROPROP_STATUS_INVALID_LAYER);
    bad.inputs = 2;
    bad.layers = NULL;
    EXPECT(microprop_backbone_buffer_sizes(&bad, &bs), MICROPROP_STATUS_NULL_POINTER);
    bad.layers = layers;
    layers[0] = microprop_dense(4, 9); /* no such activation */
    EXPECT(microprop_backbone_buffer_sizes(&bad, &bs), MICROPROP_STATUS_INVALID_LAYER);

    /* Init: a refused init leaves a set-up backbone as it was. */
    microprop_backbone before = backbone;
    microprop_backbone_buffers b = bb;
    b.params = NULL;
    EXPECT(microprop_backbone_init(&backbone, &bc, &b), MICROPROP_STATUS_NULL_POINTER);
    b = bb;
    b.params_len = FRONT_PARAMS - 1;
    EXPECT(microprop_backbone_init(&backbone, &bc, &b), MICROPROP_STATUS_BUFFER_TOO_SMALL);
    b = bb;
    b.scratch_len = bb.scratch_len - 1;
    EXPECT(microprop_backbone_init(&backbone, &bc, &b), MICROPROP_STATUS_BUFFER_TOO_SMALL);
    b = bb;
    b.params = (const float *)((const uint8_t *)FRONT + 2);
    EXPECT(microprop_backbone_init(&backbone, &bc, &b), MICROPROP_STATUS_MISALIGNED);
    static float ram_params[FRONT_PARAMS + MICROPROP_SCRATCH_LEN(FRONT_UNITS, 0)];
    memcpy(ram_params, FRONT, sizeof FRONT);
    b = bb;
    b.params = ram_params;
    b.scratch = ram_params + FRONT_PARAMS - 1; /* shares a float with the weights */
    EXPECT(microprop_backbone_init(&backbone, &bc, &b), MICROPROP_STATUS_BUFFER_OVERLAP);
    b.scratch = (float *)&backbone; /* the backbone itself */
    EXPECT(microprop_backbone_init(&backbone, &bc, &b), MICROPROP_STATUS_BUFFER_OVERLAP);
    b = bb;
    b.params = ram_params;
    ram_params[5] = NAN;
    EXPECT(microprop_backbone_init(&backbone, &bc, &b), MICROPROP_STATUS_NON_FINITE_INPUT);
    ram_params[5] = INFINITY;
    EXPECT(microprop_backbone_init(&backbone, &bc, &b), MICROPROP_STATUS_NON_FINITE_INPUT);
    EXPECT(microprop_backbone_init(&backbone, &bc, NULL), MICROPROP_STATUS_NULL_POINTER);
    EXPECT(microprop_backbone_init(&backbone, NULL, &bb), MICROPROP_STATUS_NULL_POINTER);
    EXPECT(microprop_backbone_init(NULL, &bc, &bb), MICROPROP_STATUS_NULL_POINTER);
    CHECK(memcmp(&before, &backbone, sizeof backbone) == 0);

    /* Features: nothing is written on a refusal. */
    float out[4 * FRONT_UNITS + 1];
    for (size_t i = 0; i < sizeof out / sizeof out[0]; i++) out[i] = 7;
    float x[8];
    memcpy(x, XOR_X, sizeof x);
    x[5] = NAN; /* row 2 */
    EXPECT(microprop_backbone_features(&backbone, x, 8, out, 4 * FRONT_UNITS),
           MICROPROP_STATUS_NON_FINITE_INPUT);
    x[5] = -INFINITY;
    EXPECT(microprop_backbone_features(&backbone, x, 8, out, 4 * FRONT_UNITS),
           MICROPROP_STATUS_NON_FINITE_INPUT);
    EXPECT(microprop_backbone_features(&backbone, XOR_X, 7, out, 4 * FRONT_UNITS),
           MICROPROP_STATUS_INPUT_LENGTH);
    EXPECT(microprop_backbone_features(&backbone, XOR_X, 0, out, 4 * FRONT_UNITS),
           MICROPROP_STATUS_EMPTY_BATCH);
    EXPECT(microprop_backbone_features(&backbone, XOR_X, 8, out, 4 * FRONT_UNITS - 1),
           MICROPROP_STATUS_BUFFER_TOO_SMALL);
    EXPECT(microprop_backbone_features(&backbone, NULL, 8, out, 4 * FRONT_UNITS),
           MICROPROP_STATUS_NULL_POINTER);
    EXPECT(microprop_backbone_features(&backbone, XOR_X, 8, NULL, 4 * FRONT_UNITS),
           MICROPROP_STATUS_NULL_POINTER);
    EXPECT(microprop_backbone_features(NULL, XOR_X, 8, out, 4 * FRONT_UNITS),
           MICROPROP_STATUS_NULL_POINTER);
    static uint8_t bytes[64] __attribute__((aligned(4)));
    EXPECT(microprop_backbone_features(&backbone, (const float *)(bytes + 1), 2, out, FRONT_UNITS),
           MICROPROP_STATUS_MISALIGNED);
    /* Outputs over the inputs, the workspace or the backbone. */
    float both[4 * FRONT_UNITS];
    memcpy(both, XOR_X, sizeof XOR_X);
    EXPECT(microprop_backbone_features(&backbone, both, 8, both, 4 * FRONT_UNITS),
           MICROPROP_STATUS_BUFFER_OVERLAP);
    EXPECT(microprop_backbone_features(&backbone, XOR_X, 2, front_scratch, FRONT_UNITS),
           MICROPROP_STATUS_BUFFER_OVERLAP);
    EXPECT(microprop_backbone_features(&backbone, XOR_X, 2, (float *)&backbone, FRONT_UNITS),
           MICROPROP_STATUS_BUFFER_OVERLAP);
    EXPECT(microprop_backbone_features(&backbone, front_scratch, 2, out, FRONT_UNITS),
           MICROPROP_STATUS_BUFFER_OVERLAP);
    for (size_t i = 0; i < sizeof out / sizeof out[0]; i++) CHECK(out[i] == 7);
    /* Only rows x outputs are written. */
    OK(microprop_backbone_features(&backbone, XOR_X, 8, out, sizeof out / sizeof out[0]));
    CHECK(out[4 * FRONT_UNITS] == 7 && out[0] != 7);

    /* A backbone never set up, or overwritten. */
    microprop_backbone blank;
    memset(&blank, 0, sizeof blank);
    EXPECT(microprop_backbone_features(&blank, XOR_X, 2, out, FRONT_UNITS),
           MICROPROP_STATUS_NOT_INITIALIZED);
    blank = backbone;
    memset((uint8_t *)&blank + sizeof(uint32_t), 0xff, sizeof(uint32_t)); /* the input width */
    EXPECT(microprop_backbone_features(&blank, XOR_X, 2, out, FRONT_UNITS),
           MICROPROP_STATUS_NOT_INITIALIZED);
}

/* ---- bad input --------------------------------------------------------- */

static float return_nan(uint32_t step, void *context) {
    (void)step;
    (void)context;
    return NAN;
}

static void bad_model_descriptions(void) {
    static uint8_t space[8192] __attribute__((aligned(4)));
    microprop_config c = xor_config();
    microprop_sizes s;
    microprop_model m;
    EXPECT(microprop_buffer_sizes(NULL, &s), MICROPROP_STATUS_NULL_POINTER);
    EXPECT(microprop_buffer_sizes(&c, NULL), MICROPROP_STATUS_NULL_POINTER);

    microprop_layer layers[MICROPROP_MAX_LAYERS + 1];
    for (int i = 0; i <= MICROPROP_MAX_LAYERS; i++) layers[i] = microprop_dense(4, MICROPROP_ACTIVATION_RELU);
    c.layers = layers;
    c.layer_count = 2;
    OK(microprop_buffer_sizes(&c, &s));
    c.layer_count = MICROPROP_MAX_LAYERS + 1;
    EXPECT(microprop_buffer_sizes(&c, &s), MICROPROP_STATUS_TOO_MANY_LAYERS);
    c.layer_count = 0;
    EXPECT(microprop_buffer_sizes(&c, &s), MICROPROP_STATUS_INVALID_LAYER);
    c.layer_count = 2;
    c.layers = NULL;
    EXPECT(microprop_buffer_sizes(&c, &s), MICROPROP_STATUS_NULL_POINTER);
    c.layers = layers;
    layers[1].units = 0;
    EXPECT(microprop_buffer_sizes(&c, &s), MICROPROP_STATUS_INVALID_LAYER);
    layers[1] = microprop_dense(1, 9); /* no such activation */
    EXPECT(microprop_buffer_sizes(&c, &s), MICROPROP_STATUS_INVALID_LAYER);
    layers[1] = microprop_maxout(4, 1); /* one piece is not maxout... */
    OK(microprop_buffer_sizes(&c, &s)); /* ...but a dense identity layer */
    layers[1] = microprop_maxout(4, 257);
    EXPECT(microprop_buffer_sizes(&c, &s), MICROPROP_STATUS_INVALID_LAYER);
    layers[1] = microprop_maxout(4, 2);
    layers[1].activation = MICROPROP_ACTIVATION_TANH; /* maxout with an activation */
    EXPECT(microprop_buffer_sizes(&c, &s), MICROPROP_STATUS_INVALID_LAYER);
    layers[1] = microprop_dense_with(4, MICROPROP_ACTIVATION_LEAKY_RELU, -0.1f);
    EXPECT(microprop_buffer_sizes(&c, &s), MICROPROP_STATUS_INVALID_LAYER);
    layers[1] = microprop_dense_with(4, MICROPROP_ACTIVATION_ELU, NAN);
    EXPECT(microprop_buffer_sizes(&c, &s), MICROPROP_STATUS_INVALID_LAYER);
    layers[1] = microprop_dense(1, MICROPROP_ACTIVATION_SIGMOID);
    c.inputs = 0;
    EXPECT(microprop_buffer_sizes(&c, &s), MICROPROP_STATUS_INVALID_LAYER);
    c.inputs = 2;
    OK(microprop_buffer_sizes(&c, &s));
    c.loss = MICROPROP_LOSS_SOFTMAX_CROSS_ENTROPY; /* behind a sigmoid */
    EXPECT(microprop_buffer_sizes(&c, &s), MICROPROP_STATUS_LOSS_MISMATCH);
    c.loss = 7;
    EXPECT(microprop_buffer_sizes(&c, &s), MICROPROP_STATUS_INVALID_ARGUMENT);
    c.loss = MICROPROP_LOSS_MEAN_SQUARED_ERROR;

    c.optimizer.beta1 = 1.0f;
    EXPECT(microprop_buffer_sizes(&c, &s), MICROPROP_STATUS_INVALID_HYPERPARAMETER);
    c.optimizer = microprop_adam();
    c.optimizer.eps = 0;
    EXPECT(microprop_buffer_sizes(&c, &s), MICROPROP_STATUS_INVALID_HYPERPARAMETER);
    c.optimizer = microprop_rmsprop();
    c.optimizer.weight_decay = -1;
    EXPECT(microprop_buffer_sizes(&c, &s), MICROPROP_STATUS_INVALID_HYPERPARAMETER);
    c.optimizer.kind = 12;
    EXPECT(microprop_buffer_sizes(&c, &s), MICROPROP_STATUS_INVALID_ARGUMENT);
    c.optimizer = microprop_adam();
    c.schedule = microprop_schedule_constant(NAN);
    EXPECT(microprop_buffer_sizes(&c, &s), MICROPROP_STATUS_INVALID_HYPERPARAMETER);
    c.schedule = microprop_schedule_cosine(0.1f, -0.1f, 10);
    EXPECT(microprop_buffer_sizes(&c, &s), MICROPROP_STATUS_INVALID_HYPERPARAMETER);
    c.schedule = microprop_schedule_custom(NULL, NULL);
    EXPECT(microprop_buffer_sizes(&c, &s), MICROPROP_STATUS_NULL_POINTER);
    c.schedule.kind = 9;
    EXPECT(microprop_buffer_sizes(&c, &s), MICROPROP_STATUS_INVALID_ARGUMENT);
    c.schedule = microprop_schedule_constant(0.1f);
    c.max_grad_norm = -1;
    EXPECT(microprop_buffer_sizes(&c, &s), MICROPROP_STATUS_INVALID_HYPERPARAMETER);
    c.max_grad_norm = INFINITY;
    EXPECT(microprop_buffer_sizes(&c, &s), MICROPROP_STATUS_INVALID_HYPERPARAMETER);
    c.max_grad_norm = 0;
    c.fused = 2;
    EXPECT(microprop_buffer_sizes(&c, &s), MICROPROP_STATUS_INVALID_ARGUMENT);
    c.fused = 0;
    OK(microprop_buffer_sizes(&c, &s));

    /* Buffers: NULL, short, misaligned, overlapping. A refused init does
     * not touch a model set up before. */
    microprop_buffers b;
    OK(microprop_buffers_from_arena(&c, space, sizeof space, &b));
    OK(microprop_model_init(&m, &c, &b));
    microprop_model before = m;
    microprop_buffers bad = b;
    bad.params = NULL;
    EXPECT(microprop_model_init(&m, &c, &bad), MICROPROP_STATUS_NULL_POINTER);
    bad = b;
    bad.params_len = s.params - 1;
    EXPECT(microprop_model_init(&m, &c, &bad), MICROPROP_STATUS_BUFFER_TOO_SMALL);
    bad = b;
    bad.cache = (float *)((uint8_t *)b.cache + 2);
    EXPECT(microprop_model_init(&m, &c, &bad), MICROPROP_STATUS_MISALIGNED);
    bad = b;
    bad.gradients = b.params + 1;
    EXPECT(microprop_model_init(&m, &c, &bad), MICROPROP_STATUS_BUFFER_OVERLAP);
    bad = b;
    bad.scratch = (float *)&m; /* the model itself */
    EXPECT(microprop_model_init(&m, &c, &bad), MICROPROP_STATUS_BUFFER_OVERLAP);
    EXPECT(microprop_model_init(&m, &c, NULL), MICROPROP_STATUS_NULL_POINTER);
    EXPECT(microprop_model_init(NULL, &c, &b), MICROPROP_STATUS_NULL_POINTER);
    c.inputs = 0;
    EXPECT(microprop_model_init(&m, &c, &b), MICROPROP_STATUS_INVALID_LAYER);
    CHECK(memcmp(&before, &m, sizeof m) == 0);

    /* A model never set up. */
    microprop_model blank;
    memset(&blank, 0, sizeof blank);
    float out[1];
    EXPECT(microprop_predict(&blank, XOR_X, 2, out, 1), MICROPROP_STATUS_NOT_INITIALIZED);
    EXPECT(microprop_train_values(&blank, XOR_X, 8, XOR_Y, 4, NULL), MICROPROP_STATUS_NOT_INITIALIZED);
    EXPECT(microprop_init_weights(&blank, (microprop_init){MICROPROP_INIT_KIND_XAVIER, 0, 0}, 1),
           MICROPROP_STATUS_NOT_INITIALIZED);
    uint32_t n;
    EXPECT(microprop_steps(&blank, &n), MICROPROP_STATUS_NOT_INITIALIZED);
    EXPECT(microprop_steps(NULL, &n), MICROPROP_STATUS_NULL_POINTER);
}

static void bad_calls_change_nothing(void) {
    microprop_model *m = &xor_model;
    microprop_digest weights = digest_of(m);
    uint32_t steps = steps_of(m);
    microprop_stats stats;
    memset(&stats, 0xab, sizeof stats);
    microprop_stats untouched = stats;

    float x[8];
    memcpy(x, XOR_X, sizeof x);
    x[5] = NAN;
    EXPECT(microprop_train_values(m, x, 8, XOR_Y, 4, &stats), MICROPROP_STATUS_NON_FINITE_INPUT);
    x[5] = INFINITY;
    EXPECT(microprop_train_values(m, x, 8, XOR_Y, 4, &stats), MICROPROP_STATUS_NON_FINITE_INPUT);
    float y[4] = {0, 1, NAN, 0};
    EXPECT(microprop_train_values(m, XOR_X, 8, y, 4, &stats), MICROPROP_STATUS_NON_FINITE_TARGET);
    EXPECT(microprop_train_values(m, XOR_X, 7, XOR_Y, 4, &stats), MICROPROP_STATUS_INPUT_LENGTH);
    EXPECT(microprop_train_values(m, XOR_X, 8, XOR_Y, 3, &stats), MICROPROP_STATUS_ROW_COUNT_MISMATCH);
    EXPECT(microprop_train_values(m, XOR_X, 0, XOR_Y, 0, &stats), MICROPROP_STATUS_EMPTY_BATCH);
    EXPECT(microprop_train_values(m, NULL, 8, XOR_Y, 4, &stats), MICROPROP_STATUS_NULL_POINTER);
    EXPECT(microprop_train_values(m, XOR_X, 8, NULL, 4, &stats), MICROPROP_STATUS_NULL_POINTER);
    EXPECT(microprop_train_labels(m, XOR_X, 8, XOR_LABELS, 4, &stats), MICROPROP_STATUS_LOSS_MISMATCH);
    EXPECT(microprop_train_values(NULL, XOR_X, 8, XOR_Y, 4, &stats), MICROPROP_STATUS_NULL_POINTER);
    static uint8_t bytes[64] __attribute__((aligned(4)));
    EXPECT(microprop_train_values(m, (const float *)(bytes + 1), 8, XOR_Y, 4, &stats),
           MICROPROP_STATUS_MISALIGNED);
    EXPECT(microprop_train_values(m, XOR_X, 8, XOR_Y, 4, (microprop_stats *)(bytes + 2)),
           MICROPROP_STATUS_MISALIGNED);
    /* Inputs that alias the model's own buffers. */
    EXPECT(microprop_train_values(m, xor_params, 8, XOR_Y, 4, &stats), MICROPROP_STATUS_BUFFER_OVERLAP);
    EXPECT(microprop_train_values(m, XOR_X, 8, XOR_Y, 4, (microprop_stats *)xor_cache),
           MICROPROP_STATUS_BUFFER_OVERLAP);
    CHECK(memcmp(&stats, &untouched, sizeof stats) == 0);

    /* Labels: out of range. */
    size_t labels[4] = {0, 1, 2, 0};
    EXPECT(microprop_train_labels(&cls_model, XOR_X, 8, labels, 4, &stats),
           MICROPROP_STATUS_LABEL_OUT_OF_RANGE);
    /* Binary cross-entropy targets outside [0, 1]. */
    {
        static uint8_t space[4096] __attribute__((aligned(4)));
        microprop_layer logit[2] = {microprop_dense(4, MICROPROP_ACTIVATION_TANH),
                                    microprop_dense(1, MICROPROP_ACTIVATION_IDENTITY)};
        microprop_config c = xor_config();
        c.layers = logit;
        c.loss = MICROPROP_LOSS_SIGMOID_BINARY_CROSS_ENTROPY;
        microprop_buffers b;
        microprop_model bce;
        OK(microprop_buffers_from_arena(&c, space, sizeof space, &b));
        OK(microprop_model_init(&bce, &c, &b));
        OK(microprop_init_weights(&bce, (microprop_init){MICROPROP_INIT_KIND_XAVIER, 0, 0}, 1));
        float t[4] = {0, 1, 2, 0};
        EXPECT(microprop_train_values(&bce, XOR_X, 8, t, 4, NULL), MICROPROP_STATUS_INVALID_TARGET);
        OK(microprop_train_values(&bce, XOR_X, 8, XOR_Y, 4, NULL));
    }

    /* Weights, init and predict. */
    EXPECT(microprop_init_weights(m, (microprop_init){MICROPROP_INIT_KIND_NORMAL, 0, -1}, 1),
           MICROPROP_STATUS_INVALID_HYPERPARAMETER);
    EXPECT(microprop_init_weights(m, (microprop_init){MICROPROP_INIT_KIND_UNIFORM, NAN, 0}, 1),
           MICROPROP_STATUS_INVALID_HYPERPARAMETER);
    EXPECT(microprop_init_weights(m, (microprop_init){42, 0, 0}, 1), MICROPROP_STATUS_INVALID_ARGUMENT);
    float w[XOR_PARAMS];
    memcpy(w, xor_params, sizeof w);
    w[3] = NAN;
    EXPECT(microprop_set_params(m, w, XOR_PARAMS), MICROPROP_STATUS_NON_FINITE_INPUT);
    EXPECT(microprop_set_params(m, w, XOR_PARAMS - 1), MICROPROP_STATUS_BUFFER_TOO_SMALL);
    EXPECT(microprop_set_params(m, xor_params, XOR_PARAMS), MICROPROP_STATUS_BUFFER_OVERLAP);
    float out[2] = {7, 7};
    EXPECT(microprop_predict(m, x, 2, out, 1), MICROPROP_STATUS_OK); /* row 0 is finite */
    float kept = out[0];
    EXPECT(microprop_predict(m, x + 4, 2, out, 1), MICROPROP_STATUS_NON_FINITE_INPUT);
    EXPECT(microprop_predict(m, XOR_X, 3, out, 1), MICROPROP_STATUS_INPUT_LENGTH);
    EXPECT(microprop_predict(m, XOR_X, 2, out, 0), MICROPROP_STATUS_BUFFER_TOO_SMALL);
    EXPECT(microprop_predict(m, XOR_X, 2, NULL, 1), MICROPROP_STATUS_NULL_POINTER);
    EXPECT(microprop_predict(m, XOR_X, 2, xor_scratch, 1), MICROPROP_STATUS_BUFFER_OVERLAP);
    CHECK(out[0] == kept && out[1] == 7);
    size_t cls;
    EXPECT(microprop_classify(m, XOR_X, 2, NULL), MICROPROP_STATUS_NULL_POINTER);
    EXPECT(microprop_classify(m, x + 4, 2, &cls), MICROPROP_STATUS_NON_FINITE_INPUT);

    /* A custom schedule that returns NaN: the step is refused. */
    {
        static uint8_t space[8192] __attribute__((aligned(4)));
        microprop_config c = xor_config();
        c.schedule = microprop_schedule_custom(return_nan, NULL);
        microprop_buffers b;
        microprop_model nan_model;
        OK(microprop_buffers_from_arena(&c, space, sizeof space, &b));
        OK(microprop_model_init(&nan_model, &c, &b));
        OK(microprop_init_weights(&nan_model, (microprop_init){MICROPROP_INIT_KIND_XAVIER, 0, 0}, 1));
        microprop_digest d = digest_of(&nan_model);
        EXPECT(microprop_train_values(&nan_model, XOR_X, 8, XOR_Y, 4, NULL),
               MICROPROP_STATUS_INVALID_LEARNING_RATE);
        CHECK(same_digest(d, digest_of(&nan_model)) && steps_of(&nan_model) == 0);
    }

    CHECK(same_digest(weights, digest_of(m)) && steps_of(m) == steps);
}

int main(void) {
    error_messages();
    sizes_match_the_macros();
    xor_trains_with_values();
    classes_train_from_an_arena();
    other_models();
    checkpoints_round_trip();
    flash_round_trip();
    backbone_and_head();
    backbone_bad_input();
    bad_model_descriptions();
    bad_calls_change_nothing();
    printf("c api: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
