-- API processes keep authenticated keys in memory (modules/accounts/key-cache.ts) and must
-- hear about every change that affects authentication, whoever makes it: the apikey
-- command, another replica, or an operator's UPDATE/DELETE by hand. NOTIFY is delivered
-- when the transaction commits, with the old key hash as payload. last_used_at (written
-- once a minute by authentication itself) and label do not affect it and notify nothing.

CREATE OR REPLACE FUNCTION api_key_notify_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('quantql_api_key_changed', OLD.key_hash);
  RETURN NULL;
END
$$;

CREATE TRIGGER api_key_changed
AFTER UPDATE OF owner, role, key_hash, revoked_at OR DELETE ON api_key
FOR EACH ROW EXECUTE FUNCTION api_key_notify_change();

-- TRUNCATE fires no row triggers: '*' tells listeners to forget every key.
CREATE OR REPLACE FUNCTION api_key_notify_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('quantql_api_key_changed', '*');
  RETURN NULL;
END
$$;

CREATE TRIGGER api_key_truncated
AFTER TRUNCATE ON api_key
FOR EACH STATEMENT EXECUTE FUNCTION api_key_notify_truncate();
