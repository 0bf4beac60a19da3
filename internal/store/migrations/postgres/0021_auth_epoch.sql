-- Nothing on PostgreSQL. On SQLite this migration adds auth_epoch, which
-- lets an instance keep the sessions it read (see the SQLite migration and
-- internal/store/session.go). PostgreSQL instances read each session
-- again: checking an epoch would cost a round trip like the read itself,
-- and every logout of every instance would update its one row.
SELECT 1;
