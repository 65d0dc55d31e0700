#!/usr/bin/env node
/**
 * posture-agent: enroll | run | check | status | open | install | uninstall
 * Exit codes: 0 ok, 1 error, 2 usage, 3 not enrolled, 4 revoked, 10 permission (state not
 * readable and no running agent answered; see `status` for more).
 */
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { locateStateDir, resolveStateDir } from '../state/paths.js';
import { NotEnrolledError, StatePermissionError, loadConfig, saveConfig } from '../state/config.js';

/** Same number as STATUS_EXIT.pending (cli/status.ts), kept here so `enroll` need not load status. */
const STATUS_EXIT_PENDING = 8;

const USAGE = `Usage: posture-agent <command> [options]

Commands:
  enroll --server URL --secret SECRET [--owner EMAIL] [--tag T ...] [--ca-file PEM] [--pin SHA256]
                          Register this machine with a Posture collector
                          (--owner: the employee who uses it; --tag: for rule-based device groups).
  run [--interval SECONDS] [--enroll-config FILE|registry:KEY]
                          Run the agent: check on schedule and report (foreground).
                          --enroll-config: not enrolled yet? enroll first from the
                          SERVER/SECRET/OWNER written there at install (packages).
  check [--json] [--root DIR] [--only ID,ID] [--explain] [--policy FILE]
                          Run all checks once and print the results (no report is sent).
                          --explain: per check, every command/file read, what was
                          extracted and which rule decided.
                          Custom checks come from the enrolled agent's policy, or from a
                          policy file (YAML/JSON, full or a policies/ snippet) with --policy.
  status [--json] [--what-is-collected]
                          Show this machine's compliance state and how to fix failures.
                          Exit: 0 compliant, 5 failing (within grace), 6 noncompliant,
                          7 unknown/not yet checked, 4 revoked, 3 not enrolled, 1 error,
                          8 enrollment pending approval, 9 key replaced by another install,
                          10 permission denied (no running agent answered and the state
                          is not readable: start the service or use sudo).
                          Asks the running agent first (local channel), so no sudo is needed.
  open [--print]          Open this device's page on the collector (no admin login needed);
                          the running agent signs the link, so no sudo is needed.
  install / uninstall     Register or remove the agent as a system service.

Common options:
  --state-dir DIR         Agent state directory (or POSTURE_AGENT_DIR).
  -h, --help              Show this help.`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // The resident stays small when its probes run in a child (runtime/resident-heap.ts).
  if (command === 'run' && process.env.POSTURE_CYCLE_IN_PROCESS !== '1') (await import('../runtime/resident-heap.js')).keepYoungGenerationSmall();
  if (command === '--version' || command === 'version') {
    const { AGENT_VERSION } = await import('../version.js');
    console.log(AGENT_VERSION);
    return 0;
  }
  if (command === '--help' || command === '-h') {
    console.log(USAGE);
    return 0;
  }
  const { values } = parseArgs({
    args: rest,
    allowPositionals: true,
    strict: false,
    options: {
      server: { type: 'string' },
      secret: { type: 'string' },
      owner: { type: 'string' },
      'state-dir': { type: 'string' },
      'ca-file': { type: 'string' },
      pin: { type: 'string', multiple: true },
      tag: { type: 'string', multiple: true },
      interval: { type: 'string' },
      'enroll-config': { type: 'string' },
      json: { type: 'boolean' },
      explain: { type: 'boolean' },
      root: { type: 'string' },
      only: { type: 'string' },
      policy: { type: 'string' },
      print: { type: 'boolean' },
      'what-is-collected': { type: 'boolean' },
      'update-trial': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const v = values as Record<string, string | boolean | string[] | undefined>;
  // A mistyped flag (`--jsn`) must not silently give a different output with exit 0.
  // install/uninstall read --binary and --dry-run themselves (service.ts).
  const known = new Set(['server', 'secret', 'owner', 'tag', 'state-dir', 'ca-file', 'pin', 'interval', 'json', 'explain', 'policy', 'root', 'only', 'print', 'what-is-collected', 'update-trial', 'enroll-config', 'help', 'h', 'binary', 'dry-run']);
  const unknown = Object.keys(v).filter((k) => !known.has(k));
  if (unknown.length) {
    console.error(`posture-agent ${command}: unknown option ${unknown.map((k) => (k.length === 1 ? `-${k}` : `--${k}`)).join(', ')}\n\n${USAGE}`);
    return 2;
  }
  if (!command || v.help || command === 'help') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  // status/open also find the system service's agent (or `npm start`'s) for a user without one.
  const stateDir = command === 'status' || command === 'open' ? locateStateDir(v['state-dir'] as string | undefined) : resolveStateDir(v['state-dir'] as string | undefined);
  try {
    switch (command) {
      case 'enroll': {
        if (!v.server || !v.secret) {
          console.error('posture-agent enroll: --server URL and --secret SECRET are required');
          return 2;
        }
        if (v.owner !== undefined && !/^[^\s@]{1,200}@[^\s@]{1,200}$/.test(String(v.owner))) {
          console.error(`posture-agent enroll: --owner must be the owner's email address (got "${String(v.owner)}")`);
          return 2;
        }
        const tags = (v.tag as string[] | undefined) ?? [];
        const badTag = tags.find((t) => !/^[a-z0-9][a-z0-9._-]{0,63}$/.test(t));
        if (badTag !== undefined) {
          console.error(`posture-agent enroll: --tag must be lower-case letters, digits, '.', '_' or '-' (up to 64; got "${badTag}")`);
          return 2;
        }
        const { enroll, EnrollPending } = await import('./enroll.js');
        try {
          const cfg = await enroll({ server: String(v.server), secret: String(v.secret), owner: v.owner === undefined ? undefined : String(v.owner), tags, stateDir, caFile: v['ca-file'] as string | undefined, pinSha256: v.pin as string[] | undefined });
          console.log(`Enrolled as device ${cfg.deviceId} with ${cfg.server}. State: ${stateDir}`);
          return 0;
        } catch (e) {
          if (!(e instanceof EnrollPending)) throw e;
          console.log(
            `Pending approval: ${e.message}\nRequest ${e.pendingId}; ask IT to approve it on the device's page. \`posture-agent status\` shows the outcome; \`posture-agent run\` starts reporting once approved.`,
          );
          return STATUS_EXIT_PENDING;
        }
      }
      case 'run': {
        if (v['enroll-config'] !== undefined && !v['update-trial']) {
          const { enrollOnFirstStart } = await import('./first-start.js');
          const code = await enrollOnFirstStart(stateDir, String(v['enroll-config']));
          if (code !== null) return code;
        }
        if (v.interval !== undefined) {
          const n = Number(v.interval);
          if (!Number.isInteger(n) || n < 5) {
            console.error('posture-agent run: --interval must be an integer number of seconds ≥ 5');
            return 2;
          }
          saveConfig(stateDir, { ...loadConfig(stateDir), intervalOverrideSec: n });
        }
        const { runAgent } = await import('./run.js');
        return await runAgent(stateDir, { trial: !!v['update-trial'] });
      }
      case 'check': {
        const { checkCommand } = await import('./check.js');
        const { isCheckId } = await import('#shared/checks/ids.js');
        const only = v.only ? String(v.only).split(',').map((x) => x.trim()) : undefined;
        const bad = only?.filter((x) => !isCheckId(x));
        if (bad?.length) {
          console.error(`posture-agent check: unknown check id(s): ${bad.join(', ')}`);
          return 2;
        }
        // A mistyped --root would silently read nothing under it and report misleading verdicts.
        const root = (v.root as string | undefined) ?? process.env.POSTURE_ROOT;
        if (root && !existsSync(root)) {
          console.error(`posture-agent check: --root ${root}: no such directory`);
          return 2;
        }
        const { loadCustomChecks } = await import('./check-policy.js');
        const custom = loadCustomChecks(stateDir, v.policy as string | undefined);
        if (!custom.ok) {
          console.error(`posture-agent check: ${custom.errors.join('\n  ')}`);
          return 2;
        }
        return await checkCommand({ json: !!v.json, root: v.root as string | undefined, only: only as never, explain: !!v.explain, customChecks: custom.checks });
      }
      case 'status': {
        const { statusCommand } = await import('./status.js');
        return await statusCommand({ stateDir, json: !!v.json, whatIsCollected: !!v['what-is-collected'] });
      }
      case 'open': {
        const { openCommand } = await import('./open.js');
        return await openCommand({ stateDir, print: !!v.print });
      }
      case 'install':
      case 'uninstall': {
        const { serviceCommand } = await import('./service.js');
        return await serviceCommand(command, { stateDir });
      }
      default:
        console.error(`posture-agent: unknown command "${command}"\n\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    if (e instanceof NotEnrolledError) {
      console.error(`posture-agent: ${e.message}`);
      // Scripts asked for JSON: give them a parsable answer too, not an empty stdout.
      if (command === 'status' && v.json) console.log(JSON.stringify({ state: 'not_enrolled', exitCode: 3, stateDir }, null, 2));
      return 3;
    }
    if (e instanceof StatePermissionError && (command === 'status' || command === 'open')) {
      // Never "not enrolled": the state is there, this user may not read it, and no agent answered.
      const { permissionMessage } = await import('./open.js');
      const { STATUS_EXIT } = await import('./status.js');
      console.error(permissionMessage(command, stateDir, ''));
      if (command === 'status' && v.json) console.log(JSON.stringify({ state: 'permission_denied', exitCode: STATUS_EXIT.permission, stateDir }, null, 2));
      return STATUS_EXIT.permission;
    }
    const name = (e as Error).constructor?.name;
    console.error(`posture-agent ${command}: ${(e as Error).message}`);
    if (name !== 'EnrollError' && process.env.POSTURE_DEBUG) console.error(e);
    return 1;
  }
}

// The probe cycle's child process (runtime/child-cycle.ts): not a user command.
const entry = process.argv[2] === '__cycle' ? import('../runtime/child-cycle.js').then((m) => m.cycleChildMain()) : main(process.argv.slice(2));
entry.then(
  (code) => {
    if (code !== -1) process.exitCode = code;
  },
  (e) => {
    console.error(e);
    process.exitCode = 1;
  },
);
