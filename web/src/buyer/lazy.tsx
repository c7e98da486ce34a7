// Pages few visitors open (the earnings and influencer pages) load on demand, so a share link or a live
// room opens without them.
import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Failure, Spinner } from '../shared/ui.tsx';

export function lazyPage<P extends object>(load: () => Promise<ComponentType<P>>): ComponentType<P> {
  let loaded: ComponentType<P> | null = null;
  return function LazyPage(props: P) {
    const [Page, setPage] = useState<ComponentType<P> | null>(() => loaded);
    const [error, setError] = useState<unknown>(null);
    const [round, setRound] = useState(0);
    useEffect(() => {
      if (Page) return;
      load().then(
        (component) => {
          loaded = component;
          setPage(() => component);
        },
        (err) => setError(err),
      );
    }, [round]);
    if (Page) return <Page {...props} />;
    if (error) {
      return (
        <Failure
          error={error}
          onRetry={() => {
            setError(null);
            setRound((r) => r + 1);
          }}
        />
      );
    }
    return <Spinner />;
  };
}
