import { useQueryClient } from '@tanstack/react-query';
import { getRouteApi, Link, useNavigate } from '@tanstack/react-router';
import { useEffect, useRef, useState } from 'react';
import type { ObjectName } from '../../../../src/modules/crm/field-types.js';
import { ApiError } from '../../lib/api.js';
import { useCan, useSession } from '../../lib/session.js';
import { Button } from '../../ui/Button.js';
import { ChoiceCards } from '../../ui/ChoiceCards.js';
import { PageHeader } from '../../ui/PageHeader.js';
import { Forbidden } from '../../ui/RouteStates.js';
import { Glyph } from './glyphs.js';
import { formatBytes, importQuery, objectWords, rememberSuggestion } from './import-queries.js';
import { ImportSteps } from './ImportSteps.js';
import { UploadZone } from './UploadZone.js';
import { precheckFile, uploadImportFile } from './upload.js';
import './import.css';

const route = getRouteApi('/_app/imports/new');

interface Upload {
  file: File;
  loaded: number;
  total: number;
  error: unknown;
}

/** The first step of an import: which records, and the file. The rest happens at /imports/$id. */
export function NewImportPage() {
  const object = route.useSearch().object ?? 'contact';
  const navigate = useNavigate();
  const qc = useQueryClient();
  const can = useCan();
  const { csrfToken } = useSession();
  const words = objectWords[object];
  const [upload, setUpload] = useState<Upload | null>(null);
  const abort = useRef<AbortController | null>(null);
  const importable = (['contact', 'account'] as const).filter((o) => can(`${objectWords[o].many}.import`));

  // Leaving the page cancels an upload in flight.
  useEffect(() => () => abort.current?.abort(), []);

  if (!can(`${words.many}.import`)) return <Forbidden what={`Importing ${words.many}`} />;

  const start = (file: File) => {
    const problem = precheckFile(file);
    if (problem) {
      setUpload({
        file,
        loaded: 0,
        total: file.size,
        error: new ApiError({ title: 'This file cannot be imported', status: 400, code: 'precheck', detail: problem }),
      });
      return;
    }
    const controller = new AbortController();
    abort.current = controller;
    setUpload({ file, loaded: 0, total: file.size, error: null });
    uploadImportFile(file, object, csrfToken, (p) => setUpload((u) => (u && u.file === file ? { ...u, ...p } : u)), controller.signal).then(
      async (imp) => {
        rememberSuggestion(imp);
        qc.setQueryData(importQuery(imp.id).queryKey, imp);
        await qc.invalidateQueries({ queryKey: ['imports', 'list'] });
        await navigate({ to: '/imports/$id', params: { id: imp.id }, replace: true });
      },
      (err: unknown) => {
        if (err instanceof ApiError && err.code === 'aborted') setUpload(null);
        else setUpload((u) => (u && u.file === file ? { ...u, error: err } : u));
      },
    );
  };

  const uploading = upload !== null && !upload.error;
  const pct = upload && upload.total > 0 ? Math.min(100, Math.round((upload.loaded / upload.total) * 100)) : 0;
  const errorDetail =
    upload?.error instanceof ApiError
      ? (upload.error.problem.detail ?? upload.error.problem.title)
      : upload?.error
        ? 'The upload failed.'
        : null;

  return (
    <div className="page imp-page">
      <Link to="/imports" className="imp-back">
        <Glyph name="arrowLeft" size={15} />
        All imports
      </Link>
      <PageHeader
        title={`Import ${words.many}`}
        description="From a CSV file: an export from HubSpot, Salesforce, Marketo, Mautic or Pipedrive, or any spreadsheet saved as CSV."
      />
      <ImportSteps current="upload" />

      {importable.length > 1 && (
        <div className="imp-object">
          <ChoiceCards<ObjectName>
            legend="What the file holds"
            value={object}
            columns={2}
            onChange={(o) => void navigate({ to: '/imports/new', search: { object: o }, replace: true })}
            choices={importable.map((o) => ({
              value: o,
              label: objectWords[o].Many,
              description:
                o === 'contact'
                  ? 'People: matched on email, or on an id from your CRM.'
                  : 'Companies: matched on their domain, or on an id from your CRM.',
              disabled: uploading,
            }))}
          />
        </div>
      )}

      {upload ? (
        <div className={`card imp-file${upload.error ? ' imp-file-error' : ''}`} aria-live="polite">
          <span className="imp-file-icon" aria-hidden="true">
            <Glyph name="file" size={22} />
          </span>
          <div className="imp-file-body">
            <p className="imp-file-name">{upload.file.name}</p>
            <p className="imp-file-meta">
              {formatBytes(upload.file.size)}
              {uploading && (pct < 100 ? ` · uploading ${pct}%` : ' · reading the header and first rows…')}
            </p>
            {uploading && (
              <div
                className="imp-progress"
                role="progressbar"
                aria-label={`Uploading ${upload.file.name}`}
                aria-valuemin={0}
                aria-valuemax={100}
                aria-valuenow={pct}
              >
                <span className={`imp-progress-fill${pct >= 100 ? ' imp-progress-pulse' : ''}`} style={{ width: `${pct}%` }} />
              </div>
            )}
            {errorDetail && (
              <div className="imp-file-problem" role="alert">
                <p className="imp-file-problem-title">This file cannot be imported</p>
                <p>{errorDetail}</p>
              </div>
            )}
          </div>
          <div className="imp-file-actions">
            {uploading ? (
              <Button variant="ghost" onClick={() => abort.current?.abort()}>
                Cancel
              </Button>
            ) : (
              <Button onClick={() => setUpload(null)}>Choose another file</Button>
            )}
          </div>
        </div>
      ) : (
        <UploadZone onFile={start} noun={words.many} />
      )}

      <section className="imp-tips" aria-labelledby="imp-tips-title">
        <h2 id="imp-tips-title" className="imp-tips-title">
          What works
        </h2>
        <ul>
          <li>
            <strong>Any column names.</strong> Headers such as “E-mail Address”, “FirstName” or “Company Name” are matched to fields for
            you; you check each one before anything is written.
          </li>
          <li>
            <strong>Comma, semicolon or tab separated,</strong> in UTF-8, UTF-16 or Windows-1252, with quoted values over several lines.
          </li>
          <li>
            <strong>A dry run first.</strong> Every row is checked and you see what will be created, updated or refused, and why.
          </li>
          <li>
            <strong>Undo afterwards.</strong> Records an import created go to the trash and the ones it updated get their values back.
          </li>
        </ul>
      </section>
    </div>
  );
}
