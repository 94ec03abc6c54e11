"""Makes one benchmark model and its peers' artefacts (run by bench.py in the bench venv).

    prepare.py --config examples/bert-base/config.json --model-dir DIR --case NAME:B:S ...

The model is the transformers class that the config's `architectures[0]` names (BertModel,
RobertaModel, DistilBertModel, AlbertModel, BertForSequenceClassification, ...), its config
class the one of its `model_type`. Writes into DIR (each step skipped when its output is already
there; bench.py keys DIR on the config, the seed and the pinned versions, so a stale artefact is
never reused):
  config.json, model.safetensors   the random model (torch.manual_seed(0)), save_pretrained;
                                   every system loads these weights
  io.json                          the model's inputs (those of input_ids, attention_mask,
                                   token_type_ids its forward takes) and outputs (the fields
                                   transformers returns: last_hidden_state and pooler_output,
                                   or logits, ...), in order; the ONNX graph, the OpenVINO IR,
                                   the cases and systems.py use these names
  model.onnx                       torch.onnx.export, opset 17, dynamic batch/seq axes
  model.ort.onnx                   onnxruntime.transformers.optimizer.optimize_model with the
                                   optimizer's model type for this family (ORT_MODEL_TYPE):
                                   fused Attention / SkipLayerNormalization / BiasGelu ...
  model.xml, model.bin             OpenVINO IR converted from model.onnx, kept f32
  model.int8.xml, .bin             NNCF post-training quantization of model.xml (openvino-int8)
  cases/NAME/*.npy                 inputs of each case and transformers' outputs on them
  prepare.json                     what was made, how long it took, and what failed (and why)
A step that fails is recorded and the others go on; bench.py skips the peer that needed it.
"""
import argparse
import inspect
import json
import os
import sys
import time
import traceback

import numpy as np
import torch
import transformers
from transformers import AutoConfig

# The inputs a system may take, in the order the ONNX graph lists them; a model gets those its
# forward() has (DistilBERT has no token_type_ids).
ALL_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# onnxruntime.transformers.optimizer's model_type per config model_type. Its fusions for BERT
# (EmbedLayerNormalization, Attention, SkipLayerNormalization, BiasGelu) cover these encoders;
# ORT's own docs send RoBERTa, DistilBERT and ALBERT through "bert" (the optimizer has no
# type of their own: optimizer.MODEL_TYPES).
ORT_MODEL_TYPE = {"bert": "bert", "roberta": "bert", "xlm-roberta": "bert",
                  "camembert": "bert", "distilbert": "bert", "albert": "bert"}


def load_config(path):
    """The config class of the file's model_type, read from the file (AutoConfig's choice)."""
    with open(path) as f:
        model_type = json.load(f)["model_type"]
    return type(AutoConfig.for_model(model_type)).from_json_file(path)


def model_class(cfg):
    """The transformers class `architectures[0]` names (BertModel when there is none)."""
    name = (cfg.architectures or ["BertModel"])[0]
    cls = getattr(transformers, name, None)
    if cls is None:
        raise SystemExit(f"prepare: transformers {transformers.__version__} has no {name}")
    return cls


def model_inputs(cls):
    params = inspect.signature(cls.forward).parameters
    return [n for n in ALL_INPUTS if n in params]


def encoder_dims(cfg):
    """(hidden, heads) under each family's names (DistilBERT: dim, n_heads)."""
    return (getattr(cfg, "hidden_size", None) or cfg.dim,
            getattr(cfg, "num_attention_heads", None) or cfg.n_heads)


class _Tuple(torch.nn.Module):
    """The model with positional inputs and a plain tuple out, for the TorchScript exporter."""

    def __init__(self, model, inputs, outputs):
        super().__init__()
        self.model, self.inputs, self.outputs = model, inputs, outputs

    def forward(self, *args):
        out = self.model(**dict(zip(self.inputs, args)))
        return tuple(getattr(out, n) for n in self.outputs)


def make_inputs(cfg, inputs, batch, seq, seed):
    g = np.random.default_rng(seed)
    ids = g.integers(1000, cfg.vocab_size, size=(batch, seq), dtype=np.int64)
    ids[:, 0], ids[:, -1] = 101, 102  # [CLS] ... [SEP]
    types = np.zeros((batch, seq), np.int64)
    if getattr(cfg, "type_vocab_size", 1) > 1:
        types[:, seq // 2:] = 1  # two segments, so the type embedding is exercised
    mask = np.ones((batch, seq), np.int64)
    x = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
    return {n: x[n] for n in inputs}


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
    ap.add_argument("--weights", help="a Hugging Face model directory whose trained weights "
                    "replace the random ones (all-MiniLM-L6-v2)")
    a = ap.parse_args()
    d = a.model_dir
    os.makedirs(d, exist_ok=True)
    torch.set_num_threads(2)
    log_path = os.path.join(d, "prepare.json")
    log = json.load(open(log_path)) if os.path.exists(log_path) else {}
    log = {k: v for k, v in log.items() if v.get("ok")}  # retry what failed last time
    cfg = load_config(a.config)
    cls = model_class(cfg)
    st = os.path.join(d, "model.safetensors")

    def make_model():
        torch.manual_seed(a.seed)
        m = cls.from_pretrained(a.weights) if a.weights else cls(cfg)
        m.eval().save_pretrained(d, safe_serialization=True)
    step(log, "model", st, make_model)
    if not log["model"]["ok"]:
        json.dump(log, open(log_path, "w"), indent=1)
        sys.exit("prepare: cannot make the model; nothing to benchmark")
    # The default attention (sdpa) is the reference; the export uses the eager attention, whose
    # MatMul/Softmax pattern is what onnxruntime's BERT fusion recognises.
    ref = cls.from_pretrained(d).eval()

    # The model's inputs and outputs by name: the outputs are the fields transformers fills.
    inputs = model_inputs(cls)
    with torch.inference_mode():
        probe = ref(**{k: torch.from_numpy(v) for k, v in make_inputs(cfg, inputs, 1, 8, 1).items()})
    outputs = [k for k, v in probe.items() if isinstance(v, torch.Tensor)]
    ranks = {k: probe[k].dim() for k in outputs}
    io = {"architecture": cls.__name__, "model_type": cfg.model_type, "inputs": inputs,
          "outputs": outputs}
    json.dump(io, open(os.path.join(d, "io.json"), "w"), indent=1)

    onnx_path = os.path.join(d, "model.onnx")

    def export_onnx():
        eager = cls.from_pretrained(d, attn_implementation="eager").eval()
        x = make_inputs(cfg, inputs, 1, 16, 1)
        dyn = {n: {0: "batch", 1: "seq"} for n in inputs}
        for n in outputs:  # [B, S, H] outputs have both dynamic axes, [B, H] / [B, labels] one
            dyn[n] = {0: "batch", 1: "seq"} if ranks[n] == 3 else {0: "batch"}
        torch.onnx.export(_Tuple(eager, inputs, outputs).eval(),
                          tuple(torch.from_numpy(x[n]) for n in inputs),
                          onnx_path, dynamo=False, opset_version=17, input_names=inputs,
                          output_names=outputs, dynamic_axes=dyn)
    step(log, "onnx", onnx_path, export_onnx)

    ort_path = os.path.join(d, "model.ort.onnx")

    def optimize_ort():
        from onnxruntime.transformers import optimizer
        hidden, heads = encoder_dims(cfg)
        model_type = ORT_MODEL_TYPE.get(cfg.model_type, "bert")
        opt = optimizer.optimize_model(onnx_path, model_type=model_type,
                                       num_heads=heads, hidden_size=hidden)
        fused = {k: v for k, v in opt.get_fused_operator_statistics().items() if v}
        opt.save_model_to_file(ort_path)
        json.dump({"model_type": model_type, "fused_ops": fused},
                  open(ort_path + ".fused.json", "w"))
    if log.get("onnx", {}).get("ok"):
        step(log, "onnxruntime_optimize", ort_path, optimize_ort)
        fj = ort_path + ".fused.json"
        if os.path.exists(fj) and log.get("onnxruntime_optimize", {}).get("ok"):
            log["onnxruntime_optimize"].update(json.load(open(fj)))

    int8_path = os.path.join(d, "model.ort.int8.onnx")

    def quantize_ort():
        # What an ONNX Runtime user who wants int8 on CPU runs: dynamic quantization, weights
        # int8 per output channel, activations uint8 per tensor at run time. Of the exported
        # model: the optimizer's fused contrib ops defeat quantize_dynamic's shape inference
        # ("Unable to find data type for weight_name"); the session applies ORT_ENABLE_ALL
        # to the quantized graph.
        from onnxruntime.quantization import QuantType, quantize_dynamic
        quantize_dynamic(onnx_path, int8_path, per_channel=True, weight_type=QuantType.QInt8)
    if log.get("onnx", {}).get("ok"):
        step(log, "onnxruntime_quantize", int8_path, quantize_ort)

    ov_path = os.path.join(d, "model.xml")

    def convert_ov():
        import openvino as ov
        ov.save_model(ov.convert_model(onnx_path), ov_path, compress_to_fp16=False)
    if log.get("onnx", {}).get("ok"):
        step(log, "openvino_ir", ov_path, convert_ov)

    ov8_path = os.path.join(d, "model.int8.xml")

    def quantize_ov():
        # What an OpenVINO user who wants int8 runs: NNCF post-training quantization (int8
        # weights per output channel, int8 activations with scales calibrated ahead of time,
        # the transformer preset that keeps softmax and LayerNorm in float) of the same IR.
        # Calibration: 16 random inputs of 128 tokens (seeds 100..115; the cases use 1234).
        import nncf
        import openvino as ov
        model = ov.Core().read_model(ov_path)
        calib = [make_inputs(cfg, inputs, 1, 128, 100 + i) for i in range(16)]
        q = nncf.quantize(model, nncf.Dataset(calib), model_type=nncf.ModelType.TRANSFORMER,
                          subset_size=len(calib))
        ov.save_model(q, ov8_path, compress_to_fp16=False)
    if log.get("openvino_ir", {}).get("ok"):
        step(log, "openvino_int8", ov8_path, quantize_ov)

    for spec in a.case:
        name, b, s = spec.split(":")
        cd = os.path.join(d, "cases", name)

        def make_case():
            os.makedirs(cd, exist_ok=True)
            x = make_inputs(cfg, inputs, int(b), int(s), 1234)
            with torch.inference_mode():
                out = ref(**{k: torch.from_numpy(v) for k, v in x.items()})
            for k, v in x.items():
                np.save(os.path.join(cd, k + ".npy"), v)
            for k in outputs:  # the last one's presence marks a complete case
                np.save(os.path.join(cd, "ref_" + k + ".npy"), getattr(out, k).numpy())
        step(log, "case " + name, os.path.join(cd, f"ref_{outputs[-1]}.npy"), make_case)
    json.dump(log, open(log_path, "w"), indent=1)


if __name__ == "__main__":
    main()
