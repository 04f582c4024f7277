-- Accounts, their public identity keys and log-in sessions.
-- ${id_column} and ${bytes} are filled in per dialect (see SqlDialect). Times are epoch milliseconds.

CREATE TABLE accounts (
    id              ${id_column},
    name            VARCHAR(32) NOT NULL UNIQUE,
    -- SHA-256(auth_salt || auth_key): the auth key is itself Argon2id output, so a fast hash suffices.
    auth_hash       ${bytes} NOT NULL,
    auth_salt       ${bytes} NOT NULL,
    kdf_memory_kib  INTEGER NOT NULL,
    kdf_iterations  INTEGER NOT NULL,
    kdf_parallelism INTEGER NOT NULL,
    -- Identity private keys sealed by the client with its password-derived backup key; opaque here.
    key_backup      ${bytes} NOT NULL,
    created_at      BIGINT NOT NULL
);

CREATE TABLE identity_keys (
    account_id     BIGINT NOT NULL REFERENCES accounts (id),
    key_id         INTEGER NOT NULL,
    x25519_public  ${bytes} NOT NULL,
    ed25519_public ${bytes} NOT NULL,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (account_id, key_id)
);

CREATE TABLE sessions (
    -- SHA-256 of the resume token; the token itself is never stored.
    token_hash ${bytes} PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    device     VARCHAR(64) NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE INDEX sessions_by_account ON sessions (account_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- Installation-wide values, such as the server id that is part of every password salt.
CREATE TABLE settings (
    name  VARCHAR(64) PRIMARY KEY,
    value VARCHAR(256) NOT NULL
);
