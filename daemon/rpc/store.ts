/** store.* handlers: the health of the daemon's database. */
import { integrityMessages } from '../store/db.js';
import { RpcError } from '../errors.js';
import type { HandlerTable } from './context.js';

export const storeHandlers: HandlerTable<'store.integrity'> = {
  'store.integrity': (ctx) => {
    let messages: string[];
    try {
      messages = integrityMessages(ctx.db);
    } catch (err) {
      throw new RpcError('StoreUnavailable', `integrity_check could not run: ${(err as Error).message}`);
    }
    return { ok: messages.length === 1 && messages[0] === 'ok', messages, dbPath: ctx.layout.dbPath };
  },
};
