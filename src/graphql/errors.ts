import { DomainError, ForbiddenError, NotFoundError, RateLimitedError, ValidationError, type ValidationIssue } from '../lib/errors.js';
import { builder } from './builder.js';

/** `interface Error { message code }`: every typed error in a result union implements it. */
export const ErrorInterface = builder.interfaceRef<DomainError>('Error').implement({
  description: 'An expected failure. `code` is stable; branch on it, show `message` to people.',
  fields: (t) => ({
    message: t.exposeString('message', { description: 'Human-readable explanation.' }),
    code: t.exposeString('code', { description: 'Stable machine-readable code (SCREAMING_SNAKE).' }),
  }),
});

const ValidationIssueRef = builder
  .objectRef<ValidationIssue>('ValidationIssue')
  .implement({
    description: 'One problem with the input.',
    fields: (t) => ({
      path: t.stringList({ description: 'Path of the offending input field.', resolve: (i) => [...i.path] }),
      message: t.exposeString('message', { description: 'What is wrong with it.' }),
    }),
  });

builder.objectType(ValidationError, {
  name: 'ValidationError',
  description: 'The input was rejected; nothing was changed. `issues` lists every problem.',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    issues: t.field({ type: [ValidationIssueRef], description: 'Every problem found, not just the first.', resolve: (e) => e.issues }),
  }),
});

builder.objectType(NotFoundError, {
  name: 'NotFoundError',
  description: 'The named thing does not exist or is not visible to the caller.',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    resource: t.exposeString('resource', { description: 'Kind of thing looked up, e.g. Strategy.' }),
    id: t.exposeString('id', { description: 'The identifier that was looked up.' }),
  }),
});

builder.objectType(ForbiddenError, {
  name: 'ForbiddenError',
  description: 'The caller is known but not allowed to do this.',
  interfaces: [ErrorInterface],
});

builder.objectType(RateLimitedError, {
  name: 'RateLimitedError',
  description: 'Too many requests of this kind from your API key in the current window (RATE_LIMIT_* settings); nothing was done.',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    retryAfterSeconds: t.exposeInt('retryAfterSeconds', { description: 'Seconds until the next request of this kind is accepted.' }),
  }),
});

export { DomainError };
