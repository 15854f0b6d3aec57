import type { FileItem } from '../model/FileItem.js';

/**
 * A file item for a test: the `index`-th file to arrive, `size` bytes, at `/in/f<index>`.
 *
 * The fields a schedule does not read (`path`, `mtimeMs`) get fixed values, so two calls with
 * the same arguments are deep-equal; `overrides` replaces any of them. Nothing is validated,
 * so a test can build the item the library must refuse (`fileItem(-1, 100)`).
 *
 * ```ts
 * const a = fileItem(0, 100); // { path: '/in/f0', size: 100, mtimeMs: 0, index: 0 }
 * const b = fileItem(1, 2048, { path: '/data/frame_00001.png' });
 * ```
 *
 * @param index Arrival order, from 0 (the schedulers' x axis).
 * @param size Size in bytes.
 * @param overrides Fields to set instead of the defaults.
 * @returns A FileItem.
 */
export function fileItem(index: number, size: number, overrides: Partial<Omit<FileItem, 'index' | 'size'>> = {}): FileItem {
  return { path: `/in/f${index}`, size, mtimeMs: 0, index, ...overrides };
}
