/*===- bert_runtime.h - C API of a compiled BERT encoder ------------------===*\
|*                                                                            *|
|* This header is the manual of every model library that bertc produces       *|
|* (lib<model>.so / lib<model>.a). A library holds one encoder, compiled for  *|
|* fixed hyper-parameters and maximum batch / sequence sizes; the weights     *|
|* come at run time from a Hugging Face safetensors file.                     *|
|*                                                                            *|
|* Usage (any model: inputs and outputs by name):                            *|
|*                                                                            *|
|*   #include "bert_runtime.h"                                                *|
|*                                                                            *|
|*   bert_status st;                                                          *|
|*   bert_model_t *m = bert_model_load("model.safetensors", &st);             *|
|*   if (!m) { fprintf(stderr, "%s\n", st.message); return 1; }               *|
|*   int64_t batch = 1, seq = 3;                                              *|
|*   int32_t ids[3] = {101, 7592, 102};                                       *|
|*   bert_tensor_info out;   (the model's first output, e.g. "logits")        *|
|*   bert_model_output_info(m, 0, &out, NULL);                                *|
|*   float *y = malloc(sizeof(float) * bert_tensor_numel(&out, batch, seq));  *|
|*   bert_buffer in[1] = {{"input_ids", ids}}, res[1] = {{out.name, y}};      *|
|*   if (bert_run_named(m, batch, seq, in, 1, res, 1, &st))                   *|
|*     fprintf(stderr, "%s\n", st.message);                                   *|
|*   free(y);                                                                 *|
|*   bert_model_free(m);                                                      *|
|*                                                                            *|
|* A BertModel library (outputs last_hidden_state and pooler_output) can also *|
|* be run with the fixed argument list of bert_run().                         *|
|*                                                                            *|
|* Ownership: the caller owns every buffer it passes in (inputs and           *|
|* outputs); the runtime reads or writes them during the call only and keeps  *|
|* no pointer to them. The model owns its weights (mapped from the file, or   *|
|* copied/converted where the file's layout does not allow in-place use) and  *|
|* releases them in bert_model_free(). Strings returned by the API are        *|
|* static or owned by the model, never to be freed.                           *|
|*                                                                            *|
|* Thread safety: bert_run() and bert_run_named() may be called from several  *|
|* threads at once on the same model; each call gets its own scratch arena.   *|
|* Queries are safe at any time. bert_model_load() of different files is safe *|
|* concurrently. bert_model_free() must not race with other calls on the same *|
|* model, and bert_model_set_num_threads() changes a process-wide kernel      *|
|* thread pool, so call it before running, not during.                        *|
|*                                                                            *|
|* Errors: every function that can fail returns a bert_status_code (or NULL)  *|
|* and, when given a non-NULL bert_status, fills it: code plus a message that *|
|* names the file, tensor or argument and says what was expected and found.   *|
|* On success the status holds BERT_OK and an empty message.                  *|
|*                                                                            *|
|* Data layout: all tensors are row-major (C order), little-endian host.      *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef BERT_RUNTIME_H
#define BERT_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define BERT_API __attribute__((visibility("default")))
#else
#define BERT_API
#endif

/* Version of the runtime, "MAJOR.MINOR.PATCH". */
#define BERT_RUNTIME_VERSION "0.1.0"

/* Limits. Each is checked before anything is allocated for it, and going
 * past one is a named error, not an exhausted machine. They sit far above
 * every published BERT (bert-large: 24 layers, 335 M parameters, a 40 KB
 * header with about 400 tensors).
 *  - BERT_MAX_HEADER_BYTES: a safetensors JSON header (the reference
 *    implementation refuses more too); the parsed header takes at most
 *    about 9 bytes of memory per header byte.
 *  - BERT_MAX_TENSORS: entries in one safetensors header.
 *  - BERT_MAX_LAYERS: num_hidden_layers of a config (bertc compile and
 *    init-weights refuse more).
 *  - BERT_MAX_PARAMETERS: weights of one model, all tensors together
 *    (16 GiB as float32); bertc refuses a config that needs more. */
#define BERT_MAX_HEADER_BYTES 100000000
#define BERT_MAX_TENSORS 1000000
#define BERT_MAX_LAYERS 1024
#define BERT_MAX_PARAMETERS ((int64_t)1 << 32)

/* Status codes; 0 is success. Stable numbers: bindings may rely on them. */
typedef enum {
  BERT_OK = 0,
  BERT_ERR_IO = 1,               /* file missing, unreadable, mmap failed */
  BERT_ERR_BAD_FORMAT = 2,       /* malformed safetensors header or layout */
  BERT_ERR_MISSING_TENSOR = 3,   /* a tensor the model needs is absent */
  BERT_ERR_SHAPE_MISMATCH = 4,   /* a tensor's shape differs from the model */
  BERT_ERR_DTYPE_MISMATCH = 5,   /* a tensor's dtype is not F32/F16/BF16 */
  BERT_ERR_BAD_ARGUMENT = 6,     /* NULL pointer, size or id out of range */
  BERT_ERR_OUT_OF_MEMORY = 7,    /* an allocation failed */
  BERT_ERR_KERNEL = 8,           /* a compiled kernel reported an error */
  BERT_ERR_ABI_MISMATCH = 9,     /* generated code and runtime disagree */
  BERT_ERR_UNSUPPORTED_CPU = 10, /* the library needs CPU state (AMX) this
                                    machine or kernel does not grant */
  BERT_ERR_NO_DEVICE = 11        /* a CUDA library, and no CUDA driver or
                                    GPU to run it on */
} bert_status_code;

/* Filled by every call that takes one (on success too). */
typedef struct {
  bert_status_code code;
  char message[512]; /* NUL-terminated; empty on success */
} bert_status;

/* Opaque model handle. (`bert_model` and `bert_model_t` are the same type.) */
typedef struct bert_model bert_model;
typedef struct bert_model bert_model_t;

/* Element type of a model input or output. */
typedef enum {
  BERT_DTYPE_INT32 = 1,  /* inputs: ids, masks */
  BERT_DTYPE_FLOAT32 = 2 /* outputs */
} bert_dtype;

/* The most dims an input or output has. */
#define BERT_MAX_RANK 4
/* A dim that is not fixed at compile time: the call's batch (dim 0) or
 * sequence length (dim 1). */
#define BERT_DIM_BATCH (-1)
#define BERT_DIM_SEQ (-2)

/* An input or output of the model (bert_model_input_info,
 * bert_model_output_info). Its data is row-major. */
typedef struct {
  /* Hugging Face name, owned by the model: inputs "input_ids",
   * "token_type_ids", "attention_mask", "langs"; outputs as transformers
   * returns them: "last_hidden_state", "pooler_output", "logits",
   * "prediction_logits", "seq_relationship_logits", "start_logits",
   * "end_logits". */
  const char *name;
  bert_dtype dtype; /* inputs INT32, outputs FLOAT32 */
  int rank;         /* 1..BERT_MAX_RANK */
  /* > 0: a fixed extent; BERT_DIM_BATCH / BERT_DIM_SEQ: the call's batch
   * or seq. E.g. last_hidden_state {BERT_DIM_BATCH, BERT_DIM_SEQ, 768},
   * a classifier's logits {BERT_DIM_BATCH, 3}. Entries past rank are 0. */
  int64_t dims[BERT_MAX_RANK];
  /* Inputs: values must lie in [0, upper_bound) (vocab_size for input_ids,
   * 2 for attention_mask); 0 = not checked. Outputs: 0. */
  int64_t upper_bound;
  /* Inputs: 1 if every run must give it (input_ids); otherwise a run
   * without it uses [batch, seq] of default_value (token_type_ids and langs
   * 0, attention_mask 1). Outputs: 0. */
  int required;
  int32_t default_value;
} bert_tensor_info;

/* A caller's buffer for bert_run_named: the input or output `name`, at
 * `data` (int32 for inputs, float for outputs, the shape its
 * bert_tensor_info gives at the call's batch and seq). */
typedef struct {
  const char *name;
  void *data;
} bert_buffer;

/* Runtime version string, BERT_RUNTIME_VERSION. */
BERT_API const char *bert_version(void);

/* A short static description of a code, e.g. "missing tensor". */
BERT_API const char *bert_status_string(bert_status_code code);

/* Loads weights for the model compiled into this library.
 *
 * Maps `safetensors_path` read-only and validates everything before it
 * succeeds: the header (JSON, every tensor's offsets within the file and
 * consistent with dtype and shape), and every tensor the model needs
 * (present, expected shape, dtype F32, F16 or BF16; F16/BF16 are converted
 * to F32 at load). Tensors the model does not need are ignored. Suitably
 * aligned F32 tensors are used in place, without a copy.
 *
 * Returns the model, or NULL with `st` filled; a failed load leaves nothing
 * allocated or mapped. `st` may be NULL. */
BERT_API bert_model_t *bert_model_load(const char *safetensors_path,
                                       bert_status *st);

/* Releases the model and everything it owns. NULL is a no-op. */
BERT_API void bert_model_free(bert_model_t *m);

/* Runs the model on a batch, inputs and outputs given by name.
 *
 *   batch, seq   1..bert_model_max_batch(m), 1..bert_model_max_seq(m)
 *   inputs       num_inputs buffers, each naming one of the model's inputs
 *                (bert_model_input_info), int32 [batch, seq]. "input_ids" is
 *                required; an input not given gets its default: zeros for
 *                token_type_ids and langs, ones (attend to all) for
 *                attention_mask.
 *   outputs      num_outputs buffers, each naming one of the model's
 *                outputs, float32 of the output's shape at (batch, seq).
 *                Outputs not given are computed into runtime scratch and
 *                dropped; num_outputs may be 0.
 *
 * A NULL array with a count > 0, a NULL name or data, a name the model
 * does not have or a name given twice is BERT_ERR_BAD_ARGUMENT with the
 * name in the message. Input values are checked against their
 * upper_bound (a bad value names the input and its position, e.g.
 * "input_ids[1][2] = 40000 out of range [0, 30522)"). Outputs are written
 * only when the code is BERT_OK; output buffers must not overlap each other
 * or the inputs. Safe to call concurrently (see above).
 *
 * Padding: when the attention mask has padding, the call may compute
 * without it ("packed" path): only real tokens (plus position 0 of each row,
 * which first-token heads such as the pooler read) go through the encoder,
 * T rows instead of batch * seq, and attention runs per row over that row's
 * real tokens. It is taken when the model library has it, no mask row is
 * all zeros, and it computes at most 90% of the batch * seq positions. The
 * environment variable BERT_PACKING (read at each call) overrides the
 * choice: "never" (or "padded") always computes padded, "always" (or
 * "packed") packs whenever it is allowed (no fully masked row). Both paths
 * give the same results (up to fp32 rounding) on real tokens and in the
 * outputs without a seq dim. Rows of a [batch, seq, ...] output at padding
 * positions (mask 0) are not meaningful: the padded path writes what the
 * model computes there (as Hugging Face does); the packed path writes
 * zeros, except at position 0 of a row, which it always computes. */
BERT_API bert_status_code bert_run_named(bert_model_t *m, int64_t batch,
                                         int64_t seq, const bert_buffer *inputs,
                                         int num_inputs,
                                         const bert_buffer *outputs,
                                         int num_outputs, bert_status *st);

/* Runs a BertModel-style library (one with a last_hidden_state output)
 * with a fixed argument list; bert_run_named() with the same buffers does
 * the same.
 *
 *   input_ids          [batch, seq] token ids in [0, vocab_size)
 *   token_type_ids     [batch, seq] in [0, type_vocab_size); NULL = all 0.
 *                      Non-NULL is an error for a model without a
 *                      token_type_ids input (e.g. DistilBERT).
 *   attention_mask     [batch, seq] 1 = attend, 0 = padding; NULL = all 1
 *   batch, seq         1..bert_model_max_batch(m), 1..bert_model_max_seq(m)
 *   last_hidden_state  out: [batch, seq, hidden_size]
 *   pooler_output      out: [batch, hidden_size]; NULL if not wanted.
 *                      Non-NULL is an error for a model without a
 *                      pooler_output (DistilBERT, a sentence-transformers
 *                      export without pooler weights).
 *
 * A model without a last_hidden_state output (a task head: logits, ...) is
 * refused with BERT_ERR_BAD_ARGUMENT naming bert_run_named; other outputs
 * and other inputs (langs) take their defaults. Checks, packing and
 * concurrency as for bert_run_named(). */
BERT_API bert_status_code bert_run(bert_model_t *m, const int32_t *input_ids,
                                   const int32_t *token_type_ids,
                                   const int32_t *attention_mask, int64_t batch,
                                   int64_t seq, float *last_hidden_state,
                                   float *pooler_output, bert_status *st);

/* CUDA libraries (bertc --target cuda): the asynchronous run on the
 * caller's stream, with device pointers. bert_run() and bert_run_named()
 * keep working on host buffers (each a synchronous round trip).
 *
 *   stream     the caller's CUstream (NULL: the legacy default stream), of
 *              the device's primary context (the CUDA runtime API's
 *              context), as a void *
 *   inputs     bert_model_num_inputs(m) device pointers in table order
 *              (bert_model_input_info), each int32 [batch, seq]; all are
 *              required here (no defaults on the device)
 *   outputs    bert_model_num_outputs(m) device pointers in table order,
 *              float32 of each output's shape at (batch, seq)
 *   workspace  device memory of at least
 *              bert_model_device_workspace_bytes(m, batch, seq) bytes,
 *              256-byte aligned, used by no other work until the stream
 *              reaches this call's end
 *
 * The call only queues the kernels: it returns once they are on the
 * stream. Weights are uploaded on a library's first device call. Errors of
 * the kernels are reported by bert_stream_synchronize() (or the caller's
 * own synchronization). A CPU library, a short workspace or a NULL
 * pointer is BERT_ERR_BAD_ARGUMENT; the driver refusing a launch is
 * BERT_ERR_KERNEL with its message. Calls are serialized per library. */
BERT_API bert_status_code
bert_run_device_async(bert_model_t *m, void *stream, const void *const *inputs,
                      int64_t batch, int64_t seq, void *const *outputs,
                      void *workspace, size_t workspace_bytes, bert_status *st);
/* 0 for a CPU library. */
BERT_API size_t bert_model_device_workspace_bytes(const bert_model_t *m,
                                                  int64_t batch, int64_t seq);
/* Waits for `stream`; BERT_ERR_KERNEL with the driver's message when a
 * kernel queued on it failed. */
BERT_API bert_status_code bert_stream_synchronize(bert_model_t *m, void *stream,
                                                  bert_status *st);

/* The model's inputs and outputs, in a fixed order (index 0..count-1). */
BERT_API int bert_model_num_inputs(const bert_model_t *m);
BERT_API int bert_model_num_outputs(const bert_model_t *m);

/* Fills `info` for input (output) `index`; BERT_ERR_BAD_ARGUMENT when the
 * index is out of range or `info` is NULL. */
BERT_API bert_status_code bert_model_input_info(const bert_model_t *m,
                                                int index,
                                                bert_tensor_info *info,
                                                bert_status *st);
BERT_API bert_status_code bert_model_output_info(const bert_model_t *m,
                                                 int index,
                                                 bert_tensor_info *info,
                                                 bert_status *st);

/* The index of the input (output) called `name`, or -1 if there is none. */
BERT_API int bert_model_find_input(const bert_model_t *m, const char *name);
BERT_API int bert_model_find_output(const bert_model_t *m, const char *name);

/* Elements of a tensor of `info`'s shape at (batch, seq). */
BERT_API int64_t bert_tensor_numel(const bert_tensor_info *info, int64_t batch,
                                   int64_t seq);

/* Sets the number of kernel worker threads (0 = default: one per core).
 * Process-wide for the kernels of this library; call it before bert_run. */
BERT_API bert_status_code bert_model_set_num_threads(bert_model_t *m, int n,
                                                     bert_status *st);

/* Queries; all take a loaded model (not NULL). */
BERT_API const char *bert_model_name(const bert_model_t *m);
BERT_API int64_t bert_model_hidden_size(const bert_model_t *m);
BERT_API int64_t bert_model_num_layers(const bert_model_t *m);
BERT_API int64_t bert_model_num_heads(const bert_model_t *m);
BERT_API int64_t bert_model_intermediate_size(const bert_model_t *m);
BERT_API int64_t bert_model_vocab_size(const bert_model_t *m);
BERT_API int64_t bert_model_type_vocab_size(const bert_model_t *m);
BERT_API int64_t bert_model_max_batch(const bert_model_t *m);
BERT_API int64_t bert_model_max_seq(const bert_model_t *m);

/* Scratch bytes one run at (batch, seq) allocates for the activations (0
 * if out of range); outputs the caller does not want add their size.
 * Peak memory of concurrent calls is the sum over the calls in flight. */
BERT_API size_t bert_model_arena_bytes(const bert_model_t *m, int64_t batch,
                                       int64_t seq);

/* Bytes of weights the load had to copy or convert (packed slots, F16/BF16
 * tensors, misaligned tensors); the rest are used in place from the map. */
BERT_API size_t bert_model_copied_bytes(const bert_model_t *m);

/* The loaded float32 weight of a slot by its name (a Hugging Face tensor
 * name, or a packed slot's name), or NULL if the model has no such slot.
 * Owned by the model; `numel` (may be NULL) receives the element count. */
BERT_API const float *bert_model_weight(const bert_model_t *m, const char *name,
                                        int64_t *numel);

/* Per-kernel profiling. While enabled, every bert_run adds the wall time
 * of each of its kernel calls (and the flops of the GEMMs and attention) to
 * the model's profile; disabled (the default) costs nothing. Enabling
 * clears the profile. Call it while no bert_run is in flight. */
BERT_API bert_status_code bert_model_set_profiling(bert_model_t *m, int enable,
                                                   bert_status *st);

/* Writes the profile as text into `buf` (snprintf rules: at most `size`
 * bytes, NUL-terminated when size > 0) and returns the length of the whole
 * report. One line per distinct kernel, slowest first: calls per run,
 * milliseconds per run, share of the run, GFLOP/s, and its description;
 * then the ten slowest single calls (op and source location). Times are
 * averages over the profiled runs. */
BERT_API size_t bert_model_profile_report(bert_model_t *m, char *buf,
                                          size_t size);

/* Function pointer types, for loaders that dlopen a model library. */
typedef bert_model_t *(*bert_model_load_fn)(const char *, bert_status *);
typedef void (*bert_model_free_fn)(bert_model_t *);
typedef bert_status_code (*bert_run_fn)(bert_model_t *, const int32_t *,
                                        const int32_t *, const int32_t *,
                                        int64_t, int64_t, float *, float *,
                                        bert_status *);
typedef bert_status_code (*bert_run_named_fn)(bert_model_t *, int64_t, int64_t,
                                              const bert_buffer *, int,
                                              const bert_buffer *, int,
                                              bert_status *);
typedef int (*bert_model_count_fn)(const bert_model_t *);
typedef bert_status_code (*bert_model_tensor_info_fn)(const bert_model_t *, int,
                                                      bert_tensor_info *,
                                                      bert_status *);
typedef int (*bert_model_find_fn)(const bert_model_t *, const char *);
typedef int64_t (*bert_tensor_numel_fn)(const bert_tensor_info *, int64_t,
                                        int64_t);
typedef bert_status_code (*bert_model_set_num_threads_fn)(bert_model_t *, int,
                                                          bert_status *);
typedef int64_t (*bert_model_query_fn)(const bert_model_t *);
typedef const char *(*bert_model_name_fn)(const bert_model_t *);
typedef bert_status_code (*bert_model_set_profiling_fn)(bert_model_t *, int,
                                                        bert_status *);
typedef size_t (*bert_model_profile_report_fn)(bert_model_t *, char *, size_t);

#ifdef __cplusplus
}
#endif

#endif /* BERT_RUNTIME_H */
