import os, numpy as np
from PIL import Image
from skimage import data
import skimage
d = os.path.dirname(data.__file__)
out = '/tmp/trial/in'
os.makedirs(out, exist_ok=True)
def save(name, im, **kw):
    im.save(os.path.join(out, name), **kw)
# real photographs and scans, as they are
for f in ['astronaut.png','coins.png','camera.png','page.png','moon.png','palette_color.png','green_palette.png','logo.png','microaneurysms.png','cell.png','chelsea.png']:
    save(f, Image.open(os.path.join(d, f)))
for f in ['retina.jpg','hubble_deep_field.jpg','rocket.jpg']:
    save(f.replace('.jpg','.png'), Image.open(os.path.join(d, f)).convert('RGB'))
save('chessboard_U16.tif', Image.open(os.path.join(d,'chessboard_GRAY_U16.tif')))
import shutil
shutil.copy(os.path.join(d,'multipage.tif'), os.path.join(out,'multipage.tif'))
shutil.copy(os.path.join(d,'multipage_rgb.tif'), os.path.join(out,'multipage_rgb.tif'))
# a 12-bit camera in a 16-bit file: dark background ~40, specimen ~3000 (coins' shapes)
coins = np.asarray(Image.open(os.path.join(d,'coins.png'))).astype(np.uint16)
rng = np.random.default_rng(1)
twelve = np.where(coins > 100, 2000 + coins.astype(np.uint16) * 8, 30 + rng.integers(0, 20, coins.shape)).astype(np.uint16)
Image.fromarray(twelve, mode='I;16').save(os.path.join(out, 'coins12in16.png'))
Image.fromarray(twelve, mode='I;16').save(os.path.join(out, 'coins12in16.tif'))
cam16 = (np.asarray(Image.open(os.path.join(d,'camera.png'))).astype(np.uint32) * 257 + rng.integers(0, 256, (512,512))).clip(0,65535).astype(np.uint16)
Image.fromarray(cam16, mode='I;16').save(os.path.join(out, 'camera16.png'))
# grey stored as RGB (MiniTEM style)
g = np.asarray(Image.open(os.path.join(d,'cell.png')).convert('L'))
Image.fromarray(np.stack([g,g,g],-1)).save(os.path.join(out,'cell_grey_as_rgb.png'))
print(sorted(os.listdir(out)))
