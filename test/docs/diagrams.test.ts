// Every diagram in the JSDoc of src/**/*.ts, and the test that runs it (issue 13). The registry
// below holds each diagram's text as the JSDoc has it; the first test scans src and fails when a
// diagram is added, changed or removed without its entry (and so its test) being updated. The
// other tests run the diagrams in virtual time: each takes its marbles from the registry's copy
// of the lines, so what runs is what a reader sees. Units are imported only through the public
// entry points, so renaming a file inside src breaks nothing here.
import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { map, mergeMap, Observable, type OperatorFunction } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import {
  concatMapEager,
  limitOutstanding,
  createDelivery,
  emptyStats,
  estimateBandwidth,
  GatewayError,
  ledgerEvents,
  predictGain,
  prioritize,
  reduceLocally,
  reportProgress,
  rescanDirectory,
  retryUploads,
  routeDecisions,
  summarizeSkipped,
  trackStats,
  createUploader,
  type AgentEvent,
  type AgentStats,
  type FileItem,
  type GatewayResponse,
  type Ledger,
  type LedgerHealth,
  type Reduction,
  type ScheduleDecision,
  type ScheduleEvent,
  type ScheduleOutcome,
  type UploadJob,
  type UploadResult,
} from '../../src/index.js';
import { replayDataset } from '../../src/bench/index.js';
import { fileItem, reduceEnd, reduceStart, reduction, uploadEnd, uploaded, uploadStart } from '../../src/testing/index.js';
import { collectDiagrams, extractDiagrams, type JsDocDiagram } from './jsdocDiagrams.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** How a diagram is asserted. */
type Assertion =
  /** By a `describe(unit)` in this file. */
  | { readonly here: true }
  /** By a marble test elsewhere, which names the marbles it runs. */
  | { readonly by: string; readonly title: string; readonly marbles: readonly string[] }
  /** Not at all, and why (not about an Observable, or not runnable in virtual time). */
  | { readonly notAsserted: string };

interface Entry {
  /** The name the JSDoc documents; the file is informative only (files are being renamed). */
  readonly unit: string;
  readonly file: string;
  /** The diagram as the JSDoc has it. */
  readonly lines: readonly string[];
  readonly assertion: Assertion;
}

const here = { here: true } as const;

const registry: readonly Entry[] = [
  {
    unit: 'createDelivery',
    file: 'src/agent/createDelivery.ts',
    lines: [
      'files:    -a--a--b--      (a found twice: by the watcher and by a walk)',
      'admit:    -a-----b--      numbered 0, 1; recorded as seen before they go on',
      'events$:  -s-----s--      s seen',
    ],
    assertion: here,
  },
  {
    unit: 'ledgerEvents',
    file: 'src/agent/ledgerEvents.ts',
    lines: [
      'health:  o--d----d--------o---   o ok, d a failed write (retried)',
      'events:  ---D----D--------R---   D ledger-degraded, R ledger-recovered',
    ],
    assertion: here,
  },
  {
    unit: 'runAgent',
    file: 'src/agent/runAgent.ts',
    lines: [
      'folder:   -a--b-----c------  (stop)--',
      'events:   -s--s-r-u-s-U-U-...---U|     s seen, r reduce, u upload-start, U uploaded',
    ],
    assertion: {
      notAsserted:
        'a sketch of a real run ("...", "(stop)"): runAgent watches a real folder and starts with a Promise (spool, ledger), so it cannot run in virtual time',
    },
  },
  {
    unit: 'replayDataset',
    file: 'src/bench/replayDataset.ts',
    lines: ['rateHz 10 (a file every 100 ms), each placed at once', 'emits:   a 99ms b 99ms (c|)'],
    assertion: here,
  },
  {
    unit: 'renderStatusBlock',
    file: 'src/observe/renderStatusBlock.ts',
    lines: [
      'uplink 2.0 MB/s  backlog 1.5 MiB  ETA 1m05s',
      'files  12 seen  1 reducing  2 uploading  5 pending  6 uploaded  1 failed',
      'bytes  12.0 MiB seen  5.0 MiB sent  2.0 MiB saved (3 reduced)',
      'errors 3  retries 2',
      'last error  /data/a.png: HTTP 503',
    ],
    assertion: { notAsserted: 'terminal output, not an Observable (test/observe/renderStatusBlock.test.ts covers the text)' },
  },
  {
    unit: 'summarizeSkipped',
    file: 'src/observe/summarizeSkipped.ts',
    lines: [
      'source:  -a-s-s-b---------s-|      intervalMs = 6 frames; s: skipped, one reason',
      'result:  -a-----b-S---------(s|)   S: { files: 2 }; the lone s is passed on as it is',
    ],
    assertion: here,
  },
  {
    unit: 'reportProgress',
    file: 'src/observe/reportProgress.ts',
    lines: [
      'stats:   a-bc--------d-|      intervalMs = 4 frames',
      'result:  a-bc--------d-|      (unchanged)',
      "drawn:   a---c-------d-|      b is skipped; c is drawn when a's interval ends",
    ],
    assertion: here,
  },
  {
    unit: 'trackStats',
    file: 'src/observe/trackStats.ts',
    lines: [
      'events: --s--r--R--u-----U--|      s=seen r=reduce-start R=reduced u=upload-start U=uploaded',
      'stats:  --a--b--c--d-----e--|      e.filesUploaded === 1, e.backlogBytes === 0',
    ],
    assertion: here,
  },
  {
    unit: 'createGainModel',
    file: 'src/operators/createGainModel.ts',
    lines: [
      'score',
      '  |      o',
      '  |----o   \\        o-------   (constant beyond the last known point)',
      '  |          \\    /',
      '  |            o',
      '  +--------------------------- index',
    ],
    assertion: { notAsserted: 'a plot of scores over the arrival index, not an Observable' },
  },
  {
    unit: 'estimateBandwidth',
    file: 'src/operators/estimateBandwidth.ts',
    lines: [
      'events:             -U-U----D---U-D-----D-|   U upload-start, D upload-end (a result)',
      "estimateBandwidth() --------x-----y-----z-|   bytes/s over each upload's share of the link",
      '',
      'results:            --------a-----b-----c-|   bare UploadResults, starts unknown',
      'estimateBandwidth() --------x-----y-----z-|   bytes/s from the window anchored at a finish',
    ],
    assertion: here,
  },
  {
    unit: 'predictGain',
    file: 'src/operators/predictGain.ts',
    lines: [
      'reductions:    --a-------b----|   a of file 0 (score 100), b of file 10 (score 300)',
      'predictGain(): --x-------y----|   y.estimate(2) is 200, the mean of the known scores',
    ],
    assertion: here,
  },
  {
    unit: 'prioritize',
    file: 'src/operators/prioritize.ts',
    lines: [
      'fifo, 1 core, 1 upload slot',
      'files:     ab|',
      "outcomes:  --e----D-----W     e reduce-end a, D upload-end b, W upload-end a'",
      'decisions: sU-----V-----|     s reduce-start a, U upload-start b (the core is busy),',
      "                              V upload-start a' (a's reduced copy)",
    ],
    assertion: here,
  },
  {
    unit: 'reduceLocally',
    file: 'src/operators/reduceLocally.ts',
    lines: ['source:  -a---b---c---|', 'reduce:    a: --A|  b: --B|  c: --C|', 'result:  ---A---B---C-|'],
    assertion: here,
  },
  {
    unit: 'retryUploads',
    file: 'src/operators/retryUploads.ts',
    assertion: here,
    lines: [
      'random() 0.5, baseMs 500: the wait is round(0.5 * 500) = 250 ms',
      'attempt 1:  --e|           e = GatewayError 503',
      'attempt 2:  --a|           a = UploadResult 200, subscribed after the wait, at 252 ms',
      'result:     254ms a|       only the final outcome',
    ],
  },
  {
    unit: 'concatMapEager',
    file: 'src/operators/concatMapEager.ts',
    lines: [
      'source:   -a-b-c-|',
      "a:         ----x|          each value's inner, subscribed when the value comes",
      "b:           -y|           (y is held until a's inner completes)",
      'c:             --z|',
      'output:   -----xyz|',
    ],
    assertion: here,
  },
  {
    unit: 'routeDecisions',
    file: 'src/operators/routeDecisions.ts',
    lines: [
      'decisions: -R----U----|      R reduce-start a, U upload-start b',
      "reduce:     --r|              (a's reduction)",
      "upload:          ---u|        (b's result)",
      'outcomes:  ---E-----D-|      E reduce-end a, D upload-end b',
    ],
    assertion: here,
  },
  {
    unit: 'scheduleFiles',
    file: 'src/operators/scheduleFiles.ts',
    lines: [
      'fifo, 1 core, 1 upload slot; reduce takes 2 frames, each upload 5',
      'files:   ab|',
      'core:    [a]                a reduced',
      "uplink:   [b---][a'--]      b raw (the core is busy), then a's reduced copy",
      'events:  sUe---(DV)-(W|)    s reduce-start a, U upload-start b, e reduce-end a,',
      '                            D upload-end b, V upload-start a, W upload-end a',
    ],
    assertion: {
      by: 'test/operators/scheduleFiles.test.ts',
      title: 'should upload a file raw while the only core is busy, then the reduced one',
      marbles: ["cold('ab|'", "cold('--r|'", "cold('-----u|'", "toBe('sUe---(DV)-(W|)'", "strategy: 'fifo'"],
    },
  },
  {
    unit: 'limitOutstanding',
    file: 'src/operators/limitOutstanding.ts',
    lines: [
      'source:   -a-b-c-d---|      limit 2: c and d wait for a settlement each',
      'settled:  -------x---x-x',
      'output:   -a-b---c---(d|)',
    ],
    assertion: here,
  },
  {
    unit: 'takeUntilIdle',
    file: 'src/operators/takeUntilIdle.ts',
    lines: [
      'source:                  -a--b--------c--',
      'ready:                   ---r------------',
      'takeUntilIdle(idle = 4): -a--b---|           b restarts the clock: quiet from 4 to 8',
    ],
    assertion: {
      by: 'test/operators/takeUntilIdle.test.ts',
      title: 'should complete once the source was quiet for idleMs after ready',
      marbles: ["cold(' -a--b--------c--')", "hot('  ---r------------')", "'   -a--b---|'", 'idleMs: 4'],
    },
  },
  {
    unit: 'createWorkerPool',
    file: 'src/reducers/createWorkerPool.ts',
    lines: ['reduce(a), reduce(b), reduce(c) with size 2:', 'worker 1: [---a---][--c--]', 'worker 2: [----b----]'],
    assertion: { notAsserted: 'which worker thread runs which file, not an Observable (real threads; test/reducers/createWorkerPool.test.ts covers the queue)' },
  },
  {
    unit: 'createUploader',
    file: 'src/sinks/createUploader.ts',
    lines: ['job:      a|', 'post:     --r|            (r = 200)', 'result:   --(u|)         (u = UploadResult; it completes with its one value)'],
    assertion: here,
  },
  {
    unit: 'postToGateway',
    file: 'src/sinks/postToGateway.ts',
    lines: ['source:  a-b-c|', 'post:    --r|        (each, concurrency 1)', 'result:  --A-B-(C|)   (the last upload ends after the source)'],
    assertion: {
      by: 'test/docs/postToGatewayDiagram.test.ts',
      title: 'should emit each result as its upload answers, with concurrency 1',
      marbles: ["source: 'a-b-c|'", "post: '--r|'", "result: '--A-B-(C|)'", 'concurrency: 1'],
    },
  },
  {
    unit: 'rescanDirectory',
    file: 'src/sources/rescanDirectory.ts',
    assertion: here,
    lines: [
      'intervalMs 4, minAgeMs 0; each walk lists what the folder holds then',
      'folder:  a----b---c------   a, b, c appear',
      'result:  ----a---(ab)(abc)  a walk at 4, 8, 12 (and on, every 4)',
    ],
  },
  {
    unit: 'watchDirectory',
    file: 'src/sources/watchDirectory.ts',
    lines: [
      'disk:    --a.png--a.png(appended)--.tmp--b.tif--a.png(rewritten)--',
      "result:  -----------------a-------------------b-----------a'------   indexes 0, 1, 2",
      '                (after awaitWriteFinish settles)',
    ],
    assertion: {
      notAsserted: "a sketch of the operating system's events in real time; test/sources/watchDirectory.test.ts covers it on a real folder",
    },
  },
  {
    unit: 'toFileItems',
    file: 'src/sources/watchDirectoryInternals.ts',
    lines: ['source: --a--a--b--A--|     (A = a with a new size or mtime)', 'result: --a-----b--A--|     indexes 0, 1, 2'],
    assertion: {
      notAsserted:
        'an internal unit, not exported from a public entry point; test/sources/watchDirectoryInternals.test.ts covers it ("should emit a path again only when its size or mtime changed")',
    },
  },
  {
    unit: 'virtualReducer',
    file: 'src/testing/virtualReducer.ts',
    lines: [
      'table:   [{ ms: 2, bytesOut: 40 }, { ms: 3 }]',
      'f0:      --(r|)      r = reduction(f0, { bytesOut: 40, cpuMs: 2 })',
      'f1:      ---(r|)     r = reduction(f1, { cpuMs: 3 }), not reduced',
    ],
    assertion: {
      by: 'test/testing/virtualReducer.test.ts',
      title: 'should answer each file with its reduction after its ms, as its diagram shows',
      marbles: ['[{ ms: 2, bytesOut: 40 }, { ms: 3 }]', "toBe('--(r|)', { r: reduction(a, { bytesOut: 40, cpuMs: 2 }) })", "toBe('---(r|)', { r: reduction(b, { cpuMs: 3 }) })"],
    },
  },
  {
    unit: 'virtualUploader',
    file: 'src/testing/virtualUploader.ts',
    lines: [
      'bytesPerMs: 20',
      'job of 100 B:  -----(u|)    u = uploaded(item, { bytes: 100, startedAt: 0, finishedAt: 5 })',
      'job of 40 B:   --(u|)       u = uploaded(item, { bytes: 40, startedAt: 0, finishedAt: 2 })',
    ],
    assertion: {
      by: 'test/testing/virtualUploader.test.ts',
      title: 'should acknowledge a job once its bytes have gone up, body size first, as its diagram shows',
      marbles: ['{ bytesPerMs: 20 }', "toBe('-----(u|)', { u: uploaded(a, { startedAt: 0, finishedAt: 5 }) })", "toBe('--(u|)'", 'bytes: 40, startedAt: 0, finishedAt: 2'],
    },
  },
];

const entry = (unit: string): Entry => {
  const found = registry.find((e) => e.unit === unit);
  if (found === undefined) throw new Error(`No diagram registered for ${unit}`);
  return found;
};

/** The lines a test runs: the diagram as the JSDoc has it. */
const diagramOf = (unit: string): readonly string[] => entry(unit).lines;

/** Where a lane's marbles start: the column after `label:` and its blanks. */
function laneAt(lines: readonly string[], label: string): { line: string; column: number } {
  const line = lines.find((l) => l.startsWith(`${label}:`) || l.startsWith(`${label} `));
  if (line === undefined) throw new Error(`No lane ${label} in ${JSON.stringify(lines)}`);
  const column = line.slice(label.length + 1).search(/\S/) + label.length + 1;
  return { line, column };
}

/** A lane's marbles: from its first column up to the notes (two blanks or more). */
function lane(lines: readonly string[], label: string): string {
  const { line, column } = laneAt(lines, label);
  return line.slice(column).split(/\s{2,}/)[0]!;
}

/** How many frames a lane starts after the diagram's first lane (its marbles are aligned in columns). */
function laneOffset(lines: readonly string[], label: string, first: string): number {
  return laneAt(lines, label).column - laneAt(lines, first).column;
}

const key = (d: { unit: string; lines: readonly string[] }): string => `${d.unit}\n${d.lines.join('\n')}`;

describe('JSDoc diagrams', () => {
  let found: JsDocDiagram[];

  before(async () => {
    found = await collectDiagrams(root);
  });

  it('should have a registry entry, with the same text, for every diagram in src (update the entry and its test with the diagram)', () => {
    const registered = new Set(registry.map(key));
    const unregistered = found
      .filter((d) => !registered.has(key(d)))
      .map((d) => `${d.file}:${d.line} (${d.unit}):\n${d.lines.map((l) => `  ${l}`).join('\n')}`);
    expect(unregistered, 'diagrams with no entry, or whose text changed').to.deep.equal([]);
    const present = new Set(found.map(key));
    const gone = registry.filter((e) => !present.has(key(e))).map((e) => `${e.unit} (${e.file}): ${e.lines[0]}`);
    expect(gone, 'entries whose diagram is gone or changed').to.deep.equal([]);
  });

  it('should find the diagrams the registry was written from, fenced or bare, and none in code', () => {
    const text = [
      "const glob = '/** src/**/*.ts';",
      'const t = `${glob}`;',
      '/**',
      ' * Does f.',
      ' *',
      ' * ```text',
      ' * source: a-b|',
      ' * ```',
      ' *',
      ' * ```ts',
      ' * f(1);',
      ' * ```',
      ' *',
      ' * result: --a--|',
      ' */',
      'export function f(n: number): void {}',
    ].join('\n');
    expect(extractDiagrams(text, 'src/f.ts')).to.deep.equal([
      { file: 'src/f.ts', unit: 'f', line: 7, lines: ['source: a-b|'] },
      { file: 'src/f.ts', unit: 'f', line: 14, lines: ['result: --a--|'] },
    ]);
  });

  it('should run every diagram registered as asserted here, in a describe of its own', async () => {
    const self = await readFile(fileURLToPath(import.meta.url), 'utf8');
    const missing = registry.filter((e) => 'here' in e.assertion && !self.includes(`describe('${e.unit}', () => {`)).map((e) => e.unit);
    expect(missing).to.deep.equal([]);
  });

  for (const e of registry) {
    const { assertion } = e;
    if (!('by' in assertion)) continue;
    it(`should find the test that runs ${e.unit}'s diagram in ${assertion.by}`, async () => {
      const test = await readFile(new URL(`../../${assertion.by}`, import.meta.url), 'utf8');
      expect(test).to.include(`it('${assertion.title}'`);
      for (const marbles of assertion.marbles) expect(test, `${assertion.by} runs ${marbles}`).to.include(marbles);
    });
  }
});

const VALUE_KEYS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * A lane whose letters name a kind of value (two `s` are two different `seen` events), with its
 * values in order: each letter gets a key of its own.
 */
function inOrder(marbles: string, values: readonly unknown[]): [string, Record<string, unknown>] {
  const keyed: Record<string, unknown> = {};
  let next = 0;
  const renamed = marbles.replace(/[^-\s()|#^!]/g, () => {
    const k = VALUE_KEYS[next]!;
    keyed[k] = values[next++];
    return k;
  });
  expect(next, `one value per letter of ${marbles}`).to.equal(values.length);
  return [renamed, keyed];
}

describe('JSDoc diagrams, run', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  describe('createDelivery', () => {
    const d = diagramOf('createDelivery');
    const a = fileItem(7, 100, { path: '/in/a' });
    const b = fileItem(9, 50, { path: '/in/b' });

    it('should admit each version once, numbered from 0, and report it seen', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const delivery = createDelivery({ scheduler: testScheduler });
        const files = cold(lane(d, 'files'), { a, b });
        expectObservable(files.pipe(delivery.admit)).toBe(lane(d, 'admit'), { a: { ...a, index: 0 }, b: { ...b, index: 1 } });
        expectObservable(delivery.events$).toBe(
          ...inOrder(lane(d, 'events$'), [
            { type: 'seen', at: 1, path: '/in/a', bytes: 100 },
            { type: 'seen', at: 7, path: '/in/b', bytes: 50 },
          ]),
        );
      });
    });
  });

  describe('ledgerEvents', () => {
    const d = diagramOf('ledgerEvents');
    const dir = '/var/lib/haste-agent';
    const degraded = (attempt: number): LedgerHealth => ({
      state: 'degraded',
      code: 'ENOSPC',
      error: 'no space',
      since: 3,
      attempt,
      retryInMs: 1000 * attempt,
      failedWrites: attempt,
    });
    const degradedEvent = (at: number, attempt: number): AgentEvent => ({
      type: 'ledger-degraded',
      at,
      path: dir,
      code: 'ENOSPC',
      error: 'no space',
      attempt,
      retryInMs: 1000 * attempt,
      failedWrites: attempt,
    });

    it('should report each failed write and the recovery, and nothing for the health it starts with', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const health = cold<LedgerHealth>(
          ...(inOrder(lane(d, 'health'), [{ state: 'ok', failedWrites: 0 }, degraded(1), degraded(2), { state: 'ok', failedWrites: 2 }]) as [
            string,
            Record<string, LedgerHealth>,
          ]),
        );
        const ledger = { dir, repair: undefined, healthChanges: health } as unknown as Ledger;
        expectObservable(ledgerEvents(ledger, () => testScheduler.now())).toBe(
          ...inOrder(lane(d, 'events'), [
            degradedEvent(3, 1),
            degradedEvent(8, 2),
            { type: 'ledger-recovered', at: 17, path: dir, downMs: 14, failedWrites: 2 },
          ]),
        );
      });
    });
  });

  describe('replayDataset', () => {
    const d = diagramOf('replayDataset');

    it('should place a file every 1/rateHz seconds, the first at once', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const placed = replayDataset({
          files: ['/src/a', '/src/b', '/src/c'],
          into: '/watched',
          rateHz: 10,
          place: () => cold('(x|)'),
          scheduler: testScheduler,
        }).pipe(map((file) => basename(file.path)));
        expectObservable(placed).toBe(lane(d, 'emits'), { a: 'a', b: 'b', c: 'c' });
      });
    });
  });

  describe('reportProgress', () => {
    const d = diagramOf('reportProgress');
    const stat = (filesSeen: number): AgentStats => ({ ...emptyStats(), filesSeen });
    const values = { a: stat(1), b: stat(2), c: stat(3), d: stat(4) };

    it('should pass the stats through and draw the first at once, then the latest at the end of each interval', () => {
      const drawn: [number, number][] = [];
      const stream = Object.assign(
        new Writable({
          write(chunk: Buffer, _encoding, callback) {
            drawn.push([testScheduler.now(), Number(/(\d+) seen/.exec(chunk.toString('utf8'))?.[1])]);
            callback();
          },
        }),
        { isTTY: true, columns: 80 },
      );
      let expected: [number, number][] = [];
      testScheduler.run(({ cold, expectObservable }) => {
        const source = cold(lane(d, 'stats'), values);
        expectObservable(source.pipe(reportProgress({ stream, intervalMs: 4, scheduler: testScheduler, color: false }))).toBe(
          lane(d, 'result'),
          values,
        );
        // The drawn lane, as (frame, stats drawn) pairs to compare with the writes.
        expected = TestScheduler.parseMarbles(lane(d, 'drawn'), values, undefined, false, true)
          .filter((m) => m.notification.kind === 'N')
          .map((m): [number, number] => [m.frame, (m.notification as { value: AgentStats }).value.filesSeen]);
      });
      expect(drawn).to.deep.equal(expected);
    });
  });

  describe('summarizeSkipped', () => {
    const d = diagramOf('summarizeSkipped');

    it('should hand on other events at once, sum the skips of an interval, and pass a lone skip on as it is', () => {
      const values = {
        a: { type: 'seen', at: 0, path: '/d/a', bytes: 1 } as AgentEvent,
        b: { type: 'seen', at: 0, path: '/d/b', bytes: 1 } as AgentEvent,
        s: { type: 'skipped', at: 0, path: '/d/s', bytes: 3, reason: 'acknowledged in an earlier run' } as AgentEvent,
      };
      testScheduler.run(({ cold, expectObservable }) => {
        const source = cold(lane(d, 'source'), values);
        expectObservable(source.pipe(summarizeSkipped({ intervalMs: 6, scheduler: testScheduler }))).toBe(lane(d, 'result'), {
          ...values,
          S: { type: 'skipped-summary', at: 9, files: 2, bytes: 6, reason: 'acknowledged in an earlier run' },
        });
      });
    });
  });

  describe('trackStats', () => {
    const d = diagramOf('trackStats');
    const path = '/data/a.png';
    const events: Record<string, AgentEvent> = {
      s: { type: 'seen', at: 2, path, bytes: 4000 },
      r: { type: 'reduce-start', at: 5, path },
      R: { type: 'reduced', at: 8, path, bytesIn: 4000, bytesOut: 1000, cpuMs: 90, reduced: true },
      u: { type: 'upload-start', at: 11, path, bytes: 1000 },
      U: { type: 'uploaded', at: 17, path, bytes: 1000, status: 200, durationMs: 6 },
    };
    const counts = (s: AgentStats) => ({
      filesSeen: s.filesSeen,
      filesReducing: s.filesReducing,
      filesReduced: s.filesReduced,
      filesUploading: s.filesUploading,
      filesUploaded: s.filesUploaded,
      backlogBytes: s.backlogBytes,
    });
    const idle = { filesSeen: 1, filesReducing: 0, filesReduced: 0, filesUploading: 0, filesUploaded: 0 };

    it('should emit a snapshot per event, the last with the file uploaded and nothing left to send', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        expectObservable(cold(lane(d, 'events'), events).pipe(trackStats(), map(counts))).toBe(lane(d, 'stats'), {
          a: { ...idle, backlogBytes: 4000 },
          b: { ...idle, filesReducing: 1, backlogBytes: 4000 },
          c: { ...idle, filesReduced: 1, backlogBytes: 1000 },
          d: { ...idle, filesReduced: 1, filesUploading: 1, backlogBytes: 1000 },
          e: { ...idle, filesReduced: 1, filesUploaded: 1, backlogBytes: 0 },
        });
      });
    });
  });

  describe('estimateBandwidth', () => {
    const d = diagramOf('estimateBandwidth');
    // A link of 10 B per frame (10 000 B/s): a runs 1-8 (sharing 3-8 with b), b 3-14 (with c
    // from 12), c 12-20; each file's size is what its share of the link carried.
    const [a, b, c] = [fileItem(0, 45), fileItem(1, 75), fileItem(2, 70)];
    const resultOf = (item: FileItem, startedAt: number, finishedAt: number): UploadResult => uploaded(item, { startedAt, finishedAt });

    it("should set each upload against its share of the link when it sees the uploads start", () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const events = cold<ScheduleEvent>(
          ...(inOrder(lane(d.slice(0, 2), 'events'), [
            uploadStart(a, 1),
            uploadStart(b, 3),
            uploadEnd(a, 8, resultOf(a, 1, 8)),
            uploadStart(c, 12),
            uploadEnd(b, 14, resultOf(b, 3, 14)),
            uploadEnd(c, 20, resultOf(c, 12, 20)),
          ]) as [string, Record<string, ScheduleEvent>]),
        );
        expectObservable(events.pipe(estimateBandwidth({ scheduler: testScheduler }))).toBe(lane(d.slice(0, 2), 'estimateBandwidth()'), {
          x: 10_000,
          y: 10_000,
          z: 10_000,
        });
      });
    });

    it('should anchor the window at a finish when fed bare results', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const results = cold<UploadResult>(lane(d.slice(3), 'results'), {
          a: resultOf(a, 1, 8),
          b: resultOf(b, 3, 14),
          c: resultOf(c, 12, 20),
        });
        expectObservable(results.pipe(estimateBandwidth({ scheduler: testScheduler }))).toBe(lane(d.slice(3), 'estimateBandwidth()'), {
          // Off the link's 10 000 B/s either way, as the JSDoc warns for bare results.
          x: 45_000 / 7,
          y: 120_000 / 13,
          z: 145_000 / 12,
        });
      });
    });
  });

  describe('predictGain', () => {
    const d = diagramOf('predictGain');

    it('should emit an estimate per reduction, from the mean of the known scores while few are known', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const reductions = cold<Reduction>(lane(d, 'reductions'), {
          a: reduction(fileItem(0, 1000), { bytesOut: 900, cpuMs: 1000 }),
          b: reduction(fileItem(10, 1000), { bytesOut: 700, cpuMs: 1000 }),
        });
        const seen = map((e: { score: number; estimate(i: number): number | undefined }) => ({ score: e.score, at2: e.estimate(2) }));
        expectObservable(reductions.pipe(predictGain(), seen)).toBe(lane(d, 'predictGain()'), {
          x: { score: 100, at2: 100 },
          y: { score: 300, at2: 200 },
        });
      });
    });
  });

  describe('prioritize', () => {
    const d = diagramOf('prioritize');
    const [a, b] = [fileItem(0, 100), fileItem(1, 100)];
    const reducedA = reduction(a, { bytesOut: 40, cpuMs: 2 });

    it('should send b raw while the only core reduces a, then upload the copy of a when the uplink frees', () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const outcomes = hot<ScheduleOutcome>(lane(d, 'outcomes'), {
          e: reduceEnd(a, 2, reducedA),
          D: uploadEnd(b, 7, uploaded(b)),
          W: uploadEnd(a, 13, uploaded(a, { bytes: 40 })),
        });
        const files = cold(lane(d, 'files'), { a, b });
        expectObservable(
          files.pipe(prioritize({ strategy: 'fifo', cores: 1, uploadSlots: 1, outcomes, scheduler: testScheduler })),
        ).toBe(lane(d, 'decisions'), {
          s: reduceStart(a, 0),
          U: uploadStart(b, 1),
          V: uploadStart(a, 7, { item: a, bodyPath: '/spool/f0', bodySize: 40 }),
        });
      });
    });
  });

  describe('reduceLocally', () => {
    const d = diagramOf('reduceLocally');
    const [a, b, c] = [fileItem(0, 100), fileItem(1, 100), fileItem(2, 100)];
    const values = { A: reduction(a, { bytesOut: 40, cpuMs: 2 }), B: reduction(b, { bytesOut: 50, cpuMs: 2 }), C: reduction(c, { cpuMs: 2 }) };

    it('should emit each reduction as its reducer answers', () => {
      // reduce:    a: --A|  b: --B|  c: --C|   each file's reducer, from when it is called
      const perFile = Object.fromEntries([...laneAt(d, 'reduce').line.matchAll(/(\w): (\S+)/g)].map(([, name, marbles]) => [name!, marbles!]));
      testScheduler.run(({ cold, expectObservable }) => {
        const reduce = (item: FileItem) => cold(perFile[['a', 'b', 'c'][item.index]!]!, values);
        expectObservable(cold(lane(d, 'source'), { a, b, c }).pipe(reduceLocally({ reduce }))).toBe(lane(d, 'result'), values);
      });
    });
  });

  describe('retryUploads', () => {
    const d = diagramOf('retryUploads');
    const item = fileItem(0, 100);
    const e503 = new GatewayError('Gateway answered 503', { status: 503, path: item.path, item });
    const ok = uploaded(item);

    it('should retry the 503 after the jittered wait and emit only the acknowledgement', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const attempts = [cold<GatewayError | UploadResult>(lane(d, 'attempt 1'), { e: e503 }), cold<GatewayError | UploadResult>(lane(d, 'attempt 2'), { a: ok })];
        let call = 0;
        const upload = retryUploads({ upload: () => attempts[call++]!, scheduler: testScheduler, random: () => 0.5 });
        expectObservable(upload({ item })).toBe(lane(d, 'result'), { a: ok });
        expectSubscriptions(attempts[1]!.subscriptions).toBe('252ms ^--!');
      });
    });
  });

  describe('concatMapEager', () => {
    const d = diagramOf('concatMapEager');

    it("should subscribe to each value's inner when it comes and emit their values in source order", () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const inners = new Map(['a', 'b', 'c'].map((name) => [name, cold(lane(d, name)).pipe()] as const));
        for (const name of ['a', 'b', 'c']) {
          // Each inner's lane starts in the column of its value on the source lane.
          expect(laneOffset(d, name, 'source')).to.equal(lane(d, 'source').indexOf(name));
        }
        const source = hot(lane(d, 'source'));
        expectObservable(source.pipe(concatMapEager((name) => inners.get(name)!))).toBe(lane(d, 'output'));
      });
    });
  });

  describe('limitOutstanding', () => {
    const d = diagramOf('limitOutstanding');

    it('should hold what is beyond the limit until a settlement lets it through, in arrival order', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot(lane(d, 'source'));
        const settled = hot(lane(d, 'settled'));
        expectObservable(source.pipe(limitOutstanding({ limit: 2, settled }))).toBe(lane(d, 'output'));
      });
    });
  });

  describe('routeDecisions', () => {
    const d = diagramOf('routeDecisions');
    const [a, b] = [fileItem(0, 100), fileItem(1, 100)];
    const reducedA = reduction(a, { bytesOut: 40, cpuMs: 2 });
    const okB = uploaded(b);

    it("should send each decision down its branch, whose answers come out as outcomes", () => {
      // Each branch lane starts in the column of the decision that feeds it.
      expect(laneOffset(d, 'reduce', 'decisions')).to.equal(1);
      expect(laneOffset(d, 'upload', 'decisions')).to.equal(6);
      testScheduler.run(({ cold, expectObservable }) => {
        const decisions = cold<ScheduleDecision>(lane(d, 'decisions'), { R: reduceStart(a, 1), U: uploadStart(b, 6) });
        const reduce: OperatorFunction<FileItem, Reduction> = mergeMap(() => cold(lane(d, 'reduce'), { r: reducedA }));
        const upload: OperatorFunction<UploadJob, UploadResult> = mergeMap(() => cold(lane(d, 'upload'), { u: okB }));
        expectObservable(decisions.pipe(routeDecisions({ reduce, upload, scheduler: testScheduler }))).toBe(lane(d, 'outcomes'), {
          E: reduceEnd(a, 3, reducedA),
          D: uploadEnd(b, 9, okB),
        });
      });
    });
  });

  describe('createUploader', () => {
    const d = diagramOf('createUploader');
    const item = fileItem(0, 100);
    const answer: GatewayResponse = { status: 200, text: '{"result": "OK!"}', bytesSent: 100 };

    it("should emit the upload's result when the post answers, and complete with it", () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const upload = createUploader({
          host: 'localhost:8080',
          username: 'u',
          password: 'p',
          streamId: 'sid',
          scheduler: testScheduler,
          clock: () => 0,
          post: () => cold(lane(d, 'post'), { r: answer }),
        });
        const u: UploadResult = { item, status: 200, bytes: 100, startedAt: 0, finishedAt: 2 };
        expectObservable(cold(lane(d, 'job'), { a: { item } }).pipe(mergeMap(upload))).toBe(lane(d, 'result'), { u });
        expectObservable(upload({ item })).toBe(lane(d, 'result'), { u });
      });
    });
  });

  describe('rescanDirectory', () => {
    const d = diagramOf('rescanDirectory');

    it('should list the whole folder on every walk, one interval apart', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const present: string[] = [];
        cold(lane(d, 'folder')).subscribe((name) => present.push(name));
        const walk = () => new Observable<FileItem>((subscriber) => {
          present.forEach((name, i) => subscriber.next(fileItem(i, 1, { path: `/data/${name}` })));
          subscriber.complete();
        });
        const names = rescanDirectory('/data', { intervalMs: 4, minAgeMs: 0, walk, scheduler: testScheduler }).pipe(map((file) => basename(file.path)));
        // Unsubscribed before the walk at 16, which lists a, b and c again.
        expectObservable(names, '^ 14ms !').toBe(lane(d, 'result'), { a: 'a', b: 'b', c: 'c' });
      });
    });
  });
});
