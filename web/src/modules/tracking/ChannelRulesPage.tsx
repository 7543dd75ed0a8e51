import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { useId, useMemo, useRef, useState } from 'react';
import { ApiError, api } from '../../lib/api.js';
import { formatDateTime, formatRelative } from '../../lib/format.js';
import { useCan } from '../../lib/session.js';
import { Button } from '../../ui/Button.js';
import { ConfirmDialog } from '../../ui/ConfirmDialog.js';
import { Dialog } from '../../ui/Dialog.js';
import { ErrorState } from '../../ui/EmptyState.js';
import { TextField } from '../../ui/Field.js';
import { Icon } from '../../ui/Icon.js';
import { PageHeader } from '../../ui/PageHeader.js';
import { Notice, ProblemAlert } from '../../ui/ProblemAlert.js';
import { Forbidden } from '../../ui/RouteStates.js';
import { SkeletonRows } from '../../ui/Spinner.js';
import { useToast } from '../../ui/Toast.js';
import { ChannelBadge, channelLabel } from './channel-display.js';
import { CLICK_IDS, channelRuleSchema, channelRulesQuery, channelRulesViewSchema, type ChannelRule } from './tracking-queries.js';
import './tracking.css';

type ClickId = (typeof CLICK_IDS)[number];
type When = ChannelRule['when'];

const clickIdLabels: Record<ClickId, string> = {
  gclid: 'Google Ads',
  msclkid: 'Microsoft Ads',
  fbclid: 'Meta',
  li_fat_id: 'LinkedIn',
  ttclid: 'TikTok',
};

/** A rule on screen: the rule, and a key that follows it when it moves. */
interface Row {
  key: number;
  rule: ChannelRule;
}

export function ChannelRulesPage() {
  const can = useCan();
  if (!can('tracking.read')) return <Forbidden what="Channel rules" />;
  return <ChannelRules canManage={can('tracking.manage')} />;
}

/** Messages of a failed PUT by rule (paths look like body.rules.3.when.sites.0), and those about the whole table. */
function ruleErrors(err: unknown): { byRule: Map<number, string[]>; general: string[] } {
  const byRule = new Map<number, string[]>();
  const general: string[] = [];
  if (!(err instanceof ApiError)) return { byRule, general };
  for (const e of err.problem.errors ?? []) {
    const parts = (e.path ?? '').split('.');
    const i = parts[0] === 'body' && parts[1] === 'rules' && parts[2] !== undefined ? Number(parts[2]) : NaN;
    if (Number.isInteger(i)) {
      const field = parts.slice(3).filter((p) => p !== 'when' && !/^\d+$/.test(p))[0];
      byRule.set(i, [...(byRule.get(i) ?? []), field ? `${conditionNames[field] ?? field}: ${e.message}` : e.message]);
    } else general.push(e.message);
  }
  return { byRule, general };
}

const conditionNames: Record<string, string> = {
  channel: 'Channel',
  clickIds: 'Click ids',
  mediums: 'Mediums',
  sources: 'Sources',
  sites: 'Sites',
};

function ChannelRules({ canManage }: { canManage: boolean }) {
  const qc = useQueryClient();
  const toast = useToast();
  const view = useQuery(channelRulesQuery);
  const nextKey = useRef(1);
  const [draft, setDraft] = useState<Row[] | null>(null);
  const [editing, setEditing] = useState<{ index: number | null } | null>(null);
  const [confirmReset, setConfirmReset] = useState(false);
  const saved = useMemo(() => view.data?.rules.map((rule) => ({ key: nextKey.current++, rule })), [view.data]);
  const rows = draft ?? saved;
  const dirty = draft !== null;

  const save = useMutation({
    mutationFn: (rules: ChannelRule[]) => api.put('/channel-rules', channelRulesViewSchema, { rules }),
    onSuccess: (data) => {
      qc.setQueryData(channelRulesQuery.queryKey, data);
      setDraft(null);
      toast('Channel rules saved: new touchpoints follow them');
    },
  });
  const reset = useMutation({
    mutationFn: async () => {
      await api.delete('/channel-rules');
      return api.get('/channel-rules', channelRulesViewSchema);
    },
    onSuccess: (data) => {
      qc.setQueryData(channelRulesQuery.queryKey, data);
      setDraft(null);
      save.reset();
      setConfirmReset(false);
      toast('Back to the default channel rules');
    },
  });
  const errors = ruleErrors(save.error);
  const change = (next: Row[]) => {
    setDraft(next);
    if (save.error) save.reset();
  };
  const move = (i: number, by: -1 | 1) => {
    if (!rows) return;
    const next = [...rows];
    const [row] = next.splice(i, 1);
    if (row) next.splice(i + by, 0, row);
    change(next);
  };
  const channels = useMemo(
    () => [...new Set([...(rows ?? []).map((r) => r.rule.channel), 'paid search', 'email', 'referral', 'partners', 'affiliates'])],
    [rows],
  );

  return (
    <div className="page">
      <PageHeader
        title="Channel rules"
        description="How the source of a visit becomes the channel of its touchpoint. Rules are checked from the top and the first that matches wins; a visit that matches none is direct."
        actions={
          <>
            <Link to="/sources" className="btn btn-secondary">
              <Icon name="link" size={17} />
              <span>Sources</span>
            </Link>
            {canManage && (
              <Button icon="refresh" onClick={() => setConfirmReset(true)} disabled={!view.data || (view.data.isDefault && !dirty)}>
                Reset to defaults
              </Button>
            )}
          </>
        }
      />

      {view.isError ? (
        <ErrorState error={view.error} onRetry={() => void view.refetch()} />
      ) : (
        <>
          <Notice>
            <p className="rules-notice">
              Changes apply to touchpoints recorded from now on; touchpoints already recorded keep the channel they were given.{' '}
              {view.data &&
                (view.data.isDefault ? (
                  <span className="muted">These are Keel’s default rules.</span>
                ) : (
                  <span className="muted">
                    Edited{' '}
                    <time dateTime={view.data.updatedAt ?? undefined} title={formatDateTime(view.data.updatedAt, true)}>
                      {formatRelative(view.data.updatedAt).toLowerCase()}
                    </time>
                    .
                  </span>
                ))}
            </p>
          </Notice>

          <div className="card table-card rules-card">
            <div className="table-scroll">
              <table className="table rules-table" aria-label="Channel rules" aria-busy={view.isPending || undefined}>
                <thead>
                  <tr>
                    <th scope="col" className="rules-order">
                      #
                    </th>
                    <th scope="col" className="rules-channel">
                      Channel
                    </th>
                    <th scope="col">When any of these matches</th>
                    {canManage && (
                      <th scope="col" className="col-actions">
                        <span className="sr-only">Actions</span>
                      </th>
                    )}
                  </tr>
                </thead>
                <tbody>
                  {!rows ? (
                    <SkeletonRows cols={canManage ? 4 : 3} rows={6} />
                  ) : (
                    rows.map((row, i) => {
                      const problems = errors.byRule.get(i);
                      return (
                        <tr key={row.key} data-channel={row.rule.channel} className={problems ? 'rules-row-invalid' : undefined}>
                          <td className="rules-order">{i + 1}</td>
                          <td className="rules-channel">
                            <ChannelBadge channel={row.rule.channel} />
                          </td>
                          <td>
                            <Conditions when={row.rule.when} />
                            {problems?.map((p) => (
                              <p key={p} className="field-error rules-row-error">
                                {p}
                              </p>
                            ))}
                          </td>
                          {canManage && (
                            <td className="col-actions">
                              <div className="row-actions">
                                <button
                                  type="button"
                                  className="icon-btn icon-btn-sm"
                                  aria-label={`Move ${row.rule.channel} up`}
                                  title="Move up"
                                  disabled={i === 0}
                                  onClick={() => move(i, -1)}
                                >
                                  <Icon name="arrowUp" size={15} />
                                </button>
                                <button
                                  type="button"
                                  className="icon-btn icon-btn-sm"
                                  aria-label={`Move ${row.rule.channel} down`}
                                  title="Move down"
                                  disabled={i === rows.length - 1}
                                  onClick={() => move(i, 1)}
                                >
                                  <Icon name="arrowDown" size={15} />
                                </button>
                                <button
                                  type="button"
                                  className="icon-btn icon-btn-sm"
                                  aria-label={`Edit ${row.rule.channel}`}
                                  title="Edit"
                                  onClick={() => setEditing({ index: i })}
                                >
                                  <Icon name="edit" size={15} />
                                </button>
                                <button
                                  type="button"
                                  className="icon-btn icon-btn-sm rules-remove"
                                  aria-label={`Remove ${row.rule.channel}`}
                                  title="Remove"
                                  onClick={() => change(rows.filter((_, j) => j !== i))}
                                >
                                  <Icon name="trash" size={15} />
                                </button>
                              </div>
                            </td>
                          )}
                        </tr>
                      );
                    })
                  )}
                  {rows && (
                    <tr className="rules-fallback" data-channel="direct">
                      <td className="rules-order" aria-label="Last">
                        –
                      </td>
                      <td className="rules-channel">
                        <ChannelBadge channel="direct" />
                      </td>
                      <td className="muted" colSpan={canManage ? 2 : 1}>
                        Nothing above matches: no campaign, click id or outside referrer
                      </td>
                    </tr>
                  )}
                </tbody>
              </table>
            </div>
            {canManage && rows && (
              <div className="rules-foot">
                <Button icon="plus" size="sm" onClick={() => setEditing({ index: null })} disabled={rows.length >= 50}>
                  Add rule
                </Button>
                <span className="muted">A new rule goes last: move it up to where it belongs, since the first match wins.</span>
              </div>
            )}
          </div>

          {errors.general.length > 0 && (
            <div className="alert alert-error rules-general" role="alert">
              <Icon name="alert" className="alert-icon" />
              <div>
                {errors.general.map((m) => (
                  <p key={m} className="alert-title">
                    {m}
                  </p>
                ))}
              </div>
            </div>
          )}
          {save.error && errors.general.length === 0 && errors.byRule.size === 0 && <ProblemAlert error={save.error} />}
          {save.error && errors.byRule.size > 0 && (
            <p className="field-error rules-general">The rules were not saved: fix the rules marked above.</p>
          )}

          {canManage && dirty && (
            <div className="rules-savebar" role="region" aria-label="Unsaved changes">
              <span>
                <strong>Unsaved changes.</strong> <span className="muted">Touchpoints follow the saved rules until you save.</span>
              </span>
              <div className="rules-savebar-actions">
                <Button
                  onClick={() => {
                    setDraft(null);
                    save.reset();
                  }}
                  disabled={save.isPending}
                >
                  Discard
                </Button>
                <Button variant="primary" icon="check" busy={save.isPending} onClick={() => draft && save.mutate(draft.map((r) => r.rule))}>
                  Save rules
                </Button>
              </div>
            </div>
          )}
        </>
      )}

      {editing && rows && (
        <RuleDialog
          rule={editing.index === null ? null : (rows[editing.index]?.rule ?? null)}
          channels={channels}
          onClose={() => setEditing(null)}
          onDone={(rule) => {
            const i = editing.index;
            change(i === null ? [...rows, { key: nextKey.current++, rule }] : rows.map((r, j) => (j === i ? { ...r, rule } : r)));
            setEditing(null);
          }}
        />
      )}
      {confirmReset && view.data && (
        <ConfirmDialog
          title="Go back to the default rules?"
          confirmLabel="Reset to defaults"
          busy={reset.isPending}
          error={reset.error}
          onConfirm={() => reset.mutate()}
          onClose={() => setConfirmReset(false)}
        >
          <p>
            This workspace’s {view.data.rules.length} rules{dirty ? ', and the changes not saved,' : ''} are replaced by Keel’s defaults.
            Touchpoints already recorded keep their channel.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}

const MAX_CHIPS = 6;

/** The conditions of a rule as chips, by kind. */
function Conditions({ when }: { when: When }) {
  const groups: Array<{ label: string; values: readonly string[] }> = [
    { label: 'click id', values: when.clickIds ?? [] },
    { label: 'medium', values: when.mediums ?? [] },
    { label: 'source', values: when.sources ?? [] },
    { label: 'site', values: when.sites ?? [] },
  ].filter((g) => g.values.length > 0);
  return (
    <ul className="rule-conditions" aria-label="Conditions">
      {groups.map((g) => (
        <li key={g.label} className="rule-condition">
          <span className="rule-condition-label">{g.values.length === 1 ? g.label : `${g.label}s`}</span>
          {g.values.slice(0, MAX_CHIPS).map((v) => (
            <span key={v} className="chip">
              {v}
            </span>
          ))}
          {g.values.length > MAX_CHIPS && (
            <span className="chip chip-more" title={g.values.slice(MAX_CHIPS).join(', ')}>
              +{g.values.length - MAX_CHIPS} more
            </span>
          )}
        </li>
      ))}
      {when.anyReferrer && (
        <li className="rule-condition">
          <span className="chip chip-flag">any outside referrer</span>
        </li>
      )}
      {when.anyCampaign && (
        <li className="rule-condition">
          <span className="chip chip-flag">any campaign</span>
        </li>
      )}
    </ul>
  );
}

const listText = (values: readonly string[] | undefined) => (values ?? []).join(', ');
const listOf = (text: string) =>
  text
    .split(/[,\n]/)
    .map((v) => v.trim())
    .filter(Boolean);

/** Edits one rule (or a new one). It is checked with the API's own rule schema; the table is saved with Save rules. */
function RuleDialog({
  rule,
  channels,
  onClose,
  onDone,
}: {
  rule: ChannelRule | null;
  channels: string[];
  onClose: () => void;
  onDone: (rule: ChannelRule) => void;
}) {
  const listId = useId();
  const [channel, setChannel] = useState(rule?.channel ?? '');
  const [clickIds, setClickIds] = useState<ClickId[]>(rule?.when.clickIds ?? []);
  const [mediums, setMediums] = useState(listText(rule?.when.mediums));
  const [sources, setSources] = useState(listText(rule?.when.sources));
  const [sites, setSites] = useState(listText(rule?.when.sites));
  const [anyReferrer, setAnyReferrer] = useState(rule?.when.anyReferrer ?? false);
  const [anyCampaign, setAnyCampaign] = useState(rule?.when.anyCampaign ?? false);
  const [errors, setErrors] = useState<Partial<Record<string, string>>>({});

  const submit = () => {
    const when: When = {};
    if (clickIds.length) when.clickIds = CLICK_IDS.filter((c) => clickIds.includes(c));
    if (listOf(mediums).length) when.mediums = listOf(mediums);
    if (listOf(sources).length) when.sources = listOf(sources);
    if (listOf(sites).length) when.sites = listOf(sites);
    if (anyReferrer) when.anyReferrer = true;
    if (anyCampaign) when.anyCampaign = true;
    const parsed = channelRuleSchema.safeParse({ channel, when });
    if (parsed.success) return onDone(parsed.data);
    const out: Partial<Record<string, string>> = {};
    for (const issue of parsed.error.issues) {
      const [first, second] = issue.path;
      const key = first === 'when' ? (typeof second === 'string' ? second : 'when') : String(first ?? 'when');
      const at =
        typeof issue.path[2] === 'number'
          ? listOf(key === 'sites' ? sites : key === 'mediums' ? mediums : sources)[issue.path[2]]
          : undefined;
      out[key] ??= at ? `“${at}”: ${issue.message}` : key === 'channel' && channel.trim() === '' ? 'Name the channel' : issue.message;
    }
    setErrors(out);
  };
  const edit =
    <T,>(set: (v: T) => void, key: string) =>
    (v: T) => {
      set(v);
      setErrors((e) => ({ ...e, [key]: undefined, when: undefined }));
    };

  return (
    <Dialog
      title={rule ? `Edit ${channelLabel(rule.channel)}` : 'Add a rule'}
      description="A visit gets this channel when any one condition matches. Comparisons ignore case."
      size="lg"
      onClose={onClose}
      onSubmit={submit}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary">
            {rule ? 'Apply' : 'Add rule'}
          </Button>
        </>
      }
    >
      <TextField
        label="Channel"
        value={channel}
        onChange={edit(setChannel, 'channel')}
        error={errors.channel}
        list={listId}
        maxLength={50}
        placeholder="partners"
        hint="One of the usual channels, or your own (partners, affiliates…)."
        fieldClassName="rules-field-channel"
      />
      <datalist id={listId}>
        {channels.map((c) => (
          <option key={c} value={c} />
        ))}
      </datalist>
      {errors.when && (
        <p className="field-error" role="alert">
          {errors.when}
        </p>
      )}
      <fieldset className="rules-clickids">
        <legend className="field-label">Click id in the landing URL</legend>
        <div className="rules-checks">
          {CLICK_IDS.map((c) => (
            <label key={c} className="rules-check">
              <input
                type="checkbox"
                checked={clickIds.includes(c)}
                onChange={(e) => edit(setClickIds, 'clickIds')(e.target.checked ? [...clickIds, c] : clickIds.filter((x) => x !== c))}
              />
              <code>{c}</code>
              <span className="muted">{clickIdLabels[c]}</span>
            </label>
          ))}
        </div>
      </fieldset>
      <div className="form-row">
        <TextField
          label="Mediums (utm_medium)"
          value={mediums}
          onChange={edit(setMediums, 'mediums')}
          error={errors.mediums}
          placeholder="cpc, ppc"
          hint="Separated by commas."
        />
        <TextField
          label="Sources (utm_source)"
          value={sources}
          onChange={edit(setSources, 'sources')}
          error={errors.sources}
          placeholder="partner-portal"
          hint="Separated by commas."
        />
      </div>
      <TextField
        label="Sites (the source or the referrer)"
        value={sites}
        onChange={edit(setSites, 'sites')}
        error={errors.sites}
        placeholder="google, t.co"
        hint="google matches google.com and www.google.co.uk; t.co matches only t.co."
      />
      <div className="rules-switches">
        <label className="switch">
          <input type="checkbox" role="switch" checked={anyReferrer} onChange={(e) => edit(setAnyReferrer, 'when')(e.target.checked)} />
          <span className="switch-track" aria-hidden="true" />
          <span>Any outside referrer</span>
        </label>
        <label className="switch">
          <input type="checkbox" role="switch" checked={anyCampaign} onChange={(e) => edit(setAnyCampaign, 'when')(e.target.checked)} />
          <span className="switch-track" aria-hidden="true" />
          <span>Any campaign (UTM parameters)</span>
        </label>
      </div>
    </Dialog>
  );
}
