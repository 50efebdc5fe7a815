# shellcheck shell=bash
# The synthetic log of bench/view.sh and bench/view-conn.sh, sourced by both.
# The schema of the snitch-store given (interned hosts, contexts and peers
# under the connections view since 5; time_slots and rollup_pairs since 6),
# then N connections over the 365 days before NOW in one transaction (indexes,
# if any, dropped during the bulk insert and recreated after), oldest first as
# the store writes them (a time range reads a rowid range), with their time
# slots where the schema has them. 400 process contexts and 62,500 peers, each
# row's by its number; with RARE=1 also /usr/bin/rare (context 401), one row
# in 10,000. The store rolls them up when it next opens the file.
build_view_log() { # STORE DB N NOW RARE
	local store=$1 db=$2 n=$3 now=$4 rare=$5
	rm -f "$db" "$db-wal" "$db-shm"
	"$store" --init-schema --config /nonexistent/snitch-bench.json --db "$db"
	local rows="type = 'index' AND tbl_name = 'connection_rows'" idx drops slots
	idx=$(sqlite3 "$db" "SELECT sql || ';' FROM sqlite_master WHERE $rows")
	drops=$(sqlite3 "$db" "SELECT 'DROP INDEX ' || name || ';' FROM sqlite_master WHERE $rows")
	slots=$(sqlite3 "$db" "SELECT 'INSERT INTO time_slots SELECT time_ms / 600000, MIN(id), MAX(id), COUNT(*)
		FROM connection_rows GROUP BY 1;' FROM sqlite_master WHERE name = 'time_slots'")
	sqlite3 "$db" >/dev/null <<SQL
PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
$drops
BEGIN;
WITH RECURSIVE p(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM p WHERE i < 400)
INSERT INTO processes (id, exe, name, cmdline, sha256, first_seen) SELECT i, '/usr/bin/prog' || (i % 200),
	'prog' || (i % 200), 'prog --run ' || i, printf('%064x', i % 250), $now - 31536000 FROM p;
INSERT INTO processes (id, exe, name, cmdline, sha256, first_seen)
	SELECT 401, '/usr/bin/rare', 'rare', 'rare', '', $now - 31536000 WHERE $rare;
INSERT OR IGNORE INTO hosts (name) VALUES ('bench');
WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < 399)
INSERT INTO contexts SELECT 1 + i, (SELECT id FROM hosts WHERE name = 'bench'), 1 + (i * 7919) % 400, 1 + (i * 104729) % 400, 0, 1000 + i % 4, 4026531840, '/' FROM k;
INSERT INTO contexts SELECT 401, (SELECT id FROM hosts WHERE name = 'bench'), 401, 1, 0, 1000, 4026531840, '/' WHERE $rare;
WITH RECURSIVE j(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM j WHERE i < 62499)
INSERT INTO peers SELECT 1 + i, 'ipv4', 'tcp', '10.0.0.2', '10.' || (i % 250) || '.' || (i / 250 % 250) || '.1',
	(i % 20) * 100 + 22, 'host' || (i % 5000) || '.example' FROM j;
WITH RECURSIVE s(i) AS (SELECT $n - 1 UNION ALL SELECT i - 1 FROM s WHERE i > 0)
INSERT INTO connection_rows (time_ms, span_ms, context_id, peer_id, pid, lport, sent, recv, events)
	SELECT CAST(round(($now - i * (31536000.0 / $n)) * 1000) AS INTEGER), 1000,
	CASE WHEN $rare AND i % 10000 = 5000 THEN 401 ELSE 1 + i % 400 END, 1 + i % 62500,
	1000 + i % 5000, 40000, 100 + i % 1000, 1000 + i % 10000, 1 + i % 3 FROM s;
$slots
COMMIT;
$idx
ANALYZE;
SQL
	sqlite3 "$db" 'PRAGMA journal_mode = WAL' >/dev/null
}
