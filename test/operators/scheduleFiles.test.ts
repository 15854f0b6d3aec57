import { expect } from 'chai';
import { from, NEVER, Observable, of, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { FileItem } from '../../src/model/FileItem.js';
import { GatewayError } from '../../src/model/GatewayError.js';
import type { Reduction } from '../../src/model/Reduction.js';
import type { UploadResult } from '../../src/model/UploadResult.js';
import { scheduleFiles } from '../../src/operators/scheduleFiles.js';
import type { ScheduleEvent } from '../../src/operators/ScheduleEvent.js';
import { fileItem, reduceEnd, reduceStart, reduction, uploadEnd, uploaded, uploadStart } from '../../src/testing/index.js';
import { simulate, type FileSpec } from './scheduleHarness.js';

const a = fileItem(0, 100);
const b = fileItem(1, 100);
const reducedA = reduction(a, { bytesOut: 40, cpuMs: 2 });

/** Sizes, reduction times and outputs whose scores are 1000, 200, 1600, 800, 1800, 100. */
const six: FileSpec[] = [
  [50, 50],
  [50, 90],
  [50, 20],
  [50, 60],
  [50, 10],
  [50, 95],
].map(([reduceMs, outSize]) => ({ at: 0, size: 100, reduceMs: reduceMs!, outSize: outSize! }));
const sixScores = six.map((spec) => ((spec.size - spec.outSize) * 1000) / spec.reduceMs);

describe('scheduleFiles', () => {
  let testScheduler: TestScheduler;
  const noReduce = () => NEVER as Observable<Reduction>;
  const noUpload = () => NEVER as Observable<UploadResult>;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  describe('options', () => {
    it('should throw TypeErrors for invalid options', () => {
      expect(() => scheduleFiles({ upload: noUpload, reduce: noReduce, cores: -1 })).to.throw(
        TypeError,
        'Expected `cores` to be an integer >= 0, got -1',
      );
      expect(() => scheduleFiles({ upload: noUpload, reduce: noReduce, uploadSlots: 0 })).to.throw(
        TypeError,
        'Expected `uploadSlots` to be an integer >= 1, got 0',
      );
      expect(() => scheduleFiles({ upload: noUpload, reduce: noReduce, strategy: 'lifo' as never })).to.throw(
        TypeError,
        'Expected `strategy` to be one of none, fifo, splines, oracle, adaptive, got lifo',
      );
      expect(() => scheduleFiles({ upload: noUpload })).to.throw(TypeError, 'Expected `reduce` to be a function');
      expect(() => scheduleFiles({ upload: noUpload, reduce: noReduce, strategy: 'oracle' })).to.throw(
        TypeError,
        'Expected `oracleScores`',
      );
      expect(() => scheduleFiles({ upload: noUpload, strategy: 'adaptive', reduce: noReduce, initialBandwidth: 0 })).to.throw(
        TypeError,
        'Expected `initialBandwidth` to be a number > 0, got 0',
      );
    });

    it('should not need a reducer for the none strategy or zero cores', () => {
      expect(() => scheduleFiles({ upload: noUpload, strategy: 'none' })).not.to.throw();
      expect(() => scheduleFiles({ upload: noUpload, cores: 0 })).not.to.throw();
    });
  });

  describe('stream contract', () => {
    it('should emit nothing for a never source', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const files = cold<FileItem>('-');
        expectObservable(files.pipe(scheduleFiles({ reduce: noReduce, upload: noUpload, scheduler: testScheduler }))).toBe('-');
        expectSubscriptions(files.subscriptions).toBe('^');
      });
    });

    it('should complete at once for an empty source', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const files = cold<FileItem>('|');
        expectObservable(files.pipe(scheduleFiles({ reduce: noReduce, upload: noUpload, scheduler: testScheduler }))).toBe('|');
      });
    });

    it('should reduce one file, upload the reduced copy and complete', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const reduction = cold('--r|', { r: reducedA });
        const upload = cold('-----u|', { u: uploaded(a, { bytes: 40 }) });
        const files = cold('a|', { a });
        const events = files.pipe(
          scheduleFiles({ strategy: 'fifo', reduce: () => reduction, upload: () => upload, scheduler: testScheduler }),
        );
        expectObservable(events).toBe('s-(eu)-(d|)', {
          s: reduceStart(a, 0),
          e: reduceEnd(a, 2, reducedA),
          u: uploadStart(a, 2, { item: a, bodyPath: '/spool/f0', bodySize: 40 }),
          d: uploadEnd(a, 7, uploaded(a, { bytes: 40 })),
        });
        expectSubscriptions(reduction.subscriptions).toBe('^-!');
        expectSubscriptions(upload.subscriptions).toBe('--^----!');
      });
    });

    it("should pass the copy's media type and reduction settings on to its upload job", () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const settings = { reducer: 'reduceImage', tolerance: 30 };
        const labelled: Reduction = { ...reducedA, mediaType: 'image/png', settings };
        const files = cold('a|', { a });
        const events = files.pipe(
          scheduleFiles({ strategy: 'fifo', reduce: () => cold('--r|', { r: labelled }), upload: () => cold('-----u|', { u: uploaded(a, { bytes: 40 }) }), scheduler: testScheduler }),
        );
        expectObservable(events).toBe('s-(eu)-(d|)', {
          s: reduceStart(a, 0),
          e: reduceEnd(a, 2, labelled),
          u: uploadStart(a, 2, { item: a, bodyPath: '/spool/f0', bodySize: 40, bodyMediaType: 'image/png', bodyReduction: settings }),
          d: uploadEnd(a, 7, uploaded(a, { bytes: 40 })),
        });
      });
    });

    it('should upload a file raw while the only core is busy, then the reduced one', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const reduction = cold('--r|', { r: reducedA });
        const uploads = [cold('-----u|', { u: uploaded(b, { bytes: 100 }) }), cold('-----u|', { u: uploaded(a, { bytes: 40 }) })];
        let call = 0;
        const events = cold('ab|', { a, b }).pipe(
          scheduleFiles({ strategy: 'fifo', reduce: () => reduction, upload: () => uploads[call++]!, scheduler: testScheduler }),
        );
        expectObservable(events).toBe('sUe---(DV)-(W|)', {
          s: reduceStart(a, 0),
          U: uploadStart(b, 1, { item: b }),
          e: reduceEnd(a, 2, reducedA),
          D: uploadEnd(b, 6, uploaded(b, { bytes: 100 })),
          V: uploadStart(a, 6, { item: a, bodyPath: '/spool/f0', bodySize: 40 }),
          W: uploadEnd(a, 11, uploaded(a, { bytes: 40 })),
        });
      });
    });

    it('should error at once on a source error and tear down the reduction in flight', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const reduction = cold('-----r|', { r: reducedA });
        const files = cold('a-#', { a });
        const events = files.pipe(
          scheduleFiles({ strategy: 'fifo', reduce: () => reduction, upload: noUpload, scheduler: testScheduler }),
        );
        expectObservable(events).toBe('s-#', { s: reduceStart(a, 0) });
        expectSubscriptions(reduction.subscriptions).toBe('^-!');
        expectSubscriptions(files.subscriptions).toBe('^-!');
      });
    });

    it('should keep running without completing on a never-ending source', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const reduction = cold('--r|', { r: reducedA });
        const upload = cold('-----u|', { u: uploaded(a, { bytes: 40 }) });
        const events = cold('a-', { a }).pipe(
          scheduleFiles({ strategy: 'fifo', reduce: () => reduction, upload: () => upload, scheduler: testScheduler }),
        );
        expectObservable(events).toBe('s-(eu)-d', {
          s: reduceStart(a, 0),
          e: reduceEnd(a, 2, reducedA),
          u: uploadStart(a, 2, { item: a, bodyPath: '/spool/f0', bodySize: 40 }),
          d: uploadEnd(a, 7, uploaded(a, { bytes: 40 })),
        });
      });
    });

    it('should tear down the reductions and uploads in flight on early unsubscribe', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const reduction = cold('-----r|', { r: reducedA });
        const upload = cold('-----u|', { u: uploaded(b, { bytes: 100 }) });
        const files = cold('ab', { a, b });
        const events = files.pipe(
          scheduleFiles({ strategy: 'fifo', reduce: () => reduction, upload: () => upload, scheduler: testScheduler }),
        );
        expectObservable(events, '^--!').toBe('sU', { s: reduceStart(a, 0), U: uploadStart(b, 1, { item: b }) });
        expectSubscriptions(reduction.subscriptions).toBe('^--!');
        expectSubscriptions(upload.subscriptions).toBe('-^-!');
        expectSubscriptions(files.subscriptions).toBe('^--!');
      });
    });

    it('should finish what is in flight and start nothing new once halted', () => {
      testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const reduction = cold('-----r|', { r: reducedA });
        const upload = cold('-----u|', { u: uploaded(b, { bytes: 100 }) });
        const c = fileItem(2, 100);
        const files = cold('abc', { a, b, c });
        const halt = hot('--h', { h: true });
        const events = files.pipe(
          scheduleFiles({ strategy: 'fifo', reduce: () => reduction, upload: () => upload, scheduler: testScheduler, halt }),
        );
        // a is reducing and b uploading when the halt comes; c is never started, nor is a's upload.
        expectObservable(events).toBe('sU---e(D|)', {
          s: reduceStart(a, 0),
          U: uploadStart(b, 1, { item: b }),
          e: reduceEnd(a, 5, reducedA),
          D: uploadEnd(b, 6, uploaded(b, { bytes: 100 })),
        });
        expectSubscriptions(files.subscriptions).toBe('^-!');
        expectSubscriptions(upload.subscriptions).toBe('-^----!');
      });
    });

    it('should complete at once when halted with nothing in flight', () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const files = cold<FileItem>('-');
        const halt = hot('---h', { h: true });
        expectObservable(files.pipe(scheduleFiles({ strategy: 'none', upload: noUpload, scheduler: testScheduler, halt }))).toBe('---|');
      });
    });

    it('should upload a file raw, reporting it unreduced with the reason, when the reducer throws', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const boom = new Error('cannot decode');
        const upload = cold('-----u|', { u: uploaded(a, { bytes: 100 }) });
        const events = cold('a|', { a }).pipe(
          scheduleFiles({
            strategy: 'fifo',
            reduce: () => {
              throw boom;
            },
            upload: () => upload,
            scheduler: testScheduler,
          }),
        );
        expectObservable(events).toBe('(sxu)(d|)', {
          s: reduceStart(a, 0),
          x: reduceEnd(a, 0, reduction(a, { reason: 'cannot decode' })),
          u: uploadStart(a, 0, { item: a }),
          d: uploadEnd(a, 5, uploaded(a, { bytes: 100 })),
        });
      });
    });

    it('should upload a file raw when the reduction errors or completes empty', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const boom = new Error('worker died');
        const upload = cold('-----u|', { u: uploaded(a, { bytes: 100 }) });
        const events = cold('a|', { a }).pipe(
          scheduleFiles({ strategy: 'fifo', reduce: () => cold('-#', undefined, boom), upload: () => upload, scheduler: testScheduler }),
        );
        expectObservable(events).toBe('s(xu)-(d|)', {
          s: reduceStart(a, 0),
          x: reduceEnd(a, 1, reduction(a, { reason: 'worker died' })),
          u: uploadStart(a, 1, { item: a }),
          d: uploadEnd(a, 6, uploaded(a, { bytes: 100 })),
        });
      });
      const seen: ScheduleEvent[] = [];
      testScheduler.run(({ cold }) => {
        cold('a|', { a })
          .pipe(scheduleFiles({ strategy: 'fifo', reduce: () => cold<Reduction>('-|'), upload: () => cold('-u|', { u: uploaded(a, { bytes: 100 }) }) }))
          .subscribe((event) => seen.push(event));
      });
      expect(seen.map((e) => e.type)).to.deep.equal(['reduce-start', 'reduce-end', 'upload-start', 'upload-end']);
      expect(seen[1]).to.deep.include({ reduction: reduction(a, { reason: 'Reducer completed without a result' }) });
    });

    it('should upload the original when the reduction comes back reduced: false', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const notReduced = reduction(a, { cpuMs: 3, reason: 'would grow' });
        const upload = cold('-----u|', { u: uploaded(a, { bytes: 100 }) });
        const events = cold('a|', { a }).pipe(
          scheduleFiles({ strategy: 'fifo', reduce: () => cold('--r|', { r: notReduced }), upload: () => upload, scheduler: testScheduler }),
        );
        expectObservable(events).toBe('s-(eu)-(d|)', {
          s: reduceStart(a, 0),
          e: reduceEnd(a, 2, notReduced),
          u: uploadStart(a, 2, { item: a }),
          d: uploadEnd(a, 7, uploaded(a, { bytes: 100 })),
        });
      });
    });

    it('should carry on after an upload answers with a GatewayError', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const refused = new GatewayError('503 from gateway', { status: 503, path: a.path, item: a });
        const uploads = [cold('-----g|', { g: refused }), cold('-----u|', { u: uploaded(b, { bytes: 100 }) })];
        let call = 0;
        const events = cold('ab|', { a, b }).pipe(
          scheduleFiles({ strategy: 'none', upload: () => uploads[call++]!, scheduler: testScheduler }),
        );
        expectObservable(events).toBe('S----(GT)-(D|)', {
          S: uploadStart(a, 0, { item: a }),
          G: uploadEnd(a, 5, refused),
          T: uploadStart(b, 5, { item: b }),
          D: uploadEnd(b, 10, uploaded(b, { bytes: 100 })),
        });
      });
    });

    it('should turn an upload that errors or throws into a GatewayError with status 0', () => {
      const seen: ScheduleEvent[] = [];
      testScheduler.run(({ cold }) => {
        let call = 0;
        cold('ab|', { a, b })
          .pipe(
            scheduleFiles({
              strategy: 'none',
              upload: () => {
                call += 1;
                if (call === 1) return throwError(() => new Error('ECONNRESET'));
                throw new Error('bad job');
              },
              scheduler: testScheduler,
            }),
          )
          .subscribe({ next: (event) => seen.push(event), complete: () => seen.push({ type: 'done' } as never) });
      });
      const ends = seen.filter((e): e is Extract<ScheduleEvent, { type: 'upload-end' }> => e.type === 'upload-end');
      expect(ends.map((e) => e.item.index)).to.deep.equal([0, 1]);
      for (const end of ends) {
        expect(end.result).to.be.instanceOf(GatewayError);
        expect((end.result as GatewayError).status).to.equal(0);
        expect((end.result as GatewayError).item).to.equal(end.item);
      }
      expect((ends[0]!.result as GatewayError).message).to.contain('ECONNRESET');
      expect(seen.at(-1)).to.deep.equal({ type: 'done' });
    });
  });

  describe('synchronous stand-ins', () => {
    it('should schedule every file once when reduce and upload answer synchronously', () => {
      const items = Array.from({ length: 500 }, (_, i) => fileItem(i, 100 + (i % 7)));
      for (const strategy of ['none', 'fifo', 'splines', 'oracle', 'adaptive'] as const) {
        const ended: number[] = [];
        let completed = false;
        from(items)
          .pipe(
            scheduleFiles({
              strategy,
              cores: 2,
              uploadSlots: 2,
              oracleScores: (item) => item.index % 11,
              reduce: (item) =>
                of<Reduction>({
                  item,
                  reduced: item.index % 3 !== 0,
                  outputPath: `/spool/${item.index}`,
                  bytesIn: item.size,
                  bytesOut: item.index % 3 !== 0 ? 10 : item.size,
                  cpuMs: 5,
                }),
              upload: (job) => of(uploaded(job.item, { bytes: job.bodySize ?? job.item.size })),
            }),
          )
          .subscribe({
            next: (event) => {
              if (event.type === 'upload-end') ended.push(event.item.index);
            },
            complete: () => {
              completed = true;
            },
          });
        expect(completed, strategy).to.equal(true);
        expect([...ended].sort((x, y) => x - y), strategy).to.deep.equal(items.map((item) => item.index));
      }
    });
  });

  describe('oracle scores', () => {
    it('should error the stream when the oracle function throws', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const files = cold('a', { a });
        const broken = new Error('no score for f0');
        const events = files.pipe(
          scheduleFiles({
            strategy: 'oracle',
            reduce: noReduce,
            upload: noUpload,
            oracleScores: () => {
              throw broken;
            },
            scheduler: testScheduler,
          }),
        );
        expectObservable(events).toBe('#', undefined, broken);
        expectSubscriptions(files.subscriptions).toBe('(^!)');
      });
    });
  });

  describe('concurrency', () => {
    for (const cores of [1, 2]) {
      for (const uploadSlots of [1, 2]) {
        it(`should keep at most ${cores} reductions and ${uploadSlots} uploads in flight, each file uploaded once`, () => {
          const specs: FileSpec[] = Array.from({ length: 12 }, (_, i) => ({
            at: (i % 4) * 30,
            size: 100 + 10 * i,
            reduceMs: 40 + ((i * 37) % 50),
            outSize: 20 + ((i * 53) % 70),
          }));
          for (const strategy of ['fifo', 'splines', 'adaptive'] as const) {
            const lines = simulate(testScheduler, specs, 1, { strategy, cores, uploadSlots });
            let reducing = 0;
            let uploading = 0;
            let maxReducing = 0;
            let maxUploading = 0;
            const inReduction = new Set<string>();
            const uploadedFiles: string[] = [];
            for (const line of lines.slice(0, -1)) {
              const [, type, index] = line.split(' ');
              if (type === 'reduce-start') {
                reducing += 1;
                inReduction.add(index!);
              } else if (type === 'reduce-end') {
                reducing -= 1;
                inReduction.delete(index!);
              } else if (type === 'upload-start') {
                expect(inReduction.has(index!), `file ${index} uploaded while reducing`).to.equal(false);
                uploading += 1;
                uploadedFiles.push(index!);
              } else if (type === 'upload-end') uploading -= 1;
              maxReducing = Math.max(maxReducing, reducing);
              maxUploading = Math.max(maxUploading, uploading);
            }
            expect(lines.at(-1)).to.equal('complete');
            expect(maxUploading, strategy).to.equal(uploadSlots);
            expect(maxReducing, strategy).to.equal(cores);
            expect([...uploadedFiles].sort()).to.deep.equal(specs.map((_, i) => String(i)).sort());
          }
        });
      }
    }
  });

  describe('strategies', () => {
    // Six files at t=0, 100 B each, 50 ms reductions, 2 cores, 1 upload slot at 1 ms/B.
    it('should upload everything raw, oldest first, with none', () => {
      expect(simulate(testScheduler, six, 1, { strategy: 'none', cores: 2 })).to.deep.equal([
        '0 upload-start 0',
        '100 upload-end 0',
        '100 upload-start 1',
        '200 upload-end 1',
        '200 upload-start 2',
        '300 upload-end 2',
        '300 upload-start 3',
        '400 upload-end 3',
        '400 upload-start 4',
        '500 upload-end 4',
        '500 upload-start 5',
        '600 upload-end 5',
        'complete',
      ]);
    });

    const fifoSchedule = [
      '0 reduce-start 0',
      '0 reduce-start 1',
      '0 upload-start 2', // both cores busy: the uplink takes the next file raw
      '50 reduce-end 0',
      '50 reduce-start 3',
      '50 reduce-end 1',
      '50 reduce-start 4',
      '100 upload-end 2',
      '100 upload-start 0', // reduced files first, oldest first
      '100 reduce-end 3',
      '100 reduce-start 5',
      '100 reduce-end 4',
      '150 upload-end 0',
      '150 upload-start 1',
      '150 reduce-end 5',
      '240 upload-end 1',
      '240 upload-start 3',
      '300 upload-end 3',
      '300 upload-start 4',
      '310 upload-end 4',
      '310 upload-start 5',
      '405 upload-end 5',
      'complete',
    ];

    it('should reduce oldest first and upload reduced files first with fifo', () => {
      expect(simulate(testScheduler, six, 1, { strategy: 'fifo', cores: 2 })).to.deep.equal(fifoSchedule);
    });

    it('should match fifo with splines inside one search block of six files', () => {
      // One block: the search takes file 0, the climb over a flat (mean) estimate takes the oldest.
      expect(simulate(testScheduler, six, 1, { strategy: 'splines', cores: 2 })).to.deep.equal(fifoSchedule);
    });

    it('should reduce the best true scores first with oracle', () => {
      const lines = simulate(testScheduler, six, 1, { strategy: 'oracle', cores: 2, oracleScores: (item) => sixScores[item.index]! });
      expect(lines.filter((l) => l.includes('reduce-start'))).to.deep.equal([
        '0 reduce-start 0',
        '0 reduce-start 1',
        '50 reduce-start 4', // score 1800
        '50 reduce-start 3', // score 800
        '100 reduce-start 5',
      ]);
      expect(lines.at(-2)).to.equal('405 upload-end 5');
    });

    it('should accept oracle scores as a map by index', () => {
      const scores = new Map(sixScores.map((score, index) => [index, score]));
      const byMap = simulate(testScheduler, six, 1, { strategy: 'oracle', cores: 2, oracleScores: scores });
      testScheduler = new TestScheduler(() => {});
      const byFunction = simulate(testScheduler, six, 1, {
        strategy: 'oracle',
        cores: 2,
        oracleScores: (item) => sixScores[item.index]!,
      });
      expect(byMap).to.deep.equal(byFunction);
    });

    it('should send the first file straight to an idle uplink with adaptive and finish sooner', () => {
      expect(simulate(testScheduler, six, 1, { strategy: 'adaptive', cores: 2 })).to.deep.equal([
        '0 upload-start 0', // the uplink is idle: no reduction delays this file
        '0 reduce-start 1', // uplink busy: search
        '0 reduce-start 2', // climb (nothing known yet)
        '50 reduce-end 1',
        '50 reduce-start 3',
        '50 reduce-end 2',
        '50 reduce-start 4',
        '100 upload-end 0',
        '100 upload-start 1',
        '100 reduce-end 3',
        '100 reduce-start 5', // 0.5 ms/B * 100 B = 50 ms < (160 - 100) B / 1000 B/s = 60 ms
        '100 reduce-end 4',
        '150 reduce-end 5',
        '190 upload-end 1',
        '190 upload-start 2',
        '210 upload-end 2',
        '210 upload-start 3',
        '270 upload-end 3',
        '270 upload-start 4',
        '280 upload-end 4',
        '280 upload-start 5',
        '375 upload-end 5',
        'complete',
      ]);
    });

    it('should search blocks of 15 then climb the interpolated estimate with splines', () => {
      // 40 files at t=0 whose savings peak at index 20; one core, a slow uplink.
      const forty: FileSpec[] = Array.from({ length: 40 }, (_, i) => ({
        at: 0,
        size: 100,
        reduceMs: 50,
        outSize: 100 - Math.round(80 * Math.exp(-(((i - 20) / 10) ** 2))),
      }));
      const lines = simulate(testScheduler, forty, 10, { strategy: 'splines', cores: 1 });
      const reduced = lines.filter((l) => l.includes('reduce-start')).map((l) => Number(l.split(' ')[2]));
      // Search: the first file of each block; then with 3 scores the estimate is flat (their
      // mean), so the oldest waiting file (1 went raw to the uplink); then the climb from the
      // best known point, 15, up the slope to the peak and down the other side.
      expect(reduced.slice(0, 16)).to.deep.equal([0, 15, 30, 2, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 14, 26]);
      // The raw uploads are the lowest estimates: file 1 (nothing known yet) then the oldest flat ones.
      expect(lines.filter((l) => l.includes('upload-start')).map((l) => Number(l.split(' ')[2])).slice(0, 2)).to.deep.equal([1, 0]);
    });

    it('should not reduce with adaptive while the uplink keeps up', () => {
      const slow: FileSpec[] = Array.from({ length: 5 }, (_, i) => ({ at: i * 200, size: 100, reduceMs: 50, outSize: 90 }));
      const adaptive = simulate(testScheduler, slow, 1, { strategy: 'adaptive', cores: 2 });
      expect(adaptive.filter((l) => l.includes('reduce'))).to.deep.equal([]);
      expect(adaptive.at(-2)).to.equal('900 upload-end 4');
      testScheduler = new TestScheduler(() => {});
      const splines = simulate(testScheduler, slow, 1, { strategy: 'splines', cores: 2 });
      expect(splines.at(-2)).to.equal('940 upload-end 4'); // 50 ms reduction + 90 ms upload
    });

    it('should reduce with adaptive on an idle uplink once the estimated score beats the bandwidth', () => {
      // Score 80 B / 10 ms = 8000 B/s against an uplink of 1000 B/s: reducing saves 80 ms of
      // uplink for 10 ms of CPU, so files 2 and 3 finish sooner reduced although the uplink is idle.
      const cheap: FileSpec[] = [0, 0, 200, 400].map((at) => ({ at, size: 100, reduceMs: 10, outSize: 20 }));
      const lines = simulate(testScheduler, cheap, 1, { strategy: 'adaptive', cores: 1, uploadSlots: 1 });
      expect(lines.filter((l) => l.includes('reduce-start'))).to.deep.equal(['0 reduce-start 1', '200 reduce-start 2', '400 reduce-start 3']);
      expect(lines.at(-2)).to.equal('430 upload-end 3');
    });

    it('should leave the last files raw with adaptive when reducing them would keep the uplink waiting', () => {
      const slowReductions: FileSpec[] = Array.from({ length: 6 }, () => ({ at: 0, size: 100, reduceMs: 300, outSize: 80 }));
      const adaptive = simulate(testScheduler, slowReductions, 1, { strategy: 'adaptive', cores: 2 });
      testScheduler = new TestScheduler(() => {});
      const splines = simulate(testScheduler, slowReductions, 1, { strategy: 'splines', cores: 2 });
      expect(splines.at(-2)).to.equal('680 upload-end 5');
      expect(adaptive.at(-2)).to.equal('560 upload-end 5');
      expect(adaptive.filter((l) => l.includes('reduce-start'))).to.deep.equal(['0 reduce-start 1', '0 reduce-start 2']);
    });
  });
});
