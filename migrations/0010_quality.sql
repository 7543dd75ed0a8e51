-- Normalised values keep the raw values they came from (only where normalising changed them), and
-- contacts carry what their values told about quality (typo'd, free-mail or disposable email
-- domain; a phone or country that could not be read).
ALTER TABLE contacts ADD COLUMN raw jsonb NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE contacts ADD COLUMN quality jsonb NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE accounts ADD COLUMN raw jsonb NOT NULL DEFAULT '{}'::jsonb;
