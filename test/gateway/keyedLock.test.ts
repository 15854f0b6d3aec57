import { expect } from 'chai';
import { createKeyedLock } from '../../src/gateway/keyedLock.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('createKeyedLock', () => {
  it('should let one holder per key in at a time, in the order they asked', async () => {
    const lock = createKeyedLock();
    const order: string[] = [];
    const releaseA = await lock.acquire('k');
    const b = lock.acquire('k').then((release) => {
      order.push('b');
      return release;
    });
    const c = lock.acquire('k').then((release) => {
      order.push('c');
      return release;
    });
    await tick();
    expect(order).to.deep.equal([]);
    releaseA();
    (await b)();
    (await c)();
    expect(order).to.deep.equal(['b', 'c']);
    expect(lock.size).to.equal(0);
  });

  it('should not make different keys wait for each other', async () => {
    const lock = createKeyedLock();
    await lock.acquire('a');
    const releaseB = await lock.acquire('b');
    releaseB();
    expect(lock.size).to.equal(1);
  });

  it('should ignore a second release', async () => {
    const lock = createKeyedLock();
    const releaseA = await lock.acquire('k');
    const b = lock.acquire('k');
    releaseA();
    const releaseB = await b;
    releaseA();
    let cIn = false;
    const c = lock.acquire('k').then((release) => {
      cIn = true;
      return release;
    });
    await tick();
    expect(cIn).to.equal(false);
    releaseB();
    (await c)();
    expect(lock.size).to.equal(0);
  });
});
