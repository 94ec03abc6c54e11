/*===- run_bert.c - The bertc C API, linked with the model library --------===*\
|*                                                                            *|
|*   run_bert model.safetensors [id ...]                                      *|
|*                                                                            *|
|* Loads weights into a model library compiled by bertc, runs the encoder on  *|
|* one sequence and prints the first values of pooler_output and the latency  *|
|* of one run (bert_example.h: load, query, build the input, run, report,     *|
|* free). Link it with the static library:                                    *|
|*                                                                            *|
|*   cc -O2 -I OUT run_bert.c OUT/lib<model>.a -lpthread -ldl -lm -o run_bert *|
|*                                                                            *|
|* Every failure prints "run_bert: error: <what>" and exits with status 1.    *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c99 */

#include "bert_example.h"

int main(int argc, char **argv) {
  /* The API as linked: the table holds the library's functions. */
  static const bert_example_api api = {
      bert_model_load,        bert_model_free,       bert_run,
      bert_model_hidden_size, bert_model_num_layers, bert_model_vocab_size,
      bert_model_max_seq,     bert_model_name};
  if (argc < 2) {
    fprintf(stderr, "usage: run_bert model.safetensors [id ...]\n");
    return 1;
  }
  return bert_example_run("run_bert", &api, argv[1], argc - 2, argv + 2);
}
