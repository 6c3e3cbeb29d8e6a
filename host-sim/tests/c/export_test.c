/* An exported C header used as the C API expects: host-sim/tests/export_c.rs
 * writes cases.h (which includes the exported header and names its parts
 * MODEL_*, plus input rows and the run-time Rust network's outputs on them
 * as bits), compiles this file against the host libmicroprop_ffi.a and runs
 * it with the checkpoint the header was exported from.
 *
 * It checks that the header's sizes are the C API's, that the model it
 * describes predicts the expected bits for every row (with the header's
 * normalisers applied as its comment says, when it has them), and that the
 * checkpoint's layer list and weights are the header's, bit for bit.
 * Prints one line a failure and "export c: N checks, M failed"; exits 1 if
 * any failed. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"

static int checks, failed;

#define CHECK(cond)                                                                 \
    do {                                                                            \
        checks++;                                                                   \
        if (!(cond)) {                                                              \
            failed++;                                                               \
            printf("FAILED %s:%d: %s\n", __FILE__, __LINE__, #cond);                \
        }                                                                           \
    } while (0)

#define OK(call)                                                                    \
    do {                                                                            \
        microprop_status s_ = (call);                                               \
        checks++;                                                                   \
        if (s_ != MICROPROP_STATUS_OK) {                                            \
            failed++;                                                               \
            printf("FAILED %s:%d: %s: %s\n", __FILE__, __LINE__, #call,            \
                   microprop_error_message(s_));                                    \
        }                                                                           \
    } while (0)

static uint8_t arena[MODEL_ARENA_BYTES] __attribute__((aligned(4)));
static uint8_t other_arena[MODEL_ARENA_BYTES] __attribute__((aligned(4)));
static microprop_model model, other;

static microprop_config config(void) {
    microprop_config c;
    memset(&c, 0, sizeof c);
    c.inputs = MODEL_INPUTS;
    c.layer_count = MODEL_LAYER_COUNT;
    c.layers = MODEL_LAYERS;
    c.loss = MICROPROP_LOSS_MEAN_SQUARED_ERROR;
    c.batch = 0; /* inference only */
    c.optimizer = microprop_sgd();
    c.schedule = microprop_schedule_constant(0.0f);
    return c;
}

/* The sizes the header states are the C API's. */
static void sizes(void) {
    microprop_config c = config();
    microprop_sizes s;
    OK(microprop_buffer_sizes(&c, &s));
    CHECK(s.inputs == MODEL_INPUTS && s.outputs == MODEL_OUTPUTS);
    CHECK(s.params == MODEL_PARAMS_LEN);
    CHECK(s.scratch == MODEL_SCRATCH_LEN);
    CHECK(s.scratch_winners == MODEL_SCRATCH_WINNERS_LEN);
    CHECK(s.arena_bytes == MODEL_ARENA_BYTES);
    CHECK(s.checkpoint_bytes == MODEL_CHECKPOINT_BYTES);
    CHECK(sizeof MODEL_PARAMS / sizeof MODEL_PARAMS[0] == MODEL_PARAMS_LEN);
}

/* Every row predicts the expected bits. */
static void predictions(void) {
    microprop_config c = config();
    microprop_buffers b;
    OK(microprop_buffers_from_arena(&c, arena, sizeof arena, &b));
    OK(microprop_model_init(&model, &c, &b));
    OK(microprop_set_params(&model, MODEL_PARAMS, MODEL_PARAMS_LEN));
    for (int row = 0; row < CASES; row++) {
        float x[MODEL_INPUTS], y[MODEL_OUTPUTS];
        memcpy(x, case_inputs[row], sizeof x);
#ifdef MODEL_INPUT_OFFSET
        for (int i = 0; i < MODEL_INPUTS; i++)
            x[i] = (x[i] - MODEL_INPUT_OFFSET[i]) * MODEL_INPUT_SCALE[i];
#endif
        OK(microprop_predict(&model, x, MODEL_INPUTS, y, MODEL_OUTPUTS));
#ifdef MODEL_TARGET_OFFSET
        for (int o = 0; o < MODEL_OUTPUTS; o++)
            y[o] = MODEL_TARGET_SCALE[o] != 0.0f ? y[o] / MODEL_TARGET_SCALE[o] + MODEL_TARGET_OFFSET[o]
                                                 : MODEL_TARGET_OFFSET[o];
#endif
        checks++;
        if (memcmp(y, case_outputs[row], sizeof y) != 0) {
            failed++;
            for (int o = 0; o < MODEL_OUTPUTS; o++) {
                uint32_t got;
                memcpy(&got, &y[o], sizeof got);
                if (got != case_outputs[row][o])
                    printf("FAILED row %d output %d: 0x%08x, expected 0x%08x\n", row, o,
                           (unsigned)got, (unsigned)case_outputs[row][o]);
            }
        }
    }
}

/* The checkpoint at `path` holds the header's layer list and weights. */
static void checkpoint(const char *path) {
    static uint8_t blob[MODEL_CHECKPOINT_BYTES + 4096];
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    if (f == NULL) return;
    size_t len = fread(blob, 1, sizeof blob, f);
    fclose(f);
    microprop_layer layers[MICROPROP_MAX_LAYERS];
    uint32_t inputs = 0, count = 0;
    OK(microprop_checkpoint_layers(blob, len, layers, MICROPROP_MAX_LAYERS, &inputs, &count));
    CHECK(inputs == MODEL_INPUTS && count == MODEL_LAYER_COUNT);
    CHECK(memcmp(layers, MODEL_LAYERS, sizeof(microprop_layer) * MODEL_LAYER_COUNT) == 0);
    /* Loading checks every layer's widths, activation, setting (its bits)
     * and pieces against the header's list. */
    microprop_config c = config();
    microprop_buffers b;
    OK(microprop_buffers_from_arena(&c, other_arena, sizeof other_arena, &b));
    OK(microprop_model_init(&other, &c, &b));
    OK(microprop_checkpoint_load(&other, blob, len, 0));
    CHECK(memcmp(b.params, MODEL_PARAMS, sizeof MODEL_PARAMS) == 0);
}

int main(int argc, char **argv) {
    sizes();
    predictions();
    if (argc > 1) checkpoint(argv[1]);
    printf("export c: %d checks, %d failed\n", checks, failed);
    return failed != 0;
}
