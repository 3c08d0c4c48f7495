package query

import (
	"fmt"
	"strings"

	"github.com/tally-db/tally/catalog"
	"github.com/tally-db/tally/sqltypes"
)

// The pg_catalog relations, with Postgres 15's column lists.
func init() {
	register([]virtual{
		{"pg_catalog", "pg_namespace", 2615, "oid:oid nspname:name nspowner:oid nspacl:_text", pgNamespace},
		{"pg_catalog", "pg_class", 1259, "oid:oid relname:name relnamespace:oid reltype:oid reloftype:oid relowner:oid relam:oid relfilenode:oid reltablespace:oid relpages:int4 reltuples:float4 relallvisible:int4 reltoastrelid:oid relhasindex:bool relisshared:bool relpersistence:char relkind:char relnatts:int2 relchecks:int2 relhasrules:bool relhastriggers:bool relhassubclass:bool relrowsecurity:bool relforcerowsecurity:bool relispopulated:bool relreplident:char relispartition:bool relrewrite:oid relfrozenxid:xid relminmxid:xid relacl:_text reloptions:_text relpartbound:text", pgClass},
		{"pg_catalog", "pg_attribute", 1249, "attrelid:oid attname:name atttypid:oid attstattarget:int4 attlen:int2 attnum:int2 attndims:int4 attcacheoff:int4 atttypmod:int4 attbyval:bool attalign:char attstorage:char attcompression:char attnotnull:bool atthasdef:bool atthasmissing:bool attidentity:char attgenerated:char attisdropped:bool attislocal:bool attinhcount:int4 attcollation:oid attacl:_text attoptions:_text attfdwoptions:_text attmissingval:text", pgAttribute},
		{"pg_catalog", "pg_type", 1247, "oid:oid typname:name typnamespace:oid typowner:oid typlen:int2 typbyval:bool typtype:char typcategory:char typispreferred:bool typisdefined:bool typdelim:char typrelid:oid typsubscript:regproc typelem:oid typarray:oid typinput:regproc typoutput:regproc typreceive:regproc typsend:regproc typmodin:regproc typmodout:regproc typanalyze:regproc typalign:char typstorage:char typnotnull:bool typbasetype:oid typtypmod:int4 typndims:int4 typcollation:oid typdefaultbin:text typdefault:text typacl:_text", pgTypeRows},
		{"pg_catalog", "pg_index", 2610, "indexrelid:oid indrelid:oid indnatts:int2 indnkeyatts:int2 indisunique:bool indnullsnotdistinct:bool indisprimary:bool indisexclusion:bool indimmediate:bool indisclustered:bool indisvalid:bool indcheckxmin:bool indisready:bool indislive:bool indisreplident:bool indkey:int2vector indcollation:oidvector indclass:oidvector indoption:int2vector indexprs:text indpred:text", pgIndex},
		{"pg_catalog", "pg_constraint", 2606, "oid:oid conname:name connamespace:oid contype:char condeferrable:bool condeferred:bool convalidated:bool conrelid:oid contypid:oid conindid:oid conparentid:oid confrelid:oid confupdtype:char confdeltype:char confmatchtype:char conislocal:bool coninhcount:int4 connoinherit:bool conkey:_int2 confkey:_int2 conpfeqop:_oid conppeqop:_oid conffeqop:_oid confdelsetcols:_int2 conexclop:_oid conbin:text", pgConstraint},
		{"pg_catalog", "pg_attrdef", 2604, "oid:oid adrelid:oid adnum:int2 adbin:text", pgAttrdef},
		{"pg_catalog", "pg_description", 2609, "objoid:oid classoid:oid objsubid:int4 description:text", nil},
		{"pg_catalog", "pg_shdescription", 2396, "objoid:oid classoid:oid description:text", nil},
		{"pg_catalog", "pg_database", 1262, "oid:oid datname:name datdba:oid encoding:int4 datlocprovider:char datistemplate:bool datallowconn:bool datconnlimit:int4 datfrozenxid:xid datminmxid:xid dattablespace:oid datcollate:text datctype:text daticulocale:text datcollversion:text datacl:_text", pgDatabase},
		{"pg_catalog", "pg_settings", 12001, "name:text setting:text unit:text category:text short_desc:text extra_desc:text context:text vartype:text source:text min_val:text max_val:text enumvals:_text boot_val:text reset_val:text sourcefile:text sourceline:int4 pending_restart:bool", pgSettings},
		{"pg_catalog", "pg_am", 2601, "oid:oid amname:name amhandler:regproc amtype:char", pgAm},
		{"pg_catalog", "pg_collation", 3456, "oid:oid collname:name collnamespace:oid collowner:oid collprovider:char collisdeterministic:bool collencoding:int4 collcollate:text collctype:text colliculocale:text collversion:text", pgCollation},
		{"pg_catalog", "pg_roles", 12002, "rolname:name rolsuper:bool rolinherit:bool rolcreaterole:bool rolcreatedb:bool rolcanlogin:bool rolreplication:bool rolconnlimit:int4 rolpassword:text rolvaliduntil:timestamptz rolbypassrls:bool rolconfig:_text oid:oid", pgRoles},
		{"pg_catalog", "pg_user", 12003, "usename:name usesysid:oid usecreatedb:bool usesuper:bool userepl:bool usebypassrls:bool passwd:text valuntil:timestamptz useconfig:_text", pgUser},
		{"pg_catalog", "pg_proc", 1255, "oid:oid proname:name pronamespace:oid proowner:oid prolang:oid procost:float4 prorows:float4 provariadic:oid prosupport:regproc prokind:char prosecdef:bool proleakproof:bool proisstrict:bool proretset:bool provolatile:char proparallel:char pronargs:int2 pronargdefaults:int2 prorettype:oid proargtypes:oidvector proallargtypes:_oid proargmodes:_char proargnames:_text proargdefaults:text protrftypes:_oid prosrc:text probin:text prosqlbody:text proconfig:_text proacl:_text", pgProc},
		{"pg_catalog", "pg_tables", 12004, "schemaname:name tablename:name tableowner:name tablespace:name hasindexes:bool hasrules:bool hastriggers:bool rowsecurity:bool", pgTables},
		{"pg_catalog", "pg_indexes", 12005, "schemaname:name tablename:name indexname:name tablespace:name indexdef:text", pgIndexes},
		{"pg_catalog", "pg_views", 12006, "schemaname:name viewname:name viewowner:name definition:text", nil},
		{"pg_catalog", "pg_matviews", 12007, "schemaname:name matviewname:name matviewowner:name tablespace:name hasindexes:bool ispopulated:bool definition:text", nil},
		{"pg_catalog", "pg_sequence", 2224, "seqrelid:oid seqtypid:oid seqstart:int8 seqincrement:int8 seqmax:int8 seqmin:int8 seqcache:int8 seqcycle:bool", nil},
		{"pg_catalog", "pg_sequences", 12008, "schemaname:name sequencename:name sequenceowner:name data_type:regtype start_value:int8 min_value:int8 max_value:int8 increment_by:int8 cycle:bool cache_size:int8 last_value:int8", nil},
		{"pg_catalog", "pg_inherits", 2611, "inhrelid:oid inhparent:oid inhseqno:int4 inhdetachpending:bool", nil},
		{"pg_catalog", "pg_trigger", 2620, "oid:oid tgrelid:oid tgparentid:oid tgname:name tgfoid:oid tgtype:int2 tgenabled:char tgisinternal:bool tgconstrrelid:oid tgconstrindid:oid tgconstraint:oid tgdeferrable:bool tginitdeferred:bool tgnargs:int2 tgattr:int2vector tgargs:bytea tgqual:text tgoldtable:name tgnewtable:name", nil},
		{"pg_catalog", "pg_rewrite", 2618, "oid:oid rulename:name ev_class:oid ev_type:char ev_enabled:char is_instead:bool ev_qual:text ev_action:text", nil},
		{"pg_catalog", "pg_policy", 3256, "oid:oid polname:name polrelid:oid polcmd:char polpermissive:bool polroles:_oid polqual:text polwithcheck:text", nil},
		{"pg_catalog", "pg_statistic_ext", 3381, "oid:oid stxrelid:oid stxname:name stxnamespace:oid stxowner:oid stxstattarget:int4 stxkeys:int2vector stxkind:_char stxexprs:text", nil},
		{"pg_catalog", "pg_publication", 6104, "oid:oid pubname:name pubowner:oid puballtables:bool pubinsert:bool pubupdate:bool pubdelete:bool pubtruncate:bool pubviaroot:bool", nil},
		{"pg_catalog", "pg_publication_rel", 6106, "oid:oid prpubid:oid prrelid:oid prqual:text prattrs:int2vector", nil},
		{"pg_catalog", "pg_publication_namespace", 6237, "oid:oid pnpubid:oid pnnspid:oid", nil},
		{"pg_catalog", "pg_foreign_table", 3118, "ftrelid:oid ftserver:oid ftoptions:_text", nil},
		{"pg_catalog", "pg_partitioned_table", 3350, "partrelid:oid partstrat:char partnatts:int2 partdefid:oid partattrs:int2vector partclass:oidvector partcollation:oidvector partexprs:text", nil},
		{"pg_catalog", "pg_extension", 3079, "oid:oid extname:name extowner:oid extnamespace:oid extrelocatable:bool extversion:text extconfig:_oid extcondition:_text", nil},
		{"pg_catalog", "pg_enum", 3501, "oid:oid enumtypid:oid enumsortorder:float4 enumlabel:name", nil},
		{"pg_catalog", "pg_range", 3541, "rngtypid:oid rngsubtype:oid rngmultitypid:oid rngcollation:oid rngsubopclass:oid rngcanonical:regproc rngsubdiff:regproc", nil},
		{"pg_catalog", "pg_depend", 2608, "classid:oid objid:oid objsubid:int4 refclassid:oid refobjid:oid refobjsubid:int4 deptype:char", nil},
		{"pg_catalog", "pg_opclass", 2616, "oid:oid opcmethod:oid opcname:name opcnamespace:oid opcowner:oid opcfamily:oid opcintype:oid opcdefault:bool opckeytype:oid", nil},
		{"pg_catalog", "pg_tablespace", 1213, "oid:oid spcname:name spcowner:oid spcacl:_text spcoptions:_text", pgTablespace},
		{"pg_catalog", "pg_event_trigger", 3466, "oid:oid evtname:name evtevent:name evtowner:oid evtfoid:oid evtenabled:char evttags:_text", nil},
		{"pg_catalog", "pg_foreign_data_wrapper", 2328, "oid:oid fdwname:name fdwowner:oid fdwhandler:oid fdwvalidator:oid fdwacl:_text fdwoptions:_text", nil},
		{"pg_catalog", "pg_foreign_server", 1417, "oid:oid srvname:name srvowner:oid srvfdw:oid srvtype:text srvversion:text srvacl:_text srvoptions:_text", nil},
		{"pg_catalog", "pg_statio_all_tables", 12010, "relid:oid schemaname:name relname:name heap_blks_read:int8 heap_blks_hit:int8 idx_blks_read:int8 idx_blks_hit:int8 toast_blks_read:int8 toast_blks_hit:int8 tidx_blks_read:int8 tidx_blks_hit:int8", pgStatTables},
		{"pg_catalog", "pg_statio_user_tables", 12011, "relid:oid schemaname:name relname:name heap_blks_read:int8 heap_blks_hit:int8 idx_blks_read:int8 idx_blks_hit:int8 toast_blks_read:int8 toast_blks_hit:int8 tidx_blks_read:int8 tidx_blks_hit:int8", pgStatTables},
		{"pg_catalog", "pg_stat_user_tables", 12012, "relid:oid schemaname:name relname:name seq_scan:int8 seq_tup_read:int8 idx_scan:int8 idx_tup_fetch:int8 n_tup_ins:int8 n_tup_upd:int8 n_tup_del:int8 n_live_tup:int8 n_dead_tup:int8", pgStatTables},
		{"pg_catalog", "pg_auth_members", 1261, "oid:oid roleid:oid member:oid grantor:oid admin_option:bool inherit_option:bool set_option:bool", nil},
		{"pg_catalog", "pg_stat_activity", 12009, pgStatActivitySpec, pgStatActivity},
	})
}

// owner is the OID of the one role tally shows (Postgres' bootstrap superuser).
const owner = 10

func pgNamespace(x *execCtx, b *rowBuilder) error {
	for _, n := range namespaces {
		b.add(map[string]any{"oid": n.oid, "nspname": n.name, "nspowner": owner})
	}
	return nil
}

func pgClass(x *execCtx, b *rowBuilder) error {
	snap, err := x.snapshot()
	if err != nil {
		return err
	}
	for _, r := range virtualList {
		nsp, kind := int64(nspCatalog), "r"
		if r.Schema == "information_schema" || r.OID > 12000 && r.OID < 13000 {
			kind = "v"
		}
		if r.Schema == "information_schema" {
			nsp = nspInfo
		}
		b.add(map[string]any{"oid": r.OID, "relname": r.Name, "relnamespace": nsp, "relowner": owner,
			"relam": int64(2), "relpersistence": "p", "relkind": kind, "relnatts": len(r.Cols),
			"relispopulated": true, "relreplident": "n"})
	}
	for _, t := range snap.tables {
		oid := tableOID(t)
		b.add(map[string]any{"oid": oid, "relname": t.Name, "relnamespace": nspPublic, "reltype": oid + 3,
			"relowner": owner, "relam": int64(2), "relfilenode": oid, "reltuples": float64(-1), "relhasindex": true,
			"relpersistence": "p", "relkind": "r", "relnatts": len(t.Columns), "relispopulated": true, "relreplident": "d"})
		b.add(map[string]any{"oid": oid + 1, "relname": t.Name + "_pkey", "relnamespace": nspPublic,
			"relowner": owner, "relam": int64(403), "relfilenode": oid + 1, "reltuples": float64(-1),
			"relpersistence": "p", "relkind": "i", "relnatts": len(t.PrimaryKey), "relispopulated": true, "relreplident": "n"})
	}
	return nil
}

// attrs is one attribute row.
func attrRow(rel int64, name string, typ uint32, typmod int32, num int, notNull, hasDef bool) map[string]any {
	t := typesByOID[typ]
	length, byval, align := int16(-1), false, "i"
	if t != nil {
		length, byval = t.len, t.byval
	}
	switch length {
	case 8:
		align = "d"
	case 2:
		align = "s"
	case 1:
		align = "c"
	}
	storage := "p"
	if length == -1 {
		storage = "x"
	}
	coll := int64(0)
	if isTextType(typ) && typ != sqltypes.Char {
		coll = 100
	}
	ndims := 0
	if elemOf(typ) != 0 && typ != sqltypes.Int2Vector && typ != sqltypes.OIDVector {
		ndims = 1
	}
	return map[string]any{"attrelid": rel, "attname": name, "atttypid": typ, "attstattarget": -1, "attlen": length,
		"attnum": num, "attndims": ndims, "attcacheoff": -1, "atttypmod": typmod, "attbyval": byval, "attalign": align,
		"attstorage": storage, "attnotnull": notNull, "atthasdef": hasDef, "attislocal": true, "attcollation": coll}
}

func pgAttribute(x *execCtx, b *rowBuilder) error {
	snap, err := x.snapshot()
	if err != nil {
		return err
	}
	for _, t := range snap.tables {
		oid := tableOID(t)
		for _, c := range t.Columns {
			row := attrRow(oid, c.Name, c.Type, c.TypMod, c.Num, c.NotNull || t.IsKey(c), c.Default != nil && c.Identity == "")
			row["attidentity"] = c.Identity // "a", "d" or "" as in Postgres
			b.add(row)
		}
		for i, sc := range systemColumns {
			b.add(attrRow(oid, sc.name, sc.typ, -1, -1-i, true, false))
		}
		for i, c := range t.KeyColumns() {
			b.add(attrRow(oid+1, c.Name, c.Type, c.TypMod, i+1, false, false))
		}
	}
	for _, r := range virtualList {
		for i, c := range r.Cols {
			b.add(attrRow(r.OID, c.name, c.typ, -1, i+1, false, false))
		}
	}
	return nil
}

func pgTypeRows(x *execCtx, b *rowBuilder) error {
	for _, t := range allTypes {
		coll := int64(0)
		if isTextType(t.oid) && t.oid != sqltypes.Char && t.oid != sqltypes.Unknown {
			coll = 100
		}
		typtype := "b"
		if t.oid == sqltypes.Unknown {
			typtype = "p"
		}
		align := "i"
		switch t.len {
		case 8:
			align = "d"
		case 2:
			align = "s"
		case 1, -2:
			align = "c"
		}
		b.add(map[string]any{"oid": t.oid, "typname": t.name, "typnamespace": nspCatalog, "typowner": owner,
			"typlen": t.len, "typbyval": t.byval, "typtype": typtype, "typcategory": t.category,
			"typispreferred": t.oid == sqltypes.Text || t.oid == sqltypes.Float8 || t.oid == sqltypes.OIDType || t.oid == sqltypes.Bool || t.oid == sqltypes.Timestamptz,
			"typisdefined":   true, "typdelim": ",", "typelem": t.elem, "typarray": t.array, "typalign": align,
			"typinput": typInput(t), "typoutput": typOutput(t),
			"typstorage": map[bool]string{true: "x", false: "p"}[t.len == -1], "typtypmod": -1, "typcollation": coll})
	}
	snap, err := x.snapshot()
	if err != nil {
		return err
	}
	for _, t := range snap.tables {
		oid := tableOID(t)
		b.add(map[string]any{"oid": oid + 3, "typname": t.Name, "typnamespace": nspPublic, "typowner": owner,
			"typlen": -1, "typtype": "c", "typcategory": "C", "typisdefined": true, "typdelim": ",", "typrelid": oid,
			"typalign": "d", "typstorage": "x", "typtypmod": -1})
	}
	return nil
}

// keyNums is the attnums of t's primary key.
func keyNums(t *catalog.Table) []any {
	out := make([]any, len(t.PrimaryKey))
	for i, c := range t.KeyColumns() {
		out[i] = int64(c.Num)
	}
	return out
}

func pgIndex(x *execCtx, b *rowBuilder) error {
	snap, err := x.snapshot()
	if err != nil {
		return err
	}
	for _, t := range snap.tables {
		oid := tableOID(t)
		n := len(t.PrimaryKey)
		coll, class, opt := make([]any, n), make([]any, n), make([]any, n)
		for i, c := range t.KeyColumns() {
			coll[i], class[i], opt[i] = int64(0), int64(0), int64(0)
			if isTextType(c.Type) {
				coll[i] = int64(100)
			}
		}
		b.add(map[string]any{"indexrelid": oid + 1, "indrelid": oid, "indnatts": n, "indnkeyatts": n,
			"indisunique": true, "indisprimary": true, "indimmediate": true, "indisvalid": true, "indisready": true,
			"indislive": true, "indkey": keyNums(t), "indcollation": coll, "indclass": class, "indoption": opt})
	}
	return nil
}

func pgConstraint(x *execCtx, b *rowBuilder) error {
	snap, err := x.snapshot()
	if err != nil {
		return err
	}
	for _, t := range snap.tables {
		oid := tableOID(t)
		b.add(map[string]any{"oid": oid + 2, "conname": t.Name + "_pkey", "connamespace": nspPublic, "contype": "p",
			"convalidated": true, "conrelid": oid, "conindid": oid + 1, "confupdtype": " ", "confdeltype": " ",
			"confmatchtype": " ", "conislocal": true, "connoinherit": true, "conkey": keyNums(t)})
	}
	return nil
}

func pgAttrdef(x *execCtx, b *rowBuilder) error {
	snap, err := x.snapshot()
	if err != nil {
		return err
	}
	for _, t := range snap.tables {
		oid := tableOID(t)
		for _, c := range t.Columns {
			if c.Default != nil && c.Identity == "" { // an identity has no pg_attrdef row
				b.add(map[string]any{"oid": oid + 4096 + int64(c.Num), "adrelid": oid, "adnum": c.Num, "adbin": defaultExpr(c)})
			}
		}
	}
	return nil
}

// defaultExpr renders a column default as pg_get_expr does.
func defaultExpr(c *catalog.Column) string {
	d := c.Default
	switch d.Func {
	case "now":
		return "now()"
	case "current_timestamp":
		return "CURRENT_TIMESTAMP"
	case "current_date":
		return "CURRENT_DATE"
	case "gen_random_uuid":
		return "gen_random_uuid()"
	case "nextval":
		return "nextval('" + d.Seq + "'::regclass)"
	case "":
	default:
		return d.Func + "()"
	}
	if d.Const == nil {
		return "NULL::" + formatType(c.Type, c.TypMod)
	}
	v := *d.Const
	switch c.Type {
	case sqltypes.Bool:
		if b, err := parseBool(v); err == nil {
			return map[bool]string{true: "true", false: "false"}[b]
		}
	case sqltypes.Int2, sqltypes.Int4, sqltypes.Int8, sqltypes.Numeric:
		if !strings.HasPrefix(v, "-") {
			return v
		}
	}
	return fmt.Sprintf("'%s'::%s", strings.ReplaceAll(v, "'", "''"), formatType(c.Type, -1))
}

func pgDatabase(x *execCtx, b *rowBuilder) error {
	b.add(map[string]any{"oid": 16383, "datname": x.env.Keyspace, "datdba": owner, "encoding": 6, "datlocprovider": "c",
		"datallowconn": true, "datconnlimit": -1, "dattablespace": 1663, "datcollate": "C.UTF-8", "datctype": "C.UTF-8"})
	return nil
}

func pgSettings(x *execCtx, b *rowBuilder) error {
	version := "15.8"
	if x.env.Info != nil && x.env.Info.Version != "" {
		version = x.env.Info.Version
	}
	for _, s := range [][3]string{
		{"server_version", version, "string"}, {"server_version_num", "150008", "integer"},
		{"server_encoding", "UTF8", "string"}, {"client_encoding", "UTF8", "string"},
		{"standard_conforming_strings", "on", "bool"}, {"max_identifier_length", "63", "integer"},
		{"DateStyle", "ISO, MDY", "string"}, {"TimeZone", "UTC", "string"}, {"integer_datetimes", "on", "bool"},
		{"search_path", `"$user", public`, "string"}, {"default_transaction_isolation", "read committed", "enum"},
		{"transaction_isolation", "read committed", "string"}, {"lc_collate", "C.UTF-8", "string"},
		{"max_connections", "100", "integer"}, {"block_size", "8192", "integer"},
	} {
		b.add(map[string]any{"name": s[0], "setting": s[1], "vartype": s[2], "context": "user", "source": "default",
			"boot_val": s[1], "reset_val": s[1], "category": "tally", "short_desc": s[0]})
	}
	return nil
}

func pgAm(x *execCtx, b *rowBuilder) error {
	b.add(map[string]any{"oid": 2, "amname": "heap", "amtype": "t"})
	b.add(map[string]any{"oid": 403, "amname": "btree", "amtype": "i"})
	b.add(map[string]any{"oid": 405, "amname": "hash", "amtype": "i"})
	return nil
}

func pgCollation(x *execCtx, b *rowBuilder) error {
	for _, c := range []struct {
		oid              int64
		name, prov, coll string
	}{{100, "default", "d", ""}, {950, "C", "c", "C"}, {951, "POSIX", "c", "POSIX"}} {
		b.add(map[string]any{"oid": c.oid, "collname": c.name, "collnamespace": nspCatalog, "collowner": owner,
			"collprovider": c.prov, "collisdeterministic": true, "collencoding": -1, "collcollate": c.coll, "collctype": c.coll})
	}
	return nil
}

func userName(x *execCtx) string {
	if x.env.Info != nil && x.env.Info.User != "" {
		return x.env.Info.User
	}
	return "tally"
}

func pgRoles(x *execCtx, b *rowBuilder) error {
	b.add(map[string]any{"rolname": userName(x), "rolsuper": true, "rolinherit": true, "rolcreaterole": true,
		"rolcreatedb": true, "rolcanlogin": true, "rolconnlimit": -1, "rolpassword": "********", "oid": owner})
	return nil
}

func pgUser(x *execCtx, b *rowBuilder) error {
	b.add(map[string]any{"usename": userName(x), "usesysid": owner, "usecreatedb": true, "usesuper": true, "passwd": "********"})
	return nil
}

func pgTablespace(x *execCtx, b *rowBuilder) error {
	b.add(map[string]any{"oid": 1663, "spcname": "pg_default", "spcowner": owner})
	b.add(map[string]any{"oid": 1664, "spcname": "pg_global", "spcowner": owner})
	return nil
}

func pgProc(x *execCtx, b *rowBuilder) error {
	for _, f := range procs() {
		b.add(map[string]any{"oid": f.oid, "proname": f.name, "pronamespace": nspCatalog, "proowner": owner,
			"prolang": 12, "procost": float64(1), "prokind": f.kind, "proisstrict": true, "provolatile": "s",
			"proparallel": "s", "prorettype": f.ret, "proargtypes": []any{}, "prosrc": f.name})
	}
	return nil
}

func pgTables(x *execCtx, b *rowBuilder) error {
	snap, err := x.snapshot()
	if err != nil {
		return err
	}
	for _, t := range snap.tables {
		b.add(map[string]any{"schemaname": "public", "tablename": t.Name, "tableowner": userName(x), "tablespace": nil, "hasindexes": true})
	}
	return nil
}

func pgIndexes(x *execCtx, b *rowBuilder) error {
	snap, err := x.snapshot()
	if err != nil {
		return err
	}
	for _, t := range snap.tables {
		b.add(map[string]any{"schemaname": "public", "tablename": t.Name, "indexname": t.Name + "_pkey", "tablespace": nil,
			"indexdef": indexDef(t)})
	}
	return nil
}

// indexDef is pg_get_indexdef of t's primary key index.
func indexDef(t *catalog.Table) string {
	return fmt.Sprintf("CREATE UNIQUE INDEX %s ON public.%s USING btree (%s)", quoteIdent(t.Name+"_pkey"), quoteIdent(t.Name), keyList(t))
}

func keyList(t *catalog.Table) string {
	names := make([]string, len(t.PrimaryKey))
	for i, c := range t.KeyColumns() {
		names[i] = quoteIdent(c.Name)
	}
	return strings.Join(names, ", ")
}

// typInput and typOutput name array types' I/O functions (clients test
// typinput = 'array_in'::regproc to find arrays); others show none.
func typInput(t *pgType) int64 {
	if strings.HasPrefix(t.name, "_") {
		return 750
	}
	return 0
}

func typOutput(t *pgType) int64 {
	if strings.HasPrefix(t.name, "_") {
		return 751
	}
	return 0
}

// systemColumns are the system columns every Postgres table has, attnum
// -1 down to -6; tally's rows have no such values, but introspection
// lists them as Postgres does.
var systemColumns = []struct {
	name string
	typ  uint32
}{{"ctid", sqltypes.TID}, {"xmin", sqltypes.XID}, {"cmin", sqltypes.CID}, {"xmax", sqltypes.XID}, {"cmax", sqltypes.CID}, {"tableoid", sqltypes.OIDType}}

// pgStatTables lists the user tables in the statistics views; tally keeps
// no statistics, so the counters are zero.
func pgStatTables(x *execCtx, b *rowBuilder) error {
	snap, err := x.snapshot()
	if err != nil {
		return err
	}
	for _, t := range snap.tables {
		b.add(map[string]any{"relid": tableOID(t), "schemaname": "public", "relname": t.Name})
	}
	return nil
}
