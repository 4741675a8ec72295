import { GraphQLError, Kind, visit, type DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * Text sent to the API may not contain U+0000. PostgreSQL stores no NUL in `text` or
 * `jsonb`, so such a string would only fail deep inside a write (Prisma P2039, a 500), after
 * validation said yes. One check here covers every argument of every operation — strings in
 * the document and in the variables, at any depth, including JSON arguments — before
 * anything runs.
 */
export function useTextInputGuard(): Plugin {
  const check = ({ args, setResultAndStopExecution }: {
    args: { document: DocumentNode; variableValues?: unknown };
    setResultAndStopExecution: (result: { errors: GraphQLError[] }) => void;
  }) => {
    if (hasNul(args.variableValues) || documentHasNul(args.document)) {
      setResultAndStopExecution({
        errors: [
          new GraphQLError('Text may not contain the NUL character (U+0000).', {
            extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
          }),
        ],
      });
    }
  };
  return { onExecute: check, onSubscribe: check };
}

function hasNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\0');
  if (Array.isArray(value)) return value.some(hasNul);
  if (value && typeof value === 'object') return Object.entries(value).some(([k, v]) => k.includes('\0') || hasNul(v));
  return false;
}

function documentHasNul(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    [Kind.STRING]: (node) => {
      if (node.value.includes('\0')) found = true;
    },
  });
  return found;
}
