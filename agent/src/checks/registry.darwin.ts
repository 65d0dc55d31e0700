/** The darwin collectors, one line per check. */
import type { CollectorTable } from './registry.js';

export const collectors: CollectorTable = {};
