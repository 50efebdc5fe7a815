-- bench/store.sh's reference: picosnitch 2.2's documented SQLite schema
-- (elesiuta/picosnitch docs/schema.md: four STRICT tables, executables,
-- domains and addresses interned, four indexes), loaded with the rows of the
-- snitch-store database attached as `s`. A process snitch-store does not know
-- (NULL parent or grandparent) becomes executable 0, all fields empty.
CREATE TABLE executables (id INTEGER PRIMARY KEY, exe TEXT NOT NULL, name TEXT NOT NULL, cmdline TEXT NOT NULL,
	sha256 TEXT NOT NULL, UNIQUE (exe, name, cmdline, sha256)) STRICT;
CREATE TABLE domains (id INTEGER PRIMARY KEY, domain TEXT NOT NULL UNIQUE) STRICT;
CREATE TABLE addresses (id INTEGER PRIMARY KEY, addr TEXT NOT NULL UNIQUE) STRICT;
CREATE TABLE connections (contime INTEGER NOT NULL, send INTEGER NOT NULL, recv INTEGER NOT NULL,
	events INTEGER NOT NULL, exe_id INTEGER NOT NULL REFERENCES executables(id),
	pexe_id INTEGER NOT NULL REFERENCES executables(id), gpexe_id INTEGER NOT NULL REFERENCES executables(id),
	uid INTEGER NOT NULL, family INTEGER NOT NULL, protocol INTEGER NOT NULL, lport INTEGER NOT NULL,
	rport INTEGER NOT NULL, laddr_id INTEGER NOT NULL REFERENCES addresses(id),
	raddr_id INTEGER NOT NULL REFERENCES addresses(id), domain_id INTEGER NOT NULL REFERENCES domains(id),
	netns INTEGER NOT NULL) STRICT;
CREATE INDEX idx_contime ON connections(contime);
CREATE INDEX idx_exe_id_contime ON connections(exe_id, contime);
CREATE INDEX idx_pexe_id_contime ON connections(pexe_id, contime);
CREATE INDEX idx_gpexe_id_contime ON connections(gpexe_id, contime);

BEGIN;
INSERT INTO executables VALUES (0, '', '', '', '');
INSERT OR IGNORE INTO executables (exe, name, cmdline, sha256) SELECT exe, name, cmdline, sha256 FROM s.processes;
CREATE TEMP TABLE exe_of AS SELECT p.id AS sid, e.id AS id FROM s.processes p JOIN executables e USING (exe, name, cmdline, sha256);
CREATE UNIQUE INDEX temp.exe_of_sid ON exe_of (sid);
INSERT OR IGNORE INTO domains (domain) SELECT domain FROM s.connections;
INSERT OR IGNORE INTO addresses (addr) SELECT laddr FROM s.connections UNION ALL SELECT raddr FROM s.connections;
INSERT INTO connections
SELECT CAST(c.last_time AS INTEGER), c.sent, c.recv, c.events, COALESCE(x.id, 0), COALESCE(px.id, 0), COALESCE(gx.id, 0),
	c.uid, CASE c.family WHEN 'ipv4' THEN 2 WHEN 'ipv6' THEN 10 ELSE 0 END,
	CASE c.proto WHEN 'tcp' THEN 6 WHEN 'udp' THEN 17 WHEN 'icmp' THEN 1 WHEN 'icmpv6' THEN 58 ELSE 0 END,
	c.lport, c.rport, la.id, ra.id, d.id, c.netns
FROM s.connections c
LEFT JOIN exe_of x ON x.sid = c.exe_id LEFT JOIN exe_of px ON px.sid = c.parent_id LEFT JOIN exe_of gx ON gx.sid = c.grandparent_id
JOIN addresses la ON la.addr = c.laddr JOIN addresses ra ON ra.addr = c.raddr JOIN domains d ON d.domain = c.domain
ORDER BY c.rowid;
COMMIT;
