#!/usr/bin/env python3
"""Generate the golden cases of the model families and task heads from Hugging Face transformers.

Run inside the test venv (test/tools/setup-venv.sh):
    build/venv/bin/python test/tools/make_family_goldens.py --out test/E2E/goldens/families [--only NAME ...]

One case per (family, head), listed in family_cases.json beside this script (a case's seed is 100 +
its index there): a tiny random model of odd sizes (hidden 36, 3 heads of 12, FFN 50, vocabulary
97), batch 2 with the second row padded. Each case directory gets:
    config.json             the head model's config, as save_pretrained writes it (architectures set)
    input_ids.npy, attention_mask.npy [, token_type_ids.npy]    int64 [B, S]
    <output>.npy            every output the head returns, named as transformers names it
    case.json               outputs (and which are per token), seeds, versions

As make_goldens.py does for BertModel, the weights are not committed: `bertc init-weights
config.json --seed S --std 0.2` writes them (deterministic everywhere) under the names bertc's
frontend gives every tensor, and this script loads that file into the transformers model. The
load is the check that bertc names every parameter as transformers does: nothing unexpected, and
nothing missing but the decoder weights transformers ties to the word embeddings.

Padding: BERT, DistilBERT and ALBERT pad with id 0; RoBERTa with its pad_token_id 1, which its
position ids skip (so the padded row tests RoBERTa's positions too). XLNet pads on the LEFT with
its pad_token_id 5, as its tokenizer does (padding_side "left"), so its padded row's real tokens
sit at the end and its sequence summary reads the last token.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from safetensors.torch import load_file  # noqa: E402
from transformers.cache_utils import DynamicCache, EncoderDecoderCache  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_goldens import parse_args, write_case_json  # noqa: E402

transformers.utils.logging.disable_progress_bar()
transformers.utils.logging.set_verbosity_error()

VOCAB = 97
INIT_STD = 0.2
BATCH, SEQ, LENGTHS = 2, 13, [13, 7]
BERTLIKE = dict(vocab_size=VOCAB, hidden_size=36, num_hidden_layers=2, num_attention_heads=3,
                intermediate_size=50, max_position_embeddings=40)
DISTIL = dict(vocab_size=VOCAB, dim=36, n_layers=2, n_heads=3, hidden_dim=50, max_position_embeddings=40)
ALBERT = dict(BERTLIKE, embedding_size=20, num_hidden_layers=3)
# XLM and FlauBERT: the FFN is 4 * emb_dim (144); token types index the word table.
XLM = dict(vocab_size=VOCAB, emb_dim=36, n_layers=2, n_heads=3, max_position_embeddings=40)
# XLNet: no position table (relative positions); mem_len None as in the published configs.
XLNET = dict(vocab_size=VOCAB, d_model=36, n_layer=2, n_head=3, d_inner=50, mem_len=None)

BASES = {"BERTLIKE": BERTLIKE, "DISTIL": DISTIL, "ALBERT": ALBERT, "XLM": XLM, "XLNET": XLNET}


def load_cases(path: str) -> dict[str, tuple[str, str, dict, str]]:
    """The cases of family_cases.json (beside this script), in its order (a case's seed is 100 + its
    index): name -> (config class, architecture, config overrides on top of its base, notes)."""
    with open(path) as f:
        table = json.load(f)
    return {name: (c["config"], c["architecture"], dict(BASES[c["base"]], **c.get("overrides", {})),
                   c["notes"])
            for name, c in table.items()}


CASES = load_cases(os.path.join(os.path.dirname(os.path.abspath(__file__)), "family_cases.json"))
CHOICES = 3  # of the multiple-choice cases
LANG_FAMILIES = ("xlm", "flaubert")

def make_inputs(family: str, seed: int, with_types: bool, lengths: list[int]):
    rng = np.random.default_rng(seed)
    pad = {"roberta": 1, "xlm": 2, "flaubert": 2, "xlnet": 5}.get(family, 0)  # XLM's pad_index 2
    rows = len(lengths)
    ids = np.full((rows, SEQ), pad, dtype=np.int64)
    tt = np.zeros((rows, SEQ), dtype=np.int64)
    mask = np.zeros((rows, SEQ), dtype=np.int64)
    for b, n in enumerate(lengths):
        # XLNet's tokenizer pads on the left: the real tokens are the last n.
        first = SEQ - n if family == "xlnet" else 0
        ids[b, first:first + n] = rng.integers(6, VOCAB, size=n)
        mask[b, first:first + n] = 1
        if with_types and family != "roberta" and n >= 4:  # RoBERTa: one token type
            tt[b, first + n // 2:first + n] = 1
    return ids, tt, mask


def outputs_of(arch: str, out) -> dict[str, np.ndarray]:
    names = {"Model": ["last_hidden_state", "pooler_output"], "ForPreTraining": None,
             "ForQuestionAnswering": ["start_logits", "end_logits"]}
    if arch.endswith("ForPreTraining"):
        wanted = ["prediction_logits", "sop_logits" if arch.startswith("Albert") else "seq_relationship_logits"]
    elif arch.endswith("LMHeadModel"):  # XLM's masked LM, XLNet's LM head
        wanted = ["logits"]
    elif arch.endswith(("ForQuestionAnswering", "ForQuestionAnsweringSimple")):
        wanted = names["ForQuestionAnswering"]
    elif arch.endswith("Model"):
        wanted = [n for n in names["Model"] if getattr(out, n, None) is not None]
    else:
        wanted = ["logits"]
    return {n: getattr(out, n).detach().numpy().astype(np.float32) for n in wanted}


class _LayerIndexedCache(EncoderDecoderCache):
    """transformers 5.23's FlaubertModel.forward, with pre_norm=True, passes `cache=cache[i]` to each
    layer's attention, but its cache is an EncoderDecoderCache, which cannot be indexed (TypeError:
    not subscriptable); the post-norm branch passes the whole cache. Indexing this (empty) cache
    returns the cache itself, so the pre-norm branch gets what the post-norm one does. Nothing is
    cached in a single forward pass, so the outputs are those of the pre-norm math."""

    def __getitem__(self, layer):
        return self


def make_case(name: str, outdir: str, bertc: str, seed: int) -> None:
    config_class, arch, overrides, notes = CASES[name]
    family = {"BertConfig": "bert", "RobertaConfig": "roberta", "XLMRobertaConfig": "roberta",
              "DistilBertConfig": "distilbert", "AlbertConfig": "albert", "XLMConfig": "xlm",
              "FlaubertConfig": "flaubert", "XLNetConfig": "xlnet"}[config_class]
    d = os.path.join(outdir, name)
    os.makedirs(d, exist_ok=True)
    cfg = getattr(transformers, config_class)(**overrides)
    cfg.architectures = [arch]
    model = getattr(transformers, arch)(cfg)
    model.config._attn_implementation = "eager"
    model.eval()
    cfg.save_pretrained(d)

    tmp = tempfile.mkdtemp(prefix="bertc-family-golden-")
    weights = os.path.join(tmp, "bertc.safetensors")
    subprocess.run([bertc, "init-weights", os.path.join(d, "config.json"), "--seed", str(seed),
                    "--std", str(INIT_STD), "-o", weights], check=True, stdout=subprocess.DEVNULL)
    state = load_file(weights)
    result = model.load_state_dict(state, strict=False)
    if result.unexpected_keys:
        raise RuntimeError(f"{name}: bertc names tensors transformers does not have: {result.unexpected_keys}")
    # The only parameters bertc may leave out are ones transformers ties to a tensor bertc has (the
    # decoder's weight to the word embeddings, its bias to the head's bias).
    params = dict(model.named_parameters(remove_duplicate=False))
    # XLNet's mask_emb is the query stream's input (target mappings), which a compiled encoder does
    # not run: bertc has no tensor for it, and the content stream never reads it.
    for key in [k for k in result.missing_keys if k.endswith("mask_emb")]:
        result.missing_keys.remove(key)
    for key in result.missing_keys:
        if not any(params[k].data_ptr() == params[key].data_ptr() for k in state if k in params):
            raise RuntimeError(f"{name}: transformers parameter {key} has no bertc tensor")

    with_types = family != "distilbert"
    # Multiple choice: transformers takes [B, C, S] and views it as [B * C, S], which is the
    # same memory bertc's library reads; its [B, C] logits are the library's [B * C, 1].
    choices = CHOICES if arch.endswith("ForMultipleChoice") else 0
    lengths = [n for n in LENGTHS for _ in range(max(choices, 1))]
    ids, tt, mask = make_inputs(family, seed + 1, with_types, lengths)
    shaped = (lambda a: a.reshape(BATCH, choices, SEQ)) if choices else (lambda a: a)
    kwargs = dict(input_ids=torch.from_numpy(shaped(ids)), attention_mask=torch.from_numpy(shaped(mask)))
    if with_types:
        kwargs["token_type_ids"] = torch.from_numpy(shaped(tt))
    langs = None
    if family in LANG_FAMILIES and cfg.n_langs > 1 and cfg.use_lang_emb:
        langs = np.random.default_rng(seed + 2).integers(0, cfg.n_langs, size=(len(lengths), SEQ)).astype(np.int64)
        kwargs["langs"] = torch.from_numpy(shaped(langs))
    if getattr(cfg, "pre_norm", False):  # see _LayerIndexedCache
        kwargs["cache"] = _LayerIndexedCache(DynamicCache(config=cfg), DynamicCache(config=cfg))
    with torch.no_grad():
        outs = outputs_of(arch, model(**kwargs))
    if choices:
        outs = {k: v.reshape(BATCH * choices, 1) for k, v in outs.items()}
    for n, arr in outs.items():
        assert np.isfinite(arr).all(), (name, n)
        np.save(os.path.join(d, n + ".npy"), arr)
    np.save(os.path.join(d, "input_ids.npy"), ids)
    np.save(os.path.join(d, "attention_mask.npy"), mask)
    if with_types:
        np.save(os.path.join(d, "token_type_ids.npy"), tt)
    if langs is not None:
        np.save(os.path.join(d, "langs.npy"), langs)
    case = {
        "name": name, "architecture": arch, "batch": len(lengths), "seq": SEQ, "lengths": lengths,
        "weight_seed": seed, "init_std": INIT_STD,
        # The longest sequence the position table serves (RoBERTa's start after pad_token_id).
        # (XLNet has no table: 40 is just the compiled maximum.)
        "max_seq": 40 - (cfg.pad_token_id + 1 if family == "roberta" else 0),
        "weights": f"bertc init-weights config.json --seed {seed} --std {INIT_STD}",
        "outputs": list(outs),
        "per_token": [n for n, v in outs.items() if v.shape[:2] == (len(lengths), SEQ)],
        "tolerance": 1e-4,
        "compare": "per-token outputs where attention_mask==1; per-sequence outputs everywhere",
        "notes": notes,
    }
    write_case_json(d, case, "test/tools/make_family_goldens.py")
    print(f"make_family_goldens: {name}: {arch} outputs {', '.join(f'{k}{list(v.shape)}' for k, v in outs.items())}")


def main() -> int:
    a = parse_args(__doc__, "test/E2E/goldens/families")
    torch.manual_seed(0)
    for i, name in enumerate(CASES):
        if not a.only or name in a.only:
            make_case(name, a.out, a.bertc, 100 + i)
    return 0


if __name__ == "__main__":
    sys.exit(main())
