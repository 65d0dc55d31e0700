/** OS end-of-security-support: the table, its review date, and the assessment used by patch_level. */
export { LIFECYCLE_AS_OF, LIFECYCLE_TABLE, STALE_AFTER_DAYS, lifecycleTableWarning } from './table.js';
export { assessLifecycle, findEntry, identifyRelease, type LifecycleAssessment, type LifecycleState, type ReleaseId } from './lookup.js';
export { FAMILIES, LifecycleOverride, LifecyclePolicy, type LifecycleEntry } from './types.js';
