#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes test/fixtures/inception/: parity numbers for the two evaluation networks of
native/eval/inception_v3 (read by test/eval/inception_parity.test.ts).

- torchvision's inception_v3 (Debian python3-torchvision 0.14.1), as the Inception Score uses it:
  aux_logits off, transform_input on (torchvision's setting for its pretrained weights);
- pytorch-fid's FID Inception: torchvision's network with 1008 classes whose Mixed_5b..5d,
  Mixed_6b..6e and Mixed_7b average-pool the branch_pool input without counting the padding
  (TensorFlow's average pool) and whose Mixed_7c max-pools it, fed as pytorch-fid's InceptionV3
  feeds it (bilinear resize to 299, align_corners False; [0, 1] -> [-1, 1]). torchvision has no
  such variant: the block forwards below are written from pytorch-fid's published definition
  (mseitzer/pytorch-fid, src/pytorch_fid/inception.py, FIDInceptionA/C/E_1/E_2).

The 27 M weights are not stored: every parameter and BatchNorm buffer is a formula of its
state-dict key and element index (formula_weights below; test/helpers/formula_weights.ts is the
same formula), so the test rebuilds them exactly. Only the uint8 input images and the outputs
(logits, 2048-d pool features) are stored.

  /usr/bin/python3 scripts/make-inception-fixture.py test/fixtures/inception
"""
import functools
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pth2safetensors import write_safetensors  # noqa: E402

SEED = 2015  # numpy seed of the input images
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


def fnv1a32(text: str) -> int:
    h = 0x811C9DC5
    for b in text.encode("utf-8"):
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def unit_noise(key: str, n: int) -> np.ndarray:
    """n values in (-1, 1): the lowbias32 hash of (index XOR fnv1a32(key)), in float64."""
    x = np.arange(n, dtype=np.uint32) ^ np.uint32(fnv1a32(key))
    x ^= x >> np.uint32(16)
    x *= np.uint32(0x7FEB352D)
    x ^= x >> np.uint32(15)
    x *= np.uint32(0x846CA68B)
    x ^= x >> np.uint32(16)
    return (x.astype(np.float64) + 0.5) / 4294967296.0 * 2.0 - 1.0


def formula_weights(key: str, shape: list) -> torch.Tensor:
    """He-uniform convolutions, BatchNorm near identity, a small classifier: activations stay O(1)."""
    n = int(np.prod(shape)) if shape else 1
    if key.endswith("num_batches_tracked"):
        return torch.zeros(shape, dtype=torch.int64)
    r = unit_noise(key, n)
    if key.endswith("conv.weight"):
        v = r * np.sqrt(6.0 / int(np.prod(shape[1:])))
    elif key.endswith("bn.weight") or key.endswith("bn.running_var"):
        v = 1.0 + 0.25 * r
    elif key.endswith("bn.bias") or key.endswith("bn.running_mean") or key == "fc.bias":
        v = 0.1 * r
    elif key == "fc.weight":
        v = r * np.sqrt(3.0 / shape[1])
    else:
        raise SystemExit(f"no formula for {key}")
    return torch.from_numpy(v.astype(np.float32)).reshape(shape)


def load_formula_weights(model: torch.nn.Module) -> None:
    model.load_state_dict({k: formula_weights(k, list(v.shape)) for k, v in model.state_dict().items()})


# ---- pytorch-fid's block differences, on torchvision's blocks ---------------------------------

def avg_pool_no_pad(x):
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)


def max_pool_same(x):
    return F.max_pool2d(x, kernel_size=3, stride=1, padding=1)


def block_a(m, x, pool):
    b5 = m.branch5x5_2(m.branch5x5_1(x))
    b3 = m.branch3x3dbl_3(m.branch3x3dbl_2(m.branch3x3dbl_1(x)))
    return torch.cat([m.branch1x1(x), b5, b3, m.branch_pool(pool(x))], 1)


def block_c(m, x, pool):
    b7 = m.branch7x7_3(m.branch7x7_2(m.branch7x7_1(x)))
    bd = m.branch7x7dbl_1(x)
    for layer in (m.branch7x7dbl_2, m.branch7x7dbl_3, m.branch7x7dbl_4, m.branch7x7dbl_5):
        bd = layer(bd)
    return torch.cat([m.branch1x1(x), b7, bd, m.branch_pool(pool(x))], 1)


def block_e(m, x, pool):
    b3 = m.branch3x3_1(x)
    b3 = torch.cat([m.branch3x3_2a(b3), m.branch3x3_2b(b3)], 1)
    bd = m.branch3x3dbl_2(m.branch3x3dbl_1(x))
    bd = torch.cat([m.branch3x3dbl_3a(bd), m.branch3x3dbl_3b(bd)], 1)
    return torch.cat([m.branch1x1(x), b3, bd, m.branch_pool(pool(x))], 1)


def fid_inception() -> torch.nn.Module:
    net = torchvision.models.inception_v3(weights=None, aux_logits=False, init_weights=False, num_classes=1008)
    patches = [(n, block_a, avg_pool_no_pad) for n in ("Mixed_5b", "Mixed_5c", "Mixed_5d")]
    patches += [(n, block_c, avg_pool_no_pad) for n in ("Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e")]
    patches += [("Mixed_7b", block_e, avg_pool_no_pad), ("Mixed_7c", block_e, max_pool_same)]
    for name, fwd, pool in patches:
        block = getattr(net, name)
        block.forward = functools.partial(fwd, block, pool=pool)
    return net


def run(net, x):
    """(logits, pool) of an eval-mode torchvision Inception3; pool is avgpool's output, flattened."""
    seen = {}
    handle = net.avgpool.register_forward_hook(lambda m, i, o: seen.setdefault("pool", o.flatten(1)))
    logits = net(x)
    handle.remove()
    return logits, seen["pool"]


def main(out_dir: str) -> None:
    torch.set_num_threads(2)
    rng = np.random.default_rng(SEED)
    # Smooth colour fields plus noise, not pure noise: closer to what the networks see in use.
    def images(n, side):
        yy, xx = np.mgrid[0:side, 0:side] / side
        out = np.empty((n, 3, side, side), dtype=np.uint8)
        for b in range(n):
            for c in range(3):
                f = rng.uniform(1, 6, size=2)
                p = rng.uniform(0, 2 * np.pi, size=2)
                field = 0.5 + 0.35 * np.sin(f[0] * 2 * np.pi * xx + p[0]) * np.cos(f[1] * 2 * np.pi * yy + p[1])
                field += rng.normal(0, 0.08, size=(side, side))
                out[b, c] = np.clip(np.round(field * 255), 0, 255).astype(np.uint8)
        return torch.from_numpy(out)

    u299 = images(3, 299)
    u128 = images(2, 128)
    mean = torch.tensor(IMAGENET_MEAN, dtype=torch.float32).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, dtype=torch.float32).view(1, 3, 1, 1)
    tensors = {"in.images299": u299, "in.images128": u128}
    with torch.no_grad():
        is_net = torchvision.models.inception_v3(weights=None, aux_logits=False, init_weights=False, transform_input=True)
        load_formula_weights(is_net)
        is_net.eval()
        # torchvision's ImageNet normalisation of [0, 1] images; transform_input maps it back to [-1, 1].
        logits, pool = run(is_net, (u299.float() / 255 - mean) / std)
        tensors["out.is.logits"], tensors["out.is.pool"] = logits, pool
        fid_net = fid_inception()
        load_formula_weights(fid_net)
        fid_net.eval()
        fid_logits, fid_pool = [], []
        for u in (u299, u128):
            x = F.interpolate(u.float() / 255, size=(299, 299), mode="bilinear", align_corners=False)
            lg, pl = run(fid_net, 2 * x - 1)
            fid_logits.append(lg)
            fid_pool.append(pl)
        tensors["out.fid.logits"], tensors["out.fid.pool"] = torch.cat(fid_logits), torch.cat(fid_pool)
        keys = {"is": list(is_net.state_dict().keys()), "fid": list(fid_net.state_dict().keys())}
    os.makedirs(out_dir, exist_ok=True)
    meta = {"format": "pt", "torch": torch.__version__, "torchvision": torchvision.__version__}
    write_safetensors(tensors, os.path.join(out_dir, "inception.safetensors"), meta)
    sidecar = {
        **meta,
        "threads": 2,
        "weights": "formula_weights(key, shape): lowbias32(index ^ fnv1a32(key)) -> r in (-1, 1); "
                   "conv.weight r*sqrt(6/fan_in); bn.weight, bn.running_var 1+0.25r; bn.bias, bn.running_mean, fc.bias 0.1r; "
                   "fc.weight r*sqrt(3/2048); num_batches_tracked 0",
        "inputs": {"in.images299": "uint8 (3, 3, 299, 299)", "in.images128": "uint8 (2, 3, 128, 128)", "seed": SEED},
        "is": "torchvision inception_v3(aux_logits=False, transform_input=True), eval, input (u8/255 - mean)/std "
              "(ImageNet statistics, float32) of in.images299 -> out.is.logits (3, 1000), out.is.pool (3, 2048)",
        "fid": "pytorch-fid FID Inception (1008 classes), eval, input u8/255 of in.images299 then in.images128, "
               "resized to 299 (bilinear, align_corners False), 2x-1 -> out.fid.logits (5, 1008), out.fid.pool (5, 2048)",
        "state_dict_keys": {k: len(v) for k, v in keys.items()},
        "stats": {k: {"min": float(v.min()), "max": float(v.max()), "std": float(v.float().std())}
                  for k, v in tensors.items() if k.startswith("out.")},
    }
    with open(os.path.join(out_dir, "inception.json"), "w") as f:
        json.dump(sidecar, f, indent=1)
        f.write("\n")
    print(json.dumps(sidecar["stats"], indent=1))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "test/fixtures/inception")
