// /api/v1/whoami: which token is calling and what it may do (the UI shows read-only controls).
import { Router } from 'express';

export function whoamiRouter(): Router {
  const r = Router();
  r.get('/', (req, res) => {
    res.json({ name: req.principal?.name, role: req.principal?.role });
  });
  return r;
}
