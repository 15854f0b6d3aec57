import { expect } from 'chai';
import { lstat, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, of, type Observable } from 'rxjs';
import { runAgent } from '../../src/agent/runAgent.js';
import { GatewayError } from '../../src/model/GatewayError.js';
import type { UploadJob } from '../../src/model/UploadJob.js';
import type { UploadResult } from '../../src/model/UploadResult.js';
import { estimateBandwidth } from '../../src/operators/estimateBandwidth.js';
import { createNatsUploader } from '../../src/sinks/createNatsUploader.js';
import { openNatsBucket } from '../../src/sinks/openNatsBucket.js';
import { requireNatsServer, startNats, type NatsFixture } from '../nats/natsServerKit.js';
import { drop, runUntil, sha256 } from './agentTestKit.js';

describe('runAgent with an upload function of its own', function () {
  this.timeout(30_000);
  let root: string;
  let watched: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'haste-run-upload-'));
    watched = join(root, 'watched');
    await mkdir(watched);
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('should hand every file to `upload` (no gateway needed), each labelled with its SHA-256', async () => {
    const jobs: UploadJob[] = [];
    const upload = (job: UploadJob): Observable<UploadResult | GatewayError> => {
      jobs.push(job);
      return of({ item: job.item, status: 201, bytes: job.item.size, startedAt: 0, finishedAt: 1 });
    };
    await drop(watched, 'a.dat', 'alpha');
    await drop(watched, 'b.dat', 'beta!');
    const events = await runUntil({ path: watched, upload, strategy: 'none', watch: { awaitWriteFinish: { stabilityThreshold: 100, pollInterval: 20 } } }, 2);
    expect(events.filter((event) => event.type === 'uploaded')).to.have.length(2);
    expect(jobs.map((job) => [job.item.path, job.bodySha256]).sort()).to.deep.equal([
      [join(watched, 'a.dat'), sha256('alpha')],
      [join(watched, 'b.dat'), sha256('beta!')],
    ]);
  });

  it('should end the run on a 401 from `upload`, as on a gateway\'s', async () => {
    const upload = (job: UploadJob): Observable<UploadResult | GatewayError> =>
      of(new GatewayError('refused the credentials', { status: 401, path: job.item.path, item: job.item }));
    await drop(watched, 'a.dat', 'alpha');
    const error = await runUntil({ path: watched, upload, strategy: 'none', watch: { awaitWriteFinish: { stabilityThreshold: 100, pollInterval: 20 } } }, 1).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(GatewayError);
    expect((error as GatewayError).status).to.equal(401);
  });

  describe('into a real NATS bucket', () => {
    let nats: NatsFixture | undefined;
    before(async function () {
      nats = await startNats(requireNatsServer(this));
    });
    after(async () => {
      await nats?.stop();
    });

    it('should feed the bandwidth estimator from the puts\' bytes and times, as adaptive needs', async () => {
      const bucket = await openNatsBucket({ servers: nats!.urls, bucket: 'estimate' });
      try {
        const upload = createNatsUploader({ store: bucket.store, root: watched, streamId: 's' });
        await drop(watched, 'big.dat', Buffer.alloc(3 * 1024 * 1024, 7));
        const events = await runUntil({ path: watched, upload, strategy: 'adaptive', watch: { awaitWriteFinish: { stabilityThreshold: 100, pollInterval: 20 } } }, 1);
        expect(events.filter((event) => event.type === 'uploaded')).to.have.length(1);
        expect((await bucket.store.info('s/big.dat'))?.size).to.equal(3 * 1024 * 1024);
        await drop(watched, 'next.dat', Buffer.alloc(2 * 1024 * 1024, 9));
        const stats = await lstat(join(watched, 'next.dat'));
        const result = (await firstValueFrom(upload({ item: { path: join(watched, 'next.dat'), size: stats.size, mtimeMs: stats.mtimeMs, ino: stats.ino, dev: stats.dev, index: 0 } }))) as UploadResult;
        expect(result.bytes).to.equal(2 * 1024 * 1024);
        expect(result.finishedAt).to.be.greaterThan(result.startedAt);
        const rate = await firstValueFrom(of(result).pipe(estimateBandwidth()));
        expect(rate).to.be.greaterThan(0);
        expect(rate).to.be.lessThan(Number.POSITIVE_INFINITY);
      } finally {
        await bucket.store.destroy().catch(() => undefined);
        await bucket.close();
      }
    });
  });
});
