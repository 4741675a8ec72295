import { EventEmitter, on } from 'node:events';
import { describe, expect, it } from '@jest/globals';
import { createSchema, createYoga } from 'graphql-yoga';
import { useSharedEventExecution } from './shared-event-execution.js';

/**
 * The shared execution of subscription events, on a small schema through yoga's SSE
 * transport: one execution per event for subscribers with the same document, variables and
 * viewer; one per viewer otherwise; and the default subscribe's error result when the source
 * stream cannot be created.
 */
function setup() {
  const events = new EventEmitter();
  let executions = 0;
  const schema = createSchema<{ viewer: { apiKeyId: string; owner: string; role: string } }>({
    typeDefs: /* GraphQL */ `
      type Query { ok: Boolean }
      type Tick { n: Int!, seenBy: String! }
      type Subscription { ticks(from: Int!): Tick! }
    `,
    resolvers: {
      Subscription: {
        ticks: {
          subscribe: (_: unknown, args: { from: number }) => {
            if (args.from < 0) throw new Error('from must be ≥ 0');
            return (async function* () {
              for await (const [tick] of on(events, 'tick')) yield tick;
            })();
          },
          resolve: (tick: object) => tick,
        },
      },
      Tick: {
        n: (tick: { n: number }) => {
          executions += 1;
          return tick.n;
        },
        seenBy: (_: unknown, __: unknown, context: { viewer: { owner: string } }) => context.viewer.owner,
      },
    },
  });
  const yoga = createYoga({
    schema,
    plugins: [useSharedEventExecution()],
    context: ({ request }) => {
      const owner = request.headers.get('x-owner') ?? 'alice';
      return { viewer: { apiKeyId: `key-${owner}`, owner, role: 'reader' } };
    },
    maskedErrors: false,
  });
  return { yoga, events, executions: () => executions };
}

/** Opens an SSE subscription; `first()` resolves with the first `next` event's payload. */
async function subscribe(yoga: ReturnType<typeof setup>['yoga'], owner: string, from: unknown = 0) {
  const response = await yoga.fetch('http://test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'x-owner': owner },
    body: JSON.stringify({ query: 'subscription ($from: Int!) { ticks(from: $from) { n seenBy } }', variables: { from } }),
  });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  return {
    status: response.status,
    async first(): Promise<unknown> {
      for (;;) {
        const match = /event: next\ndata: (.*)\n\n/.exec(text);
        if (match) return JSON.parse(match[1]!);
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended: ${text}`);
        text += decoder.decode(value);
      }
    },
    close: () => reader.cancel(),
  };
}

/** Emits a tick once `count` subscribers listen (the async generators have reached `on`). */
async function emitWhenListening(events: EventEmitter, count: number, tick: object) {
  while (events.listenerCount('tick') < count) await new Promise((resolve) => setImmediate(resolve));
  events.emit('tick', tick);
}

describe('useSharedEventExecution', () => {
  it('executes an event once for subscribers with the same document, variables and viewer', async () => {
    const { yoga, events, executions } = setup();
    const subscribers = await Promise.all([subscribe(yoga, 'alice'), subscribe(yoga, 'alice'), subscribe(yoga, 'alice')]);
    try {
      const firsts = subscribers.map((s) => s.first());
      await emitWhenListening(events, 3, { n: 7 });
      expect(await Promise.all(firsts)).toEqual(Array(3).fill({ data: { ticks: { n: 7, seenBy: 'alice' } } }));
      expect(executions()).toBe(1);
    } finally {
      await Promise.all(subscribers.map((s) => s.close()));
    }
  });

  it('executes it per viewer: what one subscriber sees never comes from another viewer’s execution', async () => {
    const { yoga, events, executions } = setup();
    const [alice, bob] = await Promise.all([subscribe(yoga, 'alice'), subscribe(yoga, 'bob')]);
    try {
      const firsts = [alice.first(), bob.first()];
      await emitWhenListening(events, 2, { n: 8 });
      expect(await Promise.all(firsts)).toEqual([{ data: { ticks: { n: 8, seenBy: 'alice' } } }, { data: { ticks: { n: 8, seenBy: 'bob' } } }]);
      expect(executions()).toBe(2);
    } finally {
      await Promise.all([alice.close(), bob.close()]);
    }
  });

  it('returns a subscribe resolver’s refusal as the default does, and leaves a request error (variables) to the default subscribe', async () => {
    const { yoga } = setup();
    const refused = await subscribe(yoga, 'alice', -1);
    expect(await refused.first()).toMatchObject({ errors: [{ message: 'from must be ≥ 0', path: ['ticks'] }] });
    // A request error (variables): the default subscribe's result, status included.
    const plain = createYoga({ schema: setup().yoga.getEnveloped().schema, maskedErrors: false });
    const [ours, theirs] = await Promise.all([subscribe(yoga, 'alice', 'x'), subscribe(plain as never, 'alice', 'x')]);
    expect(ours.status).toBe(theirs.status);
    expect(await ours.first()).toEqual(await theirs.first());
  });
});
