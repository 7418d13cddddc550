-- The connected viewers of a stream, one row each, apart from its state (whose
-- encoding keeps only their count since engine codec version 2): a join or leave
-- writes one small row, whatever the audience, instead of rewriting every id.
-- States written before keep their ids in the blob (version 1); the engine
-- reads them and the first save of each moves them here.
CREATE TABLE stream_viewers (
    account_id text NOT NULL,
    name       text NOT NULL,
    viewer_id  text NOT NULL,
    PRIMARY KEY (account_id, name, viewer_id)
);
