import type { Config } from '../../config/env.js';
import type { Dialect } from '../../db/dialect.js';
import { VERSION } from '../../lib/version.js';

export interface SystemInfo {
  version: string;
  embedded: boolean;
  database: Dialect;
  queueMode: Config['queueMode'];
  pubsubMode: Config['pubsubMode'];
}

/** What this deployment runs on; safe to show to any reader (no addresses or credentials). */
export function getSystemInfo(deps: { config: Config; dialect: Dialect }): SystemInfo {
  return {
    version: VERSION,
    embedded: deps.config.embedded,
    database: deps.dialect,
    queueMode: deps.config.queueMode,
    pubsubMode: deps.config.pubsubMode,
  };
}
