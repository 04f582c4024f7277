-- Whom each user has blocked: the blocked user can neither send them direct messages nor add them to groups.
CREATE TABLE blocks (
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    blocked_id BIGINT NOT NULL REFERENCES accounts (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, blocked_id)
);
