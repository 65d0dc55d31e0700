export async function openCommand(_a: { stateDir: string; print: boolean }): Promise<number> {
  console.error('posture-agent open: not available yet');
  return 1;
}
