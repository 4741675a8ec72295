import type { DocumentNode } from 'graphql';
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
          if (durationMs >= slowMs) logger.warn({ operation: operationName(args.document, args.operationName), durationMs }, 'slow operation');
        },
      };
    },
  };
}

function operationName(document: DocumentNode, name: string | null | undefined): string {
  if (name) return name;
  for (const d of document.definitions) if (d.kind === 'OperationDefinition') return d.name?.value ?? `(anonymous ${d.operation})`;
  return '(unknown)';
}
