/**
 * Why custom checks use RE2: a pattern that backtracks catastrophically, side by side in
 * JavaScript's RegExp and in re2js (the engine the agent uses), plus re2js on the largest file
 * a file-content probe may read (4 MiB). Run: npx tsx scripts/bench/custom-regex.ts
 * Target: RE2 on 4 MiB under 5 s on these 2-core machines (the per-check budget is 15 s).
 */
import { compileRegex } from '../../shared/src/custom-checks/regex.js';

const small = 'a'.repeat(26) + '!';
let t = performance.now();
/^(a+)+$/.test(small);
const js = performance.now() - t;
const re = compileRegex('^(a+)+$');
if (!re.ok) throw new Error(re.error);
t = performance.now();
re.re.matcher(small).find();
const re2Small = performance.now() - t;
const big = 'a'.repeat(4 * 1024 * 1024 - 1) + '!';
t = performance.now();
re.re.matcher(big).find();
const re2Big = performance.now() - t;
console.log(`catastrophic /^(a+)+$/, 27 chars: JS RegExp ${js.toFixed(0)} ms, RE2 ${re2Small.toFixed(2)} ms (ratio ${(js / Math.max(re2Small, 0.01)).toFixed(0)}x)`);
console.log(`RE2 on 4 MiB (max file-content read): ${re2Big.toFixed(0)} ms (target < 5000 ms) ${re2Big < 5000 ? 'OK' : 'OVER'}`);
