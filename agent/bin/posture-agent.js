#!/usr/bin/env node
// posture-agent from source (npm link / npx): load the TypeScript sources through tsx.
// The packaged agent is the single executable built by `npm run build:agent`.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
