#!/usr/bin/env python3
"""Every valid config compiles and matches the evaluator: a seeded property test.

    run_props.py --bin BUILD/bin --work DIR [--count 30] [--seed 1] [--tol 1e-4] [--jobs 1]
                 [--precision int8]

For each of --count random BertModel configs (hidden 8-200 divisible by the heads, 1-8 heads,
ffn 1-400, vocab 2-500, 1-3 layers, every supported hidden_act, layer_norm_eps from 1e-12 to
1e-3) and a random batch, sequence length, compile-time maxima at or above them and padding:
  1. bertc init-weights (seeded) and bertc compile -o DIR (the native library);
  2. bert-run on random ids, token types and a mask with random padding;
  3. bert-eval (the plain C++ reference evaluator) on the frontend IR, same weights and inputs;
  4. compare: last_hidden_state on real tokens and pooler_output, max abs error <= --tol.
With --families the configs are of every family and head bertc compiles (BERT, RoBERTa,
DistilBERT, ALBERT with factorized embeddings and layer groups, XLM and FlauBERT with languages
and pre_norm, XLNet with clamp_len, three segments and left padding; *Model, masked LM, pre-training, NSP, sequence and token classification, QA; every
hidden_act), and every output the head has is compared (per-token outputs on real tokens only).
One line per config; on a failure the config, the case directory and the step are printed, and
the exit status is 1. The configs depend only on --seed, so a failure is reproduced by rerunning
with the same --seed and --count (--only I runs config I alone, --from I resumes). Needs NumPy only.

--precision int8 compiles every library with that precision (the default scheme: every linear
int8, Hadamard-rotated where 4 divides its K, f32 with a warning where it does not) and runs the
evaluator on the IR after the split stage, which carries the same precision and rotation. The
two then differ by int8 steps that upstream float rounding tips one way or the other (exact
equality is test/E2E/int8-hadamard.test's one-token case), so the check is that every output is
finite and its mean absolute difference at most --int8-rel (default 0.1) of the evaluator's mean
absolute value: any shape must compile, run and give the evaluator's answer, not garbage.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np

ACTIVATIONS = ("gelu", "gelu_new", "gelu_pytorch_tanh")
ALL_ACTIVATIONS = ACTIVATIONS + ("gelu_fast", "quick_gelu", "relu", "silu", "swish")
HEADS = {"bert": ("Model", "ForMaskedLM", "ForPreTraining", "ForNextSentencePrediction",
                  "ForSequenceClassification", "ForTokenClassification", "ForQuestionAnswering",
                  "ForMultipleChoice"),
         "roberta": ("Model", "ForMaskedLM", "ForSequenceClassification", "ForTokenClassification",
                     "ForQuestionAnswering", "ForMultipleChoice"),
         "distilbert": ("Model", "ForMaskedLM", "ForSequenceClassification",
                        "ForTokenClassification", "ForQuestionAnswering", "ForMultipleChoice"),
         "albert": ("Model", "ForMaskedLM", "ForPreTraining", "ForSequenceClassification",
                    "ForTokenClassification", "ForQuestionAnswering", "ForMultipleChoice")}
# XLM and FlauBERT (FlauBERT with its pre_norm layers or not).
XLM_HEADS = ("Model", "WithLMHeadModel", "ForSequenceClassification", "ForTokenClassification",
             "ForQuestionAnsweringSimple")
HEADS.update(xlm=XLM_HEADS, flaubert=XLM_HEADS)
# XLNet: relative attention, no position table; its heads have their own names.
HEADS["xlnet"] = ("Model", "LMHeadModel", "ForSequenceClassification", "ForTokenClassification",
                  "ForQuestionAnsweringSimple")
PREFIX = {"bert": "Bert", "roberta": "Roberta", "distilbert": "DistilBert", "albert": "Albert",
          "xlm": "XLM", "flaubert": "Flaubert", "xlnet": "XLNet"}
FAMILIES = tuple(PREFIX)


def random_case(rng: np.random.Generator) -> dict:
    heads = int(rng.integers(1, 9))
    head_dim = int(rng.integers(max(1, -(-8 // heads)), 200 // heads + 1))
    hidden = heads * head_dim
    batch = int(rng.integers(1, 5))
    seq = int(rng.integers(1, 41))
    max_batch = batch + int(rng.integers(0, 3))
    max_seq = seq + int(rng.integers(0, 9))
    config = {
        "model_type": "bert",
        "architectures": ["BertModel"],
        "vocab_size": int(rng.integers(2, 501)),
        "hidden_size": hidden,
        "num_hidden_layers": int(rng.integers(1, 4)),
        "num_attention_heads": heads,
        "intermediate_size": int(rng.integers(1, 401)),
        "max_position_embeddings": max_seq + int(rng.integers(0, 9)),
        "type_vocab_size": int(rng.integers(1, 4)),
        "layer_norm_eps": float(10.0 ** rng.uniform(-12, -3)),
        "hidden_act": ACTIVATIONS[int(rng.integers(len(ACTIVATIONS)))],
    }
    # Each row keeps at least its first token; others padded at the tail.
    lengths = [int(rng.integers(1, seq + 1)) for _ in range(batch)]
    return {"config": config, "batch": batch, "seq": seq, "max_batch": max_batch,
            "max_seq": max_seq, "lengths": lengths,
            "weight_seed": int(rng.integers(1, 1 << 30)),
            "input_seed": int(rng.integers(1, 1 << 30))}


def random_family_case(rng: np.random.Generator) -> dict:
    """A random case of any family and head (--families)."""
    case = random_case(rng)
    bert = case["config"]
    family = FAMILIES[int(rng.integers(len(FAMILIES)))]
    head = HEADS[family][int(rng.integers(len(HEADS[family])))]
    act = ALL_ACTIVATIONS[int(rng.integers(len(ALL_ACTIVATIONS)))]
    labels = 2 if head.startswith("ForQuestionAnswering") else int(rng.integers(1, 7))
    if family == "distilbert":
        config = {"model_type": "distilbert", "vocab_size": bert["vocab_size"],
                  "dim": bert["hidden_size"], "n_layers": bert["num_hidden_layers"],
                  "n_heads": bert["num_attention_heads"], "hidden_dim": bert["intermediate_size"],
                  "max_position_embeddings": bert["max_position_embeddings"], "activation": act}
    elif family in ("xlm", "flaubert"):
        # FFN 4 * emb_dim; GELU or ReLU; languages (a langs input) when n_langs > 1 and
        # use_lang_emb; token types index the word table.
        config = {"model_type": family, "vocab_size": bert["vocab_size"],
                  "emb_dim": bert["hidden_size"], "n_layers": bert["num_hidden_layers"],
                  "n_heads": bert["num_attention_heads"],
                  "max_position_embeddings": bert["max_position_embeddings"],
                  "layer_norm_eps": bert["layer_norm_eps"],
                  "gelu_activation": bool(rng.integers(2)), "n_langs": int(rng.integers(1, 4)),
                  "use_lang_emb": bool(rng.integers(2))}
        if family == "flaubert":
            config["pre_norm"] = bool(rng.integers(2))
    elif family == "xlnet":
        # d_model even (sin and cos halves of the relative encoding) and divisible by n_head;
        # clamp_len <= 0 means none; token types 0-2 are only compared ("same segment?").
        heads = bert["num_attention_heads"]
        d_head = max(1, bert["hidden_size"] // heads)
        d_head += (d_head * heads) % 2
        config = {"model_type": "xlnet", "vocab_size": bert["vocab_size"],
                  "d_model": d_head * heads, "n_layer": bert["num_hidden_layers"],
                  "n_head": heads, "d_head": d_head, "d_inner": bert["intermediate_size"],
                  "ff_activation": act, "layer_norm_eps": bert["layer_norm_eps"],
                  "clamp_len": int(rng.integers(-1, case["seq"] + 2)), "attn_type": "bi",
                  "bi_data": False, "mem_len": None}
    else:
        config = dict(bert, model_type=family, hidden_act=act)
    if family == "roberta":
        # Positions start after pad_token_id: the table needs pad + 1 more rows.
        config["pad_token_id"] = int(rng.integers(0, 3))
        config["max_position_embeddings"] += config["pad_token_id"] + 1
    if family == "albert":
        config["embedding_size"] = int(rng.integers(1, 100))
        config["num_hidden_layers"] = int(rng.integers(1, 5))
        config["num_hidden_groups"] = int(rng.integers(1, config["num_hidden_layers"] + 1))
        config["inner_group_num"] = int(rng.integers(1, 3))
    config["architectures"] = [PREFIX[family] + head]
    config["id2label"] = {str(i): f"L{i}" for i in range(labels)}
    config["tie_word_embeddings"] = bool(rng.integers(2))
    case["config"] = config
    return case


def run(cmd: list[str], log) -> bool:
    p = subprocess.run(cmd, capture_output=True, text=True)
    log.write("$ " + " ".join(cmd) + "\n" + p.stdout + p.stderr)
    return p.returncode == 0


def check_case(index: int, case: dict, a: argparse.Namespace) -> tuple[bool, str]:
    work = os.path.join(a.work, f"case{index:04d}")
    os.makedirs(work, exist_ok=True)
    cfg = case["config"]
    distil = cfg.get("model_type") == "distilbert"
    xlm = cfg.get("model_type") in ("xlm", "flaubert")
    xlnet = cfg.get("model_type") == "xlnet"
    if xlnet:
        hidden, heads, ffn = cfg["d_model"], cfg["n_head"], cfg["d_inner"]
        layers, act = cfg["n_layer"], f"{cfg['ff_activation']}, clamp_len {cfg['clamp_len']}"
    elif xlm:
        hidden, heads, ffn = cfg["emb_dim"], cfg["n_heads"], 4 * cfg["emb_dim"]
        layers, act = cfg["n_layers"], "gelu" if cfg["gelu_activation"] else "relu"
    else:
        hidden, heads, ffn = ((cfg["dim"], cfg["n_heads"], cfg["hidden_dim"]) if distil else
                              (cfg["hidden_size"], cfg["num_attention_heads"],
                               cfg["intermediate_size"]))
        layers, act = ((cfg["n_layers"], cfg["activation"]) if distil else
                       (cfg["num_hidden_layers"], cfg["hidden_act"]))
    if cfg.get("pre_norm"):
        act += ", pre_norm"
    if xlm and cfg["n_langs"] > 1 and cfg["use_lang_emb"]:
        act += f", {cfg['n_langs']} languages"
    desc = (f"#{index}: {cfg['architectures'][0]}, hidden {hidden}/{heads} heads, "
            f"ffn {ffn}, vocab {cfg['vocab_size']}, {layers} layers, {act}, "
            f"batch {case['batch']}/{case['max_batch']}, seq {case['seq']}/{case['max_seq']}, "
            f"lengths {case['lengths']}")
    config = os.path.join(work, "config.json")
    with open(config, "w") as f:
        json.dump(cfg, f, indent=2)
    with open(os.path.join(work, "case.json"), "w") as f:
        json.dump(case, f, indent=2)
    rng = np.random.default_rng(case["input_seed"])
    b, s = case["batch"], case["seq"]
    ids = rng.integers(0, cfg["vocab_size"], size=(b, s), dtype=np.int32)
    types = rng.integers(0, cfg["vocab_size"] if xlm else 3 if xlnet else
                         cfg.get("type_vocab_size", 1), size=(b, s), dtype=np.int32)
    mask = np.zeros((b, s), dtype=np.int32)
    for row, n in enumerate(case["lengths"]):
        # XLNet's tokenizer pads on the left: its sequence summary reads the last position.
        mask[row, slice(s - n, s) if xlnet else slice(0, n)] = 1
    inputs = [("input_ids", ids), ("attention_mask", mask)]
    if not distil:
        inputs.append(("token_type_ids", types))
    if xlm and cfg["n_langs"] > 1 and cfg["use_lang_emb"]:
        inputs.append(("langs", rng.integers(0, cfg["n_langs"], size=(b, s), dtype=np.int32)))
    for name, arr in inputs:
        np.save(os.path.join(work, name + ".npy"), arr)
    bertc, bert_run, bert_eval = (os.path.join(a.bin, t) for t in ("bertc", "bert-run", "bert-eval"))
    precision = ["--precision", a.precision] if a.precision != "f32" else []
    weights = os.path.join(work, "model.safetensors")
    lib_dir, lib_out, eval_out = (os.path.join(work, d) for d in ("lib", "lib-out", "eval-out"))
    frontend = os.path.join(work, "frontend.mlir")
    with open(os.path.join(work, "log.txt"), "w") as log:
        steps = [
            ("init-weights", [bertc, "init-weights", config, "--seed", str(case["weight_seed"]),
                              "--std", "0.2", "-o", weights]),
            ("compile", [bertc, "compile", config, "--name", "prop", "--max-batch",
                         str(case["max_batch"]), "--max-seq", str(case["max_seq"]),
                         "--no-cache", *precision, "-o", lib_dir + "/"]),
            ("bert-run", [bert_run, os.path.join(lib_dir, "libprop.so"), weights,
                          *[x for name, _ in inputs
                            for x in ("--" + name.replace("_", "-"),
                                      os.path.join(work, name + ".npy"))],
                          "--out-dir", lib_out]),
            ("frontend IR", [bertc, "compile", config, "--name", "prop", "--max-batch",
                             str(case["max_batch"]), "--max-seq", str(case["max_seq"]),
                             *precision, "--emit", "split" if precision else "mlir",
                             "-o", frontend]),
            ("bert-eval", [bert_eval, frontend, "--weights", weights, "--inputs-dir", work,
                           "--out-dir", eval_out]),
        ]
        for step, cmd in steps:
            if not run(cmd, log):
                return False, f"FAIL {desc}: {step} failed (see {work}/log.txt)"
    errs = {}
    # bert-eval writes the function's results in order (result0, ...), which
    # bert.output_names in the frontend IR names.
    with open(frontend) as f:
        names = re.search(r"bert\.output_names = \[([^\]]*)\]", f.read()).group(1)
    for i, name in enumerate(n.strip().strip('"') for n in names.split(",")):
        got = np.load(os.path.join(lib_out, name + ".npy")).astype(np.float64)
        want = np.load(os.path.join(eval_out, f"result{i}.npy")).astype(np.float64)
        if got.shape != want.shape:
            return False, f"FAIL {desc}: {name} shape {got.shape}, evaluator {want.shape}"
        diff = np.abs(got - want)
        if got.shape[:2] == (b, s):  # per token: real tokens only
            diff, want = diff[mask.astype(bool)], want[mask.astype(bool)]
        if not precision:
            errs[name] = float(diff.max()) if diff.size else 0.0
        elif diff.size:  # int8: mean difference relative to the mean magnitude
            errs[name] = float(diff.mean() / max(np.abs(want).mean(), 1e-30))
        else:
            errs[name] = 0.0
    tol = a.int8_rel if precision else a.tol
    ok = all(e <= tol for e in errs.values()) and all(np.isfinite(list(errs.values())))
    verdict = "PASS" if ok else "FAIL"
    short = {"last_hidden_state": "hidden", "pooler_output": "pooled"}
    return ok, f"{verdict} {desc}: " + ", ".join(
        f"{short.get(k, k)} {v:.2e}" for k, v in errs.items()) + (
        "" if ok else f" (tol {tol:.0e}; {work})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True, help="directory with bertc, bert-run, bert-eval")
    ap.add_argument("--work", required=True)
    ap.add_argument("--count", type=int, default=30)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--precision", choices=("f32", "int8"), default="f32")
    ap.add_argument("--int8-rel", type=float, default=0.1,
                    help="with --precision int8: largest mean |library - evaluator| over the "
                    "evaluator's mean |value|")
    ap.add_argument("--only", type=int, default=None, help="run config ONLY alone")
    ap.add_argument("--families", action="store_true",
                    help="random configs of every family and head, not only BertModel")
    ap.add_argument("--from", dest="first", type=int, default=0,
                    help="skip the configs before FIRST (resume a long run)")
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    make = random_family_case if a.families else random_case
    cases = [make(rng) for _ in range(a.count)]
    todo = [a.only] if a.only is not None else list(range(a.first, a.count))
    failures = 0
    with ThreadPoolExecutor(max_workers=max(1, a.jobs)) as pool:
        for ok, line in pool.map(lambda i: check_case(i, cases[i], a), todo):
            failures += not ok
            print(line, flush=True)
    print(f"{len(todo) - failures} of {len(todo)} configs match the evaluator (seed {a.seed})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
