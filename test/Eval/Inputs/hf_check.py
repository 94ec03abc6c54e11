"""Compares bert-eval's outputs with Hugging Face transformers' BertModel
(eager attention, float32) on the same weights and inputs.

usage: hf_check.py CONFIG DIR   (DIR as for encoder.py check)"""

import json
import sys

import numpy as np
import torch
from transformers import BertConfig, BertModel

import npref as ref


def main():
    cfg, d = json.load(open(sys.argv[1])), sys.argv[2]
    config = BertConfig(**cfg)
    config._attn_implementation = "eager"
    model = BertModel(config).eval()
    _, W = ref.read_safetensors(f"{d}/weights.safetensors")
    state = {k: torch.from_numpy(np.array(v)) for k, v in W.items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    # Only buffers (position_ids, token_type_ids) may be absent from the file.
    assert not unexpected and all("_ids" in k for k in missing), (missing, unexpected)
    ids, tt, mask = (torch.from_numpy(np.load(f"{d}/{n}.npy").astype(np.int64)) for n in
                     ("input_ids", "token_type_ids", "attention_mask"))
    with torch.no_grad():
        out = model(input_ids=ids, token_type_ids=tt, attention_mask=mask)
    keep = mask.numpy().astype(bool)
    ok = ref.compare("hf last_hidden_state", np.load(f"{d}/out/result0.npy")[keep],
                     out.last_hidden_state.numpy()[keep], 1e-4)
    ok &= ref.compare("hf pooler_output", np.load(f"{d}/out/result1.npy"),
                      out.pooler_output.numpy(), 1e-4)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
