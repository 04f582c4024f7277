-- Each member's sender chains per conversation: the announcement of the chain's key, sealed to the members of
-- the moment (the server cannot open it), and who those members were, as account ids in ascending order
-- separated by commas. Messages of a chain are stored only while the members are still those.
CREATE TABLE sender_chains (
    conversation_id VARCHAR(48) NOT NULL REFERENCES conversations (id),
    sender_id       BIGINT NOT NULL REFERENCES accounts (id),
    chain_id        ${bytes} NOT NULL,
    recipients      TEXT NOT NULL,
    sealed          ${bytes} NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, sender_id, chain_id)
);
