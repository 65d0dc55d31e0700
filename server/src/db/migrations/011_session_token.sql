-- Issue 11 #6: a dashboard session opened with an API token lives no longer than the token.
ALTER TABLE sessions ADD COLUMN api_token_id text REFERENCES api_tokens(id);
CREATE INDEX sessions_api_token_idx ON sessions (api_token_id) WHERE api_token_id IS NOT NULL;
