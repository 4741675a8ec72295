import { createSourceEventStream, execute, getOperationAST, GraphQLError, type DocumentNode, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Viewer } from '../modules/accounts/access.js';

type Result = ExecutionResult | Promise<ExecutionResult>;

/**
 * Subscriptions execute each event once per (document, operation, variables, viewer) rather
 * than once per subscriber. A thousand dashboards following one backtest get the same event
 * object from the pub/sub (one parse per message); executing the same selection on it for
 * each of them — field resolvers, scope checks, scalar serialisation — was the largest share
 * of the API's work before the first byte of a fan-out reached a socket (docs/performance.md,
 * fan-out). The results are shared through a WeakMap on the event, so they live as long as
 * the event does. The viewer (API key, owner, role) is part of the key: what a subscriber may
 * see never comes from another's execution. Events that are not shared objects (a stream
 * that loads a row per subscriber) are executed per subscriber, as before.
 *
 * It also maps the event stream to results in one step, where the default executor wraps each
 * result in an async iterable and flattens them (a few more promise steps per event and
 * subscriber). A subscription whose source stream cannot be created because of its request
 * (variables, arguments: errors without a path) goes to the default subscribe, which builds
 * that error result with its HTTP status and codes; a subscribe resolver's refusal (an error
 * at the field's path) is returned as it is, the same result the default gives, without
 * running the resolver twice. An error the stream throws later is wrapped as the default
 * executor wraps it (located at the operation, the original kept for error masking).
 */
export function useSharedEventExecution(): Plugin {
  const documents = new WeakMap<DocumentNode, number>();
  let nextDocument = 0;
  const shared = new WeakMap<object, Map<string, Result>>();

  const keyOf = (args: ExecutionArgs): string => {
    let document = documents.get(args.document);
    if (document === undefined) {
      document = nextDocument++;
      documents.set(args.document, document);
    }
    const viewer = (args.contextValue as { viewer?: Viewer } | undefined)?.viewer;
    const who = viewer ? `${viewer.apiKeyId ?? ''}:${viewer.owner}:${viewer.role}` : '';
    return `${document}|${args.operationName ?? ''}|${JSON.stringify(args.variableValues ?? {})}|${who}`;
  };

  const executeEvent = (args: ExecutionArgs, key: string, payload: unknown): Result => {
    if (typeof payload !== 'object' || payload === null) return execute({ ...args, rootValue: payload });
    let results = shared.get(payload);
    if (!results) {
      results = new Map();
      shared.set(payload, results);
    }
    let result = results.get(key);
    if (!result) {
      result = execute({ ...args, rootValue: payload });
      results.set(key, result);
    }
    return result;
  };

  return {
    onSubscribe({ subscribeFn, setSubscribeFn }) {
      setSubscribeFn(async (args) => {
        const source = await createSourceEventStream(args);
        if (!(Symbol.asyncIterator in source)) return source.errors?.every((e) => e.path) ? source : subscribeFn(args);
        const key = keyOf(args);
        const operation = getOperationAST(args.document, args.operationName);
        const located = (error: unknown) =>
          error instanceof GraphQLError ? error : new GraphQLError(error instanceof Error ? error.message : String(error), { originalError: error instanceof Error ? error : null, nodes: operation ? [operation] : null });
        const events = source[Symbol.asyncIterator]();
        const stream: AsyncIterableIterator<ExecutionResult> = {
          next: () =>
            events.next().then(
              (step): IteratorResult<ExecutionResult> | Promise<IteratorResult<ExecutionResult>> => {
                if (step.done) return { done: true, value: undefined };
                const result = executeEvent(args, key, step.value);
                return result instanceof Promise ? result.then((value) => ({ done: false, value })) : { done: false, value: result };
              },
              (error: unknown) => {
                throw located(error);
              },
            ),
          return: () => Promise.resolve(events.return?.()).then(() => ({ done: true, value: undefined })),
          throw: (error: unknown) => Promise.resolve(events.throw ? events.throw(error) : Promise.reject(error)).then(() => ({ done: true, value: undefined })),
          [Symbol.asyncIterator]() {
            return this;
          },
        };
        return stream;
      });
    },
  };
}
