import type { FileItem } from '../model/FileItem.js';
import type { Reduction } from '../model/Reduction.js';
import type { NormalisedReduceImageOptions } from './reduceImageInternals.js';

/** What the pool posts to a reducer worker. */
export interface WorkerRequest {
  readonly id: number;
  readonly item: FileItem;
  readonly options: NormalisedReduceImageOptions;
}

/** What a reducer worker posts back: the Reduction, or why reduceImage rejected. */
export type WorkerResponse =
  | { readonly id: number; readonly reduction: Reduction }
  | { readonly id: number; readonly error: string };
