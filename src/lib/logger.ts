import { pino, type Logger, type LevelWithSilent } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

export interface LoggerOptions {
  /** Human-readable lines (for a terminal) instead of JSON (for log collectors). */
  pretty?: boolean;
}

/** LOG_FORMAT: `auto` is readable lines when stdout is a terminal (a person runs it), JSON otherwise. */
export function prettyLogs(format: 'auto' | 'json' | 'pretty'): boolean {
  return format === 'pretty' || (format === 'auto' && process.stdout.isTTY === true);
}

/** Structured logs (pino): JSON, or readable lines for a terminal. Times are ISO 8601 UTC. */
export function createLogger(level: LevelWithSilent = 'info', name = 'quantql', options: LoggerOptions = {}): Logger {
  const settings = {
    name,
    level,
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: ['req.headers.authorization', 'req.headers["x-api-key"]', 'apiKey'],
  };
  if (!options.pretty) return pino(settings);
  // In-process stream, not a transport thread: a few lines a second from a terminal session.
  return pino(settings, pretty({ colorize: true, translateTime: "UTC:yyyy-mm-dd HH:MM:ss.l'Z'", ignore: 'pid,hostname', sync: true }));
}
