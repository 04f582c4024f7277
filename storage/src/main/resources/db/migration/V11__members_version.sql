-- Goes up with every change of a conversation's members (and, for a direct conversation, of blocks between its two
-- members), so that a node that keeps members in memory knows when another node changed them.
ALTER TABLE conversations ADD COLUMN members_version BIGINT NOT NULL DEFAULT 0;
