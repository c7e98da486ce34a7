// Live video through nginx with Debian's RTMP module (CI installs nginx and libnginx-mod-rtmp).
import { findNginx } from '../src/adapters/media/nginx.ts';
import { mediaSuite } from './support/media.ts';

const found = findNginx(process.env.NGINX_PATH || null);
mediaSuite('nginx', 'missing' in found ? found.missing : false);
