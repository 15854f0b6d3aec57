// Public API. Named re-exports grouped by role; the CLI is not part of it.

// Model
export type { FileItem } from './model/FileItem.js';
export type { UploadJob } from './model/UploadJob.js';
export type { UploadResult } from './model/UploadResult.js';
export { GatewayError } from './model/GatewayError.js';
