// Prisma CLI configuration (Prisma 7 reads the connection URL from here, not the schema).
// On machines without the schema-engine binary, `prisma migrate` cannot run; quantql applies
// the same migration folders itself (`npm run db:migrate`, src/db/migrate.ts).
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost/quantql' },
});
