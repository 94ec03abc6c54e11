/*===- run_bert_dlopen.c - Pick the model library at run time -------------===*\
|*                                                                            *|
|*   run_bert_dlopen lib<model>.so model.safetensors [id ...]                 *|
|*                                                                            *|
|* run_bert.c, but the model library is opened with dlopen() and the C API    *|
|* looked up with dlsym(), through the function-pointer types that            *|
|* bert_runtime.h declares for this. One binary can then serve any model      *|
|* that bertc compiled; it needs the header only, not the library:            *|
|*                                                                            *|
|*   cc -O2 -I OUT run_bert_dlopen.c -ldl -o run_bert_dlopen                  *|
|*                                                                            *|
|* Every failure prints "run_bert_dlopen: error: <what>" and exits with       *|
|* status 1.                                                                  *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c99 */

#include "bert_example.h"

#include <dlfcn.h>
#include <string.h>

/* dlsym() returns an object pointer; copying its bytes into a function
 * pointer is the conversion POSIX blesses and ISO C does not object to. */
#define LOOKUP(var, name)                                                      \
  do {                                                                         \
    void *sym_ = dlsym(lib, name);                                             \
    if (!sym_) {                                                               \
      fprintf(stderr,                                                          \
              "run_bert_dlopen: error: %s: not a bertc model library (no "     \
              "symbol '%s')\n",                                                \
              argv[1], name);                                                  \
      goto done;                                                               \
    }                                                                          \
    memcpy(&(var), &sym_, sizeof(var));                                        \
  } while (0)

int main(int argc, char **argv) {
  /* The API, as function pointers filled from the library. */
  bert_example_api api;
  char path[4096];
  void *lib = NULL;
  int rc = 1;

  if (argc < 3) {
    fprintf(
        stderr,
        "usage: run_bert_dlopen lib<model>.so model.safetensors [id ...]\n");
    return 1;
  }

  /* 1. Open the library. dlopen() searches the library path for a bare
   *    name, so make a file name without '/' relative to this directory. */
  snprintf(path, sizeof(path), "%s%s", strchr(argv[1], '/') ? "" : "./",
           argv[1]);
  lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    fprintf(stderr, "run_bert_dlopen: error: %s\n", dlerror());
    return 1;
  }
  LOOKUP(api.model_load, "bert_model_load");
  LOOKUP(api.model_free, "bert_model_free");
  LOOKUP(api.run, "bert_run");
  LOOKUP(api.hidden_size, "bert_model_hidden_size");
  LOOKUP(api.num_layers, "bert_model_num_layers");
  LOOKUP(api.vocab_size, "bert_model_vocab_size");
  LOOKUP(api.max_seq, "bert_model_max_seq");
  LOOKUP(api.model_name, "bert_model_name");

  /* 2. From here on, run_bert.c with every bert_* call made through a
   *    pointer: load, query, build the input, run, report, free (the model
   *    is freed before the library closes: nothing the library returned may
   *    be used after dlclose()). */
  rc = bert_example_run("run_bert_dlopen", &api, argv[2], argc - 3, argv + 3);

done:
  dlclose(lib);
  return rc;
}
