-- Each group's membership chain: statements signed by the members who acted, stored as their clients sent
-- them (index order), and the chain's id (chosen by the creator). Clients verify the chain; the server checks
-- that each new statement follows the last one.
CREATE TABLE group_statements (
    group_id  BIGINT NOT NULL REFERENCES chat_groups (id),
    idx       BIGINT NOT NULL,
    statement ${bytes} NOT NULL,
    PRIMARY KEY (group_id, idx)
);
ALTER TABLE chat_groups ADD COLUMN chain_id ${bytes};
