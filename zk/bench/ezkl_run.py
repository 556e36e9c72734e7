#!/usr/bin/env python3
"""Builds an ONNX MLP from deai-zk's float weights and runs EZKL on it (halo2/KZG,
locally generated SRS), printing `ezkl <name> prove_s=<s> verify_ms=<ms> proof_bytes=<n>`.
Usage: ezkl_run.py MODEL.float.json INPUT.json WORKDIR NAME"""
import asyncio
import inspect
import json
import os
import sys
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

import ezkl


def run(r):
    return asyncio.run(r) if inspect.isawaitable(r) else r


layers = json.load(open(sys.argv[1]))
inp = json.load(open(sys.argv[2]))
work, name = sys.argv[3], sys.argv[4]
os.makedirs(work, exist_ok=True)
p = lambda f: os.path.join(work, f)

nodes, inits, cur = [], [], "input"
for i, l in enumerate(layers):
    w = np.array(l["weight"], dtype=np.float32).reshape(l["n_out"], l["n_in"])
    b = np.array(l["bias"], dtype=np.float32)
    inits += [numpy_helper.from_array(w, f"w{i}"), numpy_helper.from_array(b, f"b{i}")]
    nodes.append(helper.make_node("Gemm", [cur, f"w{i}", f"b{i}"], [f"z{i}"], transB=1))
    cur = f"z{i}"
    if i + 1 < len(layers):
        nodes.append(helper.make_node("Relu", [cur], [f"a{i}"]))
        cur = f"a{i}"
graph = helper.make_graph(
    nodes, "mlp",
    [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, layers[0]["n_in"]])],
    [helper.make_tensor_value_info(cur, TensorProto.FLOAT, [1, layers[-1]["n_out"]])],
    inits,
)
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), p("model.onnx"))
json.dump({"input_data": [inp["f"]]}, open(p("input.json"), "w"))

args = ezkl.PyRunArgs()
args.input_visibility = "public"
args.output_visibility = "public"
args.param_visibility = "fixed"
run(ezkl.gen_settings(p("model.onnx"), p("settings.json"), py_run_args=args))
run(ezkl.calibrate_settings(p("input.json"), p("model.onnx"), p("settings.json"), "resources"))
run(ezkl.compile_circuit(p("model.onnx"), p("model.ezkl"), p("settings.json")))
logrows = json.load(open(p("settings.json")))["run_args"]["logrows"]
run(ezkl.gen_srs(p("kzg.srs"), logrows))
run(ezkl.setup(p("model.ezkl"), p("vk.key"), p("pk.key"), p("kzg.srs")))
run(ezkl.gen_witness(p("input.json"), p("model.ezkl"), p("witness.json")))
t = time.time()
run(ezkl.prove(p("witness.json"), p("model.ezkl"), p("pk.key"), p("proof.json"), p("kzg.srs")))
prove_s = time.time() - t
t = time.time()
ok = run(ezkl.verify(p("proof.json"), p("settings.json"), p("vk.key"), p("kzg.srs")))
verify_ms = (time.time() - t) * 1e3
proof = json.load(open(p("proof.json")))
size = len(bytes.fromhex(proof["hex_proof"][2:])) if "hex_proof" in proof else len(proof.get("proof", []))
print(f"ezkl {name} logrows={logrows} prove_s={prove_s:.3f} verify_ms={verify_ms:.1f} proof_bytes={size} ok={ok}")
