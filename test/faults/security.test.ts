import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway } from '../../src/gateway/startGateway.js';
import type { RunningGateway } from '../../src/gateway/RunningGateway.js';
import { jsonEvents, reapAgents, spawnAgent, until } from './faultKit.js';

const secret = 'Corr3ct-Horse-S3cret-9431';

async function drop(path: string, data: string): Promise<void> {
  await writeFile(`${path}.tmp`, data);
  await rename(`${path}.tmp`, path);
}

/** Every file under `dir` as text, for grepping. */
async function everythingIn(dir: string): Promise<string> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const texts = await Promise.all(entries.filter((entry) => entry.isFile()).map((entry) => readFile(join(entry.parentPath, entry.name), 'latin1')));
  return texts.join('\n');
}

/** Runs openssl, failing the test with a clear message (not skipping it) when it is missing. */
function openssl(args: readonly string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: 'pipe' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('openssl was not found on PATH; the --ca test needs it to make a private CA (install openssl)');
    }
    throw error;
  }
}

describe('agent security', function () {
  // Real processes, real outages and big files take longer than the suite's default timeout.
  this.timeout(30_000);
  let root: string;
  let watched: string;
  let stateDir: string;
  let gateway: RunningGateway;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'haste-fault-sec-'));
    watched = join(root, 'watched');
    stateDir = join(root, 'state');
    await mkdir(watched);
    gateway = await startGateway({ port: 0, username: 'lab', password: secret, store: join(root, 'store') });
  });

  afterEach(async () => {
    await reapAgents();
    await gateway.close();
    await rm(root, { recursive: true, force: true });
  });

  it('should never write the password, or the Authorization value built from it, to logs, errors or the state dir', async () => {
    await drop(join(watched, 'a.dat'), 'a');
    await drop(join(watched, 'b.dat'), 'b');
    const forms = [secret, Buffer.from(`lab:${secret}`).toString('base64'), Buffer.from(secret).toString('base64'), encodeURIComponent(secret)];
    const outputs: string[] = [];

    // A rejected login: the error path, recorded in the ledger as the files' last error.
    const wrongGateway = await startGateway({ port: 0, username: 'lab', password: 'something-else' });
    try {
      const rejected = spawnAgent([watched, '--host', wrongGateway.url, '--username', 'lab', '--password', secret, '--state-dir', stateDir, '--verbose', '--no-reduce'], {});
      expect((await rejected.exited).code).to.equal(2);
      outputs.push(rejected.output().stdout, rejected.output().stderr);
    } finally {
      await wrongGateway.close();
    }
    // An unreachable gateway with one retry: network errors are logged with the URL.
    const unreachable = spawnAgent(
      [watched, '--host', 'http://127.0.0.1:9', '--username', 'lab', '--state-dir', stateDir, '--verbose', '--no-reduce', '--max-retries', '1', '--log-format', 'json'],
      { HASTE_PASSWORD: secret },
    );
    // Failed files do not end a watching agent; a signal does, and the failures make it exit 1.
    await until(() => jsonEvents(unreachable.output().stdout).filter((event) => event.type === 'failed').length === 2, 'both uploads failed');
    unreachable.child.kill('SIGINT');
    expect((await unreachable.exited).code).to.equal(1);
    outputs.push(unreachable.output().stdout, unreachable.output().stderr);
    // A good run, from a password file, logging every event as JSON.
    await writeFile(join(root, 'password.txt'), `${secret}\n`);
    const good = spawnAgent(
      [watched, '--host', gateway.url, '--username', 'lab', '--password-file', join(root, 'password.txt'), '--state-dir', stateDir, '--verbose', '--log-format', 'json', '--no-reduce'],
      {},
    );
    await until(() => jsonEvents(good.output().stdout).filter((event) => event.type === 'uploaded').length === 2, 'both files were uploaded');
    good.child.kill('SIGINT');
    expect((await good.exited).code).to.equal(0);
    outputs.push(good.output().stdout, good.output().stderr);

    const everything = outputs.join('\n') + (await everythingIn(stateDir));
    expect(everything).to.include('rejected the credentials');
    for (const form of forms) expect(everything, form).to.not.include(form);
  });

  it('should trust a private CA given with --ca, and refuse the gateway without it', async () => {
    const pki = join(root, 'pki');
    await mkdir(pki);
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=haste test CA'], pki);
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1'], pki);
    await writeFile(join(pki, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'san.ext'], pki);

    // TLS in front of the embedded gateway, as a reverse proxy would put it.
    const tls: Server = createHttpsServer({ key: await readFile(join(pki, 'server.key')), cert: await readFile(join(pki, 'server.pem')) }, (req, res) => {
      const upstream = request({ host: '127.0.0.1', port: gateway.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    tls.listen(0, '127.0.0.1');
    await once(tls, 'listening');
    const host = `https://127.0.0.1:${(tls.address() as AddressInfo).port}`;
    try {
      await drop(join(watched, 'a.dat'), 'over tls');
      const untrusting = spawnAgent([watched, '--host', host, '--username', 'lab', '--state-dir', stateDir, '--no-reduce', '--max-retries', '0', '--log-format', 'json'], {
        HASTE_PASSWORD: secret,
      });
      await until(() => jsonEvents(untrusting.output().stdout).some((event) => event.type === 'failed'), 'the upload failed');
      untrusting.child.kill('SIGINT');
      expect((await untrusting.exited).code).to.equal(1);
      expect(untrusting.output().stdout + untrusting.output().stderr).to.match(/certificate/i);
      expect(gateway.received).to.have.length(0);

      const trusting = spawnAgent([watched, '--host', host, '--username', 'lab', '--state-dir', stateDir, '--no-reduce', '--ca', join(pki, 'ca.pem'), '--log-format', 'json'], {
        HASTE_PASSWORD: secret,
      });
      await until(() => gateway.received.length === 1, 'the file arrived over TLS');
      await until(() => jsonEvents(trusting.output().stdout).some((event) => event.type === 'uploaded'), 'the agent saw the 2xx');
      trusting.child.kill('SIGINT');
      expect((await trusting.exited).code, trusting.output().stderr).to.equal(0);
      expect(gateway.received[0]?.originalFilename).to.equal(join(watched, 'a.dat'));
    } finally {
      await new Promise<void>((resolve) => {
        tls.close(() => resolve());
        tls.closeAllConnections();
      });
    }
  });
});
