import { expect } from 'chai';
import { natsServerBinary, requireNatsServer } from './natsServerKit.js';

describe('requireNatsServer', () => {
  let saved: { server?: string; required?: string };
  beforeEach(() => {
    saved = { server: process.env.NATS_SERVER, required: process.env.HASTE_REQUIRE_NATS };
    process.env.NATS_SERVER = '/nonexistent/nats-server';
  });
  afterEach(() => {
    for (const [key, value] of [['NATS_SERVER', saved.server], ['HASTE_REQUIRE_NATS', saved.required]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it('should fail, saying how to install it, when the server is missing and HASTE_REQUIRE_NATS=1 (as in CI)', () => {
    process.env.HASTE_REQUIRE_NATS = '1';
    expect(natsServerBinary()).to.equal(undefined);
    let skipped = false;
    const context = { skip: () => { skipped = true; } } as unknown as Mocha.Context;
    expect(() => requireNatsServer(context)).to.throw(/apt-get install -y --no-install-recommends nats-server/);
    expect(skipped).to.equal(false);
  });

  it('should skip the suite when the server is missing on a developer machine', () => {
    delete process.env.HASTE_REQUIRE_NATS;
    let skipped = false;
    const context = { skip: () => { skipped = true; } } as unknown as Mocha.Context;
    const log = console.log;
    console.log = () => undefined;
    try {
      requireNatsServer(context);
    } finally {
      console.log = log;
    }
    expect(skipped).to.equal(true);
  });
});
