// One home for argument validation: every option check in the library throws the same kind of
// message, `Expected \`name\` to be …, got …`, so a user reads one idiom everywhere.

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
