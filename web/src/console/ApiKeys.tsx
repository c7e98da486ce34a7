// The shop's API keys (issue 19): create one with scope checkboxes (its secret shown once, with a copy button),
// the keys with their scopes, creation and last use, revoke; and the audit log of requests made with them.
import { useState } from 'preact/hooks';
import { api, get, post, query } from '../shared/api.ts';
import { formatTime } from '../shared/format.ts';
import { t } from '../shared/i18n.ts';
import type { apikeysEn } from '../shared/locales/apikeys.ts';
import '../shared/locales/apikeys.ts';
import type { Shop } from '../shared/types.ts';
import { CopyButton, Empty, errorText, Loaded, useResource, useSubmit } from '../shared/ui.tsx';

const SCOPES = ['orders:read', 'orders:write', 'products:write', 'stock:write', 'aftersales:write', 'analytics:read'] as const;
type Scope = (typeof SCOPES)[number];
/** A scope's key among the strings (orders:read → orders_read). */
const scopeKey = (s: Scope) => s.replace(':', '_') as keyof typeof apikeysEn.scopes;

interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: Scope[];
  rateLimitPerMinute: number;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

interface AuditRow {
  id: string;
  keyId: string;
  method: string;
  route: string;
  status: number;
  ip: string;
  at: string;
}

export function ApiKeys({ shop }: { shop: Shop }) {
  const base = `/shops/${shop.id}/api-keys`;
  const keys = useResource((signal) => get<{ keys: ApiKey[] }>(`${base}${query({ limit: 200 })}`, signal).then((r) => r.keys), [shop.id]);
  const [secret, setSecret] = useState<string | null>(null);
  const [round, setRound] = useState(0);
  const revoke = useSubmit(async (key: ApiKey) => {
    if (!confirm(t('apikeys.confirmRevoke', { name: key.name }))) return;
    await api('DELETE', `${base}/${key.id}`);
    keys.reload();
  });
  return (
    <>
      <header class="page-head">
        <h1>{t('apikeys.title')}</h1>
      </header>
      <p class="muted">{t('apikeys.intro')}</p>
      {secret && (
        <div class="banner banner-warn" data-testid="apikey-secret">
          <p>{t('apikeys.secretOnce')}</p>
          <code style={{ wordBreak: 'break-all' }}>{secret}</code> <CopyButton text={secret} label={t('apikeys.copy')} />{' '}
          <button class="btn btn-small" onClick={() => setSecret(null)}>
            {t('apikeys.dismiss')}
          </button>
        </div>
      )}
      <section class="panel">
        <h2>{t('apikeys.add')}</h2>
        <NewKey
          base={base}
          onCreated={(s) => {
            setSecret(s);
            keys.reload();
          }}
        />
      </section>
      <section class="panel">
        <h2>{t('apikeys.keys')}</h2>
        <Loaded resource={keys}>
          {(list) =>
            list.length === 0 ? (
              <Empty icon="lock" title={t('apikeys.none')} hint={t('apikeys.noneHint')} />
            ) : (
              <div class="table-wrap">
                <table class="table" data-testid="apikey-list">
                  <thead>
                    <tr>
                      <th>{t('apikeys.name')}</th>
                      <th>{t('apikeys.scopesLabel')}</th>
                      <th>{t('apikeys.created')}</th>
                      <th>{t('apikeys.lastUsed')}</th>
                      <th>{t('apikeys.status')}</th>
                      <th />
                    </tr>
                  </thead>
                  <tbody>
                    {list.map((k) => (
                      <tr key={k.id} data-testid="apikey" data-key-id={k.id}>
                        <td>
                          {k.name}
                          <br />
                          <small class="muted">
                            <code>{k.prefix}</code>
                          </small>
                        </td>
                        <td>
                          {k.scopes.map((s) => (
                            <span key={s} class="badge" title={t(`apikeys.scopes.${scopeKey(s)}`)}>
                              {s}
                            </span>
                          ))}
                        </td>
                        <td>{formatTime(k.createdAt)}</td>
                        <td>{k.lastUsedAt ? formatTime(k.lastUsedAt) : t('apikeys.never')}</td>
                        <td>
                          {k.revokedAt ? (
                            <span class="badge badge-bad">{t('apikeys.revoked', { at: formatTime(k.revokedAt) })}</span>
                          ) : (
                            <span class="badge badge-ok">{t('apikeys.active')}</span>
                          )}
                        </td>
                        <td>
                          {!k.revokedAt && (
                            <button class="btn btn-tiny btn-danger" disabled={revoke.busy} onClick={() => revoke.run(k)}>
                              {t('apikeys.revoke')}
                            </button>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                {revoke.error !== null && <p class="form-error">{errorText(revoke.error)}</p>}
              </div>
            )
          }
        </Loaded>
      </section>
      <section class="panel">
        <header class="panel-head">
          <h2>{t('apikeys.audit')}</h2>
          <button class="btn btn-small" aria-label={t('apikeys.refresh')} title={t('apikeys.refresh')} onClick={() => setRound((r) => r + 1)}>
            ↻
          </button>
        </header>
        <AuditLog key={round} shopId={shop.id} names={new Map((keys.data ?? []).map((k) => [k.id, k.name]))} />
      </section>
    </>
  );
}

function NewKey({ base, onCreated }: { base: string; onCreated(secret: string): void }) {
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<Scope[]>(['orders:read']);
  const [rate, setRate] = useState('600');
  const create = useSubmit(async () => {
    const r = await post<{ secret: string }>(base, { name, scopes, rateLimitPerMinute: Number(rate) });
    setName('');
    onCreated(r.secret);
  });
  const toggle = (s: Scope) => setScopes((now) => (now.includes(s) ? now.filter((x) => x !== s) : [...now, s]));
  return (
    <form onSubmit={create.onSubmit} data-testid="apikey-form">
      <div class="row">
        <label>
          {t('apikeys.name')}
          <input required maxLength={100} value={name} placeholder={t('apikeys.namePlaceholder')} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label>
          {t('apikeys.rateLimit')}
          <input type="number" min={1} max={100000} required value={rate} onInput={(e) => setRate(e.currentTarget.value)} />
        </label>
      </div>
      <fieldset style={{ border: 0, padding: 0, margin: '12px 0' }}>
        <legend>{t('apikeys.scopesLabel')}</legend>
        {SCOPES.map((s) => (
          <label key={s} class={scopes.includes(s) ? 'chip chip-on' : 'chip'} style={{ display: 'inline-block' }}>
            <input type="checkbox" style={{ width: 'auto', minHeight: 0, margin: '0 4px 0 0' }} checked={scopes.includes(s)} onChange={() => toggle(s)} /> <code>{s}</code>{' '}
            <small>{t(`apikeys.scopes.${scopeKey(s)}`)}</small>
          </label>
        ))}
      </fieldset>
      {create.error !== null && <p class="form-error">{errorText(create.error)}</p>}
      <button class="btn btn-primary" disabled={create.busy || scopes.length === 0}>
        {t('apikeys.create')}
      </button>
    </form>
  );
}

function AuditLog({ shopId, names }: { shopId: string; names: Map<string, string> }) {
  const path = `/shops/${shopId}/api-key-requests`;
  const first = useResource((signal) => get<{ requests: AuditRow[]; nextCursor: string | null }>(`${path}${query({ limit: 50 })}`, signal), [path]);
  const [extra, setExtra] = useState<{ items: AuditRow[]; cursor: string | null } | null>(null);
  const more = useSubmit(async (cursor: string) => {
    const r = await get<{ requests: AuditRow[]; nextCursor: string | null }>(`${path}${query({ limit: 50, cursor })}`);
    setExtra((now) => ({ items: [...(now?.items ?? []), ...r.requests], cursor: r.nextCursor }));
  });
  return (
    <Loaded resource={first}>
      {(page) => {
        const items = [...page.requests, ...(extra?.items ?? [])];
        const cursor = extra ? extra.cursor : page.nextCursor;
        if (items.length === 0) return <p class="muted">{t('apikeys.auditEmpty')}</p>;
        return (
          <div class="table-wrap">
            <table class="table" data-testid="apikey-audit">
              <thead>
                <tr>
                  <th>{t('apikeys.time')}</th>
                  <th>{t('apikeys.key')}</th>
                  <th>{t('apikeys.request')}</th>
                  <th>{t('apikeys.responseStatus')}</th>
                  <th>{t('apikeys.address')}</th>
                </tr>
              </thead>
              <tbody>
                {items.map((r) => (
                  <tr key={r.id} data-testid="apikey-request">
                    <td>{formatTime(r.at)}</td>
                    <td>{names.get(r.keyId) ?? r.keyId}</td>
                    <td>
                      <code>
                        {r.method} {r.route}
                      </code>
                    </td>
                    <td>
                      <span class={r.status < 300 ? 'badge badge-ok' : 'badge badge-bad'}>{r.status}</span>
                    </td>
                    <td>{r.ip}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {cursor && (
              <button class="btn btn-small" disabled={more.busy} onClick={() => more.run(cursor)}>
                {t('apikeys.more')}
              </button>
            )}
          </div>
        );
      }}
    </Loaded>
  );
}
