#!/usr/bin/env python3
"""Writes a circom2 circuit computing exactly deai-zk's quantized MLP (weights as
constants, 32-bit ReLU range checks, as in the issue's snarkjs anchor), and its
input file. Usage: gen_circom.py MODEL.quant.json INPUT.json OUT.circom OUT_INPUT.json"""
import json
import sys

model = json.load(open(sys.argv[1]))
inp = json.load(open(sys.argv[2]))
layers = model["layers"]
out = ["pragma circom 2.0.0;", 'include "circomlib/circuits/bitify.circom";', ""]
out.append("""template ReluShift(S) {
    signal input in;
    signal output out;
    component b = Num2Bits(32);
    b.in <== in + 2147483648;
    var high = 0;
    for (var i = S; i < 31; i++) { high += b.out[i] * (1 << (i - S)); }
    out <== b.out[31] * high;
}
""")
n_in = layers[0]["n_in"]
n_out = layers[-1]["n_out"]
out.append("template Mlp() {")
out.append(f"    signal input x[{n_in}];")
out.append(f"    signal output logits[{n_out}];")
prev = "x"
for li, l in enumerate(layers):
    last = li == len(layers) - 1
    w, b, ni, no = l["weight"], l["bias"], l["n_in"], l["n_out"]
    if not last:
        out.append(f"    signal h{li}[{no}];")
        out.append(f"    component r{li}[{no}];")
    for j in range(no):
        # One statement per term: a single long expression overflows circom's stack.
        out.append(f"    var acc{li}_{j} = {b[j]};")
        out += [f"    acc{li}_{j} += ({w[j * ni + i]}) * {prev}[{i}];" for i in range(ni) if w[j * ni + i] != 0]
        expr = f"acc{li}_{j}"
        if last:
            out.append(f"    logits[{j}] <== {expr};")
        else:
            out.append(f"    r{li}[{j}] = ReluShift({l['shift']});")
            out.append(f"    r{li}[{j}].in <== {expr};")
            out.append(f"    h{li}[{j}] <== r{li}[{j}].out;")
    prev = f"h{li}"
out.append("}")
out.append("component main {public [x]} = Mlp();")
open(sys.argv[3], "w").write("\n".join(out) + "\n")
json.dump({"x": [str(v) for v in inp["q"]]}, open(sys.argv[4], "w"))
