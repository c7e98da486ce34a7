import { render } from 'preact';
import '../shared/styles.css';
import { restoreSession } from '../shared/api.ts';
import { keepClockSynced } from '../shared/clock.ts';
import '../shared/i18n.ts';
import { App } from './App.tsx';

void restoreSession();
keepClockSynced();
render(<App />, document.getElementById('app')!);
