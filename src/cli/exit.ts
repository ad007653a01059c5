/**
 * Exit codes and the one-line error every command ends with on failure.
 *   0 ok · 1 runtime failure/timeout · 2 usage, pattern or input error · 3 no broker/bus
 */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_NO_BUS = 3;

/** Thrown by a command to end with a one-line message and an exit code. */
export class CliExit extends Error {
  override readonly name = 'CliExit';
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}
