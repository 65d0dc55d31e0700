/**
 * macOS: Apple announces no end dates; in practice the three newest major versions get
 * security updates, so a major ends when the third one after it ships (dates from Apple's
 * security releases page, collected on endoflife.date). The supported majors are open-ended
 * (null) as of the table's asOf.
 */
import type { LifecycleEntry } from './types.js';

const APPLE = 'https://support.apple.com/en-us/100100';
const EOL = 'https://endoflife.date/macos';

export const MACOS: LifecycleEntry[] = [
  { family: 'macos', release: '10.13', name: 'macOS 10.13 High Sierra', end: '2020-11-12', source: EOL },
  { family: 'macos', release: '10.14', name: 'macOS 10.14 Mojave', end: '2021-10-25', source: EOL },
  { family: 'macos', release: '10.15', name: 'macOS 10.15 Catalina', end: '2022-09-12', source: EOL },
  { family: 'macos', release: '11', name: 'macOS 11 Big Sur', end: '2023-09-26', source: EOL },
  { family: 'macos', release: '12', name: 'macOS 12 Monterey', end: '2024-09-16', source: EOL },
  { family: 'macos', release: '13', name: 'macOS 13 Ventura', end: '2025-09-15', source: EOL },
  { family: 'macos', release: '14', name: 'macOS 14 Sonoma', end: null, source: APPLE, note: 'ends when the third major after it ships' },
  { family: 'macos', release: '15', name: 'macOS 15 Sequoia', end: null, source: APPLE },
  { family: 'macos', release: '26', name: 'macOS 26 Tahoe', end: null, source: APPLE },
];
