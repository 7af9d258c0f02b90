// GET /api/v1/doctor (any valid token): every doctor check of the installation, worst first, as
// DoctorResponse (shared/src/api/doctor.ts). The answer is 200 whatever it found: findings are
// data, and a source that did not answer is one of them. The checks are src/doctor/'s. A run
// reaches every node over SSH, so requests that arrive while one is going get that run's answer
// instead of starting another: a viewer cannot multiply the SSH fan-out by asking many times.
import { Router } from 'express';
import type { ConfigStore, DoctorResponse, RuntimeSettings } from '@aami/shared';
import { createDoctorSources, doctorChecks, runDoctor } from '../doctor/index.ts';

export interface DoctorRouterDeps {
  store: Pick<ConfigStore, 'read'>;
  settings: RuntimeSettings;
  /** The gateway's own version (its line in the services check). */
  version: string;
  serviceToken: string;
}

export function doctorRouter(deps: DoctorRouterDeps): Router {
  const r = Router();
  let running: Promise<DoctorResponse> | undefined;
  r.get('/', async (_req, res) => {
    running ??= runDoctor(doctorChecks(createDoctorSources(deps))).finally(() => { running = undefined; });
    res.json(await running);
  });
  return r;
}
