/**
 * What a report may do to ownership: nothing but update the inferred owner (the logged-in
 * user it names). An assigned owner (any source above `inferred`) is never touched by a report.
 * A SET fragment for the ingest's device UPDATE (`d` = devices row, `x` = the report's values
 * with `owner` = the report's first user and `last_report_at`), kept here so the ingest
 * redesign can carry it over as one piece.
 */
export const OWNER_FROM_REPORT_SET = `inferred_owner = x.owner,
         owner = CASE WHEN d.owner_person_id IS NULL THEN x.owner ELSE d.owner END,
         owner_source = CASE WHEN d.owner_person_id IS NOT NULL THEN d.owner_source WHEN x.owner IS NULL THEN NULL ELSE 'inferred' END,
         reported_after_offboard_at = CASE WHEN d.offboard_since IS NOT NULL AND d.offboard_outcome IS NULL AND x.last_report_at > d.offboard_since
                                           THEN x.last_report_at ELSE d.reported_after_offboard_at END`;
