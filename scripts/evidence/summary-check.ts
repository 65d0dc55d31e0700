/**
 * summary.html's figures recomputed (issue 13): every element carrying `data-figure` is
 * compared, by name, with summaryFigures() (shared/src/evidence/summary-figures.ts, the code
 * the exporter printed them with) applied to the fleet aggregate the verifier recomputed from
 * the signed reports (recompute.ts) and to the counts of the bundle's own files. A figure that
 * differs, is missing, is shown twice, or is not one the page should show fails, naming the
 * figure, the value found and the value recomputed.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { FleetAggregate } from '#shared/evidence/aggregate.js';
import { summaryFigures } from '#shared/evidence/summary-figures.js';

type Problem = (file: string, message: string) => void;
const FILE = 'summary.html';
const MAX_PROBLEMS = 50;

const UNESCAPE: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&#96;': '`' };
const unescapeHtml = (s: string) => s.replace(/&(?:amp|lt|gt|quot|#39|#96);/g, (m) => UNESCAPE[m]);

/** CSV records in a file, header excluded (a quoted field may span lines), streamed. */
export async function countCsvRecords(path: string): Promise<number> {
  const rl = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  let n = 0;
  let open = false;
  for await (const line of rl) {
    const wasOpen = open;
    if ((line.split('"').length - 1) % 2) open = !open;
    if (!wasOpen && line !== '') n++;
  }
  return Math.max(0, n - 1);
}

/** Compare summary.html with the recomputed figures; how many were compared, or null when the page carries none (older bundle). */
export async function checkSummary(dir: string, agg: FleetAggregate, reports: number, problemRaw: Problem): Promise<number | null> {
  let n = 0;
  const problem = (m: string) => {
    n++;
    if (n <= MAX_PROBLEMS) problemRaw(FILE, m);
    else if (n === MAX_PROBLEMS + 1) problemRaw(FILE, 'more summary figure mismatches not listed');
  };
  const page = await readFile(join(dir, FILE), 'utf8');
  const found = new Map<string, string[]>();
  // Elements the exporter writes as <tag ... data-figure="name">text</tag>, text escaped, no markup inside.
  for (const m of page.matchAll(/<([a-z]+)\b[^>]*\sdata-figure="([^"]*)"[^>]*>([^<]*)<\/\1>/g)) {
    const name = unescapeHtml(m[2]);
    const l = found.get(name) ?? [];
    l.push(unescapeHtml(m[3]));
    found.set(name, l);
  }
  // A bundle exported before summary.html carried its figures: nothing to compare, and the
  // verifier says so (the caller prints a NOTE and a verdict that does not claim them).
  if (!/\sdata-figure="/.test(page)) return null;
  // A data-figure the pattern above cannot read (markup inserted inside it) must not slip through unchecked.
  const tagged = page.match(/\sdata-figure="/g)?.length ?? 0;
  const read = [...found.values()].reduce((a, l) => a + l.length, 0);
  if (tagged !== read) problem(`${tagged - read} data-figure element(s) hold markup instead of a plain figure`);
  const counts = {
    events: await countCsvRecords(join(dir, 'events.csv')),
    reports,
    exclusions: await countCsvRecords(join(dir, 'exclusions.csv')),
  };
  const want = summaryFigures(agg, counts);
  for (const [name, value] of want) {
    const got = found.get(name);
    found.delete(name);
    if (!got) problem(`figure ${name}: missing, recomputed ${value}`);
    else if (got.length > 1) problem(`figure ${name}: shown ${got.length} times (${got.join(' / ')}), recomputed ${value}`);
    else if (got[0] !== value) problem(`figure ${name}: found ${got[0]}, recomputed ${value}`);
  }
  for (const [name, got] of found) problem(`figure ${name}: found ${got.join(' / ')}, but the recomputed figures have no such figure`);
  return want.length;
}
