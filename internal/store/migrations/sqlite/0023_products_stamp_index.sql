-- The stamp read of every kept answer (ProductStamp, and KeptPage's join)
-- reads the product's id index and then its row, for one column. The rows
-- of 10,000 products fill about 1,500 pages, more than a read
-- connection's page cache keeps, so most of those reads went to the file
-- (a pread and a page parsed). This index holds each product's id and
-- stamp, about 100 pages that stay cached: the read is one index search.
-- A review moves its product's stamp, so it changes one entry more, in a
-- page its product's rating indexes (products_score, products_count)
-- already make the writer touch.
CREATE INDEX products_stamp ON products(id, stamp);
