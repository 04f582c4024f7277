-- Files: encrypted chunks uploaded to a conversation. The server stores ciphertext only; the key travels
-- inside the sealed message that shares the file (message_seq, once sent).
CREATE TABLE files (
    id              VARCHAR(32) PRIMARY KEY,
    conversation_id VARCHAR(48) NOT NULL,
    uploader_id     BIGINT NOT NULL REFERENCES accounts (id),
    size            BIGINT NOT NULL,      -- plaintext bytes
    chunk_size      INTEGER NOT NULL,     -- plaintext bytes per chunk
    chunk_count     INTEGER NOT NULL,
    received        INTEGER NOT NULL,     -- chunks stored so far (always a prefix: 0 .. received - 1)
    stored_bytes    BIGINT NOT NULL,      -- ciphertext bytes stored so far
    complete        BOOLEAN NOT NULL,
    message_seq     BIGINT,               -- the message that shared it, once sent
    created_at      BIGINT NOT NULL,
    touched_at      BIGINT NOT NULL       -- last chunk received: abandoned uploads are removed after a timeout
);
CREATE INDEX files_by_touched ON files (complete, touched_at);

CREATE TABLE file_chunks (
    file_id VARCHAR(32) NOT NULL REFERENCES files (id),
    idx     INTEGER NOT NULL,
    data    ${bytes} NOT NULL,
    PRIMARY KEY (file_id, idx)
);
