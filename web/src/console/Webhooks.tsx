// The shop's webhook endpoints: add one (URL and events; its secret shown once), each endpoint's state — a
// disabled one says why, prominently — its delivery log with resend, a test event, secret rotation.
import { useState } from 'preact/hooks';
import { api, get, post, query } from '../shared/api.ts';
import { formatTime } from '../shared/format.ts';
import { t } from '../shared/i18n.ts';
import '../shared/locales/webhooks.ts';
import './Webhooks.css';
import type { Shop } from '../shared/types.ts';
import { CopyButton, Empty, errorText, Loaded, useResource, useSubmit } from '../shared/ui.tsx';

interface Endpoint {
  id: string;
  url: string;
  description: string;
  events: string[];
  enabled: boolean;
  disabledReason: string | null;
  disabledReasonCode: 'gone' | 'failing' | 'manual' | null;
  disabledAt: string | null;
  previousSecretValidUntil: string | null;
  failingSince: string | null;
}

interface Delivery {
  id: string;
  eventId: string;
  eventType: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  nextAttemptAt: string | null;
  lastAttemptAt: string | null;
  lastResponseStatus: number | null;
  lastError: string | null;
}

export function Webhooks({ shop }: { shop: Shop }) {
  const base = `/shops/${shop.id}/webhooks`;
  const endpoints = useResource((signal) => get<{ endpoints: Endpoint[] }>(base, signal).then((r) => r.endpoints), [shop.id]);
  const types = useResource((signal) => get<{ shop: string[] }>('/webhooks/event-types', signal).then((r) => r.shop), []);
  const [secret, setSecret] = useState<{ text: string; note?: string } | null>(null);
  return (
    <>
      <header class="page-head">
        <h1>{t('webhooks.title')}</h1>
      </header>
      <p class="muted">{t('webhooks.intro')}</p>
      {secret && (
        <div class="banner banner-warn" data-testid="webhook-secret">
          <p>{secret.note ?? t('webhooks.secretOnce')}</p>
          <code>{secret.text}</code> <CopyButton text={secret.text} label={t('webhooks.copySecret')} />{' '}
          <button class="btn btn-small" onClick={() => setSecret(null)}>
            {t('webhooks.dismiss')}
          </button>
        </div>
      )}
      <section class="panel">
        <h2>{t('webhooks.add')}</h2>
        <Loaded resource={types}>
          {(all) => (
            <NewEndpoint
              base={base}
              types={all}
              onCreated={(s) => {
                setSecret({ text: s });
                endpoints.reload();
              }}
            />
          )}
        </Loaded>
      </section>
      <Loaded resource={endpoints}>
        {(list) =>
          list.length === 0 ? (
            <section class="panel">
              <Empty icon="compass" title={t('webhooks.none')} hint={t('webhooks.noneHint')} />
            </section>
          ) : (
            list.map((e) => <EndpointPanel key={e.id} base={`${base}/${e.id}`} endpoint={e} onChanged={endpoints.reload} onSecret={(text, note) => setSecret({ text, note })} />)
          )
        }
      </Loaded>
    </>
  );
}

function NewEndpoint({ base, types, onCreated }: { base: string; types: string[]; onCreated(secret: string): void }) {
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [events, setEvents] = useState<string[]>(['order.created', 'order.paid']);
  const create = useSubmit(async () => {
    const r = await post<{ secret: string }>(base, { url, events, description });
    setUrl('');
    setDescription('');
    onCreated(r.secret);
  });
  const toggle = (type: string) => setEvents((now) => (now.includes(type) ? now.filter((e) => e !== type) : [...now, type]));
  return (
    <form class="webhook-form" onSubmit={create.onSubmit} data-testid="webhook-form">
      <div class="row">
      <label>
        {t('webhooks.url')}
        <input type="url" required value={url} placeholder="https://erp.example.com/hawker" onInput={(e) => setUrl(e.currentTarget.value)} />
      </label>
      <label>
        {t('webhooks.description')}
        <input value={description} maxLength={200} onInput={(e) => setDescription(e.currentTarget.value)} />
      </label>
      </div>
      <fieldset>
        <legend>{t('webhooks.events')}</legend>
        <div class="filters">
          {types.map((type) => (
            <label key={type} class={events.includes(type) ? 'chip chip-on' : 'chip'}>
              <input type="checkbox" checked={events.includes(type)} onChange={() => toggle(type)} /> {type}
            </label>
          ))}
        </div>
      </fieldset>
      {create.error !== null && <p class="form-error">{errorText(create.error)}</p>}
      <button class="btn btn-primary" disabled={create.busy || events.length === 0}>
        {t('webhooks.create')}
      </button>
    </form>
  );
}

function EndpointPanel({ base, endpoint: e, onChanged, onSecret }: { base: string; endpoint: Endpoint; onChanged(): void; onSecret(text: string, note: string): void }) {
  const [round, setRound] = useState(0);
  const [notice, setNotice] = useState<string | null>(null);
  const act = useSubmit(async (what: 'enable' | 'disable' | 'test' | 'rotate' | 'remove') => {
    if (what === 'enable' || what === 'disable') await api('PATCH', base, { body: { enabled: what === 'enable' } });
    else if (what === 'test') {
      await post(`${base}/test`);
      setNotice(t('webhooks.testSent'));
      setTimeout(() => setRound((r) => r + 1), 1000);
      return;
    } else if (what === 'rotate') {
      const r = await post<{ secret: string; endpoint: Endpoint }>(`${base}/rotate-secret`, {});
      onSecret(r.secret, t('webhooks.rotated', { at: formatTime(r.endpoint.previousSecretValidUntil) }));
    } else {
      if (!confirm(t('webhooks.confirmRemove', { url: e.url }))) return;
      await api('DELETE', base);
    }
    onChanged();
  });
  return (
    <section class="panel" data-testid="webhook-endpoint" data-endpoint-id={e.id}>
      <header class="panel-head">
        <h2>
          <code>{e.url}</code>
        </h2>
        <span class={e.enabled ? 'badge badge-ok' : 'badge badge-bad'}>{e.enabled ? t('webhooks.enabled') : t('webhooks.disabled')}</span>
      </header>
      {!e.enabled && (
        <div class="banner banner-bad" role="alert" data-testid="webhook-disabled">
          {t('webhooks.disabledBecause', { reason: e.disabledReasonCode ? t(`webhooks.reasons.${e.disabledReasonCode}`) : (e.disabledReason ?? '') })} {e.disabledAt && <span class="muted">({formatTime(e.disabledAt)})</span>}
        </div>
      )}
      {e.enabled && e.failingSince && <div class="banner banner-warn">{t('webhooks.failingSince', { at: formatTime(e.failingSince) })}</div>}
      {e.description && <p class="muted">{e.description}</p>}
      <p class="muted">{e.events.join(' · ')}</p>
      <div class="actions">
        <button class="btn btn-small" disabled={act.busy} onClick={() => act.run(e.enabled ? 'disable' : 'enable')}>
          {e.enabled ? t('webhooks.disable') : t('webhooks.enable')}
        </button>
        <button class="btn btn-small" disabled={act.busy} onClick={() => act.run('test')}>
          {t('webhooks.test')}
        </button>
        <button class="btn btn-small" disabled={act.busy} onClick={() => act.run('rotate')}>
          {t('webhooks.rotate')}
        </button>
        <button class="btn btn-small btn-danger" disabled={act.busy} onClick={() => act.run('remove')}>
          {t('webhooks.remove')}
        </button>
      </div>
      {notice && <p class="muted">{notice}</p>}
      {act.error !== null && <p class="form-error">{errorText(act.error)}</p>}
      <DeliveryLog key={round} base={base} />
    </section>
  );
}

function DeliveryLog({ base }: { base: string }) {
  const [extra, setExtra] = useState<{ items: Delivery[]; cursor: string | null } | null>(null);
  const first = useResource((signal) => get<{ deliveries: Delivery[]; nextCursor: string | null }>(`${base}/deliveries${query({ limit: 20 })}`, signal), [base]);
  const resend = useSubmit(async (id: string) => {
    await post(`${base}/deliveries/${id}/resend`);
    setExtra(null);
    setTimeout(first.reload, 1000);
  });
  const more = useSubmit(async (cursor: string) => {
    const r = await get<{ deliveries: Delivery[]; nextCursor: string | null }>(`${base}/deliveries${query({ limit: 20, cursor })}`);
    setExtra((now) => ({ items: [...(now?.items ?? []), ...r.deliveries], cursor: r.nextCursor }));
  });
  return (
    <Loaded resource={first}>
      {(page) => {
        const items = [...page.deliveries, ...(extra?.items ?? [])];
        const cursor = extra ? extra.cursor : page.nextCursor;
        if (items.length === 0) return <p class="muted">{t('webhooks.logEmpty')}</p>;
        return (
          <div class="table-wrap">
            <h3>{t('webhooks.log')}</h3>
            <table class="table" data-testid="webhook-log">
              <thead>
                <tr>
                  <th>{t('webhooks.event')}</th>
                  <th>{t('webhooks.status')}</th>
                  <th>{t('webhooks.attempts')}</th>
                  <th>{t('webhooks.lastResponse')}</th>
                  <th>{t('webhooks.nextAttempt')}</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {items.map((d) => (
                  <tr key={d.id} data-testid="webhook-delivery">
                    <td>
                      {d.eventType}
                      <br />
                      <small class="muted">{d.eventId}</small>
                    </td>
                    <td>
                      <span class={d.status === 'succeeded' ? 'badge badge-ok' : d.status === 'failed' ? 'badge badge-bad' : 'badge badge-warn'}>{t(`webhooks.statuses.${d.status}`)}</span>
                    </td>
                    <td>{d.attempts}</td>
                    <td>
                      {d.lastResponseStatus ?? (d.lastError ? `${t('webhooks.noResponse')}: ${d.lastError}` : '')} <small class="muted">{formatTime(d.lastAttemptAt)}</small>
                    </td>
                    <td>{formatTime(d.nextAttemptAt)}</td>
                    <td>
                      <button class="btn btn-tiny" disabled={resend.busy} onClick={() => resend.run(d.id)}>
                        {t('webhooks.resend')}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {resend.error !== null && <p class="form-error">{errorText(resend.error)}</p>}
            {cursor && (
              <button class="btn btn-small" disabled={more.busy} onClick={() => more.run(cursor)}>
                {t('webhooks.more')}
              </button>
            )}
          </div>
        );
      }}
    </Loaded>
  );
}
