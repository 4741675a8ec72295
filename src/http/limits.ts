import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import {
  getNamedType,
  getOperationAST,
  GraphQLError,
  type DocumentNode,
  type GraphQLOutputType,
  type GraphQLSchema,
  type ValidationContext,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import type { GraphqlConfig, MarketConfig } from '../config/env.js';
import { withRequestBudget } from '../db/request-scope.js';

/**
 * Every limit on what one GraphQL request may ask for, checked before anything runs:
 *
 * - shape (graphql-armor): depth, aliases, tokens, directives;
 * - size, with the request's variables (graphql-query-complexity: armor's cost limit sees
 *   only literals, so `first: $n` walked past it — issue 13, finding 2): the operation's
 *   cost, where a page of n items costs n times an item; the candle and equity points it
 *   asks for, summed over all its fields; every page size (`first`/`last`) within
 *   GRAPHQL_MAX_PAGE_SIZE and not negative;
 * - database work while it runs (src/db/request-scope.ts): connections held at once,
 *   statements in all and how long each may run, for queries (mutations run their root fields one at a time and have
 *   limits of their own).
 *
 * Every refusal is a GraphQL error with `extensions.code` and a readable message; HTTP 400
 * where the GraphQL-over-HTTP spec asks for it (application/graphql-response+json; plain
 * application/json answers 200, as the spec says).
 */
export function useRequestLimits(graphql: GraphqlConfig, market: Pick<MarketConfig, 'candlesMaxPoints'>): Plugin[] {
  // Armor throws "Syntax Error: …" out of validation by default (no code, HTTP 200 whatever
  // the client accepts); reported as validation errors instead, they get both.
  const report = { propagateOnRejection: false, onReject: [reportLimit] };
  return [
    EnvelopArmorPlugin({
      maxDepth: { n: graphql.maxDepth, ignoreIntrospection: true, ...report },
      maxAliases: { n: graphql.maxAliases, ...report },
      maxTokens: { n: graphql.maxTokens },
      maxDirectives: { n: 50, ...report },
      costLimit: { enabled: false },
      blockFieldSuggestion: { enabled: graphql.hideSuggestions },
    }),
    useTokenLimitCode(),
    useOperationBudget(graphql, market),
  ];
}

/** Error code of every refusal by a limit. */
export const LIMIT_EXCEEDED = 'QUERY_LIMIT_EXCEEDED';

function limitError(message: string, code = LIMIT_EXCEEDED): GraphQLError {
  // `spec`: the status applies to application/graphql-response+json only (yoga's rule).
  return new GraphQLError(message, { extensions: { code, http: { status: 400, spec: true } } });
}

/** An armor rejection, as a validation error of ours (armor prefixes "Syntax Error: "). */
function reportLimit(context: ValidationContext | null, error: GraphQLError): void {
  context?.reportError(limitError(error.message.replace(/^Syntax Error: /, '')));
}

/** The parser's token limit (set by armor) fails parsing: the same code as the other limits. */
function useTokenLimitCode(): Plugin {
  return {
    onParse: () => ({ result, replaceParseResult }) => {
      const match = result instanceof GraphQLError ? /^Syntax Error: (Token limit of .*)$/.exec(result.message) : null;
      if (match) replaceParseResult(limitError(match[1]!));
    },
  };
}

interface OperationSize {
  cost: number;
  points: number;
  pageIssues: string[];
}

/** Lists whose length an argument bounds: the field's multiplier. */
function listLength(fieldName: string, args: Record<string, unknown>): number | null {
  if (fieldName === 'marketSummary') return Array.isArray(args.symbols) ? args.symbols.length : 1000;
  if (fieldName === 'topMovers') return typeof args.limit === 'number' ? Math.max(0, args.limit) : 10;
  if (fieldName === 'nodes') return Array.isArray(args.ids) ? args.ids.length : 0;
  return null;
}

const isConnection = (type: GraphQLOutputType) => getNamedType(type).name.endsWith('Connection');

/**
 * Measures an operation with its variables: cost (a field 1, a page of n items n times an
 * item), candle/equity points, and the page sizes it asks for. Null when the variables do not
 * fit the operation: execution reports that itself.
 */
function measure(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName: string | undefined,
  limits: { maxPageSize: number; candlesMaxPoints: number },
): OperationSize | null {
  const pageIssues: string[] = [];
  const pageSize = (fieldName: string, args: Record<string, unknown>, defaultSize: number): number => {
    for (const name of ['first', 'last'] as const) {
      const value = args[name];
      if (typeof value !== 'number') continue;
      if (value < 0) pageIssues.push(`${fieldName}(${name}: ${value}): must not be negative`);
      else if (value > limits.maxPageSize)
        pageIssues.push(`${fieldName}(${name}: ${value}): must be at most ${limits.maxPageSize} (GRAPHQL_MAX_PAGE_SIZE); page with after/endCursor`);
    }
    const asked = typeof args.first === 'number' ? args.first : typeof args.last === 'number' ? args.last : defaultSize;
    return Math.min(Math.max(asked, 0), limits.maxPageSize);
  };
  const defaultPageSize = (extensions: Record<string, unknown>) =>
    typeof extensions.defaultPageSize === 'number' ? extensions.defaultPageSize : limits.maxPageSize;

  /** How many times a field's selection is produced: a page's size, a list's bounded length, or 1. */
  const multiplier = (field: { name: string; type: GraphQLOutputType; extensions: Record<string, unknown> }, args: Record<string, unknown>) => {
    if (isConnection(field.type)) return pageSize(field.name, args, defaultPageSize(field.extensions));
    return listLength(field.name, args) ?? 1;
  };
  const costEstimator: ComplexityEstimator = ({ field, args, childComplexity }) => 1 + multiplier(field, args) * childComplexity;
  // Candles and equity points: what a series field asks for, times how often it is produced.
  const pointsEstimator: ComplexityEstimator = ({ type, field, args, childComplexity }) => {
    if (type.name === 'Query' && field.name === 'candles') {
      const asked = typeof args.maxPoints === 'number' ? args.maxPoints : limits.candlesMaxPoints;
      return Math.min(Math.max(asked, 0), limits.candlesMaxPoints);
    }
    if (field.name === 'equityCurve') return typeof args.maxPoints === 'number' ? Math.max(args.maxPoints, 0) : 500;
    return multiplier(field, args) * childComplexity;
  };
  try {
    const options = { schema, query: document, variables: variables ?? {}, operationName };
    const cost = getComplexity({ ...options, estimators: [costEstimator] });
    const points = getComplexity({ ...options, estimators: [pointsEstimator] });
    return { cost, points, pageIssues: [...new Set(pageIssues)] };
  } catch {
    return null;
  }
}

function useOperationBudget(graphql: GraphqlConfig, market: Pick<MarketConfig, 'candlesMaxPoints'>): Plugin {
  const check = (args: { schema: GraphQLSchema; document: DocumentNode; variableValues?: unknown; operationName?: string | null }): GraphQLError[] => {
    if (isIntrospectionOnly(args.document)) return [];
    const size = measure(args.schema, args.document, args.variableValues as Record<string, unknown> | undefined, args.operationName ?? undefined, {
      maxPageSize: graphql.maxPageSize,
      candlesMaxPoints: market.candlesMaxPoints,
    });
    if (!size) return [];
    const errors = size.pageIssues.map((issue) => limitError(`Page size out of range: ${issue}.`, 'BAD_USER_INPUT'));
    if (size.cost > graphql.maxCost)
      errors.push(limitError(`Query cost limit of ${graphql.maxCost} exceeded (GRAPHQL_MAX_COST), found ${size.cost}: ask for smaller pages or fewer fields.`));
    if (size.points > graphql.maxCandlePoints)
      errors.push(limitError(`Candle point limit of ${graphql.maxCandlePoints} exceeded (GRAPHQL_MAX_CANDLE_POINTS), found ${size.points}: lower maxPoints or ask for fewer series.`));
    return errors;
  };
  return {
    onExecute({ args, executeFn, setExecuteFn, setResultAndStopExecution }) {
      const errors = check(args);
      if (errors.length) return setResultAndStopExecution({ errors });
      if (getOperationAST(args.document, args.operationName)?.operation !== 'query') return;
      const budget = { maxConnections: graphql.maxConnectionsPerRequest, maxStatements: graphql.maxStatements, statementTimeoutMs: graphql.statementTimeoutMs };
      setExecuteFn((executeArgs) => withRequestBudget(budget, () => executeFn(executeArgs)));
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const errors = check(args);
      if (errors.length) setResultAndStopExecution({ errors });
    },
  };
}

/** GraphiQL's introspection query is large; armor's limits skip it too. */
function isIntrospectionOnly(document: DocumentNode): boolean {
  return document.definitions.every(
    (d) => d.kind === 'OperationDefinition' && d.selectionSet.selections.every((s) => s.kind === 'Field' && s.name.value.startsWith('__')),
  );
}
