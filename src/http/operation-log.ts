import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from '../lib/logger.js';

/**
 * Operations slower than `slowMs` (LOG_SLOW_OPERATION_MS) are logged at warn with their name
 * and duration: the line an operator greps for when a dashboard feels slow. Subscriptions
 * are long-lived by design and not timed.
 */
export function useSlowOperationLog(logger: Logger, slowMs: number): Plugin {
  if (slowMs <= 0) return {};
  return {
    onExecute({ args }) {
      const started = performance.now();
      return {
        onExecuteDone() {
          const durationMs = Math.round(performance.now() - started);
          if (durationMs >= slowMs) {
            const operation = getOperationAST(args.document, args.operationName);
            logger.warn({ operation: operation?.name?.value ?? `(anonymous ${operation?.operation ?? 'operation'})`, durationMs }, 'slow operation');
          }
        },
      };
    },
  };
}
