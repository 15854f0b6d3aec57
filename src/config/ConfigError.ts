/**
 * The configuration could not be used; one message per bad field.
 *
 * Thrown by {@link loadConfig} so the CLI can print every problem at once instead of making
 * the user fix them one run at a time.
 *
 * ```ts
 * declare const options: LoadConfigOptions;
 * try { loadConfig(options); } catch (error) {
 *   if (error instanceof ConfigError) error.errors.forEach((message) => console.error(message));
 * }
 * ```
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** One line per problem, each naming its source (`config file x.json: ...`). */
  readonly errors: readonly string[];

  constructor(errors: readonly string[]) {
    super(`Invalid configuration:\n${errors.map((error) => `  - ${error}`).join('\n')}`);
    this.errors = Object.freeze([...errors]);
  }
}
