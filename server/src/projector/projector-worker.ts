/**
 * The projector on a worker thread of its own (thread.ts, POSTURE_PROJECTOR_THREAD): the same
 * Projector — advisory-locked partitions, position moved in the pass's transaction, so
 * exactly-once is the database's, not this thread's — with its own PostgreSQL pool. The main
 * thread sends wake-ups, the policy in force and the alert kinds; this thread sends back each
 * pass's lags (for the metrics) and its log lines. Payloads are read from the log (no cache
 * shared across threads).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Policy } from '#shared/policy/schema.js';
import { openPg } from '../db/pg.js';
import { Projector } from './projector.js';
import type { ProjectorThreadData, ToProjectorThread } from './thread.js';

const data = workerData as ProjectorThreadData;
let policy: Policy = data.policy;
let alertKinds: string[] = data.alertOn;
const port = parentPort!;
const db = openPg(data.databaseUrl, { max: data.poolMax });
const projector = new Projector(db, { get policy() { return policy; } }, {
  alertOn: () => alertKinds,
  onProjected: (lags) => port.postMessage({ type: 'projected', lags }),
  log: {
    warn: (o, m) => port.postMessage({ type: 'log', level: 'warn', o, m }),
    error: (o, m) => port.postMessage({ type: 'log', level: 'error', o, m }),
  },
});

port.on('message', (m: ToProjectorThread) => {
  if (m.type === 'wake') {
    alertKinds = m.alertOn;
    projector.wake();
  } else if (m.type === 'policy') policy = m.policy;
  else if (m.type === 'stop')
    void projector
      .stop()
      .then(() => db.close())
      .finally(() => port.postMessage({ type: 'stopped' }));
});
projector.start();
