# Independent check of every blob the agent delivered: originals byte-identical; reduced copies
# equal to the original with exactly the original operator's background set to 0.
import json, os, glob, sys
import numpy as np
from PIL import Image
from scipy import ndimage
store = glob.glob('/tmp/trial/store/*/')[0]
src = '/tmp/trial/in'
ok = bad = 0
def load(path):
    im = Image.open(path)
    return im, np.asarray(im)
def mask_of(im, arr, tol):
    if im.mode in ('RGB', 'RGBA', 'P', 'PA'):
        lum = np.asarray(im.convert('RGB').convert('L')).astype(np.int64)
        thr = tol
    elif im.mode in ('I;16', 'I;16B', 'I'):
        lum = arr.astype(np.int64)
        b = next(b for b in range(8, 17) if lum.max() < 2 ** b)
        thr = tol * (2 ** b - 1) / 255
    else:
        lum = np.asarray(im.convert('L')).astype(np.int64) if im.mode != 'L' else arr.astype(np.int64)
        thr = tol
    padded = np.pad(lum, 1, constant_values=0)
    labels, _ = ndimage.label(padded < thr)  # 4-connectivity by default
    m = labels == labels[0, 0]
    return m[1:-1, 1:-1]
for name in sorted(os.listdir(store)):
    if name.endswith('.json') or name.startswith('.'):
        continue
    path = os.path.join(store, name)
    if '.reduced.' not in name:
        same = open(path, 'rb').read() == open(os.path.join(src, name), 'rb').read()
        print(('OK ' if same else 'BAD'), name, 'as sent, byte-identical' if same else 'DIFFERS')
        ok += same; bad += (not same)
        continue
    meta = json.load(open(path + '.json'))
    orig_name = os.path.basename(meta['originalFilename'])
    oim, oarr = load(os.path.join(src, orig_name))
    rim, rarr = load(path)
    tol = float(meta['reduction']['tolerance'])
    m = mask_of(oim, oarr, tol)
    expected = oarr.copy()
    if oim.mode == 'P':
        exp_rgba = np.asarray(oim.convert('RGBA')).copy(); got_rgba = np.asarray(rim.convert('RGBA'))
        exp_rgba[m, :3] = 0
        good = np.array_equal(exp_rgba, got_rgba)
    elif oim.mode == 'RGB' and np.all(oarr[..., 0] == oarr[..., 1]) and np.all(oarr[..., 1] == oarr[..., 2]):
        e = oarr[..., 0].copy(); e[m] = 0
        good = rim.mode == 'L' and np.array_equal(e, rarr)
    else:
        if expected.ndim == 3:
            ch = 3 if expected.shape[2] in (3, 4) else 1
            expected[m, :ch] = 0
        else:
            expected[m] = 0
        depth = open(path,'rb').read()[24]
        good = np.array_equal(expected.astype(np.int64), rarr.astype(np.int64)) and depth == (16 if oim.mode.startswith('I') else 8)
    print(('OK ' if good else 'BAD'), name, f'mode {oim.mode}->{rim.mode}', f'filled {m.sum()} of {m.size}', f'{os.path.getsize(os.path.join(src, orig_name))} -> {os.path.getsize(path)} bytes')
    ok += good; bad += (not good)
print(f'{ok} ok, {bad} bad')
