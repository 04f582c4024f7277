-- Being added to a group is an invitation until the user accepts it; until then they are not a member.
CREATE TABLE invitations (
    group_id   BIGINT NOT NULL REFERENCES chat_groups (id),
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    invited_by BIGINT NOT NULL REFERENCES accounts (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (group_id, account_id)
);
CREATE INDEX invitations_by_account ON invitations (account_id);
