-- Issue 18 #6 / issue 11 #10: webhooks configured on the Alerts page, each with its own HMAC
-- secret and the events it wants, and a delivery log per webhook (status, retries, last error).
-- alert_outbox stays the transactional record of "an alert happened" (written with the state
-- change); delivered_at there now means "fanned out to the subscribed webhooks". The webhook
-- set by POSTURE_WEBHOOK_URL (or the policy's alerts.webhookUrl) is a read-only entry with id
-- 'env' that is not stored here; its deliveries are logged under that id.
CREATE TABLE webhooks (
  id text PRIMARY KEY,
  label text NOT NULL DEFAULT '',
  url text NOT NULL,
  -- The HMAC key must be readable to sign with; the store itself is 0600/0700 (issue 11 #3).
  secret text NOT NULL,
  events jsonb NOT NULL,
  enabled boolean NOT NULL DEFAULT true,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);

CREATE TABLE webhook_deliveries (
  id bigserial PRIMARY KEY,
  webhook_id text NOT NULL,
  -- NULL for a "Send test" delivery.
  alert_id bigint REFERENCES alert_outbox(id),
  kind text NOT NULL,
  device_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  attempts int NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz,
  -- Set when the delivery is given up: a receiver's 4xx (deterministic, refused once) or the attempt cap.
  failed_at timestamptz,
  last_status int,
  last_error text,
  last_attempt_at timestamptz
);
CREATE UNIQUE INDEX webhook_deliveries_once_idx ON webhook_deliveries (webhook_id, alert_id) WHERE alert_id IS NOT NULL;
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE delivered_at IS NULL AND failed_at IS NULL;
CREATE INDEX webhook_deliveries_recent_idx ON webhook_deliveries (webhook_id, id DESC);
