-- Presence tables for SQLite, column-compatible with Kamailio's presence,
-- pua and xcap schemas (same table, column and unique-index names), so a DB
-- made by kamdbctl works and this one works for Kamailio's own modules.
-- Safe to apply any number of times: nothing existing is dropped or changed.
-- An outdated table keeps its old version row, which the modules report.

CREATE TABLE IF NOT EXISTS version (
    id INTEGER PRIMARY KEY NOT NULL,
    table_name VARCHAR(32) NOT NULL,
    table_version INTEGER DEFAULT 0 NOT NULL,
    CONSTRAINT version_table_name_idx UNIQUE (table_name)
);
INSERT OR IGNORE INTO version (table_name, table_version) VALUES ('version', 1);

-- Published state (PUBLISH), one row per etag.
CREATE TABLE IF NOT EXISTS presentity (
    id INTEGER PRIMARY KEY NOT NULL,
    username VARCHAR(64) NOT NULL,
    domain VARCHAR(64) NOT NULL,
    event VARCHAR(64) NOT NULL,
    etag VARCHAR(128) NOT NULL,
    expires INTEGER NOT NULL,
    received_time INTEGER NOT NULL,
    body BLOB NOT NULL,
    sender VARCHAR(255) NOT NULL,
    priority INTEGER DEFAULT 0 NOT NULL,
    ruid VARCHAR(64),
    CONSTRAINT presentity_presentity_idx UNIQUE (username, domain, event, etag),
    CONSTRAINT presentity_ruid_idx UNIQUE (ruid)
);
CREATE INDEX IF NOT EXISTS presentity_presentity_expires
    ON presentity (expires);
CREATE INDEX IF NOT EXISTS presentity_account_idx
    ON presentity (username, domain, event);
INSERT OR IGNORE INTO version (table_name, table_version) VALUES ('presentity', 5);

-- Subscription dialogs (SUBSCRIBE), one row per dialog.
CREATE TABLE IF NOT EXISTS active_watchers (
    id INTEGER PRIMARY KEY NOT NULL,
    presentity_uri VARCHAR(255) NOT NULL,
    watcher_username VARCHAR(64) NOT NULL,
    watcher_domain VARCHAR(64) NOT NULL,
    to_user VARCHAR(64) NOT NULL,
    to_domain VARCHAR(64) NOT NULL,
    event VARCHAR(64) DEFAULT 'presence' NOT NULL,
    event_id VARCHAR(64),
    to_tag VARCHAR(128) NOT NULL,
    from_tag VARCHAR(128) NOT NULL,
    callid VARCHAR(255) NOT NULL,
    local_cseq INTEGER NOT NULL,
    remote_cseq INTEGER NOT NULL,
    contact VARCHAR(255) NOT NULL,
    record_route TEXT,
    expires INTEGER NOT NULL,
    status INTEGER DEFAULT 2 NOT NULL,
    reason VARCHAR(64),
    version INTEGER DEFAULT 0 NOT NULL,
    socket_info VARCHAR(64) NOT NULL,
    local_contact VARCHAR(255) NOT NULL,
    from_user VARCHAR(64) NOT NULL,
    from_domain VARCHAR(64) NOT NULL,
    updated INTEGER NOT NULL,
    updated_winfo INTEGER NOT NULL,
    flags INTEGER DEFAULT 0 NOT NULL,
    user_agent VARCHAR(255) DEFAULT '',
    CONSTRAINT active_watchers_active_watchers_idx
        UNIQUE (callid, to_tag, from_tag)
);
CREATE INDEX IF NOT EXISTS active_watchers_active_watchers_expires
    ON active_watchers (expires);
CREATE INDEX IF NOT EXISTS active_watchers_active_watchers_pres
    ON active_watchers (presentity_uri, event);
CREATE INDEX IF NOT EXISTS active_watchers_updated_idx
    ON active_watchers (updated);
CREATE INDEX IF NOT EXISTS active_watchers_updated_winfo_idx
    ON active_watchers (updated_winfo, presentity_uri);
INSERT OR IGNORE INTO version (table_name, table_version) VALUES ('active_watchers', 12);

-- Authorisation state of each watcher of a presentity.
CREATE TABLE IF NOT EXISTS watchers (
    id INTEGER PRIMARY KEY NOT NULL,
    presentity_uri VARCHAR(255) NOT NULL,
    watcher_username VARCHAR(64) NOT NULL,
    watcher_domain VARCHAR(64) NOT NULL,
    event VARCHAR(64) DEFAULT 'presence' NOT NULL,
    status INTEGER NOT NULL,
    reason VARCHAR(64),
    inserted_time INTEGER NOT NULL,
    CONSTRAINT watchers_watcher_idx
        UNIQUE (presentity_uri, watcher_username, watcher_domain, event)
);
INSERT OR IGNORE INTO version (table_name, table_version) VALUES ('watchers', 3);

-- XCAP documents (pres-rules, resource lists, ...).
CREATE TABLE IF NOT EXISTS xcap (
    id INTEGER PRIMARY KEY NOT NULL,
    username VARCHAR(64) NOT NULL,
    domain VARCHAR(64) NOT NULL,
    doc BLOB NOT NULL,
    doc_type INTEGER NOT NULL,
    etag VARCHAR(128) NOT NULL,
    source INTEGER NOT NULL,
    doc_uri VARCHAR(255) NOT NULL,
    port INTEGER NOT NULL,
    CONSTRAINT xcap_doc_uri_idx UNIQUE (doc_uri)
);
CREATE INDEX IF NOT EXISTS xcap_account_doc_type_idx
    ON xcap (username, domain, doc_type);
CREATE INDEX IF NOT EXISTS xcap_account_doc_type_uri_idx
    ON xcap (username, domain, doc_type, doc_uri);
CREATE INDEX IF NOT EXISTS xcap_account_doc_uri_idx
    ON xcap (username, domain, doc_uri);
INSERT OR IGNORE INTO version (table_name, table_version) VALUES ('xcap', 4);

-- Client side (pua): our own publications and subscriptions.
CREATE TABLE IF NOT EXISTS pua (
    id INTEGER PRIMARY KEY NOT NULL,
    pres_uri VARCHAR(255) NOT NULL,
    pres_id VARCHAR(255) NOT NULL,
    event INTEGER NOT NULL,
    expires INTEGER NOT NULL,
    desired_expires INTEGER NOT NULL,
    flag INTEGER NOT NULL,
    etag VARCHAR(128) NOT NULL,
    tuple_id VARCHAR(64),
    watcher_uri VARCHAR(255) NOT NULL,
    call_id VARCHAR(255) NOT NULL,
    to_tag VARCHAR(128) NOT NULL,
    from_tag VARCHAR(128) NOT NULL,
    cseq INTEGER NOT NULL,
    record_route TEXT,
    contact VARCHAR(255) NOT NULL,
    remote_contact VARCHAR(255) NOT NULL,
    version INTEGER NOT NULL,
    extra_headers TEXT NOT NULL,
    CONSTRAINT pua_pua_idx UNIQUE (etag, tuple_id, call_id, from_tag)
);
CREATE INDEX IF NOT EXISTS pua_expires_idx ON pua (expires);
CREATE INDEX IF NOT EXISTS pua_dialog1_idx ON pua (pres_id, pres_uri);
CREATE INDEX IF NOT EXISTS pua_dialog2_idx ON pua (call_id, from_tag);
CREATE INDEX IF NOT EXISTS pua_record_idx ON pua (pres_id);
INSERT OR IGNORE INTO version (table_name, table_version) VALUES ('pua', 7);
