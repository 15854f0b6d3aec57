import { expect } from 'chai';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway } from '../../src/gateway/startGateway.js';
import type { RunningGateway } from '../../src/gateway/RunningGateway.js';
import { blobHeaders, postBlob, sha256, sid } from './gatewayTestKit.js';

const pngBytes = Buffer.from('\x89PNG\r\n\x1a\n pretend the rest is a PNG', 'latin1');
const reducedHeaders = {
  'Content-Type': 'image/png',
  'X-HASTE-reduction': 'reducer=reduceImage; tolerance=30; compressionLevel=6',
};

describe('startGateway reduced copies', () => {
  let store: string;
  let gateway: RunningGateway;
  let lines: string[];

  beforeEach(async () => {
    store = await mkdtemp(join(tmpdir(), 'haste-gateway-reduced-'));
    lines = [];
    gateway = await startGateway({ port: 0, username: 'agent', password: 's3cret', store, log: (line) => lines.push(line) });
  });

  afterEach(async () => {
    await gateway.close();
    await rm(store, { recursive: true, force: true });
  });

  it('should store a reduced copy under a name that shows its format, with a sidecar', async () => {
    const answer = await postBlob(gateway, blobHeaders('/data/run/frame.tif', pngBytes, reducedHeaders), pngBytes);
    expect(answer.body).to.equal('{"result": "OK!"}');
    expect((await readdir(join(store, sid))).sort()).to.deep.equal(['frame.tif.reduced.png', 'frame.tif.reduced.png.json']);
    expect(await readFile(join(store, sid, 'frame.tif.reduced.png'))).to.deep.equal(pngBytes);
    expect(JSON.parse(await readFile(join(store, sid, 'frame.tif.reduced.png.json'), 'utf8'))).to.deep.equal({
      storedAs: 'frame.tif.reduced.png',
      originalFilename: '/data/run/frame.tif',
      contentType: 'image/png',
      reduction: { reducer: 'reduceImage', tolerance: '30', compressionLevel: '6' },
      bytes: pngBytes.length,
      sha256: sha256(pngBytes),
      tag: 'vironova',
      unixtime: '1764040740.123',
    });
    expect(gateway.received[0]?.originalFilename).to.equal('/data/run/frame.tif');
    expect(gateway.received[0]?.storedPath).to.equal(join(store, sid, 'frame.tif.reduced.png'));
    expect(gateway.received[0]?.reduction).to.deep.equal({
      contentType: 'image/png',
      settings: { reducer: 'reduceImage', tolerance: '30', compressionLevel: '6' },
    });
  });

  it('should log the original name, the stored name, the type and the settings on one line', async () => {
    await postBlob(gateway, blobHeaders('/data/run/frame.tif', pngBytes, reducedHeaders), pngBytes);
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(/^stored /);
    expect(lines[0]).to.include('file="/data/run/frame.tif"');
    expect(lines[0]).to.include('as="frame.tif.reduced.png"');
    expect(lines[0]).to.include('type=image/png');
    expect(lines[0]).to.include('reduction="reducer=reduceImage; tolerance=30; compressionLevel=6"');
  });

  it('should keep an original under its own name, with no sidecar and no reduction', async () => {
    await postBlob(gateway, blobHeaders('/data/run/frame.tif', 'tiff bytes'), 'tiff bytes');
    expect(await readdir(join(store, sid))).to.deep.equal(['frame.tif']);
    expect(gateway.received[0]).to.not.have.property('reduction');
    expect(lines[0]).to.not.include('type=').and.not.include('reduction=');
  });

  it('should keep an original and its reduced copy apart, also when their formats match', async () => {
    await postBlob(gateway, blobHeaders('/data/a.tif', 'original'), 'original');
    await postBlob(gateway, blobHeaders('/data/a.tif', pngBytes, reducedHeaders), pngBytes);
    await postBlob(gateway, blobHeaders('/data/b.png', 'png original'), 'png original');
    await postBlob(gateway, blobHeaders('/data/b.png', pngBytes, reducedHeaders), pngBytes);
    expect((await readdir(join(store, sid))).sort()).to.deep.equal([
      'a.tif',
      'a.tif.reduced.png',
      'a.tif.reduced.png.json',
      'b.png',
      'b.png.reduced.png',
      'b.png.reduced.png.json',
    ]);
  });

  it('should give a second reduced copy of one name its own file and its own sidecar', async () => {
    const other = Buffer.concat([pngBytes, Buffer.from(' v2')]);
    await postBlob(gateway, blobHeaders('/data/a.tif', pngBytes, reducedHeaders), pngBytes);
    await postBlob(gateway, blobHeaders('/data/a.tif', other, reducedHeaders), other);
    expect((await readdir(join(store, sid))).sort()).to.deep.equal([
      'a.tif.reduced-1.png',
      'a.tif.reduced-1.png.json',
      'a.tif.reduced.png',
      'a.tif.reduced.png.json',
    ]);
    const sidecar = JSON.parse(await readFile(join(store, sid, 'a.tif.reduced-1.png.json'), 'utf8'));
    expect([sidecar.storedAs, sidecar.sha256]).to.deep.equal(['a.tif.reduced-1.png', sha256(other)]);
  });

  it('should not let a sidecar take the name of a stored original, nor overwrite it', async () => {
    await postBlob(gateway, blobHeaders('/data/a.tif.reduced.png.json', 'an original that happens to be called this'), 'an original that happens to be called this');
    await postBlob(gateway, blobHeaders('/data/a.tif', pngBytes, reducedHeaders), pngBytes);
    expect(await readFile(join(store, sid, 'a.tif.reduced.png.json'), 'utf8')).to.equal('an original that happens to be called this');
    expect(gateway.received[1]?.storedPath).to.equal(join(store, sid, 'a.tif.reduced-1.png'));
    expect(JSON.parse(await readFile(join(store, sid, 'a.tif.reduced-1.png.json'), 'utf8')).storedAs).to.equal('a.tif.reduced-1.png');
    expect((await readdir(join(store, sid))).filter((name) => name.endsWith('.part'))).to.deep.equal([]);
  });

  it('should name a copy of an unknown type .bin and one without Content-Type as bytes', async () => {
    await postBlob(gateway, blobHeaders('/d/x.tif', 'a', { ...reducedHeaders, 'Content-Type': 'image/x-made-up' }), 'a');
    const headers = blobHeaders('/d/y.tif', 'b', reducedHeaders);
    delete (headers as Record<string, string>)['Content-Type'];
    await postBlob(gateway, headers, 'b');
    expect(gateway.received.map((blob) => [blob.storedPath?.split('/').pop(), blob.reduction?.contentType])).to.deep.equal([
      ['x.tif.reduced.bin', 'image/x-made-up'],
      ['y.tif.reduced.bin', 'application/octet-stream'],
    ]);
  });

  it('should read a Content-Type with parameters and in upper case', async () => {
    await postBlob(gateway, blobHeaders('/d/x.tif', 'a', { ...reducedHeaders, 'Content-Type': 'Image/PNG; charset=binary' }), 'a');
    expect(gateway.received[0]?.storedPath).to.equal(join(store, sid, 'x.tif.reduced.png'));
  });

  it('should answer 400 to a malformed X-HASTE-reduction or Content-Type and store nothing', async () => {
    const bad = [
      { 'X-HASTE-reduction': 'tolerance=30' },
      { 'X-HASTE-reduction': 'reducer' },
      { 'X-HASTE-reduction': 'reducer=a; reducer=b' },
      { 'X-HASTE-reduction': 'reducer=a; ../x=1' },
      { 'Content-Type': 'png' },
      { 'Content-Type': 'image/../../x' },
    ];
    for (const extra of bad) {
      const answer = await postBlob(gateway, blobHeaders('/d/x.tif', 'a', { ...reducedHeaders, ...extra }), 'a');
      expect(answer.status, JSON.stringify(extra)).to.equal(400);
    }
    expect(gateway.received).to.deep.equal([]);
    expect(await readdir(store)).to.deep.equal([]);
  });

  it('should drop a retry of a reduced copy like any other', async () => {
    for (let i = 0; i < 2; i += 1) await postBlob(gateway, blobHeaders('/data/a.tif', pngBytes, reducedHeaders), pngBytes);
    expect(gateway.received.map((blob) => blob.duplicate)).to.deep.equal([false, true]);
    expect((await readdir(join(store, sid))).sort()).to.deep.equal(['a.tif.reduced.png', 'a.tif.reduced.png.json']);
  });

  it('should record the reduction without a store, and for discard, without writing anything', async () => {
    const bare = await startGateway({ port: 0, username: 'agent', password: 's3cret' });
    try {
      await postBlob(bare, blobHeaders('/data/a.tif', pngBytes, reducedHeaders), pngBytes);
      await postBlob(gateway, blobHeaders('/data/b.tif', pngBytes, { ...reducedHeaders, 'X-HASTE-tag': 'discard' }), pngBytes);
      expect(bare.received[0]?.reduction?.contentType).to.equal('image/png');
      expect(gateway.received[0]?.reduction?.settings.reducer).to.equal('reduceImage');
      expect(await readdir(store)).to.deep.equal([]);
    } finally {
      await bare.close();
    }
  });
});
