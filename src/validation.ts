// One home for argument validation: every option check in the library throws the same kind of
// message, `Expected \`name\` to be …, got …`, so a user reads one idiom everywhere.
import { isObservable, type Observable } from 'rxjs';

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** A sha256 as the ledger, the uploads and the gateway write it: 64 lowercase hex digits. */
export function isSha256Hex(value: string): boolean {
  return SHA256_HEX.test(value);
}

/** The value as a user would recognise it in a message. */
export function shown(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** Throws `TypeError('Expected `name` to be an integer >= minimum, got value')` unless it is. */
export function integerAtLeast(name: string, value: unknown, minimum: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum) {
    throw new TypeError(`Expected \`${name}\` to be an integer >= ${minimum}, got ${String(value)}`);
  }
  return value;
}

/** Throws `TypeError('Expected `name` to be a number > bound, got value')` unless it is. */
export function numberAbove(name: string, value: unknown, bound: number): number {
  if (typeof value !== 'number' || !(value > bound)) {
    throw new TypeError(`Expected \`${name}\` to be a number > ${bound}, got ${String(value)}`);
  }
  return value;
}

/** Throws `TypeError('Expected `name` to be a function, got <type>')` unless it is. */
export function functionOption<F extends (...args: never[]) => unknown>(name: string, value: unknown): F {
  if (typeof value !== 'function') {
    throw new TypeError(`Expected \`${name}\` to be a function, got ${typeof value}`);
  }
  return value as F;
}

/** Throws `TypeError('Expected `name` to be an Observable, got <type>')` unless it is one. */
export function observableOption<T>(name: string, value: Observable<T> | undefined): Observable<T> {
  if (!isObservable(value)) {
    throw new TypeError(`Expected \`${name}\` to be an Observable, got ${typeof value}`);
  }
  return value;
}

/** Throws `TypeError('Expected `name` to be an object, got value')` unless it is a non-null object. */
export function objectOption<T>(name: string, value: T): T {
  if (value === null || typeof value !== 'object') {
    throw new TypeError(`Expected \`${name}\` to be an object, got ${String(value)}`);
  }
  return value;
}

/** Throws `TypeError('Expected `name` to be a non-empty string, got "value"')` unless it is. */
export function nonEmptyString(name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`Expected \`${name}\` to be a non-empty string, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Throws `TypeError('Expected `name` to be a string, got <type>')` unless it is. */
export function stringOption(name: string, value: unknown): string {
  if (typeof value !== 'string') {
    throw new TypeError(`Expected \`${name}\` to be a string, got ${typeof value}`);
  }
  return value;
}

/** Throws `TypeError('Expected `name` to be a boolean, got value')` unless it is. */
export function booleanOption(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') {
    throw new TypeError(`Expected \`${name}\` to be a boolean, got ${String(value)}`);
  }
  return value;
}

/** Throws `TypeError('Expected `name` to be one of a, b, got value')` unless `value` is among `allowed`. */
export function oneOf<T>(name: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) {
    throw new TypeError(`Expected \`${name}\` to be one of ${allowed.join(', ')}, got ${String(value)}`);
  }
  return value as T;
}

/** Throws `TypeError('Expected `name` to be an integer from minimum to maximum, got value')` unless it is. */
export function integerBetween(name: string, value: unknown, minimum: number, maximum: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum || value > maximum) {
    throw new TypeError(`Expected \`${name}\` to be an integer from ${minimum} to ${maximum}, got ${String(value)}`);
  }
  return value;
}

/** Throws `TypeError('Expected `name` to be a number >= minimum, got value')` unless it is (Infinity passes). */
export function numberAtLeast(name: string, value: unknown, minimum: number): number {
  if (typeof value !== 'number' || !(value >= minimum)) {
    throw new TypeError(`Expected \`${name}\` to be a number >= ${minimum}, got ${String(value)}`);
  }
  return value;
}

/** Throws `TypeError('Expected `name` to be a finite number > bound, got value')` unless it is. */
export function finiteNumberAbove(name: string, value: unknown, bound: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !(value > bound)) {
    throw new TypeError(`Expected \`${name}\` to be a finite number > ${bound}, got ${String(value)}`);
  }
  return value;
}

/** Throws `TypeError('Expected `name` to be a finite number >= minimum, got value')` unless it is. */
export function finiteNumberAtLeast(name: string, value: unknown, minimum: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !(value >= minimum)) {
    throw new TypeError(`Expected \`${name}\` to be a finite number >= ${minimum}, got ${String(value)}`);
  }
  return value;
}

/** An error's message, or the thrown value as text: how every message quotes a caught error. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
