#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Convert the official MirrorGAN files into a mirrorgan-native model folder (the format of
src/model/model_folder.ts): the generator (netG_epoch_N.pth, MirrorGAN's G_NET with GLAM's
sentence attention), the DAMSM text encoder (text_encoder200.pth; AttnGAN's release is the same
file) and the vocabulary of captions.pickle / bird_captions.pickle. The architecture (stages,
GF_DIM, Z_DIM, CONDITION_DIM, R_NUM, EMBEDDING_DIM, RNN_TYPE) is read from the weights' shapes.
No STREAM captioner was released upstream, so the folder has none (no re-description).

  python3 scripts/official2model.py --netG netG_epoch_600.pth --text-encoder text_encoder200.pth \\
      --captions captions.pickle -o models/birds
  npx mirrorgan generate --run models/birds "this bird has a red head and black wings"

Needs only `torch` (Debian: python3-torch).
"""
import argparse
import datetime
import hashlib
import json
import os
import pickle
import re
import shutil
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pth2safetensors import write_safetensors  # noqa: E402

FILES = {"manifest": "manifest.json", "text_encoder": "text_encoder.safetensors", "generator": "netG.safetensors", "vocabulary": "vocabulary.json"}
PRESETS = {"cub": "birds", "coco": "coco"}


def fail(message):
    sys.exit(f"official2model: {message}")


def state_dict(path):
    # encoding="latin1": the MirrorGAN/AttnGAN-era files were pickled by Python 2.
    obj = torch.load(path, map_location="cpu", encoding="latin1")
    if hasattr(obj, "state_dict"):
        obj = obj.state_dict()
    if not isinstance(obj, dict):
        fail(f"{path}: expected a state dict, found {type(obj).__name__}")
    out = {}
    for key, value in obj.items():
        if torch.is_tensor(value):
            out[key[len("module."):] if key.startswith("module.") else key] = value.detach().cpu().contiguous()
    return out


def generator_config(sd, path):
    """G_NET's options from its state-dict shapes (keys as native/glam/g_net.cpp registers them)."""
    for key in ("ca_net.fc.weight", "h_net1.fc.0.weight"):
        if key not in sd:
            fail(f"{path}: no '{key}': not a MirrorGAN/AttnGAN generator (netG_epoch_N.pth)")
    if "h_net2.att.conv_context.weight" in sd and "h_net2.att.conv_sentence_vis.weight" not in sd:
        fail(f"{path}: an AttnGAN generator (word attention only); mirrorgan-native runs MirrorGAN's G_NET, whose "
             "GLAM adds sentence attention, so only MirrorGAN's netG converts (AttnGAN's text encoder and captions do)")
    c4, ef_dim = sd["ca_net.fc.weight"].shape
    rows, cols = sd["h_net1.fc.0.weight"].shape
    c_dim = c4 // 4
    stages = 3 if "img_net3.img.0.weight" in sd else 2 if "img_net2.img.0.weight" in sd else 1
    residuals = {int(m.group(1)) for k in sd for m in [re.match(r"h_net2\.residual\.(\d+)\.", k)] if m}
    return {
        "tree": {"branchNum": stages},
        # R_NUM only shapes the later stages; a one-stage generator keeps the preset's.
        "gan": {"gfDim": rows // (4 * 4 * 2 * 16), "zDim": cols - c_dim, "conditionDim": c_dim, **({"rNum": len(residuals)} if stages > 1 else {})},
        "efDim": ef_dim,
    }


def text_encoder_config(sd, path):
    """RNN_ENCODER's options from its shapes: vocabulary size, cell (LSTM: 4 gates, GRU: 3), width."""
    for key in ("encoder.weight", "rnn.weight_ih_l0"):
        if key not in sd:
            fail(f"{path}: no '{key}': not a DAMSM text encoder (text_encoder200.pth)")
    n_tokens = sd["encoder.weight"].shape[0]
    gates_hidden, _ = sd["rnn.weight_ih_l0"].shape
    hidden = sd["rnn.weight_hh_l0"].shape[1]
    gates = gates_hidden // hidden
    if gates not in (3, 4):
        fail(f"{path}: rnn.weight_ih_l0 has {gates} gates per unit; expected an LSTM (4) or a GRU (3)")
    return {"nTokens": n_tokens, "rnnType": "LSTM" if gates == 4 else "GRU", "embeddingDim": 2 * hidden}


def vocabulary(path):
    """The words of captions.pickle's ixtoword, by id (0 = <end>)."""
    with open(path, "rb") as f:
        value = pickle.load(f, encoding="latin1")
    if not isinstance(value, (list, tuple)) or len(value) < 3 or not isinstance(value[2], dict):
        fail(f"{path}: expected a list [train_captions, test_captions, ixtoword, wordtoix]")
    ixtoword = value[2]
    words = [ixtoword.get(i) for i in range(len(ixtoword))]
    if any(not isinstance(w, str) for w in words):
        fail(f"{path}: ixtoword must map the ids 0..{len(ixtoword) - 1} to words")
    if words[0] != "<end>":
        fail(f"{path}: ixtoword[0] is {words[0]!r}, expected '<end>'")
    return words


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def package_version():
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "package.json"), encoding="utf-8") as f:
        return json.load(f)["version"]


def convert(args):
    if args.name is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", args.name):
        fail(f"--name {args.name!r}: up to 64 letters, digits, '.', '_' or '-', starting with a letter or digit")
    if os.path.exists(args.out) and not args.force:
        fail(f"{args.out} already exists; choose another folder or overwrite it (--force)")
    g = state_dict(args.netG)
    e = state_dict(args.text_encoder)
    words = vocabulary(args.captions)
    gc, tc = generator_config(g, args.netG), text_encoder_config(e, args.text_encoder)
    if gc["efDim"] != tc["embeddingDim"]:
        fail(f"{args.netG} was trained with {gc['efDim']}-wide text features but {args.text_encoder} makes {tc['embeddingDim']}")
    if len(words) != tc["nTokens"]:
        fail(f"{args.captions} has {len(words)} words but {args.text_encoder} embeds {tc['nTokens']}: they are not from the same dataset")
    if args.dtype == "float16":
        g, e = ({k: (t.half() if t.is_floating_point() else t) for k, t in sd.items()} for sd in (g, e))
    tmp = f"{args.out}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    write_safetensors(g, os.path.join(tmp, FILES["generator"]), {"format": "pt", "source": os.path.basename(args.netG)})
    write_safetensors(e, os.path.join(tmp, FILES["text_encoder"]), {"format": "pt", "source": os.path.basename(args.text_encoder)})
    with open(os.path.join(tmp, FILES["vocabulary"]), "w", encoding="utf-8") as f:
        json.dump({"format": "mirrorgan-vocabulary", "version": 1, "words": words}, f, ensure_ascii=False)
        f.write("\n")
    files = {}
    for key in ("text_encoder", "generator", "vocabulary"):
        p = os.path.join(tmp, FILES[key])
        files[FILES[key]] = {"bytes": os.path.getsize(p), "sha256": sha256(p)}
    dataset = args.dataset
    size = 64 * 2 ** (gc["tree"]["branchNum"] - 1)
    manifest = {
        "format": "mirrorgan-model", "version": 1, "name": args.name or os.path.basename(os.path.normpath(args.out)),
        "description": f"official MirrorGAN converted from {os.path.basename(args.netG)} ({dataset}, {size} px)",
        "config": {
            # DATA_DIR: the folder of captions.pickle, as in the official layout (data/birds/captions.pickle).
            "preset": PRESETS[dataset], "dataset": {"name": dataset, "root": os.path.dirname(os.path.abspath(args.captions))},
            "tree": gc["tree"], "gan": gc["gan"],
            "text": {"embeddingDim": tc["embeddingDim"], "rnnType": tc["rnnType"]},
        },
        "data": {"dataset": dataset, "source": f"the official release ({os.path.basename(args.captions)})", "licence": "see the dataset"},
        "training": {"source": f"official checkpoints {os.path.basename(args.netG)} and {os.path.basename(args.text_encoder)}", "iteration": None, "command": None},
        "metrics": {},
        "licence": {
            "weights": "see the original release",
            "notice": "Converted from the official MirrorGAN/AttnGAN checkpoints: the terms under which you obtained them apply, "
                      "and so do the licences of the images they were trained on (CUB-200-2011, COCO).",
        },
        "dtype": args.dtype,
        "files": files,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "mirrorganVersion": package_version(),
    }
    with open(os.path.join(tmp, FILES["manifest"]), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    os.replace(tmp, args.out)
    print(f"{args.out}: {manifest['description']}; G_NET {gc['gan']}, {gc['tree']['branchNum']} stages; "
          f"RNN_ENCODER {tc['rnnType']} {tc['embeddingDim']}; {len(words)} words; {args.dtype}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--netG", required=True, help="MirrorGAN generator, netG_epoch_N.pth")
    p.add_argument("--text-encoder", required=True, help="DAMSM text encoder, text_encoder200.pth (CUB) / text_encoder100.pth (COCO)")
    p.add_argument("--captions", required=True, help="captions.pickle / bird_captions.pickle of the same dataset")
    p.add_argument("-o", "--out", required=True, help="the model folder to write")
    p.add_argument("--name", help="model name (default: the folder name)")
    p.add_argument("--dataset", choices=sorted(PRESETS), default="cub", help="what the checkpoints were trained on (default: cub)")
    p.add_argument("--dtype", choices=["float32", "float16"], default="float32", help="how the weights are stored (default: float32, as released)")
    p.add_argument("--force", action="store_true", help="replace the output folder if it exists")
    convert(p.parse_args())


if __name__ == "__main__":
    main()
