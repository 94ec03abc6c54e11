//===- FakeModel.h - A tiny stand-in for generated model code -------------===//
//
// The runtime tests need a descriptor without a compiler. This one has the
// shape of a real one (direct slots, a packed QKV slot, an arena) and a
// run() whose result is easy to compute by hand, so a test can tell whether
// the runtime handed the right bytes to the right slot.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_TEST_RUNTIME_FAKEMODEL_H
#define BERT_TEST_RUNTIME_FAKEMODEL_H

#include "bert_model_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
  FAKE_HIDDEN = 4,
  FAKE_VOCAB = 10,
  FAKE_TYPE_VOCAB = 2,
  FAKE_MAX_BATCH = 2,
  FAKE_MAX_SEQ = 8,
  /* The packed QKV slot: Q, K and V, each FAKE_HIDDEN rows. */
  FAKE_QKV_ROWS = 3 * FAKE_HIDDEN,
  FAKE_N_LANGS = 3,
  /* run() fails with this code when input_ids[0] == FAKE_FAIL_ID. */
  FAKE_FAIL_ID = 9,
  FAKE_FAIL_CODE = 42
};

/* Last value passed to set_num_threads (-1 before any call). */
extern int fake_model_num_threads;
/* Number of calls that took the packed path (run_packed, which computes
 * exactly what run() does). */
extern int fake_model_packed_calls;
/* Called by run() after its argument checks when set (NULL by default), so a
 * test can act while a bert_run is in progress. */
extern void (*fake_model_during_run)(void);

/* Other descriptors over the same weights (load with bert_model_load_desc):
 *  - fake_token_model, a token-level head: inputs attention_mask,
 *    input_ids, langs (in [0, FAKE_N_LANGS)), no token_type_ids; outputs
 *    logits [B, S, FAKE_HIDDEN] = mask * word[id] + langs, and first
 *    [B, FAKE_HIDDEN], the fake pooler over logits. It has a packed path
 *    that zeroes padding rows s > 0, as generated ones do.
 *  - fake_nopool_model: inputs input_ids, attention_mask; output
 *    last_hidden_state = mask * word[id] only (no pooler). */
extern const bert_model_desc fake_token_model;
extern const bert_model_desc fake_nopool_model;

#ifdef __cplusplus
}
#endif

#endif // BERT_TEST_RUNTIME_FAKEMODEL_H
