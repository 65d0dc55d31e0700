export async function serviceCommand(cmd: string, _a: { stateDir: string }): Promise<number> {
  console.error(`posture-agent ${cmd}: not available yet`);
  return 1;
}
