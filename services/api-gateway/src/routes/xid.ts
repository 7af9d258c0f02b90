// /api/v1/xid and /api/v1/sxid: the Xid catalog, served from the same data the CLI reads offline.
import { Router } from 'express';
import { NotFoundError, ValidationError, loadXidCatalog, XidSeverity } from '@aami/shared';

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
    res.json({ entries: catalog.listXid(sev === undefined ? {} : { severity: XidSeverity.parse(sev) }) });
  });
  r.get('/xid/search', (req, res) => {
    const q = String(req.query.q ?? '').trim();
    if (!q) throw new ValidationError('give a word to search for', [{ path: 'q', message: 'must not be empty' }]);
    const catalog = loadXidCatalog();
    res.json({ entries: /^\d+$/.test(q) && catalog.getXid(Number(q)) ? [catalog.getXid(Number(q))] : catalog.searchXid(q).map((h) => h.entry) });
  });
  r.get('/xid/:code', (req, res) => {
    const code = parseCode(req.params.code);
    const entry = loadXidCatalog().getXid(code);
    if (!entry) throw new NotFoundError(`Xid ${code} is not in the catalog (NVIDIA documents 1 to 176)`);
    res.json(entry);
  });
  r.get('/sxid/:code', (req, res) => {
    const code = parseCode(req.params.code);
    const entry = loadXidCatalog().getSxid(code);
    if (!entry) throw new NotFoundError(`SXid ${code} is not in the catalog`);
    res.json(entry);
  });
  return r;
}
