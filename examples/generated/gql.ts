/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "query ApiKeys($first: Int, $after: String) {\n  apiKeys(first: $first, after: $after) {\n    edges {\n      node {\n        id\n        owner\n        role\n        prefix\n        createdAt\n        revokedAt\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": typeof types.ApiKeysDocument,
    "query Candles($symbol: String!, $interval: String!, $from: DateTime!, $to: DateTime!, $maxPoints: Int) {\n  candles(\n    symbol: $symbol\n    interval: $interval\n    from: $from\n    to: $to\n    maxPoints: $maxPoints\n  ) {\n    symbol\n    interval\n    source\n    candles {\n      time\n      open\n      high\n      low\n      close\n      volume\n    }\n  }\n}": typeof types.CandlesDocument,
    "mutation IngestCandles($input: IngestCandlesInput!) {\n  ingestCandles(input: $input) {\n    __typename\n    ... on IngestCandlesPayload {\n      created\n      received\n      inserted\n      updated\n      unchanged\n      dataVersion\n      instrument {\n        symbol\n        baseInterval\n      }\n    }\n    ... on ValidationError {\n      message\n      code\n      issues {\n        path\n        message\n      }\n    }\n    ... on ForbiddenError {\n      message\n      code\n    }\n  }\n}": typeof types.IngestCandlesDocument,
    "query InstrumentCoverage($symbol: String!, $minMissing: Int, $first: Int, $after: String) {\n  instrument(symbol: $symbol) {\n    symbol\n    baseInterval\n    dataVersion\n    coverage {\n      firstTime\n      lastTime\n      expectedBars\n      presentBars\n      missingBars\n      gaps(minMissing: $minMissing, first: $first, after: $after) {\n        totalCount\n        edges {\n          node {\n            from\n            to\n            missingBars\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n}": typeof types.InstrumentCoverageDocument,
    "query Instruments($first: Int, $after: String, $search: String) {\n  instruments(first: $first, after: $after, search: $search) {\n    edges {\n      node {\n        id\n        symbol\n        name\n        baseInterval\n        latestCandle {\n          time\n          close\n        }\n        summary {\n          change24h\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": typeof types.InstrumentsDocument,
    "query MarketSummary($symbols: [String!]) {\n  marketSummary(symbols: $symbols) {\n    symbol\n    name\n    asOf\n    lastPrice\n    change24h\n    change7d\n    change30d\n    high24h\n    low24h\n    volume24h\n    allTimeHigh\n    allTimeLow\n    candleCount\n    firstTime\n  }\n}": typeof types.MarketSummaryDocument,
    "query SystemInfo {\n  systemInfo {\n    version\n    embedded\n    database {\n      timescaledb\n      timescaledbVersion\n      serverVersion\n    }\n    queueMode\n    pubsubMode\n  }\n}": typeof types.SystemInfoDocument,
    "query TopMovers($window: MoverWindow, $direction: MoverDirection, $limit: Int) {\n  topMovers(window: $window, direction: $direction, limit: $limit) {\n    symbol\n    lastPrice\n    change24h\n    change7d\n    change30d\n  }\n}": typeof types.TopMoversDocument,
    "query Viewer {\n  viewer {\n    owner\n    role\n    anonymous\n  }\n}": typeof types.ViewerDocument,
};
const documents: Documents = {
    "query ApiKeys($first: Int, $after: String) {\n  apiKeys(first: $first, after: $after) {\n    edges {\n      node {\n        id\n        owner\n        role\n        prefix\n        createdAt\n        revokedAt\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": types.ApiKeysDocument,
    "query Candles($symbol: String!, $interval: String!, $from: DateTime!, $to: DateTime!, $maxPoints: Int) {\n  candles(\n    symbol: $symbol\n    interval: $interval\n    from: $from\n    to: $to\n    maxPoints: $maxPoints\n  ) {\n    symbol\n    interval\n    source\n    candles {\n      time\n      open\n      high\n      low\n      close\n      volume\n    }\n  }\n}": types.CandlesDocument,
    "mutation IngestCandles($input: IngestCandlesInput!) {\n  ingestCandles(input: $input) {\n    __typename\n    ... on IngestCandlesPayload {\n      created\n      received\n      inserted\n      updated\n      unchanged\n      dataVersion\n      instrument {\n        symbol\n        baseInterval\n      }\n    }\n    ... on ValidationError {\n      message\n      code\n      issues {\n        path\n        message\n      }\n    }\n    ... on ForbiddenError {\n      message\n      code\n    }\n  }\n}": types.IngestCandlesDocument,
    "query InstrumentCoverage($symbol: String!, $minMissing: Int, $first: Int, $after: String) {\n  instrument(symbol: $symbol) {\n    symbol\n    baseInterval\n    dataVersion\n    coverage {\n      firstTime\n      lastTime\n      expectedBars\n      presentBars\n      missingBars\n      gaps(minMissing: $minMissing, first: $first, after: $after) {\n        totalCount\n        edges {\n          node {\n            from\n            to\n            missingBars\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n}": types.InstrumentCoverageDocument,
    "query Instruments($first: Int, $after: String, $search: String) {\n  instruments(first: $first, after: $after, search: $search) {\n    edges {\n      node {\n        id\n        symbol\n        name\n        baseInterval\n        latestCandle {\n          time\n          close\n        }\n        summary {\n          change24h\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": types.InstrumentsDocument,
    "query MarketSummary($symbols: [String!]) {\n  marketSummary(symbols: $symbols) {\n    symbol\n    name\n    asOf\n    lastPrice\n    change24h\n    change7d\n    change30d\n    high24h\n    low24h\n    volume24h\n    allTimeHigh\n    allTimeLow\n    candleCount\n    firstTime\n  }\n}": types.MarketSummaryDocument,
    "query SystemInfo {\n  systemInfo {\n    version\n    embedded\n    database {\n      timescaledb\n      timescaledbVersion\n      serverVersion\n    }\n    queueMode\n    pubsubMode\n  }\n}": types.SystemInfoDocument,
    "query TopMovers($window: MoverWindow, $direction: MoverDirection, $limit: Int) {\n  topMovers(window: $window, direction: $direction, limit: $limit) {\n    symbol\n    lastPrice\n    change24h\n    change7d\n    change30d\n  }\n}": types.TopMoversDocument,
    "query Viewer {\n  viewer {\n    owner\n    role\n    anonymous\n  }\n}": types.ViewerDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query ApiKeys($first: Int, $after: String) {\n  apiKeys(first: $first, after: $after) {\n    edges {\n      node {\n        id\n        owner\n        role\n        prefix\n        createdAt\n        revokedAt\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"): (typeof documents)["query ApiKeys($first: Int, $after: String) {\n  apiKeys(first: $first, after: $after) {\n    edges {\n      node {\n        id\n        owner\n        role\n        prefix\n        createdAt\n        revokedAt\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Candles($symbol: String!, $interval: String!, $from: DateTime!, $to: DateTime!, $maxPoints: Int) {\n  candles(\n    symbol: $symbol\n    interval: $interval\n    from: $from\n    to: $to\n    maxPoints: $maxPoints\n  ) {\n    symbol\n    interval\n    source\n    candles {\n      time\n      open\n      high\n      low\n      close\n      volume\n    }\n  }\n}"): (typeof documents)["query Candles($symbol: String!, $interval: String!, $from: DateTime!, $to: DateTime!, $maxPoints: Int) {\n  candles(\n    symbol: $symbol\n    interval: $interval\n    from: $from\n    to: $to\n    maxPoints: $maxPoints\n  ) {\n    symbol\n    interval\n    source\n    candles {\n      time\n      open\n      high\n      low\n      close\n      volume\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation IngestCandles($input: IngestCandlesInput!) {\n  ingestCandles(input: $input) {\n    __typename\n    ... on IngestCandlesPayload {\n      created\n      received\n      inserted\n      updated\n      unchanged\n      dataVersion\n      instrument {\n        symbol\n        baseInterval\n      }\n    }\n    ... on ValidationError {\n      message\n      code\n      issues {\n        path\n        message\n      }\n    }\n    ... on ForbiddenError {\n      message\n      code\n    }\n  }\n}"): (typeof documents)["mutation IngestCandles($input: IngestCandlesInput!) {\n  ingestCandles(input: $input) {\n    __typename\n    ... on IngestCandlesPayload {\n      created\n      received\n      inserted\n      updated\n      unchanged\n      dataVersion\n      instrument {\n        symbol\n        baseInterval\n      }\n    }\n    ... on ValidationError {\n      message\n      code\n      issues {\n        path\n        message\n      }\n    }\n    ... on ForbiddenError {\n      message\n      code\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query InstrumentCoverage($symbol: String!, $minMissing: Int, $first: Int, $after: String) {\n  instrument(symbol: $symbol) {\n    symbol\n    baseInterval\n    dataVersion\n    coverage {\n      firstTime\n      lastTime\n      expectedBars\n      presentBars\n      missingBars\n      gaps(minMissing: $minMissing, first: $first, after: $after) {\n        totalCount\n        edges {\n          node {\n            from\n            to\n            missingBars\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n}"): (typeof documents)["query InstrumentCoverage($symbol: String!, $minMissing: Int, $first: Int, $after: String) {\n  instrument(symbol: $symbol) {\n    symbol\n    baseInterval\n    dataVersion\n    coverage {\n      firstTime\n      lastTime\n      expectedBars\n      presentBars\n      missingBars\n      gaps(minMissing: $minMissing, first: $first, after: $after) {\n        totalCount\n        edges {\n          node {\n            from\n            to\n            missingBars\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Instruments($first: Int, $after: String, $search: String) {\n  instruments(first: $first, after: $after, search: $search) {\n    edges {\n      node {\n        id\n        symbol\n        name\n        baseInterval\n        latestCandle {\n          time\n          close\n        }\n        summary {\n          change24h\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"): (typeof documents)["query Instruments($first: Int, $after: String, $search: String) {\n  instruments(first: $first, after: $after, search: $search) {\n    edges {\n      node {\n        id\n        symbol\n        name\n        baseInterval\n        latestCandle {\n          time\n          close\n        }\n        summary {\n          change24h\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query MarketSummary($symbols: [String!]) {\n  marketSummary(symbols: $symbols) {\n    symbol\n    name\n    asOf\n    lastPrice\n    change24h\n    change7d\n    change30d\n    high24h\n    low24h\n    volume24h\n    allTimeHigh\n    allTimeLow\n    candleCount\n    firstTime\n  }\n}"): (typeof documents)["query MarketSummary($symbols: [String!]) {\n  marketSummary(symbols: $symbols) {\n    symbol\n    name\n    asOf\n    lastPrice\n    change24h\n    change7d\n    change30d\n    high24h\n    low24h\n    volume24h\n    allTimeHigh\n    allTimeLow\n    candleCount\n    firstTime\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query SystemInfo {\n  systemInfo {\n    version\n    embedded\n    database {\n      timescaledb\n      timescaledbVersion\n      serverVersion\n    }\n    queueMode\n    pubsubMode\n  }\n}"): (typeof documents)["query SystemInfo {\n  systemInfo {\n    version\n    embedded\n    database {\n      timescaledb\n      timescaledbVersion\n      serverVersion\n    }\n    queueMode\n    pubsubMode\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query TopMovers($window: MoverWindow, $direction: MoverDirection, $limit: Int) {\n  topMovers(window: $window, direction: $direction, limit: $limit) {\n    symbol\n    lastPrice\n    change24h\n    change7d\n    change30d\n  }\n}"): (typeof documents)["query TopMovers($window: MoverWindow, $direction: MoverDirection, $limit: Int) {\n  topMovers(window: $window, direction: $direction, limit: $limit) {\n    symbol\n    lastPrice\n    change24h\n    change7d\n    change30d\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Viewer {\n  viewer {\n    owner\n    role\n    anonymous\n  }\n}"): (typeof documents)["query Viewer {\n  viewer {\n    owner\n    role\n    anonymous\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;