#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Convert a PyTorch checkpoint (.pth / .ckpt, any format torch.load reads: legacy pre-1.6
files, OrderedDict state dicts, DataParallel `module.` prefixes) into safetensors for
mirrorgan-native. Needs only `torch` (the safetensors layout is written by hand).

  python3 scripts/pth2safetensors.py text_encoder200.pth text_encoder.safetensors
"""
import json
import struct
import sys

import torch

DTYPES = {
    torch.float32: "F32", torch.float64: "F64", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
    torch.uint8: "U8", torch.bool: "BOOL",
}


def write_safetensors(tensors: dict, dst: str, metadata: dict) -> None:
    """Writes {key: tensor} as safetensors (largest elements first, 8-byte aligned header)."""
    order = sorted(tensors, key=lambda k: -tensors[k].element_size())
    header, offset = {"__metadata__": metadata}, 0
    for key in order:
        t = tensors[key]
        n = t.numel() * t.element_size()
        header[key] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + n]}
        offset += n
    raw = json.dumps(header).encode("utf-8")
    raw += b" " * ((8 - (8 + len(raw)) % 8) % 8)
    with open(dst, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for key in order:
            t = tensors[key].detach().cpu().contiguous()
            # numpy has no bfloat16: move its bits as int16 (same size, same bytes).
            f.write((t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes())


def main(src: str, dst: str) -> None:
    # encoding="latin1": the AttnGAN/MirrorGAN-era files were pickled by Python 2.
    obj = torch.load(src, map_location="cpu", encoding="latin1")
    if hasattr(obj, "state_dict"):
        obj = obj.state_dict()
    if not isinstance(obj, dict):
        sys.exit(f"{src}: expected a state dict, found {type(obj).__name__}")
    tensors = {}
    for key, value in obj.items():
        if not torch.is_tensor(value):
            continue
        if key.startswith("module."):
            key = key[len("module."):]
        tensors[key] = value.detach().cpu().contiguous()
    write_safetensors(tensors, dst, {"format": "pt", "source": src})
    print(f"{dst}: {len(tensors)} tensors")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
