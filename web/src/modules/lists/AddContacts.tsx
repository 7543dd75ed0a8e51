import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { useId, useRef, useState, type DragEvent, type KeyboardEvent } from 'react';
import { useSession } from '../../lib/session.js';
import { Button } from '../../ui/Button.js';
import { Icon } from '../../ui/Icon.js';
import { ProblemAlert } from '../../ui/ProblemAlert.js';
import { Spinner } from '../../ui/Spinner.js';
import { Glyph } from '../import/glyphs.js';
import { segmentChoicesQuery } from '../segments/segments-queries.js';
import {
  changeMembers,
  changeMembersFromFile,
  listQuery,
  parseEmails,
  precheckMembersFile,
  type List,
  type MembersChange,
} from './lists-queries.js';
import { MembersChangeResult } from './MembersChangeResult.js';

type Method = 'file' | 'paste' | 'segment';
const methods: Array<{ id: Method; label: string }> = [
  { id: 'file', label: 'Upload a file' },
  { id: 'paste', label: 'Paste emails' },
  { id: 'segment', label: 'From a segment' },
];

/** The API takes at most this many emails in one JSON request (a file takes a million rows). */
const MAX_PASTED = 10_000;

interface Outcome {
  result: MembersChange;
  source: string;
}

/**
 * "Add contacts": a CSV file (dropped or chosen), pasted emails, or everyone in a segment as it is
 * now (a snapshot: later changes to the segment do not change the list). The last outcome stays
 * under the methods, with every value that named no contact and a way to download those.
 */
export function AddContacts({ list }: { list: List }) {
  const qc = useQueryClient();
  const base = useId();
  const [method, setMethod] = useState<Method>('file');
  const [outcome, setOutcome] = useState<Outcome | null>(null);

  const done = async (o: Outcome) => {
    setOutcome(o);
    qc.setQueryData(listQuery(list.id).queryKey, (l: List | undefined) => (l ? { ...l, memberCount: o.result.memberCount } : l));
    await qc.invalidateQueries({ queryKey: ['lists'] });
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
    e.preventDefault();
    const i = methods.findIndex((m) => m.id === method);
    const next = methods[(i + (e.key === 'ArrowRight' ? 1 : methods.length - 1)) % methods.length]!.id;
    setMethod(next);
    document.getElementById(`${base}-${next}`)?.focus();
  };

  return (
    <section className="card lst-card" aria-labelledby={`${base}-title`}>
      <header className="lst-card-head">
        <h2 className="lst-card-title" id={`${base}-title`}>
          Add contacts
        </h2>
        <span className="muted">Only contacts already in Keel can be added; import new people first.</span>
      </header>
      <div className="lst-methods" role="tablist" aria-label="How to add contacts" onKeyDown={onKeyDown}>
        {methods.map((m) => (
          <button
            key={m.id}
            type="button"
            role="tab"
            id={`${base}-${m.id}`}
            aria-selected={method === m.id}
            aria-controls={`${base}-panel`}
            tabIndex={method === m.id ? 0 : -1}
            className={`lst-method${method === m.id ? ' active' : ''}`}
            onClick={() => setMethod(m.id)}
          >
            {m.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`${base}-panel`} aria-labelledby={`${base}-${method}`} className="lst-method-panel">
        {method === 'file' ? (
          <FileMethod list={list} onDone={done} />
        ) : method === 'paste' ? (
          <PasteMethod list={list} onDone={done} />
        ) : (
          <SegmentMethod list={list} onDone={done} />
        )}
      </div>
      {outcome && (
        <MembersChangeResult
          result={outcome.result}
          op="add"
          source={outcome.source}
          listName={list.name}
          onDismiss={() => setOutcome(null)}
        />
      )}
    </section>
  );
}

type MethodProps = { list: List; onDone: (o: Outcome) => Promise<void> };

function FileMethod({ list, onDone }: MethodProps) {
  const { csrfToken } = useSession();
  const [refused, setRefused] = useState<string | null>(null);
  const upload = useMutation({
    mutationFn: (file: File) => changeMembersFromFile(list.id, 'add', file, csrfToken),
    onSuccess: (result, file) => onDone({ result, source: file.name || 'the file' }),
  });
  const take = (file: File) => {
    const why = precheckMembersFile(file);
    setRefused(why);
    upload.reset();
    if (!why) upload.mutate(file);
  };
  return (
    <>
      <DropZone onFile={take} busy={upload.isPending} fileName={upload.isPending ? upload.variables?.name : undefined} />
      {refused && (
        <div className="alert alert-error lst-inline-alert" role="alert">
          <Icon name="alert" className="alert-icon" />
          <div>
            <p className="alert-title">This file cannot be used</p>
            <p className="alert-detail">{refused}</p>
          </div>
        </div>
      )}
      <ProblemAlert error={upload.error} className="lst-inline-alert" />
    </>
  );
}

/**
 * Drop a file here, or choose one. The real file input stays in the page (visually hidden), so
 * the button, the keyboard and assistive technology all use the browser's own picker.
 */
function DropZone({ onFile, busy, fileName }: { onFile: (file: File) => void; busy: boolean; fileName: string | undefined }) {
  const input = useRef<HTMLInputElement>(null);
  // dragenter/dragleave fire for every child crossed: count them so the highlight does not flicker.
  const depth = useRef(0);
  const [over, setOver] = useState(false);
  const accept = (files: FileList | null) => {
    const file = files?.[0];
    if (file && !busy) onFile(file);
  };
  const hasFiles = (e: DragEvent) => e.dataTransfer.types.includes('Files');
  return (
    <div
      className={`lst-drop${over ? ' lst-drop-over' : ''}${busy ? ' lst-drop-busy' : ''}`}
      data-testid="members-drop"
      onDragEnter={(e) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        depth.current++;
        setOver(true);
      }}
      onDragLeave={() => {
        depth.current = Math.max(0, depth.current - 1);
        if (depth.current === 0) setOver(false);
      }}
      onDragOver={(e) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        e.dataTransfer.dropEffect = busy ? 'none' : 'copy';
      }}
      onDrop={(e) => {
        e.preventDefault();
        depth.current = 0;
        setOver(false);
        accept(e.dataTransfer.files);
      }}
    >
      <span className="lst-drop-icon" aria-hidden="true">
        {busy ? <Spinner size={22} /> : <Glyph name="upload" size={22} />}
      </span>
      <div className="lst-drop-text">
        <p className="lst-drop-title" aria-live="polite">
          {busy ? `Adding the contacts in ${fileName ?? 'the file'}…` : over ? 'Drop the file to add its contacts' : 'Drag a CSV file here'}
        </p>
        <p className="muted">
          With an <code>email</code> or <code>id</code> column, or one email per line. Rows that name no contact are listed afterwards.
        </p>
      </div>
      <input
        ref={input}
        className="sr-only"
        type="file"
        accept=".csv,.txt,text/csv,text/plain"
        aria-label="CSV file of contacts"
        tabIndex={-1}
        disabled={busy}
        onChange={(e) => {
          accept(e.target.files);
          e.target.value = '';
        }}
      />
      <Button onClick={() => input.current?.click()} disabled={busy}>
        Choose a file
      </Button>
    </div>
  );
}

function PasteMethod({ list, onDone }: MethodProps) {
  const id = useId();
  const [text, setText] = useState('');
  const emails = parseEmails(text);
  const tooMany = emails.length > MAX_PASTED;
  const add = useMutation({
    mutationFn: () => changeMembers(list.id, 'add', { emails }),
    onSuccess: async (result) => {
      setText('');
      await onDone({ result, source: 'the pasted emails' });
    },
  });
  return (
    <form
      className="lst-paste"
      onSubmit={(e) => {
        e.preventDefault();
        if (emails.length && !tooMany) add.mutate();
      }}
    >
      <div className={`field${tooMany ? ' field-invalid' : ''}`}>
        <label className="field-label" htmlFor={id}>
          Emails
        </label>
        <textarea
          id={id}
          className="input lst-textarea"
          rows={5}
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder={'ada@example.com\ngrace@example.com'}
          spellCheck={false}
          aria-describedby={`${id}-hint`}
          aria-invalid={tooMany || undefined}
        />
        <p className={tooMany ? 'field-error' : 'field-hint'} id={`${id}-hint`}>
          {tooMany
            ? `${emails.length.toLocaleString()} emails: paste at most ${MAX_PASTED.toLocaleString()} at once, or upload them as a file.`
            : 'One per line, or separated by commas or spaces, as copied from a spreadsheet column or an email.'}
        </p>
      </div>
      <ProblemAlert error={add.error} className="lst-inline-alert" />
      <div className="lst-actions">
        <Button type="submit" variant="primary" icon="plus" disabled={emails.length === 0 || tooMany} busy={add.isPending}>
          {emails.length ? `Add ${emails.length.toLocaleString()} ${emails.length === 1 ? 'email' : 'emails'}` : 'Add emails'}
        </Button>
      </div>
    </form>
  );
}

function SegmentMethod({ list, onDone }: MethodProps) {
  const id = useId();
  const segments = useQuery(segmentChoicesQuery);
  const [segmentId, setSegmentId] = useState('');
  const chosen = segments.data?.find((s) => s.id === segmentId);
  const add = useMutation({
    mutationFn: () => changeMembers(list.id, 'add', { segmentId }),
    onSuccess: (result) => onDone({ result, source: chosen?.name ?? 'the segment' }),
  });
  if (segments.isSuccess && segments.data.length === 0) {
    return (
      <p className="lst-method-empty muted">
        There are no segments yet. <Link to="/segments">Build a segment</Link> to copy its members onto this list.
      </p>
    );
  }
  return (
    <form
      className="lst-segment"
      onSubmit={(e) => {
        e.preventDefault();
        if (chosen) add.mutate();
      }}
    >
      <div className="field">
        <label className="field-label" htmlFor={id}>
          Add everyone in segment
        </label>
        <select
          id={id}
          className="input select"
          value={segmentId}
          onChange={(e) => setSegmentId(e.target.value)}
          aria-describedby={`${id}-hint`}
        >
          <option value="">{segments.isPending ? 'Loading segments…' : 'Choose a segment'}</option>
          {segments.data?.map((s) => (
            <option key={s.id} value={s.id} disabled={s.state !== 'ready'}>
              {s.name} ·{' '}
              {s.state === 'ready' ? `${s.memberCount.toLocaleString()} ${s.memberCount === 1 ? 'member' : 'members'}` : 'rebuilding'}
            </option>
          ))}
        </select>
        <p className="field-hint" id={`${id}-hint`}>
          A snapshot: the segment’s members as they are now. People who join or leave the segment later are not added or removed here.
        </p>
      </div>
      <ProblemAlert error={segments.error ?? add.error} className="lst-inline-alert" />
      <div className="lst-actions">
        <Button type="submit" variant="primary" icon="plus" disabled={!chosen} busy={add.isPending}>
          {chosen ? `Add ${chosen.memberCount.toLocaleString()} ${chosen.memberCount === 1 ? 'member' : 'members'}` : 'Add members'}
        </Button>
      </div>
    </form>
  );
}
