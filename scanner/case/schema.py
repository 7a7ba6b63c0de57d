"""Named migrations of the case database, applied in order and recorded in `migrations`."""

MIGRATIONS: tuple[tuple[str, str], ...] = (
    (
        "0001_initial",
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            started TEXT NOT NULL,
            finished TEXT,
            status TEXT NOT NULL DEFAULT 'running',
            command TEXT NOT NULL,
            version TEXT NOT NULL,
            config TEXT NOT NULL,
            models TEXT NOT NULL DEFAULT '[]',
            sets TEXT NOT NULL DEFAULT '[]'
        );
        CREATE TABLE evidence (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            size INTEGER NOT NULL,
            files TEXT NOT NULL,
            stored_hashes TEXT NOT NULL,
            metadata TEXT NOT NULL,
            fingerprint_before TEXT,
            fingerprint_after TEXT
        );
        CREATE TABLE work (
            unit TEXT PRIMARY KEY,
            state TEXT NOT NULL CHECK (state IN ('started', 'done', 'poisoned')),
            attempts INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE items (
            id INTEGER PRIMARY KEY,
            evidence_id INTEGER NOT NULL REFERENCES evidence(id),
            locator TEXT NOT NULL,
            locator_json TEXT NOT NULL,
            path TEXT NOT NULL,
            size INTEGER NOT NULL,
            deleted INTEGER NOT NULL,
            carved INTEGER NOT NULL DEFAULT 0,
            extent_kind TEXT,
            runs TEXT,
            complete INTEGER NOT NULL DEFAULT 1,
            times TEXT,
            sha256 TEXT NOT NULL,
            media_type TEXT NOT NULL,
            UNIQUE (evidence_id, locator)
        );
        CREATE INDEX items_sha256 ON items(sha256);
        CREATE TABLE blobs (
            sha256 TEXT PRIMARY KEY,
            md5 TEXT NOT NULL,
            sha1 TEXT NOT NULL,
            size INTEGER NOT NULL,
            media_type TEXT NOT NULL,
            width INTEGER,
            height INTEGER,
            pdq TEXT,
            pdq_quality INTEGER,
            phash TEXT,
            dhash TEXT,
            facts TEXT NOT NULL DEFAULT '{}',
            thumbnail BLOB
        );
        CREATE TABLE faces (
            sha256 TEXT NOT NULL,
            idx INTEGER NOT NULL,
            box TEXT NOT NULL,
            landmarks TEXT NOT NULL,
            score REAL NOT NULL,
            embedding BLOB,
            embed_model TEXT,
            deepfake REAL,
            consistency REAL,
            source_set TEXT,
            source_label TEXT,
            source_reference TEXT,
            source_correlation REAL,
            face_pdq TEXT,
            face_pdq_quality INTEGER,
            PRIMARY KEY (sha256, idx)
        );
        CREATE TABLE scores (
            sha256 TEXT NOT NULL,
            name TEXT NOT NULL,
            value REAL NOT NULL,
            model TEXT NOT NULL,
            model_sha256 TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (sha256, name)
        );
        CREATE TABLE matches (
            sha256 TEXT NOT NULL,
            face_idx INTEGER NOT NULL DEFAULT -1,
            set_name TEXT NOT NULL,
            set_kind TEXT NOT NULL,
            method TEXT NOT NULL,
            distance REAL NOT NULL,
            similarity REAL,
            category TEXT,
            label TEXT,
            entry_id TEXT NOT NULL,
            PRIMARY KEY (sha256, face_idx, set_name, method, entry_id)
        );
        CREATE TABLE findings (
            sha256 TEXT NOT NULL,
            rule TEXT NOT NULL,
            priority INTEGER NOT NULL,
            category TEXT NOT NULL,
            reason TEXT NOT NULL,
            PRIMARY KEY (sha256, rule)
        );
        CREATE TABLE errors (
            locator TEXT NOT NULL,
            stage TEXT NOT NULL,
            reason TEXT NOT NULL,
            PRIMARY KEY (locator, stage)
        );
        """,
    ),
    (
        "0002_attributions",
        """
        CREATE TABLE attributions (
            evidence_id INTEGER NOT NULL,
            locator TEXT NOT NULL,
            app TEXT NOT NULL,
            chat_id TEXT,
            account_id TEXT,
            PRIMARY KEY (evidence_id, locator, app)
        );
        """,
    ),
    (
        "0003_item_origin",
        """
        ALTER TABLE items ADD COLUMN origin TEXT;  -- a cache entry's store, path, URL… (JSON)
        """,
    ),
    (
        "0004_decisions",
        """
        CREATE TABLE decisions (  -- the examiner's decisions: append-only, latest per target wins
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            examiner TEXT NOT NULL,
            target_kind TEXT NOT NULL CHECK (target_kind IN ('item', 'blob', 'face', 'finding')),
            target_key TEXT NOT NULL,
            decision TEXT NOT NULL,
            value TEXT NOT NULL DEFAULT '',
            note TEXT NOT NULL DEFAULT '',
            overrides TEXT NOT NULL DEFAULT '{}'  -- what the scanner said then (JSON)
        );
        CREATE INDEX decisions_target ON decisions(target_kind, target_key, id);
        CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions
        BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
        CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions
        BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
        """,
    ),
    (
        "0005_face_age",  # issue #17: apparent age per face, and a face match's error rate
        """
        ALTER TABLE faces ADD COLUMN apparent_age REAL;
        ALTER TABLE faces ADD COLUMN apparent_age_spread REAL;
        ALTER TABLE faces ADD COLUMN minor_probability REAL;
        ALTER TABLE faces ADD COLUMN age_model TEXT;
        ALTER TABLE matches ADD COLUMN false_match_rate REAL;
        """,
    ),
)
