"""Makes one benchmark model and its peers' artefacts (run by bench.py in the bench venv).

    prepare.py --config examples/bert-base/config.json --model-dir DIR --case NAME:B:S ...

Writes into DIR (each step skipped when its output is already there; bench.py keys DIR on the
config, the seed and the pinned versions, so a stale artefact is never reused):
  config.json, model.safetensors   a random BertModel (torch.manual_seed(0)), save_pretrained
  model.onnx                       torch.onnx.export, opset 17, dynamic batch/seq axes
  model.ort.onnx                   onnxruntime.transformers.optimizer.optimize_model(model_type
                                   "bert"): fused Attention / SkipLayerNormalization / BiasGelu
  model.xml, model.bin             OpenVINO IR converted from model.onnx, kept f32
  cases/NAME/*.npy                 inputs of each case and transformers' outputs on them
  prepare.json                     what was made, how long it took, and what failed (and why)
A step that fails is recorded and the others go on; bench.py skips the peer that needed it.
"""
import argparse
import json
import os
import sys
import time
import traceback

import numpy as np
import torch
from transformers import BertConfig, BertModel

INPUTS = ("input_ids", "attention_mask", "token_type_ids")
OUTPUTS = ("last_hidden_state", "pooler_output")


class _Tuple(torch.nn.Module):
    """BertModel with positional inputs and a plain tuple out, for the TorchScript exporter."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, token_type_ids):
        out = self.model(input_ids=input_ids, attention_mask=attention_mask,
                         token_type_ids=token_type_ids)
        return out.last_hidden_state, out.pooler_output


def make_inputs(cfg, batch, seq, seed):
    g = np.random.default_rng(seed)
    ids = g.integers(1000, cfg.vocab_size, size=(batch, seq), dtype=np.int64)
    ids[:, 0], ids[:, -1] = 101, 102  # [CLS] ... [SEP]
    types = np.zeros((batch, seq), np.int64)
    types[:, seq // 2:] = 1  # two segments, so the type embedding is exercised
    mask = np.ones((batch, seq), np.int64)
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


def step(log, name, path, fn):
    """Runs fn() unless `path` exists; records time or error in log[name]."""
    if path and os.path.exists(path):
        log.setdefault(name, {"ok": True, "cached": True})
        return
    t0 = time.time()
    try:
        fn()
        log[name] = {"ok": True, "seconds": round(time.time() - t0, 2)}
    except Exception as e:  # recorded; the peer that needs this artefact is skipped
        traceback.print_exc()
        log[name] = {"ok": False, "error": f"{type(e).__name__}: {e}"[:400]}
        if path and os.path.exists(path):
            os.remove(path)
    print(f"prepare: {name}: {log[name]}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--case", action="append", default=[], help="NAME:BATCH:SEQ")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    d = a.model_dir
    os.makedirs(d, exist_ok=True)
    torch.set_num_threads(2)
    log_path = os.path.join(d, "prepare.json")
    log = json.load(open(log_path)) if os.path.exists(log_path) else {}
    log = {k: v for k, v in log.items() if v.get("ok")}  # retry what failed last time
    cfg = BertConfig.from_json_file(a.config)
    st = os.path.join(d, "model.safetensors")

    def make_model():
        torch.manual_seed(a.seed)
        BertModel(cfg).eval().save_pretrained(d, safe_serialization=True)
    step(log, "model", st, make_model)
    if not log["model"]["ok"]:
        json.dump(log, open(log_path, "w"), indent=1)
        sys.exit("prepare: cannot make the model; nothing to benchmark")
    # The default attention (sdpa) is the reference; the export uses the eager attention, whose
    # MatMul/Softmax pattern is what onnxruntime's BERT fusion recognises.
    ref = BertModel.from_pretrained(d).eval()

    onnx_path = os.path.join(d, "model.onnx")

    def export_onnx():
        eager = BertModel.from_pretrained(d, attn_implementation="eager").eval()
        x = make_inputs(cfg, 1, 16, 1)
        dyn = {n: {0: "batch", 1: "seq"} for n in INPUTS + ("last_hidden_state",)}
        dyn["pooler_output"] = {0: "batch"}
        torch.onnx.export(_Tuple(eager).eval(), tuple(torch.from_numpy(x[n]) for n in INPUTS),
                          onnx_path, dynamo=False, opset_version=17, input_names=list(INPUTS),
                          output_names=list(OUTPUTS), dynamic_axes=dyn)
    step(log, "onnx", onnx_path, export_onnx)

    ort_path = os.path.join(d, "model.ort.onnx")

    def optimize_ort():
        from onnxruntime.transformers import optimizer
        opt = optimizer.optimize_model(onnx_path, model_type="bert",
                                       num_heads=cfg.num_attention_heads,
                                       hidden_size=cfg.hidden_size)
        fused = {k: v for k, v in opt.get_fused_operator_statistics().items() if v}
        opt.save_model_to_file(ort_path)
        json.dump(fused, open(ort_path + ".fused.json", "w"))
    if log.get("onnx", {}).get("ok"):
        step(log, "onnxruntime_optimize", ort_path, optimize_ort)
        fj = ort_path + ".fused.json"
        if os.path.exists(fj) and log.get("onnxruntime_optimize", {}).get("ok"):
            log["onnxruntime_optimize"]["fused_ops"] = json.load(open(fj))

    ov_path = os.path.join(d, "model.xml")

    def convert_ov():
        import openvino as ov
        ov.save_model(ov.convert_model(onnx_path), ov_path, compress_to_fp16=False)
    if log.get("onnx", {}).get("ok"):
        step(log, "openvino_ir", ov_path, convert_ov)

    for spec in a.case:
        name, b, s = spec.split(":")
        cd = os.path.join(d, "cases", name)

        def make_case():
            os.makedirs(cd, exist_ok=True)
            x = make_inputs(cfg, int(b), int(s), 1234)
            with torch.inference_mode():
                out = ref(**{k: torch.from_numpy(v) for k, v in x.items()})
            for k, v in x.items():
                np.save(os.path.join(cd, k + ".npy"), v)
            for k in OUTPUTS:  # last: its presence marks a complete case
                np.save(os.path.join(cd, "ref_" + k + ".npy"), getattr(out, k).numpy())
        step(log, "case " + name, os.path.join(cd, "ref_pooler_output.npy"), make_case)
    json.dump(log, open(log_path, "w"), indent=1)


if __name__ == "__main__":
    main()
