import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { lstatSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom } from 'rxjs';
import { GatewayError } from '../../src/model/GatewayError.js';
import type { FileItem } from '../../src/model/FileItem.js';
import type { UploadResult } from '../../src/model/UploadResult.js';
import { isRetryableUpload } from '../../src/operators/isRetryableUpload.js';
import { createNatsUploader } from '../../src/sinks/createNatsUploader.js';
import { objectDigestOf } from '../../src/sinks/objectDigestOf.js';
import { openNatsBucket, NatsSetupError, type NatsBucket } from '../../src/sinks/openNatsBucket.js';
import { requireNatsServer, startNats, type NatsFixture } from '../nats/natsServerKit.js';
import { readObject } from '../nats/readObject.js';

function itemOf(path: string, index = 0): FileItem {
  const stats = lstatSync(path);
  return { path, size: stats.size, mtimeMs: stats.mtimeMs, dev: stats.dev, ino: stats.ino, index };
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

describe('createNatsUploader (real nats-server)', function () {
  this.timeout(60_000);
  let binary = '';
  let nats: NatsFixture;
  let bucket: NatsBucket;
  let root: string;

  before(async function () {
    binary = requireNatsServer(this);
    nats = await startNats(binary);
  });
  after(async () => {
    await nats?.stop();
  });
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'haste-nats-root-'));
    bucket = await openNatsBucket({ servers: nats.urls, bucket: `b${Date.now()}${Math.floor(Math.random() * 1000)}` });
  });
  afterEach(async () => {
    await bucket?.store.destroy().catch(() => undefined);
    await bucket?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('should store a file as <streamId>/<relative path> with the HASTE headers and its SHA-256', async () => {
    await mkdir(join(root, 'sub'));
    const path = join(root, 'sub', 'a.bin');
    const bytes = randomBytes(300_000);
    await writeFile(path, bytes);
    const upload = createNatsUploader({ store: bucket.store, root, streamId: 'run1', tag: 'lab', clock: () => 1_700_000_000_000 });
    const result = (await firstValueFrom(upload({ item: itemOf(path) }))) as UploadResult;
    expect(result).not.to.be.instanceOf(GatewayError);
    expect(result.bytes).to.equal(300_000);
    const info = await bucket.store.info('run1/sub/a.bin');
    expect(info?.digest).to.equal(objectDigestOf(sha256(bytes)));
    expect(info?.headers?.get('X-HASTE-tag')).to.equal('lab');
    expect(info?.headers?.get('X-HASTE-original_filename')).to.equal(path);
    expect(info?.headers?.get('X-HASTE-unixtime')).to.equal('1700000000');
    expect(info?.headers?.get('X-HASTE-content-sha256')).to.equal(sha256(bytes));
    expect(info?.headers?.get('X-HASTE-reduced')).to.equal('false');
    expect(sha256(await readObject(bucket.store, 'run1/sub/a.bin'))).to.equal(sha256(bytes));
  });

  it('should put and read back a 24 MB object (192 chunks) intact', async () => {
    const path = join(root, 'big.raw');
    const bytes = randomBytes(24 * 1024 * 1024);
    await writeFile(path, bytes);
    const upload = createNatsUploader({ store: bucket.store, root, streamId: 's' });
    const result = await firstValueFrom(upload({ item: itemOf(path) }));
    expect(result).not.to.be.instanceOf(GatewayError);
    const info = await bucket.store.info('s/big.raw');
    expect(info?.chunks).to.be.greaterThan(16);
    expect(sha256(await readObject(bucket.store, 's/big.raw'))).to.equal(sha256(bytes));
  });

  it('should skip the put when the stored digest equals the file\'s, and make a new revision when it differs', async () => {
    const path = join(root, 'a.bin');
    await writeFile(path, 'first');
    const upload = createNatsUploader({ store: bucket.store, root, streamId: 's' });
    await firstValueFrom(upload({ item: itemOf(path) }));
    const first = await bucket.store.info('s/a.bin');
    const again = (await firstValueFrom(upload({ item: itemOf(path) }))) as UploadResult;
    expect(again.bytes).to.equal(0);
    expect((await bucket.store.info('s/a.bin'))?.revision).to.equal(first?.revision);
    await writeFile(path, 'second version');
    const changed = (await firstValueFrom(upload({ item: itemOf(path) }))) as UploadResult;
    expect(changed.bytes).to.equal('second version'.length);
    const second = await bucket.store.info('s/a.bin');
    expect(second?.revision).to.be.greaterThan(first!.revision);
    expect(Buffer.from(await readObject(bucket.store, 's/a.bin')).toString()).to.equal('second version');
  });

  it('should store a reduced copy under the original\'s name, saying it is reduced and how', async () => {
    const path = join(root, 'frame.tif');
    const copy = join(root, '..', `copy-${Date.now()}.png`);
    await writeFile(path, randomBytes(1000));
    await writeFile(copy, 'reduced bytes');
    try {
      const upload = createNatsUploader({ store: bucket.store, root, streamId: 's' });
      const result = await firstValueFrom(
        upload({ item: itemOf(path), bodyPath: copy, bodySize: 13, bodyMediaType: 'image/png', bodyReduction: { reducer: 'reduceImage', tolerance: 30 } }),
      );
      expect(result).not.to.be.instanceOf(GatewayError);
      const info = await bucket.store.info('s/frame.tif');
      expect(info?.size).to.equal(13);
      expect(info?.headers?.get('X-HASTE-reduced')).to.equal('true');
      expect(info?.headers?.get('X-HASTE-reduction')).to.equal('reducer=reduceImage; tolerance=30');
      expect(info?.headers?.get('Content-Type')).to.equal('image/png');
      expect(info?.headers?.get('X-HASTE-original_filename')).to.equal(path);
    } finally {
      await rm(copy, { force: true });
    }
  });

  it('should refuse a file outside the watched folder (400, not retried) and store nothing', async () => {
    const outside = join(root, '..', `outside-${Date.now()}.bin`);
    await writeFile(outside, 'x');
    try {
      const upload = createNatsUploader({ store: bucket.store, root, streamId: 's' });
      const result = await firstValueFrom(upload({ item: itemOf(outside) }));
      expect(result).to.be.instanceOf(GatewayError);
      expect((result as GatewayError).status).to.equal(400);
      expect(isRetryableUpload(result)).to.equal(false);
      expect(await bucket.store.list()).to.deep.equal([]);
    } finally {
      await rm(outside, { force: true });
    }
  });

  it('should fail, without retries, a file rewritten since it was admitted, and store nothing', async () => {
    const path = join(root, 'a.bin');
    await writeFile(path, 'one');
    const item = itemOf(path);
    await writeFile(path, 'two, longer');
    const upload = createNatsUploader({ store: bucket.store, root, streamId: 's' });
    const result = await firstValueFrom(upload({ item, bodySha256: sha256(Buffer.from('one')) }));
    expect(result).to.be.instanceOf(GatewayError);
    expect(isRetryableUpload(result)).to.equal(false);
    expect(await bucket.store.info('s/a.bin')).to.equal(null);
  });

  it('should report a full bucket as 507, retryable, with no object left current', async () => {
    const small = await openNatsBucket({ servers: nats.urls, bucket: `full${Date.now()}`, maxBytes: 1024 * 1024 });
    try {
      const path = join(root, 'big.bin');
      await writeFile(path, randomBytes(2 * 1024 * 1024));
      const upload = createNatsUploader({ store: small.store, root, streamId: 's', describe: small.describe });
      const result = await firstValueFrom(upload({ item: itemOf(path) }));
      expect(result).to.be.instanceOf(GatewayError);
      expect((result as GatewayError).status).to.equal(507);
      expect((result as GatewayError).message).to.match(/is full/);
      expect(isRetryableUpload(result)).to.equal(true);
      expect(await small.store.info('s/big.bin')).to.equal(null);
    } finally {
      await small.store.destroy().catch(() => undefined);
      await small.close();
    }
  });
});

describe('openNatsBucket (real nats-server)', function () {
  this.timeout(60_000);
  let nats: NatsFixture | undefined;
  before(async function () {
    const binary = requireNatsServer(this);
    nats = await startNats(binary, { auth: { user: 'lab', password: 'right' } });
  });
  after(async () => {
    await nats?.stop();
  });

  it('should reject refused credentials with a 401 NatsSetupError naming the user but not the password', async () => {
    const error = await openNatsBucket({ servers: nats!.urls, bucket: 'x', credentials: { user: 'lab', password: 'wrong-secret' } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(NatsSetupError);
    expect((error as NatsSetupError).status).to.equal(401);
    expect((error as Error).message).to.match(/refused the credentials \(user "lab" and its password\)/);
    expect((error as Error).message).not.to.include('wrong-secret');
  });

  it('should create a missing bucket with its size limit, and open it as it is the next time', async () => {
    const credentials = { user: 'lab', password: 'right' };
    const first = await openNatsBucket({ servers: nats!.urls, bucket: 'limited', maxBytes: 5_000_000, credentials });
    expect((await first.store.status()).streamInfo.config.max_bytes).to.equal(5_000_000);
    await first.close();
    const second = await openNatsBucket({ servers: nats!.urls, bucket: 'limited', maxBytes: 9_000_000, credentials });
    expect((await second.store.status()).streamInfo.config.max_bytes).to.equal(5_000_000);
    await second.close();
  });

  it('should say which servers it could not reach', async () => {
    const error = await openNatsBucket({ servers: 'nats://127.0.0.1:1', bucket: 'x' }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).to.match(/Could not connect to NATS nats:\/\/127\.0\.0\.1:1/);
  });

  it('should throw a TypeError for a bad bucket name or no servers', async () => {
    const bad = await openNatsBucket({ servers: nats!.urls, bucket: 'a.b' }).catch((e: unknown) => e);
    expect(bad).to.be.instanceOf(TypeError);
    const none = await openNatsBucket({ servers: ' , ', bucket: 'a' }).catch((e: unknown) => e);
    expect(none).to.be.instanceOf(TypeError);
  });
});
