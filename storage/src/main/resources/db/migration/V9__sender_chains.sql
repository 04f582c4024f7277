-- Each member's sender chains per conversation: who the chain was announced to (account ids in ascending order,
-- separated by commas), so that messages of the chain are stored only while the members are still those, and the
-- chain's key sealed to each of them apart (the server cannot open it), which each member fetches for itself.
CREATE TABLE sender_chains (
    conversation_id VARCHAR(48) NOT NULL REFERENCES conversations (id),
    sender_id       BIGINT NOT NULL REFERENCES accounts (id),
    chain_id        ${bytes} NOT NULL,
    recipients      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, sender_id, chain_id)
);

CREATE TABLE sender_chain_keys (
    conversation_id VARCHAR(48) NOT NULL,
    sender_id       BIGINT NOT NULL,
    chain_id        ${bytes} NOT NULL,
    account_id      BIGINT NOT NULL REFERENCES accounts (id),
    sealed          ${bytes} NOT NULL,
    PRIMARY KEY (conversation_id, sender_id, chain_id, account_id),
    FOREIGN KEY (conversation_id, sender_id, chain_id) REFERENCES sender_chains (conversation_id, sender_id, chain_id)
);
