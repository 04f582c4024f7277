-- When and from where each session was last used, for the user's list of their sessions (devices).
ALTER TABLE sessions ADD COLUMN last_seen_at BIGINT;
ALTER TABLE sessions ADD COLUMN last_address VARCHAR(64);
