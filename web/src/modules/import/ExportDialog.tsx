import { useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import type { ObjectName } from '../../../../src/modules/crm/field-types.js';
import { useCan } from '../../lib/session.js';
import { Button } from '../../ui/Button.js';
import { ChoiceCards } from '../../ui/ChoiceCards.js';
import { Dialog } from '../../ui/Dialog.js';
import { Notice } from '../../ui/ProblemAlert.js';
import { Spinner } from '../../ui/Spinner.js';
import { useToast } from '../../ui/Toast.js';
import { Glyph } from './glyphs.js';
import { importFieldsQuery, objectWords } from './import-queries.js';
import './import.css';

/** One condition of a list filter, as the list endpoints and the export take it. */
export interface ExportFilter {
  field: string;
  op: string;
  value?: unknown;
}

export interface ExportDialogProps {
  /** Which records. Left out, the dialog offers contacts and accounts (those the role may export). */
  object?: ObjectName;
  /** The list's search text: the export then holds only the records the list shows. */
  q?: string | undefined;
  /** The list's filters, likewise. */
  filter?: readonly ExportFilter[] | undefined;
  /** Columns to tick when "Choose columns" is picked (say, the list's visible columns); target keys. */
  columns?: readonly string[] | undefined;
  onClose: () => void;
}

type Format = 'csv' | 'jsonl';

const systemColumns: ReadonlyArray<{ key: string; label: string }> = [
  { key: 'id', label: 'Keel id' },
  { key: 'createdAt', label: 'Created' },
  { key: 'updatedAt', label: 'Updated' },
];

/** The export's address: a plain GET the browser downloads, with the session cookie. */
export function exportUrl(
  object: ObjectName,
  opts: { format: Format; columns?: readonly string[] | undefined; q?: string | undefined; filter?: readonly ExportFilter[] | undefined },
): string {
  const params = new URLSearchParams({ format: opts.format });
  if (opts.columns?.length) params.set('columns', opts.columns.join(','));
  if (opts.q) params.set('q', opts.q);
  if (opts.filter?.length) params.set('filter', JSON.stringify(opts.filter));
  return `/api/v1/${objectWords[object].many}/export?${params.toString()}`;
}

/**
 * Export contacts or accounts as CSV (the headers the importer reads back) or JSON Lines: all
 * columns or chosen ones, all records or those matching the list's search and filters. The
 * download is a link to the export URL; the server streams it, so size does not matter.
 */
export function ExportDialog({ object: fixed, q, filter, columns: preset, onClose }: ExportDialogProps) {
  const can = useCan();
  const toast = useToast();
  const ids = useId();
  const allowed = (['contact', 'account'] as const).filter((o) => can(`${objectWords[o].many}.export`));
  const [object, setObject] = useState<ObjectName>(fixed ?? allowed[0] ?? 'contact');
  const [format, setFormat] = useState<Format>('csv');
  const [which, setWhich] = useState<'all' | 'chosen'>('all');
  const [chosen, setChosen] = useState<Set<string>>(() => new Set(preset ?? []));
  const filtered = Boolean(q || filter?.length);
  const [scope, setScope] = useState<'list' | 'everything'>(filtered ? 'list' : 'everything');
  const targets = useQuery(importFieldsQuery(object));
  const words = objectWords[object];

  const columnChoices = [
    ...(targets.data ?? []).filter((t) => t.group !== 'trait').map((t) => ({ key: t.key, label: t.label, group: t.group })),
    ...systemColumns.map((c) => ({ ...c, group: 'system' as const })),
  ];
  const picked = columnChoices.filter((c) => chosen.has(c.key)).map((c) => c.key);
  const columns = format === 'csv' && which === 'chosen' ? picked : undefined;
  const useList = filtered && scope === 'list';
  const href = exportUrl(object, { format, columns, q: useList ? q : undefined, filter: useList ? filter : undefined });
  const fileName = `${words.many}-${new Date().toISOString().slice(0, 10)}.${format}`;
  const nothingChosen = format === 'csv' && which === 'chosen' && picked.length === 0;

  const toggle = (key: string) =>
    setChosen((s) => {
      const next = new Set(s);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      return next;
    });

  const changeObject = (o: ObjectName) => {
    setObject(o);
    setChosen(new Set());
  };

  return (
    <Dialog
      title={fixed ? `Export ${words.many}` : 'Export records'}
      description={`A file of ${filtered && scope === 'list' ? `the ${words.many} the list shows` : `every ${words.one}`}, downloaded by your browser. Deleted records are left out.`}
      size="lg"
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <a
            className={`btn btn-primary${nothingChosen ? ' imp-link-disabled' : ''}`}
            href={nothingChosen ? undefined : href}
            download={fileName}
            aria-disabled={nothingChosen || undefined}
            onClick={(e) => {
              if (nothingChosen) {
                e.preventDefault();
                return;
              }
              toast(`Downloading ${fileName}`, 'info');
              // Let the browser start the download before the link goes away.
              setTimeout(onClose, 0);
            }}
          >
            <Glyph name="download" size={17} />
            <span>Download {format === 'csv' ? 'CSV' : 'JSON Lines'}</span>
          </a>
        </>
      }
    >
      {!fixed && allowed.length > 1 && (
        <ChoiceCards<ObjectName>
          legend="Records"
          value={object}
          onChange={changeObject}
          columns={2}
          choices={allowed.map((o) => ({ value: o, label: objectWords[o].Many }))}
        />
      )}
      {filtered && (
        <ChoiceCards<'list' | 'everything'>
          legend={`Which ${words.many}`}
          value={scope}
          onChange={setScope}
          columns={2}
          choices={[
            { value: 'list', label: 'Those the list shows', description: 'With its current search and filters.' },
            { value: 'everything', label: `Every ${words.one}`, description: 'Ignoring the search and filters.' },
          ]}
        />
      )}
      <ChoiceCards<Format>
        legend="Format"
        value={format}
        onChange={setFormat}
        columns={2}
        choices={[
          {
            value: 'csv',
            label: 'CSV',
            description: 'For spreadsheets and other tools. Its headers are the ones Keel imports, so it can come back unchanged.',
          },
          {
            value: 'jsonl',
            label: 'JSON Lines',
            description: 'One JSON object per line, every field included: for scripts and data warehouses.',
          },
        ]}
      />
      {format === 'csv' ? (
        <ChoiceCards<'all' | 'chosen'>
          legend="Columns"
          value={which}
          onChange={setWhich}
          columns={2}
          choices={[
            { value: 'all', label: 'All columns', description: 'Every field, custom fields and external ids included.' },
            { value: 'chosen', label: 'Choose columns', description: 'Only the fields you tick, in the order shown.' },
          ]}
        />
      ) : (
        <Notice>JSON Lines always holds whole records, with every field.</Notice>
      )}
      {format === 'csv' && which === 'chosen' && (
        <fieldset className="fieldset exp-columns" aria-describedby={`${ids}-cols-note`}>
          <legend className="field-label">
            Columns to export <span className="muted">({picked.length} chosen)</span>
          </legend>
          {targets.isPending ? (
            <p className="muted">
              <Spinner size={14} /> Loading the fields…
            </p>
          ) : (
            <div className="exp-column-grid">
              {columnChoices.map((c) => (
                <label key={c.key} className="exp-column">
                  <input type="checkbox" checked={chosen.has(c.key)} onChange={() => toggle(c.key)} />
                  <span>{c.label}</span>
                </label>
              ))}
            </div>
          )}
          <div className="exp-column-tools">
            <Button size="sm" variant="ghost" onClick={() => setChosen(new Set(columnChoices.map((c) => c.key)))}>
              Select all
            </Button>
            <Button size="sm" variant="ghost" onClick={() => setChosen(new Set())}>
              Clear
            </Button>
          </div>
          <p id={`${ids}-cols-note`} className={nothingChosen ? 'field-error' : 'field-hint'}>
            {nothingChosen ? 'Tick at least one column.' : 'Columns come out in the order shown here, whatever order they were ticked in.'}
          </p>
        </fieldset>
      )}
    </Dialog>
  );
}
