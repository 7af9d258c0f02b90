// /api/v1/config: the whole config, secrets redacted.
import { Router } from 'express';
import { redactConfig, type ConfigResponse, type ConfigStore } from '@aami/shared';
import { setRevision } from '../revision.ts';

export function configRouter(store: ConfigStore): Router {
  const r = Router();
  r.get('/', async (_req, res) => {
    const { config, revision } = await store.read();
    setRevision(res, revision);
    const answer: ConfigResponse = { revision, config: redactConfig(config) };
    res.json(answer);
  });
  return r;
}
