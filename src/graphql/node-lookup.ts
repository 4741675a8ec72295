import { decodeGlobalID, resolveNodes } from '@pothos/plugin-relay';
import { isUuid } from '../lib/ids.js';
import { builder } from './builder.js';

/**
 * `node(id:)` and `nodes(ids:)`, written here instead of the relay plugin's own fields: the
 * plugin parses ids as arguments, so an id that is not a global id, or names a type without
 * nodes, fails the whole request ("Invalid global ID", "… has not been implemented"), and a
 * well-formed id of the wrong shape (not a UUID) reached the database as a bad cast. Here
 * such ids answer null, as a missing or invisible row does (issue 13, finding 3); loading
 * itself is still the plugin's (`resolveNodes`: batched per type, auth scopes applied).
 */
const ID_SHAPES: Record<string, (raw: string) => boolean> = {
  Backtest: isUuid,
  BacktestBatch: isUuid,
  Strategy: isUuid,
  ApiKey: isUuid,
  Instrument: (raw) => /^[1-9]\d{0,9}$/.test(raw) && Number(raw) <= 2_147_483_647,
};

/** A global id of a node type whose raw part has that type's shape; null otherwise. */
function parseNodeId(id: string): { typename: string; id: string } | null {
  try {
    const decoded = decodeGlobalID(id);
    return ID_SHAPES[decoded.typename]?.(decoded.id) ? { typename: decoded.typename, id: decoded.id } : null;
  } catch {
    return null;
  }
}

builder.queryFields((t) => ({
  node: t.field({
    type: builder.nodeInterfaceRef(),
    nullable: true,
    description: 'The object with this global id; null when unknown or not visible to you.',
    authScopes: { reader: true },
    args: { id: t.arg.id({ required: true, description: 'A global id.' }) },
    resolve: async (_root, args, ctx, info) => (await resolveNodes(builder, ctx, info, [parseNodeId(String(args.id))]))[0] ?? null,
  }),
  nodes: t.field({
    type: [builder.nodeInterfaceRef()],
    nullable: { list: false, items: true },
    description: 'The objects with these global ids, in order; null where unknown or not visible to you.',
    authScopes: { reader: true },
    args: { ids: t.arg.idList({ required: true, description: 'Global ids.' }) },
    resolve: (_root, args, ctx, info) => resolveNodes(builder, ctx, info, args.ids.map((id) => parseNodeId(String(id)))),
  }),
}));
