// Package query is a small SQL engine: it evaluates a pg_query SELECT over
// in-memory relations. It answers what the keyed SELECT path of planner
// can't: the pg_catalog and information_schema queries of psql, ORMs and
// drivers, and SELECTs over user tables that filter on non-key columns,
// sort, limit, aggregate or join.
//
// The relations are the virtual catalog relations (built per execution
// from tally's catalog, rewrite.Catalog) and the user tables, read with
// rewrite.ScanRows — or with rewrite.ReadRows when the WHERE pins every
// primary key column to constants or parameters. Inside a transaction
// block both see the block's own buffered writes.
//
// What it does: FROM lists, [INNER|LEFT|RIGHT|FULL|CROSS] JOIN with ON or
// USING, subqueries and set-returning functions (unnest, generate_series,
// pg_get_keywords) in FROM, WHERE, scalar/EXISTS/IN/ANY/ARRAY subqueries
// (correlated), GROUP BY with count/min/max/sum/avg/array_agg/string_agg/
// bool_and/bool_or (DISTINCT, FILTER, ORDER BY inside), HAVING, DISTINCT,
// ORDER BY (names, positions, expressions, NULLS FIRST/LAST), LIMIT and
// OFFSET, UNION/INTERSECT/EXCEPT [ALL], non-recursive WITH, VALUES.
//
// Known limits, on purpose: evaluation is in memory with nested-loop
// joins (catalog relations are small; a user table scan is bounded by
// rewrite.MaxScanRows); comparisons of text use byte order (collation
// "C"); a column outside GROUP BY reads the group's first row instead of
// raising 42803; window functions, WITH RECURSIVE, LATERAL, row
// constructors, FOR UPDATE and SELECT without result columns are 0A000.
// information_schema lists the user tables of the public schema only, and
// its domain-typed columns are reported with their base types (name,
// character varying, integer). tally has no comments, sequences, views,
// triggers, policies or extensions: their catalogs are empty.
//
// The engine must not import planner or proxy; planner decides which
// SELECTs it plans (planner/query.go).
package query
