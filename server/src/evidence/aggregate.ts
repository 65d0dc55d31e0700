/** Moved to shared/src/evidence/aggregate.ts: the verifier recomputes controls.csv with the same code. */
export * from '#shared/evidence/aggregate.js';
