// Micro check, not a test: 100,000 files queued at once must schedule in reasonable time, i.e.
// each decision stays O(log n). Prints decisions/second per strategy.
// Run: npx tsx bench/prioritizeScaling.ts [files]
import { from, map, timer, VirtualTimeScheduler } from 'rxjs';
import type { FileItem } from '../src/model/FileItem.js';
import type { Reduction } from '../src/model/Reduction.js';
import type { UploadJob } from '../src/model/UploadJob.js';
import type { UploadResult } from '../src/model/UploadResult.js';
import type { PrioritizeStrategy } from '../src/operators/prioritize.js';
import { scheduleFiles } from '../src/operators/scheduleFiles.js';

const files = Number(process.argv[2] ?? 100_000);
// A smoothly varying gain, as in a microscopy run, so splines has something to climb.
const gain = (index: number) => 0.2 + 0.6 * Math.abs(Math.sin(index / 5000));

for (const strategy of ['none', 'fifo', 'splines', 'oracle', 'adaptive'] as PrioritizeStrategy[]) {
  const scheduler = new VirtualTimeScheduler();
  const items: FileItem[] = Array.from({ length: files }, (_, index) => ({
    path: `/in/${index}`,
    size: 1_000_000,
    mtimeMs: 0,
    index,
  }));
  const reduce = (item: FileItem) =>
    timer(50, scheduler).pipe(
      map((): Reduction => ({
        item,
        reduced: true,
        outputPath: `/spool/${item.index}`,
        bytesIn: item.size,
        bytesOut: Math.round(item.size * (1 - gain(item.index))),
        cpuMs: 50,
      })),
    );
  const upload = (job: UploadJob) => {
    const startedAt = scheduler.now();
    const bytes = job.bodySize ?? job.item.size;
    return timer(bytes / 10_000, scheduler).pipe(
      map((): UploadResult => ({ item: job.item, status: 200, bytes, startedAt, finishedAt: scheduler.now() })),
    );
  };
  let decisions = 0;
  let makespan = 0;
  const started = process.hrtime.bigint();
  from(items)
    .pipe(
      scheduleFiles({
        strategy,
        cores: 2,
        uploadSlots: 2,
        reduce,
        upload,
        scheduler,
        oracleScores: (item) => gain(item.index) * 20_000_000,
      }),
    )
    .subscribe({
      next: (event) => {
        if (event.type === 'reduce-start' || event.type === 'upload-start') decisions += 1;
      },
      complete: () => {
        makespan = scheduler.now();
      },
    });
  scheduler.flush();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(
    `${strategy.padEnd(9)} ${files} files: ${decisions} decisions in ${seconds.toFixed(2)} s ` +
      `(${Math.round(decisions / seconds)} decisions/s), virtual makespan ${(makespan / 1000).toFixed(0)} s`,
  );
}
