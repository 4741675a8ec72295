import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/** Structured JSON logs (pino). Times are ISO 8601 UTC. */
export function createLogger(level: LevelWithSilent = 'info', name = 'quantql'): Logger {
  return pino({
    name,
    level,
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: ['req.headers.authorization', 'req.headers["x-api-key"]', 'apiKey'],
  });
}
