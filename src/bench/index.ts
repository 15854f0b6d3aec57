// The benchmark kit, `haste-agent/bench`: synthetic data, replay, the simulator, the makespan
// bound and the plots behind `haste-agent bench`. Named re-exports grouped by role; kept out of
// the main entry so that an agent does not load what only a benchmark needs.

// Data
export { synthesizeDataset } from './synthesizeDataset.js';
export type { SynthesizeDatasetOptions, SynthesizedFile, FrameSegment } from './synthesizeDataset.js';
export { replayDataset } from './replayDataset.js';
export type { ReplayDatasetOptions, ReplayedFile } from './replayDataset.js';
export type { FileCost } from './FileCost.js';

// Time-varying uplinks
export { RateTrace } from './RateTrace.js';
export type { RateStep } from './RateTrace.js';
export { parseRateTrace } from './parseRateTrace.js';
export type { ParseRateTraceOptions } from './parseRateTrace.js';
export { readRateTrace } from './readRateTrace.js';
export { playRateTrace } from './playRateTrace.js';
export type { PlayRateTraceOptions } from './playRateTrace.js';
export { bandwidthEstimateSeries } from './bandwidthEstimateSeries.js';

// Simulation and bounds
export { simulate } from './simulate.js';
export type { SimulateOptions, SimulationResult } from './simulate.js';
export { simulateSweep } from './simulateSweep.js';
export type { SimulateSweepOptions, SweepRow } from './simulateSweep.js';
export { lowerBoundMakespan } from './lowerBoundMakespan.js';
export type { LowerBoundMakespanOptions, MakespanLowerBound } from './lowerBoundMakespan.js';

// Running a benchmark
export { runBenchmark } from './runBenchmark.js';
export type { RunBenchmarkOptions, BenchmarkRun, BenchmarkResult, BenchmarkStrategy } from './runBenchmark.js';

// Plots
export { boxPlotSvg } from './boxPlotSvg.js';
export type { BoxPlotSvgOptions } from './boxPlotSvg.js';
export { lineChartSvg } from './lineChartSvg.js';
export type { LineChartSvgOptions } from './lineChartSvg.js';
export { svgToPng } from './svgToPng.js';
export type { SvgToPngOptions } from './svgToPng.js';
