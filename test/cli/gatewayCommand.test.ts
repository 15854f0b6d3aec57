import { expect } from 'chai';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fakeCli, isolateExitCode, waitFor } from './cliHarness.js';

const password = 'gateway-secret-9';

function post(url: string, body: Buffer, auth: string): Promise<Response> {
  return fetch(`${url}/stream/2026_11_25__03_19_00_vironova`, {
    method: 'POST',
    body,
    headers: {
      Authorization: `Basic ${Buffer.from(auth).toString('base64')}`,
      'X-HASTE-original_filename': '/data/run/a.tif',
      'X-HASTE-tag': 'vironova',
      'X-HASTE-unixtime': '1764040740.5',
    },
  });
}

describe('registerGatewayCommand', () => {
  isolateExitCode();
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'haste-cli-gateway-'));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('should listen, store an upload under its stream id, and stop on a signal', async () => {
    const cli = fakeCli({ env: { HASTE_PASSWORD: password }, cwd: root });
    const running = cli.run('gateway', '--port', '0', '--username', 'lab', '--store', 'received');
    await waitFor(() => /listening on http:\/\/\S+ /.test(cli.stderr.text), 'the listening line');
    const url = /listening on (http:\/\/\S+) /.exec(cli.stderr.text)![1]!;
    expect(cli.stderr.text).to.include(`storing in ${join(root, 'received')}`);

    const body = Buffer.from('not really a tif, but bytes are bytes');
    const refused = await post(url, body, 'lab:wrong');
    expect(refused.status).to.equal(401);
    const accepted = await post(url, body, `lab:${password}`);
    expect(accepted.status).to.equal(200);
    expect(await accepted.text()).to.equal('{"result": "OK!"}');

    cli.signal('SIGTERM');
    await running;
    expect(process.exitCode ?? 0).to.equal(0);
    expect(cli.listeners()).to.equal(0);
    expect(cli.stderr.text).to.match(/HASTE gateway stopped after 1 blobs\n$/);
    expect(cli.stdout.text.trimEnd().split('\n')).to.have.length(1);
    const [folder] = await readdir(join(root, 'received'));
    expect(folder).to.equal('2026_11_25__03_19_00_vironova');
    const [file] = await readdir(join(root, 'received', folder!));
    expect(await readFile(join(root, 'received', folder!, file!))).to.deep.equal(body);
    expect(cli.output()).to.not.include(password);
    const after = await fetch(url).then(
      () => 'answered',
      () => 'refused',
    );
    expect(after).to.equal('refused');
  });

  it('should exit 2 without a password and never start listening', async () => {
    const cli = fakeCli();
    await cli.run('gateway', '--port', '0', '--username', 'lab');
    expect(process.exitCode).to.equal(2);
    expect(cli.stderr.text).to.equal('haste-agent gateway: missing --password (or HASTE_PASSWORD)\n');
    expect(cli.listeners()).to.equal(0);
  });

  it('should exit 2 without a username', async () => {
    const cli = fakeCli({ env: { HASTE_PASSWORD: password } });
    await cli.run('gateway', '--port', '0');
    expect(process.exitCode).to.equal(2);
    expect(cli.stderr.text).to.equal('haste-agent gateway: missing --username (or HASTE_USERNAME)\n');
  });

  it('should exit 2 on a --max-bytes-per-second that is not a positive number', async () => {
    const cli = fakeCli({ env: { HASTE_PASSWORD: password, HASTE_USERNAME: 'lab' } });
    await cli.run('gateway', '--port', '0', '--max-bytes-per-second', '0');
    expect(process.exitCode).to.equal(2);
    expect(cli.stderr.text).to.equal('haste-agent gateway: --max-bytes-per-second must be a number > 0, got "0"\n');
    expect(cli.listeners()).to.equal(0);
  });

  it('should exit 2 on a port that is not one', async () => {
    const cli = fakeCli({ env: { HASTE_PASSWORD: password, HASTE_USERNAME: 'lab' } });
    await cli.run('gateway', '--port', '70000');
    expect(process.exitCode).to.equal(2);
    expect(cli.stderr.text).to.equal('haste-agent gateway: --port must be an integer from 0 to 65535, got "70000"\n');
  });
});
