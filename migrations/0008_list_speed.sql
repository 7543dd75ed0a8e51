-- Sort indexes for the list screens (issue 4: a page of 50 from a 1M-contact workspace in under
-- 100 ms). listRecords (records-query.ts `pageQuery`) reads a page sorted by a field as
-- `WHERE workspace_id = $1 AND deleted_at IS NULL AND <col> IS [NOT] NULL ORDER BY <col>, id`
-- (both ascending, or both descending), so one plain (workspace_id, <col>, id) index serves both
-- directions, read forwards or backwards, and a filter `<col> = value` in id order as well.
-- Each index slows imports and writes a little (BENCHMARKS.md, contacts-list), so only the fields
-- a list is most often sorted or filtered by get one: the name columns, company and country of
-- contacts, the name of accounts. Email and domain have their unique indexes already.
CREATE INDEX contacts_first_name_sort_idx ON contacts (workspace_id, first_name, id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_last_name_sort_idx ON contacts (workspace_id, last_name, id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_company_sort_idx ON contacts (workspace_id, company, id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_country_sort_idx ON contacts (workspace_id, country, id) WHERE deleted_at IS NULL;
CREATE INDEX accounts_name_sort_idx ON accounts (workspace_id, name, id) WHERE deleted_at IS NULL;

-- A custom field marked `indexed` had an index on the text `(custom->>'key')`, which neither a
-- number filter nor a sort could use: they compare `(custom->>'key')::numeric` (number, currency)
-- or `::boolean`, and a sort needs `id` after the value; a multi-select is filtered with `?|` /
-- `?&` on `custom->'key'`, which a GIN index serves. Rebuild the index of every indexed field as
-- custom-fields.service `ensureIndex` now creates it (the same expressions, by type).
DO $$
DECLARE
  f record;
  name text;
  tbl text;
BEGIN
  FOR f IN SELECT id, object, key, type FROM custom_fields WHERE indexed LOOP
    name := 'cf_' || replace(f.id::text, '-', '');
    tbl := CASE f.object WHEN 'contact' THEN 'contacts' ELSE 'accounts' END;
    EXECUTE format('DROP INDEX IF EXISTS %I', name);
    IF f.type = 'multiselect' THEN
      EXECUTE format('CREATE INDEX %I ON %I USING gin ((custom->%L)) WHERE deleted_at IS NULL', name, tbl, f.key);
    ELSE
      EXECUTE format(
        'CREATE INDEX %I ON %I (workspace_id, %s, id) WHERE deleted_at IS NULL',
        name,
        tbl,
        CASE
          WHEN f.type IN ('number', 'currency') THEN format('((custom->>%L)::numeric)', f.key)
          WHEN f.type = 'boolean' THEN format('((custom->>%L)::boolean)', f.key)
          ELSE format('(custom->>%L)', f.key)
        END
      );
    END IF;
  END LOOP;
END $$;
