-- A user's published reviews, newest first (GET /users/{id}/reviews), is a
-- seek on (author_id, status, id). With only reviews_author (author_id, id)
-- and reviews_status (status, id), SQLite may walk every published review
-- of every user through reviews_status and filter on the author.
CREATE INDEX reviews_author_status ON reviews(author_id, status, id);
