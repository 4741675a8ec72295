-- Candle storage, in one of two dialects (DESIGN.md §2). Queries are written once and run on
-- both: they use time_bucket(interval, timestamptz), first(value, ts), last(value, ts) and
-- read the candle_1h / candle_1d relations (instrument_id, bucket, open, high, low, close,
-- volume, bar_count = number of stored candles in the bucket).
--
-- TimescaleDB (when the extension can be loaded): `candle` becomes a hypertable with
-- compression, candle_1h / candle_1d are real-time continuous aggregates with refresh
-- policies.
-- Portable (plain PostgreSQL >= 15): time_bucket/first/last are defined here in SQL with
-- TimescaleDB's results (default origins included), and candle_1h / candle_1d are ordinary
-- tables that ingest keeps up to date.
--
-- The choice is made by the session setting `quantql.timescaledb` (auto | on | off), set by
-- quantql's migration runner from DATABASE_TIMESCALEDB; unset (e.g. under
-- `prisma migrate deploy`) means auto.

DO $migration$
DECLARE
  requested text := coalesce(nullif(current_setting('quantql.timescaledb', true), ''), 'auto');
  available boolean := EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb')
                       AND current_setting('shared_preload_libraries') ~ 'timescaledb';
BEGIN
  IF requested NOT IN ('auto', 'on', 'off') THEN
    RAISE EXCEPTION 'quantql.timescaledb must be auto, on or off (got %)', requested;
  END IF;
  IF requested = 'on' AND NOT available THEN
    RAISE EXCEPTION 'TimescaleDB was required (DATABASE_TIMESCALEDB=on) but the extension is not available or not in shared_preload_libraries';
  END IF;

  IF requested <> 'off' AND available THEN
    ------------------------------------------------------------------ TimescaleDB
    CREATE EXTENSION IF NOT EXISTS timescaledb;

    -- 7-day chunks: ~168 hourly or ~10k minute bars per symbol per chunk, small enough to
    -- compress and prune well, large enough that a multi-year backtest touches few chunks.
    PERFORM create_hypertable('candle', by_range('ts', INTERVAL '7 days'), migrate_data => true);

    -- Compressed per instrument, ordered by time: a single-symbol range read decompresses
    -- only that symbol's segment. Chunks older than 30 days are compressed by the policy.
    ALTER TABLE candle SET (
      timescaledb.compress,
      timescaledb.compress_segmentby = 'instrument_id',
      timescaledb.compress_orderby = 'ts'
    );
    PERFORM add_compression_policy('candle', compress_after => INTERVAL '30 days');

    EXECUTE $sql$
      CREATE MATERIALIZED VIEW candle_1h
      WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
      SELECT instrument_id,
             time_bucket(INTERVAL '1 hour', ts) AS bucket,
             first(open, ts) AS open,
             max(high) AS high,
             min(low) AS low,
             last(close, ts) AS close,
             sum(volume) AS volume,
             count(*) AS bar_count
      FROM candle
      GROUP BY instrument_id, time_bucket(INTERVAL '1 hour', ts)
      WITH NO DATA
    $sql$;
    EXECUTE $sql$
      CREATE MATERIALIZED VIEW candle_1d
      WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
      SELECT instrument_id,
             time_bucket(INTERVAL '1 day', ts) AS bucket,
             first(open, ts) AS open,
             max(high) AS high,
             min(low) AS low,
             last(close, ts) AS close,
             sum(volume) AS volume,
             count(*) AS bar_count
      FROM candle
      GROUP BY instrument_id, time_bucket(INTERVAL '1 day', ts)
      WITH NO DATA
    $sql$;
    -- Policies keep recent buckets materialised; ingest refreshes the exact window it
    -- touched, so historical back-fills never wait for a policy run.
    PERFORM add_continuous_aggregate_policy('candle_1h',
      start_offset => INTERVAL '3 days', end_offset => INTERVAL '1 hour',
      schedule_interval => INTERVAL '30 minutes');
    PERFORM add_continuous_aggregate_policy('candle_1d',
      start_offset => INTERVAL '30 days', end_offset => INTERVAL '1 day',
      schedule_interval => INTERVAL '1 hour');
  ELSE
    ------------------------------------------------------------------ portable
    -- time_bucket(bucket_width, ts) with TimescaleDB's semantics for timestamptz:
    --  * widths without months: buckets aligned on the origin 2000-01-03 00:00 UTC (a
    --    Monday, so weekly buckets start on Mondays), a day counting as 24 hours;
    --  * widths in months/years only: calendar buckets in UTC aligned on 2000-01-01.
    -- Written as a single SQL expression so that the planner inlines it into queries (and not
    -- STRICT: PostgreSQL does not inline a STRICT function whose body is not strict itself;
    -- NULL in gives NULL out all the same), and built only from IMMUTABLE functions — timestamp
    -- (not timestamptz) arithmetic — since an IMMUTABLE function is inlined only then.
    EXECUTE $sql$
      CREATE FUNCTION time_bucket_invalid_width(bucket_width interval) RETURNS timestamptz
      LANGUAGE plpgsql IMMUTABLE AS $fn$
      BEGIN
        RAISE EXCEPTION 'invalid time_bucket width: %', bucket_width
          USING HINT = 'Use a positive interval made only of months/years or only of days/time.';
      END $fn$
    $sql$;
    EXECUTE $sql$
      CREATE FUNCTION time_bucket(bucket_width interval, ts timestamptz) RETURNS timestamptz
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
        SELECT CASE
          WHEN bucket_width IS NULL OR ts IS NULL THEN NULL
          WHEN date_part('year', bucket_width) * 12 + date_part('month', bucket_width) > 0
               AND date_part('day', bucket_width) = 0
               AND bucket_width = make_interval(months => (date_part('year', bucket_width) * 12
                                                + date_part('month', bucket_width))::int)
          THEN (TIMESTAMP '2000-01-01' + make_interval(months => (
                  floor(((date_part('year', ts AT TIME ZONE 'UTC') - 2000) * 12
                         + date_part('month', ts AT TIME ZONE 'UTC') - 1)
                        / (date_part('year', bucket_width) * 12 + date_part('month', bucket_width)))
                  * (date_part('year', bucket_width) * 12 + date_part('month', bucket_width)))::int))
               AT TIME ZONE 'UTC'
          WHEN date_part('year', bucket_width) = 0 AND date_part('month', bucket_width) = 0
               AND extract(epoch FROM bucket_width) > 0
          THEN (TIMESTAMP '1970-01-01'
                + ((extract(epoch FROM ts AT TIME ZONE 'UTC') * 1000000)::bigint
                   - mod(mod((extract(epoch FROM ts AT TIME ZONE 'UTC') * 1000000)::bigint - 946857600000000,
                             (extract(epoch FROM bucket_width) * 1000000)::bigint)
                         + (extract(epoch FROM bucket_width) * 1000000)::bigint,
                         (extract(epoch FROM bucket_width) * 1000000)::bigint))
                  * INTERVAL '1 microsecond') AT TIME ZONE 'UTC'
          ELSE time_bucket_invalid_width(bucket_width)
        END
      $fn$
    $sql$;

    -- first(value, ts) / last(value, ts): the value at the earliest / latest ts of the group,
    -- as TimescaleDB's aggregates (restricted to double precision values, all quantql needs).
    -- Transition functions are PL/pgSQL: aggregates cannot inline SQL functions, and the
    -- SQL-function executor costs ~10x more per row than PL/pgSQL's cached plans.
    EXECUTE $sql$ CREATE TYPE first_last_state AS (val double precision, ts timestamptz) $sql$;
    EXECUTE $sql$
      CREATE FUNCTION first_sfunc(s first_last_state, v double precision, t timestamptz)
      RETURNS first_last_state LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
      BEGIN
        IF t IS NULL THEN RETURN s; END IF;
        IF s IS NULL OR t < s.ts THEN RETURN ROW(v, t)::first_last_state; END IF;
        RETURN s;
      END $fn$
    $sql$;
    EXECUTE $sql$
      CREATE FUNCTION first_combine(a first_last_state, b first_last_state)
      RETURNS first_last_state LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
        SELECT CASE WHEN a IS NULL THEN b WHEN b IS NULL THEN a
                    WHEN (b).ts < (a).ts THEN b ELSE a END
      $fn$
    $sql$;
    EXECUTE $sql$
      CREATE FUNCTION last_sfunc(s first_last_state, v double precision, t timestamptz)
      RETURNS first_last_state LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
      BEGIN
        IF t IS NULL THEN RETURN s; END IF;
        IF s IS NULL OR t >= s.ts THEN RETURN ROW(v, t)::first_last_state; END IF;
        RETURN s;
      END $fn$
    $sql$;
    EXECUTE $sql$
      CREATE FUNCTION last_combine(a first_last_state, b first_last_state)
      RETURNS first_last_state LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
        SELECT CASE WHEN a IS NULL THEN b WHEN b IS NULL THEN a
                    WHEN (b).ts >= (a).ts THEN b ELSE a END
      $fn$
    $sql$;
    EXECUTE $sql$
      CREATE FUNCTION first_last_final(s first_last_state) RETURNS double precision
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$ SELECT (s).val $fn$
    $sql$;
    EXECUTE $sql$
      CREATE AGGREGATE first(double precision, timestamptz) (
        SFUNC = first_sfunc, STYPE = first_last_state, FINALFUNC = first_last_final,
        COMBINEFUNC = first_combine, PARALLEL = SAFE)
    $sql$;
    EXECUTE $sql$
      CREATE AGGREGATE last(double precision, timestamptz) (
        SFUNC = last_sfunc, STYPE = first_last_state, FINALFUNC = first_last_final,
        COMBINEFUNC = last_combine, PARALLEL = SAFE)
    $sql$;

    -- Derived resolutions, maintained by ingest (it recomputes the buckets it touched).
    CREATE TABLE candle_1h (
      instrument_id INTEGER NOT NULL REFERENCES instrument(id) ON DELETE CASCADE,
      bucket TIMESTAMPTZ NOT NULL,
      open DOUBLE PRECISION NOT NULL,
      high DOUBLE PRECISION NOT NULL,
      low DOUBLE PRECISION NOT NULL,
      close DOUBLE PRECISION NOT NULL,
      volume DOUBLE PRECISION NOT NULL,
      bar_count BIGINT NOT NULL,
      PRIMARY KEY (instrument_id, bucket)
    );
    CREATE TABLE candle_1d (LIKE candle_1h INCLUDING ALL);
    ALTER TABLE candle_1d ADD FOREIGN KEY (instrument_id) REFERENCES instrument(id) ON DELETE CASCADE;
  END IF;
END
$migration$;
