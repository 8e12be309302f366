-- Up Migration

-- Live delivery: each statement that appends events notifies channel sluice_events once per
-- stream, with the stream's new head, e.g. {"s":"rollout-1","p":12}. Sent at commit, so a
-- listener that reads the stream after the notification sees the events. Listeners that miss
-- one (a dropped connection) catch up by comparing heads now and then (docs/ARCHITECTURE.md).
CREATE FUNCTION events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  appended_stream record;
BEGIN
  FOR appended_stream IN SELECT stream_id, max(stream_position) AS head FROM appended GROUP BY stream_id LOOP
    PERFORM pg_notify('sluice_events', json_build_object('s', appended_stream.stream_id, 'p', appended_stream.head)::text);
  END LOOP;
  RETURN NULL;
END;
$$;
CREATE TRIGGER events_notify AFTER INSERT ON events
  REFERENCING NEW TABLE AS appended
  FOR EACH STATEMENT EXECUTE FUNCTION events_notify();

-- Down Migration
DROP TRIGGER events_notify ON events;
DROP FUNCTION events_notify();
