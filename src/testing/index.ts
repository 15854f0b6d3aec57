// The test kit, `haste-agent/testing`: what a user needs to pin a schedule with RxJS marble
// tests from the package alone. Named re-exports grouped by role; nothing here runs in the agent.

// Values
export { fileItem } from './fileItem.js';
export { reduction } from './reduction.js';
export type { ReductionOptions } from './reduction.js';
export { uploaded } from './uploaded.js';
export type { UploadedOptions } from './uploaded.js';

// Schedule events
export { reduceStart } from './reduceStart.js';
export { reduceEnd } from './reduceEnd.js';
export { reduceError } from './reduceError.js';
export { uploadStart } from './uploadStart.js';
export { uploadEnd } from './uploadEnd.js';

// Virtual-time stand-ins
export { virtualReducer } from './virtualReducer.js';
export type { VirtualReductionSpec, VirtualReductionTable } from './virtualReducer.js';
export { virtualUploader } from './virtualUploader.js';
export type { VirtualUploaderOptions } from './virtualUploader.js';
