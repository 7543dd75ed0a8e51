import { useQuery } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { createContext, useContext, useId, type ReactNode } from 'react';
import { useCan } from '../../lib/session.js';
import { Button } from '../../ui/Button.js';
import { EnumSelect } from '../../ui/Controls.js';
import { Icon } from '../../ui/Icon.js';
import { Popover } from '../../ui/Popover.js';
import { isKnownPurpose, knownPurposes, purposeLabels } from '../consent/consent-queries.js';
import { AccountPicker, OwnerSelect } from '../records/FieldInput.js';
import {
  consentStates,
  emptyValue,
  fieldOf,
  newCondition,
  newGroup,
  newId,
  type BuilderNode,
  type Catalogs,
  type ConditionKind,
  type ConsentNode,
  type ConsentState,
  type EventNode,
  type FieldNode,
  type GroupNode,
  type PageNode,
  type RefNode,
  type TouchpointNode,
  type ValueDraft,
} from './definition.js';
import {
  countOpLabels,
  countOps,
  isDateKind,
  type CountOp,
  opLabel,
  opsFor,
  touchpointFieldLabels,
  touchpointOpLabels,
  touchpointOps,
  traitField,
  valueShape,
  whereOpLabels,
  whereOps,
  type SegmentField,
} from './segment-fields.js';
import { touchpointFields } from '../../../../src/modules/segments/segments.schema.js';
import { eventNamesQuery, listChoicesQuery, segmentChoicesQuery } from './segments-queries.js';

interface BuilderContext {
  catalogs: Catalogs;
  problems: ReadonlyMap<string, string>;
  /** The segment being edited, left out of the segment picker (a segment cannot contain itself). */
  selfId: string | undefined;
  canReadTracking: boolean;
}
const Ctx = createContext<BuilderContext | null>(null);
function useBuilder(): BuilderContext {
  const c = useContext(Ctx);
  if (!c) throw new Error('useBuilder outside ConditionBuilder');
  return c;
}

/**
 * The visual editor of a segment definition: nested groups (all / any, negated or not) of
 * conditions on contact fields, the account, events, page visits, traffic sources, consent, other
 * segments and lists.
 */
export function ConditionBuilder({
  root,
  onChange,
  ...ctx
}: BuilderContext & {
  root: GroupNode;
  onChange: (root: GroupNode) => void;
}) {
  return (
    <Ctx.Provider value={ctx}>
      <GroupEditor node={root} depth={0} onChange={(n) => onChange(n as GroupNode)} onRemove={null} />
    </Ctx.Provider>
  );
}

const kindLabels: Record<ConditionKind, { label: string; detail: string }> = {
  field: { label: 'Contact field', detail: 'Email, country, a custom field or a trait' },
  account: { label: 'Account field', detail: 'A field of the company the contact belongs to' },
  event: { label: 'Event', detail: 'Did something, how often, and when' },
  page: { label: 'Page visit', detail: 'Visited pages matching a URL pattern' },
  touchpoint: { label: 'Traffic source', detail: 'Came from a channel, source or campaign' },
  consent: { label: 'Consent', detail: 'Gave, withdrew or was never asked for consent to a purpose' },
  segment: { label: 'In segment', detail: 'Matches another segment' },
  list: { label: 'In list', detail: 'Is a member of a static list' },
};

function AddCondition({ onAdd }: { onAdd: (kind: ConditionKind) => void }) {
  const can = useCan();
  const lists = useQuery({ ...listChoicesQuery, enabled: can('lists.read') });
  const kinds: ConditionKind[] = [
    'field',
    'account',
    'event',
    'page',
    'touchpoint',
    'consent',
    'segment',
    ...(lists.data ? (['list'] as const) : []),
  ];
  return (
    <Popover label="Add condition" title="Add a condition" icon="plus" size="sm" variant="ghost">
      {(close) => (
        <ul className="seg-kind-menu">
          {kinds.map((k) => (
            <li key={k}>
              <button
                type="button"
                className="seg-kind-option"
                onClick={() => {
                  onAdd(k);
                  close();
                }}
              >
                <span className="seg-kind-label">{kindLabels[k].label}</span>
                <span className="seg-kind-detail">{kindLabels[k].detail}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </Popover>
  );
}

function GroupEditor({
  node,
  depth,
  onChange,
  onRemove,
}: {
  node: GroupNode;
  depth: number;
  onChange: (n: BuilderNode) => void;
  onRemove: (() => void) | null;
}) {
  const { catalogs } = useBuilder();
  const joiner = node.mode === 'all' ? 'and' : 'or';
  const setChild = (i: number, c: BuilderNode) => onChange({ ...node, children: node.children.map((x, j) => (j === i ? c : x)) });
  const removeChild = (i: number) => onChange({ ...node, children: node.children.filter((_, j) => j !== i) });
  const label = `${depth === 0 ? 'Definition' : `Group, level ${depth + 1}`}: ${node.negated ? 'not ' : ''}${node.mode} of these`;
  return (
    <section className={`seg-group${node.negated ? ' seg-negated' : ''}`} data-depth={depth} data-mode={node.mode} aria-label={label}>
      <header className="seg-group-head">
        <span className="seg-group-title">
          {depth === 0 ? 'Contacts who ' : ''}
          {node.negated ? <strong className="seg-not">do not match</strong> : depth === 0 ? 'match' : 'Match'}
          <span className="seg-mode" role="radiogroup" aria-label="Match all or any">
            {(['all', 'any'] as const).map((m) => (
              <button
                key={m}
                type="button"
                role="radio"
                aria-checked={node.mode === m}
                className={`seg-mode-item${node.mode === m ? ' active' : ''}`}
                onClick={() => onChange({ ...node, mode: m })}
              >
                {m}
              </button>
            ))}
          </span>
          of these
        </span>
        <span className="seg-group-actions">
          <Button
            size="sm"
            variant={node.negated ? 'primary' : 'ghost'}
            aria-pressed={node.negated}
            onClick={() => onChange({ ...node, negated: !node.negated })}
            title="Contacts who do not match this group"
          >
            Negate
          </Button>
          {onRemove && (
            <button
              type="button"
              className="icon-btn icon-btn-sm"
              aria-label="Remove this group"
              title="Remove this group"
              onClick={onRemove}
            >
              <Icon name="trash" size={15} />
            </button>
          )}
        </span>
      </header>
      {node.children.length === 0 ? (
        <p className="seg-group-empty">
          {depth === 0
            ? 'No conditions yet: every contact matches. Add a condition to narrow it down.'
            : 'An empty group. Add a condition to it.'}
        </p>
      ) : (
        <ol className="seg-children">
          {node.children.map((c, i) => (
            <li key={c.id} className="seg-child">
              {i > 0 && (
                <span className="seg-joiner" aria-hidden="true">
                  {joiner}
                </span>
              )}
              {c.kind === 'group' ? (
                <GroupEditor node={c} depth={depth + 1} onChange={(n) => setChild(i, n)} onRemove={() => removeChild(i)} />
              ) : (
                <ConditionRow node={c} onChange={(n) => setChild(i, n)} onRemove={() => removeChild(i)} />
              )}
            </li>
          ))}
        </ol>
      )}
      <footer className="seg-group-foot">
        <AddCondition onAdd={(k) => onChange({ ...node, children: [...node.children, newCondition(k, catalogs)] })} />
        {depth < 4 && (
          <Button
            size="sm"
            variant="ghost"
            icon="plus"
            onClick={() =>
              onChange({
                ...node,
                children: [...node.children, newGroup(node.mode === 'all' ? 'any' : 'all', [newCondition('field', catalogs)])],
              })
            }
          >
            Add group
          </Button>
        )}
      </footer>
    </section>
  );
}

const conditionTitles: Record<BuilderNode['kind'] | 'account', string> = {
  group: 'Group',
  field: 'Contact',
  account: 'Account',
  event: 'Event',
  page: 'Page',
  touchpoint: 'Source',
  consent: 'Consent',
  segment: 'Segment',
  list: 'List',
};

function ConditionRow({
  node,
  onChange,
  onRemove,
}: {
  node: Exclude<BuilderNode, GroupNode>;
  onChange: (n: BuilderNode) => void;
  onRemove: () => void;
}) {
  const { problems } = useBuilder();
  const problem = problems.get(node.id);
  const kind = node.kind === 'field' && node.target === 'account' ? 'account' : node.kind;
  return (
    <div
      className={`seg-cond${node.negated ? ' seg-negated' : ''}${problem ? ' seg-cond-invalid' : ''}`}
      data-kind={kind}
      role="group"
      aria-label={`${conditionTitles[kind]} condition`}
    >
      <div className="seg-cond-main">
        <span className="seg-cond-kind">{conditionTitles[kind]}</span>
        {node.kind === 'field' && <FieldEditor node={node} onChange={onChange} />}
        {node.kind === 'event' && <EventEditor node={node} onChange={onChange} />}
        {node.kind === 'page' && <PageEditor node={node} onChange={onChange} />}
        {node.kind === 'touchpoint' && <TouchpointEditor node={node} onChange={onChange} />}
        {node.kind === 'consent' && <ConsentEditor node={node} onChange={onChange} />}
        {(node.kind === 'segment' || node.kind === 'list') && <RefEditor node={node} onChange={onChange} />}
        <span className="seg-cond-actions">
          <Button
            size="sm"
            variant={node.negated ? 'primary' : 'ghost'}
            aria-pressed={node.negated}
            onClick={() => onChange({ ...node, negated: !node.negated })}
            title="Contacts who do not match this condition"
          >
            Not
          </Button>
          <button type="button" className="icon-btn icon-btn-sm" aria-label="Remove this condition" title="Remove" onClick={onRemove}>
            <Icon name="x" size={15} />
          </button>
        </span>
      </div>
      {problem && (
        <p className="seg-cond-problem" role="alert">
          {problem}
        </p>
      )}
    </div>
  );
}

// ---------- Field conditions ----------

const TRAIT = '__trait';

function FieldEditor({ node, onChange }: { node: FieldNode; onChange: (n: BuilderNode) => void }) {
  const { catalogs } = useBuilder();
  const id = useId();
  const catalog = catalogs[node.target];
  const isTrait = node.field.startsWith('traits.');
  const field = isTrait ? traitField(node.field) : fieldOf(node, catalogs);
  const ops = opsFor(field);
  const groups = (['Fields', 'Custom fields', 'Record'] as const)
    .map((g) => [g, catalog.fields.filter((f) => f.group === g)] as const)
    .filter(([, fs]) => fs.length > 0);

  const pickField = (key: string) => {
    const next = key === TRAIT ? traitField('traits.') : catalog.get(key);
    const nextOps = opsFor(next);
    onChange({
      ...node,
      field: key === TRAIT ? 'traits.' : key,
      op: nextOps.includes(node.op) ? node.op : (nextOps[0] ?? 'eq'),
      value: emptyValue(),
    });
  };

  return (
    <span className="seg-cond-fields">
      <select
        id={`${id}-field`}
        aria-label={node.target === 'account' ? 'Account field' : 'Field'}
        className="input select seg-input-field"
        value={isTrait ? TRAIT : node.field}
        onChange={(e) => pickField(e.target.value)}
      >
        {!field && !isTrait && <option value={node.field}>{node.field || 'Choose a field'}</option>}
        {groups.map(([g, fs]) => (
          <optgroup key={g} label={g}>
            {fs.map((f) => (
              <option key={f.key} value={f.key}>
                {f.label}
              </option>
            ))}
          </optgroup>
        ))}
        {node.target === 'contact' && (
          <optgroup label="Tracking">
            <option value={TRAIT}>Trait…</option>
          </optgroup>
        )}
      </select>
      {isTrait && (
        <input
          className="input seg-input-short"
          aria-label="Trait name"
          placeholder="plan"
          autoComplete="off"
          value={node.field.slice(7)}
          onChange={(e) => onChange({ ...node, field: `traits.${e.target.value.trim()}` })}
        />
      )}
      <select
        aria-label="Operator"
        className="input select seg-input-op"
        value={node.op}
        onChange={(e) => {
          const op = ops.find((o) => o === e.target.value);
          if (op) onChange({ ...node, op });
        }}
      >
        {!ops.includes(node.op) && <option value={node.op}>{node.op}</option>}
        {ops.map((o) => (
          <option key={o} value={o}>
            {opLabel(o, field)}
          </option>
        ))}
      </select>
      <ValueEditor node={node} field={field} onChange={(value) => onChange({ ...node, value })} />
    </span>
  );
}

function ValueEditor({ node, field, onChange }: { node: FieldNode; field: SegmentField | undefined; onChange: (v: ValueDraft) => void }) {
  const v = node.value;
  const set = (patch: Partial<ValueDraft>) => onChange({ ...v, ...patch });
  switch (valueShape(node.op)) {
    case 'none':
      return null;
    case 'one':
      return <OneValue field={field} value={v.one} onChange={(one) => set({ one })} label="Value" />;
    case 'many':
      if (field?.options.length) {
        return (
          <span className="seg-picks" role="group" aria-label="Values">
            {field.options.map((o) => (
              <label key={o} className={`seg-pick${v.picked.includes(o) ? ' active' : ''}`}>
                <input
                  type="checkbox"
                  checked={v.picked.includes(o)}
                  onChange={(e) => set({ picked: e.target.checked ? [...v.picked, o] : v.picked.filter((x) => x !== o) })}
                />
                {o}
              </label>
            ))}
          </span>
        );
      }
      return (
        <input
          className="input seg-input-value"
          aria-label="Values, separated by commas"
          placeholder="DE, FR, NL"
          autoComplete="off"
          value={v.many}
          onChange={(e) => set({ many: e.target.value })}
        />
      );
    case 'range':
      return (
        <span className="seg-range">
          <OneValue field={field} value={v.from} onChange={(from) => set({ from })} label="From" />
          <span className="muted">and</span>
          <OneValue field={field} value={v.to} onChange={(to) => set({ to })} label="To" />
        </span>
      );
    case 'days':
      return (
        <span className="seg-range">
          <input
            className="input seg-input-num"
            aria-label="Days"
            inputMode="numeric"
            placeholder="30"
            value={v.days}
            onChange={(e) => set({ days: e.target.value })}
          />
          <span className="muted">days</span>
        </span>
      );
  }
}

function OneValue({
  field,
  value,
  onChange,
  label,
}: {
  field: SegmentField | undefined;
  value: string;
  onChange: (v: string) => void;
  label: string;
}) {
  const id = useId();
  if (field?.kind === 'boolean') {
    return (
      <select aria-label={label} className="input select seg-input-op" value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">Choose</option>
        <option value="true">Yes</option>
        <option value="false">No</option>
      </select>
    );
  }
  if (field?.kind === 'select' && field.options.length) {
    return (
      <select aria-label={label} className="input select seg-input-value" value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">Choose</option>
        {field.options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    );
  }
  if (field?.kind === 'owner') {
    return (
      <span className="seg-input-value">
        <OwnerSelect id={id} label={label} hideLabel value={value} onChange={onChange} emptyLabel="Choose a user" />
      </span>
    );
  }
  if (field?.kind === 'account') {
    return (
      <span className="seg-input-value">
        <AccountPicker id={id} label={label} hideLabel value={value} onChange={onChange} />
      </span>
    );
  }
  const date = field ? isDateKind(field.kind) : false;
  const numeric = field?.kind === 'number' || field?.kind === 'currency';
  return (
    <input
      className={`input ${numeric || date ? 'seg-input-num' : 'seg-input-value'}${date ? ' seg-input-date' : ''}`}
      aria-label={field?.kind === 'currency' && field.currency ? `${label} (${field.currency})` : label}
      type={date ? 'date' : 'text'}
      inputMode={numeric ? 'decimal' : undefined}
      autoComplete="off"
      value={value}
      onChange={(e) => onChange(e.target.value)}
    />
  );
}

// ---------- Event conditions ----------

function EventEditor({ node, onChange }: { node: EventNode; onChange: (n: BuilderNode) => void }) {
  const { canReadTracking } = useBuilder();
  const names = useQuery({ ...eventNamesQuery, enabled: canReadTracking });
  const listId = useId();
  const set = (patch: Partial<EventNode>) => onChange({ ...node, ...patch });
  return (
    <span className="seg-cond-fields seg-event">
      <span className="seg-cond-line">
        <span className="muted">did</span>
        <input
          className="input seg-input-value"
          aria-label="Event name"
          placeholder="Demo Requested"
          list={names.data?.length ? listId : undefined}
          autoComplete="off"
          value={node.event}
          onChange={(e) => set({ event: e.target.value })}
        />
        {names.data && names.data.length > 0 && (
          <datalist id={listId}>
            {names.data.map((n) => (
              <option key={n} value={n} />
            ))}
          </datalist>
        )}
        <CountInputs node={node} set={set} />
        <WithinInput value={node.withinDays} onChange={(withinDays) => set({ withinDays })} />
      </span>
      {node.where.map((w, i) => (
        <span className="seg-cond-line seg-where" key={w.id} role="group" aria-label={`Property filter ${i + 1}`}>
          <span className="muted">{i === 0 ? 'where' : 'and'}</span>
          <input
            className="input seg-input-short"
            aria-label="Property"
            placeholder="plan"
            autoComplete="off"
            value={w.property}
            onChange={(e) => set({ where: node.where.map((x) => (x.id === w.id ? { ...x, property: e.target.value } : x)) })}
          />
          <EnumSelect
            aria-label="Property operator"
            className="input select seg-input-op"
            options={whereOps}
            labels={whereOpLabels}
            value={w.op}
            onChange={(op) => set({ where: node.where.map((x) => (x.id === w.id ? { ...x, op } : x)) })}
          />
          <input
            className="input seg-input-value"
            aria-label={w.op === 'in' ? 'Property values, separated by commas' : 'Property value'}
            autoComplete="off"
            value={w.value}
            onChange={(e) => set({ where: node.where.map((x) => (x.id === w.id ? { ...x, value: e.target.value } : x)) })}
          />
          <button
            type="button"
            className="icon-btn icon-btn-sm"
            aria-label="Remove this property filter"
            onClick={() => set({ where: node.where.filter((x) => x.id !== w.id) })}
          >
            <Icon name="x" size={14} />
          </button>
        </span>
      ))}
      {node.where.length < 20 && (
        <span className="seg-cond-line">
          <Button
            size="sm"
            variant="ghost"
            icon="plus"
            onClick={() => set({ where: [...node.where, { id: newId(), property: '', op: 'eq', value: '' }] })}
          >
            Property filter
          </Button>
        </span>
      )}
    </span>
  );
}

// ---------- Page visits and traffic sources ----------

function CountInputs({ node, set }: { node: EventNode | PageNode; set: (p: { countOp?: CountOp; count?: string }) => void }) {
  return (
    <>
      <EnumSelect
        aria-label="How often"
        className="input select seg-input-op"
        options={countOps}
        labels={countOpLabels}
        value={node.countOp}
        onChange={(countOp) => set({ countOp })}
      />
      <input
        className="input seg-input-num seg-input-tiny"
        aria-label="Times"
        inputMode="numeric"
        value={node.count}
        onChange={(e) => set({ count: e.target.value })}
      />
      <span className="muted">{node.count.trim() === '1' ? 'time' : 'times'}</span>
    </>
  );
}

function WithinInput({ value, onChange }: { value: string; onChange: (v: string) => void }) {
  return (
    <>
      <span className="muted">in the last</span>
      <input
        className="input seg-input-num seg-input-tiny"
        aria-label="Within days"
        inputMode="numeric"
        placeholder="all"
        value={value}
        onChange={(e) => onChange(e.target.value)}
      />
      <span className="muted">days</span>
    </>
  );
}

function PageEditor({ node, onChange }: { node: PageNode; onChange: (n: BuilderNode) => void }) {
  const set = (patch: Partial<PageNode>) => onChange({ ...node, ...patch });
  return (
    <span className="seg-cond-fields seg-event">
      <span className="seg-cond-line">
        <span className="muted">visited</span>
        <input
          className="input seg-input-value"
          aria-label="URL pattern"
          placeholder="*/pricing*"
          title="* matches anything"
          autoComplete="off"
          value={node.url}
          onChange={(e) => set({ url: e.target.value })}
        />
        <CountInputs node={node} set={set} />
      </span>
      <span className="seg-cond-line">
        <WithinInput value={node.withinDays} onChange={(withinDays) => set({ withinDays })} />
      </span>
    </span>
  );
}

function TouchpointEditor({ node, onChange }: { node: TouchpointNode; onChange: (n: BuilderNode) => void }) {
  const set = (patch: Partial<TouchpointNode>) => onChange({ ...node, ...patch });
  const needsValue = node.op !== 'is_empty' && node.op !== 'is_not_empty';
  return (
    <span className="seg-cond-fields seg-event">
      <span className="seg-cond-line">
        <select
          aria-label="Which visit"
          className="input select seg-input-op"
          value={node.which}
          onChange={(e) => set({ which: e.target.value === 'first' ? 'first' : e.target.value === 'last' ? 'last' : 'any' })}
        >
          <option value="any">any visit's</option>
          <option value="first">the first visit's</option>
          <option value="last">the last visit's</option>
        </select>
        <EnumSelect
          aria-label="Source field"
          className="input select seg-input-op"
          options={touchpointFields}
          labels={touchpointFieldLabels}
          value={node.field}
          onChange={(field) => set({ field })}
        />
        <EnumSelect
          aria-label="Operator"
          className="input select seg-input-op"
          options={touchpointOps}
          labels={touchpointOpLabels}
          value={node.op}
          onChange={(op) => set({ op })}
        />
        {needsValue && (
          <input
            className="input seg-input-value"
            aria-label={node.op === 'in' ? 'Values, separated by commas' : 'Value'}
            placeholder={node.field === 'channel' ? 'email' : 'newsletter'}
            autoComplete="off"
            value={node.value}
            onChange={(e) => set({ value: e.target.value })}
          />
        )}
      </span>
      <span className="seg-cond-line">
        <WithinInput value={node.withinDays} onChange={(withinDays) => set({ withinDays })} />
      </span>
    </span>
  );
}

// ---------- Consent ----------

const OTHER_PURPOSE = '__other';

/** Worded to follow "Consent for Email marketing is …"; `granted` is effective consent. */
const consentStateLabels: Record<ConsentState, string> = {
  granted: 'given (effective)',
  pending: 'waiting for confirmation',
  withdrawn: 'withdrawn',
  none: 'never recorded',
};

function ConsentEditor({ node, onChange }: { node: ConsentNode; onChange: (n: BuilderNode) => void }) {
  const set = (patch: Partial<ConsentNode>) => onChange({ ...node, ...patch });
  const other = !isKnownPurpose(node.purpose);
  return (
    <span className="seg-cond-fields">
      <span className="muted">for</span>
      <select
        aria-label="Purpose"
        className="input select seg-input-op"
        value={other ? OTHER_PURPOSE : node.purpose}
        onChange={(e) => set({ purpose: e.target.value === OTHER_PURPOSE ? '' : e.target.value })}
      >
        {knownPurposes.map((p) => (
          <option key={p} value={p}>
            {purposeLabels[p]}
          </option>
        ))}
        <option value={OTHER_PURPOSE}>Other purpose…</option>
      </select>
      {other && (
        <input
          className="input seg-input-short"
          aria-label="Purpose key"
          placeholder="newsletter_partners"
          autoComplete="off"
          spellCheck={false}
          value={node.purpose}
          onChange={(e) => set({ purpose: e.target.value })}
        />
      )}
      <span className="muted">is</span>
      <EnumSelect
        aria-label="Consent state"
        className="input select seg-input-op"
        options={consentStates}
        labels={consentStateLabels}
        value={node.state}
        onChange={(state) => set({ state })}
      />
    </span>
  );
}

// ---------- Segment and list references ----------

function RefEditor({ node, onChange }: { node: RefNode; onChange: (n: BuilderNode) => void }) {
  const { selfId } = useBuilder();
  const segments = useQuery({ ...segmentChoicesQuery, enabled: node.kind === 'segment' });
  // With no lists yet, the picker links to Lists in a new tab: coming back, look again.
  const lists = useQuery({
    ...listChoicesQuery,
    enabled: node.kind === 'list',
    refetchOnWindowFocus: (q) => (q.state.data?.length === 0 ? 'always' : false),
  });
  const choices: Array<{ id: string; name: string }> =
    node.kind === 'segment' ? (segments.data ?? []).filter((s) => s.id !== selfId) : (lists.data ?? []);
  const loading = node.kind === 'segment' ? segments.isPending : lists.isPending;
  const known = choices.some((c) => c.id === node.ref);
  let empty: ReactNode = null;
  if (!loading && choices.length === 0)
    empty =
      node.kind === 'segment' ? (
        <span className="muted">No other segments yet</span>
      ) : (
        <span className="muted">
          No lists yet:{' '}
          <Link to="/lists" target="_blank" rel="noopener" title="Opens Lists in a new tab, so this definition stays as it is">
            create one under Lists
          </Link>
        </span>
      );
  return (
    <span className="seg-cond-fields">
      <span className="muted">is in</span>
      <select
        aria-label={node.kind === 'segment' ? 'Segment' : 'List'}
        className="input select seg-input-value"
        value={node.ref}
        onChange={(e) => onChange({ ...node, ref: e.target.value })}
      >
        <option value="">{loading ? 'Loading…' : node.kind === 'segment' ? 'Choose a segment' : 'Choose a list'}</option>
        {node.ref && !known && !loading && (
          <option value={node.ref}>
            Unknown {node.kind} {node.ref.slice(-8)}
          </option>
        )}
        {choices.map((c) => (
          <option key={c.id} value={c.id}>
            {c.name}
          </option>
        ))}
      </select>
      {empty}
    </span>
  );
}
