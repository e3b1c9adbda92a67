#!/usr/bin/python3
"""extract_faceapi.py — two real trained weight matrices for assets/samples/.

From the npm package @vladmandic/face-api 1.7.15 (MIT licence; the models
are face-api.js's by Vincent Mühler, MIT, and ssd_mobilenetv1 is Google's
MobileNetV1 SSD from the TensorFlow object detection API, Apache-2.0).
The package ships TensorFlow.js weights: a JSON manifest of tensors (name,
shape, dtype, optional uint8 quantization {scale, min}) and a .bin of their
bytes in manifest order.

  npm pack @vladmandic/face-api@1.7.15 && tar xzf vladmandic-face-api-1.7.15.tgz
  /usr/bin/python3 assets/samples/extract_faceapi.py package/model

Writes, as float32 [out, in] matrices (the 1x1 or 3x3 convolution kernel
[kh, kw, in, out] flattened to [kh*kw*in, out] and transposed):
  faceapi_conv64.npy   face_recognition_model conv64_1/conv1/conv/filters,
                       [64, 576], stored as float32 in the package
  mobilenet_pw11.npy   ssd_mobilenetv1_model MobilenetV1/Conv2d_11_pointwise/
                       weights, [512, 512]; the package stores it as uint8
                       with a scale and a minimum (value = q * scale + min),
                       decoded here exactly as TensorFlow.js does, in float32
"""
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

WANT = [
    ("face_recognition_model", "conv64_1/conv1/conv/filters", "faceapi_conv64"),
    ("ssd_mobilenetv1_model", "MobilenetV1/Conv2d_11_pointwise/weights", "mobilenet_pw11"),
]


def tensor(model_dir, model, name):
    manifest = json.load(open(os.path.join(model_dir, model + "-weights_manifest.json")))
    data = open(os.path.join(model_dir, model + ".bin"), "rb").read()
    off = 0
    for group in manifest:
        for w in group["weights"]:
            n = int(np.prod(w["shape"]))
            q = w.get("quantization")
            size = n * (1 if q and q["dtype"] == "uint8" else 2 if q else 4)
            if w["name"] == name:
                raw = data[off:off + size]
                if q is None:
                    a = np.frombuffer(raw, dtype="<f4")
                elif q["dtype"] == "uint8":
                    a = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) *
                         np.float32(q["scale"]) + np.float32(q["min"]))
                else:
                    raise SystemExit("unexpected quantization %r" % q)
                return a.astype(np.float32).reshape(w["shape"])
            off += size
    raise SystemExit("%s: no tensor %s" % (model, name))


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    for model, name, out in WANT:
        k = tensor(sys.argv[1], model, name)
        m = np.ascontiguousarray(k.reshape(-1, k.shape[-1]).T, dtype=np.float32)
        np.save(os.path.join(HERE, out + ".npy"), m)
        am = np.abs(m).max(axis=1)
        print("%-15s %s  absmax %.4g, channel absmax median %.4g, max/median %.1f (channel %d)"
              % (out, "x".join(map(str, m.shape)), am.max(), np.median(am),
                 am.max() / np.median(am), am.argmax()))


if __name__ == "__main__":
    main()
