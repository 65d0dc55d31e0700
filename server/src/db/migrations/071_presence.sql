-- Connected/offline per device (server/src/gateway/presence.ts). A device is connected while
-- its socket is held by a collector instance whose heartbeat is fresh; a collector killed
-- with -9 leaves its rows behind, and they read as offline since its last heartbeat.
-- last_seen_at becomes "last contact": set on connect and disconnect (and by stored reports),
-- and "now" while connected.
CREATE TABLE collector_instances (
  id text PRIMARY KEY,
  started_at timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE devices ADD COLUMN connected_via text;
ALTER TABLE devices ADD COLUMN connected_since timestamptz;
ALTER TABLE devices ADD COLUMN disconnected_at timestamptz;
