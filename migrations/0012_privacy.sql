-- Erasure: people who asked to be forgotten are kept only as a salted hash of their email, so
-- they are never imported or mailed again; each erasure leaves a report of what was removed.

CREATE TABLE privacy_salts (
  workspace_id  uuid PRIMARY KEY REFERENCES workspaces(id),
  salt          text NOT NULL
);

CREATE TABLE suppressions (
  workspace_id  uuid NOT NULL REFERENCES workspaces(id),
  kind          text NOT NULL CHECK (kind IN ('email')),
  hash          text NOT NULL,
  reason        text NOT NULL,
  created_at    timestamptz NOT NULL,
  PRIMARY KEY (workspace_id, kind, hash)
);

CREATE TABLE erasures (
  id            uuid PRIMARY KEY,
  workspace_id  uuid NOT NULL REFERENCES workspaces(id),
  contact_id    uuid NOT NULL,
  requested_by  text NOT NULL,
  at            timestamptz NOT NULL,
  removed       jsonb NOT NULL
);
CREATE INDEX erasures_ws_idx ON erasures (workspace_id, at DESC);

-- Replaces, inside a JSON document, every object or array that directly holds a string containing
-- one of the needles (the person's email or phone) with the string "[erased]": the record about the
-- person goes, the document around it stays. Strings holding a needle directly become "[erased]".
CREATE FUNCTION keel_erase_jsonb(doc jsonb, needles text[]) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  t text := jsonb_typeof(doc);
  holds boolean := false;
  out jsonb;
  k text;
  v jsonb;
  n text;
BEGIN
  IF t = 'string' THEN
    FOREACH n IN ARRAY needles LOOP
      IF position(n IN (doc #>> '{}')) > 0 THEN RETURN to_jsonb('[erased]'::text); END IF;
    END LOOP;
    RETURN doc;
  END IF;
  IF t = 'object' THEN
    FOR k, v IN SELECT * FROM jsonb_each(doc) LOOP
      IF jsonb_typeof(v) = 'string' THEN
        FOREACH n IN ARRAY needles LOOP
          IF position(n IN (v #>> '{}')) > 0 THEN holds := true; END IF;
        END LOOP;
      END IF;
    END LOOP;
    IF holds THEN RETURN to_jsonb('[erased]'::text); END IF;
    out := '{}'::jsonb;
    FOR k, v IN SELECT * FROM jsonb_each(doc) LOOP
      out := out || jsonb_build_object(k, keel_erase_jsonb(v, needles));
    END LOOP;
    RETURN out;
  END IF;
  IF t = 'array' THEN
    FOR v IN SELECT * FROM jsonb_array_elements(doc) LOOP
      IF jsonb_typeof(v) = 'string' THEN
        FOREACH n IN ARRAY needles LOOP
          IF position(n IN (v #>> '{}')) > 0 THEN holds := true; END IF;
        END LOOP;
      END IF;
    END LOOP;
    IF holds THEN RETURN to_jsonb('[erased]'::text); END IF;
    SELECT coalesce(jsonb_agg(keel_erase_jsonb(e, needles) ORDER BY i), '[]'::jsonb) INTO out
      FROM jsonb_array_elements(doc) WITH ORDINALITY AS x(e, i);
    RETURN out;
  END IF;
  RETURN doc;
END $$;
