-- Conversations (direct and group), their members and their messages.

-- One namespace for users and groups: a name is taken by whichever registers it first.
CREATE TABLE names (
    name VARCHAR(32) PRIMARY KEY,
    kind VARCHAR(8) NOT NULL  -- 'user' or 'group'
);
INSERT INTO names (name, kind) SELECT name, 'user' FROM accounts;

CREATE TABLE chat_groups (
    id         ${id_column},
    name       VARCHAR(32) NOT NULL UNIQUE,
    created_by BIGINT NOT NULL REFERENCES accounts (id),
    created_at BIGINT NOT NULL
);

-- 'd:<low account id>:<high account id>' or 'g:<group id>'. last_seq is the seq of the newest message;
-- the next message takes last_seq + 1 in the transaction that stores it.
CREATE TABLE conversations (
    id         VARCHAR(48) PRIMARY KEY,
    kind       VARCHAR(8) NOT NULL,   -- 'direct' or 'group'
    group_id   BIGINT REFERENCES chat_groups (id),
    last_seq   BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

-- A member sees the messages with joined_seq < seq <= left_seq (left_seq NULL while still a member).
-- read_seq is the read cursor: messages from others above it are unread.
CREATE TABLE members (
    conversation_id VARCHAR(48) NOT NULL REFERENCES conversations (id),
    account_id      BIGINT NOT NULL REFERENCES accounts (id),
    role            VARCHAR(8) NOT NULL,  -- 'admin' or 'member'
    joined_at       BIGINT NOT NULL,
    joined_seq      BIGINT NOT NULL,
    left_seq        BIGINT,
    read_seq        BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, account_id)
);
CREATE INDEX members_by_account ON members (account_id);

-- sealed is the end-to-end encrypted message exactly as the sender sent it; the server cannot read it.
CREATE TABLE messages (
    conversation_id VARCHAR(48) NOT NULL REFERENCES conversations (id),
    seq             BIGINT NOT NULL,
    sender_id       BIGINT NOT NULL REFERENCES accounts (id),
    client_msg_id   VARCHAR(64) NOT NULL,
    sealed          ${bytes} NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, seq),
    UNIQUE (sender_id, client_msg_id)
);
