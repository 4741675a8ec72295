import { tsImport } from 'tsx/esm/api';

export default async function globalTeardown() {
  const { teardownDatabases } = await tsImport('./databases.setup.ts', import.meta.url);
  await teardownDatabases();
}
