-- Delivered and read receipts: per conversation, reader (from_id) and sender of the messages read (to_id), the
-- newest of each kind (1 delivered, 2 read) up to which seq, sealed to the sender alone (the server cannot open it;
-- it knows the read cursor and what it delivered already). Kept so that a sender offline when they came sees them.
CREATE TABLE receipts (
    conversation_id VARCHAR(48) NOT NULL REFERENCES conversations (id),
    from_id         BIGINT NOT NULL REFERENCES accounts (id),
    to_id           BIGINT NOT NULL REFERENCES accounts (id),
    kind            INTEGER NOT NULL,
    up_to_seq       BIGINT NOT NULL,
    sealed          ${bytes} NOT NULL,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, to_id, from_id, kind)
);
