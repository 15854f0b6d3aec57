import { createHash } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import sharp from 'sharp';
import { runAgent, type RunAgentOptions } from '../../src/agent/runAgent.js';
import type { AgentEvent } from '../../src/observe/AgentEvent.js';

export const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

/** A 96×96 grey PNG with a dark noisy border and a bright noisy disc, which the reducer shrinks. */
export async function reduciblePng(seed: number): Promise<Buffer> {
  const size = 96;
  const pixels = Buffer.alloc(size * size);
  let state = seed * 7919 + 1;
  const random = (): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  for (let y = 0; y < size; y += 1) {
    for (let x = 0; x < size; x += 1) {
      const inside = (x - 48) ** 2 + (y - 48) ** 2 < 30 ** 2;
      pixels[y * size + x] = inside ? 120 + Math.floor(random() * 130) : Math.floor(random() * 25);
    }
  }
  return sharp(pixels, { raw: { width: size, height: size, channels: 1 } }).toColourspace('b-w').png().toBuffer();
}

/** Writes a file the way instruments should: a temporary name, then a rename into place. */
export async function drop(dir: string, name: string, data: Buffer | string): Promise<void> {
  const temporary = join(dir, `${name}.tmp`);
  await writeFile(temporary, data);
  await rename(temporary, join(dir, name));
}

/** Runs the agent until `count` files ended (uploaded, failed or skipped), then stops it. */
export function runUntil(options: RunAgentOptions, count: number): Promise<AgentEvent[]> {
  const stop = new Subject<void>();
  let ended = 0;
  const events: AgentEvent[] = [];
  return new Promise<AgentEvent[]>((resolve, reject) => {
    runAgent({ ...options, stop }).subscribe({
      next: (event) => {
        events.push(event);
        if (event.type === 'uploaded' || event.type === 'failed' || event.type === 'skipped') {
          ended += 1;
          if (ended === count) stop.next();
        }
      },
      error: reject,
      complete: () => resolve(events),
    });
  });
}
