"""PyTorch-Python baseline for `deai-worker bench --python PY`.

The same models and the same loop as the Rust engine: per-epoch shuffled index_select
batches, forward, cross-entropy, zero_grad, backward, SGD(momentum 0.9) step, and the
loss read back every step. One intra-op thread. Needs the full `torch==2.13.0` (the slim
libtorch install cannot `import torch`). Prints JSON: samples/s per model.
"""

import argparse
import csv
import gzip
import json
import struct
import time

import torch


def load_digits(path):
    with gzip.open(path, "rt") as f:
        rows = [[float(v) for v in r] for r in csv.reader(f) if r]
    x = torch.tensor([r[:-1] for r in rows], dtype=torch.float32) / 16.0
    y = torch.tensor([int(r[-1]) for r in rows], dtype=torch.int64)
    return x, y


def load_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        dtype = {"F32": torch.float32, "I64": torch.int64}[info["dtype"]]
        buf = bytearray(data[base + start : base + end])
        out[name] = torch.frombuffer(buf, dtype=dtype).reshape(info["shape"])
    return out["features"], out["labels"]


def mlp(inputs, hidden, classes):
    return torch.nn.Sequential(
        torch.nn.Linear(inputs, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, classes)
    )


def train(x, y, model, epochs, batch):
    # Same 80/20 split size as the engine; the timed part is the training loop.
    n_train = x.shape[0] - round(x.shape[0] * 0.2)
    x, y = x[:n_train], y[:n_train]
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    g = torch.Generator().manual_seed(7)
    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(n_train, generator=g)
        for b in range(0, n_train, batch):
            idx = order[b : b + batch]
            xb, yb = x.index_select(0, idx), y.index_select(0, idx)
            loss = torch.nn.functional.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss.item()
    return n_train * epochs / (time.perf_counter() - start)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--digits", required=True)
    p.add_argument("--digits-epochs", type=int, default=20)
    p.add_argument("--synthetic", required=True)
    p.add_argument("--synthetic-epochs", type=int, default=3)
    a = p.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(7)
    dx, dy = load_digits(a.digits)
    sx, sy = load_safetensors(a.synthetic)
    print(
        json.dumps(
            {
                "torch": torch.__version__,
                "digits_mlp": train(dx, dy, mlp(64, 64, 10), a.digits_epochs, 32),
                "mlp_784": train(sx, sy, mlp(784, 128, 10), a.synthetic_epochs, 64),
            }
        )
    )


if __name__ == "__main__":
    main()
