-- Each user's trust state (pinned contact keys and verified marks), sealed by their client under a key the
-- server never sees; replaced only by the next version.
CREATE TABLE trust_states (
    account_id BIGINT PRIMARY KEY REFERENCES accounts (id),
    version    BIGINT NOT NULL,
    sealed     ${bytes} NOT NULL,
    updated_at BIGINT NOT NULL
);
