#!/usr/bin/python3
"""Writes test/fixtures/reducer/: small input images and what the reducer must make of them.

An independent implementation of the original HASTE operator, so that the TypeScript reducer
is checked against Pillow and scipy rather than against itself:

- the mask source is Pillow's convert('L') for colour and palette input (ITU-R 601-2 luma in
  Pillow's own fixed point), the grey channel for grey and grey+alpha, and the raw 16-bit value
  for 16-bit grey;
- the threshold is the tolerance for 8-bit samples; for 16-bit ones it is
  tolerance * (2**b - 1) / 255 as an exact Fraction, where b is the PNG sBIT value when the file
  has one and the brightest sample (numpy max) is below 2**sBIT, else the smallest b from 8 to
  16 with max < 2**b (so a 12-bit camera's 0-4095 gets 30 * 4095 / 255, full range 30 * 257);
- the image is padded with one pixel of 0, and the background is the 4-connected component of
  "value < threshold" (compared exactly, as value * denominator < numerator) that contains the
  corner (scipy.ndimage.label);
- those pixels get 0 in every colour or grey channel, at the input's own bit depth; alpha is
  kept; grey stored as three equal channels becomes one channel; palette images keep their
  palette and filled pixels show black at their own alpha (compared as expanded colours).

Run with Debian's python3 (apt-get install python3-pil python3-numpy python3-scipy):
    /usr/bin/python3 scripts/makeReducerFixtures.py
Tests read only the files written here; they never run Python.
"""
import json
import os
import struct
import zlib
from fractions import Fraction

import numpy as np
from PIL import Image, ImageCms, PngImagePlugin
from scipy import ndimage

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'reducer')
SIZE = 32
FOUR_CONNECTED = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]])


def background(values, threshold):
    """Border-connected pixels with value < threshold, as the original operator found them."""
    padded = np.pad(values.astype(np.int64), 1, mode='constant', constant_values=0)
    exact = Fraction(threshold)
    labels, _ = ndimage.label(padded * exact.denominator < exact.numerator, structure=FOUR_CONNECTED)
    corner = labels[0, 0]
    if corner == 0:
        return np.zeros(values.shape, dtype=bool)
    return (labels == corner)[1:-1, 1:-1]


def scene(seed, dark, bright, hole=True):
    """A dark noisy surround, a bright disc, and (optionally) a dark hole inside the disc."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:SIZE, 0:SIZE]
    inside = (x - SIZE / 2) ** 2 + (y - SIZE / 2) ** 2 < (SIZE / 3) ** 2
    values = np.where(inside, rng.integers(*bright, size=inside.shape), rng.integers(*dark, size=inside.shape))
    if hole:
        values[14:18, 14:18] = dark[0]
    return values, inside


def save_png(image, name, **options):
    # Stored (level 0) inputs so that a reduced copy is smaller and the reducer keeps it.
    image.save(os.path.join(OUT, name), compress_level=0, **options)


def scale16(values, tolerance, sbit=None):
    """(b, where b came from, threshold as a Fraction) for 16-bit samples."""
    brightest = int(np.max(values))
    if sbit is not None and brightest < 2 ** sbit:
        bits, origin = sbit, 'sBIT'
    else:
        bits, origin = next(b for b in range(8, 17) if brightest < 2 ** b), 'brightest sample'
    return bits, origin, Fraction(tolerance) * (2 ** bits - 1) / 255


def add_sbit(name, bits):
    """Pillow cannot write sBIT: insert a grey sBIT chunk right after IHDR (before IDAT)."""
    path = os.path.join(OUT, name)
    with open(path, 'rb') as f:
        data = f.read()
    assert data[12:16] == b'IHDR' and data[25] == 0  # grey
    body = b'sBIT' + bytes([bits])
    chunk = struct.pack('>I', 1) + body + struct.pack('>I', zlib.crc32(body))
    with open(path, 'wb') as f:
        f.write(data[:33] + chunk + data[33:])


def write_raw(name, array):
    path = os.path.join(OUT, name)
    if array.dtype == np.uint16:
        array.astype('<u2').tofile(path)
    else:
        array.astype(np.uint8).tofile(path)


def png_bytes(width, height, depth, colour_type, rows, extra_chunks=()):
    """A minimal PNG writer, for what Pillow cannot write (16-bit RGB)."""
    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))
    raw = b''.join(b'\x00' + row for row in rows)
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, depth, colour_type, 0, 0, 0))
            + b''.join(chunk(k, d) for k, d in extra_chunks)
            + chunk(b'IDAT', zlib.compress(raw, 0)) + chunk(b'IEND', b''))


cases = []


def reduced_case(name, file, tolerance, expected, channels, depth, colour_type, note, source=None, scale=None):
    raw = name + '.expected.raw'
    write_raw(raw, expected)
    decoded = name + '.source.raw'
    source = source if source is not None else decode_as_pillow(file, expected.dtype)
    write_raw(decoded, source)
    height, width = expected.shape[:2]
    bits, origin, threshold = scale if scale is not None else (8, 'depth', Fraction(tolerance))
    cases.append({'name': name, 'file': file, 'tolerance': tolerance, 'note': note,
                  'source': {'raw': decoded, 'channels': 1 if source.ndim == 2 else source.shape[2]},
                  'expect': {'reduced': True, 'width': width, 'height': height, 'channels': channels,
                             'depth': depth, 'colourType': colour_type, 'raw': raw,
                             'significantBits': bits, 'significantBitsFrom': origin,
                             'threshold': float(threshold)}})


def decode_as_pillow(file, dtype):
    """Pillow's decode of an input, in the layout the reducer's output is compared in."""
    image = Image.open(os.path.join(OUT, file))
    if image.mode == 'P':
        image = image.convert('RGBA' if 'transparency' in image.info else 'RGB')
    return np.asarray(image).astype(dtype)


def refused_case(name, file, reason, note):
    cases.append({'name': name, 'file': file, 'tolerance': 30, 'note': note,
                  'expect': {'reduced': False, 'reason': reason}})


def grey8():
    values, _ = scene(1, (0, 40), (100, 256))
    values[0, :6] = [28, 29, 30, 31, 29, 29]  # both sides of the tolerance on the border
    image = Image.fromarray(values.astype(np.uint8), 'L')
    save_png(image, 'grey8.png')
    source = np.asarray(Image.open(os.path.join(OUT, 'grey8.png')))
    out = source.copy()
    out[background(source, 30)] = 0
    reduced_case('grey8', 'grey8.png', 30, out, 1, 8, 'grey', '8-bit grey')


def grey16(name, dark, bright, border, bits, note, sbit=None, shift=0):
    """16-bit grey at tolerance 30 (the default); `border` straddles the threshold on row 0."""
    values, _ = scene(2, dark, bright)
    values = values << shift  # samples scaled up to 16 bits, as the PNG spec asks with sBIT
    values[0, :len(border)] = border
    image = Image.fromarray(values.astype(np.uint16), 'I;16')
    save_png(image, name + '.png')
    if sbit is not None:
        add_sbit(name + '.png', sbit)
    reread = Image.open(os.path.join(OUT, name + '.png'))
    assert reread.mode in ('I', 'I;16'), reread.mode  # Pillow 9 opens 16-bit grey PNG as 'I'
    source = np.asarray(reread).astype(np.uint16)
    assert (source == values).all()
    scale = scale16(source, 30, sbit)
    assert scale[0] == bits, (name, scale)
    out = source.copy()
    out[background(source, scale[2])] = 0
    reduced_case(name, name + '.png', 30, out, 1, 16, 'grey', note, scale=scale)


def colour(name, mode, seed):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:SIZE, 0:SIZE]
    inside = (x - SIZE / 2) ** 2 + (y - SIZE / 2) ** 2 < (SIZE / 3) ** 2
    # Dark colours whose Pillow L and libvips' linear Rec.709 luma fall on opposite sides of 30:
    # pure blue is 29 for Pillow (background) but 76 for libvips; (0, 0, 0) .. (96, 0, 0) too.
    surround = np.array([[0, 0, 255], [0, 0, 200], [96, 0, 0], [97, 0, 0], [0, 40, 40], [20, 20, 60],
                         [0, 0, 0], [10, 30, 5], [0, 51, 0], [0, 52, 0]])
    rgb = surround[rng.integers(0, len(surround), size=(SIZE, SIZE))]
    specimen = rng.integers(0, 256, size=(SIZE, SIZE, 3))
    specimen[..., 1] = rng.integers(120, 256, size=(SIZE, SIZE))
    rgb = np.where(inside[..., None], specimen, rgb).astype(np.uint8)
    rgb[14:18, 14:18] = [0, 0, 255]  # an enclosed blue hole: below 30 but not connected
    if mode == 'RGBA':
        alpha = rng.integers(0, 256, size=(SIZE, SIZE, 1)).astype(np.uint8)
        data = np.concatenate([rgb, alpha], axis=2)
    else:
        data = rgb
    save_png(Image.fromarray(data, mode), name + '.png')
    image = Image.open(os.path.join(OUT, name + '.png'))
    source = np.asarray(image).copy()
    mask = background(np.asarray(image.convert('L')), 30)
    source[mask, :3] = 0
    reduced_case(name, name + '.png', 30, source, len(mode), 8, mode.lower(), f'8-bit {mode}, Pillow L mask')


def grey_as_rgb():
    values, _ = scene(3, (0, 40), (90, 256))
    rgb = np.repeat(values.astype(np.uint8)[..., None], 3, axis=2)
    save_png(Image.fromarray(rgb, 'RGB'), 'greyAsRgb.png')
    source = np.asarray(Image.open('%s/greyAsRgb.png' % OUT))
    grey = source[..., 0].copy()
    grey[background(np.asarray(Image.open('%s/greyAsRgb.png' % OUT).convert('L')), 30)] = 0
    reduced_case('greyAsRgb', 'greyAsRgb.png', 30, grey, 1, 8, 'grey', 'grey stored as RGB becomes 8-bit grey')


def palette(name, with_alpha):
    rng = np.random.default_rng(4)
    # No pure black entry, so the reducer has to add one for the filled pixels.
    colours = [(0, 0, 255), (0, 0, 120), (96, 0, 0), (40, 10, 10), (10, 40, 10), (0, 52, 0),
               (200, 180, 20), (250, 250, 250), (120, 200, 90), (60, 60, 200), (255, 0, 0), (0, 255, 255)]
    y, x = np.mgrid[0:SIZE, 0:SIZE]
    inside = (x - SIZE / 2) ** 2 + (y - SIZE / 2) ** 2 < (SIZE / 3) ** 2
    indices = np.where(inside, rng.integers(6, 12, size=(SIZE, SIZE)), rng.integers(0, 6, size=(SIZE, SIZE)))
    image = Image.fromarray(indices.astype(np.uint8), 'P')
    image.putpalette([c for rgb in colours for c in rgb])
    options = {}
    if with_alpha:
        # Opaque and translucent entries interleaved: a writer must keep tRNS positional.
        options['transparency'] = bytes([255, 0, 255, 128, 60, 255, 255, 30, 255, 255, 200, 255])
    save_png(image, name + '.png', **options)
    reread = Image.open(os.path.join(OUT, name + '.png'))
    assert reread.mode == 'P'
    mask = background(np.asarray(reread.convert('L')), 30)
    expanded = np.asarray(reread.convert('RGBA' if with_alpha else 'RGB')).copy()
    expanded[mask, :3] = 0
    reduced_case(name, name + '.png', 30, expanded, 4 if with_alpha else 3, 8, 'palette',
                 'palette PNG: compared as expanded colours')


def all_dark():
    rng = np.random.default_rng(5)
    values = rng.integers(0, 30, size=(SIZE, SIZE)).astype(np.uint8)
    save_png(Image.fromarray(values, 'L'), 'allDark.png')
    reduced_case('allDark', 'allDark.png', 30, np.zeros((SIZE, SIZE), np.uint8), 1, 8, 'grey', 'everything filled')


def one_pixel():
    info = PngImagePlugin.PngInfo()
    info.add_text('Comment', 'padding so that the reduced copy is smaller ' * 4)
    save_png(Image.fromarray(np.array([[7]], np.uint8), 'L'), 'onePixel.png', pnginfo=info)
    reduced_case('onePixel', 'onePixel.png', 30, np.array([[0]], np.uint8), 1, 8, 'grey', '1x1')


def grey_alpha():
    values, _ = scene(6, (0, 40), (100, 256))
    rng = np.random.default_rng(7)
    alpha = rng.integers(0, 256, size=values.shape)
    data = np.stack([values, alpha], axis=2).astype(np.uint8)
    save_png(Image.fromarray(data, 'LA'), 'greyAlpha.png')
    image = Image.open(os.path.join(OUT, 'greyAlpha.png'))
    assert image.mode == 'LA'
    source = np.asarray(image).copy()
    source[background(np.asarray(image.convert('L')), 30), 0] = 0
    reduced_case('greyAlpha', 'greyAlpha.png', 30, source, 2, 8, 'grey-alpha', 'grey + alpha, alpha kept')


def tiffs():
    values, _ = scene(8, (0, 40), (100, 256))
    Image.fromarray(values.astype(np.uint8), 'L').save(os.path.join(OUT, 'grey8.tif'))
    source = np.asarray(Image.open(os.path.join(OUT, 'grey8.tif')))
    out = source.copy()
    out[background(source, 30)] = 0
    reduced_case('tiff8', 'grey8.tif', 30, out, 1, 8, 'grey', '8-bit grey TIFF')

    tiff16('tiff16', 'grey16.tif', 9, (0, 9000), (20000, 65536), [7709, 7710], 16,
           '16-bit grey TIFF, full range: b = 16, 30 * 257 = 7710')
    tiff16('tiff12in16', 'grey12in16.tif', 14, (30, 50), (2950, 3050), [481, 482], 12,
           '16-bit grey TIFF of 12-bit data: b = 12, 30 * 4095 / 255 = 481.76')

    rng = np.random.default_rng(10)
    cmyk = rng.integers(0, 256, size=(SIZE, SIZE, 4)).astype(np.uint8)
    Image.fromarray(cmyk, 'CMYK').save(os.path.join(OUT, 'cmyk.tif'))
    refused_case('cmyk', 'cmyk.tif', 'CMYK', 'CMYK is sent as it is')

    pages = [Image.fromarray(scene(11 + i, (0, 40), (100, 256))[0].astype(np.uint8), 'L') for i in range(2)]
    pages[0].save(os.path.join(OUT, 'twoPages.tif'), save_all=True, append_images=pages[1:])
    refused_case('multiPage', 'twoPages.tif', 'pages', 'a multi-page TIFF is sent as it is')


def tiff16(name, file, seed, dark, bright, border, bits, note):
    values, _ = scene(seed, dark, bright)
    values[0, :len(border)] = border
    Image.fromarray(values.astype(np.uint16), 'I;16').save(os.path.join(OUT, file))
    reread = Image.open(os.path.join(OUT, file))
    assert reread.mode == 'I;16', reread.mode
    source = np.asarray(reread).astype(np.uint16)
    assert (source == values).all()
    scale = scale16(source, 30)
    assert scale[0] == bits, (name, scale)
    out = source.copy()
    out[background(source, scale[2])] = 0
    reduced_case(name, file, 30, out, 1, 16, 'grey', note, scale=scale)


def refused_pngs():
    rng = np.random.default_rng(12)
    rows = [rng.integers(0, 65536, size=SIZE * 3).astype('>u2').tobytes() for _ in range(SIZE)]
    with open(os.path.join(OUT, 'rgb16.png'), 'wb') as f:
        f.write(png_bytes(SIZE, SIZE, 16, 2, rows))
    assert Image.open(os.path.join(OUT, 'rgb16.png')).size == (SIZE, SIZE)
    refused_case('rgb16', 'rgb16.png', '16-bit colour', '16-bit RGB is sent as it is')

    values, _ = scene(13, (0, 40), (100, 256))
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile('sRGB')).tobytes()
    save_png(Image.fromarray(np.repeat(values.astype(np.uint8)[..., None], 3, axis=2), 'RGB'),
             'iccProfile.png', icc_profile=profile)
    refused_case('iccProfile', 'iccProfile.png', 'iCCP', 'an embedded ICC profile is sent as it is')


def main():
    os.makedirs(OUT, exist_ok=True)
    grey8()
    grey16('grey16', (0, 7900), (9000, 65536), [7709, 7710], 16,
           '16-bit grey, full range: b = 16, 30 * 257 = 7710')
    # A 12-bit camera in a 16-bit file: x 257 would make 7710 of tolerance 30, above the
    # specimen (3000), and zero the whole frame.
    grey12in16_note = '12-bit data in 16 bits: background 40, specimen 3000; b = 12, 30 * 4095 / 255 = 481.76'
    grey16('grey12in16', (30, 50), (2950, 3050), [481, 482], 12, grey12in16_note)
    grey16('dim16', (0, 25), (100, 256), [29, 30], 8, '16-bit grey whose brightest sample is 255: b = 8, threshold 30')
    grey16('sbit12', (100, 400), (600, 1000), [481, 482], 12,
           'sBIT 12 with samples below 1024: sBIT wins over the guess (b = 10), 481.76', sbit=12)
    grey16('sbit12scaled', (30, 50), (2950, 3050), [481 << 4, 482 << 4], 16,
           'sBIT 12 with samples scaled to 16 bits (<< 4) as the PNG spec asks: they exceed 4095, '
           'so b = 16 from the samples, 7710', sbit=12, shift=4)
    colour('rgb', 'RGB', 20)
    colour('rgba', 'RGBA', 21)
    grey_as_rgb()
    palette('palette', False)
    palette('paletteAlpha', True)
    all_dark()
    one_pixel()
    grey_alpha()
    tiffs()
    refused_pngs()
    with open(os.path.join(OUT, 'cases.json'), 'w') as f:
        json.dump({'generator': 'scripts/makeReducerFixtures.py', 'cases': cases}, f, indent=2)
        f.write('\n')


if __name__ == '__main__':
    main()
