/**
 * A local-channel client run as another account by test/local/proof-channel.test.ts (through
 * runuser): reads a secret with the real client code and asks the agent. Prints one JSON line.
 * argv: socket path, secrets root, mode (`own`: my uid's secret; `steal:<id>`: read another's;
 * `claim:<id>`: sign with my secret but claim <id>; `none`: no auth), request type.
 */
import { askAgent } from '../../../agent/src/local/client.js';
import { loadClientKey } from '../../../agent/src/local/proof/client-key.js';

const [path, root, mode, type] = process.argv.slice(2) as [string, string, string, 'status' | 'open' | 'check-now'];
const self = String(process.getuid!());
const [how, other] = mode.split(':');
let key: { id: string; secret: Buffer } | undefined;
if (how !== 'none') {
  const k = await loadClientKey(root, how === 'steal' ? other! : self);
  if ('error' in k) {
    console.log(JSON.stringify({ keyError: k.error }));
    process.exit(0);
  }
  key = how === 'claim' ? { id: other!, secret: k.secret } : k;
}
console.log(JSON.stringify(await askAgent(path, { v: 1, type }, 15_000, key)));
