// /api/v1/xid and /api/v1/sxid: the Xid catalog, served from the same data the CLI reads offline.
// Answers are the shared contract (shared/src/api/xid.ts: the catalog's own entries).
import { Router } from 'express';
import { NotFoundError, ValidationError, loadXidCatalog, XidSeverity, type SxidEntry, type XidEntry, type XidListResponse } from '@aami/shared';

const parseCode = (raw: string) => {
  if (!/^\d+$/.test(raw)) throw new ValidationError(`"${raw}" is not an Xid number`, [{ path: 'code', message: 'must be a whole number' }]);
  return Number(raw);
};

export function xidRouter(): Router {
  const r = Router();
  r.get('/xid', (req, res) => {
    const catalog = loadXidCatalog();
    const sev = req.query.severity;
    if (sev !== undefined && !XidSeverity.safeParse(sev).success) throw new ValidationError('severity must be critical, warning or info', [{ path: 'severity', message: `"${String(sev)}" is not a severity` }]);
    const answer: XidListResponse = { entries: catalog.listXid(sev === undefined ? {} : { severity: XidSeverity.parse(sev) }) };
    res.json(answer);
  });
  r.get('/xid/search', (req, res) => {
    const q = String(req.query.q ?? '').trim();
    if (!q) throw new ValidationError('give a word to search for', [{ path: 'q', message: 'must not be empty' }]);
    const catalog = loadXidCatalog();
    const exact = /^\d+$/.test(q) ? catalog.getXid(Number(q)) : undefined;
    const answer: XidListResponse = { entries: exact ? [exact] : catalog.searchXid(q).map((h) => h.entry) };
    res.json(answer);
  });
  r.get('/xid/:code', (req, res) => {
    const code = parseCode(req.params.code);
    const entry = loadXidCatalog().getXid(code);
    if (!entry) throw new NotFoundError(`Xid ${code} is not in the catalog (NVIDIA documents 1 to 176)`);
    const answer: XidEntry = entry;
    res.json(answer);
  });
  r.get('/sxid/:code', (req, res) => {
    const code = parseCode(req.params.code);
    const entry = loadXidCatalog().getSxid(code);
    if (!entry) throw new NotFoundError(`SXid ${code} is not in the catalog`);
    const answer: SxidEntry = entry;
    res.json(answer);
  });
  return r;
}
