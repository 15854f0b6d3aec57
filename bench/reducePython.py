#!/usr/bin/python3
"""A plain Python version of the image reducer, the yardstick for bench/encoderVersusPython.ts.

The original HASTE operator as a Python user would write it: Pillow decodes the frame,
scipy.ndimage labels the 4-connected regions of "darker than the tolerance" in the frame padded
with one pixel of 0, the region holding the corner becomes 0, and Pillow saves a PNG at its
defaults. Grey frames are judged on their own values, colour on Pillow's convert('L').

    /usr/bin/python3 bench/reducePython.py OUT_DIR FRAME.png ...

Prints one JSON line per frame: {"file", "bytesIn", "bytesOut", "cpuMs", "wallMs"}; cpuMs is
time.process_time() around read + decode + label + save (this process's CPU time, one thread).
Needs Debian's python3-pil, python3-numpy, python3-scipy; nothing in the tests runs it.
"""
import json
import os
import sys
import time

import numpy as np
from PIL import Image
from scipy import ndimage

TOLERANCE = 30


def reduce(path, out_path):
    image = Image.open(path)
    image.load()
    values = np.asarray(image if image.mode in ('L', 'I;16', 'I') else image.convert('L'))
    padded = np.pad(values, 1, mode='constant', constant_values=0)
    labels, _ = ndimage.label(padded < TOLERANCE)  # 4-connected: scipy's default structure
    background = (labels == labels[0, 0])[1:-1, 1:-1]
    result = np.array(image)
    result[background] = 0
    Image.fromarray(result, mode=image.mode).save(out_path)


def main():
    out_dir, frames = sys.argv[1], sys.argv[2:]
    os.makedirs(out_dir, exist_ok=True)
    for path in frames:
        out_path = os.path.join(out_dir, os.path.basename(path))
        cpu, wall = time.process_time(), time.perf_counter()
        reduce(path, out_path)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        print(json.dumps({
            'file': path,
            'bytesIn': os.path.getsize(path),
            'bytesOut': os.path.getsize(out_path),
            'cpuMs': cpu * 1000,
            'wallMs': wall * 1000,
        }), flush=True)


if __name__ == '__main__':
    main()
