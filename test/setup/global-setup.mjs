// Jest loads global setup outside its module system (no moduleNameMapper, no transform of
// ESM TypeScript), so the TypeScript is loaded with tsx's loader API instead.
import { tsImport } from 'tsx/esm/api';

export default async function globalSetup() {
  const { setupDatabases } = await tsImport('./databases.setup.ts', import.meta.url);
  await setupDatabases();
}
