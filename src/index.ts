// Public API. Named re-exports grouped by role; the CLI is not part of it. The benchmark kit is
// `haste-agent/bench` (src/bench/index.ts) and the test kit `haste-agent/testing` (src/testing/index.ts).

// Model
export type { FileItem } from './model/FileItem.js';
export type { UploadJob } from './model/UploadJob.js';
export type { UploadResult } from './model/UploadResult.js';
export type { Reduction } from './model/Reduction.js';
export { GatewayError } from './model/GatewayError.js';

// Reading files safely
export { openAdmittedFile } from './io/openAdmittedFile.js';
export type { AdmittedIdentity } from './io/openAdmittedFile.js';
export { FileChangedError } from './io/FileChangedError.js';

// Sources
export { watchDirectory } from './sources/watchDirectory.js';
export type { WatchDirectoryOptions, AwaitWriteFinishOptions } from './sources/watchDirectory.js';
export { rescanDirectory } from './sources/rescanDirectory.js';
export type { RescanDirectoryOptions } from './sources/rescanDirectory.js';

// Operators: edge prioritisation
export { estimateBandwidth } from './operators/estimateBandwidth.js';
export type { EstimateBandwidthOptions } from './operators/estimateBandwidth.js';
export { createGainModel } from './operators/createGainModel.js';
export type { GainModel, GainModelOptions, GainPoint } from './operators/createGainModel.js';
export { predictGain } from './operators/predictGain.js';
export type { GainEstimate, PredictGainOptions } from './operators/predictGain.js';
export { reductionScore } from './operators/reductionScore.js';
export { prioritize } from './operators/prioritize.js';
export type { PrioritizeOptions, PrioritizeStrategy } from './operators/prioritize.js';
export { concatMapEager } from './operators/concatMapEager.js';
export type { ConcatMapEagerOptions } from './operators/concatMapEager.js';
export { limitOutstanding } from './operators/limitOutstanding.js';
export type { LimitOutstandingOptions } from './operators/limitOutstanding.js';
export { routeDecisions } from './operators/routeDecisions.js';
export type { RouteDecisionsOptions } from './operators/routeDecisions.js';
export { scheduleFiles } from './operators/scheduleFiles.js';
export type { ScheduleFilesOptions } from './operators/scheduleFiles.js';
export type { ScheduleEvent } from './operators/ScheduleEvent.js';
export type { ScheduleDecision } from './operators/ScheduleDecision.js';
export type { ScheduleOutcome } from './operators/ScheduleOutcome.js';
export { reduceLocally } from './operators/reduceLocally.js';
export type { ReduceLocallyOptions } from './operators/reduceLocally.js';
export { retryUploads } from './operators/retryUploads.js';
export type { RetryUploadsOptions, RetryInfo, UploadOutcome } from './operators/retryUploads.js';
export { takeUntilIdle } from './operators/takeUntilIdle.js';
export type { TakeUntilIdleOptions } from './operators/takeUntilIdle.js';
export { isRetryableUpload } from './operators/isRetryableUpload.js';

// Local reduction
export { floodFillBackground } from './reducers/floodFillBackground.js';
export { reduceImage } from './reducers/reduceImage.js';
export type { ReduceImageOptions } from './reducers/reduceImage.js';
export { createWorkerPool } from './reducers/createWorkerPool.js';
export type { CreateWorkerPoolOptions, WorkerPool } from './reducers/createWorkerPool.js';
export { PNG_EFFORTS, pngEffortSettings } from './reducers/pngEffort.js';
export type { PngEffort, PngEffortSettings } from './reducers/pngEffort.js';
export { choosePngEffort } from './reducers/choosePngEffort.js';
export type { EffortTally } from './reducers/choosePngEffort.js';
export { createPngEffortChooser } from './reducers/createPngEffortChooser.js';
export type { PngEffortChooser, PngEffortChooserOptions } from './reducers/createPngEffortChooser.js';
export { reduceWithChosenPngEffort } from './reducers/reduceWithChosenPngEffort.js';
export type { ReduceWithChosenPngEffortOptions } from './reducers/reduceWithChosenPngEffort.js';

// Sinks
export { streamId } from './sinks/streamId.js';
export type { StreamIdOptions } from './sinks/streamId.js';
export { createUploader } from './sinks/createUploader.js';
export type { UploaderOptions } from './sinks/createUploader.js';
export { postToGateway } from './sinks/postToGateway.js';
export type { PostToGatewayOptions } from './sinks/postToGateway.js';
export type { GatewayRequest } from './sinks/GatewayRequest.js';
export type { GatewayResponse } from './sinks/GatewayResponse.js';

// NATS JetStream: the sink, and the consuming end
export { openNatsBucket, NatsSetupError } from './sinks/openNatsBucket.js';
export type { OpenNatsBucketOptions, NatsBucket, NatsCredentials } from './sinks/openNatsBucket.js';
export { createNatsUploader } from './sinks/createNatsUploader.js';
export { objectDigestOf } from './sinks/objectDigestOf.js';
export type { NatsUploaderOptions } from './sinks/createNatsUploader.js';
export { natsErrorStatus } from './sinks/natsErrorStatus.js';
export { consumeBucket } from './sources/consumeBucket.js';
export type { ConsumeBucketOptions, ConsumeEvent, BucketObject } from './sources/consumeBucket.js';
export { openObjectWriter } from './sinks/openObjectWriter.js';
export type { ObjectWriterOptions, ObjectWriter } from './sinks/openObjectWriter.js';

// The whole agent
export { runAgent } from './agent/runAgent.js';
export type { RunAgentOptions } from './agent/runAgent.js';
export { createDelivery } from './agent/createDelivery.js';
export type { CreateDeliveryOptions, Delivery } from './agent/createDelivery.js';
export { openSpool } from './agent/openSpool.js';
export type { OpenSpoolOptions, Spool } from './agent/openSpool.js';

// Embedded gateway
export { startGateway } from './gateway/startGateway.js';
export type { GatewayOptions } from './gateway/startGateway.js';
export { serveGatewayMetrics } from './gateway/serveGatewayMetrics.js';
export type { GatewayMetricsServer, ServeGatewayMetricsOptions } from './gateway/serveGatewayMetrics.js';
export type { RunningGateway, GatewayCounts } from './gateway/RunningGateway.js';
export type { ReceivedBlob } from './gateway/ReceivedBlob.js';

// Durable state
export { openLedger } from './state/openLedger.js';
export type { OpenLedgerOptions } from './state/openLedger.js';
export { readLedgerSummary } from './state/readLedgerSummary.js';
export { hashFile } from './state/hashFile.js';
export { resumeStreamId } from './state/resumeStreamId.js';
export type { ResumeStreamIdOptions } from './state/resumeStreamId.js';
export { LedgerLockedError } from './state/LedgerLockedError.js';
export type { Ledger, LedgerKey, LedgerUpdate, LedgerTransitionExtra, LedgerSummary } from './state/Ledger.js';
export type { LedgerEntry, LedgerState, LedgerReduction } from './state/LedgerEntry.js';
export type { LedgerHealth } from './state/LedgerHealth.js';
export type { LedgerDamage, LedgerRepair } from './state/LedgerRepair.js';
export type { WriteRetryOptions } from './state/durableWrites.js';
export { ledgerEvents } from './agent/ledgerEvents.js';

// Observing a run
export type { AgentEvent } from './observe/AgentEvent.js';
export type { AgentStats } from './observe/AgentStats.js';
export { emptyStats } from './observe/emptyStats.js';
export { trackStats } from './observe/trackStats.js';
export type { TrackStatsOptions } from './observe/trackStats.js';
export { renderStatusBlock } from './observe/renderStatusBlock.js';
export type { RenderStatusBlockOptions } from './observe/renderStatusBlock.js';
export { reportProgress } from './observe/reportProgress.js';
export type { ReportProgressOptions } from './observe/reportProgress.js';
export { formatLogLine } from './observe/formatLogLine.js';
export { summarizeSkipped } from './observe/summarizeSkipped.js';
export type { SkippedSummary, SummarizeSkippedOptions } from './observe/summarizeSkipped.js';
export { formatNotice } from './observe/formatNotice.js';
export type { Notice } from './observe/formatNotice.js';
export { startMetricsServer } from './observe/startMetricsServer.js';
export type { StartMetricsServerOptions } from './observe/startMetricsServer.js';
export type { MetricsServer } from './observe/MetricsServer.js';

// Configuration
export type { AgentConfig } from './config/AgentConfig.js';
export { ConfigError } from './config/ConfigError.js';
export { loadConfig } from './config/loadConfig.js';
export type { LoadConfigOptions, LoadedConfig } from './config/loadConfig.js';
