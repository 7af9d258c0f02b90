// /api/v1/xid and /api/v1/sxid on the gateway: the Xid catalog (xid-db/), served from the same data
// the CLI reads offline. One entry is the catalog's own XidEntry / SxidEntry (xid/catalog-schema.ts):
// GET /api/v1/xid/:code answers an XidEntry, GET /api/v1/sxid/:code an SxidEntry.
import { z } from 'zod';
import { XidEntry } from '../xid/catalog-schema.ts';

/** GET /api/v1/xid (`?severity=` filters) and GET /api/v1/xid/search?q=: the matching entries. */
export const XidListResponse = z.strictObject({ entries: z.array(XidEntry) });
export type XidListResponse = z.infer<typeof XidListResponse>;
